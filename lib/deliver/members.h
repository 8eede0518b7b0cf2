/* The member list: a UTF-8 CSV with a header row naming the column email
 * and optionally name, language (sv, nb, nn, da, en) and status (active, paused,
 * unsubscribed); comma or semicolon separated, quoted fields, an optional
 * BOM. */
#ifndef BULLETIN_MEMBERS_H
#define BULLETIN_MEMBERS_H

#include <stddef.h>

#include "core/address.h"
#include "core/err.h"

struct store;

/* Ordered from least to most restrictive: merging duplicates keeps the
 * more restrictive of the two. */
enum member_status { MEMBER_ACTIVE = 0, MEMBER_PAUSED, MEMBER_UNSUBSCRIBED };

struct member {
	char *email;
	char *name;          /* may be "" */
	char language[3];    /* "sv", "nb", "nn", "da", "en", or "" when not given */
	enum member_status status;
	size_t line;         /* the row's first line in the file */
};

struct member_list {
	struct member *v;
	size_t n, cap;
	size_t skipped;    /* rows reported and left out: invalid + duplicates */
	size_t rows;       /* non-blank rows after the header */
	size_t invalid;    /* rows skipped for a missing or bad address */
	size_t duplicates; /* rows merged into an earlier row */
	size_t problems;   /* every warning: skipped rows and bad values */
};

/* Reads the file. A row with a missing or invalid address is reported with
 * log_warn ("path:line: ...") and skipped; duplicate addresses are merged
 * into the first row, reported with both lines (compared without regard
 * to case: the domain as IDNA folds it, the local part for ASCII, Latin,
 * Greek and Cyrillic letters, so Åsa@ and åsa@ are one member); a bad
 * language is reported and ignored, a bad status reported and read as
 * paused (the safe side). A quoted field that is never closed costs only
 * the line it opens on (reported; the next line is read as a row), and
 * text past the 256th field is reported. Returns 0, or -1 with err when
 * the file cannot be read or has no email column. */
int members_load(const char *path, struct member_list *out, struct err *err);
/* The same for the file's bytes data[0..n) (messages still name path). */
int members_load_buf(const char *path, const char *data, size_t n, struct member_list *out,
		     struct err *err);
void member_list_free(struct member_list *l);
const char *member_status_name(enum member_status st);

/* Who the filter left out, and why (each member counted once, in this
 * order of precedence). */
struct member_filter_counts {
	size_t paused;       /* status paused in the CSV */
	size_t unsub_csv;    /* status unsubscribed in the CSV */
	size_t unsub_store;  /* unsubscribed in the store */
	size_t bounced;      /* marked bounced by the mailbox */
	size_t added;        /* not in the CSV: added by the chair's mail (joined the list) */
};

/* Removes every member who must get nothing: paused or unsubscribed in the
 * CSV, unsubscribed or marked bounced in the store (s may be NULL: the CSV
 * alone); members the chair added by mail join the list. With
 * record set, CSV unsubscribes are also written to the store (how "csv"),
 * so that an older copy of the file cannot resubscribe them. Returns 0, or
 * -1 with err (the list is then unchanged, or filtered without the chair's
 * additions when reading those failed). */
int members_filter_active(struct member_list *l, struct store *s, int record,
			  struct member_filter_counts *c, struct err *err);

#endif
