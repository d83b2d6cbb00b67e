/*
 * ctl_ocsp.c: `esealctl ocsp signer create`: a delegated OCSP signing key and
 * certificate for an issuer.
 */
#include <stdio.h>
#include <time.h>

#include "issuer.h"
#include "ocsp_signer.h"
#include "ctl.h"

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
	int ch, kt = -1, days = 0, ret = 1;

	while ((ch = ctl_next_opt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'i': iname = optarg; break;
		case 't': type = optarg; break;
		case 'd':
			if (!ctl_parse_int(optarg, 1, OCSP_SIGNER_DAYS_MAX,
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
	if (ctl_load(1, &c, &ca) != 0)
		return 1;
	ctl_actor(who, sizeof(who));
	if ((iname != NULL ? issuer_by_name(&ca, iname, &is) :
	    issuer_current(&ca, &is)) != ESEAL_OK) {
		ctl_fail("ocsp signer create");
		goto out;
	}
	/* The issuer's own key type unless told otherwise. */
	if (kt < 0 && (kt = key_type_parse(is->rec.key_type)) < 0)
		kt = (int)c->ca_key_type;
	if (ocsp_signer_create(&ca, is, (enum key_type)kt, days, now, who,
	    &sg) != ESEAL_OK) {
		ctl_fail("ocsp signer create");
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
	ctl_unload(c, &ca);
	return ret;
}

/* The group's commands, in the order `esealctl --help` lists them. */
const struct ctl_cmd ctl_ocsp_cmds[] = {
	{ "ocsp signer create", cmd_ocsp_signer_create,
	  "[--issuer NAME] [--key-type T] [--validity-days N]",
	  "make a delegated OCSP signing key and certificate "
	  "(id-kp-OCSPSigning, ocsp-nocheck) for an issuer" },
	{ NULL, NULL, NULL, NULL },
};
