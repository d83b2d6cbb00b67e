/*
 * fuzz_backup.c: libFuzzer harness for what reads a backup file before
 * any key is used or after it was decrypted: backup_cms_parse() (the DER
 * CMS layer), backup_unpack() (the ustar archive) and
 * backup_manifest_parse() (the manifest JSON), each fed the whole input.
 * Beyond "does not crash" it aborts when an accepted CMS file also parses
 * with a byte less or more (the exact-length rule), when an accepted
 * archive's parts lie outside the input or break their limits, or when an
 * accepted manifest does not survive being written and read again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>

#include "backup.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
cms_layer(const uint8_t *data, size_t size)
{
	unsigned char *more;
	void *c = NULL;

	if (backup_cms_parse(data, size, &c) != ESEAL_OK) {
		if (c != NULL)
			abort();
		return;
	}
	CMS_ContentInfo_free(c);
	c = NULL;
	if (backup_cms_parse(data, size - 1, &c) == ESEAL_OK)
		abort();
	if ((more = malloc(size + 1)) == NULL)
		abort();
	memcpy(more, data, size);
	more[size] = 0;
	if (backup_cms_parse(more, size + 1, &c) == ESEAL_OK || c != NULL)
		abort();
	free(more);
}

/* Inside [data, data + size), and at most max bytes. */
static void
within(const uint8_t *data, size_t size, const unsigned char *p, size_t n,
    long long max)
{
	if (p < data || p + n > data + size || (long long)n > max)
		abort();
}

static void
manifest_layer(const unsigned char *json, size_t len)
{
	struct backup_manifest m, back;
	char *out;
	size_t olen;

	if (backup_manifest_parse(json, len, &m) != ESEAL_OK)
		return;
	if (m.version != BACKUP_VERSION || strlen(m.payload_sha256) != 64 ||
	    m.ncrls > BACKUP_CRLS_MAX)
		abort();
	if (backup_manifest_json(&m, &out, &olen) != ESEAL_OK)
		abort();
	if (backup_manifest_parse((unsigned char *)out, olen, &back) !=
	    ESEAL_OK || back.ncrls != m.ncrls ||
	    back.stats.certificates != m.stats.certificates ||
	    back.payload_size != m.payload_size ||
	    strcmp(back.payload_sha256, m.payload_sha256) != 0 ||
	    strcmp(back.label, m.label) != 0)
		abort();
	free(out);
	backup_manifest_clear(&back);
	backup_manifest_clear(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct backup_parts p;

	cms_layer(data, size);
	if (backup_unpack(data, size, &p) == ESEAL_OK) {
		if (size % 512 != 0)
			abort();
		within(data, size, p.manifest, p.manifest_len,
		    BACKUP_MANIFEST_MAX);
		within(data, size, p.sig, p.sig_len, BACKUP_SIG_MAX);
		within(data, size, p.cert, p.cert_len, BACKUP_CERT_MAX);
		within(data, size, p.payload, p.payload_len,
		    BACKUP_PAYLOAD_MAX);
		manifest_layer(p.manifest, p.manifest_len);
	}
	manifest_layer(data, size);
	return 0;
}
