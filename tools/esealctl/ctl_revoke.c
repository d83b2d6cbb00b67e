/*
 * ctl_revoke.c: `esealctl revoke`: revoke a certificate and sign its CRL at
 * once.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "crl.h"
#include "profile.h"
#include "revoke.h"
#include "ctl.h"

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
	int ch, ret = 1;

	while ((ch = ctl_next_opt(argc, argv, opts)) != -1) {
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
		return ctl_fail("revoke");
	if (ctl_load(1, &c, &ca) != 0)
		return 1;
	ctl_actor(who, sizeof(who));
	memset(&rr, 0, sizeof(rr));
	rr.serial = serial;
	rr.reason = reason;
	rr.invalidity_date = inval;
	rr.actor = who;
	if (revoke_cert(&ca, &rr, now, &out) != ESEAL_OK) {
		ctl_fail("revoke");
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
	cp.keep_secs = (int64_t)c->publish_crl_keep_days * 86400;
	cp.keep_count = c->publish_crl_keep_count;
	cp.delta = c->publish_delta_crl;
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
	ctl_unload(c, &ca);
	return ret;
}

/* The group's commands, in the order `esealctl --help` lists them. */
const struct ctl_cmd ctl_revoke_cmds[] = {
	{ "revoke", cmd_revoke,
	  "--serial HEX [--reason R] [--invalidity-date YYYY-MM-DD]",
	  "revoke a certificate (RFC 5280 reason names) and sign the CRL" },
	{ NULL, NULL, NULL, NULL },
};
