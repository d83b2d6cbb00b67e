/*
 * ctl_key.c: `esealctl key generate`: a key on the token, refused on
 * modules that are not Active.
 */
#include <stdio.h>
#include <time.h>

#include <openssl/rand.h>

#include "audit.h"
#include "issuer.h"
#include "ctl.h"

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
	int ch, kt, ret = 1;

	while ((ch = ctl_next_opt(argc, argv, opts)) != -1) {
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
	if (ctl_load(1, &c, &ca) != 0)
		return 1;
	ctl_actor(who, sizeof(who));
	if (issuer_may_generate(&ca, (enum key_type)kt, now, who) != ESEAL_OK) {
		ctl_fail("key generate");
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
		ctl_fail("key generate");
		goto out;
	}
	printf("key generated on the token: %s id=%s label=%s\n", type, hex,
	    label);
	ret = 0;
out:
	ctl_unload(c, &ca);
	return ret;
}

/* The group's commands, in the order `esealctl --help` lists them. */
const struct ctl_cmd ctl_key_cmds[] = {
	{ "key generate", cmd_key_generate,
	  "--type T [--label L]",
	  "generate a key on the token (refused on non-Active modules)" },
	{ NULL, NULL, NULL, NULL },
};
