/*
 * ctl_issue.c: `esealctl issue`: one certificate from a PKCS#10 request,
 * offline, through the crash-safe pipeline.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "csr.h"
#include "issue.h"
#include "orgid.h"
#include "profile.h"
#include "ctl.h"

/* --- issue ------------------------------------------------------------ */

static int
read_file(const char *path, size_t max, unsigned char **buf, size_t *len)
{
	FILE *f;
	unsigned char *b;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "esealctl: %s: %s\n", path, strerror(errno));
		return 0;
	}
	if ((b = malloc(max + 1)) == NULL) {
		fclose(f);
		return 0;
	}
	n = fread(b, 1, max + 1, f);
	fclose(f);
	*buf = b;
	*len = n;	/* max + 1 means too big: csr_parse says so */
	return 1;
}

static int
cmd_issue(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "csr", required_argument, NULL, 'r' },
		{ "org", required_argument, NULL, 'o' },
		{ "corporate-number", required_argument, NULL, 'N' },
		{ "org-id", required_argument, NULL, 'I' },
		{ "country", required_argument, NULL, 'C' },
		{ "cn", required_argument, NULL, 'n' },
		{ "ou", required_argument, NULL, 'u' },
		{ "locality", required_argument, NULL, 'l' },
		{ "profile", required_argument, NULL, 'p' },
		{ "key-holder", required_argument, NULL, 'k' },
		{ "qscd", no_argument, NULL, 'q' },
		{ "validity-days", required_argument, NULL, 'v' },
		{ "out", required_argument, NULL, 'O' },
		{ NULL, 0, NULL, 0 },
	};
	struct issue_request req;
	struct issue_result res;
	struct profile *prof = NULL;
	struct csr *csr = NULL;
	struct orgid oid;
	struct org org;
	struct conf *c = NULL;
	struct ca ca;
	char who[ACTOR_MAX];
	const char *csrpath = NULL, *out = NULL, *o = NULL, *cc = "JP",
	    *cn = "", *ou = "", *loc = "", *corp = NULL, *orgid_s = NULL,
	    *pname = NULL, *holder = "subscriber";
	unsigned char *buf = NULL;
	const unsigned char *p;
	size_t len;
	X509 *x = NULL;
	FILE *f;
	int ch, days = -1, qscd = 0, h, ret = 1;

	memset(&res, 0, sizeof(res));
	while ((ch = ctl_next_opt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'r': csrpath = optarg; break;
		case 'o': o = optarg; break;
		case 'N': corp = optarg; break;
		case 'I': orgid_s = optarg; break;
		case 'C': cc = optarg; break;
		case 'n': cn = optarg; break;
		case 'u': ou = optarg; break;
		case 'l': loc = optarg; break;
		case 'p': pname = optarg; break;
		case 'k': holder = optarg; break;
		case 'q': qscd = 1; break;
		case 'O': out = optarg; break;
		case 'v':
			if (!ctl_parse_int(optarg, 1, 3650, "--validity-days",
			    &days))
				return 2;
			break;
		default:
			return 2;
		}
	}
	if (csrpath == NULL || o == NULL || (corp == NULL) == (orgid_s == NULL)) {
		fprintf(stderr, "esealctl: issue: --csr, --org and one of "
		    "--corporate-number or --org-id are required\n");
		return 2;
	}
	if ((h = key_holder_parse(holder)) < 0) {
		fprintf(stderr, "esealctl: issue: --key-holder must be "
		    "subscriber or remote-service\n");
		return 2;
	}
	memset(&org, 0, sizeof(org));
	if (strlen(cc) != 2 || strlen(o) >= sizeof(org.name) ||
	    strlen(cn) >= sizeof(org.common_name) ||
	    strlen(ou) >= sizeof(org.unit) || strlen(loc) >= sizeof(org.locality)) {
		fprintf(stderr, "esealctl: issue: --country must be two "
		    "letters; names at most %zu bytes\n", sizeof(org.name) - 1);
		return 2;
	}
	if ((corp != NULL ? orgid_from_jp_corporate_number(corp, &oid) :
	    orgid_parse(orgid_s, &oid)) != ESEAL_OK)
		return ctl_fail("issue");
	memcpy(org.country, cc, 3);
	snprintf(org.name, sizeof(org.name), "%s", o);
	snprintf(org.identifier, sizeof(org.identifier), "%s", oid.text);
	snprintf(org.common_name, sizeof(org.common_name), "%s", cn);
	snprintf(org.unit, sizeof(org.unit), "%s", ou);
	snprintf(org.locality, sizeof(org.locality), "%s", loc);

	/* Check the request before touching the store or the token. */
	if (!read_file(csrpath, MAX_CSR_BYTES, &buf, &len))
		return 1;
	if (csr_parse(buf, len, &csr) != ESEAL_OK) {
		free(buf);
		return ctl_fail(csrpath);
	}
	free(buf);
	if (ctl_load(1, &c, &ca) != 0) {
		csr_free(csr);
		return 1;
	}
	if (profile_load(c->issue_profiles_dir, pname ? pname : c->issue_profile,
	    &prof) != ESEAL_OK) {
		ctl_fail("issue");
		goto out;
	}
	memset(&req, 0, sizeof(req));
	req.profile = prof;
	req.org = &org;
	req.csr = csr;
	req.holder = (enum key_holder)h;
	req.qscd = qscd || h == HOLDER_REMOTE_SERVICE;
	req.validity_days = days > 0 ? days : c->issue_validity_days;
	ctl_actor(who, sizeof(who));
	req.actor = who;
	if (issue_cert(&ca, &req, time(NULL), &res) != ESEAL_OK) {
		ctl_fail("issue");
		goto out;
	}
	p = res.der;
	if ((x = d2i_X509(NULL, &p, (long)res.der_len)) == NULL) {
		fprintf(stderr, "esealctl: issue: internal: cannot re-read "
		    "certificate %s\n", res.serial);
		goto out;
	}
	f = out ? fopen(out, "w") : stdout;
	if (f == NULL) {
		fprintf(stderr, "esealctl: issue: %s: %s (the certificate is "
		    "issued: serial %s)\n", out, strerror(errno), res.serial);
		goto out;
	}
	PEM_write_X509(f, x);
	if (out != NULL)
		fclose(f);
	fprintf(stderr, "esealctl: issued serial %s\n", res.serial);
	ret = 0;
out:
	X509_free(x);
	issue_result_clear(&res);
	profile_free(prof);
	csr_free(csr);
	ctl_unload(c, &ca);
	return ret;
}

const struct ctl_cmd ctl_cmd_issue = {
	"issue", cmd_issue,
	"--csr FILE --org NAME (--corporate-number N | --org-id ID) "
	    "[--country CC] [--cn CN] [--ou OU] [--locality L] "
	    "[--profile NAME] [--key-holder subscriber|remote-service] "
	    "[--qscd] [--validity-days N] [--out FILE]",
	"issue one certificate from a PKCS#10 request"
};
