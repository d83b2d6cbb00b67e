/*
 * p11.h: the HSM through PKCS#11 (libp11).  One struct p11_token is one
 * logged-in token found by RFC 7512 URI.  Private keys never leave the
 * token: callers sign inside p11_with_key(), which lends an EVP_PKEY for the
 * duration of a callback and recovers from lost sessions (the token went
 * away and came back, the module closed its sessions) by reloading the
 * module, logging in again and finding the key again by CKA_ID.
 * All functions are safe to call from several threads.
 *
 * Faults: every PKCS#11 return value is classified (p11_rv_fault).  A
 * lost session, a lost token and a failing device are recovered by
 * releasing the libp11 context (C_Finalize) and loading it again
 * (C_Initialize, find the token, log in); a refused PIN is never tried
 * again, since each try counts toward the token's lockout.  In the daemon
 * a watcher thread (p11_watch) probes the token on a schedule with
 * C_GetTokenInfo and a test signature, and reloads it while it is down;
 * callers then fail at once with ESEAL_EHSM instead of waiting on it.
 */
#ifndef ESEAL_P11_H
#define ESEAL_P11_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>

#include "err.h"
#include "keytype.h"

#define P11_ID_MAX	64	/* longest CKA_ID we create or accept */
#define P11_REASON_MAX	256	/* a fault's reason, one line */
#define P11_PROBE_UP_MS	2000	/* sign test this often while healthy */
#define P11_PROBE_DOWN_MS 500	/* reload this often while down: back
				   well within 5 s of the token's return */

/* What a PKCS#11 return value says about the token. */
enum p11_fault {
	P11_FAULT_NONE,		/* CKR_OK */
	P11_FAULT_SESSION,	/* session closed, logged out, stale handle:
				   new sessions, log in, find keys again */
	P11_FAULT_TOKEN,	/* token removed, not present, not recognised,
				   slot gone: reload the module */
	P11_FAULT_DEVICE,	/* the module or device failed
				   (CKR_GENERAL_ERROR, CKR_DEVICE_ERROR, ...):
				   reload the module */
	P11_FAULT_PIN,		/* PIN incorrect, locked, expired: never
				   retried (each try counts toward lockout) */
	P11_FAULT_REFUSED,	/* this operation was refused (mechanism,
				   arguments): the token itself is fine */
	P11_FAULT_MAX
};

/* The class of a CKR_* value. */
enum p11_fault	p11_rv_fault(unsigned long rv);
/* "none", "session_lost", "token_lost", "device_error", "pin_refused",
 * "refused". */
const char	*p11_fault_name(enum p11_fault);
/* "CKR_GENERAL_ERROR" for the values we classify, else NULL. */
const char	*p11_rv_name(unsigned long rv);

/* What the token's last probe or use said. */
struct p11_health {
	int		 up;		/* 1: usable now */
	int		 watched;	/* a watcher thread probes it */
	enum p11_fault	 fault;		/* when down: the class ... */
	char		 reason[P11_REASON_MAX];	/* ... and what failed */
	time_t		 down_since;	/* when down: since when */
	time_t		 last_probe;	/* last successful sign test, 0 none */
	unsigned long	 recoveries;	/* times it came back without a restart */
};

/* What the token says it is (CK_TOKEN_INFO, CK_INFO), strings trimmed. */
struct p11_identity {
	char	label[33];
	char	manufacturer[33];
	char	model[17];
	char	serial[17];
	int	hw_major, hw_minor;	/* hardwareVersion */
	int	fw_major, fw_minor;	/* firmwareVersion */
	char	lib_manufacturer[33];	/* CK_INFO */
	char	lib_description[33];
	int	lib_major, lib_minor;
};

struct p11_mech {
	unsigned long	 type;		/* CKM_* */
	const char	*name;		/* "CKM_ECDSA", or NULL if not one we know */
	unsigned long	 flags;		/* CKF_* of CK_MECHANISM_INFO */
	unsigned long	 min_key, max_key;
};

struct p11_key_info {
	unsigned char	 id[P11_ID_MAX];
	size_t		 id_len;
	char		 label[64];
	int		 is_private;	/* 1 private key, 0 public key */
	int		 pkey_type;	/* EVP_PKEY_RSA, EVP_PKEY_EC, ... */
};

struct p11_token;

/*
 * Loads the PKCS#11 module at module_path, finds the one initialised token
 * matching the RFC 7512 URI and logs in with pin.  On success *out is the
 * token, freed with p11_close().
 */
enum eseal_rc	p11_open(const char *module_path, const char *uri,
		    const char *pin, struct p11_token **out);
void		p11_close(struct p11_token *);

/*
 * Generates a key pair on the token: private key sensitive, not extractable,
 * CKA_TOKEN, with the given CKA_ID and label.  ESEAL_EEXIST if a key with
 * that CKA_ID exists.
 */
enum eseal_rc	p11_generate(struct p11_token *, enum key_type,
		    const unsigned char *id, size_t id_len, const char *label);

/*
 * Returns in *out a new, standalone copy of the public key with that CKA_ID
 * (no HSM reference; the caller frees it).
 */
enum eseal_rc	p11_public_key(struct p11_token *, const unsigned char *id,
		    size_t id_len, EVP_PKEY **out);

/*
 * Calls fn(key, arg) with the private key with that CKA_ID, lent for the
 * call only.  fn returns 1 on success, 0 on failure.  If fn fails because
 * the token's sessions were lost, the token is reopened and fn is called
 * once more.  Returns ESEAL_EHSM if the token cannot be reached,
 * ESEAL_ENOTFOUND if there is no such key, ESEAL_EINTERNAL if fn failed
 * while the token is healthy.
 */
enum eseal_rc	p11_with_key(struct p11_token *, const unsigned char *id,
		    size_t id_len, int (*fn)(EVP_PKEY *, void *), void *arg);

/* Fills *out with the token's identity (asks the token each time). */
enum eseal_rc	p11_identity(struct p11_token *, struct p11_identity *out);

/* Mechanisms the token offers: *out is an array of *n, freed with free(). */
enum eseal_rc	p11_mechanisms(struct p11_token *, struct p11_mech **out,
		    size_t *n);

/* Keys on the token: *out is an array of *n, freed with free(). */
enum eseal_rc	p11_keys(struct p11_token *, struct p11_key_info **out,
		    size_t *n);

/*
 * 1 if the token is usable.  Watched (p11_watch): what the last probe
 * said, without asking the token.  Otherwise runs the sign test now; on a
 * fault returns 0 and reloads the token (a later call may succeed).
 */
int		p11_alive(struct p11_token *);

/* The token's health as last seen (never asks the token). */
void		p11_health(struct p11_token *, struct p11_health *out);

/*
 * Starts a thread that runs the sign test every up_ms while the token is
 * healthy and tries to reload it every down_ms while it is down (0: the
 * P11_PROBE_* defaults).  From then on calls fail at once with ESEAL_EHSM,
 * naming the fault, while the token is down.  p11_close() stops it.
 */
enum eseal_rc	p11_watch(struct p11_token *, int up_ms, int down_ms);

/*
 * How many times a private key was lent (each signature the CA made), for
 * tests that must show the HSM was never asked.
 */
unsigned long	p11_key_uses(struct p11_token *);

#define P11_MAC_LEN	32	/* HMAC-SHA-256 */

/*
 * The generic secret key with that CKA_ID (p11_mac.c): finds it, or if
 * create and there is none, generates one (CKM_GENERIC_SECRET_KEY_GEN,
 * 256 bits, CKA_TOKEN, CKA_SENSITIVE, not extractable, CKA_SIGN and
 * CKA_VERIFY only).  ESEAL_ENOTFOUND without create if there is none,
 * ESEAL_EHSM if the token cannot be reached or refuses.
 */
enum eseal_rc	p11_secret_ensure(struct p11_token *, const unsigned char *id,
		    size_t id_len, const char *label, int create);

/*
 * HMAC-SHA-256 (CKM_SHA256_HMAC) of data under the secret key with that
 * CKA_ID, computed inside the token, into out.  ESEAL_EHSM if the token
 * cannot be reached, ESEAL_ENOTFOUND if there is no such key.
 */
enum eseal_rc	p11_hmac(struct p11_token *, const unsigned char *id,
		    size_t id_len, const unsigned char *data, size_t len,
		    unsigned char out[P11_MAC_LEN]);

/* Name of a CKM_* value we know, or NULL. */
const char	*p11_mech_name(unsigned long type);

#endif
