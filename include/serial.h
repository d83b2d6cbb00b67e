/*
 * serial.h: certificate serial numbers (RFC 5280 4.1.2.2, CA/B Forum 7.1):
 * SERIAL_BYTES from the CSPRNG, first byte 0x01..0x7f, so the number is
 * positive, never zero, exactly SERIAL_BYTES octets and >= 120 random bits.
 */
#ifndef ESEAL_SERIAL_H
#define ESEAL_SERIAL_H

#include <openssl/bn.h>

#include "err.h"
#include "store.h"

#define SERIAL_BYTES	16

/* Draws a serial: *bn is new (caller frees), hex is its lower-case hex. */
enum eseal_rc	serial_new(BIGNUM **bn, char hex[STORE_SERIAL_HEX_MAX]);

/* Lower-case hex of a serial, as stored.  0 if too long. */
int		serial_hex(const BIGNUM *bn, char hex[STORE_SERIAL_HEX_MAX]);

/*
 * The CRL shard of a serial (0 .. nshards-1): its low 32 bits modulo
 * nshards.  Fixed at issuance and baked into the certificate's CRL
 * distribution point, so it must never change.  -1 if hex is not a serial.
 */
int		serial_shard(const char *hex, int nshards);

#endif
