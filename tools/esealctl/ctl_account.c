/*
 * ctl_account.c: `esealctl account add | reset | compromise | disable |
 * enable | list | totp-reset | require-2fa`:
 * operator accounts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "account.h"
#include "ctl.h"
#include "totp.h"

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
	if (ctl_load(1, &c, &ca) != 0)
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
		printf("%-24s %-8s %s%s%s\n", v[i].username,
		    role_name(v[i].role), v[i].disabled ? "disabled" : "enabled",
		    v[i].must_change ? " must-change-password" : "",
		    v[i].compromised ? " compromised" : "");
	ret = 0;
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	free(v);
	ctl_unload(c, &ca);
	return ret;
}

/* account disable | enable USER: disabled is 1 or 0. */
static int
account_state(int argc, char **argv, int disabled)
{
	const char *what = disabled ? "account disable" : "account enable";
	char who[ACTOR_MAX];
	struct conf *c;
	struct ca ca;
	int ch, ret = 0;

	if ((ch = ctl_next_opt(argc, argv, NULL)) != -1)
		return 2;
	if (optind + 1 != argc) {
		fprintf(stderr, "esealctl: %s: one USER is required\n", what);
		return 2;
	}
	if (ctl_load(1, &c, &ca) != 0)
		return 1;
	ctl_actor(who, sizeof(who));
	if (account_set_disabled(ca.store, argv[optind], disabled, time(NULL),
	    who) != ESEAL_OK)
		ret = ctl_fail(what);
	else if (disabled)
		printf("%s: disabled: sessions ended, login refused; the name "
		    "stays reserved\n", argv[optind]);
	else
		printf("%s: enabled: may log in again\n", argv[optind]);
	ctl_unload(c, &ca);
	return ret;
}

static int
cmd_account_disable(int argc, char **argv)
{
	return account_state(argc, argv, 1);
}

static int
cmd_account_enable(int argc, char **argv)
{
	return account_state(argc, argv, 0);
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

/* account totp-reset USER: a lost device (totp.h). */
static int
cmd_account_totp_reset(int argc, char **argv)
{
	char who[ACTOR_MAX];
	struct conf *c;
	struct ca ca;
	int ret = 0;

	if (ctl_next_opt(argc, argv, NULL) != -1)
		return 2;
	if (optind + 1 != argc) {
		fprintf(stderr, "esealctl: account totp-reset: one USER is "
		    "required\n");
		return 2;
	}
	if (ctl_load(1, &c, &ca) != 0)
		return 1;
	ctl_actor(who, sizeof(who));
	if (totp_reset(ca.store, argv[optind], time(NULL), who) != ESEAL_OK)
		ret = ctl_fail("account totp-reset");
	else
		printf("%s: second factor removed; enrol a new one from inside "
		    "the secure zone (POST /api/v1/session/totp)\n",
		    argv[optind]);
	ctl_unload(c, &ca);
	return ret;
}

/* account require-2fa USER on|off (totp.h, totp_require). */
static int
cmd_account_require_2fa(int argc, char **argv)
{
	char who[ACTOR_MAX];
	struct conf *c;
	struct ca ca;
	int ret = 0, on;

	if (ctl_next_opt(argc, argv, NULL) != -1)
		return 2;
	if (optind + 2 != argc || (strcmp(argv[optind + 1], "on") != 0 &&
	    strcmp(argv[optind + 1], "off") != 0)) {
		fprintf(stderr, "esealctl: account require-2fa: USER on|off\n");
		return 2;
	}
	on = strcmp(argv[optind + 1], "on") == 0;
	if (ctl_load(1, &c, &ca) != 0)
		return 1;
	ctl_actor(who, sizeof(who));
	if (totp_require(ca.store, argv[optind], on, time(NULL), who) !=
	    ESEAL_OK)
		ret = ctl_fail("account require-2fa");
	else
		printf("%s: second factor %s\n", argv[optind], on ?
		    "required even inside the secure zone" :
		    "required outside the secure zone only");
	ctl_unload(c, &ca);
	return ret;
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
	{ "account disable", cmd_account_disable,
	  "USER",
	  "offboarding: ends sessions, refuses login, keeps the name and "
	  "the audit history" },
	{ "account enable", cmd_account_enable,
	  "USER",
	  "let a disabled account log in again" },
	{ "account list", cmd_account_list,
	  "",
	  "list operator accounts and their state" },
	{ "account totp-reset", cmd_account_totp_reset,
	  "USER",
	  "remove the account's TOTP second factor (a lost device)" },
	{ "account require-2fa", cmd_account_require_2fa,
	  "USER on|off",
	  "require a second factor for the account even inside the zone" },
	{ NULL, NULL, NULL, NULL },
};
