/*
 * audit_int.h: what the files of the audit module share (audit.c,
 * audit_verify.c, audit_bundle.c).  Not for anyone else.
 */
#ifndef ESEAL_AUDIT_INT_H
#define ESEAL_AUDIT_INT_H

#include "p11.h"

/* The attached MAC key's token (borrowed), or NULL. */
struct p11_token *audit_mac_token(void);

#endif
