/*
 * p11_int.h: the insides of struct p11_token, shared by p11.c (loading,
 * keys, signing), p11_ident.c (the token's identity), p11_mac.c (HMAC)
 * and p11_watch.c (fault classification, liveness probe, recovery, the
 * watcher thread).  Not for anyone else.
 *
 * Locks, always taken in this order:
 *   lock     read: the module is used; write: it is unloaded or reloaded.
 *   raw_mu   our one raw session (PKCS#11 sessions are single-threaded).
 *   hmu      the health fields.
 */
#ifndef ESEAL_P11_INT_H
#define ESEAL_P11_INT_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include <libp11.h>
#include <p11-kit/pkcs11.h>

#include "p11.h"

#define P11_KEYS_CACHED	8	/* issuer and OCSP signer keys of a token */

struct p11_token {
	pthread_rwlock_t	 lock;	/* read: use; write: reload */
	char			*module_path;
	char			*uri;
	char			*pin;
	/* Below: valid while loaded. */
	PKCS11_CTX		*ctx;
	PKCS11_SLOT		*slots;
	unsigned int		 nslots;
	PKCS11_SLOT		*slot;		/* ours, within slots */
	void			*dl;		/* our dlopen reference */
	CK_FUNCTION_LIST_PTR	 fl;		/* raw function list */
	CK_SLOT_ID		 slot_id;
	CK_SESSION_HANDLE	 session;	/* our raw R/W session */
	unsigned long		 uses;		/* p11_with_key calls that
						   reached fn: for tests */
	int			 loaded;	/* logged in and usable */
	int			 module_loaded;	/* PKCS11_CTX_load succeeded */
	unsigned long		 gen;		/* loads so far: a failure seen
						   under gen g is handled once */

	/* Private keys already found under this load, as EVP_PKEYs: found
	 * once, not per signature (C_FindObjects and a new EVP_PKEY each
	 * time halved the signing rate on two cores).  Freed on unload. */
	pthread_mutex_t		 kmu;
	struct p11_cached_key {
		unsigned char	 id[P11_ID_MAX];
		size_t		 id_len;
		EVP_PKEY	*pkey;
	}			 keys[P11_KEYS_CACHED];
	int			 nkeys;

	pthread_mutex_t		 raw_mu;	/* around t->session */
	unsigned char		 probe_id[P11_ID_MAX];	/* key of the sign
						   test: the last one used */
	size_t			 probe_id_len;
	/* The MAC key p11_hmac() found last, under load secret_gen (0:
	 * none), with raw_mu: found once per load, not per audit record
	 * (SoftHSM's C_FindObjects reads every object file; 8 % of an
	 * issuance). */
	unsigned char		 secret_id[P11_ID_MAX];
	size_t			 secret_id_len;
	CK_OBJECT_HANDLE	 secret_h;
	unsigned long		 secret_gen;

	pthread_mutex_t		 hmu;		/* the fields below */
	struct p11_identity	 ident;		/* p11_identity() of load
						   ident_gen (0: none), read
						   at ident_at (monotonic ms) */
	unsigned long		 ident_gen;
	int64_t			 ident_at;
	int			 down;		/* a fault is unresolved */
	enum p11_fault		 fault;
	char			 reason[P11_REASON_MAX];
	time_t			 down_since;
	time_t			 last_probe;	/* last probe that signed */
	unsigned long		 recoveries;
	int			 pin_refused;	/* never log in again */
	unsigned long		 load_rv;	/* CKR of the last failed load */

	/* The watcher thread (p11_watch). */
	pthread_t		 watcher;
	int			 watching;
	int			 stop;
	pthread_cond_t		 wcv;		/* with hmu: stop or probe now */
	int			 up_ms, down_ms;
};

/* p11.c: unload and load the module.  Caller holds the write lock. */
void		p11_unload_locked(struct p11_token *);
enum eseal_rc	p11_load_locked(struct p11_token *);

/*
 * p11.c: takes the read lock on a loaded token (reloading it if needed);
 * *gen is the load it saw.  ESEAL_OK with the read lock held, or
 * ESEAL_EHSM naming the fault with no lock held.
 */
enum eseal_rc	p11_acquire(struct p11_token *, unsigned long *gen);

/* The CKR value libp11 left in this thread's OpenSSL error queue, or 0. */
unsigned long	p11_queued_rv(void);

/*
 * p11_watch.c.  The sign test: C_GetTokenInfo, our session logged in, the
 * probe key found and one signature made with it.  Caller holds the lock
 * (either kind).  P11_FAULT_NONE, or the fault with why (what failed).
 */
enum p11_fault	p11_probe_locked(struct p11_token *, char *why, size_t len);

/*
 * A failure was seen while the module was loaded as generation gen (rv:
 * the CKR value if known, else 0).  Under the write lock: probes, and on a
 * fault marks the token down, reloads it and probes again.  Returns 1 if
 * the caller should try once more (reloaded and healthy), 0 if the
 * failure was not the token's (it is healthy and was not reloaded), -1 if
 * the token is down.
 */
int		p11_fault_seen(struct p11_token *, unsigned long gen,
		    unsigned long rv, const char *what);

/*
 * Unloads the token and loads it again, then runs the sign test; a PIN
 * refused once is never tried again.  Returns 1 if the token is usable
 * (and marks it up), 0 if not (and records why).  Caller holds the write
 * lock.
 */
int		p11_recover_locked(struct p11_token *);

/*
 * Takes t->lock (for writing if write, else for reading), waiting at most
 * P11_STUCK_SECS: longer means a thread holding it is inside a PKCS#11 call
 * that has not returned (an HSM that hangs, which SoftHSM does when its
 * token files are replaced under an object in use).  Then the token is
 * marked down with that reason and -1 returned, no lock held, so that
 * callers and /healthz answer "unavailable" instead of waiting with it.
 * 0: the lock is held.
 */
#define P11_STUCK_SECS	5
int		p11_lock(struct p11_token *, int write);

/* ESEAL_EHSM naming the fault, how long ago and what failed. */
enum eseal_rc	p11_unavailable(struct p11_token *);

/* "CKR_GENERAL_ERROR" or "CKR 0x1234": this thread's buffer. */
const char	*p11_rv_str(unsigned long rv);

/* Records a fault (first one: down_since, an error log line). */
void		p11_mark_down(struct p11_token *, enum p11_fault,
		    const char *reason);

/* Stops the watcher, if any.  Called by p11_close() first. */
void		p11_watch_stop(struct p11_token *);

#endif
