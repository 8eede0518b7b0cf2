/* JSON Lines into items: the form `bulletin parse` prints (item_to_jsonl)
 * and `bulletin rules test|check|stats ITEMS.jsonl` read.
 *
 * The common line (an object of strings, nulls, booleans, small integers
 * and arrays of strings, enclosures as `bulletin parse` writes them) is
 * read in one pass straight into the item's fields, with no json_t in
 * between: that was most of the time `rules test` spent. Any other line
 * (reals, nested objects, a key with an escape, a bad byte or escape, a
 * duplicate key, a wrong type) goes to jansson and item_from_json, so the
 * item and every error are exactly theirs. */
#ifndef BULLETIN_JSONL_H
#define BULLETIN_JSONL_H

#include <stddef.h>

#include "core/err.h"
#include "parse/item.h"

/* A line of JSON Lines holds one item; a longer one is refused without
 * being read whole. */
#define JSONL_MAX_LINE (16u << 20)

enum jsonl_status {
	JSONL_OK = 0,
	JSONL_SYNTAX = -1, /* not JSON: err is "COLUMN: message" (jansson's) */
	JSONL_ITEM = -2,   /* JSON, but not an item: err is item_from_json's message */
	JSONL_NOMEM = -3,  /* out of memory */
	JSONL_LONG = -4,   /* (reader) a line longer than JSONL_MAX_LINE */
	JSONL_READ = -5    /* (reader) the file cannot be opened or read */
};

/* line[0..n) (a trailing newline is fine) into *it (zeroed first; free
 * with item_free). Returns an enum jsonl_status. */
int item_from_jsonl(const char *line, size_t n, struct item *it, struct err *err);

/* The fast path alone, for tests and the fuzz target: 1 when it read the
 * line into *it, 0 when the line needs jansson (*it is then zeroed), -1
 * when out of memory (*it zeroed). */
int item_from_jsonl_fast(const char *line, size_t n, struct item *it);

/* A JSON Lines file read a line at a time: memory stays that of the
 * longest line, however many lines the file has. */
struct jsonl_reader {
	const char *path; /* as given; "-" is standard input */
	int fd;
	char *buf;
	size_t cap, start, end, scanned; /* unread bytes: buf[start..end) */
	long lineno;
	int eof;
};

/* Returns 0, or JSONL_READ with err "PATH: reason". */
int jsonl_open(struct jsonl_reader *r, const char *path, struct err *err);
/* The next line that is not blank (only spaces, tabs, CR, LF), with its
 * newline if it has one, valid until the next call; r->lineno is its
 * number. Returns 1, 0 at the end of the file, or JSONL_LONG, JSONL_READ
 * or JSONL_NOMEM with err "PATH:LINE: message". */
int jsonl_next_line(struct jsonl_reader *r, const char **line, size_t *n, struct err *err);
/* The next line as an item (free with item_free): 1, 0 at the end, or an
 * enum jsonl_status with err "PATH:LINE:COLUMN: message" for a line that
 * is not JSON, "PATH:LINE: message" otherwise. */
int jsonl_next_item(struct jsonl_reader *r, struct item *it, struct err *err);
void jsonl_close(struct jsonl_reader *r);

#endif
