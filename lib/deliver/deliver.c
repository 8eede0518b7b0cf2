#include "deliver/deliver.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "compose/digest.h"
#include "compose/greeting.h"
#include "compose/render.h"
#include "core/log.h"
#include "deliver/sendmail.h"
#include "deliver/mail.h"

void deliver_message_id(const struct digest_row *d, const char *email, const char *from,
			char *out, size_t outlen)
{
	unsigned long long h = 0xcbf29ce484222325ULL;
	for (const char *p = email; *p; p++) {
		h ^= (unsigned char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		h *= 0x100000001b3ULL;
	}
	const char *at = from ? strrchr(from, '@') : NULL;
	snprintf(out, outlen, "bulletin.%lld.%lld.%016llx@%s", (long long)d->id,
		 (long long)d->created, h, at && at[1] ? at + 1 : "localhost");
}

double deliver_pace_wait(struct deliver_pace *p, double now)
{
	if (p->rate <= 0)
		return 0;
	double interval = 60.0 / (double)p->rate;
	double start = p->next > now ? p->next : now;
	p->next = start + interval;
	return start - now;
}

long deliver_backoff_ms(long first_ms, int n)
{
	long w = first_ms > 0 ? first_ms : 0;
	for (int i = 1; i < n && w < 60000; i++)
		w *= 2;
	return w < 60000 ? w : 60000;
}

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double sec)
{
	if (sec <= 0)
		return;
	struct timespec ts = {(time_t)sec, (long)((sec - (double)(time_t)sec) * 1e9)};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int write_eml(const char *dir, size_t n, const char *email, const struct buf *msg,
		     struct err *err)
{
	char safe[128], path[4096];
	size_t k = 0;
	for (const char *p = email; *p && k < sizeof safe - 1; p++)
		safe[k++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
					    (*p >= '0' && *p <= '9') || *p == '@' || *p == '.' ||
					    *p == '-' || *p == '_'
				    ? *p
				    : '_';
	safe[k] = '\0';
	snprintf(path, sizeof path, "%s/%04zu-%s.eml", dir, n, safe);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_set(err, "%s: %s", path, strerror(errno));
	ssize_t w = write(fd, msg->data, msg->len);
	if (close(fd) < 0 || w != (ssize_t)msg->len)
		return err_set(err, "%s: write failed", path);
	return 0;
}

/* The ledger row, unless this send is outside the ledger (send --to). */
static int ledger_set(struct store *s, const struct deliver_opts *o, const struct digest_row *d,
		      const char *email, enum delivery_state st, const char *mid, const char *reply,
		      struct err *err)
{
	if (o->outside_ledger)
		return 0;
	return store_delivery_set(s, d->id, email, st, mid, reply, time(NULL), err);
}

/* "sendmail:PATH" as the URL: the local MTA takes the messages; NULL for SMTP. */
static const char *sendmail_path(const struct smtp_opts *o)
{
	if (!o->url || strncmp(o->url, "sendmail:", 9))
		return NULL;
	return o->url[9] ? o->url + 9 : "/usr/sbin/sendmail";
}

enum smtp_result deliver_one(const struct smtp_opts *o, const char *from, const char *to,
			     const char *msg, size_t len, char *reply, size_t replylen)
{
	const char *sm = sendmail_path(o);
	if (sm)
		return sendmail_send(sm, msg, len, reply, replylen);
	struct smtp_session *sess;
	struct err err;
	if (smtp_open(o, &sess, &err) < 0) {
		snprintf(reply, replylen, "%s", err.msg);
		return SMTP_FATAL;
	}
	enum smtp_result r = smtp_send(sess, from, to, msg, len, reply, replylen);
	smtp_close(sess);
	return r;
}

int deliver_digest(struct store *s, const struct digest_row *d, const struct member_list *ml,
		   const struct deliver_opts *o, struct deliver_stats *st, struct err *err)
{
	memset(st, 0, sizeof *st);
	const char *sm = sendmail_path(o->smtp);
	struct smtp_session *sess = NULL;
	struct buf msg = BUF_INIT;
	struct deliver_pace pace = {o->rate, 0};
	int rc = 0;
	for (size_t i = 0; i < ml->n; i++) {
		const struct member *m = &ml->v[i];
		char mid[256], reply[512] = "";
		deliver_message_id(d, m->email, o->from_address, mid, sizeof mid);
		if (!o->dry_run_dir && !o->outside_ledger) {
			enum delivery_state ds;
			if (store_delivery_get(s, d->id, m->email, &ds, err) < 0) {
				rc = -1;
				break;
			}
			if (ds == DELIVERY_SENT || ds == DELIVERY_FAILED) {
				st->skipped_done++;
				continue;
			}
			if (ds == DELIVERY_SENDING && !o->resend_in_doubt) {
				/* A crash left this one between "sending" and "sent":
				 * it may have arrived. Mailing it again could mean a
				 * double send, so it waits for the chair's decision. */
				log_warn("%s: in doubt (a previous run stopped while sending "
					 "Message-ID <%s>); not resent",
					 m->email, mid);
				st->in_doubt++;
				continue;
			}
		}
		int chair = o->chair_email && o->chair_html && o->chair_text &&
			    !strcasecmp(m->email, o->chair_email);
		const char *text = chair ? o->chair_text : d->text;
		const char *html = chair ? o->chair_html : d->html;
		char *ptext = NULL, *phtml = NULL;
		if (text && strstr(text, DIGEST_GREETING_SLOT)) {
			char *g = o->greeting ? o->greeting(o->greeting_ctx, m) : NULL;
			ptext = digest_personalize(text, g, 0);
			phtml = digest_personalize(html, g, 1);
			free(g);
			if (!ptext || (html && !phtml)) {
				free(ptext);
				free(phtml);
				rc = err_set(err, "out of memory");
				break;
			}
			text = ptext;
			html = phtml;
		}
		struct mail_msg mm = {
			.from_name = o->from_name, .from_addr = o->from_address,
			.reply_to = o->reply_to, .to_name = m->name, .to_addr = m->email,
			.subject = d->subject, .message_id = mid, .list_id = o->list_id,
			.list_unsubscribe = o->unsubscribe, .date = time(NULL),
			.text = text, .html = html, .calendar = d->calendar,
		};
		buf_reset(&msg);
		int composed = mail_compose(&mm, &msg, err);
		free(ptext);
		free(phtml);
		if (composed < 0) {
			err_prefix(err, "%s", m->email);
			rc = -1;
			break;
		}
		if (o->dry_run_dir) {
			if (write_eml(o->dry_run_dir, i + 1, m->email, &msg, err) < 0) {
				rc = -1;
				break;
			}
			st->sent++;
			continue;
		}
		if (!sm && !sess && smtp_open(o->smtp, &sess, err) < 0) {
			st->setup_error = 1;
			rc = -1;
			break;
		}
		enum smtp_result r = SMTP_TEMPFAIL;
		for (int t = 0; t <= o->retries || t == 0; t++) {
			if (t > 0) {
				long ms = deliver_backoff_ms(o->retry_wait_ms, t);
				log_info("%s: %s; try %d of %d in %ld ms", m->email, reply, t + 1,
					 o->retries + 1, ms);
				sleep_s((double)ms / 1000.0);
			}
			double w = deliver_pace_wait(&pace, now_mono());
			if (w > 0) {
				log_debug("rate %ld a minute: waiting %.0f ms", o->rate, w * 1000);
				sleep_s(w);
			}
			/* The ledger row goes to "sending" before the first byte
			 * leaves, so a crash can never make a sent message look
			 * unsent. */
			if (ledger_set(s, o, d, m->email, DELIVERY_SENDING, mid, NULL, err) < 0) {
				rc = -1;
				break;
			}
			r = sm ? sendmail_send(sm, msg.data, msg.len, reply, sizeof reply)
			       : smtp_send(sess, o->from_address, m->email, msg.data, msg.len, reply,
					   sizeof reply);
			if (r != SMTP_TEMPFAIL || t >= o->retries)
				break;
			/* Known not delivered: back to queued while we wait, so
			 * that a crash now leaves nothing in doubt. */
			if (ledger_set(s, o, d, m->email, DELIVERY_QUEUED, mid, reply, err) < 0) {
				rc = -1;
				break;
			}
		}
		if (rc < 0)
			break;
		enum delivery_state ns = r == SMTP_SENT       ? DELIVERY_SENT
					 : r == SMTP_PERMFAIL ? DELIVERY_FAILED
							      : DELIVERY_QUEUED;
		if (ledger_set(s, o, d, m->email, ns, mid, reply, err) < 0) {
			rc = -1;
			break;
		}
		if (r == SMTP_SENT) {
			st->sent++;
		} else if (r == SMTP_PERMFAIL) {
			st->failed++;
			log_error("%s: refused by the mail server: %s", m->email, reply);
		} else if (r == SMTP_TEMPFAIL) {
			st->deferred++;
			const char *cmd = sess ? smtp_last_command(sess) : "DATA";
			if (strcmp(cmd, "RCPT") && strcmp(cmd, "DATA")) {
				/* Not this member's problem: the server is down or
				 * refusing sessions. The rest wait for the next run. */
				rc = err_set(err, "mail server %s: %s; %s and the members after "
						  "it stay queued for the next run",
					     o->smtp->url, reply, m->email);
				break;
			}
			log_warn("%s: deferred, will retry on the next run: %s", m->email, reply);
		} else {
			st->deferred++;
			st->setup_error = 1;
			rc = err_set(err, "mail server %s: %s", o->smtp->url, reply);
			break;
		}
	}
	if (sess)
		log_info("%d sent over %ld SMTP connections", st->sent, smtp_connections(sess));
	if (sess)
		smtp_close(sess);
	buf_free(&msg);
	if (rc == 0 && !o->dry_run_dir && !o->outside_ledger && st->deferred == 0 && st->in_doubt == 0)
		rc = store_digest_complete(s, d->id, time(NULL), err);
	return rc;
}
