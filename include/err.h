/*
 * err.h: the one error enum of the core, and a per-thread message that says
 * which rule a failure broke.  Functions that fail return an enum eseal_rc
 * and leave a one-line message readable with eseal_errmsg().
 * The mapping to HTTP status lives in http.c, and only there.
 */
#ifndef ESEAL_ERR_H
#define ESEAL_ERR_H

enum eseal_rc {
	ESEAL_OK = 0,
	ESEAL_EINVAL,		/* bad input: malformed, wrong size, wrong form */
	ESEAL_EPOLICY,		/* well-formed but refused by a rule (policy, profile, FIPS) */
	ESEAL_ENOTFOUND,	/* the object asked for does not exist */
	ESEAL_EEXIST,		/* the object already exists / state conflict */
	ESEAL_EHSM,		/* the HSM failed or is not reachable */
	ESEAL_ESTORE,		/* the store failed */
	ESEAL_ECONF,		/* configuration error */
	ESEAL_ENOMEM,		/* out of memory */
	ESEAL_EINTERNAL,	/* a bug or an OpenSSL failure we did not expect */
	ESEAL_EAUTH,		/* no or bad credentials, expired session */
	ESEAL_EFORBIDDEN,	/* authenticated, but not allowed to do this */
	ESEAL_ETOOMANY,		/* rate or attempt limit reached: retry later */
	ESEAL_ETOOLARGE,	/* input larger than its limit */
	ESEAL_EMEDIATYPE,	/* input of another content type than the one
				   accepted */
	ESEAL_EMETHOD,		/* the object does not offer that operation */
	ESEAL_ENOACK,		/* panel point 1: the organisation has not
				   acknowledged the current disclosure */
	ESEAL_ESTALE,		/* panel point 1: an acknowledgement of another
				   disclosure version or text than the
				   current one */
	ESEAL_RC_MAX
};

/* Name of an rc for logs and JSON ("invalid", "policy", ...). */
const char	*eseal_rcname(enum eseal_rc);

/*
 * Records a message for this thread and returns rc, so callers can write
 * "return eseal_err(ESEAL_EINVAL, "csr: RFC 2986: ...")".  One line: every
 * control byte of it (a tab or newline quoted from a file) becomes '?'.
 */
enum eseal_rc	 eseal_err(enum eseal_rc rc, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/* The last message recorded on this thread ("" if none).  Borrowed. */
const char	*eseal_errmsg(void);

/* Forgets the last message. */
void		 eseal_errclear(void);

#endif
