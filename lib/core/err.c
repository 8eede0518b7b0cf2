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

int err_prefix(struct err *err, const char *fmt, ...)
{
	if (!err)
		return -1;
	char head[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(head, sizeof head, fmt, ap);
	va_end(ap);
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
	clean(err);
	return -1;
}

void err_clear(struct err *err)
{
	if (err)
		err->msg[0] = '\0';
}
