/* pdftotext as a child process: the document goes in on a socket (send
 * with MSG_NOSIGNAL, so a child that dies early costs no SIGPIPE), the
 * text comes back on a pipe, both polled against one deadline. */
#include "parse/pdf.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/text.h"

extern char **environ;

#define PDF_TIMEOUT_MS 30000
#define PDF_MEMORY (1L << 30) /* address space of the child */

int pdf_detect(const char *data, size_t len)
{
	size_t n = len < 1024 ? len : 1024;
	for (size_t i = 0; i + 5 <= n; i++)
		if (!memcmp(data + i, "%PDF-", 5))
			return 1;
	return 0;
}

const char *pdf_page_word(const char *language)
{
	if (!language || !strcmp(language, "sv"))
		return "sida";
	if (!strcmp(language, "nb"))
		return "side";
	return "page";
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void not_found(const char *prog, struct err *err)
{
	err_set(err, "%s not found: PDFs need poppler-utils (sudo apt-get install poppler-utils)",
		prog);
}

/* Runs the program on data; raw gets its standard output (at most cap
 * bytes: *cut is set and the child killed past that). */
static int run(const struct pdf_opts *o, const char *data, size_t len, size_t cap,
	       struct buf *raw, int *cut, struct err *err)
{
	const char *prog = o && o->program ? o->program : "pdftotext";
	long timeout = o && o->timeout_ms > 0 ? o->timeout_ms : PDF_TIMEOUT_MS;
	int in[2] = {-1, -1}, out[2] = {-1, -1}, er[2] = {-1, -1};
	struct buf msg = BUF_INIT;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int have_fa = 0, have_at = 0, rc = -1;
	pid_t pid = -1;
	*cut = 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0 ||
	    pipe2(out, O_CLOEXEC) < 0 || pipe2(er, O_CLOEXEC) < 0) {
		err_set(err, "pdftotext: %s", strerror(errno));
		goto done;
	}
	if (posix_spawn_file_actions_init(&fa) == 0)
		have_fa = 1;
	if (posix_spawnattr_init(&at) == 0)
		have_at = 1;
	sigset_t none, dfl;
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	if (!have_fa || !have_at ||
	    posix_spawn_file_actions_adddup2(&fa, in[1], 0) ||
	    posix_spawn_file_actions_adddup2(&fa, out[1], 1) ||
	    posix_spawn_file_actions_adddup2(&fa, er[1], 2) ||
	    /* nothing else of ours (the fetch's sockets) reaches the child */
	    posix_spawn_file_actions_addclosefrom_np(&fa, 3) ||
	    posix_spawnattr_setsigmask(&at, &none) || posix_spawnattr_setsigdefault(&at, &dfl) ||
	    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) {
		err_set(err, "pdftotext: cannot set up the process");
		goto done;
	}
	char *const argv[] = {(char *)prog, "-layout", "-enc", "UTF-8", "-", "-", NULL};
	int se = posix_spawnp(&pid, prog, &fa, &at, argv, environ);
	if (se) {
		pid = -1;
		if (se == ENOENT)
			not_found(prog, err);
		else
			err_set(err, "%s: %s", prog, strerror(se));
		goto done;
	}
	/* Best effort: a PDF that makes it allocate without end fails alone. */
	struct rlimit mem = {PDF_MEMORY, PDF_MEMORY};
	struct rlimit cpu = {(rlim_t)(timeout / 1000 + 1), (rlim_t)(timeout / 1000 + 2)};
	prlimit(pid, RLIMIT_AS, &mem, NULL);
	prlimit(pid, RLIMIT_CPU, &cpu, NULL);
	close(in[1]);
	close(out[1]);
	close(er[1]);
	in[1] = out[1] = er[1] = -1;
	fcntl(in[0], F_SETFL, O_NONBLOCK);
	size_t sent = 0;
	if (!len) {
		close(in[0]);
		in[0] = -1;
	}
	long deadline = now_ms() + timeout;
	int timed_out = 0;
	char chunk[65536];
	while (out[0] >= 0 || er[0] >= 0) {
		struct pollfd p[3];
		int np = 0, iw = -1, io = -1, ie = -1;
		if (in[0] >= 0)
			iw = np, p[np++] = (struct pollfd){in[0], POLLOUT, 0};
		if (out[0] >= 0)
			io = np, p[np++] = (struct pollfd){out[0], POLLIN, 0};
		if (er[0] >= 0)
			ie = np, p[np++] = (struct pollfd){er[0], POLLIN, 0};
		long left = deadline - now_ms();
		if (left <= 0) {
			timed_out = 1;
			break;
		}
		int pr = poll(p, (nfds_t)np, (int)(left > 1000 ? 1000 : left));
		if (pr < 0 && errno != EINTR) {
			err_set(err, "pdftotext: poll: %s", strerror(errno));
			goto done;
		}
		if (pr <= 0)
			continue;
		if (iw >= 0 && p[iw].revents) {
			ssize_t w = send(in[0], data + sent, len - sent, MSG_NOSIGNAL);
			if (w > 0)
				sent += (size_t)w;
			if ((w < 0 && errno != EAGAIN && errno != EINTR) || sent == len) {
				close(in[0]); /* done, or the child stopped reading */
				in[0] = -1;
			}
		}
		if (io >= 0 && p[io].revents) {
			ssize_t r = read(out[0], chunk, sizeof chunk);
			if (r > 0) {
				if (raw->len + (size_t)r > cap) {
					buf_append(raw, chunk, cap - raw->len);
					*cut = 1;
					break;
				}
				buf_append(raw, chunk, (size_t)r);
			} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
				close(out[0]);
				out[0] = -1;
			}
		}
		if (ie >= 0 && p[ie].revents) {
			ssize_t r = read(er[0], chunk, sizeof chunk);
			if (r > 0) {
				if (msg.len < 1024)
					buf_append(&msg, chunk, (size_t)r);
			} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
				close(er[0]);
				er[0] = -1;
			}
		}
	}
	if (timed_out || *cut)
		kill(pid, SIGKILL);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (buf_failed(raw) || buf_failed(&msg)) {
		err_set(err, "out of memory");
	} else if (timed_out) {
		err_set(err, "pdftotext took longer than %ld s; stopped", timeout / 1000);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !msg.len) {
		/* where posix_spawn falls back to fork (valgrind), a missing
		 * program shows as the child's exit 127 */
		not_found(prog, err);
	} else if (!*cut && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		char *m = msg.len ? text_clean(msg.data, msg.len) : NULL;
		if (m) {
			text_one_line(m);
			text_truncate(m, 300);
		}
		if (WIFSIGNALED(status))
			err_set(err, "pdftotext was killed by signal %d%s%s", WTERMSIG(status),
				m && *m ? ": " : "", m ? m : "");
		else
			err_set(err, "not a readable PDF (pdftotext: %s)",
				m && *m ? m : "no message");
		free(m);
	} else {
		rc = 0;
	}
done:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (er[i] >= 0)
			close(er[i]);
	}
	if (have_fa)
		posix_spawn_file_actions_destroy(&fa);
	if (have_at)
		posix_spawnattr_destroy(&at);
	buf_free(&msg);
	return rc;
}

/* "7 Ersättning", "7.2 Tilläggsuppdrag", "3. Uppdraget": a short line that
 * starts with a section number and a capital letter and is not a table
 * row (no column gap) nor a sentence. The level: 1 + the dots inside. */
static int heading_level(const char *s, size_t n)
{
	size_t i = 0;
	int level = 1, digits = 0;
	if (n > 90 || n < 3)
		return 0;
	while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) {
		if (s[i] == '.' && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9')
			level++;
		digits += s[i] != '.';
		i++;
	}
	if (!digits || digits > 6 || level > 4 || i >= n || s[i] != ' ')
		return 0;
	while (i < n && s[i] == ' ')
		i++;
	unsigned char c = (unsigned char)s[i];
	/* A-Z, or Å Ä Ö Æ Ø (UTF-8 C3 85/84/96/86/98) */
	if (!((c >= 'A' && c <= 'Z') ||
	      (c == 0xC3 && i + 1 < n && strchr("\x84\x85\x86\x96\x98", s[i + 1]))))
		return 0;
	if (memmem(s, n, "  ", 2) || s[n - 1] == '.' || s[n - 1] == ',' || s[n - 1] == ':')
		return 0;
	return level;
}

/* pdftotext's layout text as an extract: a marker before each page,
 * headings marked, blank runs one line, column gaps two spaces. */
static int shape(const char *raw, size_t len, const char *word, int cut, struct page_text *out)
{
	struct buf b = BUF_INIT;
	int page = 1, blank = 1, started = 0;
	const char *p = raw, *end = raw + len;
	while (p < end) {
		size_t ff = strcspn(p, "\f");
		const char *pe = p + ff < end ? p + ff : end;
		/* a page: its lines */
		int any = 0;
		for (const char *l = p; l < pe;) {
			const char *nl = memchr(l, '\n', (size_t)(pe - l));
			const char *le = nl ? nl : pe;
			const char *s = l, *e = le;
			while (s < e && (*s == ' ' || *s == '\t' || *s == '\r'))
				s++;
			while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
				e--;
			if (s == e) {
				blank = 1;
			} else {
				if (!any) {
					if (started)
						buf_putc(&b, '\n');
					buf_printf(&b, "— %s %d —\n", word, page);
					blank = 1;
					any = started = 1;
				}
				if (blank)
					buf_putc(&b, '\n');
				blank = 0;
				int lv = heading_level(s, (size_t)(e - s));
				if (lv) {
					for (int k = 0; k <= lv; k++)
						buf_putc(&b, '#');
					buf_putc(&b, ' ');
				}
				for (const char *q = s; q < e; q++) {
					if (*q == ' ' && q + 1 < e && q[1] == ' ') {
						while (q + 1 < e && q[1] == ' ')
							q++;
						buf_puts(&b, "  ");
					} else {
						buf_putc(&b, *q == '\t' ? ' ' : *q);
					}
				}
				buf_putc(&b, '\n');
				if (!out->title) {
					out->title = text_clean(s, (size_t)(e - s));
					if (out->title)
						text_truncate(out->title, 300);
				}
			}
			l = nl ? nl + 1 : pe;
		}
		page++;
		p = pe < end ? pe + 1 : end;
	}
	if (cut)
		buf_puts(&b, "\n[…]\n");
	if (!(out->text = buf_steal(&b)))
		return -1;
	return 0;
}

int pdf_extract(const char *data, size_t len, const struct pdf_opts *o, struct page_text *out,
		struct err *err)
{
	memset(out, 0, sizeof *out);
	size_t max = o && o->max_text ? o->max_text : PAGE_MAX_TEXT;
	struct buf raw = BUF_INIT;
	int cut = 0;
	/* layout text has column padding: room for twice the extract */
	if (run(o, data, len, 2 * max, &raw, &cut, err) < 0) {
		buf_free(&raw);
		return -1;
	}
	/* pdftotext writes UTF-8 as asked; a broken font may still give bytes
	 * that are not: replaced, line by line */
	struct buf clean = BUF_INIT;
	if (!utf8_valid(buf_str(&raw), raw.len)) {
		for (size_t i = 0; i < raw.len;) {
			size_t k = utf8_decode(raw.data + i, raw.len - i, NULL);
			if (k && raw.data[i] != '\0') {
				buf_append(&clean, raw.data + i, k);
				i += k;
			} else {
				buf_puts(&clean, "\xEF\xBF\xBD");
				i++;
			}
		}
		buf_free(&raw);
		raw = clean;
	}
	int rc = shape(buf_str(&raw), raw.len, o && o->page_word ? o->page_word : "sida", cut, out);
	buf_free(&raw);
	if (rc < 0) {
		page_text_free(out);
		return err_set(err, "out of memory");
	}
	return 0;
}
