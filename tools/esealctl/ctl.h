/*
 * ctl.h: what the esealctl command files share (private to tools/esealctl/):
 * the command descriptor, the config path, the options every command takes,
 * opening and closing the store and the token, and one-line failures.
 */
#ifndef ESEALCTL_CTL_H
#define ESEALCTL_CTL_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include "ca.h"
#include "conf.h"

#define DEFAULT_CONFIG	"/etc/eseal/eseald.conf"
#define ACTOR_MAX	64	/* "local:" and a login name */

/*
 * One command, `esealctl NAME [OPTIONS]`.  Each ctl_<group>.c defines its
 * commands as `const struct ctl_cmd ctl_<group>_cmds[]`, ending in a row of
 * NULLs, and esealctl.c lists the group in CTL_GROUPS.  run gets argv with
 * the last word of name as argv[0] and optind reset, and returns the exit
 * status: 0, 1 on failure (one line on stderr), 2 on a usage error.
 */
struct ctl_cmd {
	const char	*name;		/* "hsm status" */
	int		(*run)(int argc, char **argv);
	const char	*usage;		/* options after the name */
	const char	*help;		/* one line */
};

/* --config, else ESEAL_CONFIG, else DEFAULT_CONFIG. */
extern const char *ctl_config_path;

/* Prints "esealctl: WHAT: <the last error>" and returns 1. */
int	ctl_fail(const char *what);

/* Fills buf with the actor for audit records: "local:<user>". */
void	ctl_actor(char *buf, size_t sz);

/*
 * Loads the config into *c and opens the store (and the token if
 * with_token, then finishes pending issuances) into ca.  Returns 0, or 1
 * after printing one line, with nothing left open.  Undo with ctl_unload.
 */
int	ctl_load(int with_token, struct conf **c, struct ca *ca);
void	ctl_unload(struct conf *c, struct ca *ca);

/*
 * Reads at most max + 1 bytes of path into *buf (malloc'd, NUL after the
 * bytes read) and their number into *len: max + 1 means too big.  0 after
 * printing one line if it cannot be opened.
 */
int	ctl_read_file(const char *path, size_t max, unsigned char **buf,
	    size_t *len);

/* What ctl_next_opt returns for the options every command takes. */
#define CTL_OPT_CONFIG	0x100	/* --config FILE: handled, never returned */
#define CTL_OPT_QUIET	0x102	/* --quiet: sets ctl_quiet, never returned */
#define CTL_OPT_HELP	0x101	/* --help (main answers it when spelled out) */

/*
 * getopt_long over the command's own options (NULL, or an array of any
 * length ending in a NULL name) followed by --config, which it handles, and
 * --help.  Returns an option's val, CTL_OPT_HELP, '?' on an unknown option
 * or a missing argument (getopt has printed one line) or out of memory, -1
 * at the end.
 */
int	ctl_next_opt(int argc, char **argv, const struct option *own);

/*
 * Parses s as a decimal integer from lo to hi into *out.  Returns 1, or 0
 * after printing one line naming what.
 */
int	ctl_parse_int(const char *s, int lo, int hi, const char *what,
	    int *out);

/* --quiet: no progress line (ctl_progress.c). */
extern int ctl_quiet;

/*
 * The progress line of a long command (count, rate, ETA) on standard
 * error, drawn only when standard output and standard error are
 * terminals and not --quiet.  ctl_progress() has the shape of the
 * library's progress callbacks (arg: the struct ctl_progress);
 * ctl_progress_end() ends the line with the count and the time taken.
 */
struct ctl_progress {
	const char	*what;
	int		 on, drawn;
	double		 t0, last;
	int64_t		 done, total;
};
void	ctl_progress_start(struct ctl_progress *, const char *what);
void	ctl_progress(void *p, int64_t done, int64_t total);
void	ctl_progress_end(struct ctl_progress *);
/* Clears the progress line (before other output: a log line). */
void	ctl_progress_clear(struct ctl_progress *);
/* printf to standard output, the progress line cleared first. */
void	ctl_progress_print(struct ctl_progress *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
