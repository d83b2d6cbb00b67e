/*
 * esealctl: the operator's command line.  Offline commands talk to the store
 * and the token directly (ceremonies inside the facility).  Every command
 * takes --config and --help, prints one clear line and exits 1 on failure,
 * exits 2 on a usage error.  This file holds the command table, main and
 * what every command shares (ctl.h); each command group lives in its own
 * ctl_<group>.c.
 *
 * Adding a command group `x`:
 *   1. write tools/esealctl/ctl_x.c (#include "ctl.h"): a static function
 *      per command that parses its options with ctl_next_opt, and
 *      `const struct ctl_cmd ctl_x_cmds[]`: each command's name ("x verb"),
 *      function, usage and one-line help, then a row of NULLs;
 *   2. add one row, ROW(x), to CTL_GROUPS below, where `esealctl --help`
 *      should list the group;
 *   3. add tools/esealctl/ctl_x.c to CTL_SRCS in the Makefile.
 * --config, --help, the usage listing and the dispatch come from here.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "enrol_issue.h"
#include "issue.h"
#include "log.h"
#include "ctl.h"

const char *ctl_config_path = DEFAULT_CONFIG;

int
ctl_fail(const char *what)
{
	fprintf(stderr, "esealctl: %s: %s\n", what, eseal_errmsg());
	return 1;
}

void
ctl_actor(char *buf, size_t sz)
{
	const char *u = getenv("SUDO_USER");

	if (u == NULL)
		u = getenv("USER");
	snprintf(buf, sz, "local:%s", u ? u : "unknown");
}

int
ctl_load(int with_token, struct conf **c, struct ca *ca)
{
	enum eseal_rc rc;
	int64_t now;
	int fin, fl;

	if ((rc = conf_load(ctl_config_path, c)) != ESEAL_OK)
		return ctl_fail("config");
	log_set_level((enum log_level)(*c)->log_level);
	if ((rc = ca_open(*c, with_token, ca)) != ESEAL_OK) {
		ctl_fail("open");
		conf_free(*c);
		return 1;
	}
	if (with_token) {
		/*
		 * Pending rows left by a crash: finish or fail them first.
		 * Only those older than the grace period: a younger one is an
		 * issuance still under way in eseald or another esealctl,
		 * which finishing here would make fail there.
		 */
		now = time(NULL);
		if (issue_recover_before(ca, now, now - ENROL_RESUME_GRACE_SECS,
		    &fin, &fl) != ESEAL_OK)
			fprintf(stderr, "esealctl: warning: pending "
			    "certificates not finished: %s\n", eseal_errmsg());
		else if (fin + fl > 0)
			fprintf(stderr, "esealctl: recovered pending "
			    "certificates: %d finished, %d failed\n", fin, fl);
	}
	return 0;
}

void
ctl_unload(struct conf *c, struct ca *ca)
{
	ca_close(ca);
	conf_free(c);
}

int
ctl_read_file(const char *path, size_t max, unsigned char **buf, size_t *len)
{
	FILE *f;
	unsigned char *b;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "esealctl: %s: %s\n", path, strerror(errno));
		return 0;
	}
	if ((b = malloc(max + 2)) == NULL) {
		fclose(f);
		return 0;
	}
	n = fread(b, 1, max + 1, f);
	fclose(f);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 1;
}

/*
 * The options every command takes, after its own.  Their values are beyond
 * any character, so a command's own options cannot shadow them.
 */
static const struct option common_opts[] = {
	{ "config", required_argument, NULL, CTL_OPT_CONFIG },
	{ "help", no_argument, NULL, CTL_OPT_HELP },
	{ "quiet", no_argument, NULL, CTL_OPT_QUIET },
	{ NULL, 0, NULL, 0 },
};
#define NCOMMON	(sizeof(common_opts) / sizeof(common_opts[0]))

int
ctl_next_opt(int argc, char **argv, const struct option *own)
{
	struct option *all;
	size_t n = 0;
	int ch;

	/* As many as the command has: getopt reads them only during a call. */
	while (own != NULL && own[n].name != NULL)
		n++;
	if ((all = calloc(n + NCOMMON, sizeof(*all))) == NULL) {
		fprintf(stderr, "esealctl: out of memory\n");
		return '?';
	}
	if (n > 0)
		memcpy(all, own, n * sizeof(*all));
	memcpy(all + n, common_opts, sizeof(common_opts));
	while ((ch = getopt_long(argc, argv, "", all, NULL)) == CTL_OPT_CONFIG ||
	    ch == CTL_OPT_QUIET) {
		if (ch == CTL_OPT_CONFIG)
			ctl_config_path = optarg;
		else
			ctl_quiet = 1;
	}
	free(all);
	return ch;
}

int
ctl_parse_int(const char *s, int lo, int hi, const char *what, int *out)
{
	char *end;
	long l;

	errno = 0;
	l = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || l < lo || l > hi) {
		fprintf(stderr, "esealctl: %s: \"%s\" is not an integer from "
		    "%d to %d\n", what, s, lo, hi);
		return 0;
	}
	*out = (int)l;
	return 1;
}

/* --------------------------------------------------------------------- */

/*
 * The command groups, in the order `esealctl --help` lists them: one row
 * each, ROW(x) naming ctl_x_cmds[] in ctl_x.c.
 */
#define CTL_GROUPS(ROW) \
	ROW(init) \
	ROW(hsm) \
	ROW(key) \
	ROW(issue) \
	ROW(revoke) \
	ROW(crl) \
	ROW(ocsp) \
	ROW(account) \
	ROW(audit) \
	ROW(backup) \
	ROW(issuer) \
	/* one row per group above this line */

#define CTL_DECLARE(x)	extern const struct ctl_cmd ctl_##x##_cmds[];
#define CTL_POINTER(x)	ctl_##x##_cmds,
CTL_GROUPS(CTL_DECLARE)
static const struct ctl_cmd *const groups[] = { CTL_GROUPS(CTL_POINTER) };
#define NGROUPS	(sizeof(groups) / sizeof(groups[0]))

/* How many words of argv from i spell out name ("crl generate"), or 0. */
static int
match_words(const char *name, int argc, char **argv, int i)
{
	int words = 0;
	size_t n;

	while (*name != '\0') {
		n = strcspn(name, " ");
		if (i + words >= argc || strlen(argv[i + words]) != n ||
		    strncmp(argv[i + words], name, n) != 0)
			return 0;
		words++;
		name += n;
		if (*name == ' ')
			name++;
	}
	return words;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: esealctl [--config FILE] COMMAND [OPTIONS]\n"
	    "commands:\n");
	for (size_t g = 0; g < NGROUPS; g++)
		for (const struct ctl_cmd *c = groups[g]; c->name; c++)
			fprintf(f, "  %-13s %s\n      %s\n", c->name, c->help,
			    c->usage);
	fprintf(f, "every command takes --config FILE (default %s), "
	    "--quiet (no progress line) and --help\n", DEFAULT_CONFIG);
}

/* The command argv spells out from i, and how many words it took. */
static const struct ctl_cmd *
find_cmd(int argc, char **argv, int i, int *words)
{
	for (size_t g = 0; g < NGROUPS; g++)
		for (const struct ctl_cmd *c = groups[g]; c->name; c++)
			if ((*words = match_words(c->name, argc, argv, i)) > 0)
				return c;
	return NULL;
}

int
main(int argc, char **argv)
{
	const struct ctl_cmd *cmd;
	int i = 1, words;

	audit_set_source("local");
	if (getenv("ESEAL_CONFIG") != NULL)
		ctl_config_path = getenv("ESEAL_CONFIG");
	while (i < argc && strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
		ctl_config_path = argv[i + 1];
		i += 2;
	}
	if (i >= argc || strcmp(argv[i], "--help") == 0 ||
	    strcmp(argv[i], "help") == 0) {
		usage(i >= argc ? stderr : stdout);
		return i >= argc ? 2 : 0;
	}
	if ((cmd = find_cmd(argc, argv, i, &words)) != NULL) {
		/* argv for getopt: the command word(s) act as argv[0]. */
		argv += i + words - 1;
		argc -= i + words - 1;
		for (int j = 1; j < argc; j++)
			if (strcmp(argv[j], "--help") == 0) {
				printf("usage: esealctl %s %s\n  %s\n",
				    cmd->name, cmd->usage, cmd->help);
				return 0;
			}
		optind = 1;
		return cmd->run(argc, argv);
	}
	fprintf(stderr, "esealctl: unknown command \"%s\"; see esealctl "
	    "--help\n", argv[i]);
	return 2;
}
