/*
 * ctl_issuer.c: `esealctl issuer list | show | rotate | import-cert |
 * retire`: the issuer key ceremonies (docs/key-rotation.md), run on the CA
 * host; the work is rotate.h's, each step an audit record naming the
 * operator.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "date.h"
#include "issuer.h"
#include "rotate.h"
#include "store_revoke.h"
#include "ctl.h"

#define CTL_CERT_MAX	ROTATE_CERT_MAX	/* a certificate or a chain file */

/* "Active, sunset 2030-01-01" of the module the token is on. */
static void
module_text(struct ca *ca, const char *token, time_t now, char *buf,
    size_t len, char *mod, size_t modlen)
{
	struct fips_verdict v;
	struct p11_token *tok;
	char day[16];

	snprintf(buf, len, "?");
	snprintf(mod, modlen, "?");
	if (ca_token(ca, token, &tok) != ESEAL_OK)
		return;
	ca_rdlock(ca);
	if (ca_fips_verdict_on(ca, tok, now, &v) == ESEAL_OK) {
		snprintf(mod, modlen, "%s", v.entry ? fips_entry_id(v.entry) :
		    "unlisted");
		if (v.historical_from != 0) {
			date_format_ymd(v.historical_from, day, sizeof(day));
			snprintf(buf, len, "%s, sunset %s",
			    fips_status_name(v.status), day);
		} else
			snprintf(buf, len, "%s", fips_status_name(v.status));
	}
	ca_unlock(ca);
}

/* The newest CRL number of each shard: "0:3 1:2", "-" for none. */
static void
crl_numbers(struct ca *ca, const struct store_issuer *r, char *buf,
    size_t len)
{
	struct store_crl crl;
	size_t o = 0;

	buf[0] = '\0';
	for (int s = 0; s < r->crl_shards && o + 24 < len; s++) {
		if (crl_latest(ca, r->id, s, &crl) == ESEAL_OK) {
			o += (size_t)snprintf(buf + o, len - o, "%s%d:%lld",
			    s ? " " : "", s, (long long)crl.number);
			store_crl_clear(&crl);
		} else
			o += (size_t)snprintf(buf + o, len - o, "%s%d:-",
			    s ? " " : "", s);
	}
}

/* One line of `issuer list`. */
static void
list_one(struct ca *ca, const struct store_issuer *r, time_t now)
{
	struct store_issuer_cover cov;
	char until[16], st[96], mod[64], crls[128], col[168];

	if (strcmp(r->status, "pending") == 0)
		snprintf(until, sizeof(until), "-");
	else
		date_format_ymd((time_t)r->not_after, until, sizeof(until));
	if (store_issuer_covers(ca->store, r->id, now, &cov) != ESEAL_OK)
		cov.unexpired = -1;
	module_text(ca, r->token, now, st, sizeof(st), mod, sizeof(mod));
	crl_numbers(ca, r, crls, sizeof(crls));
	snprintf(col, sizeof(col), "%s (%s)", mod, st);
	printf("%-16s %-9s %-9s %-10s %-36s %-11s %-7lld %s\n", r->name,
	    r->status, r->key_type, ca_token_label(r->token), col, until,
	    (long long)cov.unexpired, crls);
}

static int
cmd_issuer_list(int argc, char **argv)
{
	struct store_issuer *v = NULL;
	struct conf *c;
	struct ca ca;
	size_t n = 0;
	time_t now = time(NULL);
	int ch, ret = 1;

	while ((ch = ctl_next_opt(argc, argv, NULL)) != -1)
		return 2;
	if (ctl_load(1, &c, &ca) != 0)
		return 1;
	if (store_issuer_list_all(ca.store, &v, &n) != ESEAL_OK) {
		ctl_fail("issuer list");
		goto out;
	}
	printf("%-16s %-9s %-9s %-10s %-36s %-11s %-7s %s\n", "NAME", "STATUS",
	    "KEY", "TOKEN", "MODULE", "NOT_AFTER", "COVERS", "LAST_CRL");
	for (size_t i = 0; i < n; i++)
		list_one(&ca, &v[i], now);
	ret = 0;
out:
	store_issuer_list_free(v, n);
	ctl_unload(c, &ca);
	return ret;
}

/* --- issuer show ------------------------------------------------------ */

/* The link certificates that name issuer id, one line each. */
static void
show_links(struct ca *ca, const struct store_issuer *r,
    const struct store_issuer *all, size_t n)
{
	struct store_issuer_link *l = NULL;
	size_t nl = 0;
	const char *sg, *sb;
	char until[16];

	if (store_issuer_links(ca->store, &l, &nl) != ESEAL_OK)
		return;
	for (size_t i = 0; i < nl; i++) {
		if (l[i].signer_id != r->id && l[i].subject_id != r->id)
			continue;
		sg = sb = "?";
		for (size_t j = 0; j < n; j++) {
			if (all[j].id == l[i].signer_id)
				sg = all[j].name;
			if (all[j].id == l[i].subject_id)
				sb = all[j].name;
		}
		date_format_ymd((time_t)l[i].not_after, until, sizeof(until));
		printf("link:          %s's key certifies %s's, serial %s, "
		    "until %s, /ca/%s.by-%s.crt\n", sg, sb, l[i].serial, until,
		    sb, sg);
	}
	store_issuer_links_free(l, nl);
}

static void
show_one(struct ca *ca, const struct store_issuer *r,
    const struct store_issuer *all, size_t n, time_t now)
{
	struct store_issuer_cover cov;
	char from[16], until[16], st[96], mod[64], crls[128];

	module_text(ca, r->token, now, st, sizeof(st), mod, sizeof(mod));
	printf("name:          %s\n", r->name);
	printf("status:        %s\n", r->status);
	printf("key type:      %s\n", r->key_type);
	printf("token:         %s (%s)\n", ca_token_label(r->token),
	    ca_token_uri(ca, r->token));
	printf("module:        %s: %s\n", mod, st);
	if (strcmp(r->status, "pending") == 0) {
		printf("certificate:   none yet: esealctl issuer import-cert %s "
		    "FILE [--chain FILE]\n", r->name);
		return;
	}
	date_format_ymd((time_t)r->not_before, from, sizeof(from));
	date_format_ymd((time_t)r->not_after, until, sizeof(until));
	printf("valid:         %s to %s\n", from, until);
	if (store_issuer_covers(ca->store, r->id, now, &cov) == ESEAL_OK) {
		date_format_ymd((time_t)cov.last_not_after, until,
		    sizeof(until));
		printf("covers:        %lld unexpired certificate(s), %lld of "
		    "them unrevoked%s%s\n", (long long)cov.unexpired,
		    (long long)cov.unexpired_unrevoked, cov.last_not_after ?
		    "; the last until " : "", cov.last_not_after ? until : "");
	}
	crl_numbers(ca, r, crls, sizeof(crls));
	printf("crl shards:    %d; last CRL numbers %s\n", r->crl_shards, crls);
	if (r->chain != NULL)
		printf("chain:         parent certificates up to [ca] "
		    "root_cert stored\n");
	show_links(ca, r, all, n);
}

static int
cmd_issuer_show(int argc, char **argv)
{
	struct store_issuer *v = NULL;
	struct conf *c;
	struct ca ca;
	size_t n = 0, i;
	int ch, ret = 1;

	while ((ch = ctl_next_opt(argc, argv, NULL)) != -1)
		return 2;
	if (optind + 1 != argc) {
		fprintf(stderr, "esealctl: issuer show: give one issuer name\n");
		return 2;
	}
	if (ctl_load(1, &c, &ca) != 0)
		return 1;
	if (store_issuer_list_all(ca.store, &v, &n) != ESEAL_OK) {
		ctl_fail("issuer show");
		goto out;
	}
	for (i = 0; i < n && strcmp(v[i].name, argv[optind]) != 0; i++)
		;
	if (i == n)
		fprintf(stderr, "esealctl: issuer show: no issuer named "
		    "\"%s\"\n", argv[optind]);
	else {
		show_one(&ca, &v[i], v, n, time(NULL));
		ret = 0;
	}
out:
	store_issuer_list_free(v, n);
	ctl_unload(c, &ca);
	return ret;
}

/* --- issuer rotate ---------------------------------------------------- */

static int
rotate_opts(int argc, char **argv, struct rotate_req *rq)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "key-type", required_argument, NULL, 'k' },
		{ "token", required_argument, NULL, 't' },
		{ "validity-days", required_argument, NULL, 'v' },
		{ "crl-shards", required_argument, NULL, 's' },
		{ "csr-out", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(rq, 0, sizeof(*rq));
	rq->key_type = -1;
	while ((ch = ctl_next_opt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'n': rq->name = optarg; break;
		case 't': rq->token = optarg; break;
		case 'c': rq->csr_out = optarg; break;
		case 'k':
			if ((rq->key_type = key_type_parse(optarg)) < 0) {
				fprintf(stderr, "esealctl: issuer rotate: "
				    "--key-type \"%s\" is not one of ec-p256, "
				    "ec-p384, rsa-3072, rsa-4096\n", optarg);
				return 2;
			}
			break;
		case 'v':
			if (!ctl_parse_int(optarg, 1, 365 * 30,
			    "--validity-days", &rq->validity_days))
				return 2;
			break;
		case 's':
			if (!ctl_parse_int(optarg, 1, 256, "--crl-shards",
			    &rq->crl_shards))
				return 2;
			break;
		default:
			return 2;
		}
	}
	if (rq->name == NULL) {
		fprintf(stderr, "esealctl: issuer rotate: --name NEW is "
		    "required\n");
		return 2;
	}
	return 0;
}

static int
cmd_issuer_rotate(int argc, char **argv)
{
	struct rotate_result res;
	struct rotate_req rq;
	struct profile *prof = NULL;
	struct conf *c;
	struct ca ca;
	char who[ACTOR_MAX];
	int ret = 1;

	if (rotate_opts(argc, argv, &rq) != 0)
		return 2;
	if (ctl_load(1, &c, &ca) != 0)
		return 1;
	if (profile_load(c->issue_profiles_dir, c->issue_profile, &prof)
	    != ESEAL_OK) {
		ctl_fail("issuer rotate: the [issue] profile (its URLs go in "
		    "the link certificates)");
		goto out;
	}
	rq.profile = prof;
	rq.base_url = c->publish_base_url;
	ctl_actor(who, sizeof(who));
	if (rotate_issuer(&ca, &rq, who, time(NULL), &res) != ESEAL_OK) {
		ctl_fail("issuer rotate");
		fprintf(stderr, "esealctl: issuer rotate: nothing changed; the "
		    "active issuer is as before\n");
		goto out;
	}
	if (rq.csr_out != NULL)
		printf("issuer %s pending: key on token %s, PKCS#10 written to "
		    "%s; have the parent CA sign it, then: esealctl issuer "
		    "import-cert %s FILE [--chain FILE]\n", rq.name,
		    ca_token_label(rq.token ? rq.token : ""), rq.csr_out,
		    rq.name);
	else
		printf("issuer %s active, %s retiring; link certificates %s "
		    "(%s's key certifies %s's) and %s (%s's certifies %s's)\n",
		    rq.name, res.old_name, res.link_by_old, res.old_name,
		    rq.name, res.link_by_new, rq.name, res.old_name);
	ret = 0;
out:
	profile_free(prof);
	ctl_unload(c, &ca);
	return ret;
}

/* --- issuer import-cert ----------------------------------------------- */

static int
cmd_issuer_import_cert(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "chain", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned char *cert = NULL, *chain = NULL;
	const char *chain_path = NULL;
	struct conf *c;
	struct ca ca;
	char who[ACTOR_MAX];
	size_t len = 0, clen = 0;
	int ch, ret = 1;

	while ((ch = ctl_next_opt(argc, argv, opts)) != -1) {
		if (ch != 'c')
			return 2;
		chain_path = optarg;
	}
	if (optind + 2 != argc) {
		fprintf(stderr, "esealctl: issuer import-cert: give NAME and "
		    "FILE\n");
		return 2;
	}
	if (!ctl_read_file(argv[optind + 1], CTL_CERT_MAX, &cert, &len) ||
	    (chain_path != NULL && !ctl_read_file(chain_path, CTL_CERT_MAX,
	    &chain, &clen))) {
		free(cert);
		return 1;
	}
	if (len > CTL_CERT_MAX || clen > CTL_CERT_MAX) {
		fprintf(stderr, "esealctl: issuer import-cert: a file is "
		    "larger than %d bytes\n", CTL_CERT_MAX);
		free(cert);
		free(chain);
		return 1;
	}
	if (ctl_load(1, &c, &ca) != 0)
		goto done;
	ctl_actor(who, sizeof(who));
	if (rotate_import_cert(&ca, argv[optind], cert, len, (char *)chain,
	    who, time(NULL)) != ESEAL_OK) {
		ctl_fail("issuer import-cert");
		fprintf(stderr, "esealctl: issuer import-cert: nothing "
		    "changed; %s stays pending\n", argv[optind]);
	} else {
		printf("issuer %s active: its certificate chains to %s\n",
		    argv[optind], c->ca_root_cert);
		ret = 0;
	}
	ctl_unload(c, &ca);
done:
	free(cert);
	free(chain);
	return ret;
}

/* --- issuer retire ---------------------------------------------------- */

static int
cmd_issuer_retire(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct crl_params cp;
	struct profile *prof = NULL;
	const char *why = NULL;
	struct conf *c;
	struct ca ca;
	char who[ACTOR_MAX];
	int ch, force = 0, ret = 1;

	while ((ch = ctl_next_opt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'f': force = 1; break;
		case 'r': why = optarg; break;
		default: return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "esealctl: issuer retire: give one issuer "
		    "name\n");
		return 2;
	}
	if (ctl_load(1, &c, &ca) != 0)
		return 1;
	ctl_actor(who, sizeof(who));
	memset(&cp, 0, sizeof(cp));
	cp.validity_secs = (int64_t)c->publish_crl_hours * 3600;
	cp.base_url = c->publish_base_url;
	cp.actor = who;
	cp.drop_expired = !c->publish_expired_on_crl;
	cp.keep_secs = (int64_t)c->publish_crl_keep_days * 86400;
	cp.keep_count = c->publish_crl_keep_count;
	cp.delta = c->publish_delta_crl;
	if (profile_load(c->issue_profiles_dir, c->issue_profile, &prof)
	    == ESEAL_OK)
		cp.url_template = prof->crl_url;
	if (rotate_retire(&ca, argv[optind], force, why, &cp, who, time(NULL))
	    != ESEAL_OK)
		ctl_fail("issuer retire");
	else {
		printf("issuer %s retired; its final CRL is published\n",
		    argv[optind]);
		ret = 0;
	}
	profile_free(prof);
	ctl_unload(c, &ca);
	return ret;
}

/* The group's commands, in the order `esealctl --help` lists them. */
const struct ctl_cmd ctl_issuer_cmds[] = {
	{ "issuer list", cmd_issuer_list, "",
	  "every issuer: state, key type, token and module, validity, "
	  "certificates it covers, last CRL numbers" },
	{ "issuer show", cmd_issuer_show, "NAME",
	  "one issuer in full, with its link certificates" },
	{ "issuer rotate", cmd_issuer_rotate,
	  "--name NEW [--key-type T] [--token T] [--validity-days N] "
	  "[--crl-shards N] [--csr-out FILE]",
	  "a new issuer key: self-signed with link certificates, or a "
	  "PKCS#10 for an external root (--csr-out)" },
	{ "issuer import-cert", cmd_issuer_import_cert,
	  "NAME FILE [--chain FILE]",
	  "install the certificate the parent CA signed for a pending issuer, "
	  "which then becomes active" },
	{ "issuer retire", cmd_issuer_retire, "NAME [--force --reason TEXT]",
	  "retire a retiring issuer after its final CRL" },
	{ NULL, NULL, NULL, NULL },
};
