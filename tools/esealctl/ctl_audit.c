/*
 * ctl_audit.c: `esealctl audit verify`: the audit log's hash chain.
 */
#include <stdio.h>

#include "audit.h"
#include "ctl.h"

/* --- audit verify ----------------------------------------------------- */

static int
cmd_audit_verify(int argc, char **argv)
{
	struct ctl_progress p;
	struct conf *c;
	struct ca ca;
	int64_t n;
	enum eseal_rc rc;
	int ch, ret = 1;

	while ((ch = ctl_next_opt(argc, argv, NULL)) != -1)
		return 2;
	if (ctl_load(0, &c, &ca) != 0)
		return 1;
	ctl_progress_start(&p, "audit verify: records");
	rc = audit_verify_progress(ca.store, &n, ctl_progress, &p);
	ctl_progress_end(&p);
	if (rc != ESEAL_OK)
		ctl_fail("audit verify");
	else {
		printf("audit: %lld records, hash chain intact\n", (long long)n);
		ret = 0;
	}
	ctl_unload(c, &ca);
	return ret;
}

/* The group's commands, in the order `esealctl --help` lists them. */
const struct ctl_cmd ctl_audit_cmds[] = {
	{ "audit verify", cmd_audit_verify,
	  "",
	  "check the audit log's hash chain" },
	{ NULL, NULL, NULL, NULL },
};
