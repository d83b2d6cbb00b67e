/*
 * ctl.h: what the esealctl command files share (private to tools/esealctl/):
 * the config path, the options every command takes, opening and closing the
 * store and the token, one-line failures, and each command's entry point.
 */
#ifndef ESEALCTL_CTL_H
#define ESEALCTL_CTL_H

#include <getopt.h>
#include <stddef.h>

#include "ca.h"
#include "conf.h"

#define DEFAULT_CONFIG	"/etc/eseal/eseald.conf"
#define ACTOR_MAX	64

extern const char *ctl_config_path;

int	ctl_fail(const char *);
void	ctl_actor(char *, size_t);
int	ctl_load(int, struct conf **, struct ca *);
void	ctl_unload(struct conf *, struct ca *);
int	ctl_next_opt(int, char **, const struct option *, int *);
int	ctl_parse_int(const char *, int, int, const char *, int *);

int	cmd_init(int, char **);
int	cmd_hsm_status(int, char **);
int	cmd_hsm_readiness(int, char **);
int	cmd_hsm_import_cmvp(int, char **);
int	cmd_key_generate(int, char **);
int	cmd_issue(int, char **);
int	cmd_revoke(int, char **);
int	cmd_crl_generate(int, char **);
int	cmd_crl_show(int, char **);
int	cmd_ocsp_signer_create(int, char **);
int	cmd_account_add(int, char **);
int	cmd_account_reset(int, char **);
int	cmd_account_compromise(int, char **);
int	cmd_account_list(int, char **);
int	cmd_audit_verify(int, char **);

#endif
