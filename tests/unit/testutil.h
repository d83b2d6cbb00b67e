/*
 * testutil.h: helpers shared by the Check suites.  Everything a test makes
 * lives in a fresh temporary directory; nothing touches var/dev/.
 */
#ifndef ESEAL_TESTUTIL_H
#define ESEAL_TESTUTIL_H

#include <stddef.h>
#include <time.h>

/* Makes a new temporary directory; returns its path (static per call). */
const char	*tu_tmpdir(void);

/* Writes s to dir/name with mode; returns the path (malloc'd). */
char		*tu_write(const char *dir, const char *name, const char *s,
		    int mode);

/*
 * Creates a SoftHSM token labelled label in dir (tools/softhsm-dev-token),
 * points SOFTHSM2_CONF at it and returns the PIN (malloc'd).
 */
char		*tu_softhsm(const char *dir, const char *label);

/* Writes dir/eseald.conf for a store and token in dir; returns its path. */
char		*tu_conf(const char *dir, const char *label, const char *extra);

/* Makes a CSR with openssl req; returns its path.  keyspec: "ec:P-256",
 * "rsa:2048", ... */
char		*tu_csr(const char *dir, const char *name, const char *keyspec);

/* Reads a whole file; *len gets its size.  NULL if it cannot. */
unsigned char	*tu_read(const char *path, size_t *len);

/*
 * 1 if a refusal's message names the rule it applies (STYLE.md): a panel
 * point of REQUIREMENTS.md, a standard's clause, or a config key.
 */
int		 tu_cites_rule(const char *msg);

/* UTC midnight of a date, for "what happens on 2031-01-01". */
time_t		 tu_date(int y, int m, int d);

#define SOFTHSM_MODULE	"/usr/lib/softhsm/libsofthsm2.so"

#include "ca.h"
#include "csr.h"
#include "issuer.h"
#include "profile.h"

/*
 * A CA on a SoftHSM token of its own, as the suites of the CA core use it:
 * config, store and token opened, an issuer, the vetted organisation
 * 株式会社テスト (NTRJP-7123456789012), the eseal profile and an EC P-256
 * request made at set-up.
 */
struct tu_ca {
	char		*dir;
	struct conf	*conf;
	struct ca	 ca;
	struct issuer	*issuer;	/* NULL if set up without one */
	struct profile	*profile;
	struct org	 org;
	struct csr	*csr;
};

/* key_type "ec-p256", ...; NULL for no issuer.  shards: its CRL shards. */
void		 tu_ca_setup(struct tu_ca *, const char *label,
		    const char *key_type, int shards);
/* The same with another [issue] profiles_dir, which must hold eseal.conf. */
void		 tu_ca_setup_profiles(struct tu_ca *, const char *label,
		    const char *key_type, int shards,
		    const char *profiles_dir);
void		 tu_ca_teardown(struct tu_ca *);
/* One more issuer (subject C=JP, O=Test Certification Co., CN=cn). */
struct issuer	*tu_ca_issuer(struct tu_ca *, const char *name,
		    const char *key_type, const char *cn, int days, int shards,
		    time_t now);

#endif
