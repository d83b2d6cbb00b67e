/*
 * backup_pack.c: the plaintext of a backup (backup_pack.h): the manifest
 * as JSON (jansson, every field checked on the way in) and the four-member
 * ustar archive (POSIX.1-2001 "ustar Interchange Format"), written and
 * read here and nowhere else.  Reading takes outside bytes: sizes are
 * checked before anything is used, and nothing may follow the archive.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "backup_pack.h"

#define TAR_BLOCK	512
#define TAR_RULE	"POSIX.1 ustar"
#define TAR_NMEMBERS	4
#define MF	"backup: manifest (docs/disaster-recovery.md, format 1): "

/* The members, in the order they must come, with their limits. */
static const struct {
	const char	*name;
	long long	 max;
} members[TAR_NMEMBERS] = {
	{ "manifest.json", BACKUP_MANIFEST_MAX },
	{ "manifest.sig", BACKUP_SIG_MAX },
	{ "signer.crt", BACKUP_CERT_MAX },
	{ "store.db", BACKUP_PAYLOAD_MAX },
};

/* --- the manifest ----------------------------------------------------- */

static json_t *
crls_json(const struct backup_manifest *m)
{
	json_t *a = json_array(), *o;

	for (size_t i = 0; a != NULL && i < m->ncrls; i++) {
		o = json_pack("{s:s, s:I, s:i, s:I}", "issuer", m->crls[i].issuer,
		    "issuer_id", (json_int_t)m->crls[i].issuer_id, "shard",
		    m->crls[i].shard, "number", (json_int_t)m->crls[i].number);
		if (o == NULL || json_array_append_new(a, o) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

enum eseal_rc
backup_manifest_json(const struct backup_manifest *m, char **out, size_t *len)
{
	const struct store_stats *s = &m->stats;
	json_t *j;

	*out = NULL;
	*len = 0;
	j = json_pack("{s:s, s:i, s:I, s:s, s:i, "
	    "s:{s:I, s:I, s:I, s:I, s:I}, "
	    "s:{s:I, s:s, s:I, s:s, s:I}, "
	    "s:{s:I}, s:o, s:{s:s, s:I, s:s}, s:{s:s}}",
	    "format", BACKUP_FORMAT, "version", m->version,
	    "created", (json_int_t)m->created, "label", m->label,
	    "schema_version", s->schema_version,
	    "counts", "issuers", (json_int_t)s->issuers, "certificates",
	    (json_int_t)s->certificates, "revocations",
	    (json_int_t)s->revocations, "audit", (json_int_t)s->audit,
	    "revoked_unknown", (json_int_t)s->revoked_unknown,
	    "audit", "head_seq", (json_int_t)s->audit_seq, "head_hash",
	    s->audit_hash, "checkpoint_seq", (json_int_t)s->ckpt_seq,
	    "checkpoint_hash", s->ckpt_hash, "checkpoint_created",
	    (json_int_t)s->ckpt_created,
	    "high_water", "last_certificate_created",
	    (json_int_t)s->last_cert_created,
	    "crl_numbers", crls_json(m),
	    "payload", "name", "store.db", "size", (json_int_t)m->payload_size,
	    "sha256", m->payload_sha256,
	    "signer", "issuer", m->signer);
	if (j == NULL)
		return eseal_err(ESEAL_ENOMEM, "backup: cannot build the "
		    "manifest");
	*out = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(j);
	if (*out == NULL)
		return eseal_err(ESEAL_ENOMEM, "backup: out of memory");
	*len = strlen(*out);
	return ESEAL_OK;
}

/* Copies a JSON string of at most sz - 1 bytes; 0 if longer. */
static int
copy_str(char *dst, size_t sz, const char *src)
{
	if (strlen(src) >= sz)
		return 0;
	memcpy(dst, src, strlen(src) + 1);
	return 1;
}

/* 1 if s is 64 lower-case hex digits, or empty when may_be_empty. */
static int
valid_hash_hex(const char *s, int may_be_empty)
{
	size_t n = strlen(s);

	if (n == 0)
		return may_be_empty;
	if (n != 64)
		return 0;
	return strspn(s, "0123456789abcdef") == 64;
}

static enum eseal_rc
parse_crls(json_t *a, struct backup_manifest *m)
{
	json_error_t e;
	const char *iss;
	json_int_t id, num;
	int shard;

	if (json_array_size(a) > BACKUP_CRLS_MAX)
		return eseal_err(ESEAL_EINVAL, MF "crl_numbers: "
		    "more than %d entries", BACKUP_CRLS_MAX);
	if (json_array_size(a) > 0 && (m->crls = calloc(json_array_size(a),
	    sizeof(*m->crls))) == NULL)
		return eseal_err(ESEAL_ENOMEM, "backup: out of memory");
	for (size_t i = 0; i < json_array_size(a); i++) {
		if (json_unpack_ex(json_array_get(a, i), &e, JSON_STRICT,
		    "{s:s, s:I, s:i, s:I}", "issuer", &iss, "issuer_id", &id,
		    "shard", &shard, "number", &num) != 0)
			return eseal_err(ESEAL_EINVAL, MF
			    "crl_numbers[%zu]: %s", i, e.text);
		if (!copy_str(m->crls[i].issuer, sizeof(m->crls[i].issuer),
		    iss) || shard < 0 || shard > 255 || num < 1 || id < 1)
			return eseal_err(ESEAL_EINVAL, MF
			    "crl_numbers[%zu]: issuer name, id, shard (0..255) "
			    "or number (>= 1) out of range", i);
		m->crls[i].issuer_id = id;
		m->crls[i].shard = shard;
		m->crls[i].number = num;
		m->ncrls++;
	}
	return ESEAL_OK;
}

/* The format and version, read first so that a newer file says so. */
static enum eseal_rc
parse_version(json_t *j, struct backup_manifest *m)
{
	json_t *f = json_object_get(j, "format"), *v = json_object_get(j,
	    "version");

	if (!json_is_string(f) || strcmp(json_string_value(f), BACKUP_FORMAT)
	    != 0)
		return eseal_err(ESEAL_EINVAL, MF "format is "
		    "not \"%s\": not an eseal-ca backup", BACKUP_FORMAT);
	if (!json_is_integer(v))
		return eseal_err(ESEAL_EINVAL, MF "version is "
		    "missing or not an integer");
	if (json_integer_value(v) != BACKUP_VERSION)
		return eseal_err(ESEAL_EINVAL, MF "format "
		    "version %lld is not one this program reads (%d)",
		    (long long)json_integer_value(v), BACKUP_VERSION);
	m->version = BACKUP_VERSION;
	return ESEAL_OK;
}

enum eseal_rc
backup_manifest_parse(const unsigned char *buf, size_t len,
    struct backup_manifest *m)
{
	struct store_stats *s = &m->stats;
	const char *fmt, *label, *head, *ckpt, *pname, *sha, *signer;
	json_int_t cr, ni, nc, nr, na, nu, hs, cs, cc, hw, psz;
	json_error_t e;
	json_t *j, *crls;
	enum eseal_rc rc;
	int ver, schema;

	memset(m, 0, sizeof(*m));
	if (len > BACKUP_MANIFEST_MAX)
		return eseal_err(ESEAL_EINVAL, MF "larger than "
		    "%d bytes", BACKUP_MANIFEST_MAX);
	if ((j = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES,
	    &e)) == NULL)
		return eseal_err(ESEAL_EINVAL, MF "RFC 8259: "
		    "not JSON (line %d: %s)", e.line, e.text);
	if ((rc = parse_version(j, m)) != ESEAL_OK)
		goto out;
	if (json_unpack_ex(j, &e, JSON_STRICT, "{s:s, s:i, s:I, s:s, s:i, "
	    "s:{s:I, s:I, s:I, s:I, s:I}, s:{s:I, s:s, s:I, s:s, s:I}, "
	    "s:{s:I}, s:o, s:{s:s, s:I, s:s}, s:{s:s}}",
	    "format", &fmt, "version", &ver, "created", &cr, "label", &label,
	    "schema_version", &schema,
	    "counts", "issuers", &ni, "certificates", &nc, "revocations", &nr,
	    "audit", &na, "revoked_unknown", &nu,
	    "audit", "head_seq", &hs, "head_hash", &head, "checkpoint_seq", &cs,
	    "checkpoint_hash", &ckpt, "checkpoint_created", &cc,
	    "high_water", "last_certificate_created", &hw,
	    "crl_numbers", &crls,
	    "payload", "name", &pname, "size", &psz, "sha256", &sha,
	    "signer", "issuer", &signer) != 0) {
		rc = eseal_err(ESEAL_EINVAL, MF "%s%s%s", e.text,
		    e.source[0] ? " at " : "", e.source);
		goto out;
	}
	if (!json_is_array(crls) || !copy_str(m->label, sizeof(m->label), label)
	    || !copy_str(s->audit_hash, sizeof(s->audit_hash), head) ||
	    !copy_str(s->ckpt_hash, sizeof(s->ckpt_hash), ckpt) ||
	    !copy_str(m->payload_sha256, sizeof(m->payload_sha256), sha) ||
	    !copy_str(m->signer, sizeof(m->signer), signer) ||
	    strcmp(pname, "store.db") != 0 || !valid_hash_hex(sha, 0) ||
	    !valid_hash_hex(head, 1) || !valid_hash_hex(ckpt, 1) ||
	    ni < 0 || nc < 0 || nr < 0 || na < 0 || nu < 0 || hs < 0 ||
	    cs < 0 || psz < 0 || psz > BACKUP_PAYLOAD_MAX) {
		rc = eseal_err(ESEAL_EINVAL, MF "a field is out "
		    "of range (hashes are 64 hex digits, counts >= 0, the "
		    "payload is store.db)");
		goto out;
	}
	m->created = cr;
	s->schema_version = schema;
	s->issuers = ni;
	s->certificates = nc;
	s->revocations = nr;
	s->audit = na;
	s->revoked_unknown = nu;
	s->audit_seq = hs;
	s->ckpt_seq = cs;
	s->ckpt_created = cc;
	s->has_checkpoints = cs > 0;
	s->last_cert_created = hw;
	m->payload_size = psz;
	rc = parse_crls(crls, m);
out:
	json_decref(j);
	if (rc != ESEAL_OK)
		backup_manifest_clear(m);
	return rc;
}

void
backup_manifest_clear(struct backup_manifest *m)
{
	if (m == NULL)
		return;
	free(m->crls);
	memset(m, 0, sizeof(*m));
}

/* --- the archive ------------------------------------------------------ */

/* The ustar header of one member into the zeroed block h. */
static void
tar_header(unsigned char h[TAR_BLOCK], const char *name, size_t size,
    int64_t mtime)
{
	unsigned sum = 0;
	char num[32];

	snprintf((char *)h, 100, "%s", name);
	memcpy(h + 100, "0000600", 8);		/* mode */
	memcpy(h + 108, "0000000", 8);		/* uid */
	memcpy(h + 116, "0000000", 8);		/* gid */
	/* 11 octal digits and a NUL: sizes are below 8 GiB (checked). */
	snprintf(num, sizeof(num), "%011llo", (unsigned long long)size &
	    077777777777ULL);
	memcpy(h + 124, num, 12);
	snprintf(num, sizeof(num), "%011llo", (unsigned long long)
	    (mtime < 0 ? 0 : mtime) & 077777777777ULL);
	memcpy(h + 136, num, 12);
	memset(h + 148, ' ', 8);		/* chksum, while summing */
	h[156] = '0';				/* regular file */
	memcpy(h + 257, "ustar", 6);		/* magic, NUL */
	memcpy(h + 263, "00", 2);		/* version */
	for (int i = 0; i < TAR_BLOCK; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum & 0777777);
	h[155] = ' ';
}

enum eseal_rc
backup_pack(const struct backup_parts *p, int64_t mtime, unsigned char **out,
    size_t *len)
{
	const unsigned char *data[TAR_NMEMBERS] = { p->manifest, p->sig,
	    p->cert, p->payload };
	size_t size[TAR_NMEMBERS] = { p->manifest_len, p->sig_len, p->cert_len,
	    p->payload_len };
	size_t total = 2 * TAR_BLOCK, off = 0;
	unsigned char *b;

	*out = NULL;
	*len = 0;
	for (int i = 0; i < TAR_NMEMBERS; i++) {
		if ((long long)size[i] > members[i].max)
			return eseal_err(ESEAL_EINVAL, "backup: %s is larger "
			    "than %lld bytes", members[i].name, members[i].max);
		total += TAR_BLOCK + (size[i] + TAR_BLOCK - 1) / TAR_BLOCK *
		    TAR_BLOCK;
	}
	if ((b = calloc(1, total)) == NULL)
		return eseal_err(ESEAL_ENOMEM, "backup: out of memory (%zu "
		    "bytes)", total);
	for (int i = 0; i < TAR_NMEMBERS; i++) {
		tar_header(b + off, members[i].name, size[i], mtime);
		off += TAR_BLOCK;
		if (size[i] > 0)
			memcpy(b + off, data[i], size[i]);
		off += (size[i] + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
	}
	*out = b;
	*len = total;
	return ESEAL_OK;
}

/* Reads the octal field f of n bytes (digits, then NUL or space). */
static int
octal(const unsigned char *f, size_t n, long long *v)
{
	size_t i = 0;

	*v = 0;
	while (i < n && f[i] == ' ')
		i++;
	if (i == n || f[i] < '0' || f[i] > '7')
		return 0;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
		if (*v > (1LL << 40))
			return 0;
		*v = *v * 8 + (f[i] - '0');
	}
	for (; i < n; i++)
		if (f[i] != '\0' && f[i] != ' ')
			return 0;
	return 1;
}

/* Checks the header h of member i; *size gets its size. */
static enum eseal_rc
tar_check(const unsigned char h[TAR_BLOCK], int i, long long *size)
{
	long long want;
	unsigned sum = 0;

	for (int k = 0; k < TAR_BLOCK; k++)
		sum += (k >= 148 && k < 156) ? ' ' : h[k];
	if (!octal(h + 148, 8, &want) || want != (long long)sum)
		return eseal_err(ESEAL_EINVAL, "backup: %s: header %d (%s): "
		    "the checksum does not match (changed or not a header)",
		    TAR_RULE, i + 1, members[i].name);
	if (memcmp(h + 257, "ustar", 6) != 0 || memcmp(h + 263, "00", 2) != 0)
		return eseal_err(ESEAL_EINVAL, "backup: %s: header %d: magic "
		    "is not \"ustar\\0\" \"00\"", TAR_RULE, i + 1);
	if (memchr(h, '\0', 100) == NULL || strcmp((const char *)h,
	    members[i].name) != 0 || h[345] != '\0')
		return eseal_err(ESEAL_EINVAL, "backup: %s: member %d must be "
		    "%s", TAR_RULE, i + 1, members[i].name);
	if (h[156] != '0' && h[156] != '\0')
		return eseal_err(ESEAL_EINVAL, "backup: %s: %s is not a "
		    "regular file (type '%c')", TAR_RULE, members[i].name,
		    h[156] >= 0x20 && h[156] < 0x7f ? h[156] : '?');
	if (!octal(h + 124, 12, size) || *size > members[i].max)
		return eseal_err(ESEAL_EINVAL, "backup: %s: %s: size is not "
		    "an octal number of at most %lld", TAR_RULE,
		    members[i].name, members[i].max);
	return ESEAL_OK;
}

enum eseal_rc
backup_unpack(const unsigned char *buf, size_t len, struct backup_parts *p)
{
	const unsigned char **data[TAR_NMEMBERS] = { &p->manifest, &p->sig,
	    &p->cert, &p->payload };
	size_t *size[TAR_NMEMBERS] = { &p->manifest_len, &p->sig_len,
	    &p->cert_len, &p->payload_len };
	static const unsigned char zero[2 * TAR_BLOCK];
	size_t off = 0, pad;
	long long n;
	enum eseal_rc rc;

	memset(p, 0, sizeof(*p));
	if (len % TAR_BLOCK != 0)
		return eseal_err(ESEAL_EINVAL, "backup: %s: %zu bytes is not a "
		    "whole number of %d-byte blocks (truncated, or bytes "
		    "added)", TAR_RULE, len, TAR_BLOCK);
	for (int i = 0; i < TAR_NMEMBERS; i++) {
		if (len - off < TAR_BLOCK)
			return eseal_err(ESEAL_EINVAL, "backup: %s: truncated "
			    "before member %d (%s)", TAR_RULE, i + 1,
			    members[i].name);
		if ((rc = tar_check(buf + off, i, &n)) != ESEAL_OK)
			return rc;
		off += TAR_BLOCK;
		pad = ((size_t)n + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
		if (len - off < pad)
			return eseal_err(ESEAL_EINVAL, "backup: %s: %s is "
			    "truncated (%lld bytes said, %zu there)", TAR_RULE,
			    members[i].name, n, len - off);
		*data[i] = buf + off;
		*size[i] = (size_t)n;
		off += pad;
	}
	if (len - off < sizeof(zero) || memcmp(buf + off, zero, sizeof(zero))
	    != 0)
		return eseal_err(ESEAL_EINVAL, "backup: %s: the archive does "
		    "not end with two zero blocks after %s (a fifth member, "
		    "or truncated)", TAR_RULE, members[TAR_NMEMBERS - 1].name);
	if (len - off != sizeof(zero))
		return eseal_err(ESEAL_EINVAL, "backup: %s: %zu bytes after the "
		    "end of the archive", TAR_RULE, len - off - sizeof(zero));
	return ESEAL_OK;
}
