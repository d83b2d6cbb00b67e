/*
 * esealctl: the operator's command line.  Offline commands talk to the store
 * and the token directly (ceremonies inside the facility).  Every command
 * takes --config and --help, prints one clear line and exits 1 on failure,
 * exits 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>

#include "account.h"
#include "audit.h"
#include "crl.h"
#include "revoke.h"
#include "ca.h"
#include "cmvp.h"
#include "csr.h"
#include "issue.h"
#include "issuer.h"
#include "log.h"
#include "ocsp_signer.h"
#include "orgid.h"
#include "profile.h"

#define DEFAULT_CONFIG	"/etc/eseal/eseald.conf"
#define ACTOR_MAX	64

struct cmd {
	const char	*name;		/* "hsm status" */
	int		(*fn)(int, char **);
	const char	*usage;		/* options after the name */
	const char	*help;		/* one line */
};

static const char *config_path = DEFAULT_CONFIG;

static int
fail(const char *what)
{
	fprintf(stderr, "esealctl: %s: %s\n", what, eseal_errmsg());
	return 1;
}

static void
actor(char *buf, size_t sz)
{
	const char *u = getenv("SUDO_USER");

	if (u == NULL)
		u = getenv("USER");
	snprintf(buf, sz, "local:%s", u ? u : "unknown");
}

static int
load(int with_token, struct conf **c, struct ca *ca)
{
	enum eseal_rc rc;
	int fin, fl;

	if ((rc = conf_load(config_path, c)) != ESEAL_OK)
		return fail("config");
	log_set_level((enum log_level)(*c)->log_level);
	if ((rc = ca_open(*c, with_token, ca)) != ESEAL_OK) {
		fail("open");
		conf_free(*c);
		return 1;
	}
	if (with_token) {
		/* Pending rows left by a crash: finish or fail them first. */
		if (issue_recover(ca, time(NULL), &fin, &fl) != ESEAL_OK)
			fprintf(stderr, "esealctl: warning: pending "
			    "certificates not finished: %s\n", eseal_errmsg());
		else if (fin + fl > 0)
			fprintf(stderr, "esealctl: recovered pending "
			    "certificates: %d finished, %d failed\n", fin, fl);
	}
	return 0;
}

static void
unload(struct conf *c, struct ca *ca)
{
	ca_close(ca);
	conf_free(c);
}

/*
 * Parses the options common to all commands plus the command's own.  Returns
 * the option character, -1 at the end, '?' on error, 'h' for --help.
 */
static int
next_opt(int argc, char **argv, const struct option *own, int *done)
{
	static struct option all[16];
	size_t n = 0;
	int ch;

	*done = 0;
	for (; own != NULL && own[n].name != NULL && n < 13; n++)
		all[n] = own[n];
	all[n++] = (struct option){ "config", required_argument, NULL, 'c' };
	all[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	all[n] = (struct option){ NULL, 0, NULL, 0 };
	for (;;) {
		ch = getopt_long(argc, argv, "", all, NULL);
		if (ch == 'c') {
			config_path = optarg;
			continue;
		}
		if (ch == -1)
			*done = 1;
		return ch;
	}
}

static int
parse_int(const char *s, int lo, int hi, const char *what, int *out)
{
	char *end;
	long l;

	errno = 0;
	l = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || l < lo || l > hi) {
		fprintf(stderr, "esealctl: %s: \"%s\" is not an integer from "
		    "%d to %d\n", what, s, lo, hi);
		return 0;
	}
	*out = (int)l;
	return 1;
}

/* --- init ------------------------------------------------------------- */

static void
warn_example(const char *line)
{
	fprintf(stderr, "esealctl: init: WARNING: example value in a "
	    "certificate profile, replace it before production "
	    "(docs/profile.md): %s\n", line);
}

static int
cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key-type", required_argument, NULL, 'k' },
		{ "validity-days", required_argument, NULL, 'v' },
		{ "crl-shards", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct issuer_params ip;
	struct issuer *is = NULL;
	struct org subj;
	struct conf *c;
	struct ca ca;
	char who[ACTOR_MAX];
	const char *kt = NULL;
	int ch, done, days = -1, shards = -1, kti, ret = 1;

	while ((ch = next_opt(argc, argv, opts, &done)) != -1) {
		switch (ch) {
		case 'k':
			kt = optarg;
			break;
		case 'v':
			if (!parse_int(optarg, 1, 365 * 30, "--validity-days",
			    &days))
				return 2;
			break;
		case 's':
			if (!parse_int(optarg, 1, 256, "--crl-shards", &shards))
				return 2;
			break;
		default:
			return 2;
		}
	}
	if (load(1, &c, &ca) != 0)
		return 1;
	profile_example_warnings(c->issue_profiles_dir, c->publish_base_url,
	    warn_example);
	if (store_issuer_count(ca.store) != 0) {
		fprintf(stderr, "esealctl: init: the CA already exists in %s; "
		    "refusing to create it again\n", c->store_path);
		goto out;
	}
	memset(&ip, 0, sizeof(ip));
	memset(&subj, 0, sizeof(subj));
	snprintf(subj.country, sizeof(subj.country), "%s", c->ca_country);
	snprintf(subj.name, sizeof(subj.name), "%.*s",
	    (int)sizeof(subj.name) - 1, c->ca_organization);
	snprintf(subj.common_name, sizeof(subj.common_name), "%.*s",
	    (int)sizeof(subj.common_name) - 1,
	    c->ca_common_name);
	ip.name = c->ca_issuer;
	ip.key_type = c->ca_key_type;
	if (kt != NULL) {
		if ((kti = key_type_parse(kt)) < 0) {
			fprintf(stderr, "esealctl: init: --key-type \"%s\" is not "
			    "one of ec-p256, ec-p384, rsa-3072, rsa-4096\n", kt);
			goto out;
		}
		ip.key_type = (enum key_type)kti;
	}
	ip.subject = &subj;
	ip.validity_days = days > 0 ? days : c->ca_validity_days;
	ip.crl_shards = shards > 0 ? shards : c->ca_crl_shards;
	actor(who, sizeof(who));
	if (issuer_create(&ca, &ip, time(NULL), who, &is) != ESEAL_OK) {
		fail("init");
		goto out;
	}
	printf("issuer %s created: %s key on the token, CA certificate valid "
	    "%d days, %d CRL shard(s)\n", ip.name, key_type_name(ip.key_type),
	    ip.validity_days, ip.crl_shards);
	ret = 0;
out:
	issuer_free(is);
	unload(c, &ca);
	return ret;
}

/* --- hsm status ------------------------------------------------------- */

static void
print_hex(const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
}

static void
print_date(const char *label, time_t t)
{
	char buf[32];
	struct tm tm;

	if (t == 0)
		return;
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
	printf("%s%s\n", label, buf);
}

/* The matched registry entry and the effective status now. */
static void
print_fips(struct ca *ca)
{
	struct fips_verdict v;
	const struct fips_entry *e;
	char fw[64];

	ca_rdlock(ca);
	if (ca_fips_verdict(ca, time(NULL), &v) != ESEAL_OK) {
		ca_unlock(ca);
		printf("fips:          unknown (%s)\n", eseal_errmsg());
		return;
	}
	if ((e = v.entry) != NULL) {
		fips_entry_firmware(e, fw, sizeof(fw));
		printf("registry:      [module %s] %s %s, firmware %s\n",
		    fips_entry_id(e), fips_entry_manufacturer(e),
		    fips_entry_model(e), fw);
		if (fips_entry_cert(e)[0] != '\0')
			printf("  CMVP:        #%s, %s level %d, listed %s\n",
			    fips_entry_cert(e), fips_entry_standard(e),
			    fips_entry_level(e),
			    fips_status_name(fips_entry_listed(e)));
		else
			printf("  CMVP:        listed %s\n",
			    fips_status_name(fips_entry_listed(e)));
		print_date("  sunset:      ", fips_entry_sunset(e));
		print_date("  checked:     ", fips_entry_checked(e));
		if (fips_entry_source(e)[0] != '\0')
			printf("  source:      %s\n", fips_entry_source(e));
	} else
		printf("registry:      no entry matches this token\n");
	printf("fips status:   %s: %s\n", fips_status_name(v.status), v.reason);
	print_date("historical from: ", v.historical_from);
	printf("may:           generate issuer keys: %s; issue: %s; sign "
	    "CRL/OCSP: %s\n", v.allowed[FIPS_USE_KEYGEN] ? "yes" : "NO",
	    v.allowed[FIPS_USE_ISSUE] ? "yes" : "NO",
	    v.allowed[FIPS_USE_STATUS_SIGN] ? "yes" : "NO");
	if (v.status == FIPS_HISTORICAL || v.status == FIPS_REVOKED)
		printf("action:        move issuing to an Active module "
		    "(esealctl issuer rotate: planned, issue 13; today: "
		    "docs/hsm-modules.md, \"plan the rotation\")\n");
	ca_unlock(ca);
}

static int
cmd_hsm_status(int argc, char **argv)
{
	struct p11_identity id;
	struct p11_mech *m = NULL;
	struct p11_key_info *k = NULL;
	struct conf *c;
	struct ca ca;
	size_t nm = 0, nk = 0;
	int ch, done, ret = 1;

	while ((ch = next_opt(argc, argv, NULL, &done)) != -1)
		return 2;
	if (load(1, &c, &ca) != 0)
		return 1;
	if (p11_identity(ca.token, &id) != ESEAL_OK ||
	    p11_mechanisms(ca.token, &m, &nm) != ESEAL_OK ||
	    p11_keys(ca.token, &k, &nk) != ESEAL_OK) {
		fail("hsm status");
		goto out;
	}
	printf("module:        %s\n", c->hsm_module);
	printf("library:       %s %s %d.%d\n", id.lib_manufacturer,
	    id.lib_description, id.lib_major, id.lib_minor);
	printf("token:         %s\n", id.label);
	printf("manufacturer:  %s\n", id.manufacturer);
	printf("model:         %s\n", id.model);
	printf("serial:        %s\n", id.serial);
	printf("hardware:      %d.%d\n", id.hw_major, id.hw_minor);
	printf("firmware:      %d.%d\n", id.fw_major, id.fw_minor);
	printf("mechanisms:   ");
	for (size_t i = 0; i < nm; i++)
		if (m[i].name != NULL)
			printf(" %s%s", m[i].name,
			    (m[i].flags & CKF_GENERATE_KEY_PAIR) ? "(gen)" :
			    (m[i].flags & CKF_SIGN) ? "(sign)" : "");
	printf("\n               (%zu in all)\n", nm);
	print_fips(&ca);
	printf("keys:          %zu\n", nk);
	for (size_t i = 0; i < nk; i++) {
		printf("  %-7s %-3s id=", k[i].is_private ? "private" : "public",
		    k[i].pkey_type == EVP_PKEY_EC ? "EC" :
		    k[i].pkey_type == EVP_PKEY_RSA ? "RSA" : "?");
		print_hex(k[i].id, k[i].id_len);
		printf(" label=%s\n", k[i].label);
	}
	ret = 0;
out:
	free(m);
	free(k);
	unload(c, &ca);
	return ret;
}

/* --- issue ------------------------------------------------------------ */

static int
read_file(const char *path, size_t max, unsigned char **buf, size_t *len)
{
	FILE *f;
	unsigned char *b;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "esealctl: %s: %s\n", path, strerror(errno));
		return 0;
	}
	if ((b = malloc(max + 1)) == NULL) {
		fclose(f);
		return 0;
	}
	n = fread(b, 1, max + 1, f);
	fclose(f);
	*buf = b;
	*len = n;	/* max + 1 means too big: csr_parse says so */
	return 1;
}

static int
cmd_issue(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "csr", required_argument, NULL, 'r' },
		{ "org", required_argument, NULL, 'o' },
		{ "corporate-number", required_argument, NULL, 'N' },
		{ "org-id", required_argument, NULL, 'I' },
		{ "country", required_argument, NULL, 'C' },
		{ "cn", required_argument, NULL, 'n' },
		{ "ou", required_argument, NULL, 'u' },
		{ "locality", required_argument, NULL, 'l' },
		{ "profile", required_argument, NULL, 'p' },
		{ "key-holder", required_argument, NULL, 'k' },
		{ "qscd", no_argument, NULL, 'q' },
		{ "validity-days", required_argument, NULL, 'v' },
		{ "out", required_argument, NULL, 'O' },
		{ NULL, 0, NULL, 0 },
	};
	struct issue_request req;
	struct issue_result res;
	struct profile *prof = NULL;
	struct csr *csr = NULL;
	struct orgid oid;
	struct org org;
	struct conf *c = NULL;
	struct ca ca;
	char who[ACTOR_MAX];
	const char *csrpath = NULL, *out = NULL, *o = NULL, *cc = "JP",
	    *cn = "", *ou = "", *loc = "", *corp = NULL, *orgid_s = NULL,
	    *pname = NULL, *holder = "subscriber";
	unsigned char *buf = NULL;
	const unsigned char *p;
	size_t len;
	X509 *x = NULL;
	FILE *f;
	int ch, done, days = -1, qscd = 0, h, ret = 1;

	memset(&res, 0, sizeof(res));
	while ((ch = next_opt(argc, argv, opts, &done)) != -1) {
		switch (ch) {
		case 'r': csrpath = optarg; break;
		case 'o': o = optarg; break;
		case 'N': corp = optarg; break;
		case 'I': orgid_s = optarg; break;
		case 'C': cc = optarg; break;
		case 'n': cn = optarg; break;
		case 'u': ou = optarg; break;
		case 'l': loc = optarg; break;
		case 'p': pname = optarg; break;
		case 'k': holder = optarg; break;
		case 'q': qscd = 1; break;
		case 'O': out = optarg; break;
		case 'v':
			if (!parse_int(optarg, 1, 3650, "--validity-days",
			    &days))
				return 2;
			break;
		default:
			return 2;
		}
	}
	if (csrpath == NULL || o == NULL || (corp == NULL) == (orgid_s == NULL)) {
		fprintf(stderr, "esealctl: issue: --csr, --org and one of "
		    "--corporate-number or --org-id are required\n");
		return 2;
	}
	if ((h = key_holder_parse(holder)) < 0) {
		fprintf(stderr, "esealctl: issue: --key-holder must be "
		    "subscriber or remote-service\n");
		return 2;
	}
	memset(&org, 0, sizeof(org));
	if (strlen(cc) != 2 || strlen(o) >= sizeof(org.name) ||
	    strlen(cn) >= sizeof(org.common_name) ||
	    strlen(ou) >= sizeof(org.unit) || strlen(loc) >= sizeof(org.locality)) {
		fprintf(stderr, "esealctl: issue: --country must be two "
		    "letters; names at most %zu bytes\n", sizeof(org.name) - 1);
		return 2;
	}
	if ((corp != NULL ? orgid_from_jp_corporate_number(corp, &oid) :
	    orgid_parse(orgid_s, &oid)) != ESEAL_OK)
		return fail("issue");
	memcpy(org.country, cc, 3);
	snprintf(org.name, sizeof(org.name), "%s", o);
	snprintf(org.identifier, sizeof(org.identifier), "%s", oid.text);
	snprintf(org.common_name, sizeof(org.common_name), "%s", cn);
	snprintf(org.unit, sizeof(org.unit), "%s", ou);
	snprintf(org.locality, sizeof(org.locality), "%s", loc);

	/* Check the request before touching the store or the token. */
	if (!read_file(csrpath, MAX_CSR_BYTES, &buf, &len))
		return 1;
	if (csr_parse(buf, len, &csr) != ESEAL_OK) {
		free(buf);
		return fail(csrpath);
	}
	free(buf);
	if (load(1, &c, &ca) != 0) {
		csr_free(csr);
		return 1;
	}
	if (profile_load(c->issue_profiles_dir, pname ? pname : c->issue_profile,
	    &prof) != ESEAL_OK) {
		fail("issue");
		goto out;
	}
	memset(&req, 0, sizeof(req));
	req.profile = prof;
	req.org = &org;
	req.csr = csr;
	req.holder = (enum key_holder)h;
	req.qscd = qscd || h == HOLDER_REMOTE_SERVICE;
	req.validity_days = days > 0 ? days : c->issue_validity_days;
	actor(who, sizeof(who));
	req.actor = who;
	if (issue_cert(&ca, &req, time(NULL), &res) != ESEAL_OK) {
		fail("issue");
		goto out;
	}
	p = res.der;
	if ((x = d2i_X509(NULL, &p, (long)res.der_len)) == NULL) {
		fprintf(stderr, "esealctl: issue: internal: cannot re-read "
		    "certificate %s\n", res.serial);
		goto out;
	}
	f = out ? fopen(out, "w") : stdout;
	if (f == NULL) {
		fprintf(stderr, "esealctl: issue: %s: %s (the certificate is "
		    "issued: serial %s)\n", out, strerror(errno), res.serial);
		goto out;
	}
	PEM_write_X509(f, x);
	if (out != NULL)
		fclose(f);
	fprintf(stderr, "esealctl: issued serial %s\n", res.serial);
	ret = 0;
out:
	X509_free(x);
	issue_result_clear(&res);
	profile_free(prof);
	csr_free(csr);
	unload(c, &ca);
	return ret;
}

/* --- key generate ---------------------------------------------------- */

static int
cmd_key_generate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "label", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned char id[16];
	char who[ACTOR_MAX], hex[40], label[80];
	const char *type = NULL, *lab = NULL;
	struct conf *c;
	struct ca ca;
	time_t now = time(NULL);
	int ch, done, kt, ret = 1;

	while ((ch = next_opt(argc, argv, opts, &done)) != -1) {
		switch (ch) {
		case 't': type = optarg; break;
		case 'l': lab = optarg; break;
		default: return 2;
		}
	}
	if (type == NULL || (kt = key_type_parse(type)) < 0) {
		fprintf(stderr, "esealctl: key generate: --type must be one of "
		    "ec-p256, ec-p384, rsa-3072, rsa-4096\n");
		return 2;
	}
	if (load(1, &c, &ca) != 0)
		return 1;
	actor(who, sizeof(who));
	if (issuer_may_generate(&ca, (enum key_type)kt, now, who) != ESEAL_OK) {
		fail("key generate");
		goto out;
	}
	if (RAND_bytes(id, sizeof(id)) != 1)
		goto out;
	for (size_t i = 0; i < sizeof(id); i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	snprintf(label, sizeof(label), "%s", lab ? lab : "eseal-key");
	if (p11_generate(ca.token, (enum key_type)kt, id, sizeof(id), label)
	    != ESEAL_OK || audit_append(ca.store, now, who, "key.generate", hex,
	    "type=%s label=%s", type, label) != ESEAL_OK) {
		fail("key generate");
		goto out;
	}
	printf("key generated on the token: %s id=%s label=%s\n", type, hex,
	    label);
	ret = 0;
out:
	unload(c, &ca);
	return ret;
}

/* --- hsm import-cmvp -------------------------------------------------- */

/*
 * Updates the registry (c->hsm_registry) from a CSV exported from the CMVP
 * search (docs/hsm-modules.md).  A real import is an audit record; a dry
 * run needs only the configuration.
 */
static int
cmd_hsm_import_cmvp(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct cmvp_rows *rows = NULL;
	struct conf *c = NULL;
	struct ca ca;
	char who[ACTOR_MAX], *rep = NULL, *detail = NULL;
	size_t replen = 0, n = 0;
	FILE *f = NULL;
	time_t now = time(NULL);
	int ch, done, dry_run = 0, ret = 1, opened = 0;

	while ((ch = next_opt(argc, argv, opts, &done)) != -1) {
		if (ch != 'n')
			return 2;
		dry_run = 1;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "esealctl: hsm import-cmvp: one FILE.csv is "
		    "required\n");
		return 2;
	}
	if (dry_run) {
		if (conf_load(config_path, &c) != ESEAL_OK)
			return fail("config");
	} else {
		if (load(0, &c, &ca) != 0)
			return 1;
		opened = 1;
	}
	if ((f = open_memstream(&rep, &replen)) == NULL) {
		fprintf(stderr, "esealctl: hsm import-cmvp: out of memory\n");
		goto out;
	}
	if (cmvp_load(argv[optind], &rows) != ESEAL_OK ||
	    cmvp_apply(c->hsm_registry, rows, now, f, dry_run) != ESEAL_OK) {
		fail("hsm import-cmvp");
		goto out;
	}
	fclose(f);
	f = NULL;
	fputs(rep, stdout);
	ret = 0;
	if (dry_run)
		goto out;
	/* The report on one line, " | " between lines; cut if long. */
	if ((detail = malloc(3 * replen + 1)) == NULL) {
		fprintf(stderr, "esealctl: hsm import-cmvp: the registry was "
		    "written, but the audit record was not: out of memory\n");
		ret = 1;
		goto out;
	}
	for (size_t i = 0; i < replen; i++) {
		if (rep[i] != '\n')
			detail[n++] = rep[i];
		else if (i + 1 < replen) {
			memcpy(detail + n, " | ", 3);
			n += 3;
		}
	}
	detail[n] = '\0';
	actor(who, sizeof(who));
	if (audit_append(ca.store, now, who, "hsm.registry.import-cmvp",
	    c->hsm_registry, "csv=%s | %s", argv[optind], detail) !=
	    ESEAL_OK) {
		fail("hsm import-cmvp: the registry was written, but the audit "
		    "record was not");
		ret = 1;
	}
out:
	if (f != NULL)
		fclose(f);
	free(rep);
	free(detail);
	cmvp_free(rows);
	if (opened)
		unload(c, &ca);
	else
		conf_free(c);
	return ret;
}

/* --- hsm readiness ---------------------------------------------------- */

static int
has_mech(const struct p11_mech *m, size_t n, unsigned long type,
    unsigned long flag, int bits)
{
	for (size_t i = 0; i < n; i++) {
		if (m[i].type != type || !(m[i].flags & flag))
			continue;
		/* EC sizes are in bits; RSA in bits; 0 = not stated. */
		if (bits == 0 || m[i].max_key == 0 ||
		    ((unsigned long)bits >= m[i].min_key &&
		    (unsigned long)bits <= m[i].max_key))
			return 1;
	}
	return 0;
}

static int
cmd_hsm_readiness(int argc, char **argv)
{
	struct p11_mech *m = NULL;
	const struct policy_rule *r;
	struct conf *c;
	struct ca ca;
	size_t nm = 0;
	time_t now = time(NULL);
	int ch, done, ret = 1;

	while ((ch = next_opt(argc, argv, NULL, &done)) != -1)
		return 2;
	if (load(1, &c, &ca) != 0)
		return 1;
	if (p11_mechanisms(ca.token, &m, &nm) != ESEAL_OK) {
		fail("hsm readiness");
		goto out;
	}
	printf("%-15s %-22s %-9s %-8s %-8s %s\n", "kind", "rule", "policy",
	    "keygen", "sign", "note");
	ca_rdlock(&ca);
	for (size_t i = 0; i < policy_nrules(ca.policy); i++) {
		int gen = -1, sign = -1, ec, bits;
		const char *note = "";

		r = policy_rule_at(ca.policy, i);
		if (strcmp(r->kind, "subscriber-key") == 0)
			continue;	/* subscriber keys live elsewhere */
		ec = strcmp(r->type, "ec") == 0;
		bits = r->min_bits;
		if (strcmp(r->kind, "issuer-key") == 0) {
			if (ec)
				bits = r->curve_nid == NID_secp384r1 ? 384 :
				    r->curve_nid == NID_secp521r1 ? 521 : 256;
			gen = ec ? has_mech(m, nm, CKM_EC_KEY_PAIR_GEN,
			    CKF_GENERATE_KEY_PAIR, bits) :
			    has_mech(m, nm, CKM_RSA_PKCS_KEY_PAIR_GEN,
			    CKF_GENERATE_KEY_PAIR, bits);
			sign = ec ? has_mech(m, nm, CKM_ECDSA, CKF_SIGN, bits) :
			    has_mech(m, nm, CKM_RSA_PKCS, CKF_SIGN, bits);
		} else if (ec)
			sign = has_mech(m, nm, CKM_ECDSA, CKF_SIGN, 0);
		else if (strcmp(r->type, "rsa-pss") == 0) {
			/* libp11 0.4.12 pads PSS itself, signs raw RSA. */
			sign = has_mech(m, nm, CKM_RSA_X_509, CKF_SIGN, 0);
			note = sign ? "via CKM_RSA_X_509 (libp11 pads PSS)" :
			    "needs CKM_RSA_X_509: libp11 pads PSS itself";
		} else
			sign = has_mech(m, nm, CKM_RSA_PKCS, CKF_SIGN, 0);
		printf("%-15s %-22s %-9s %-8s %-8s %s\n", r->kind, r->name,
		    policy_rule_allows(r, now) ? "now" : "not now",
		    gen < 0 ? "-" : gen ? "yes" : "NO",
		    sign < 0 ? "-" : sign ? "yes" : "NO", note);
	}
	ca_unlock(&ca);
	ret = 0;
out:
	free(m);
	unload(c, &ca);
	return ret;
}

/* --- revoke ---------------------------------------------------------- */

static int
parse_date(const char *s, int64_t *out)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%d", &tm)) == NULL || *end != '\0')
		return 0;
	*out = (int64_t)timegm(&tm);
	return 1;
}

static int
cmd_revoke(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "serial", required_argument, NULL, 's' },
		{ "reason", required_argument, NULL, 'r' },
		{ "invalidity-date", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	struct revoke_request rr;
	struct store_revocation out;
	struct crl_params cp;
	struct profile *prof = NULL;
	enum revoke_reason reason;
	struct conf *c;
	struct ca ca;
	char who[ACTOR_MAX];
	const char *serial = NULL, *rs = "unspecified";
	int64_t inval = 0, number = 0, now = time(NULL);
	int ch, done, ret = 1;

	while ((ch = next_opt(argc, argv, opts, &done)) != -1) {
		switch (ch) {
		case 's': serial = optarg; break;
		case 'r': rs = optarg; break;
		case 'i':
			if (!parse_date(optarg, &inval)) {
				fprintf(stderr, "esealctl: revoke: "
				    "--invalidity-date must be YYYY-MM-DD\n");
				return 2;
			}
			break;
		default: return 2;
		}
	}
	if (serial == NULL) {
		fprintf(stderr, "esealctl: revoke: --serial is required\n");
		return 2;
	}
	if (revoke_reason_parse(rs, &reason) != ESEAL_OK)
		return fail("revoke");
	if (load(1, &c, &ca) != 0)
		return 1;
	actor(who, sizeof(who));
	memset(&rr, 0, sizeof(rr));
	rr.serial = serial;
	rr.reason = reason;
	rr.invalidity_date = inval;
	rr.actor = who;
	if (revoke_cert(&ca, &rr, now, &out) != ESEAL_OK) {
		fail("revoke");
		goto out;
	}
	printf("revoked %s: %s\n", out.serial, revoke_reason_name(
	    (enum revoke_reason)out.reason));
	/* The CRL at once (a running eseald also picks it up). */
	memset(&cp, 0, sizeof(cp));
	cp.validity_secs = (int64_t)c->publish_crl_hours * 3600;
	cp.base_url = c->publish_base_url;
	cp.actor = who;
	cp.drop_expired = !c->publish_expired_on_crl;
	if (profile_load(c->issue_profiles_dir, c->issue_profile, &prof) ==
	    ESEAL_OK)
		cp.url_template = prof->crl_url;
	if (crl_generate_for(&ca, out.serial, now, &cp, &number) != ESEAL_OK)
		fprintf(stderr, "esealctl: revoke: warning: CRL not regenerated: "
		    "%s\n", eseal_errmsg());
	else
		printf("CRL number %lld signed\n", (long long)number);
	ret = 0;
out:
	profile_free(prof);
	unload(c, &ca);
	return ret;
}

/* --- ocsp signer create --------------------------------------------- */

static int
cmd_ocsp_signer_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "issuer", required_argument, NULL, 'i' },
		{ "key-type", required_argument, NULL, 't' },
		{ "validity-days", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct ocsp_signer *sg = NULL;
	struct issuer *is = NULL;
	struct conf *c;
	struct ca ca;
	char who[ACTOR_MAX], until[32];
	const char *iname = NULL, *type = NULL;
	time_t na;
	int64_t now = time(NULL);
	int ch, done, kt = -1, days = 0, ret = 1;

	while ((ch = next_opt(argc, argv, opts, &done)) != -1) {
		switch (ch) {
		case 'i': iname = optarg; break;
		case 't': type = optarg; break;
		case 'd':
			if (!parse_int(optarg, 1, OCSP_SIGNER_DAYS_MAX,
			    "ocsp signer create: --validity-days", &days))
				return 2;
			break;
		default: return 2;
		}
	}
	if (type != NULL && (kt = key_type_parse(type)) < 0) {
		fprintf(stderr, "esealctl: ocsp signer create: --key-type must "
		    "be one of ec-p256, ec-p384, rsa-3072, rsa-4096\n");
		return 2;
	}
	if (load(1, &c, &ca) != 0)
		return 1;
	actor(who, sizeof(who));
	if ((iname != NULL ? issuer_by_name(&ca, iname, &is) :
	    issuer_current(&ca, &is)) != ESEAL_OK) {
		fail("ocsp signer create");
		goto out;
	}
	/* The issuer's own key type unless told otherwise. */
	if (kt < 0 && (kt = key_type_parse(is->rec.key_type)) < 0)
		kt = (int)c->ca_key_type;
	if (ocsp_signer_create(&ca, is, (enum key_type)kt, days, now, who,
	    &sg) != ESEAL_OK) {
		fail("ocsp signer create");
		goto out;
	}
	na = (time_t)sg->rec.not_after;
	strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", gmtime(&na));
	printf("OCSP signer created for %s: serial %s, %s, valid until %s\n",
	    is->rec.name, sg->rec.serial, sg->rec.key_type, until);
	if (!c->ocsp_delegated)
		printf("note: eseald uses it once [ocsp] signer = delegated\n");
	ret = 0;
out:
	ocsp_signer_free(sg);
	issuer_free(is);
	unload(c, &ca);
	return ret;
}

/* --- crl generate | show ---------------------------------------------- */

static int
cmd_crl(int argc, char **argv, int show)
{
	static const struct option opts[] = {
		{ "issuer", required_argument, NULL, 'i' },
		{ "shard", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct issuer *is = NULL;
	struct crl_params cp;
	struct profile *prof = NULL;
	struct store_crl sc;
	struct conf *c;
	struct ca ca;
	char who[ACTOR_MAX];
	const char *iname = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t len;
	int64_t number, now = time(NULL);
	int ch, done, shard = -1, ret = 1;
	X509_CRL *crl;
	BIO *bio;

	while ((ch = next_opt(argc, argv, opts, &done)) != -1) {
		switch (ch) {
		case 'i': iname = optarg; break;
		case 's':
			if (!parse_int(optarg, 0, 255, "--shard", &shard))
				return 2;
			break;
		default: return 2;
		}
	}
	if (load(!show, &c, &ca) != 0)
		return 1;
	if ((iname ? issuer_by_name(&ca, iname, &is) : issuer_current(&ca, &is))
	    != ESEAL_OK) {
		fail(show ? "crl show" : "crl generate");
		goto out;
	}
	if (shard >= is->rec.crl_shards) {
		fprintf(stderr, "esealctl: crl: issuer %s has %d shard(s)\n",
		    is->rec.name, is->rec.crl_shards);
		goto out;
	}
	for (int s = shard < 0 ? 0 : shard; s < (shard < 0 ?
	    is->rec.crl_shards : shard + 1); s++) {
		if (show) {
			if (crl_latest(&ca, is->rec.id, s, &sc) != ESEAL_OK) {
				fail("crl show");
				goto out;
			}
			p = sc.der;
			crl = d2i_X509_CRL(NULL, &p, (long)sc.der_len);
			bio = BIO_new_fp(stdout, BIO_NOCLOSE);
			if (crl != NULL && bio != NULL)
				X509_CRL_print(bio, crl);
			BIO_free(bio);
			X509_CRL_free(crl);
			store_crl_clear(&sc);
			continue;
		}
		actor(who, sizeof(who));
		memset(&cp, 0, sizeof(cp));
		cp.validity_secs = (int64_t)c->publish_crl_hours * 3600;
		cp.base_url = c->publish_base_url;
		cp.actor = who;
		cp.drop_expired = !c->publish_expired_on_crl;
		profile_free(prof);
		prof = NULL;
		if (profile_load(c->issue_profiles_dir, c->issue_profile,
		    &prof) == ESEAL_OK)
			cp.url_template = prof->crl_url;
		if (crl_generate(&ca, is, s, now, &cp, &der, &len, &number)
		    != ESEAL_OK) {
			fail("crl generate");
			goto out;
		}
		OPENSSL_free(der);
		der = NULL;
		printf("CRL %s/%d number %lld signed\n", is->rec.name, s,
		    (long long)number);
	}
	ret = 0;
out:
	profile_free(prof);
	issuer_free(is);
	unload(c, &ca);
	return ret;
}

static int
cmd_crl_generate(int argc, char **argv)
{
	return cmd_crl(argc, argv, 0);
}

static int
cmd_crl_show(int argc, char **argv)
{
	return cmd_crl(argc, argv, 1);
}

/* --- account add | reset | compromise | list ---------------------------- */

static int
cmd_account(int argc, char **argv, const char *what)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct account_params ap;
	struct account_info *v = NULL;
	char pw[ACCOUNT_INITIAL_PW_SIZE + 8], who[ACTOR_MAX];
	const char *role = NULL, *user;
	struct conf *c;
	struct ca ca;
	size_t n = 0;
	enum eseal_rc rc;
	int ch, done, r = -1, ret = 1;

	while ((ch = next_opt(argc, argv, opts, &done)) != -1) {
		if (ch != 'r')
			return 2;
		role = optarg;
	}
	user = optind < argc ? argv[optind] : NULL;
	if (strcmp(what, "list") != 0 && user == NULL) {
		fprintf(stderr, "esealctl: account %s: USER is required\n",
		    what);
		return 2;
	}
	if (strcmp(what, "add") == 0 && (role == NULL ||
	    (r = role_parse(role)) < 0)) {
		fprintf(stderr, "esealctl: account add: --role must be admin, "
		    "ra or auditor\n");
		return 2;
	}
	if (load(0, &c, &ca) != 0)
		return 1;
	account_params_conf(&ap, c);
	actor(who, sizeof(who));
	if (strcmp(what, "add") == 0)
		rc = account_add(ca.store, &ap, user, (enum role)r, time(NULL),
		    who, pw, sizeof(pw));
	else if (strcmp(what, "reset") == 0)
		rc = account_reset(ca.store, &ap, user, time(NULL), who, pw,
		    sizeof(pw));
	else if (strcmp(what, "compromise") == 0)
		rc = account_compromise(ca.store, user, time(NULL), who);
	else
		rc = account_list(ca.store, &v, &n);
	if (rc != ESEAL_OK) {
		char cmd[32];

		snprintf(cmd, sizeof(cmd), "account %s", what);
		fail(cmd);
		goto out;
	}
	if (strcmp(what, "add") == 0 || strcmp(what, "reset") == 0)
		printf("%s: initial password (shown once; must be changed at "
		    "first login): %s\n", user, pw);
	else if (strcmp(what, "compromise") == 0)
		printf("%s: marked compromised: sessions ended, password change "
		    "required\n", user);
	for (size_t i = 0; i < n; i++)
		printf("%-24s %-8s%s%s\n", v[i].username, role_name(v[i].role),
		    v[i].must_change ? " must-change-password" : "",
		    v[i].compromised ? " compromised" : "");
	ret = 0;
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	free(v);
	unload(c, &ca);
	return ret;
}

static int
cmd_account_add(int argc, char **argv)
{
	return cmd_account(argc, argv, "add");
}

static int
cmd_account_reset(int argc, char **argv)
{
	return cmd_account(argc, argv, "reset");
}

static int
cmd_account_compromise(int argc, char **argv)
{
	return cmd_account(argc, argv, "compromise");
}

static int
cmd_account_list(int argc, char **argv)
{
	return cmd_account(argc, argv, "list");
}

/* --- audit verify ----------------------------------------------------- */

static int
cmd_audit_verify(int argc, char **argv)
{
	struct conf *c;
	struct ca ca;
	int64_t n;
	int ch, done, ret = 1;

	while ((ch = next_opt(argc, argv, NULL, &done)) != -1)
		return 2;
	if (load(0, &c, &ca) != 0)
		return 1;
	if (audit_verify(ca.store, &n) != ESEAL_OK)
		fail("audit verify");
	else {
		printf("audit: %lld records, hash chain intact\n", (long long)n);
		ret = 0;
	}
	unload(c, &ca);
	return ret;
}

/* --------------------------------------------------------------------- */

static const struct cmd cmds[] = {
	{ "init", cmd_init, "[--key-type T] [--validity-days N] [--crl-shards N]",
	  "create the store, the first issuer key on the token and the CA "
	  "certificate" },
	{ "hsm status", cmd_hsm_status, "",
	  "token identity, FIPS 140 status, mechanisms and keys" },
	{ "hsm readiness", cmd_hsm_readiness, "",
	  "which crypto-policy algorithms the token can generate and sign" },
	{ "hsm import-cmvp", cmd_hsm_import_cmvp, "FILE.csv [--dry-run]",
	  "update statuses and sunset dates in the HSM module registry from "
	  "a CMVP search export" },
	{ "key generate", cmd_key_generate, "--type T [--label L]",
	  "generate a key on the token (refused on non-Active modules)" },
	{ "issue", cmd_issue, "--csr FILE --org NAME (--corporate-number N | "
	  "--org-id ID) [--country CC] [--cn CN] [--ou OU] [--locality L] "
	  "[--profile NAME] [--key-holder subscriber|remote-service] [--qscd] "
	  "[--validity-days N] [--out FILE]",
	  "issue one certificate from a PKCS#10 request" },
	{ "revoke", cmd_revoke, "--serial HEX [--reason R] "
	  "[--invalidity-date YYYY-MM-DD]",
	  "revoke a certificate (RFC 5280 reason names) and sign the CRL" },
	{ "crl generate", cmd_crl_generate, "[--issuer NAME] [--shard N]",
	  "sign a new CRL for every shard (or one) of an issuer" },
	{ "crl show", cmd_crl_show, "[--issuer NAME] [--shard N]",
	  "print the newest CRL of each shard (or one)" },
	{ "ocsp signer create", cmd_ocsp_signer_create, "[--issuer NAME] "
	  "[--key-type T] [--validity-days N]",
	  "make a delegated OCSP signing key and certificate (id-kp-OCSPSigning, "
	  "ocsp-nocheck) for an issuer" },
	{ "account add", cmd_account_add, "USER --role admin|ra|auditor",
	  "create an operator account; prints its initial password once" },
	{ "account reset", cmd_account_reset, "USER",
	  "new initial password, ends sessions, forces a change" },
	{ "account compromise", cmd_account_compromise, "USER",
	  "mark compromised: ends sessions, forces a password change" },
	{ "account list", cmd_account_list, "", "list operator accounts" },
	{ "audit verify", cmd_audit_verify, "",
	  "check the audit log's hash chain" },
};
#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

/* How many words of argv from i spell out name ("crl generate"), or 0. */
static int
match_words(const char *name, int argc, char **argv, int i)
{
	int words = 0;
	size_t n;

	while (*name != '\0') {
		n = strcspn(name, " ");
		if (i + words >= argc || strlen(argv[i + words]) != n ||
		    strncmp(argv[i + words], name, n) != 0)
			return 0;
		words++;
		name += n;
		if (*name == ' ')
			name++;
	}
	return words;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: esealctl [--config FILE] COMMAND [OPTIONS]\n"
	    "commands:\n");
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  %-13s %s\n      %s\n", cmds[i].name, cmds[i].help,
		    cmds[i].usage);
	fprintf(f, "every command takes --config FILE (default %s) and "
	    "--help\n", DEFAULT_CONFIG);
}

int
main(int argc, char **argv)
{
	int i = 1;

	if (getenv("ESEAL_CONFIG") != NULL)
		config_path = getenv("ESEAL_CONFIG");
	while (i < argc && strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
		config_path = argv[i + 1];
		i += 2;
	}
	if (i >= argc || strcmp(argv[i], "--help") == 0 ||
	    strcmp(argv[i], "help") == 0) {
		usage(i >= argc ? stderr : stdout);
		return i >= argc ? 2 : 0;
	}
	for (size_t k = 0; k < NCMDS; k++) {
		const char *name = cmds[k].name;
		int words = match_words(name, argc, argv, i);

		if (words == 0)
			continue;
		/* argv for getopt: the command word(s) act as argv[0]. */
		argv += i + words - 1;
		argc -= i + words - 1;
		for (int j = 1; j < argc; j++)
			if (strcmp(argv[j], "--help") == 0) {
				printf("usage: esealctl %s %s\n  %s\n", name,
				    cmds[k].usage, cmds[k].help);
				return 0;
			}
		optind = 1;
		return cmds[k].fn(argc, argv);
	}
	fprintf(stderr, "esealctl: unknown command \"%s\"; see esealctl "
	    "--help\n", argv[i]);
	return 2;
}
