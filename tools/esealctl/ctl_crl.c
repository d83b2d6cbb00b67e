/*
 * ctl_crl.c: `esealctl crl generate | show`: sign or print the CRLs of an
 * issuer's shards.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "crl.h"
#include "issuer.h"
#include "profile.h"
#include "ctl.h"

/* --- crl generate | show ---------------------------------------------- */

/*
 * Prints the newest CRL of one shard of is.  The stored DER is read like
 * any outside input: one CertificateList and no byte after it.  Returns 0,
 * or 1 after printing one line.
 */
static int
crl_show_one(struct ca *ca, const struct issuer *is, int shard)
{
	struct store_crl sc;
	const unsigned char *p;
	X509_CRL *crl;
	BIO *bio;
	int ret = 1;

	if (crl_latest(ca, is->rec.id, shard, &sc) != ESEAL_OK)
		return ctl_fail("crl show");
	p = sc.der;
	if ((crl = d2i_X509_CRL(NULL, &p, (long)sc.der_len)) == NULL)
		fprintf(stderr, "esealctl: crl show: RFC 5280 5.1: the stored "
		    "CRL of %s/%d is not a DER CertificateList\n", is->rec.name,
		    shard);
	else if (p != sc.der + sc.der_len)
		fprintf(stderr, "esealctl: crl show: RFC 5280 / X.690 DER: "
		    "trailing bytes after the CRL of %s/%d\n", is->rec.name,
		    shard);
	else {
		if ((bio = BIO_new_fp(stdout, BIO_NOCLOSE)) != NULL)
			X509_CRL_print(bio, crl);
		BIO_free(bio);
		ret = 0;
	}
	X509_CRL_free(crl);
	store_crl_clear(&sc);
	return ret;
}

static int
cmd_crl(int argc, char **argv, int show)
{
	static const struct option opts[] = {
		{ "issuer", required_argument, NULL, 'i' },
		{ "shard", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct issuer *is = NULL;
	struct ctl_progress p;
	struct crl_params cp;
	struct profile *prof = NULL;
	struct conf *c;
	struct ca ca;
	char who[ACTOR_MAX];
	const char *iname = NULL;
	unsigned char *der = NULL;
	size_t len;
	int64_t number, now = time(NULL);
	int ch, shard = -1, ret = 1;

	while ((ch = ctl_next_opt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'i': iname = optarg; break;
		case 's':
			if (!ctl_parse_int(optarg, 0, 255, "--shard", &shard))
				return 2;
			break;
		default: return 2;
		}
	}
	if (ctl_load(!show, &c, &ca) != 0)
		return 1;
	if ((iname ? issuer_by_name(&ca, iname, &is) : issuer_current(&ca, &is))
	    != ESEAL_OK) {
		ctl_fail(show ? "crl show" : "crl generate");
		goto out;
	}
	if (shard >= is->rec.crl_shards) {
		fprintf(stderr, "esealctl: crl: issuer %s has %d shard(s)\n",
		    is->rec.name, is->rec.crl_shards);
		goto out;
	}
	ctl_progress_start(&p, "crl generate: shards");
	p.on = p.on && !show && shard < 0 && is->rec.crl_shards > 1;
	for (int s = shard < 0 ? 0 : shard; s < (shard < 0 ?
	    is->rec.crl_shards : shard + 1); s++) {
		if (show) {
			if (crl_show_one(&ca, is, s) != 0)
				goto out;
			continue;
		}
		ctl_actor(who, sizeof(who));
		memset(&cp, 0, sizeof(cp));
		cp.validity_secs = (int64_t)c->publish_crl_hours * 3600;
		cp.base_url = c->publish_base_url;
		cp.actor = who;
		cp.drop_expired = !c->publish_expired_on_crl;
		cp.keep_secs = (int64_t)c->publish_crl_keep_days * 86400;
		profile_free(prof);
		prof = NULL;
		if (profile_load(c->issue_profiles_dir, c->issue_profile,
		    &prof) == ESEAL_OK)
			cp.url_template = prof->crl_url;
		ctl_progress_clear(&p);
		if (crl_generate(&ca, is, s, now, &cp, &der, &len, &number)
		    != ESEAL_OK) {
			ctl_fail("crl generate");
			goto out;
		}
		OPENSSL_free(der);
		der = NULL;
		ctl_progress_print(&p, "CRL %s/%d number %lld signed\n",
		    is->rec.name, s, (long long)number);
		ctl_progress(&p, s + 1, is->rec.crl_shards);
	}
	ctl_progress_end(&p);
	ret = 0;
out:
	profile_free(prof);
	issuer_free(is);
	ctl_unload(c, &ca);
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

/* The group's commands, in the order `esealctl --help` lists them. */
const struct ctl_cmd ctl_crl_cmds[] = {
	{ "crl generate", cmd_crl_generate,
	  "[--issuer NAME] [--shard N]",
	  "sign a new CRL for every shard (or one) of an issuer" },
	{ "crl show", cmd_crl_show,
	  "[--issuer NAME] [--shard N]",
	  "print the newest CRL of each shard (or one)" },
	{ NULL, NULL, NULL, NULL },
};
