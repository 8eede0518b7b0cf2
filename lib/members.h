/* The member list: a UTF-8 CSV with a header row naming at least the
 * columns email and name (comma or semicolon separated, quoted fields, an
 * optional BOM). */
#ifndef BULLETIN_MEMBERS_H
#define BULLETIN_MEMBERS_H

#include <stddef.h>

#include "err.h"

struct member {
	char *email;
	char *name; /* may be "" */
};

struct member_list {
	struct member *v;
	size_t n, cap;
	size_t skipped; /* rows reported and left out */
};

/* Reads the file. A row with a missing or invalid address is reported with
 * log_warn ("path:line: ...") and skipped; duplicate addresses (case-
 * insensitive) are merged. Returns 0, or -1 with err when the file cannot
 * be read or has no email column. */
int members_load(const char *path, struct member_list *out, struct err *err);
void member_list_free(struct member_list *l);
/* 1 when addr is a plausible single mailbox (local@domain, no spaces,
 * no CR/LF, no <>, printable ASCII or UTF-8 only). */
int mail_address_valid(const char *addr);

#endif
