/*
 * conf.h: eseald.conf, read once (INI, by ini.h) into one immutable struct.
 * Every error names file:line, section and key.  Relative paths are taken
 * relative to the current directory (the daemon's working directory).
 */
#ifndef ESEAL_CONF_H
#define ESEAL_CONF_H

#include <stddef.h>

#include "cidr.h"
#include "err.h"
#include "keytype.h"

#define CONF_PATH_MAX	1024	/* longest path accepted in the config */
#define CONF_STR_MAX	256	/* longest other string value */
#define CONF_PIN_MAX	128	/* longest HSM PIN */
#define CONF_PIN_CREDENTIAL "hsm-pin" /* its systemd credential's name */
#define CONF_STORE_MIN_FREE_MB 64 /* [store] min_free_mb: room for a day of
				     issuance, the WAL and a checkpoint */
#define CONF_FILE_MAX	(64 * 1024) /* eseald.conf or a profile: a few KB */
#define CONF_HSM_MAX	8	/* [hsm "NAME"] sections besides [hsm] */
#define CONF_HSM_NAME_MAX 32	/* NAME: [a-z0-9-], 1..32, not "default" */
#define CONF_CRL_KEEP_COUNT 64 /* [publish] crl_keep_count by default: the
				  60 CRLs 30 days of re-signs at half the
				  default validity make, and a little; then
				  crl_keep_days decides unless revocations
				  come in bursts (docs/revocation.md) */
#define CONF_EXPIRY_WARN_DAYS 90 /* [ca] expiry_warn_days by default */
#define CONF_PRESIGN_BATCH 100	/* [ocsp] presign_batch by default: answers
				   signed, then recorded in one transaction */
#define CONF_PRESIGN_BATCH_MAX 10000	/* its limit: at most ~80 MiB held */
#define CONF_HTTP_THREADS 16	/* [http] threads by default: issuances
				   waiting on the HSM or a flush each hold
				   one (issue 16) */
#define CONF_PRESIGN_RATE 200	/* [ocsp] presign_rate by default:
				   signatures per second at most */
#define CONF_SECURE_ZONE_DEFAULT "127.0.0.0/8, ::1" /* [security] secure_zone
				     by default: only this host is inside */

/*
 * One more token an issuer key may be on: [hsm "NAME"] with module,
 * token, pin_file (all required) and registry_entry (the [module ID] of
 * the HSM module registry the token must match when an issuer key is
 * made on it; "" any).  The plain [hsm] is the default token, "default".
 */
struct conf_hsm {
	char	name[CONF_HSM_NAME_MAX + 1];
	char	module[CONF_PATH_MAX];
	char	token[CONF_STR_MAX];
	char	pin_file[CONF_PATH_MAX];
	char	registry_entry[CONF_HSM_NAME_MAX + 1];
	int	line;			/* of its [hsm "NAME"] header */
};

struct conf {
	/* [store] */
	char	store_path[CONF_PATH_MAX];
	int	store_min_free_mb;		/* /healthz degraded below */

	/* [hsm] */
	char	hsm_module[CONF_PATH_MAX];	/* PKCS#11 module .so */
	char	hsm_token[CONF_STR_MAX];	/* RFC 7512 URI, pkcs11:token=... */
	char	hsm_pin_file[CONF_PATH_MAX];	/* mode 0600 or stricter */

	/* [ca] what `esealctl init` creates */
	char	ca_issuer[64];			/* issuer name, used in URLs */
	char	ca_country[3];			/* ISO 3166 alpha-2 */
	char	ca_organization[CONF_STR_MAX];
	char	ca_common_name[CONF_STR_MAX];
	enum key_type ca_key_type;
	int	ca_validity_days;
	int	ca_crl_shards;

	/* [issue] */
	int	issue_validity_days;		/* default validity */
	char	issue_profiles_dir[CONF_PATH_MAX];	/* conf/profiles */
	char	issue_profile[64];		/* default profile name */
	char	issue_crypto_policy[CONF_PATH_MAX];	/* crypto-policy.conf */

	/* [hsm] registry */
	char	hsm_registry[CONF_PATH_MAX];	/* hsm-modules.conf */

	/* [publish] */
	char	publish_base_url[CONF_STR_MAX];	/* {base} in URL templates */

	/* [http] */
	char	http_listen[CONF_STR_MAX];	/* host:port */
	char	http_tls_cert[CONF_PATH_MAX];	/* PEM */
	char	http_tls_key[CONF_PATH_MAX];	/* PEM */
	char	http_tls_priorities[CONF_STR_MAX]; /* GnuTLS priority string */
	char	http_client_ca[CONF_PATH_MAX];	/* PEM, for mTLS */
	int	http_mtls;			/* enum http_mtls */
	int	http_body_max;			/* bytes */
	int	http_header_max;		/* bytes */
	int	http_timeout;			/* seconds */
	int	http_conn_max;
	int	http_conn_per_ip;
	int	http_threads;			/* requests handled at once */
	int	http_rate;			/* limited requests/s per address */
	int	http_burst;			/* 0: no rate limit */

	/* [publish] the plain-HTTP publication listener, "" for none */
	char	publish_listen[CONF_STR_MAX];
	char	publish_dir[CONF_PATH_MAX];	/* files for web servers, "" none */
	int	publish_crl_hours;		/* CRL validity */
	int	publish_expired_on_crl;		/* keep expired revoked entries */
	int	publish_crl_keep_days;		/* CRL bodies kept; 0: all */
	int	publish_crl_keep_count;		/* at most this many CRL
						   bodies per shard; 0: no
						   count bound */
	int	publish_delta_crl;		/* 1: delta CRLs (RFC 5280
						   5.2.4) beside the base */

	/* [accounts] */
	int	acct_argon2;			/* 0 min (tests), 1 interactive,
						   2 moderate, 3 sensitive */
	int	acct_idle;			/* session idle expiry, s */
	int	acct_absolute;			/* session absolute expiry, s */
	int	acct_lock_after;		/* failed logins before a lock */
	int	acct_lock_secs;			/* first lock, s */

	/* [enrol] */
	char	enrol_disclosure_dir[CONF_PATH_MAX];	/* conf/disclosure */
	int	enrol_code_ttl;			/* enrolment codes, s */

	/* [ocsp] */
	int	ocsp_delegated;			/* signer: 0 issuer, 1 delegated */
	int	ocsp_validity_secs;		/* nextUpdate - thisUpdate */
	int	ocsp_presign;			/* 1: presign every answer */
	int	ocsp_presign_margin;		/* sign again this long before
						   nextUpdate; 0: half validity */
	int	ocsp_presign_batch;		/* answers per batch */
	int	ocsp_presign_rate;		/* signatures per second at most */

	/* [log] */
	int	log_level;
	int	log_format;			/* enum log_format */

	/* [metrics] the Prometheus listener (plain HTTP), "" for none */
	char	metrics_listen[CONF_STR_MAX];

	/* [backup] (docs/disaster-recovery.md) */
	char	backup_destinations[CONF_PATH_MAX];	/* directories, comma
							   separated */
	char	backup_recipients[CONF_PATH_MAX];	/* PEM certificates */
	char	backup_label[CONF_STR_MAX];
	int	backup_interval;		/* s between scheduled backups,
						   0 none */
	int	backup_retry;			/* s after a failed one */
	int	backup_max_age;			/* /healthz warns when the last
						   good backup is older; 0 off */
	int	backup_allow_same_device;	/* 1: recorded as such */

	/* [hsm "NAME"], in file order */
	struct conf_hsm hsm_named[CONF_HSM_MAX];
	int	hsm_nnamed;
	char	hsm_registry_entry[CONF_HSM_NAME_MAX + 1]; /* [hsm] registry_entry */

	/* [ca] key lifecycle (docs/key-rotation.md) */
	int	ca_expiry_warn_days;		/* /healthz warns this early */
	char	ca_root_cert[CONF_PATH_MAX];	/* external root (PEM), "" none */

	/* [audit] signed checkpoints (checkpoint.h) */
	int	audit_cp_records;		/* every N records ... */
	int	audit_cp_minutes;		/* ... or T minutes */

	/* [approval] dual control (approval.h) */
	int	approval_quorum;		/* M distinct operators */
	int	approval_expiry_hours;		/* a proposal lives this long */

	/* [security] zone and second factors (docs/security.md) */
	char	sec_secure_zone[CIDR_TEXT_MAX + 1];	/* CIDR list, cidr.h */
	char	sec_trusted_proxies[CIDR_TEXT_MAX + 1];	/* CIDR list, "" none */
	int	sec_require_roles;		/* bit per role (ROLE_BIT): a
						   second factor even inside */
	char	sec_totp_key_file[CONF_PATH_MAX];	/* AES-256 key, 0600 */
};

/*
 * ini_read() (ini.h: every line inih would misread is refused) of a file
 * of at most CONF_FILE_MAX bytes, any section repeatable, with an inih-style
 * handler: for the profiles.  Returns ESEAL_OK, or ESEAL_ECONF (ESEAL_ENOMEM)
 * with *errline set and why filled ("[section] key: what"); the handler's
 * own refusal is reported as line *errline with why = "".  -1 in *errline
 * when the file cannot be read as one (cannot be opened, not a regular
 * file, too large): errno says why, and so does why.
 */
typedef int (*conf_ini_handler)(void *user, const char *section,
    const char *name, const char *value);
enum eseal_rc	conf_ini_parse(const char *path, conf_ini_handler, void *user,
		    int *errline, char *why, size_t whylen);

/*
 * Reads and checks the file at path.  On success *out is a new struct the
 * caller frees with conf_free().  On failure returns ESEAL_ECONF with the
 * message "path:line: [section] key: what is wrong".
 */
enum eseal_rc	conf_load(const char *path, struct conf **out);
void		conf_free(struct conf *);

/*
 * Reads the HSM PIN from c->hsm_pin_file into buf (NUL-terminated, without
 * the trailing newline); from $CREDENTIALS_DIRECTORY/hsm-pin instead when
 * systemd passed that credential (LoadCredential=).  Refuses a file that is not a regular file or is
 * readable or writable by group or others.
 */
enum eseal_rc	conf_read_pin(const struct conf *c, char *buf, size_t bufsz);
/* The same for the PIN file at path, errors naming section ("[hsm]"). */
enum eseal_rc	conf_read_pin_file(const char *section, const char *path,
		    char *buf, size_t bufsz);

/* 1 if s may name an issuer (URLs, files): [a-z0-9-], 1..63, no leading '-'. */
int		conf_valid_issuer_name(const char *s);

/*
 * The [hsm "NAME"] named name, NULL if none (the plain [hsm] is not one:
 * "default" and "" give NULL).
 */
const struct conf_hsm *conf_hsm_find(const struct conf *, const char *name);

#endif
