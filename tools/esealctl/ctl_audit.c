/*
 * ctl_audit.c: `esealctl audit verify | checkpoint | export`: the audit
 * trail's chain, seals and signed checkpoints, and the off-site bundle
 * (docs/security.md).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "checkpoint.h"
#include "ctl.h"

/* --- audit verify ----------------------------------------------------- */

static int
verify_bundle(const char *path)
{
	struct audit_bundle_report r;

	if (audit_bundle_verify_file(path, &r) != ESEAL_OK)
		return ctl_fail("audit verify --bundle");
	printf("audit bundle: records %" PRId64 " to %" PRId64 ", %" PRId64
	    " checkpoints, %" PRId64 " certificates: chain intact, every "
	    "record covered by a verified checkpoint signature\n", r.first,
	    r.last, r.checkpoints, r.certificates);
	return 0;
}

static int
cmd_audit_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	struct audit_report r;
	struct ctl_progress p;
	struct conf *c;
	struct ca ca;
	char dir[CONF_PATH_MAX + 16];
	const char *bundle = NULL;
	enum eseal_rc rc;
	int ch, ret = 1;

	while ((ch = ctl_next_opt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'b': bundle = optarg; break;
		default: return 2;
		}
	}
	if (bundle != NULL)
		return verify_bundle(bundle);
	if (ctl_load(1, &c, &ca) != 0)
		return 1;
	checkpoint_dir(c, dir, sizeof(dir));
	ctl_progress_start(&p, "audit verify: records");
	rc = audit_verify_full_progress(ca.store, dir[0] ? dir : NULL, &r,
	    ctl_progress, &p);
	ctl_progress_end(&p);
	if (rc != ESEAL_OK)
		ctl_fail("audit verify");
	else {
		printf("audit: %" PRId64 " records, hash chain intact, %" PRId64
		    " sealed by the HSM key, %" PRId64 " checkpoints and %"
		    PRId64 " checkpoint files verified (newest at seq %" PRId64
		    ")\n", r.records, r.sealed, r.checkpoints, r.files,
		    r.cp_seq);
		ret = 0;
	}
	ctl_unload(c, &ca);
	return ret;
}

/* --- audit checkpoint ------------------------------------------------- */

static int
cmd_audit_checkpoint(int argc, char **argv)
{
	struct conf *c;
	struct ca ca;
	int64_t seq = 0;
	int ch, made = 0, ret = 1;

	while ((ch = ctl_next_opt(argc, argv, NULL)) != -1)
		return 2;
	if (ctl_load(1, &c, &ca) != 0)
		return 1;
	if (checkpoint_make(&ca, time(NULL), &made, &seq) != ESEAL_OK)
		ctl_fail("audit checkpoint");
	else {
		printf(made ? "audit: checkpoint signed at seq %" PRId64 "\n" :
		    "audit: the newest checkpoint already covers seq %" PRId64
		    "\n", seq);
		ret = 0;
	}
	ctl_unload(c, &ca);
	return ret;
}

/* --- audit export ----------------------------------------------------- */

static int
cmd_audit_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct audit_bundle_report r;
	const char *out = NULL;
	struct conf *c;
	struct ca ca;
	int64_t seq;
	int from = 1, to = 0, ch, made, ret = 1;

	while ((ch = ctl_next_opt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'f':
			if (!ctl_parse_int(optarg, 1, INT32_MAX, "--from", &from))
				return 2;
			break;
		case 't':
			if (!ctl_parse_int(optarg, 1, INT32_MAX, "--to", &to))
				return 2;
			break;
		case 'o': out = optarg; break;
		default: return 2;
		}
	}
	if (out == NULL || (to != 0 && to < from)) {
		fprintf(stderr, "esealctl: audit export: --out FILE is required "
		    "and --to may not be below --from\n");
		return 2;
	}
	if (ctl_load(1, &c, &ca) != 0)
		return 1;
	/* The bundle ends at a signed checkpoint: sign the head if needed. */
	if (checkpoint_make(&ca, time(NULL), &made, &seq) != ESEAL_OK ||
	    audit_bundle_export(ca.store, from, to, out, &r) != ESEAL_OK)
		ctl_fail("audit export");
	else {
		printf("audit: exported records %" PRId64 " to %" PRId64 " with %"
		    PRId64 " checkpoints and %" PRId64 " certificates to %s\n",
		    r.first, r.last, r.checkpoints, r.certificates, out);
		ret = 0;
	}
	ctl_unload(c, &ca);
	return ret;
}

/* The group's commands, in the order `esealctl --help` lists them. */
const struct ctl_cmd ctl_audit_cmds[] = {
	{ "audit verify", cmd_audit_verify,
	  "[--bundle FILE]",
	  "check the audit trail (chain, HSM seals, signed checkpoints), or "
	  "an exported bundle offline" },
	{ "audit checkpoint", cmd_audit_checkpoint,
	  "",
	  "sign the audit chain head now" },
	{ "audit export", cmd_audit_export,
	  "--out FILE [--from SEQ] [--to SEQ]",
	  "write records, checkpoints and certificates as one bundle" },
	{ NULL, NULL, NULL, NULL },
};
