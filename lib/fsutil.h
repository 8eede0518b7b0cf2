/* Small file-system helpers shared by the stages that write files. */
#ifndef BULLETIN_FSUTIL_H
#define BULLETIN_FSUTIL_H

#include "err.h"

/* mkdir -p DIR (mode 0755 for each new level). */
int fs_mkdir_p(const char *dir, struct err *err);
/* mkdir -p of the directory part of PATH ("a/b/c.db" makes "a/b"). */
int fs_mkdir_parent(const char *path, struct err *err);

#endif
