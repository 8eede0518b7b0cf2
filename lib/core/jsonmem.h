/* jansson's allocations, watched: a model or report built with dozens of
 * json_object_set_new calls cannot check each one, so the allocator
 * records the first failure and the step that built the document checks
 * once (jsonmem_failed) before handing it on. */
#ifndef BULLETIN_JSONMEM_H
#define BULLETIN_JSONMEM_H

/* Installs the watching allocator (once, before any jansson call). */
void jsonmem_init(void);
/* 1 when a jansson allocation has failed since the last jsonmem_reset. */
int jsonmem_failed(void);
void jsonmem_reset(void);

#endif
