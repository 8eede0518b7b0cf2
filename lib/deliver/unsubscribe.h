/* Unsubscribe links that name the member (issue 13): each member's token
 * is an HMAC-SHA256 (nettle) of the list and the address under a key only
 * the store's owner can read, so a link works for that member alone and
 * cannot be made up for another. The token carries the address:
 * base64url(address) "." base64url(the MAC's first 16 bytes). */
#ifndef BULLETIN_UNSUBSCRIBE_H
#define BULLETIN_UNSUBSCRIBE_H

#include "core/config.h"
#include "core/err.h"

struct unsub_key {
	unsigned char k[32];
};

/* The bytes a token is made of (base64url and the dot), and its longest
 * length (a 254-byte address): what a reader of links may take as one. */
#define UNSUB_TOKEN_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
#define UNSUB_TOKEN_MAX 362

/* Reads the key (64 hex digits) from path, which must not be readable by
 * group or others. Missing: with create, a new random key is written
 * there (mode 0600) and used; without, an error. */
int unsub_key_load(const char *path, int create, struct unsub_key *key, struct err *err);

/* The member's token (malloc'd), or NULL (out of memory). list names the
 * list (List-Id, else the sender); the address is compared without ASCII
 * case. */
char *unsub_token(const struct unsub_key *key, const char *list, const char *address);
/* The address a token was made for (malloc'd, lower-cased), or NULL when
 * the token is not one of this key and list's. */
char *unsub_token_verify(const struct unsub_key *key, const char *list, const char *token);

/* The list a token is made for: [mail] list_id, else from_address. */
const char *unsub_list(const struct config *c);

/* The member named by the first valid token in text: a "token=" followed
 * by a token, as a link of unsub_links carries it (in the List-Unsubscribe
 * header of a returned message, or the footer's link a reply quotes).
 * Looks at the first UNSUB_FIND_MAX candidates only: text from outside
 * buys at most that many HMACs. The address (malloc'd, lower-cased), or
 * NULL when none is this key and list's. */
#define UNSUB_FIND_MAX 32
char *unsub_token_find(const struct unsub_key *key, const char *list, const char *text);

/* A member's links from [mail] unsubscribe (mailto: and https: URLs): each
 * https one gets "?token=TOKEN" (or "&token=") added. *header (for
 * List-Unsubscribe) gets all of them, ", "-separated; *footer the one the
 * footer shows (the member's https link, else the mailto). token NULL:
 * the URLs as configured. Returns 0, or -1 (out of memory); either may
 * come back NULL when the setting has no URL. */
int unsub_links(const char *configured, const char *token, char **header, char **footer);

#endif
