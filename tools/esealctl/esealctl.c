/*
 * esealctl: the operator's command line.  Offline commands talk to the store
 * and the token directly (ceremonies inside the facility).  Every command
 * takes --config and --help, prints one clear line and exits 1 on failure,
 * exits 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "issue.h"
#include "log.h"
#include "ctl.h"

struct cmd {
	const char	*name;		/* "hsm status" */
	int		(*fn)(int, char **);
	const char	*usage;		/* options after the name */
	const char	*help;		/* one line */
};

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
		/* Pending rows left by a crash: finish or fail them first. */
		if (issue_recover(ca, time(NULL), &fin, &fl) != ESEAL_OK)
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

/*
 * Parses the options common to all commands plus the command's own.  Returns
 * the option character, -1 at the end, '?' on error, 'h' for --help.
 */
int
ctl_next_opt(int argc, char **argv, const struct option *own, int *done)
{
	static struct option all[16];
	size_t n = 0;
	int ch;

	*done = 0;
	for (; own != NULL && own[n].name != NULL && n < 13; n++)
		all[n] = own[n];
	all[n++] = (struct option){ "config", required_argument, NULL, 'c' };
	all[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	all[n] = (struct option){ NULL, 0, NULL, 0 };
	for (;;) {
		ch = getopt_long(argc, argv, "", all, NULL);
		if (ch == 'c') {
			ctl_config_path = optarg;
			continue;
		}
		if (ch == -1)
			*done = 1;
		return ch;
	}
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

static const struct cmd cmds[] = {
	{ "init", cmd_init, "[--key-type T] [--validity-days N] [--crl-shards N]",
	  "create the store, the first issuer key on the token and the CA "
	  "certificate" },
	{ "hsm status", cmd_hsm_status, "",
	  "token identity, FIPS 140 status, mechanisms and keys" },
	{ "hsm readiness", cmd_hsm_readiness, "",
	  "which crypto-policy algorithms the token can generate and sign" },
	{ "hsm import-cmvp", cmd_hsm_import_cmvp, "FILE.csv [--dry-run]",
	  "update statuses and sunset dates in the HSM module registry from "
	  "a CMVP search export" },
	{ "key generate", cmd_key_generate, "--type T [--label L]",
	  "generate a key on the token (refused on non-Active modules)" },
	{ "issue", cmd_issue, "--csr FILE --org NAME (--corporate-number N | "
	  "--org-id ID) [--country CC] [--cn CN] [--ou OU] [--locality L] "
	  "[--profile NAME] [--key-holder subscriber|remote-service] [--qscd] "
	  "[--validity-days N] [--out FILE]",
	  "issue one certificate from a PKCS#10 request" },
	{ "revoke", cmd_revoke, "--serial HEX [--reason R] "
	  "[--invalidity-date YYYY-MM-DD]",
	  "revoke a certificate (RFC 5280 reason names) and sign the CRL" },
	{ "crl generate", cmd_crl_generate, "[--issuer NAME] [--shard N]",
	  "sign a new CRL for every shard (or one) of an issuer" },
	{ "crl show", cmd_crl_show, "[--issuer NAME] [--shard N]",
	  "print the newest CRL of each shard (or one)" },
	{ "ocsp signer create", cmd_ocsp_signer_create, "[--issuer NAME] "
	  "[--key-type T] [--validity-days N]",
	  "make a delegated OCSP signing key and certificate (id-kp-OCSPSigning, "
	  "ocsp-nocheck) for an issuer" },
	{ "account add", cmd_account_add, "USER --role admin|ra|auditor",
	  "create an operator account; prints its initial password once" },
	{ "account reset", cmd_account_reset, "USER",
	  "new initial password, ends sessions, forces a change" },
	{ "account compromise", cmd_account_compromise, "USER",
	  "mark compromised: ends sessions, forces a password change" },
	{ "account list", cmd_account_list, "", "list operator accounts" },
	{ "audit verify", cmd_audit_verify, "",
	  "check the audit log's hash chain" },
};
#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

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
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  %-13s %s\n      %s\n", cmds[i].name, cmds[i].help,
		    cmds[i].usage);
	fprintf(f, "every command takes --config FILE (default %s) and "
	    "--help\n", DEFAULT_CONFIG);
}

int
main(int argc, char **argv)
{
	int i = 1;

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
	for (size_t k = 0; k < NCMDS; k++) {
		const char *name = cmds[k].name;
		int words = match_words(name, argc, argv, i);

		if (words == 0)
			continue;
		/* argv for getopt: the command word(s) act as argv[0]. */
		argv += i + words - 1;
		argc -= i + words - 1;
		for (int j = 1; j < argc; j++)
			if (strcmp(argv[j], "--help") == 0) {
				printf("usage: esealctl %s %s\n  %s\n", name,
				    cmds[k].usage, cmds[k].help);
				return 0;
			}
		optind = 1;
		return cmds[k].fn(argc, argv);
	}
	fprintf(stderr, "esealctl: unknown command \"%s\"; see esealctl "
	    "--help\n", argv[i]);
	return 2;
}
