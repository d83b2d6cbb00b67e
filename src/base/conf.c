/*
 * conf.c: reads eseald.conf with the INI reader (ini.c, inih underneath)
 * into one struct conf.  A table lists every key with its section, type
 * and limits, and a second one how each type is read; anything not in the
 * table is an error, as is a value outside its limits or a missing
 * required key.  Also conf_ini_parse(), the same reader for the profiles.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "ini.h"
#include "log.h"

enum conf_type {
	CT_STR,		/* string copied into a char array */
	CT_INT,		/* decimal integer within [min, max] */
	CT_KEYTYPE,	/* key_type_parse() */
	CT_LOGLEVEL,	/* log_level_parse() */
	CT_COUNTRY,	/* two upper-case letters */
	CT_HOSTPORT,	/* host:port, port 1..65535 */
	CT_MTLS,	/* off, optional, required */
	CT_ARGON2,	/* min, interactive, moderate, sensitive */
	CT_OCSP_SIGNER,	/* issuer, delegated */
	CT_TYPE_MAX
};

struct conf_key {
	const char	*section;
	const char	*name;
	enum conf_type	 type;
	size_t		 off;		/* offset in struct conf */
	size_t		 size;		/* size of the field (CT_STR) */
	long		 min, max;	/* CT_INT */
	int		 required;
};

#define STR(sec, key, field, req) \
	{ sec, key, CT_STR, offsetof(struct conf, field), \
	  sizeof(((struct conf *)0)->field), 0, 0, req }
#define INT(sec, key, field, lo, hi) \
	{ sec, key, CT_INT, offsetof(struct conf, field), sizeof(int), lo, hi, 0 }
#define OTHER(sec, key, type, field, req) \
	{ sec, key, type, offsetof(struct conf, field), \
	  sizeof(((struct conf *)0)->field), 0, 0, req }

static const struct conf_key keys[] = {
	STR("store", "path", store_path, 1),
	INT("store", "min_free_mb", store_min_free_mb, 0, 1024 * 1024),
	STR("hsm", "module", hsm_module, 1),
	STR("hsm", "token", hsm_token, 1),
	STR("hsm", "pin_file", hsm_pin_file, 1),
	STR("ca", "issuer", ca_issuer, 1),
	OTHER("ca", "country", CT_COUNTRY, ca_country, 1),
	STR("ca", "organization", ca_organization, 1),
	STR("ca", "common_name", ca_common_name, 1),
	OTHER("ca", "key_type", CT_KEYTYPE, ca_key_type, 0),
	INT("ca", "validity_days", ca_validity_days, 1, 365 * 30),
	INT("ca", "crl_shards", ca_crl_shards, 1, 256),
	INT("issue", "validity_days", issue_validity_days, 1, 365 * 5),
	STR("issue", "profiles_dir", issue_profiles_dir, 0),
	STR("issue", "profile", issue_profile, 0),
	STR("issue", "crypto_policy", issue_crypto_policy, 0),
	STR("hsm", "registry", hsm_registry, 0),
	STR("publish", "base_url", publish_base_url, 0),
	OTHER("http", "listen", CT_HOSTPORT, http_listen, 0),
	STR("http", "tls_cert", http_tls_cert, 0),
	STR("http", "tls_key", http_tls_key, 0),
	STR("http", "tls_priorities", http_tls_priorities, 0),
	STR("http", "client_ca", http_client_ca, 0),
	OTHER("http", "mtls", CT_MTLS, http_mtls, 0),
	INT("http", "body_max", http_body_max, 1024, 16 * 1024 * 1024),
	INT("http", "header_max", http_header_max, 4096, 1024 * 1024),
	INT("http", "timeout", http_timeout, 1, 3600),
	INT("http", "conn_max", http_conn_max, 1, 100000),
	INT("http", "conn_per_ip", http_conn_per_ip, 1, 10000),
	INT("http", "rate", http_rate, 1, 100000),
	INT("http", "burst", http_burst, 0, 100000),
	OTHER("publish", "listen", CT_HOSTPORT, publish_listen, 0),
	STR("publish", "dir", publish_dir, 0),
	INT("publish", "crl_validity_hours", publish_crl_hours, 1, 240),
	INT("publish", "expired_on_crl", publish_expired_on_crl, 0, 1),
	OTHER("log", "level", CT_LOGLEVEL, log_level, 0),
	OTHER("accounts", "argon2", CT_ARGON2, acct_argon2, 0),
	INT("accounts", "idle_timeout", acct_idle, 60, 86400),
	INT("accounts", "absolute_timeout", acct_absolute, 300, 7 * 86400),
	INT("accounts", "lock_after", acct_lock_after, 1, 100),
	INT("accounts", "lock_secs", acct_lock_secs, 1, 86400),
	STR("enrol", "disclosure_dir", enrol_disclosure_dir, 0),
	INT("enrol", "code_ttl", enrol_code_ttl, 60, 90 * 86400),
	OTHER("ocsp", "signer", CT_OCSP_SIGNER, ocsp_delegated, 0),
	INT("ocsp", "validity_secs", ocsp_validity_secs, 60, 10 * 86400),
	INT("audit", "checkpoint_records", audit_cp_records, 1, 1000000),
	INT("audit", "checkpoint_minutes", audit_cp_minutes, 1, 24 * 60),
	INT("approval", "quorum", approval_quorum, 2, 16),
	INT("approval", "expiry_hours", approval_expiry_hours, 1, 30 * 24),
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

struct parse_state {
	struct conf	*c;
	int		 seen[NKEYS];	/* line of each key, 0: not given */
};

/* Reads v into field, the place of key k; on failure writes why. */
typedef int (*conf_setter)(const struct conf_key *k, const char *v,
    char *field, char *why, size_t whysz);

static int	set_str(const struct conf_key *, const char *, char *, char *,
		    size_t);
static int	set_int(const struct conf_key *, const char *, char *, char *,
		    size_t);
static int	set_keytype(const struct conf_key *, const char *, char *,
		    char *, size_t);
static int	set_loglevel(const struct conf_key *, const char *, char *,
		    char *, size_t);
static int	set_country(const struct conf_key *, const char *, char *,
		    char *, size_t);
static int	set_hostport(const struct conf_key *, const char *, char *,
		    char *, size_t);
static int	set_word(const struct conf_key *, const char *, char *,
		    char *, size_t);

static const char *const mtls_words[] = { "off", "optional", "required",
    NULL };
static const char *const argon2_words[] = { "min", "interactive",
    "moderate", "sensitive", NULL };
static const char *const ocsp_signer_words[] = { "issuer", "delegated",
    NULL };

/* How each type of value is read, and what a refusal lists. */
static const struct {
	conf_setter		 set;
	const char *const	*words;	/* set_word: the values 0, 1, ... */
	const char		*list;	/* the values a refusal names */
} types[CT_TYPE_MAX] = {
	[CT_STR] = { set_str, NULL, NULL },
	[CT_INT] = { set_int, NULL, NULL },
	[CT_KEYTYPE] = { set_keytype, NULL,
	    "ec-p256, ec-p384, rsa-3072, rsa-4096" },
	[CT_LOGLEVEL] = { set_loglevel, NULL, "debug, info, warn, error" },
	[CT_COUNTRY] = { set_country, NULL, NULL },
	[CT_HOSTPORT] = { set_hostport, NULL, NULL },
	[CT_MTLS] = { set_word, mtls_words, "off, optional, required" },
	[CT_ARGON2] = { set_word, argon2_words,
	    "min (tests only), interactive, moderate, sensitive" },
	[CT_OCSP_SIGNER] = { set_word, ocsp_signer_words,
	    "issuer, delegated" },
};

static int
valid_issuer_name(const char *s)
{
	/* Used in URLs and file names: [a-z0-9-], 1..63, not leading '-'. */
	size_t n = strlen(s);

	if (n == 0 || n > 63 || s[0] == '-')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '-'))
			return 0;
	return 1;
}

static int
set_str(const struct conf_key *k, const char *v, char *field, char *why,
    size_t whysz)
{
	if (strlen(v) >= k->size) {
		snprintf(why, whysz, "value longer than %zu bytes",
		    k->size - 1);
		return 0;
	}
	strcpy(field, v);
	return 1;
}

static int
set_int(const struct conf_key *k, const char *v, char *field, char *why,
    size_t whysz)
{
	char *end;
	long l;

	errno = 0;
	l = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || l < k->min ||
	    l > k->max) {
		snprintf(why, whysz, "\"%s\" is not an integer from %ld to %ld",
		    v, k->min, k->max);
		return 0;
	}
	*(int *)(void *)field = (int)l;
	return 1;
}

static int
set_keytype(const struct conf_key *k, const char *v, char *field, char *why,
    size_t whysz)
{
	int i;

	if ((i = key_type_parse(v)) < 0) {
		snprintf(why, whysz, "\"%s\" is not one of %s", v,
		    types[k->type].list);
		return 0;
	}
	*(enum key_type *)(void *)field = (enum key_type)i;
	return 1;
}

static int
set_loglevel(const struct conf_key *k, const char *v, char *field, char *why,
    size_t whysz)
{
	int i;

	if ((i = log_level_parse(v)) < 0) {
		snprintf(why, whysz, "\"%s\" is not one of %s", v,
		    types[k->type].list);
		return 0;
	}
	*(int *)(void *)field = i;
	return 1;
}

static int
set_country(const struct conf_key *k, const char *v, char *field, char *why,
    size_t whysz)
{
	(void)k;
	if (strlen(v) != 2 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' ||
	    v[1] > 'Z') {
		snprintf(why, whysz, "\"%s\" is not an ISO 3166 two-letter "
		    "country code (e.g. JP)", v);
		return 0;
	}
	strcpy(field, v);
	return 1;
}

static int
set_hostport(const struct conf_key *k, const char *v, char *field, char *why,
    size_t whysz)
{
	const char *colon = strrchr(v, ':');
	char *end;
	long l;

	if (colon == NULL || colon == v || strlen(v) >= k->size) {
		snprintf(why, whysz, "\"%s\" is not host:port", v);
		return 0;
	}
	errno = 0;
	l = strtol(colon + 1, &end, 10);
	if (*end != '\0' || errno != 0 || l < 1 || l > 65535) {
		snprintf(why, whysz, "\"%s\": port must be 1 to 65535", v);
		return 0;
	}
	strcpy(field, v);
	return 1;
}

/* One of the words of the key's type; the field gets its index. */
static int
set_word(const struct conf_key *k, const char *v, char *field, char *why,
    size_t whysz)
{
	const char *const *w = types[k->type].words;

	for (int i = 0; w[i] != NULL; i++)
		if (strcmp(v, w[i]) == 0) {
			*(int *)(void *)field = i;
			return 1;
		}
	snprintf(why, whysz, "\"%s\" is not one of %s", v, types[k->type].list);
	return 0;
}

/* The line where [section] name was given, 0 if it was not. */
static int
seen_line(const struct parse_state *st, const char *section, const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].name, name) == 0)
			return st->seen[i];
	return 0;
}

static int
handler(void *user, const struct ini_key *k, struct ini_err *err)
{
	struct parse_state *st = user;
	const struct conf_key *ck;
	char why[256];

	for (size_t i = 0; i < NKEYS; i++) {
		ck = &keys[i];
		if (strcmp(ck->section, k->section) != 0 ||
		    strcmp(ck->name, k->name) != 0)
			continue;
		if (st->seen[i] != 0)
			return ini_fail(err, k->line, k->section, k->name,
			    "given twice (first at line %d)", st->seen[i]);
		st->seen[i] = k->line;
		if (!types[ck->type].set(ck, k->value, (char *)st->c + ck->off,
		    why, sizeof(why)))
			return ini_fail(err, k->line, k->section, k->name, "%s",
			    why);
		return 1;
	}
	return ini_fail(err, k->line, k->section, k->name, "unknown key");
}

/* conf_ini_parse()'s handler, called by ini_read()'s. */
struct compat {
	conf_ini_handler	 h;
	void			*user;
};

static int
compat_key(void *user, const struct ini_key *k, struct ini_err *err)
{
	struct compat *c = user;

	if (c->h(c->user, k->section, k->name, k->value))
		return 1;
	/* The handler keeps its own reason: why stays "". */
	return ini_fail(err, k->line, NULL, NULL, "%s", "");
}

enum eseal_rc
conf_ini_parse(const char *path, conf_ini_handler h, void *user, int *errline,
    char *why, size_t whylen)
{
	struct compat c = { h, user };
	struct ini_err err;

	*errline = 0;
	why[0] = '\0';
	if (ini_read(path, CONF_FILE_MAX, 0, compat_key, &c, &err) ==
	    ESEAL_OK)
		return ESEAL_OK;
	snprintf(why, whylen, "%s", err.msg);
	*errline = err.line;
	if (err.line == 0) {
		*errline = -1;
		errno = err.errnum;
	}
	return err.rc;
}

static void
defaults(struct conf *c)
{
	c->ca_key_type = KEY_EC_P384;
	c->ca_validity_days = 365 * 10;
	c->ca_crl_shards = 1;
	c->issue_validity_days = 365;
	snprintf(c->http_listen, sizeof(c->http_listen), "127.0.0.1:8443");
	snprintf(c->http_tls_priorities, sizeof(c->http_tls_priorities),
	    "SECURE256:+SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2");
	c->log_level = LOG_LEVEL_INFO;
	c->store_min_free_mb = CONF_STORE_MIN_FREE_MB;
	c->publish_crl_hours = 24;
	c->publish_expired_on_crl = 1;
	c->acct_argon2 = 1;
	c->acct_idle = 900;
	c->acct_absolute = 8 * 3600;
	c->acct_lock_after = 5;
	c->acct_lock_secs = 300;
	snprintf(c->enrol_disclosure_dir, sizeof(c->enrol_disclosure_dir),
	    "/etc/eseal/disclosure");
	c->enrol_code_ttl = 14 * 86400;
	c->ocsp_delegated = 0;
	c->ocsp_validity_secs = 60 * 60;
	c->http_body_max = 64 * 1024;
	c->http_header_max = 16 * 1024;
	c->http_timeout = 10;
	c->http_conn_max = 512;
	c->http_conn_per_ip = 32;
	c->http_rate = 5;
	c->http_burst = 20;
	snprintf(c->issue_profiles_dir, sizeof(c->issue_profiles_dir),
	    "/etc/eseal/profiles");
	snprintf(c->issue_profile, sizeof(c->issue_profile), "eseal");
	snprintf(c->issue_crypto_policy, sizeof(c->issue_crypto_policy),
	    "/etc/eseal/crypto-policy.conf");
	snprintf(c->hsm_registry, sizeof(c->hsm_registry),
	    "/etc/eseal/hsm-modules.conf");
	snprintf(c->publish_base_url, sizeof(c->publish_base_url),
	    "http://127.0.0.1:8080");
	c->audit_cp_records = 100;
	c->audit_cp_minutes = 10;
	c->approval_quorum = 2;
	c->approval_expiry_hours = 24;
}

enum eseal_rc
conf_load(const char *path, struct conf **out)
{
	struct parse_state st;
	struct ini_err err;
	struct conf *c;
	enum eseal_rc rc;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return eseal_err(ESEAL_ENOMEM, "conf: out of memory");
	defaults(c);
	memset(&st, 0, sizeof(st));
	st.c = c;
	if ((rc = ini_read(path, CONF_FILE_MAX, 0, handler, &st, &err)) !=
	    ESEAL_OK) {
		free(c);
		return rc;
	}
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].required && st.seen[i] == 0)
			ini_fail(&err, 0, keys[i].section, keys[i].name,
			    "required key missing");
	if (!err.failed && !valid_issuer_name(c->ca_issuer))
		ini_fail(&err, seen_line(&st, "ca", "issuer"), "ca", "issuer",
		    "\"%s\" "
		    "must be 1-63 characters of a-z, 0-9 and '-'",
		    c->ca_issuer);
	if (err.failed) {
		free(c);
		return ini_report(path, &err);
	}
	*out = c;
	return ESEAL_OK;
}

void
conf_free(struct conf *c)
{
	free(c);
}

enum eseal_rc
conf_read_pin(const struct conf *c, char *buf, size_t bufsz)
{
	struct stat sb;
	ssize_t n;
	int fd;

	buf[0] = '\0';
	fd = open(c->hsm_pin_file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return eseal_err(ESEAL_ECONF, "[hsm] pin_file %s: cannot open: "
		    "%s", c->hsm_pin_file, strerror(errno));
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return eseal_err(ESEAL_ECONF, "[hsm] pin_file %s: not a "
		    "regular file", c->hsm_pin_file);
	}
	if ((sb.st_mode & 077) != 0) {
		close(fd);
		return eseal_err(ESEAL_ECONF, "[hsm] pin_file %s: mode %04o "
		    "lets group or others read it; the PIN must be readable "
		    "by its owner only (chmod 600)", c->hsm_pin_file,
		    (unsigned)(sb.st_mode & 07777));
	}
	n = read(fd, buf, bufsz - 1);
	close(fd);
	if (n < 0)
		return eseal_err(ESEAL_ECONF, "[hsm] pin_file %s: %s",
		    c->hsm_pin_file, strerror(errno));
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0' || (size_t)n == bufsz - 1)
		return eseal_err(ESEAL_ECONF, "[hsm] pin_file %s: empty, or "
		    "longer than %zu bytes", c->hsm_pin_file, bufsz - 2);
	return ESEAL_OK;
}
