/*
 * issue.h: the issuance pipeline of ARCHITECTURE.md.  A certificate is
 * recorded as pending, with its exact TBS, before the HSM signs; the
 * signature is verified; only then is the row issued (with its audit record,
 * in one transaction) and the certificate handed out.  Pending rows left by
 * a crash are finished or failed by issue_recover().
 */
#ifndef ESEAL_ISSUE_H
#define ESEAL_ISSUE_H

#include <stdint.h>

#include <openssl/bn.h>
#include <openssl/x509.h>

#include "ca.h"
#include "csr.h"
#include "profile.h"
#include "store.h"

#define ISSUE_SERIAL_TRIES	4	/* redraws on a (never seen) collision */
#define ISSUE_WHY_MAX		256	/* a failed row's reason, as recorded */

struct issuer;

/* A caller's records in an issuance's transaction (issue_request). */
typedef enum eseal_rc (*issue_hook_fn)(struct store *, const char *serial,
		    int64_t now, void *arg);

struct issue_request {
	const struct profile	*profile;
	const struct org	*org;		/* vetted subject */
	const struct csr	*csr;		/* only its key is used */
	enum key_holder		 holder;	/* who holds the private key */
	int			 qscd;		/* key declared to be in a QSCD */
	int			 validity_days;	/* 0: the profile's maximum */
	const char		*actor;		/* who asked: for the audit */
	/*
	 * What the caller records of the same issuance (an enrolment
	 * request approved, then finished), each in the transaction of one
	 * step, so that it commits with that step, in one durable flush, or
	 * not at all.  on_pending runs after the pending row is inserted: on
	 * any failure nothing of the issuance is recorded.  on_issued runs
	 * after the row is marked issued and its audit record written: on
	 * ESEAL_ESTORE the row stays pending (recovery finishes it), on any
	 * other failure it is failed with that reason and never issued.
	 * Both get the serial and hook_arg; NULL: nothing more.
	 */
	issue_hook_fn		 on_pending, on_issued;
	void			*hook_arg;
	/*
	 * Tests only: alters the built certificate before lint, to show that
	 * lint stops what the profile code would never build.  NULL always in
	 * the programs.
	 */
	void			(*test_tamper)(X509 *);
};

struct issue_result {
	char		 serial[STORE_SERIAL_HEX_MAX];
	unsigned char	*der;		/* owned, OPENSSL_free */
	size_t		 der_len;
	char		 why[ISSUE_WHY_MAX];	/* issue_certs: a failure's */
};

/*
 * Checks that the request may be issued now, before anything is recorded:
 * the key against the crypto policy, the issuers' keys and the keys
 * already certified, and the HSM module's FIPS status.  ESEAL_EPOLICY
 * naming the rule when refused.
 */
enum eseal_rc	issue_check(struct ca *, const struct issue_request *,
		    int64_t now);

/* Runs the whole pipeline.  On success res holds the certificate. */
enum eseal_rc	issue_cert(struct ca *, const struct issue_request *,
		    int64_t now, struct issue_result *res);

/*
 * issue_cert() for n requests (1 to ISSUE_BATCH_MAX) at once, as a batch
 * (a rollover, a sealing service's keys) is issued: the pending rows of
 * all go in one transaction, then the HSM signs each and each signature is
 * verified, then the issued rows with their audit records go in one more
 * transaction: two durable flushes for the batch, not two per certificate.
 * rcs[i] and res[i] are request i's outcome, as issue_cert() would give
 * them, and res[i].why the message of its failure: a request refused (policy, lint, a signature that does not verify)
 * fails alone; the HSM unreachable leaves that row pending.  Returns
 * ESEAL_OK when both transactions committed, else the store's error, also
 * in the rcs of the requests it took back (their rows not recorded, or left
 * pending for recovery).  Requests of a batch take no hooks (EINVAL).
 */
#define ISSUE_BATCH_MAX		256
enum eseal_rc	issue_certs(struct ca *, const struct issue_request *reqs,
		    size_t n, int64_t now, struct issue_result *res,
		    enum eseal_rc *rcs);

/*
 * Steps 3 to 5 only: draws the serial, builds the TBS and records it as
 * pending, then stops (as a crash after step 5 would).  For tests.
 */
enum eseal_rc	issue_prepare(struct ca *, const struct issue_request *,
		    int64_t now, char serial[STORE_SERIAL_HEX_MAX]);

/*
 * Finishes every pending row: signs its stored TBS and marks it issued, or
 * marks it failed with the reason.  Counts go to *finished and *failed.
 */
enum eseal_rc	issue_recover(struct ca *, int64_t now, int *finished,
		    int *failed);

/*
 * issue_recover() for the pending rows recorded at or before before only:
 * what the running daemon finishes of rows another process (a killed
 * esealctl) left, once they are older than a grace period, leaving alone
 * the issuances still under way.
 */
enum eseal_rc	issue_recover_before(struct ca *, int64_t now, int64_t before,
		    int *finished, int *failed);

/*
 * Finishes one pending row (signs its stored TBS and marks it issued, as
 * issue_recover() does) by actor.  EEXIST if serial is not pending.
 */
enum eseal_rc	issue_finish_pending(struct ca *, const char *serial,
		    const char *actor, int64_t now);

void		issue_result_clear(struct issue_result *);

/*
 * Builds the unsigned certificate for serial bn (whose CRL shard is
 * shard) into *x, its TBS signature algorithm set (issuer_set_sigalg) and
 * linted where the caller lints.
 */
typedef enum eseal_rc (*issue_build_fn)(const BIGNUM *bn, int shard,
		    X509 **x, void *arg);

/*
 * Steps 3 to 5 for any certificate the issuer is signs (subscribers' and
 * the CA's own OCSP signers'): draws a serial (again on a collision, up to
 * ISSUE_SERIAL_TRIES), lets build make the certificate, and records its
 * TBS pending, committed, with tmpl's spki_sha256, not_before, not_after
 * and org_identifier; also (if not NULL) runs in the same transaction,
 * after the insert, with also_arg, and its failure undoes the insert.
 * serial gets the serial; *tbs (if tbs is not NULL; OPENSSL_free) the
 * recorded TBS of *tbs_len bytes.
 */
enum eseal_rc	issue_record_pending(struct ca *, const struct issuer *is,
		    const struct store_cert *tmpl, issue_build_fn build,
		    void *arg, issue_hook_fn also, void *also_arg, int64_t now,
		    char serial[STORE_SERIAL_HEX_MAX], unsigned char **tbs,
		    size_t *tbs_len);

/*
 * The final ending of a pending row (its TBS does not parse, the HSM's
 * signature does not verify): marks serial failed with the current error
 * message as reason and writes the audit record "cert.fail" by actor, in
 * one transaction (if that fails the row stays pending, for
 * issue_recover).  Returns rc with the reason as message again.
 */
enum eseal_rc	issue_fail(struct ca *, const char *serial, enum eseal_rc rc,
		    const char *actor, int64_t now);

#endif
