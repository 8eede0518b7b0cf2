/* The mailbox's answers: the confirmation a member gets after an
 * unsubscribe reply (in the member's language) and the chair's report of
 * what her commands did; composed as MIME (deliver/mail) and sent through
 * deliver_one, like the run report. An answer is stored as "Subject\n\n
 * Body" before it is sent, so a crash never sends one twice. */
#ifndef BULLETIN_ANSWER_H
#define BULLETIN_ANSWER_H

#include <stddef.h>

#include "core/buf.h"
#include "core/config.h"
#include "deliver/smtp.h"
#include "store/store.h"

/* The language an answer is written in: lang when it is one we write
 * (sv, nb, nn, da, en), else fallback's, else sv. */
const char *answer_language(const char *lang, const char *fallback);
/* The confirmation of an unsubscribe, "Subject\n\nBody", into out. */
int answer_unsubscribed(const char *lang, const char *title, struct buf *out);

/* The chair's report, one line per command. */
enum answer_line {
	ANS_ADDED, ANS_ADDED_AGAIN, ANS_ALREADY_MEMBER, ANS_SELF_UNSUBSCRIBED, ANS_REMOVED,
	ANS_ALREADY_REMOVED, ANS_NOT_MEMBER, ANS_PAUSED, ANS_RESUMED, ANS_NO_SOURCE,
	ANS_NOT_UNDERSTOOD, ANS_LINE_COUNT_
};
/* Starts the report ("Subject\n\nintro") for a message with subject. */
int answer_chair_start(const char *lang, const char *subject, struct buf *out);
/* Appends "- <what>: <arg>". */
int answer_chair_line(const char *lang, enum answer_line l, const char *arg, struct buf *out);

/* Sends rec's answer (rec->detail, rec->answer_to) from the [mail]
 * sender, in reply to rec->msgkey, marked Auto-Submitted: auto-replied
 * (RFC 3834) so no auto-responder answers it. Over SMTP the session *sess
 * is opened on first use and reused (the caller closes it); a sendmail:
 * URL goes through deliver_one. reply explains the result. */
enum smtp_result answer_send(const struct config *c, const struct smtp_opts *so,
			     struct smtp_session **sess, const struct mb_record *rec, char *reply,
			     size_t replylen);

#endif
