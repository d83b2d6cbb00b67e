/*
 * conf.c: reads eseald.conf with inih into one struct conf.  A table lists
 * every key with its section, type and limits; anything not in the table is
 * an error, as is a value outside its limits or a missing required key.
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

#include <ini.h>

#include "conf.h"
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
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

struct parse_state {
	struct conf	*c;
	const char	*path;
	int		 seen[NKEYS];
	int		 failed;	/* the handler refused a line */
	char		 msg[512];	/* why, without "path:line: " */
	char		 why[256];	/* what set_value() disliked */
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
set_value(struct parse_state *st, const struct conf_key *k, const char *v)
{
	char *field = (char *)st->c + k->off;
	char *end;
	long l;
	int i;

	switch (k->type) {
	case CT_STR:
		if (strlen(v) >= k->size) {
			snprintf(st->why, sizeof(st->why),
			    "value longer than %zu bytes", k->size - 1);
			return 0;
		}
		strcpy(field, v);
		return 1;
	case CT_INT:
		errno = 0;
		l = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || errno != 0 ||
		    l < k->min || l > k->max) {
			snprintf(st->why, sizeof(st->why),
			    "\"%s\" is not an integer from %ld to %ld",
			    v, k->min, k->max);
			return 0;
		}
		*(int *)field = (int)l;
		return 1;
	case CT_KEYTYPE:
		if ((i = key_type_parse(v)) < 0) {
			snprintf(st->why, sizeof(st->why), "\"%s\" is not one of "
			    "ec-p256, ec-p384, rsa-3072, rsa-4096", v);
			return 0;
		}
		*(enum key_type *)field = (enum key_type)i;
		return 1;
	case CT_LOGLEVEL:
		if ((i = log_level_parse(v)) < 0) {
			snprintf(st->why, sizeof(st->why),
			    "\"%s\" is not one of debug, info, warn, error", v);
			return 0;
		}
		*(int *)field = i;
		return 1;
	case CT_COUNTRY:
		if (strlen(v) != 2 || v[0] < 'A' || v[0] > 'Z' ||
		    v[1] < 'A' || v[1] > 'Z') {
			snprintf(st->why, sizeof(st->why), "\"%s\" is not an "
			    "ISO 3166 two-letter country code (e.g. JP)", v);
			return 0;
		}
		strcpy(field, v);
		return 1;
	case CT_HOSTPORT:
		end = strrchr(v, ':');
		if (end == NULL || end == v || strlen(v) >= k->size) {
			snprintf(st->why, sizeof(st->why),
			    "\"%s\" is not host:port", v);
			return 0;
		}
		errno = 0;
		l = strtol(end + 1, &end, 10);
		if (*end != '\0' || errno != 0 || l < 1 || l > 65535) {
			snprintf(st->why, sizeof(st->why),
			    "\"%s\": port must be 1 to 65535", v);
			return 0;
		}
		strcpy(field, v);
		return 1;
	case CT_MTLS:
		if ((i = strcmp(v, "off") == 0 ? 0 : strcmp(v, "optional") == 0 ?
		    1 : strcmp(v, "required") == 0 ? 2 : -1) < 0) {
			snprintf(st->why, sizeof(st->why),
			    "\"%s\" is not one of off, optional, required", v);
			return 0;
		}
		*(int *)field = i;
		return 1;
	case CT_ARGON2:
		for (i = 0; i < 4; i++)
			if (strcmp(v, (const char *[]){ "min", "interactive",
			    "moderate", "sensitive" }[i]) == 0)
				break;
		if (i == 4) {
			snprintf(st->why, sizeof(st->why), "\"%s\" is not one of "
			    "min (tests only), interactive, moderate, sensitive",
			    v);
			return 0;
		}
		*(int *)field = i;
		return 1;
	case CT_OCSP_SIGNER:
		if ((i = strcmp(v, "issuer") == 0 ? 0 : strcmp(v, "delegated")
		    == 0 ? 1 : -1) < 0) {
			snprintf(st->why, sizeof(st->why),
			    "\"%s\" is not one of issuer, delegated", v);
			return 0;
		}
		*(int *)field = i;
		return 1;
	case CT_TYPE_MAX:
		break;
	}
	snprintf(st->why, sizeof(st->why), "internal: unknown key type");
	return 0;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *st = user;

	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].section, section) != 0 ||
		    strcmp(keys[i].name, name) != 0)
			continue;
		if (st->seen[i]) {
			snprintf(st->msg, sizeof(st->msg),
			    "[%.64s] %.64s: given twice", section, name);
			st->failed = 1;
			return 0;
		}
		st->seen[i] = 1;
		if (!set_value(st, &keys[i], value)) {
			snprintf(st->msg, sizeof(st->msg), "[%.64s] %.64s: %s",
			    section, name, st->why);
			st->failed = 1;
			return 0;
		}
		return 1;
	}
	snprintf(st->msg, sizeof(st->msg), "[%.64s] %.64s: unknown key",
	    section, name);
	st->failed = 1;
	return 0;
}

#define INI_LINE_MAX	200	/* Debian's inih INI_MAX_LINE */

struct strict_reader {
	FILE	*f;
	int	 line;
	int	 bad;		/* the line the reader refused, 0 if none */
	char	*why;
	size_t	 whylen;
};

/* An ini_reader: like fgets, but stops inih at what it would misread. */
static char *
strict_line(char *buf, int size, void *stream)
{
	struct strict_reader *r = stream;
	int c = EOF, n = 0;

	if (r->bad)
		return NULL;
	while (n < size - 1 && (c = getc(r->f)) != EOF) {
		buf[n++] = (char)c;
		if (c == '\n' || c == '\0')
			break;
	}
	if (n == 0)
		return NULL;
	buf[n] = '\0';
	r->line++;
	if (c == '\0' || strlen(buf) != (size_t)n)
		snprintf(r->why, r->whylen, "NUL byte in the line");
	else if (n == size - 1 && buf[n - 1] != '\n' &&
	    (c = getc(r->f)) != EOF && c != '\n')
		snprintf(r->why, r->whylen, "line longer than %d bytes",
		    size - 2);
	else if ((buf[0] == ' ' || buf[0] == '\t') &&
	    buf[strspn(buf, " \t\r\n")] != '\0' &&
	    strchr(";#", buf[strspn(buf, " \t")]) == NULL)
		snprintf(r->why, r->whylen, "indented line (it would continue "
		    "the value before); remove the leading blanks");
	else
		return buf;
	r->bad = r->line;
	return NULL;
}

enum eseal_rc
conf_ini_parse(const char *path, conf_ini_handler h, void *user, int *errline,
    char *why, size_t whylen)
{
	struct strict_reader r;
	int line;

	*errline = 0;
	why[0] = '\0';
	memset(&r, 0, sizeof(r));
	if ((r.f = fopen(path, "r")) == NULL) {
		*errline = -1;
		return ESEAL_ECONF;
	}
	r.why = why;
	r.whylen = whylen;
	line = ini_parse_stream(strict_line, &r, h, user);
	fclose(r.f);
	if (r.bad) {
		*errline = r.bad;
		return ESEAL_ECONF;
	}
	if (line != 0) {
		*errline = line;
		if (line < 0)
			snprintf(why, whylen, "out of memory");
		return ESEAL_ECONF;
	}
	return ESEAL_OK;
}

enum eseal_rc
conf_load(const char *path, struct conf **out)
{
	struct parse_state st;
	struct conf *c;
	int line;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return eseal_err(ESEAL_ENOMEM, "conf: out of memory");
	/* Defaults. */
	c->ca_key_type = KEY_EC_P384;
	c->ca_validity_days = 365 * 10;
	c->ca_crl_shards = 1;
	c->issue_validity_days = 365;
	snprintf(c->http_listen, sizeof(c->http_listen), "127.0.0.1:8443");
	snprintf(c->http_tls_priorities, sizeof(c->http_tls_priorities),
	    "SECURE256:+SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2");
	c->log_level = LOG_LEVEL_INFO;
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

	memset(&st, 0, sizeof(st));
	st.c = c;
	st.path = path;
	if (conf_ini_parse(path, handler, &st, &line, st.why,
	    sizeof(st.why)) != ESEAL_OK) {
		free(c);
		if (line == -1)
			return eseal_err(ESEAL_ECONF, "%s: cannot open: %s",
			    path, strerror(errno));
		return eseal_err(ESEAL_ECONF, "%s:%d: %s", path, line,
		    st.failed ? st.msg : st.why[0] ? st.why :
		    "syntax error (expected [section] or key = value)");
	}
	for (size_t i = 0; i < NKEYS; i++) {
		if (keys[i].required && !st.seen[i]) {
			free(c);
			return eseal_err(ESEAL_ECONF, "%s: [%s] %s: required "
			    "key missing", path, keys[i].section, keys[i].name);
		}
	}
	if (!valid_issuer_name(c->ca_issuer)) {
		eseal_err(ESEAL_ECONF, "%s: [ca] issuer: \"%s\" must be "
		    "1-63 characters of a-z, 0-9 and '-'", path, c->ca_issuer);
		free(c);
		return ESEAL_ECONF;
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
