/*
 * svc.c: systemd's notification protocol and socket activation through
 * libsystemd (svc.h), and the drop of root's privileges.  WITH_SYSTEMD=0
 * builds keep the drop and leave systemd out.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if WITH_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "svc.h"


#if WITH_SYSTEMD

static const char *const listener_names[SVC_LISTENER_MAX] = {
	[SVC_API] = "api",
	[SVC_PUBLISH] = "publish",
	[SVC_METRICS] = "metrics",
};

/* The listener a passed socket's name is for; position if unnamed. */
static int
listener_of(const char *name, int pos)
{
	if (name == NULL || name[0] == '\0' || strcmp(name, "unknown") == 0 ||
	    strcmp(name, "stored") == 0)
		return pos < SVC_LISTENER_MAX ? pos : -1;
	for (int i = 0; i < SVC_LISTENER_MAX; i++)
		if (strcmp(name, listener_names[i]) == 0)
			return i;
	return -1;
}

enum eseal_rc
svc_listen_fds(int fd[SVC_LISTENER_MAX])
{
	char **names = NULL;
	enum eseal_rc rc = ESEAL_OK;
	int n, l;

	for (int i = 0; i < SVC_LISTENER_MAX; i++)
		fd[i] = -1;
	if ((n = sd_listen_fds_with_names(1, &names)) < 0)
		return eseal_err(ESEAL_ECONF, "systemd: LISTEN_FDS: %s",
		    strerror(-n));
	for (int i = 0; i < n && rc == ESEAL_OK; i++) {
		int s = SD_LISTEN_FDS_START + i;
		const char *name = names != NULL ? names[i] : NULL;

		if ((l = listener_of(name, i)) < 0 || fd[l] != -1)
			rc = eseal_err(ESEAL_ECONF, "systemd: passed socket %d "
			    "(FileDescriptorName=%s) is not one of api, publish, "
			    "metrics, or names one twice", s, name ? name : "");
		else if (sd_is_socket(s, AF_UNSPEC, SOCK_STREAM, 1) <= 0)
			rc = eseal_err(ESEAL_ECONF, "systemd: passed fd %d (%s) "
			    "is not a listening stream socket (ListenStream=)",
			    s, listener_names[l]);
		else
			fd[l] = s;
	}
	for (int i = 0; names != NULL && names[i] != NULL; i++)
		free(names[i]);
	free(names);
	return rc;
}

static void
notify(const char *state)
{
	int r = sd_notify(0, state);

	if (r < 0)
		log_warn("msg=\"systemd notification failed\" state=\"%.40s\" "
		    "error=\"%s\"", state, strerror(-r));
}

static void
notify_status(const char *first, const char *status)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s%sSTATUS=%s", first ? first : "",
	    first ? "\n" : "", status ? status : "");
	notify(status != NULL ? buf : first);
}

uint64_t
svc_watchdog_usec(void)
{
	uint64_t usec = 0;

	return sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
}

#else /* !WITH_SYSTEMD */

enum eseal_rc
svc_listen_fds(int fd[SVC_LISTENER_MAX])
{
	for (int i = 0; i < SVC_LISTENER_MAX; i++)
		fd[i] = -1;
	if (getenv("LISTEN_FDS") != NULL)
		log_warn("msg=\"systemd passed sockets, but this eseald was "
		    "built with WITH_SYSTEMD=0: binding the configured "
		    "addresses instead\"");
	return ESEAL_OK;
}

static void
notify_status(const char *first, const char *status)
{
	static int said;

	(void)first;
	(void)status;
	if (!said && getenv("NOTIFY_SOCKET") != NULL) {
		said = 1;
		log_warn("msg=\"built with WITH_SYSTEMD=0: no notifications; "
		    "use Type=simple\"");
	}
}

uint64_t
svc_watchdog_usec(void)
{
	return 0;
}

#endif /* WITH_SYSTEMD */

void
svc_notify_ready(const char *status)
{
	notify_status("READY=1", status);
}

void
svc_notify_reloading(void)
{
	struct timespec ts;
	char buf[64];

	/* MONOTONIC_USEC: what Type=notify-reload asks of RELOADING=1. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(buf, sizeof(buf), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL);
	notify_status(buf, NULL);
}

void
svc_notify_stopping(void)
{
	notify_status("STOPPING=1", NULL);
}

void
svc_notify_status(const char *status)
{
	notify_status(NULL, status);
}

void
svc_watchdog(void)
{
	static uint64_t usec, last;
	static int checked;
	struct timespec ts;
	uint64_t now;

	if (!checked) {
		usec = svc_watchdog_usec();
		checked = 1;
	}
	if (usec == 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
	if (last != 0 && now - last < usec / 2)
		return;
	last = now;
	notify_status("WATCHDOG=1", NULL);
}

enum eseal_rc
svc_user_lookup(const char *name, struct svc_user *out)
{
	struct passwd *pw;

	memset(out, 0, sizeof(*out));
	errno = 0;
	if ((pw = getpwnam(name)) == NULL)
		return eseal_err(ESEAL_ECONF, "--user %s: no such user%s%s",
		    name, errno ? ": " : "", errno ? strerror(errno) : "");
	if (pw->pw_uid == 0)
		return eseal_err(ESEAL_ECONF, "--user %s: that is root; name "
		    "the unprivileged user eseald should run as (eseal)", name);
	if (geteuid() != 0 && geteuid() != pw->pw_uid)
		return eseal_err(ESEAL_ECONF, "--user %s: only root can become "
		    "another user (running as uid %ld)", name,
		    (long)geteuid());
	snprintf(out->name, sizeof(out->name), "%s", pw->pw_name);
	out->uid = pw->pw_uid;
	out->gid = pw->pw_gid;
	out->set = 1;
	return ESEAL_OK;
}

enum eseal_rc
svc_drop(const struct svc_user *u)
{
	if (!u->set || (geteuid() == u->uid && getuid() == u->uid))
		return ESEAL_OK;
	if (initgroups(u->name, u->gid) != 0 || setgid(u->gid) != 0 ||
	    setuid(u->uid) != 0)
		return eseal_err(ESEAL_EINTERNAL, "--user %s: cannot drop "
		    "privileges: %s", u->name, strerror(errno));
	if (setuid(0) == 0 || geteuid() == 0)
		return eseal_err(ESEAL_EINTERNAL, "--user %s: root could be "
		    "regained after the drop; refusing to run", u->name);
	log_info("msg=\"dropped privileges\" user=%s uid=%ld gid=%ld",
	    u->name, (long)u->uid, (long)u->gid);
	return ESEAL_OK;
}
