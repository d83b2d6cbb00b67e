/*
 * profile.c: profiles from conf/profiles/, and the e-seal certificate's
 * content.  The subject is built from the vetted organisation; the request
 * contributes only its key.  Clauses: ETSI EN 319 412-2 (extensions),
 * -3 (legal-person subject), -5 (QC statements), RFC 5280.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>
#include <openssl/conf.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "conf.h"
#include "profile.h"
#include "qcs.h"

static const char *const holder_names[HOLDER_MAX] = {
	[HOLDER_SUBSCRIBER] = "subscriber",
	[HOLDER_REMOTE_SERVICE] = "remote-service",
};

const char *
key_holder_name(enum key_holder h)
{
	return (h >= 0 && h < HOLDER_MAX) ? holder_names[h] : "?";
}

int
key_holder_parse(const char *s)
{
	for (int i = 0; i < HOLDER_MAX; i++)
		if (strcmp(s, holder_names[i]) == 0)
			return i;
	return -1;
}

/* --- loading ---------------------------------------------------------- */

#define PROFILE_KEYS_MAX	32	/* more than the keys set() knows */

struct load_state {
	struct profile	*p;
	char		 why[256];
	int		 seen_section;
	char		 seen[PROFILE_KEYS_MAX][32];	/* keys already set */
	int		 nseen;
};

static int
valid_oid(const char *s)
{
	ASN1_OBJECT *o;
	size_t n = strlen(s);

	if (n == 0 || n >= PROFILE_OID_MAX || strspn(s, "0123456789.") != n)
		return 0;
	o = OBJ_txt2obj(s, 1);
	ASN1_OBJECT_free(o);
	ERR_clear_error();
	return o != NULL;
}

/*
 * A URL: https only (the PDS), or else a plain http URL template (CRL,
 * caIssuers, OCSP: a status check must not depend on TLS).  No characters
 * that OpenSSL's config syntax or a relying party's parser could read
 * differently; braces only in the placeholders profile_url() expands.
 */
static int
valid_url(const char *s, int https_only)
{
	static const char *const ph[] = { "{base}", "{issuer}", "{shard}" };
	size_t n = strlen(s), k;

	if (n >= PROFILE_URL_MAX)
		return 0;
	if (https_only ? strncmp(s, "https://", 8) != 0 :
	    strncmp(s, "http://", 7) != 0 && strncmp(s, "{base}", 6) != 0)
		return 0;
	if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-._~:/?#[]@!$&'()*+;=%{}") != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '}')
			return 0;
		if (s[i] != '{')
			continue;
		for (k = 0; k < sizeof(ph) / sizeof(ph[0]); k++)
			if (!https_only &&
			    strncmp(s + i, ph[k], strlen(ph[k])) == 0)
				break;
		if (k == sizeof(ph) / sizeof(ph[0]))
			return 0;
		i += strlen(ph[k]) - 1;
	}
	return 1;
}

static int
yesno(const char *v, int *out)
{
	if (strcmp(v, "yes") == 0)
		*out = 1;
	else if (strcmp(v, "no") == 0)
		*out = 0;
	else
		return 0;
	return 1;
}

/* Splits a comma list into fixed slots; 0 if too many or one is bad. */
static int
list(const char *v, char (*slots)[PROFILE_OID_MAX], int max, int *n,
    int (*valid)(const char *))
{
	char buf[512], *tok, *save = NULL;

	*n = 0;
	if (strlen(v) >= sizeof(buf))
		return 0;
	snprintf(buf, sizeof(buf), "%s", v);
	for (tok = strtok_r(buf, ", ", &save); tok != NULL;
	    tok = strtok_r(NULL, ", ", &save)) {
		if (*n >= max || !valid(tok))
			return 0;
		snprintf(slots[(*n)++], PROFILE_OID_MAX, "%s", tok);
	}
	return 1;
}

static int
valid_country(const char *s)
{
	return strlen(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' &&
	    s[1] <= 'Z';
}

static int
set(struct load_state *st, const char *k, const char *v)
{
	struct profile *p = st->p;
	char cc[PROFILE_CC_MAX][PROFILE_OID_MAX];
	char *end;
	long l;

#define WHY(...)	(snprintf(st->why, sizeof(st->why), __VA_ARGS__), 0)
	if (strcmp(k, "max_validity_days") == 0) {
		errno = 0;
		l = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || errno || l < 1 || l > 3650)
			return WHY("\"%s\" is not an integer from 1 to 3650", v);
		p->max_validity_days = (int)l;
	} else if (strcmp(k, "key_usage") == 0) {
		if (strcmp(v, "nonRepudiation") == 0)
			p->ku_digital_signature = 0;
		else if (strcmp(v, "digitalSignature,nonRepudiation") == 0)
			p->ku_digital_signature = 1;
		else
			return WHY("EN 319 412-2 4.3.2: \"%s\" is not "
			    "nonRepudiation or digitalSignature,nonRepudiation",
			    v);
	} else if (strcmp(k, "policies") == 0) {
		if (!list(v, p->policies, PROFILE_OIDS_MAX, &p->npolicies,
		    valid_oid))
			return WHY("\"%s\" is not a list of at most %d OIDs", v,
			    PROFILE_OIDS_MAX);
	} else if (strcmp(k, "etsi_policy") == 0) {
		if (strcmp(v, "none") == 0)
			p->etsi_policy = ETSI_POLICY_NONE;
		else if (strcmp(v, "qcp-l") == 0)
			p->etsi_policy = ETSI_POLICY_QCP_L;
		else if (strcmp(v, "qcp-l-qscd") == 0)
			p->etsi_policy = ETSI_POLICY_QCP_L_QSCD;
		else
			return WHY("\"%s\" is not none, qcp-l or qcp-l-qscd", v);
	} else if (strcmp(k, "qc_compliance") == 0) {
		if (!yesno(v, &p->qc_compliance))
			return WHY("must be yes or no");
	} else if (strcmp(k, "qc_sscd") == 0) {
		if (!yesno(v, &p->qc_sscd))
			return WHY("must be yes or no");
	} else if (strcmp(k, "qc_pds_url") == 0) {
		if (*v != '\0' && !valid_url(v, 1))
			return WHY("EN 319 412-5 4.3.4: the PDS URL must be "
			    "https and plain URL characters");
		snprintf(p->pds_url, sizeof(p->pds_url), "%s", v);
	} else if (strcmp(k, "qc_pds_language") == 0) {
		if (strlen(v) != 2 || v[0] < 'a' || v[0] > 'z' || v[1] < 'a' ||
		    v[1] > 'z')
			return WHY("\"%s\" is not an ISO 639-1 code (e.g. en)", v);
		memcpy(p->pds_lang, v, 3);
	} else if (strcmp(k, "qc_cc_legislation") == 0) {
		if (!list(v, cc, PROFILE_CC_MAX, &p->ncc, valid_country))
			return WHY("\"%s\" is not a list of at most %d country "
			    "codes", v, PROFILE_CC_MAX);
		for (int i = 0; i < p->ncc; i++)
			memcpy(p->cc[i], cc[i], 3);
	} else if (strcmp(k, "semantics_legal_person") == 0) {
		if (!yesno(v, &p->semantics_legal))
			return WHY("must be yes or no");
	} else if (strcmp(k, "extended_key_usage") == 0) {
		if (!list(v, p->eku, PROFILE_OIDS_MAX, &p->neku, valid_oid))
			return WHY("\"%s\" is not a list of OIDs", v);
	} else if (strcmp(k, "crl_url") == 0) {
		if (!valid_url(v, 0))
			return WHY("not an http URL template");
		snprintf(p->crl_url, sizeof(p->crl_url), "%s", v);
	} else if (strcmp(k, "ca_issuers_url") == 0) {
		if (!valid_url(v, 0))
			return WHY("not an http URL template");
		snprintf(p->ca_issuers_url, sizeof(p->ca_issuers_url), "%s", v);
	} else if (strcmp(k, "ocsp_url") == 0) {
		if (*v != '\0' && !valid_url(v, 0))
			return WHY("not an http URL template");
		snprintf(p->ocsp_url, sizeof(p->ocsp_url), "%s", v);
	} else if (strcmp(k, "auto_approve") == 0) {
		if (!yesno(v, &p->auto_approve))
			return WHY("must be yes or no");
	} else
		return WHY("unknown key");
	return 1;
#undef WHY
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct load_state *st = user;
	char why[sizeof(st->why)];

	if (strcmp(section, "profile") != 0) {
		snprintf(st->why, sizeof(st->why), "[%.64s]: unknown section "
		    "(only [profile])", section);
		return 0;
	}
	for (int i = 0; i < st->nseen; i++)
		if (strcmp(st->seen[i], name) == 0) {
			snprintf(st->why, sizeof(st->why), "[profile] %.64s: "
			    "given twice", name);
			return 0;
		}
	if (!set(st, name, value)) {
		memcpy(why, st->why, sizeof(why));
		snprintf(st->why, sizeof(st->why), "[profile] %.64s: %.178s",
		    name, why);
		return 0;
	}
	/* set() knows every key, so a known name fits and is counted once. */
	if (st->nseen < PROFILE_KEYS_MAX)
		snprintf(st->seen[st->nseen++], sizeof(st->seen[0]), "%s",
		    name);
	return 1;
}

enum eseal_rc
profile_load(const char *dir, const char *name, struct profile **out)
{
	struct load_state st;
	struct profile *p;
	char path[1024], why[128];
	size_t n = strlen(name);
	int line;

	*out = NULL;
	if (n == 0 || n >= sizeof(p->name) ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") != n)
		return eseal_err(ESEAL_EINVAL, "profile: \"%.64s\" is not a "
		    "profile name ([a-z0-9-])", name);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return eseal_err(ESEAL_ENOMEM, "profile: out of memory");
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->max_validity_days = 365;
	memcpy(p->pds_lang, "en", 3);
	snprintf(p->crl_url, sizeof(p->crl_url),
	    "{base}/crl/{issuer}/{shard}.crl");
	snprintf(p->ca_issuers_url, sizeof(p->ca_issuers_url),
	    "{base}/ca/{issuer}.crt");
	p->semantics_legal = 1;
	snprintf(path, sizeof(path), "%s/%s.conf", dir, name);
	memset(&st, 0, sizeof(st));
	st.p = p;
	if (conf_ini_parse(path, handler, &st, &line, why, sizeof(why))
	    != ESEAL_OK) {
		free(p);
		if (line == -1)
			return eseal_err(ESEAL_ENOTFOUND, "profile: %s: %s",
			    path, strerror(errno));
		return eseal_err(ESEAL_ECONF, "%s:%d: %s", path, line,
		    why[0] ? why : st.why[0] ? st.why : "syntax error");
	}
	if (p->etsi_policy == ETSI_POLICY_QCP_L_QSCD && !p->qc_sscd) {
		free(p);
		return eseal_err(ESEAL_ECONF, "%s: etsi_policy qcp-l-qscd needs "
		    "qc_sscd = yes (EN 319 411-2 6.6.1)", path);
	}
	if (p->pds_url[0] == '\0' && p->qc_compliance) {
		free(p);
		return eseal_err(ESEAL_ECONF, "%s: qc_compliance needs "
		    "qc_pds_url (EN 319 412-5 4.3.4)", path);
	}
	*out = p;
	return ESEAL_OK;
}

void
profile_free(struct profile *p)
{
	free(p);
}

int
profile_delta_url(const char *url, char *buf, size_t len)
{
	size_t n = strlen(url);

	if (n < 4 || strcmp(url + n - 4, ".crl") != 0 ||
	    n - 4 + sizeof(PROFILE_DELTA_SUFFIX) > len)
		return 0;
	snprintf(buf, len, "%.*s%s", (int)(n - 4), url, PROFILE_DELTA_SUFFIX);
	return 1;
}

int
profile_url(const char *tmpl, const char *base, const char *issuer, int shard,
    char *buf, size_t len)
{
	char num[16];
	size_t o = 0;
	const char *s;

	snprintf(num, sizeof(num), "%d", shard);
	for (const char *t = tmpl; *t != '\0'; ) {
		s = NULL;
		if (strncmp(t, "{base}", 6) == 0)
			s = base, t += 6;
		else if (strncmp(t, "{issuer}", 8) == 0)
			s = issuer, t += 8;
		else if (strncmp(t, "{shard}", 7) == 0)
			s = num, t += 7;
		if (s != NULL) {
			size_t n = strlen(s);

			if (o + n >= len)
				return 0;
			memcpy(buf + o, s, n);
			o += n;
			continue;
		}
		if (o + 1 >= len)
			return 0;
		buf[o++] = *t++;
	}
	buf[o] = '\0';
	return 1;
}

/* --- example values -------------------------------------------------- */

#define PROFILE_SCAN_MAX	64	/* profiles looked at in one directory */

/* Why an OID is an example, or NULL: the X.660 example arc 2.999. */
static const char *
example_oid(const char *oid)
{
	if (strcmp(oid, "2.999") == 0 || strncmp(oid, "2.999.", 6) == 0)
		return "2.999 is the example arc (joint-iso-itu-t example, ITU-T X.660)";
	return NULL;
}

/* 1 if host is name or a subdomain of it. */
static int
host_in(const char *host, const char *name)
{
	size_t h = strlen(host), n = strlen(name);

	return h == n ? strcmp(host, name) == 0 :
	    h > n && host[h - n - 1] == '.' && strcmp(host + h - n, name) == 0;
}

/*
 * Why a URL is an example, or NULL: its host is a name reserved for
 * examples (RFC 2606 and RFC 6761; JPRS for example.jp and
 * example.<type>.jp).
 */
static const char *
example_url(const char *url)
{
	static const char *const names[] = { "example.com", "example.net",
	    "example.org", "example.jp", "example.ac.jp", "example.ad.jp",
	    "example.co.jp", "example.ed.jp", "example.go.jp", "example.gr.jp",
	    "example.lg.jp", "example.ne.jp", "example.or.jp", "example",
	    "test", "invalid" };
	const char *s = strstr(url, "://"), *at;
	char host[PROFILE_URL_MAX];
	size_t n;

	if (s == NULL)
		return NULL;
	s += 3;
	n = strcspn(s, "/?#");
	if ((at = memchr(s, '@', n)) != NULL) {
		n -= (size_t)(at + 1 - s);
		s = at + 1;
	}
	n = n < strcspn(s, ":/?#") ? n : strcspn(s, ":/?#");
	if (n == 0 || n >= sizeof(host))
		return NULL;
	for (size_t i = 0; i < n; i++)
		host[i] = (s[i] >= 'A' && s[i] <= 'Z') ? s[i] - 'A' + 'a' :
		    s[i];
	host[n] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (host_in(host, names[i]))
			return "the host is a name reserved for examples "
			    "(RFC 2606, RFC 6761, JPRS)";
	return NULL;
}

/* profile NULL: [publish] base_url of eseald.conf. */
static int
example_one(const char *profile, const char *key, const char *value,
    const char *why, void (*warn)(const char *))
{
	char line[PROFILE_EXAMPLE_LINE_MAX];

	if (why == NULL)
		return 0;
	snprintf(line, sizeof(line), "%s%s key=%s value=%s why=\"%s\"",
	    profile ? "profile=" : "section=", profile ? profile : "[publish]",
	    key, value, why);
	warn(line);
	return 1;
}

/* The example values of one loaded profile. */
static int
example_profile(const struct profile *p, void (*warn)(const char *))
{
	const char *const urls[][2] = { { "crl_url", p->crl_url },
	    { "ca_issuers_url", p->ca_issuers_url },
	    { "ocsp_url", p->ocsp_url }, { "qc_pds_url", p->pds_url } };
	int n = 0;

	for (int i = 0; i < p->npolicies; i++)
		n += example_one(p->name, "policies", p->policies[i],
		    example_oid(p->policies[i]), warn);
	for (int i = 0; i < p->neku; i++)
		n += example_one(p->name, "extended_key_usage", p->eku[i],
		    example_oid(p->eku[i]), warn);
	/* {base} is [publish] base_url, looked at once by the caller. */
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++)
		if (strncmp(urls[i][1], "{base}", 6) != 0)
			n += example_one(p->name, urls[i][0], urls[i][1],
			    example_url(urls[i][1]), warn);
	return n;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

int
profile_example_warnings(const char *dir, const char *base_url,
    void (*warn)(const char *))
{
	char names[PROFILE_SCAN_MAX][64];
	struct profile *p;
	struct dirent *de;
	DIR *d;
	size_t len, nn = 0;
	int n = 0;

	if (base_url != NULL)
		n += example_one(NULL, "base_url", base_url,
		    example_url(base_url), warn);
	if ((d = opendir(dir)) == NULL)
		return n;
	while ((de = readdir(d)) != NULL && nn < PROFILE_SCAN_MAX) {
		len = strlen(de->d_name);
		if (len > 5 && len - 5 < sizeof(names[0]) &&
		    strcmp(de->d_name + len - 5, ".conf") == 0) {
			memcpy(names[nn], de->d_name, len - 5);
			names[nn++][len - 5] = '\0';
		}
	}
	closedir(d);
	qsort(names, nn, sizeof(names[0]), cmp_name);
	for (size_t i = 0; i < nn; i++) {
		/* One that does not load is refused where it is used. */
		if (profile_load(dir, names[i], &p) != ESEAL_OK)
			continue;
		n += example_profile(p, warn);
		profile_free(p);
	}
	return n;
}

/* --- building --------------------------------------------------------- */

enum eseal_rc
profile_add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	CONF *cnf;
	int ok;

	/* An empty config database: some extensions (policies) want one. */
	if ((cnf = NCONF_new(NULL)) == NULL)
		return eseal_err(ESEAL_ENOMEM, "profile: out of memory");
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509V3_set_nconf(&ctx, cnf);
	ext = X509V3_EXT_nconf_nid(cnf, &ctx, nid, value);
	NCONF_free(cnf);
	if (ext == NULL) {
		ERR_clear_error();
		return eseal_err(ESEAL_EINTERNAL, "profile: cannot build %s "
		    "\"%s\"", OBJ_nid2sn(nid), value);
	}
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? ESEAL_OK : eseal_err(ESEAL_ENOMEM, "profile: out of memory");
}

static int
add_attr(X509_NAME *n, int nid, int type, const char *v)
{
	return X509_NAME_add_entry_by_NID(n, nid, type,
	    (const unsigned char *)v, -1, -1, 0);
}

/* EN 319 412-3 4.2.1 subject of a legal person. */
static enum eseal_rc
build_subject(const struct org *o, X509_NAME **out)
{
	struct orgid id;
	X509_NAME *n;

	*out = NULL;
	if (strlen(o->country) != 2 || o->name[0] == '\0')
		return eseal_err(ESEAL_EPOLICY, "profile: EN 319 412-3 4.2.1: "
		    "the organisation needs countryName and organizationName");
	if (orgid_parse(o->identifier, &id) != ESEAL_OK)
		return eseal_err(ESEAL_EPOLICY, "profile: EN 319 412-3 4.2.1: "
		    "organizationIdentifier: %s", eseal_errmsg());
	if (strcmp(o->identifier, o->name) == 0)
		return eseal_err(ESEAL_EPOLICY, "profile: EN 319 412-3 4.2.1: "
		    "organizationIdentifier equals organizationName");
	if ((n = X509_NAME_new()) == NULL)
		return eseal_err(ESEAL_ENOMEM, "profile: out of memory");
	/* RFC 5280 4.1.2.4: countryName PrintableString; the rest UTF8. */
	if (!add_attr(n, NID_countryName, MBSTRING_ASC, o->country) ||
	    !add_attr(n, NID_organizationName, MBSTRING_UTF8, o->name) ||
	    !add_attr(n, NID_organizationIdentifier, MBSTRING_UTF8,
	    o->identifier) ||
	    (o->unit[0] != '\0' && !add_attr(n, NID_organizationalUnitName,
	    MBSTRING_UTF8, o->unit)) ||
	    (o->locality[0] != '\0' && !add_attr(n, NID_localityName,
	    MBSTRING_UTF8, o->locality)) ||
	    !add_attr(n, NID_commonName, MBSTRING_UTF8,
	    o->common_name[0] != '\0' ? o->common_name : o->name)) {
		X509_NAME_free(n);
		ERR_clear_error();
		return eseal_err(ESEAL_EPOLICY, "profile: RFC 5280 4.1.2.6: a "
		    "subject attribute is not valid UTF-8 or is longer than "
		    "X.520 allows");
	}
	*out = n;
	return ESEAL_OK;
}

static enum eseal_rc
add_qcstatements(X509 *x, const struct profile_input *in, int sscd)
{
	const struct profile *p = in->profile;
	struct qcs_spec spec;
	ASN1_OCTET_STRING *os = NULL;
	X509_EXTENSION *ext = NULL;
	unsigned char *der = NULL;
	enum eseal_rc rc;
	int len;

	memset(&spec, 0, sizeof(spec));
	spec.compliance = p->qc_compliance;
	spec.sscd = sscd;
	spec.pds_url = p->pds_url[0] != '\0' ? p->pds_url : NULL;
	spec.pds_lang = p->pds_lang;
	for (int i = 0; i < p->ncc; i++)
		spec.cc[spec.ncc++] = p->cc[i];
	spec.semantics_legal = p->semantics_legal;
	spec.test_second_qctype = in->test_second_qctype;
	if ((rc = qcs_encode(&spec, &der, &len)) != ESEAL_OK)
		return rc;
	/* EN 319 412-5 4.1: qcStatements is not critical. */
	if ((os = ASN1_OCTET_STRING_new()) != NULL &&
	    ASN1_OCTET_STRING_set(os, der, len) &&
	    (ext = X509_EXTENSION_create_by_NID(NULL, NID_qcStatements, 0, os))
	    != NULL && X509_add_ext(x, ext, -1))
		rc = ESEAL_OK;
	else
		rc = eseal_err(ESEAL_ENOMEM, "profile: out of memory");
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	OPENSSL_free(der);
	return rc;
}

static enum eseal_rc
add_extensions(X509 *x, const struct profile_input *in)
{
	const struct profile *p = in->profile;
	char buf[1024], url[PROFILE_URL_MAX + 8], url2[PROFILE_URL_MAX];
	size_t o = 0;
	int sscd = p->qc_sscd && in->qscd;
	enum eseal_rc rc;

	if (p->etsi_policy == ETSI_POLICY_QCP_L_QSCD && !sscd)
		return eseal_err(ESEAL_EPOLICY, "profile %s: EN 319 411-2: "
		    "QCP-l-qscd needs a key in a QSCD (or a remote sealing "
		    "service's HSM), which the request does not declare",
		    p->name);
	/* EN 319 412-2 4.3.2: keyUsage critical; seals: nonRepudiation. */
	if ((rc = profile_add_ext(x, in->issuer, NID_key_usage,
	    p->ku_digital_signature ? "critical,digitalSignature,"
	    "nonRepudiation" : "critical,nonRepudiation")) != ESEAL_OK ||
	    (rc = profile_add_ext(x, in->issuer, NID_subject_key_identifier,
	    "hash")) != ESEAL_OK ||
	    (rc = profile_add_ext(x, in->issuer, NID_authority_key_identifier,
	    "keyid:always")) != ESEAL_OK)
		return rc;
	/* Certificate policies: the CA's own, then the ETSI one. */
	buf[0] = '\0';
	for (int i = 0; i < p->npolicies; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s",
		    o ? "," : "", p->policies[i]);
	if (p->etsi_policy != ETSI_POLICY_NONE)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s",
		    o ? "," : "", p->etsi_policy == ETSI_POLICY_QCP_L ?
		    OID_QCP_L : (sscd ? OID_QCP_L_QSCD : OID_QCP_L));
	if (o > 0 && (rc = profile_add_ext(x, in->issuer,
	    NID_certificate_policies, buf)) != ESEAL_OK)
		return rc;
	/* EN 319 412-2 4.3.11: a CRL distribution point. */
	if (!profile_url(p->crl_url, in->base_url, in->issuer_name, in->shard,
	    url2, sizeof(url2)))
		return eseal_err(ESEAL_ECONF, "profile: CRL URL too long");
	snprintf(url, sizeof(url), "URI:%s", url2);
	if ((rc = profile_add_ext(x, in->issuer, NID_crl_distribution_points,
	    url)) != ESEAL_OK)
		return rc;
	/* RFC 5280 4.2.1.15: where the shard's delta CRLs are. */
	if (in->delta_crl) {
		char durl[PROFILE_URL_MAX];

		if (!profile_delta_url(url2, durl, sizeof(durl)))
			return eseal_err(ESEAL_ECONF, "profile %s: RFC 5280 "
			    "5.2.4: [publish] delta_crl = on needs a crl_url "
			    "ending in .crl (the delta is beside it)",
			    p->name);
		snprintf(url, sizeof(url), "URI:%s", durl);
		if ((rc = profile_add_ext(x, in->issuer, NID_freshest_crl,
		    url)) != ESEAL_OK)
			return rc;
	}
	/* EN 319 412-2 4.4.1: AIA with caIssuers (and OCSP if we have it). */
	if (!profile_url(p->ca_issuers_url, in->base_url, in->issuer_name, 0,
	    url2, sizeof(url2)))
		return eseal_err(ESEAL_ECONF, "profile: caIssuers URL too long");
	o = (size_t)snprintf(buf, sizeof(buf), "caIssuers;URI:%s", url2);
	if (p->ocsp_url[0] != '\0') {
		if (!profile_url(p->ocsp_url, in->base_url, in->issuer_name, 0,
		    url2, sizeof(url2)))
			return eseal_err(ESEAL_ECONF, "profile: OCSP URL too "
			    "long");
		snprintf(buf + o, sizeof(buf) - o, ",OCSP;URI:%s", url2);
	}
	if ((rc = profile_add_ext(x, in->issuer, NID_info_access, buf))
	    != ESEAL_OK)
		return rc;
	if (p->neku > 0) {
		o = 0;
		for (int i = 0; i < p->neku; i++)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s",
			    o ? "," : "", p->eku[i]);
		if ((rc = profile_add_ext(x, in->issuer, NID_ext_key_usage,
		    buf)) != ESEAL_OK)
			return rc;
	}
	return add_qcstatements(x, in, sscd);
}

/*
 * The certificate's SubjectPublicKeyInfo, copied field by field from the
 * request's as encoded.  X509_set_pubkey() would encode the EVP_PKEY and
 * decode the result again through the OpenSSL 3 encoders and decoders,
 * the largest single cost of building a certificate (issue 16).
 */
static int
copy_spki(X509 *x, const X509_PUBKEY *from)
{
	const ASN1_OBJECT *obj;
	const X509_ALGOR *alg;
	const unsigned char *pk;
	const void *pval;
	ASN1_OBJECT *o2 = NULL;
	void *pv2 = NULL;
	unsigned char *pk2 = NULL;
	int ptype, pklen;

	if (!X509_PUBKEY_get0_param(NULL, &pk, &pklen, (X509_ALGOR **)&alg,
	    from) || alg == NULL || pklen <= 0)
		return 0;
	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	if ((o2 = OBJ_dup(obj)) == NULL)
		goto fail;
	if (ptype == V_ASN1_OBJECT)
		pv2 = OBJ_dup(pval);
	else if (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL)
		pv2 = ASN1_STRING_dup(pval);
	if ((pval != NULL && ptype != V_ASN1_NULL && pv2 == NULL) ||
	    (pk2 = OPENSSL_memdup(pk, (size_t)pklen)) == NULL)
		goto fail;
	if (X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x), o2, ptype, pv2,
	    pk2, pklen))
		return 1;
fail:
	ASN1_OBJECT_free(o2);
	if (ptype == V_ASN1_OBJECT)
		ASN1_OBJECT_free(pv2);
	else
		ASN1_STRING_free(pv2);
	OPENSSL_free(pk2);
	return 0;
}

enum eseal_rc
profile_build(const struct profile_input *in, X509 **out)
{
	X509_NAME *subj = NULL;
	X509 *x = NULL;
	ASN1_INTEGER *sn = NULL;
	enum eseal_rc rc;

	*out = NULL;
	if (in->not_after <= in->not_before)
		return eseal_err(ESEAL_EINVAL, "profile: RFC 5280 4.1.2.5: "
		    "notAfter must follow notBefore");
	if ((rc = build_subject(in->org, &subj)) != ESEAL_OK)
		return rc;
	if ((x = X509_new()) == NULL)
		goto nomem;
	if (!X509_set_version(x, X509_VERSION_3) ||
	    (sn = BN_to_ASN1_INTEGER(in->serial, NULL)) == NULL ||
	    !X509_set_serialNumber(x, sn) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(in->issuer)) ||
	    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)in->not_before) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)in->not_after) == NULL ||
	    !X509_set_subject_name(x, subj) ||
	    !(in->subject_spki != NULL ? copy_spki(x, in->subject_spki) :
	    X509_set_pubkey(x, in->subject_key)))
		goto nomem;
	if ((rc = add_extensions(x, in)) != ESEAL_OK)
		goto out;
	*out = x;
	x = NULL;
	rc = ESEAL_OK;
	goto out;
nomem:
	rc = eseal_err(ESEAL_ENOMEM, "profile: out of memory");
out:
	ASN1_INTEGER_free(sn);
	X509_NAME_free(subj);
	X509_free(x);
	ERR_clear_error();
	return rc;
}
