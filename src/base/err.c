/* err.c: the core's error codes and the per-thread error message. */
#include <stdarg.h>
#include <stdio.h>

#include "err.h"

#define ERRMSG_MAX	512	/* one line: longer messages are cut */

static _Thread_local char errmsg[ERRMSG_MAX];

static const char *const rcnames[ESEAL_RC_MAX] = {
	[ESEAL_OK] = "ok",
	[ESEAL_EINVAL] = "invalid",
	[ESEAL_EPOLICY] = "policy",
	[ESEAL_ENOTFOUND] = "not_found",
	[ESEAL_EEXIST] = "conflict",
	[ESEAL_EHSM] = "hsm_unavailable",
	[ESEAL_ESTORE] = "store_unavailable",
	[ESEAL_ECONF] = "config",
	[ESEAL_ENOMEM] = "no_memory",
	[ESEAL_EINTERNAL] = "internal",
	[ESEAL_EAUTH] = "unauthorized",
	[ESEAL_EFORBIDDEN] = "forbidden",
	[ESEAL_ETOOMANY] = "too_many_requests",
	[ESEAL_ETOOLARGE] = "too_large",
	[ESEAL_EMEDIATYPE] = "unsupported_media_type",
	[ESEAL_EMETHOD] = "method_not_allowed",
	[ESEAL_ENOACK] = "disclosure_not_acknowledged",
	[ESEAL_ESTALE] = "disclosure_stale",
};

const char *
eseal_rcname(enum eseal_rc rc)
{
	if (rc < 0 || rc >= ESEAL_RC_MAX)
		return "internal";
	return rcnames[rc];
}

enum eseal_rc
eseal_err(enum eseal_rc rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
	va_end(ap);
	/* Messages quote outside input (a key, a value, a name) and reach a
	 * terminal, a log line and JSON: no control byte gets through. */
	for (char *p = errmsg; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
	return rc;
}

const char *
eseal_errmsg(void)
{
	return errmsg;
}

void
eseal_errclear(void)
{
	errmsg[0] = '\0';
}
