/* The digest archive: each sent digest as .md, .html, .txt and .json in
 * one folder, so the association can publish it as static pages. */
#ifndef BULLETIN_ARCHIVE_H
#define BULLETIN_ARCHIVE_H

#include <jansson.h>

#include "err.h"
#include "store.h"

/* Writes DIR/digest-YYYY-MM-DD-ID.{md,html,txt,json} (each through a
 * temporary file and rename, so a reader never sees half a file), creating
 * DIR when needed. path_out (may be NULL) gets the .html path. */
int archive_write(const char *dir, const struct digest_row *d, const json_t *model,
		  char *path_out, size_t path_len, struct err *err);

#endif
