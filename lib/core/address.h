/* Mail addresses as bulletin accepts them anywhere. */
#ifndef BULLETIN_ADDRESS_H
#define BULLETIN_ADDRESS_H

/* 1 when addr is a plausible single mailbox (local@domain, no spaces,
 * no CR/LF, no <>, printable ASCII or UTF-8 only). */
int mail_address_valid(const char *addr);

#endif
