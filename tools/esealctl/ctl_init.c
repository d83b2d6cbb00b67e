/*
 * ctl_init.c: `esealctl init`: the first issuer key and the CA certificate.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "issuer.h"
#include "ctl.h"
#include "profile.h"

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
	int ch, days = -1, shards = -1, kti, ret = 1;

	while ((ch = ctl_next_opt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'k':
			kt = optarg;
			break;
		case 'v':
			if (!ctl_parse_int(optarg, 1, 365 * 30,
			    "--validity-days", &days))
				return 2;
			break;
		case 's':
			if (!ctl_parse_int(optarg, 1, 256, "--crl-shards",
			    &shards))
				return 2;
			break;
		default:
			return 2;
		}
	}
	if (ctl_load(1, &c, &ca) != 0)
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
	ctl_actor(who, sizeof(who));
	if (issuer_create(&ca, &ip, time(NULL), who, &is) != ESEAL_OK) {
		ctl_fail("init");
		goto out;
	}
	printf("issuer %s created: %s key on the token, CA certificate valid "
	    "%d days, %d CRL shard(s)\n", ip.name, key_type_name(ip.key_type),
	    ip.validity_days, ip.crl_shards);
	ret = 0;
out:
	issuer_free(is);
	ctl_unload(c, &ca);
	return ret;
}

/* The group's commands, in the order `esealctl --help` lists them. */
const struct ctl_cmd ctl_init_cmds[] = {
	{ "init", cmd_init,
	  "[--key-type T] [--validity-days N] [--crl-shards N]",
	  "create the store, the first issuer key on the token and the CA "
	  "certificate" },
	{ NULL, NULL, NULL, NULL },
};
