#include "core/err.h"

#include <stdio.h>
#include <string.h>

#include "core/log.h"

/* Every message is outside text's last stop before stderr: log_clean. */
static void clean(struct err *err)
{
	char tmp[sizeof err->msg];
	log_clean(err->msg, tmp, sizeof tmp);
	memcpy(err->msg, tmp, sizeof tmp);
}

int err_vset(struct err *err, const char *fmt, va_list ap)
{
	if (err) {
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		clean(err);
	}
	return -1;
}

int err_set(struct err *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_vset(err, fmt, ap);
	va_end(ap);
	return -1;
}

int err_set_lines(struct err *err, const char *text)
{
	if (!err)
		return -1;
	size_t o = 0;
	err->msg[0] = '\0';
	for (const char *p = text; o + 1 < sizeof err->msg;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char line[sizeof err->msg];
		snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1), p);
		log_clean(line, err->msg + o, sizeof err->msg - o);
		o += strlen(err->msg + o);
		if (!nl || o + 2 >= sizeof err->msg)
			break;
		err->msg[o++] = '\n';
		err->msg[o] = '\0';
		p = nl + 1;
	}
	return -1;
}

int err_prefix(struct err *err, const char *fmt, ...)
{
	if (!err)
		return -1;
	char raw[512], head[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	/* The old message was cleaned when it was set (its line breaks, if
	 * any, are err_set_lines's): only the new part needs it. */
	log_clean(raw, head, sizeof head);
	/* Shift the old message right and put "head: " in front, truncating
	 * the tail if the whole does not fit. */
	size_t hl = strlen(head) + 2, ol = strlen(err->msg), cap = sizeof err->msg - 1;
	if (hl > cap)
		hl = cap;
	if (ol > cap - hl)
		ol = cap - hl;
	memmove(err->msg + hl, err->msg, ol);
	err->msg[hl + ol] = '\0';
	memcpy(err->msg, head, hl - 2);
	if (hl >= 2)
		memcpy(err->msg + hl - 2, ": ", 2);
	return -1;
}

void err_clear(struct err *err)
{
	if (err)
		err->msg[0] = '\0';
}
