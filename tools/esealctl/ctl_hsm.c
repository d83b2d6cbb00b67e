/*
 * ctl_hsm.c: `esealctl hsm status | readiness | import-cmvp`: the token, its
 * FIPS 140 status, its mechanisms against the crypto policy, and the HSM
 * module registry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <p11-kit/pkcs11.h>

#include "audit.h"
#include "cmvp.h"
#include "ctl.h"

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
print_fips(struct ca *ca, struct p11_token *tok)
{
	struct fips_verdict v;
	const struct fips_entry *e;
	char fw[64];

	ca_rdlock(ca);
	if (ca_fips_verdict_on(ca, tok, time(NULL), &v) != ESEAL_OK) {
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
		printf("action:        move issuing to an Active module: "
		    "esealctl issuer rotate --name NEW --token TOKEN "
		    "(docs/key-rotation.md)\n");
	ca_unlock(ca);
}

/* --token NAME, the one option of status and readiness. */
static const struct option token_opts[] = {
	{ "token", required_argument, NULL, 't' },
	{ NULL, 0, NULL, 0 },
};

/* Reads --token; 0, or 2 on a usage error. */
static int
token_opt(int argc, char **argv, const char **name)
{
	int ch;

	*name = "";
	while ((ch = ctl_next_opt(argc, argv, token_opts)) != -1) {
		if (ch != 't')
			return 2;
		*name = optarg;
	}
	return 0;
}

/* The module path of the token called name. */
static const char *
module_of(const struct conf *c, const char *name)
{
	const struct conf_hsm *h = conf_hsm_find(c, name);

	return h != NULL ? h->module : c->hsm_module;
}

static int
cmd_hsm_status(int argc, char **argv)
{
	struct p11_identity id;
	struct p11_mech *m = NULL;
	struct p11_key_info *k = NULL;
	struct p11_token *tok;
	const char *tname;
	struct conf *c;
	struct ca ca;
	size_t nm = 0, nk = 0;
	int ret = 1;

	if (token_opt(argc, argv, &tname) != 0)
		return 2;
	if (ctl_load(1, &c, &ca) != 0)
		return 1;
	if (ca_token(&ca, tname, &tok) != ESEAL_OK ||
	    p11_identity(tok, &id) != ESEAL_OK ||
	    p11_mechanisms(tok, &m, &nm) != ESEAL_OK ||
	    p11_keys(tok, &k, &nk) != ESEAL_OK) {
		ctl_fail("hsm status");
		goto out;
	}
	printf("name:          %s\n", ca_token_label(tname));
	printf("module:        %s\n", module_of(c, tname));
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
	print_fips(&ca, tok);
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
	ctl_unload(c, &ca);
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
	struct ctl_progress p;
	struct conf *c = NULL;
	struct ca ca;
	char who[ACTOR_MAX], *rep = NULL, *detail = NULL;
	size_t replen = 0, n = 0;
	FILE *f = NULL;
	time_t now = time(NULL);
	int ch, dry_run = 0, ret = 1, opened = 0;

	while ((ch = ctl_next_opt(argc, argv, opts)) != -1) {
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
		if (conf_load(ctl_config_path, &c) != ESEAL_OK)
			return ctl_fail("config");
	} else {
		if (ctl_load(1, &c, &ca) != 0)
			return 1;
		opened = 1;
	}
	if ((f = open_memstream(&rep, &replen)) == NULL) {
		fprintf(stderr, "esealctl: hsm import-cmvp: out of memory\n");
		goto out;
	}
	ctl_progress_start(&p, "hsm import-cmvp: registry entries");
	if (cmvp_load(argv[optind], &rows) != ESEAL_OK ||
	    cmvp_apply_progress(c->hsm_registry, rows, now, f, dry_run,
	    ctl_progress, &p) != ESEAL_OK) {
		ctl_progress_end(&p);
		ctl_fail("hsm import-cmvp");
		goto out;
	}
	ctl_progress_end(&p);
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
	ctl_actor(who, sizeof(who));
	if (audit_append(ca.store, now, who, "hsm.registry.import-cmvp",
	    c->hsm_registry, "csv=%s | %s", argv[optind], detail) !=
	    ESEAL_OK) {
		ctl_fail("hsm import-cmvp: the registry was written, but the "
		    "audit record was not");
		ret = 1;
	}
out:
	if (f != NULL)
		fclose(f);
	free(rep);
	free(detail);
	cmvp_free(rows);
	if (opened)
		ctl_unload(c, &ca);
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

/* What to do with what the table says: rotate away from or onto it. */
static void
readiness_action(struct ca *ca, struct p11_token *tok, const char *tname,
    time_t now)
{
	struct fips_verdict v;

	ca_rdlock(ca);
	if (ca_fips_verdict_on(ca, tok, now, &v) == ESEAL_OK) {
		if (v.status == FIPS_HISTORICAL || v.status == FIPS_REVOKED)
			printf("action: the module is %s: move issuing to an "
			    "Active module: esealctl issuer rotate --name NEW "
			    "--token TOKEN (docs/key-rotation.md)\n",
			    fips_status_name(v.status));
		else
			printf("rotate onto this token: esealctl issuer rotate "
			    "--name NEW --token %s --key-type T "
			    "(docs/key-rotation.md)\n", ca_token_label(tname));
	}
	ca_unlock(ca);
}

static int
cmd_hsm_readiness(int argc, char **argv)
{
	struct p11_mech *m = NULL;
	const struct policy_rule *r;
	struct p11_token *tok;
	const char *tname;
	struct conf *c;
	struct ca ca;
	size_t nm = 0;
	time_t now = time(NULL);
	int ret = 1;

	if (token_opt(argc, argv, &tname) != 0)
		return 2;
	if (ctl_load(1, &c, &ca) != 0)
		return 1;
	if (ca_token(&ca, tname, &tok) != ESEAL_OK ||
	    p11_mechanisms(tok, &m, &nm) != ESEAL_OK) {
		ctl_fail("hsm readiness");
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
	readiness_action(&ca, tok, tname, now);
	ret = 0;
out:
	free(m);
	ctl_unload(c, &ca);
	return ret;
}

/* The group's commands, in the order `esealctl --help` lists them. */
const struct ctl_cmd ctl_hsm_cmds[] = {
	{ "hsm status", cmd_hsm_status,
	  "[--token NAME]",
	  "token identity, FIPS 140 status, mechanisms and keys (the default "
	  "token, or an [hsm \"NAME\"])" },
	{ "hsm readiness", cmd_hsm_readiness,
	  "[--token NAME]",
	  "which crypto-policy algorithms the token can generate and sign" },
	{ "hsm import-cmvp", cmd_hsm_import_cmvp,
	  "FILE.csv [--dry-run]",
	  "update statuses and sunset dates in the HSM module registry from "
	  "a CMVP search export" },
	{ NULL, NULL, NULL, NULL },
};
