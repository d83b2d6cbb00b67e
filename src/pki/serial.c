/* serial.c: drawing certificate serial numbers from the CSPRNG. */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "serial.h"

int
serial_hex(const BIGNUM *bn, char hex[STORE_SERIAL_HEX_MAX])
{
	char *h;
	size_t n;

	if ((h = BN_bn2hex(bn)) == NULL)
		return 0;
	n = strlen(h);
	if (n >= STORE_SERIAL_HEX_MAX) {
		OPENSSL_free(h);
		return 0;
	}
	for (size_t i = 0; i <= n; i++)
		hex[i] = (char)tolower((unsigned char)h[i]);
	OPENSSL_free(h);
	return 1;
}

enum eseal_rc
serial_new(BIGNUM **bn, char hex[STORE_SERIAL_HEX_MAX])
{
	unsigned char b[SERIAL_BYTES];

	*bn = NULL;
	do {
		if (RAND_bytes(b, sizeof(b)) != 1)
			return eseal_err(ESEAL_EINTERNAL, "serial: the CSPRNG "
			    "failed");
		b[0] &= 0x7f;	/* positive: the DER INTEGER needs no 0x00 */
	} while (b[0] == 0);	/* exactly SERIAL_BYTES octets, never zero */
	if ((*bn = BN_bin2bn(b, sizeof(b), NULL)) == NULL)
		return eseal_err(ESEAL_ENOMEM, "serial: out of memory");
	if (!serial_hex(*bn, hex)) {
		BN_free(*bn);
		*bn = NULL;
		return eseal_err(ESEAL_ENOMEM, "serial: out of memory");
	}
	return ESEAL_OK;
}

int
serial_shard(const char *hex, int nshards)
{
	size_t n = strlen(hex);
	uint32_t low = 0;

	if (n == 0 || n >= STORE_SERIAL_HEX_MAX || nshards < 1)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)hex[i]))
			return -1;
	for (size_t i = n > 8 ? n - 8 : 0; i < n; i++) {
		int c = tolower((unsigned char)hex[i]);

		low = (low << 4) | (uint32_t)(c <= '9' ? c - '0' : c - 'a' + 10);
	}
	return (int)(low % (uint32_t)nshards);
}
