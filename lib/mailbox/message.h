/* A received message read within bounds: its header fields (unfolded),
 * its MIME leaves (multipart walked to MSG_MAX_DEPTH, at most
 * MSG_MAX_PARTS), and each leaf's body decoded on request. The bytes may be
 * cut anywhere (a partial IMAP fetch): whatever is complete is read, and
 * what was wrong is counted in warnings, never fatal. Pure: no I/O, no
 * global state; the fuzz target drives it through the classifier. */
#ifndef BULLETIN_MESSAGE_H
#define BULLETIN_MESSAGE_H

#include <stddef.h>

#include "core/buf.h"

#define MSG_MAX_FIELDS 512     /* header fields kept per header block */
#define MSG_MAX_FIELD (16u << 10) /* bytes of one unfolded field value */
#define MSG_MAX_DEPTH 5        /* nested multiparts */
#define MSG_MAX_PARTS 64       /* leaves */

/* What was wrong with the input: read anyway, counted by the caller. */
enum {
	MSG_W_TRUNCATED = 1 << 0,   /* the header block or a part ends early */
	MSG_W_8BIT_HEADER = 1 << 1, /* raw non-UTF-8 bytes in a header (read as Windows-1252) */
	MSG_W_BAD_MIME = 1 << 2,    /* multipart without a boundary, or none found */
	MSG_W_TOO_MANY = 1 << 3,    /* fields, parts, depth or DSN groups over the bound */
	MSG_W_BAD_ENCODING = 1 << 4 /* base64 or an encoded word that does not decode */
};

struct msg_field {
	char *name;  /* as written; compare with strcasecmp */
	char *value; /* unfolded, trimmed, raw bytes (NUL-terminated) */
};

struct msg_header {
	struct msg_field *v;
	size_t n;
};

/* Reads the header block at data[0..len): fields until the first empty
 * line. *body_off (may be NULL) gets the offset of the body (len when the
 * block never ends). Returns 0, or -1 when memory runs out; *warn gets
 * MSG_W_* bits ORed in. */
int msg_header_parse(const char *data, size_t len, struct msg_header *h, size_t *body_off,
		     unsigned *warn);
void msg_header_free(struct msg_header *h);
/* The first field called name (any case), or NULL. from: index to start at;
 * *at (may be NULL) gets the index found. */
const char *msg_header_get(const struct msg_header *h, const char *name);
const char *msg_header_next(const struct msg_header *h, const char *name, size_t from, size_t *at);

/* A MIME leaf (or a message/rfc822 kept whole: its body is the embedded
 * message, header included). */
struct msg_part {
	char type[80];          /* "text/plain", lower case; "text/plain" when absent */
	const char *ctype;      /* the Content-Type value, or "" */
	char cte[24];           /* lower case; "" = 7bit */
	const char *body;       /* into the message's bytes */
	size_t len;
};

struct msg {
	struct msg_header h;
	const char *top_ctype;   /* the message's Content-Type value, or "" */
	char top_type[80];
	struct msg_part parts[MSG_MAX_PARTS];
	size_t nparts;
	unsigned warn;
	int header_ended;        /* the header block ended (was not cut short) */
	void *pool;              /* the parts' header blocks (private) */
};

/* Reads data[0..len) (not copied: it must outlive m). Returns 0, or -1 when
 * memory runs out. A message that is not MIME at all is one text/plain
 * leaf. */
int msg_parse(const char *data, size_t len, struct msg *m);
void msg_free(struct msg *m);

/* The parameter name of a structured value ("multipart/report;
 * report-type=delivery-status"), unquoted, into out. Returns 1 when found,
 * else 0 (out = ""). */
int mime_param(const char *value, const char *name, char *out, size_t outlen);
/* The leaf's body with its transfer encoding (base64, quoted-printable)
 * undone, appended to out. Returns 0 or -1 (memory); *warn as above. */
int msg_part_decode(const struct msg_part *p, struct buf *out, unsigned *warn);
/* The leaf as UTF-8 plain text (charset converted; HTML to text), at most
 * max bytes of the decoded body looked at. Returns 0 or -1. */
int msg_part_text(const struct msg_part *p, size_t max, struct buf *out, unsigned *warn);
/* A header value as UTF-8: RFC 2047 encoded words decoded, raw 8-bit
 * bytes read as Windows-1252 unless they are UTF-8 (MSG_W_8BIT_HEADER),
 * control bytes as spaces. Returns 0 or -1. */
int msg_header_text(const char *raw, struct buf *out, unsigned *warn);
/* The first addr-spec of an address header ("Name <a@b>", "a@b (Name)",
 * "<a@b>", "a@b") into out, ASCII lower-cased. Returns 1 when one was
 * found that mail_address_valid accepts, else 0. */
int msg_address(const char *value, char *out, size_t outlen);
/* Every addr-spec of an address list (To, Cc), at most max, each as
 * msg_address; returns how many. */
size_t msg_addresses(const char *value, char out[][256], size_t max);
/* A msg-id without its angle brackets and spaces ("<a@b>" -> "a@b") into
 * out; returns 1 when it looks like one (an @, printable ASCII). */
int msg_id(const char *value, char *out, size_t outlen);

#endif
