/*
 * rotate.h: the issuer key lifecycle (docs/key-rotation.md).  An issuer is
 * pending (external-root shape: a key and a PKCS#10, no certificate yet),
 * active (issues; exactly one), retiring (issues nothing, still signs CRLs
 * and OCSP for its own certificates) or retired (its last certificate
 * expired or it was retired by force; a final CRL was published and stays
 * served).  Every state change is one store transaction with its audit
 * record.  These are the ceremonies `esealctl issuer` runs on the CA
 * host; the dual-control helper runs the same functions as an approved
 * operation (actor names the approval).
 */
#ifndef ESEAL_ROTATE_H
#define ESEAL_ROTATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ca.h"
#include "crl.h"
#include "profile.h"
#include "store.h"

/* What a rotation makes. */
struct rotate_req {
	const char	*name;		/* the new issuer: [a-z0-9-], 1..63 */
	int		 key_type;	/* enum key_type; -1: the current's */
	const char	*token;		/* "default" or an [hsm "NAME"];
					   NULL: the current issuer's token */
	int		 validity_days;	/* 0: [ca] validity_days */
	int		 crl_shards;	/* 0: the current issuer's */
	/*
	 * NULL: the self-signed shape.  Else the external-root shape: the
	 * PKCS#10 of the new key (signed on the HSM) is written here, PEM,
	 * and the new issuer stays pending until rotate_import_cert().
	 */
	const char	*csr_out;
	/*
	 * The URLs of the link certificates: crl_url and ca_issuers_url of
	 * this profile with base_url for {base} (the [issue] profile and
	 * [publish] base_url); NULL: links without CRL DP and AIA.
	 */
	const struct profile *profile;
	const char	*base_url;
};

struct rotate_result {
	int64_t	old_id, new_id;		/* old_id 0 if there was none */
	char	old_name[STORE_NAME_MAX];
	/* Self-signed shape: the link certificates, by serial (hex). */
	char	link_by_old[STORE_SERIAL_HEX_MAX];	/* old key certifies new */
	char	link_by_new[STORE_SERIAL_HEX_MAX];	/* new key certifies old */
};

/*
 * Rotates the active issuer to a new key named req->name, at now, for
 * actor (audit records name it).
 *
 * Before anything is made the rotation is checked: the name is valid and
 * unused; an active issuer exists; the target token is configured and
 * open; its module may generate issuer keys now (HSM module registry:
 * Historical or Revoked refused, the refusal naming the module and its
 * CMVP certificate, with a "fips.refuse" audit record) and matches its
 * registry_entry if one is configured; the crypto policy allows the key
 * type now.  Any refusal: ESEAL_EPOLICY (ESEAL_EEXIST, ESEAL_ENOTFOUND,
 * ESEAL_EINVAL) and nothing changed.
 *
 * Self-signed shape: generates the key on the target token, self-signs
 * the new CA certificate (subject from [ca]) and makes two link
 * certificates (RFC 4210 4.4): the old key certifying the new key and the
 * new key certifying the old, each with the CRL DP and AIA of the issuer
 * that signed it, valid until the earlier notAfter of the two.  Then, in
 * one transaction: the old issuer becomes retiring, the new one active,
 * both links recorded, audit "issuer.rotate".
 *
 * External-root shape (req->csr_out): generates the key, writes the
 * PKCS#10 (HSM-signed, checked with the public key), then records the
 * new issuer pending with audit "issuer.csr"; the active issuer stays.
 *
 * On any failure nothing is recorded (no issuer row, no link, no audit
 * record but a refusal's) and a CSR file written is removed; a key
 * already generated stays on the token, unused, labelled
 * eseal-issuer-NAME.  *out (if not NULL) is filled on success.
 * Safe against a concurrent rotation: only one can commit (one active
 * issuer, unique names).
 */
enum eseal_rc	rotate_issuer(struct ca *, const struct rotate_req *,
		    const char *actor, time_t now, struct rotate_result *out);

#define ROTATE_CERT_MAX	(256 * 1024)	/* a certificate or a chain */

/*
 * External-root shape, second step: installs the certificate (PEM or DER,
 * cert_len bytes) the parent CA signed for pending issuer name, with
 * chain_pem (NULL: none) holding the certificates between it and the
 * root (each at most ROTATE_CERT_MAX bytes, else ESEAL_ETOOLARGE).
 * Refused (ESEAL_EPOLICY naming the rule) unless it is for the key
 * made for name, is a CA certificate (basicConstraints cA) with keyUsage
 * keyCertSign and cRLSign, is valid at now, and chains to [ca] root_cert.
 * Then, in one transaction: the active issuer becomes retiring, name
 * active with the certificate and its chain, audit "issuer.import-cert".
 */
enum eseal_rc	rotate_import_cert(struct ca *, const char *name,
		    const unsigned char *cert, size_t cert_len,
		    const char *chain_pem, const char *actor, time_t now);

/*
 * Retires issuer name (retiring, never the active one): refused
 * (ESEAL_EPOLICY) while it covers unexpired, unrevoked certificates unless
 * force, which needs a reason (why) and is audited with it.  Signs a final
 * CRL of each shard (crl_generate with p), then, in one transaction,
 * retired and audit "issuer.retire".
 */
enum eseal_rc	rotate_retire(struct ca *, const char *name, int force,
		    const char *why, const struct crl_params *p,
		    const char *actor, time_t now);

/*
 * Every retiring issuer whose certificates have all expired at now is
 * retired as rotate_retire() does (actor "eseald").  *n (if not NULL)
 * counts them.  Stops at the first failure.
 */
enum eseal_rc	rotate_retire_expired(struct ca *, const struct crl_params *p,
		    time_t now, int *n);

#define ROTATE_WARN_MAX	8	/* warnings rotate_warnings() gives */
#define ROTATE_WARN_LEN	768

/*
 * What operators must hear ahead of trouble, one sentence each, into
 * out (at most ROTATE_WARN_MAX): the active issuer's CA certificate
 * expires within [ca] expiry_warn_days; its token's module is
 * Historical, Revoked, or past or within the margin of its sunset date.
 * Returns how many.
 */
int		rotate_warnings(struct ca *, time_t now,
		    char out[][ROTATE_WARN_LEN]);
/* Logs each of them at warn level. */
void		rotate_log_warnings(struct ca *, time_t now);

#endif
