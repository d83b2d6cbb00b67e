/*
 * ctl_account.c: `esealctl account add | reset | compromise | list`:
 * operator accounts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "account.h"
#include "ctl.h"

/* --- account add | reset | compromise | list ---------------------------- */

static int
cmd_account(int argc, char **argv, const char *what)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct account_params ap;
	struct account_info *v = NULL;
	char pw[ACCOUNT_INITIAL_PW_SIZE + 8], who[ACTOR_MAX];
	const char *role = NULL, *user;
	struct conf *c;
	struct ca ca;
	size_t n = 0;
	enum eseal_rc rc;
	int ch, r = -1, ret = 1;

	while ((ch = ctl_next_opt(argc, argv, opts)) != -1) {
		if (ch != 'r')
			return 2;
		role = optarg;
	}
	user = optind < argc ? argv[optind] : NULL;
	if (strcmp(what, "list") != 0 && user == NULL) {
		fprintf(stderr, "esealctl: account %s: USER is required\n",
		    what);
		return 2;
	}
	if (strcmp(what, "add") == 0 && (role == NULL ||
	    (r = role_parse(role)) < 0)) {
		fprintf(stderr, "esealctl: account add: --role must be admin, "
		    "ra or auditor\n");
		return 2;
	}
	if (ctl_load(0, &c, &ca) != 0)
		return 1;
	account_params_conf(&ap, c);
	ctl_actor(who, sizeof(who));
	if (strcmp(what, "add") == 0)
		rc = account_add(ca.store, &ap, user, (enum role)r, time(NULL),
		    who, pw, sizeof(pw));
	else if (strcmp(what, "reset") == 0)
		rc = account_reset(ca.store, &ap, user, time(NULL), who, pw,
		    sizeof(pw));
	else if (strcmp(what, "compromise") == 0)
		rc = account_compromise(ca.store, user, time(NULL), who);
	else
		rc = account_list(ca.store, &v, &n);
	if (rc != ESEAL_OK) {
		char cmd[32];

		snprintf(cmd, sizeof(cmd), "account %s", what);
		ctl_fail(cmd);
		goto out;
	}
	if (strcmp(what, "add") == 0 || strcmp(what, "reset") == 0)
		printf("%s: initial password (shown once; must be changed at "
		    "first login): %s\n", user, pw);
	else if (strcmp(what, "compromise") == 0)
		printf("%s: marked compromised: sessions ended, password change "
		    "required\n", user);
	for (size_t i = 0; i < n; i++)
		printf("%-24s %-8s%s%s\n", v[i].username, role_name(v[i].role),
		    v[i].must_change ? " must-change-password" : "",
		    v[i].compromised ? " compromised" : "");
	ret = 0;
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	free(v);
	ctl_unload(c, &ca);
	return ret;
}

static int
cmd_account_add(int argc, char **argv)
{
	return cmd_account(argc, argv, "add");
}

static int
cmd_account_reset(int argc, char **argv)
{
	return cmd_account(argc, argv, "reset");
}

static int
cmd_account_compromise(int argc, char **argv)
{
	return cmd_account(argc, argv, "compromise");
}

static int
cmd_account_list(int argc, char **argv)
{
	return cmd_account(argc, argv, "list");
}

/* The group's commands, in the order `esealctl --help` lists them. */
const struct ctl_cmd ctl_account_cmds[] = {
	{ "account add", cmd_account_add,
	  "USER --role admin|ra|auditor",
	  "create an operator account; prints its initial password once" },
	{ "account reset", cmd_account_reset,
	  "USER",
	  "new initial password, ends sessions, forces a change" },
	{ "account compromise", cmd_account_compromise,
	  "USER",
	  "mark compromised: ends sessions, forces a password change" },
	{ "account list", cmd_account_list,
	  "",
	  "list operator accounts" },
	{ NULL, NULL, NULL, NULL },
};
