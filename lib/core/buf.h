/* Growable byte buffer, always NUL-terminated so it can be used as a C string. */
#ifndef BULLETIN_BUF_H
#define BULLETIN_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data; /* NULL until the first append */
	size_t len;
	size_t cap;
	/* Set by the first append that failed (out of memory): later appends
	 * do nothing and buf_steal returns NULL, so a caller that checks once
	 * at the end never hands on a text with a hole in it. */
	int failed;
};

#define BUF_INIT {NULL, 0, 0, 0}

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b); /* len = 0, keeps the allocation */
/* Makes room for extra more bytes (and the NUL) without changing len, so
 * hot loops can write into data + len directly. Returns 0 or -1. */
int buf_reserve(struct buf *b, size_t extra);
/* All appenders return 0, or -1 when memory runs out or an earlier append
 * failed (the buffer is unchanged; failed is set). */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Hands the contents to the caller ("" when empty) and resets b; NULL when
 * an append failed (the contents are freed). */
char *buf_steal(struct buf *b);
/* 1 when an append has failed since the last buf_init/free/steal. */
int buf_failed(const struct buf *b);
/* The contents as a C string ("" when empty); valid until the next change. */
const char *buf_str(const struct buf *b);

#endif
