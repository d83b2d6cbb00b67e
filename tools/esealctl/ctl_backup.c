/*
 * ctl_backup.c: `esealctl backup create | verify | reconcile` and
 * `esealctl restore`: encrypted online backups kept elsewhere, checked,
 * and restored without losing a revocation (backup.h,
 * docs/disaster-recovery.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backup.h"
#include "ctl.h"
#include "store_backup.h"

/* The options verify and restore share. */
struct open_opts {
	struct backup_keys	 k;
	const char		*published;
	const char		*checkpoint;	/* SEQ:HASH, off-store */
	const char		*to;
};

static int
cmd_backup_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "label", required_argument, NULL, 'l' },
		{ "recipients", required_argument, NULL, 'r' },
		{ "allow-same-device", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct backup_dest_result res[BACKUP_DESTS_MAX];
	struct backup_params p;
	const char *dests[BACKUP_DESTS_MAX];
	char who[ACTOR_MAX], sha[STORE_HASH_HEX_MAX], list[CONF_PATH_MAX];
	struct conf *c;
	struct ca ca;
	int ch, n = 0, ret = 1;

	memset(&p, 0, sizeof(p));
	while ((ch = ctl_next_opt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 't':
			if (n == BACKUP_DESTS_MAX) {
				fprintf(stderr, "esealctl: backup create: at "
				    "most %d --to\n", BACKUP_DESTS_MAX);
				return 2;
			}
			dests[n++] = optarg;
			break;
		case 'l': p.label = optarg; break;
		case 'r': p.recipients = optarg; break;
		case 'a': p.allow_same_device = 1; break;
		default: return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "esealctl: backup create: unexpected \"%s\"\n",
		    argv[optind]);
		return 2;
	}
	if (ctl_load(1, &c, &ca) != 0)
		return 1;
	if (n == 0 && c->backup_destinations[0] != '\0') {
		snprintf(list, sizeof(list), "%s", c->backup_destinations);
		if ((n = backup_split(list, dests, BACKUP_DESTS_MAX)) < 0) {
			ctl_fail("backup create");
			goto out;
		}
	}
	if (n == 0) {
		fprintf(stderr, "esealctl: backup create: panel point 11: "
		    "give at least one destination (--to DIR, or [backup] "
		    "destinations)\n");
		goto out;
	}
	ctl_actor(who, sizeof(who));
	p.dests = dests;
	p.ndests = (size_t)n;
	if (p.recipients == NULL)
		p.recipients = c->backup_recipients;
	if (p.label == NULL)
		p.label = c->backup_label;
	p.allow_same_device |= c->backup_allow_same_device;
	p.actor = who;
	ret = backup_create(&ca, &p, time(NULL), res, sha) == ESEAL_OK ? 0 : 1;
	for (int i = 0; i < n; i++) {
		if (res[i].ok)
			printf("backup written: %s (%lld bytes, store SHA-256 "
			    "%s)%s\n", res[i].path, (long long)res[i].size, sha,
			    res[i].same_device ? " on the store's device "
			    "(--allow-same-device)" : "");
		else
			fprintf(stderr, "esealctl: backup create: %s\n",
			    res[i].error);
	}
out:
	ctl_unload(c, &ca);
	return ret;
}

/* Parses the options of verify and restore; FILE into *file. */
static int
open_options(int argc, char **argv, int restore, struct open_opts *o,
    const char **file)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "cert", required_argument, NULL, 'c' },
		{ "trust", required_argument, NULL, 'T' },
		{ "published", required_argument, NULL, 'p' },
		{ "checkpoint", required_argument, NULL, 'C' },
		{ "to", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	while ((ch = ctl_next_opt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'k': o->k.key = optarg; break;
		case 'c': o->k.cert = optarg; break;
		case 'T': o->k.trust = optarg; break;
		case 'p': o->published = optarg; break;
		case 'C': o->checkpoint = optarg; break;
		case 't': o->to = optarg; break;
		default: return 2;
		}
	}
	if (optind + 1 != argc || (restore && o->to == NULL) ||
	    (!restore && o->to != NULL)) {
		fprintf(stderr, "esealctl: %s: give one FILE%s\n", restore ?
		    "restore" : "backup verify", restore ? " and --to PATH" :
		    "");
		return 2;
	}
	*file = argv[optind];
	return 0;
}

/*
 * Fills what the options left out from the config, if it loads: the
 * recipients (to find --key's certificate) and [publish] dir (trust).
 */
static void
open_defaults(struct open_opts *o, struct conf **c)
{
	*c = NULL;
	if (conf_load(ctl_config_path, c) != ESEAL_OK) {
		*c = NULL;
		return;
	}
	if (o->k.cert == NULL && (*c)->backup_recipients[0] != '\0')
		o->k.recipients = (*c)->backup_recipients;
	o->k.trust_dir = o->published ? o->published : (*c)->publish_dir;
}

static void
print_report(const struct backup_report *r)
{
	const struct store_stats *s = &r->m.stats;
	time_t t = (time_t)r->m.created;
	char when[32] = "?";
	struct tm tm;

	if (gmtime_r(&t, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("manifest: created %s, label \"%s\", schema %d, signed by %s "
	    "(%s)\n", when, r->m.label, s->schema_version, r->m.signer,
	    r->signer);
	printf("store: %lld issuers, %lld certificates, %lld revocations, "
	    "%lld audit records; SHA-256 %s ok\n", (long long)s->issuers,
	    (long long)s->certificates, (long long)s->revocations,
	    (long long)s->audit, r->m.payload_sha256);
	printf("audit chain: intact, %lld records, head %lld %s\n",
	    (long long)r->audit_records, (long long)s->audit_seq,
	    s->audit_hash);
	if (s->ckpt_seq > 0)
		printf("audit checkpoint: seq %lld %s (made %lld) is in the "
		    "chain\n", (long long)s->ckpt_seq, s->ckpt_hash,
		    (long long)s->ckpt_created);
	else
		printf("audit checkpoint: none in the backup\n");
	for (size_t i = 0; i < r->m.ncrls; i++)
		printf("crl: %s/%d number %lld\n", r->m.crls[i].issuer,
		    r->m.crls[i].shard, (long long)r->m.crls[i].number);
}

static int
cmd_backup_verify(int argc, char **argv)
{
	struct backup_report r;
	struct open_opts o;
	struct conf *c;
	const char *file;
	int ret;

	if ((ret = open_options(argc, argv, 0, &o, &file)) != 0)
		return ret;
	open_defaults(&o, &c);
	if (backup_verify(file, &o.k, &r) != ESEAL_OK) {
		ret = ctl_fail("backup verify");
		conf_free(c);
		return ret;
	}
	print_report(&r);
	printf("backup verify: %s: ok\n", file);
	backup_report_clear(&r);
	conf_free(c);
	return 0;
}

static void
print_item(const struct reconcile_item *it, void *arg)
{
	(void)arg;
	if (it->kind == RECON_CRL_NUMBER)
		printf("reconciled: %s: %s/%d: published number %lld, the next "
		    "is %lld (%s)\n", reconcile_kind_names[it->kind], it->issuer,
		    it->shard, (long long)it->number,
		    (long long)it->number + 1, it->source);
	else
		printf("reconciled: %s: %s serial %s reason %d revoked %lld "
		    "(%s, CRL %lld)\n", reconcile_kind_names[it->kind],
		    it->issuer, it->serial, it->reason,
		    (long long)it->revoked_at, it->source,
		    (long long)it->number);
}

/*
 * The checkpoint to measure the chain against, into seq, hash and what
 * (its name in the output): --checkpoint SEQ:HASH; else the newest signed
 * checkpoint published under DIR/audit/ (backup_offstore_checkpoint);
 * else the store's own newest audit_checkpoints row.  Returns 1 found, 0
 * none, -1 after printing why one is refused.
 */
static int
find_checkpoint(struct store *s, const struct store_stats *st,
    const char *checkpoint, const char *published, long long *seq,
    char *hash, char *what, size_t wlen)
{
	struct backup_ckpt ck;
	enum eseal_rc rc;
	int end = 0;

	if (checkpoint != NULL) {
		if (sscanf(checkpoint, "%lld:%64[0-9a-f]%n", seq, hash, &end)
		    != 2 || checkpoint[end] != '\0' || strlen(hash) != 64 ||
		    *seq < 1) {
			fprintf(stderr, "esealctl: --checkpoint: \"%s\" is not "
			    "SEQ:HASH (64 lower-case hex digits)\n", checkpoint);
			return -1;
		}
		snprintf(what, wlen, "the checkpoint");
		return 1;
	}
	if (published != NULL && published[0] != '\0') {
		rc = backup_offstore_checkpoint(s, published, &ck);
		if (rc == ESEAL_OK) {
			*seq = ck.seq;
			snprintf(hash, STORE_HASH_HEX_MAX, "%s", ck.hash);
			snprintf(what, wlen, "the last off-store checkpoint "
			    "(%s)", ck.path);
			return 1;
		}
		if (rc != ESEAL_ENOTFOUND)
			return ctl_fail("audit checkpoint"), -1;
	}
	if (!st->has_checkpoints || st->ckpt_seq == 0)
		return 0;
	*seq = st->ckpt_seq;
	snprintf(hash, STORE_HASH_HEX_MAX, "%s", st->ckpt_hash);
	snprintf(what, wlen, "the store's newest checkpoint");
	return 1;
}

/*
 * How far the store's audit chain reaches against the last checkpoint
 * kept elsewhere (find_checkpoint).  base is the head of the history the
 * store shares with the live CA (the backup's head; what a
 * reconciliation wrote after it is the store's own): a checkpoint at or
 * below it must be in the chain, one above counts the records lost.
 * Returns 0, or 1 when the chain contradicts the checkpoint or one is
 * refused.
 */
static int
print_reach(struct store *s, const char *checkpoint, const char *published,
    int64_t base)
{
	struct store_stats st;
	char hash[STORE_HASH_HEX_MAX], what[BACKUP_PATH_MAX + 64];
	long long seq;
	int found, match, r;

	if (store_stats_get(s, &st) != ESEAL_OK)
		return ctl_fail("audit");
	if ((r = find_checkpoint(s, &st, checkpoint, published, &seq, hash,
	    what, sizeof(what))) < 0)
		return 1;
	if (r == 0) {
		printf("audit chain: reaches seq %lld; no checkpoint to compare "
		    "with (--checkpoint SEQ:HASH)\n", (long long)st.audit_seq);
		return 0;
	}
	if (seq > base)
		found = match = 0;
	else if (store_audit_has(s, seq, hash, &found, &match) != ESEAL_OK)
		return ctl_fail("audit");
	if (!found && seq <= base) {
		fprintf(stderr, "esealctl: audit chain: record %lld of %s is "
		    "missing: not the same history\n", seq, what);
		return 1;
	}
	if (found && !match) {
		fprintf(stderr, "esealctl: audit chain: record %lld differs from "
		    "%s %s: not the same history\n", seq, what, hash);
		return 1;
	}
	if (found)
		printf("audit chain: reaches seq %lld; %s, seq %lld, is in it "
		    "(%lld records after it)\n", (long long)st.audit_seq, what,
		    seq, (long long)st.audit_seq - seq);
	else
		printf("audit chain: reaches seq %lld, seq %lld of them shared "
		    "with the CA's; %s is at seq %lld: %lld audit records made "
		    "after the backup are not in the restored store (the "
		    "checkpoint keeps their head hash %s)\n",
		    (long long)st.audit_seq, (long long)base, what, seq,
		    seq - (long long)base, hash);
	if (published != NULL && published[0] != '\0' &&
	    (r = backup_checkpoints_above(published, base)) > 0)
		printf("audit checkpoints: %d under %s/audit are above seq "
		    "%lld: the evidence of the records lost; move them to an "
		    "archive before eseald serves this store (it would write "
		    "its own under the same names)\n", r, published,
		    (long long)base);
	return 0;
}

static int
cmd_restore(int argc, char **argv)
{
	struct backup_report r;
	struct open_opts o;
	struct conf *c;
	struct store *s;
	char who[ACTOR_MAX];
	const char *file;
	int ret;

	if ((ret = open_options(argc, argv, 1, &o, &file)) != 0)
		return ret;
	open_defaults(&o, &c);
	ctl_actor(who, sizeof(who));
	if (backup_restore(file, &o.k, o.to, o.published, time(NULL), who,
	    print_item, NULL, &r) != ESEAL_OK) {
		ret = ctl_fail("restore");
		conf_free(c);
		return ret;
	}
	print_report(&r);
	ret = 0;
	if (store_open(o.to, &s) == ESEAL_OK) {
		ret = print_reach(s, o.checkpoint, o.published,
		    r.m.stats.audit_seq);
		store_close(s);
	}
	backup_report_clear(&r);
	printf("restore: %s written%s\n", o.to, o.published ? ", reconciled "
	    "with the published CRLs" : "; not reconciled: run `esealctl "
	    "backup reconcile --published DIR` on it before eseald serves it");
	conf_free(c);
	return ret;
}

static int
cmd_backup_reconcile(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "published", required_argument, NULL, 'p' },
		{ "checkpoint", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *ckpt = NULL;
	struct store_stats before;
	char who[ACTOR_MAX];
	struct conf *c;
	struct ca ca;
	int ch, n, ret = 1;

	while ((ch = ctl_next_opt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'p': dir = optarg; break;
		case 'C': ckpt = optarg; break;
		default: return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "esealctl: backup reconcile: unexpected "
		    "\"%s\"\n", argv[optind]);
		return 2;
	}
	/*
	 * With the token if it can be had, so that the reconciliation's
	 * audit records are sealed by the HSM (audit.h); without it they
	 * wait for eseald's start to seal them.
	 */
	if (conf_load(ctl_config_path, &c) != ESEAL_OK)
		return ctl_fail("config");
	if (ca_open(c, 1, &ca) != ESEAL_OK) {
		fprintf(stderr, "esealctl: backup reconcile: warning: no HSM "
		    "(%s): the audit records are sealed when eseald starts\n",
		    eseal_errmsg());
		if (ca_open(c, 0, &ca) != ESEAL_OK) {
			ctl_fail("open");
			conf_free(c);
			return 1;
		}
	}
	if (dir == NULL)
		dir = c->publish_dir;
	if (dir[0] == '\0') {
		fprintf(stderr, "esealctl: backup reconcile: give --published "
		    "DIR ([publish] dir is not set)\n");
		goto out;
	}
	ctl_actor(who, sizeof(who));
	if (store_stats_get(ca.store, &before) != ESEAL_OK) {
		ctl_fail("backup reconcile");
		goto out;
	}
	if (backup_reconcile(ca.store, dir, time(NULL), who, print_item, NULL,
	    &n) != ESEAL_OK) {
		ctl_fail("backup reconcile");
		goto out;
	}
	printf("backup reconcile: %d item(s) from %s\n", n, dir);
	ret = print_reach(ca.store, ckpt, dir, before.audit_seq);
out:
	ctl_unload(c, &ca);
	return ret;
}

/* The group's commands, in the order `esealctl --help` lists them. */
const struct ctl_cmd ctl_backup_cmds[] = {
	{ "backup create", cmd_backup_create,
	  "[--to DIR ...] [--label TEXT] [--recipients PEM] "
	  "[--allow-same-device]",
	  "encrypted online backup of the store to each directory" },
	{ "backup verify", cmd_backup_verify,
	  "FILE --key PEM [--cert PEM] [--trust PEM | --published DIR]",
	  "decrypt and check a backup in a temporary place" },
	{ "backup reconcile", cmd_backup_reconcile,
	  "[--published DIR] [--checkpoint SEQ:HASH]",
	  "re-import what the published CRLs hold that the store lacks" },
	{ "restore", cmd_restore,
	  "FILE --to PATH --key PEM [--cert PEM] [--trust PEM] "
	  "[--published DIR] [--checkpoint SEQ:HASH]",
	  "restore a backup into a new store, reconciled" },
	{ NULL, NULL, NULL, NULL },
};
