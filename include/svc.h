/*
 * svc.h: running under a service manager (docs/operations.md, "Installing
 * as a service").  systemd's notification protocol (READY=1, RELOADING=1,
 * STOPPING=1, STATUS=, WATCHDOG=1) and socket activation (LISTEN_FDS)
 * through libsystemd, and the drop of root's privileges to --user NAME.
 * Built with WITH_SYSTEMD=0, notifications are not sent and passed
 * sockets not taken (a warning says so when systemd offers them).
 */
#ifndef ESEAL_SVC_H
#define ESEAL_SVC_H

#include <stdint.h>
#include <sys/types.h>

#include "err.h"

/* Sockets passed by systemd, by FileDescriptorName (or position). */
enum svc_listener {
	SVC_API,	/* eseald-api.socket, FileDescriptorName=api */
	SVC_PUBLISH,	/* eseald-publish.socket, FileDescriptorName=publish */
	SVC_METRICS,	/* FileDescriptorName=metrics */
	SVC_LISTENER_MAX
};

/*
 * The listening sockets systemd passed (LISTEN_PID this process): fd[i]
 * is the socket for listener i, -1 when none.  Sockets are matched by
 * name (LISTEN_FDNAMES api, publish, metrics); unnamed ones by position,
 * in that order.  The variables are removed from the environment.
 * ESEAL_ECONF, said why, for a passed fd that is not a listening stream
 * socket or a name that is not one of those.
 */
enum eseal_rc	svc_listen_fds(int fd[SVC_LISTENER_MAX]);

/* systemd notifications; each a no-op outside systemd (no NOTIFY_SOCKET). */
void		svc_notify_ready(const char *status);
void		svc_notify_reloading(void);
void		svc_notify_stopping(void);
void		svc_notify_status(const char *status);

/*
 * The watchdog: svc_watchdog_usec() is WatchdogSec in microseconds (0:
 * none).  svc_watchdog() sends WATCHDOG=1 when half of it has passed
 * since the last one; call it from the main loop.
 */
uint64_t	svc_watchdog_usec(void);
void		svc_watchdog(void);

/* Whom to become: looked up before anything is opened. */
struct svc_user {
	char	name[64];
	uid_t	uid;
	gid_t	gid;
	int	set;		/* 1: --user was given */
};

/*
 * --user NAME: looks the user up.  ESEAL_ECONF, said why, for an unknown
 * user, root itself, or --user other than oneself when not root.
 */
enum eseal_rc	svc_user_lookup(const char *name, struct svc_user *out);
/*
 * Becomes u (supplementary groups, gid, uid) and checks root cannot be
 * regained; a no-op for u->set 0 or u already being this process's uid.
 */
enum eseal_rc	svc_drop(const struct svc_user *u);

#endif
