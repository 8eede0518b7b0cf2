/* What a message in the association's mailbox is: a bounce (RFC 3464 DSN
 * or the common non-standard kinds), an auto-reply, an unsubscribe reply,
 * the chair's commands, or anything else. A pure function of the bytes and
 * a few settings: no store, no network, no member list (whether the sender
 * is a member is the caller's question), so it can be fuzzed and tested
 * message by message. */
#ifndef BULLETIN_CLASSIFY_H
#define BULLETIN_CLASSIFY_H

#include <stddef.h>

enum mb_class {
	MB_OTHER = 0,        /* a person's mail, junk: left for a person */
	MB_MALFORMED,        /* no readable header: left alone, warned about */
	MB_BOUNCE_HARD,      /* a permanent failure (5.x.x) */
	MB_BOUNCE_SOFT,      /* a temporary one (4.x.x, delayed) or one without a status */
	MB_DSN_INFO,         /* a DSN saying delivered, relayed or expanded */
	MB_AUTOREPLY,        /* out of office, vacation, read receipt: ignored */
	MB_UNSUBSCRIBE,      /* "avregistrera", "meld av", ... from its sender */
	MB_CHAIR,            /* commands from a chair, authenticated */
	MB_CHAIR_UNVERIFIED, /* commands under a chair's From without the trusted DKIM/ARC pass */
	MB_CHAIR_OTHER,      /* a chair's authenticated mail with no command: left alone */
	MB_REVIEW,           /* a reviewer's authenticated reply to a review copy (issue 20) */
	MB_REVIEW_UNVERIFIED, /* such a reply without the trusted DKIM/ARC pass: left alone */
	MB_CLASS_COUNT_
};
/* "bounce-hard", "auto-reply", ... as the store and the tables say them. */
const char *mb_class_name(enum mb_class c);

enum mb_op { MB_ADD, MB_REMOVE, MB_PAUSE, MB_RESUME };
struct mb_cmd {
	enum mb_op op;
	char name[128];     /* add: the member's name; pause/resume: the source */
	char address[256];  /* add, remove */
};

#define MB_MAX_CMDS 50
#define MB_MAX_IDS 4
#define MB_MAX_LINES 5

struct mb_classify_opts {
	const char *const *chairs;   /* addresses that may send commands */
	size_t nchairs;
	const char *authserv_id;     /* the association's own server in Authentication-Results */
	const char *own_address;     /* [mail] from_address: the VERP base */
	/* The List-Unsubscribe mailto address when it is not own_address (a
	 * message to it is an unsubscribe); NULL otherwise. */
	const char *unsubscribe_address;
	/* [review] reviewers: their replies to a review copy are edits */
	const char *const *reviewers;
	size_t nreviewers;
};

#define MB_NOTE_MAX 4000

struct mb_result {
	enum mb_class cls;
	char why[160];            /* what decided it, for logs and tests */
	char message_id[256];     /* this message's, without <>; "" when none */
	char from[256];           /* the From address, lower case; "" when none */
	char subject[256];        /* decoded, control bytes as spaces */
	/* bounces */
	char status[16];          /* "5.1.1"; "" when none was found */
	char diagnostic[256];     /* the server's words */
	char recipient[256];      /* the failed address the report names */
	char verp[256];           /* the address a VERP envelope sender carries */
	char orig_ids[MB_MAX_IDS][256]; /* Message-IDs of the returned original */
	size_t norig_ids;
	char orig_to[256];        /* the returned original's To address */
	/* bounces: the returned original's List-Unsubscribe (unfolded);
	 * unsubscribe replies: the tokens of the links its text quotes,
	 * "token=X", blank-separated, at most 4 */
	char list_unsubscribe[512];
	char to_unsubscribe[256]; /* unsubscribe: the address it was sent to when that was the List-Unsubscribe one */
	/* the chair's commands */
	struct mb_cmd cmds[MB_MAX_CMDS];
	size_t ncmds;
	char other_lines[MB_MAX_LINES][120]; /* lines that were not commands */
	size_t nother;
	/* a reviewer's reply (issue 20): the draft its review copy was of
	 * (In-Reply-To or References <review-ID-...>), its edit lines
	 * ("drop 3 7", "approve"; other lines are in other_lines), and the
	 * text after a line "note:" */
	long long review_draft;
	char review_lines[MB_MAX_CMDS][120];
	size_t nreview;
	int has_note;
	int note_too_long;        /* the note did not fit: it is not applied */
	char note[MB_NOTE_MAX];
	unsigned warnings;        /* MSG_W_* of message.h */
};

/* Classifies data[0..len): a message as fetched (its header, then as much
 * of its body as was fetched). Returns 0, or -1 when memory runs out. */
int mb_classify(const char *data, size_t len, const struct mb_classify_opts *o,
		struct mb_result *r);

/* The words that mark text as an unsubscribe request or an auto-reply, in
 * sv, nb, nn, da and en; exposed for the tests. 1 when text has one, as a
 * word (the start of a compound counts: "avregistrering"). */
int mb_says_unsubscribe(const char *text);
int mb_says_away(const char *text);

#endif
