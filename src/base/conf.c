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

#include "cidr.h"
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
	CT_LOGFORMAT,	/* logfmt, json */
	CT_CIDR,	/* a CIDR list, cidr.h (kept as text) */
	CT_ROLES,	/* admin, ra, auditor, comma separated: a bit mask */
	CT_ONOFF,	/* off, on */
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
	INT("http", "threads", http_threads, 1, 256),
	INT("http", "rate", http_rate, 1, 100000),
	INT("http", "burst", http_burst, 0, 100000),
	OTHER("publish", "listen", CT_HOSTPORT, publish_listen, 0),
	STR("publish", "dir", publish_dir, 0),
	INT("publish", "crl_validity_hours", publish_crl_hours, 1, 240),
	INT("publish", "expired_on_crl", publish_expired_on_crl, 0, 1),
	INT("publish", "crl_keep_days", publish_crl_keep_days, 0, 36500),
	INT("publish", "crl_keep_count", publish_crl_keep_count, 0, 1000000),
	OTHER("publish", "delta_crl", CT_ONOFF, publish_delta_crl, 0),
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
	OTHER("ocsp", "presign", CT_ONOFF, ocsp_presign, 0),
	INT("ocsp", "presign_margin_secs", ocsp_presign_margin, 0, 10 * 86400),
	INT("ocsp", "presign_batch", ocsp_presign_batch, 1,
	    CONF_PRESIGN_BATCH_MAX),
	INT("ocsp", "presign_rate", ocsp_presign_rate, 1, 100000),
	OTHER("metrics", "listen", CT_HOSTPORT, metrics_listen, 0),
	OTHER("log", "format", CT_LOGFORMAT, log_format, 0),
	STR("backup", "destinations", backup_destinations, 0),
	STR("backup", "recipients", backup_recipients, 0),
	STR("backup", "label", backup_label, 0),
	INT("backup", "interval", backup_interval, 0, 366 * 86400),
	INT("backup", "retry", backup_retry, 1, 86400),
	INT("backup", "max_age", backup_max_age, 0, 366 * 86400),
	INT("backup", "allow_same_device", backup_allow_same_device, 0, 1),
	STR("hsm", "registry_entry", hsm_registry_entry, 0),
	INT("ca", "expiry_warn_days", ca_expiry_warn_days, 1, 3650),
	STR("ca", "root_cert", ca_root_cert, 0),
	INT("audit", "checkpoint_records", audit_cp_records, 1, 1000000),
	INT("audit", "checkpoint_minutes", audit_cp_minutes, 1, 24 * 60),
	INT("approval", "quorum", approval_quorum, 2, 16),
	INT("approval", "expiry_hours", approval_expiry_hours, 1, 30 * 24),
	OTHER("security", "secure_zone", CT_CIDR, sec_secure_zone, 0),
	OTHER("security", "trusted_proxies", CT_CIDR, sec_trusted_proxies, 0),
	OTHER("security", "require_second_factor", CT_ROLES, sec_require_roles,
	    0),
	STR("security", "totp_key_file", sec_totp_key_file, 0),
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

struct hsm_state;

struct parse_state {
	struct conf	*c;
	int		 seen[NKEYS];	/* line of each key, 0: not given */
	struct hsm_state *hsm;		/* the keys of [hsm "NAME"] */
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
static int	set_cidr(const struct conf_key *, const char *, char *,
		    char *, size_t);
static int	set_roles(const struct conf_key *, const char *, char *,
		    char *, size_t);

static const char *const mtls_words[] = { "off", "optional", "required",
    NULL };
static const char *const argon2_words[] = { "min", "interactive",
    "moderate", "sensitive", NULL };
static const char *const ocsp_signer_words[] = { "issuer", "delegated",
    NULL };
static const char *const log_format_words[] = { "logfmt", "json", NULL };
static const char *const onoff_words[] = { "off", "on", NULL };

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
	[CT_LOGFORMAT] = { set_word, log_format_words, "logfmt, json" },
	[CT_CIDR] = { set_cidr, NULL, NULL },
	[CT_ROLES] = { set_roles, NULL, "admin, ra, auditor" },
	[CT_ONOFF] = { set_word, onoff_words, "off, on" },
};

int
conf_valid_issuer_name(const char *s)
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

/* A CIDR list (cidr.h), checked here and kept as written. */
static int
set_cidr(const struct conf_key *k, const char *v, char *field, char *why,
    size_t whysz)
{
	struct cidr_list l;

	if (cidr_list_parse(v, k->name, &l) != ESEAL_OK) {
		snprintf(why, whysz, "%s", eseal_errmsg());
		eseal_errclear();
		return 0;
	}
	snprintf(field, k->size, "%s", v);
	return 1;
}

/* Role names, comma separated, into a bit mask: admin 1, ra 2, auditor 4
 * (the order of account.h's enum role). */
static int
set_roles(const struct conf_key *k, const char *v, char *field, char *why,
    size_t whysz)
{
	static const char *const roles[] = { "admin", "ra", "auditor" };
	int mask = 0;

	while (*v != '\0') {
		size_t n;
		int i;

		v += strspn(v, " \t,");
		if ((n = strcspn(v, " \t,")) == 0)
			break;
		for (i = 0; i < 3; i++)
			if (strlen(roles[i]) == n && strncmp(v, roles[i], n) == 0)
				break;
		if (i == 3) {
			snprintf(why, whysz, "\"%.*s\" is not a role; one of "
			    "%s", (int)(n > 32 ? 32 : n), v,
			    types[k->type].list);
			return 0;
		}
		mask |= 1 << i;
		v += n;
	}
	*(int *)(void *)field = mask;
	return 1;
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

/* [hsm "NAME"]: the keys of one more token. */
static const struct {
	const char	*name;
	size_t		 off, size;
	int		 required;
} hsm_keys[] = {
	{ "module", offsetof(struct conf_hsm, module),
	  sizeof(((struct conf_hsm *)0)->module), 1 },
	{ "token", offsetof(struct conf_hsm, token),
	  sizeof(((struct conf_hsm *)0)->token), 1 },
	{ "pin_file", offsetof(struct conf_hsm, pin_file),
	  sizeof(((struct conf_hsm *)0)->pin_file), 1 },
	{ "registry_entry", offsetof(struct conf_hsm, registry_entry),
	  sizeof(((struct conf_hsm *)0)->registry_entry), 0 },
};
#define NHSMKEYS	(sizeof(hsm_keys) / sizeof(hsm_keys[0]))

/*
 * The NAME of a section `hsm "NAME"` into name: 1; 0 with why if the
 * section is one but malformed; -1 if it is not an hsm section at all.
 */
static int
hsm_section_name(const char *sec, char *name, char *why, size_t whysz)
{
	size_t n;

	if (strncmp(sec, "hsm", 3) != 0 || (sec[3] != ' ' && sec[3] != '"' &&
	    sec[3] != '\t'))
		return -1;
	sec += 3;
	while (*sec == ' ' || *sec == '\t')
		sec++;
	n = strlen(sec);
	if (n < 2 || sec[0] != '"' || sec[n - 1] != '"') {
		snprintf(why, whysz, "a named token is written [hsm \"NAME\"], "
		    "NAME in double quotes");
		return 0;
	}
	n -= 2;
	if (n == 0 || n > CONF_HSM_NAME_MAX || sec[1] == '-' ||
	    strspn(sec + 1, "abcdefghijklmnopqrstuvwxyz0123456789-") < n) {
		snprintf(why, whysz, "token name \"%.*s\" must be 1-%d "
		    "characters of a-z, 0-9 and '-', not starting with '-'",
		    (int)(n > 40 ? 40 : n), sec + 1, CONF_HSM_NAME_MAX);
		return 0;
	}
	memcpy(name, sec + 1, n);
	name[n] = '\0';
	if (strcmp(name, "default") == 0) {
		snprintf(why, whysz, "\"default\" is the plain [hsm]; name "
		    "the other tokens otherwise");
		return 0;
	}
	return 1;
}

struct hsm_state {
	int	seen[CONF_HSM_MAX][NHSMKEYS];	/* line of each key */
};

/* A key of [hsm "NAME"]: the token is added at its first key. */
static int
hsm_key(struct parse_state *st, struct hsm_state *hs, const char *name,
    const struct ini_key *k, struct ini_err *err)
{
	struct conf *c = st->c;
	struct conf_hsm *h = NULL;
	int i;

	for (i = 0; i < c->hsm_nnamed; i++)
		if (strcmp(c->hsm_named[i].name, name) == 0) {
			h = &c->hsm_named[i];
			break;
		}
	if (h == NULL) {
		if (c->hsm_nnamed == CONF_HSM_MAX)
			return ini_fail(err, k->section_line, k->section, NULL,
			    "more than %d [hsm \"NAME\"] tokens", CONF_HSM_MAX);
		i = c->hsm_nnamed++;
		h = &c->hsm_named[i];
		snprintf(h->name, sizeof(h->name), "%s", name);
		h->line = k->section_line;
	}
	for (size_t j = 0; j < NHSMKEYS; j++) {
		if (strcmp(hsm_keys[j].name, k->name) != 0)
			continue;
		if (hs->seen[i][j] != 0)
			return ini_fail(err, k->line, k->section, k->name,
			    "given twice (first at line %d)", hs->seen[i][j]);
		hs->seen[i][j] = k->line;
		if (strlen(k->value) >= hsm_keys[j].size)
			return ini_fail(err, k->line, k->section, k->name,
			    "value longer than %zu bytes",
			    hsm_keys[j].size - 1);
		strcpy((char *)h + hsm_keys[j].off, k->value);
		return 1;
	}
	return ini_fail(err, k->line, k->section, k->name, "unknown key "
	    "(a named token takes module, token, pin_file, registry_entry)");
}

static int
handler(void *user, const struct ini_key *k, struct ini_err *err)
{
	struct parse_state *st = user;
	const struct conf_key *ck;
	char why[256], name[CONF_HSM_NAME_MAX + 1];
	int r;

	if ((r = hsm_section_name(k->section, name, why, sizeof(why))) == 0)
		return ini_fail(err, k->section_line, k->section, NULL, "%s",
		    why);
	if (r == 1)
		return hsm_key(st, st->hsm, name, k, err);
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
	c->publish_crl_keep_days = 30;
	c->publish_crl_keep_count = CONF_CRL_KEEP_COUNT;
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
	c->ocsp_presign = 0;
	c->ocsp_presign_margin = 0;	/* half of validity_secs */
	c->ocsp_presign_batch = CONF_PRESIGN_BATCH;
	c->ocsp_presign_rate = CONF_PRESIGN_RATE;
	c->backup_retry = 300;
	c->http_body_max = 64 * 1024;
	c->http_header_max = 16 * 1024;
	c->http_timeout = 10;
	c->http_conn_max = 512;
	c->http_conn_per_ip = 32;
	c->http_threads = CONF_HTTP_THREADS;
	c->http_rate = 5;
	c->http_burst = 20;
	c->ca_expiry_warn_days = CONF_EXPIRY_WARN_DAYS;
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
	snprintf(c->sec_secure_zone, sizeof(c->sec_secure_zone),
	    CONF_SECURE_ZONE_DEFAULT);
}

/* After the file: each named token complete, and none the same as another. */
static void
hsm_check(const struct conf *c, const struct hsm_state *hs,
    struct ini_err *err)
{
	char sec[CONF_HSM_NAME_MAX + 8];

	for (int i = 0; i < c->hsm_nnamed && !err->failed; i++) {
		const struct conf_hsm *h = &c->hsm_named[i];

		snprintf(sec, sizeof(sec), "hsm \"%s\"", h->name);
		for (size_t j = 0; j < NHSMKEYS && !err->failed; j++)
			if (hsm_keys[j].required && hs->seen[i][j] == 0)
				ini_fail(err, h->line, sec, hsm_keys[j].name,
				    "required key missing");
		if (!err->failed && strcmp(h->module, c->hsm_module) == 0 &&
		    strcmp(h->token, c->hsm_token) == 0)
			ini_fail(err, h->line, sec, "token", "the same token as "
			    "[hsm] (the default token is used as \"default\")");
		for (int j = 0; j < i && !err->failed; j++)
			if (strcmp(h->module, c->hsm_named[j].module) == 0 &&
			    strcmp(h->token, c->hsm_named[j].token) == 0)
				ini_fail(err, h->line, sec, "token", "the same "
				    "token as [hsm \"%s\"] (line %d)",
				    c->hsm_named[j].name, c->hsm_named[j].line);
	}
}

const struct conf_hsm *
conf_hsm_find(const struct conf *c, const char *name)
{
	for (int i = 0; i < c->hsm_nnamed; i++)
		if (strcmp(c->hsm_named[i].name, name) == 0)
			return &c->hsm_named[i];
	return NULL;
}

enum eseal_rc
conf_load(const char *path, struct conf **out)
{
	struct parse_state st;
	struct hsm_state hs;
	struct ini_err err;
	struct conf *c;
	enum eseal_rc rc;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return eseal_err(ESEAL_ENOMEM, "conf: out of memory");
	defaults(c);
	memset(&st, 0, sizeof(st));
	memset(&hs, 0, sizeof(hs));
	st.c = c;
	st.hsm = &hs;
	if ((rc = ini_read(path, CONF_FILE_MAX, 0, handler, &st, &err)) !=
	    ESEAL_OK) {
		free(c);
		return rc;
	}
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].required && st.seen[i] == 0)
			ini_fail(&err, 0, keys[i].section, keys[i].name,
			    "required key missing");
	if (!err.failed && !conf_valid_issuer_name(c->ca_issuer))
		ini_fail(&err, seen_line(&st, "ca", "issuer"), "ca", "issuer",
		    "\"%s\" "
		    "must be 1-63 characters of a-z, 0-9 and '-'",
		    c->ca_issuer);
	if (!err.failed && c->backup_interval > 0 &&
	    (c->backup_destinations[0] == '\0' ||
	    c->backup_recipients[0] == '\0'))
		ini_fail(&err, seen_line(&st, "backup", "interval"), "backup",
		    "interval", "scheduled backups need [backup] destinations "
		    "and recipients");
	if (!err.failed && c->ocsp_presign_margin >= c->ocsp_validity_secs)
		ini_fail(&err, seen_line(&st, "ocsp", "presign_margin_secs"),
		    "ocsp", "presign_margin_secs", "%d must be less than "
		    "[ocsp] validity_secs (%d): an answer is signed again that "
		    "long before its nextUpdate", c->ocsp_presign_margin,
		    c->ocsp_validity_secs);
	if (!err.failed)
		hsm_check(c, &hs, &err);
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
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	char cred[CONF_PATH_MAX];

	/* systemd's LoadCredential=hsm-pin:... (docs/operations.md) first. */
	if (dir != NULL && dir[0] != '\0' && (size_t)snprintf(cred,
	    sizeof(cred), "%s/%s", dir, CONF_PIN_CREDENTIAL) < sizeof(cred) &&
	    access(cred, F_OK) == 0)
		return conf_read_pin_file("[hsm] (systemd credential "
		    CONF_PIN_CREDENTIAL ")", cred, buf, bufsz);
	return conf_read_pin_file("[hsm]", c->hsm_pin_file, buf, bufsz);
}

enum eseal_rc
conf_read_pin_file(const char *sec, const char *path, char *buf,
    size_t bufsz)
{
	struct stat sb;
	ssize_t n;
	int fd;

	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return eseal_err(ESEAL_ECONF, "%s pin_file %s: cannot open: "
		    "%s", sec, path, strerror(errno));
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return eseal_err(ESEAL_ECONF, "%s pin_file %s: not a "
		    "regular file", sec, path);
	}
	if ((sb.st_mode & 077) != 0) {
		close(fd);
		return eseal_err(ESEAL_ECONF, "%s pin_file %s: mode %04o "
		    "lets group or others read it; the PIN must be readable "
		    "by its owner only (chmod 600)", sec, path,
		    (unsigned)(sb.st_mode & 07777));
	}
	n = read(fd, buf, bufsz - 1);
	close(fd);
	if (n < 0)
		return eseal_err(ESEAL_ECONF, "%s pin_file %s: %s",
		    sec, path, strerror(errno));
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0' || (size_t)n == bufsz - 1)
		return eseal_err(ESEAL_ECONF, "%s pin_file %s: empty, or "
		    "longer than %zu bytes", sec, path, bufsz - 2);
	return ESEAL_OK;
}
