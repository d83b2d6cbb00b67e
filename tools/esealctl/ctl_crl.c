/*
 * ctl_crl.c: `esealctl crl generate | show`: sign or print the CRLs of an
 * issuer's shards, or what is recorded of one CRL by its number.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "crl.h"
#include "crl_stream.h"
#include "publish.h"
#include "store_crlkeep.h"
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

#define CTL_CRL_PRUNED	3	/* exit status: CRL N is known, its body
				   was pruned ([publish] crl_keep_days) */

/* What `crl show --number` writes besides the summary. */
struct show_out {
	int64_t		 number;	/* 0: the newest of each shard */
	const char	*out;		/* --out FILE: the DER; NULL: none */
	int		 pem;		/* --pem: PEM on standard output */
};

#define SHOW_TIME_MAX	32	/* "2026-12-03T07:00:00Z" */

/* t as RFC 3339 UTC into buf. */
static const char *
show_fmt_time(int64_t t, char buf[SHOW_TIME_MAX])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, SHOW_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, SHOW_TIME_MAX, "%lld", (long long)t);
	return buf;
}

static void
show_time(const char *what, int64_t t)
{
	char buf[SHOW_TIME_MAX];

	printf("%-12s %s\n", what, show_fmt_time(t, buf));
}

static void
show_digest(const unsigned char d[SHA256_DIGEST_LENGTH])
{
	printf("%-12s ", "sha256:");
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		printf("%02x", d[i]);
	printf("\n");
}

/*
 * The body of a kept CRL: checked as outside input (one CertificateList,
 * no byte after it), then written to o->out (DER) and/or printed as PEM.
 * Returns 0, or 1 after one line.
 */
static int
show_body(const struct store_crl_info *ci, const char *name, int shard,
    const struct show_out *o)
{
	const unsigned char *p = ci->c.der;
	X509_CRL *crl;
	int ret = 1;

	if ((crl = d2i_X509_CRL(NULL, &p, (long)ci->c.der_len)) == NULL ||
	    p != ci->c.der + ci->c.der_len) {
		fprintf(stderr, "esealctl: crl show: RFC 5280 5.1: CRL %lld of "
		    "%s/%d as stored is not one DER CertificateList\n",
		    (long long)ci->c.number, name, shard);
		goto out;
	}
	if (o->out != NULL && publish_write_atomic("crl show", o->out,
	    ci->c.der, ci->c.der_len, 0644) != ESEAL_OK) {
		ctl_fail("crl show");
		goto out;
	}
	if (o->out != NULL)
		printf("%-12s %s (DER, %zu bytes)\n", "written:", o->out,
		    ci->c.der_len);
	if (o->pem && PEM_write_X509_CRL(stdout, crl) != 1) {
		fprintf(stderr, "esealctl: crl show: cannot write the PEM\n");
		goto out;
	}
	ret = 0;
out:
	X509_CRL_free(crl);
	return ret;
}

/*
 * `crl show --number N`: what is recorded of CRL N of (is, shard): its
 * number, dates, entry count and SHA-256, then its body, or that the body
 * was pruned, when and by which rule.  Returns 0, 1 after one line (no
 * such CRL, a bad body), or CTL_CRL_PRUNED.
 */
static int
show_number(struct ca *ca, const struct conf *c, const struct issuer *is,
    int shard, const struct show_out *o)
{
	struct store_crl_info ci;
	unsigned char digest[SHA256_DIGEST_LENGTH];
	int64_t entries = 0;
	enum eseal_rc rc;
	char when[SHOW_TIME_MAX];
	int ret;

	if ((rc = store_crl_get(ca->store, is->rec.id, shard, o->number, &ci))
	    == ESEAL_ENOTFOUND) {
		fprintf(stderr, "esealctl: crl show: RFC 5280 5.2.3: %s/%d has "
		    "no CRL number %lld\n", is->rec.name, shard,
		    (long long)o->number);
		return 1;
	}
	if (rc != ESEAL_OK)
		return ctl_fail("crl show");
	if (ci.pruned == 0) {
		SHA256(ci.c.der, ci.c.der_len, digest);
		if (crl_stream_count(ci.c.der, ci.c.der_len, &entries)
		    != ESEAL_OK)
			entries = -1;
	} else {
		memcpy(digest, ci.digest, sizeof(digest));
		entries = ci.entries;
	}
	printf("%-12s %s/%d\n", "crl:", is->rec.name, shard);
	printf("%-12s %lld\n", "number:", (long long)ci.c.number);
	show_time("thisUpdate:", ci.c.this_update);
	show_time("nextUpdate:", ci.c.next_update);
	if (entries < 0)
		printf("%-12s unknown\n", "entries:");
	else
		printf("%-12s %lld\n", "entries:", (long long)entries);
	show_digest(digest);
	if (ci.pruned == 0) {
		printf("%-12s kept (%zu bytes)\n", "body:", ci.c.der_len);
		ret = show_body(&ci, is->rec.name, shard, o);
		store_crl_clear(&ci.c);
		return ret;
	}
	printf("%-12s pruned\n", "body:");
	show_time("pruned:", ci.pruned);
	fflush(stdout);
	if (c->publish_crl_keep_count > 0)
		fprintf(stderr, "esealctl: crl show: the body of CRL %lld of "
		    "%s/%d was pruned on %s by [publish] crl_keep_days or "
		    "crl_keep_count (bodies of CRLs made more than %d days "
		    "before a newer one, or with %d newer CRLs of their shard, "
		    "are dropped; number, dates, SHA-256 and entry count are "
		    "kept)\n", (long long)ci.c.number, is->rec.name, shard,
		    show_fmt_time(ci.pruned, when), c->publish_crl_keep_days,
		    c->publish_crl_keep_count);
	else
		fprintf(stderr, "esealctl: crl show: the body of CRL %lld of "
		    "%s/%d was pruned on %s by [publish] crl_keep_days (bodies "
		    "of CRLs made more than %d days before a newer one are "
		    "dropped; number, dates, SHA-256 and entry count are "
		    "kept)\n", (long long)ci.c.number, is->rec.name, shard,
		    show_fmt_time(ci.pruned, when), c->publish_crl_keep_days);
	store_crl_clear(&ci.c);
	return CTL_CRL_PRUNED;
}

/* The options of crl generate and crl show. */
struct crl_args {
	const char	*iname;		/* --issuer; NULL: the current one */
	int		 shard;		/* --shard; -1: every shard */
	struct show_out	 so;		/* crl show --number, --out, --pem */
};

/* Parses argv into *a.  Returns 0, or 2 after one line (usage error). */
static int
crl_args(int argc, char **argv, int show, struct crl_args *a)
{
	static const struct option gen_opts[] = {
		{ "issuer", required_argument, NULL, 'i' },
		{ "shard", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct option show_opts[] = {
		{ "issuer", required_argument, NULL, 'i' },
		{ "shard", required_argument, NULL, 's' },
		{ "number", required_argument, NULL, 'n' },
		{ "out", required_argument, NULL, 'o' },
		{ "pem", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	long long ll;
	char *end;
	int ch;

	memset(a, 0, sizeof(*a));
	a->shard = -1;
	while ((ch = ctl_next_opt(argc, argv, show ? show_opts : gen_opts))
	    != -1) {
		switch (ch) {
		case 'i': a->iname = optarg; break;
		case 's':
			if (!ctl_parse_int(optarg, 0, 255, "--shard",
			    &a->shard))
				return 2;
			break;
		case 'n':
			ll = strtoll(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' ||
			    ll < 1 || ll >= LLONG_MAX) {
				fprintf(stderr, "esealctl: --number: \"%s\" is "
				    "not a CRL number (RFC 5280 5.2.3: a "
				    "positive integer)\n", optarg);
				return 2;
			}
			a->so.number = ll;
			break;
		case 'o': a->so.out = optarg; break;
		case 'p': a->so.pem = 1; break;
		default: return 2;
		}
	}
	if ((a->so.out != NULL || a->so.pem) && a->so.number == 0) {
		fprintf(stderr, "esealctl: crl show: --out and --pem need "
		    "--number\n");
		return 2;
	}
	return 0;
}

static int
cmd_crl(int argc, char **argv, int show)
{
	struct crl_args a;
	struct issuer *is = NULL;
	struct ctl_progress p;
	struct crl_params cp;
	struct profile *prof = NULL;
	struct conf *c;
	struct ca ca;
	char who[ACTOR_MAX];
	unsigned char *der = NULL;
	size_t len;
	int64_t number, now = time(NULL);
	int shard, ret = 1;

	if (crl_args(argc, argv, show, &a) != 0)
		return 2;
	shard = a.shard;
	if (ctl_load(!show, &c, &ca) != 0)
		return 1;
	if ((a.iname ? issuer_by_name(&ca, a.iname, &is) :
	    issuer_current(&ca, &is))
	    != ESEAL_OK) {
		ctl_fail(show ? "crl show" : "crl generate");
		goto out;
	}
	if (shard >= is->rec.crl_shards) {
		fprintf(stderr, "esealctl: crl: issuer %s has %d shard(s)\n",
		    is->rec.name, is->rec.crl_shards);
		goto out;
	}
	if (a.so.number != 0) {
		/* Each shard numbers its own CRLs: one shard is meant. */
		if (shard < 0 && is->rec.crl_shards > 1) {
			fprintf(stderr, "esealctl: crl show: --number needs "
			    "--shard: issuer %s has %d shards, each numbering "
			    "its own CRLs\n", is->rec.name,
			    is->rec.crl_shards);
			ret = 2;
		} else
			ret = show_number(&ca, c, is, shard < 0 ? 0 : shard,
			    &a.so);
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
	cp.keep_count = c->publish_crl_keep_count;
		cp.delta = c->publish_delta_crl;
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
	  "[--issuer NAME] [--shard N] [--number N [--out FILE] [--pem]]",
	  "print the newest CRL of each shard (or one), or CRL number N: "
	  "its dates, entries, SHA-256 and body (exit 3: body pruned)" },
	{ NULL, NULL, NULL, NULL },
};
