#include "deliver/sendmail.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/address.h"

/* Writes all of d, turning CRLF into LF; 0 or -1 (EPIPE and the like). */
static int write_lf(int fd, const char *d, size_t n)
{
	char out[8192];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (d[i] == '\r' && i + 1 < n && d[i + 1] == '\n')
			continue;
		out[k++] = d[i];
		if (k == sizeof out || i + 1 == n) {
			for (size_t off = 0; off < k;) {
				ssize_t w = write(fd, out + off, k - off);
				if (w < 0 && errno == EINTR)
					continue;
				if (w <= 0)
					return -1;
				off += (size_t)w;
			}
			k = 0;
		}
	}
	return 0;
}

/* "NAME=value" for the child when NAME is set here, else NULL (or dflt). */
static char *env_pass(const char *name, const char *dflt, char *buf, size_t len)
{
	const char *v = getenv(name);
	if (!v)
		v = dflt;
	if (!v || (size_t)snprintf(buf, len, "%s=%s", name, v) >= len)
		return NULL;
	return buf;
}

enum smtp_result sendmail_send(const char *path, const char *from, const char *to,
			       const char *msg, size_t len, char *reply, size_t replylen)
{
	/* Both reach the program's argv: nothing but a plain mailbox. */
	if (!from || !mail_address_valid(from)) {
		snprintf(reply, replylen, "invalid sender address");
		return SMTP_FATAL;
	}
	if (!to || !mail_address_valid(to)) {
		snprintf(reply, replylen, "invalid recipient address");
		return SMTP_PERMFAIL;
	}
	char e_path[1024], e_lang[128], e_tz[128];
	char *envp[4];
	size_t ne = 0;
	if ((envp[ne] = env_pass("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", e_path, sizeof e_path)))
		ne++;
	if ((envp[ne] = env_pass("LANG", NULL, e_lang, sizeof e_lang)))
		ne++;
	if ((envp[ne] = env_pass("TZ", NULL, e_tz, sizeof e_tz)))
		ne++;
	envp[ne] = NULL;
	int in[2], errp[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		goto nospawn;
	if (pipe2(errp, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		goto nospawn;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, errp[1], STDERR_FILENO);
	char *argv[] = {(char *)path, "-i", "-f", (char *)from, "--", (char *)to, NULL};
	pid_t pid;
	int se = posix_spawn(&pid, path, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(errp[1]);
	if (se != 0) {
		close(in[1]);
		close(errp[0]);
		snprintf(reply, replylen, "%s: %s", path, strerror(se));
		return SMTP_FATAL;
	}
	/* A sendmail that exits early must not kill us with SIGPIPE. */
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	sigaction(SIGPIPE, &ign, &old);
	int werr = write_lf(in[1], msg, len);
	close(in[1]);
	sigaction(SIGPIPE, &old, NULL);
	char first[256] = "";
	ssize_t r = read(errp[0], first, sizeof first - 1);
	first[r > 0 ? r : 0] = '\0';
	first[strcspn(first, "\r\n")] = '\0';
	char sink[4096];
	while (read(errp[0], sink, sizeof sink) > 0)
		; /* let it finish writing */
	close(errp[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(reply, replylen, "%s: %s", path, strerror(errno));
			return SMTP_FATAL;
		}
	const char *why = *first ? first : werr ? "it stopped reading the message" : "";
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !werr) {
		snprintf(reply, replylen, "%s: accepted", path);
		return SMTP_SENT;
	}
	if (WIFEXITED(status)) {
		snprintf(reply, replylen, "%s exited with %d%s%s", path, WEXITSTATUS(status),
			 *why ? ": " : "", why);
		return WEXITSTATUS(status) == 75 ? SMTP_TEMPFAIL : SMTP_PERMFAIL;
	}
	snprintf(reply, replylen, "%s killed by signal %d", path,
		 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return SMTP_PERMFAIL;
nospawn:
	snprintf(reply, replylen, "pipe: %s", strerror(errno));
	return SMTP_FATAL;
}
