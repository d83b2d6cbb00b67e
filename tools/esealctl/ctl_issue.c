/*
 * ctl_issue.c: `esealctl issue`: one certificate from a PKCS#10 request,
 * offline, through the crash-safe pipeline, or (--batch DIR) one for each
 * request file of a directory, ISSUE_BATCH_MAX at a time through
 * issue_certs().  The subject comes from the organisation's registered
 * record (org.h), as on the RA's path: --org names a registered
 * organisation, --register registers one first.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "csr.h"
#include "issue.h"
#include "org.h"
#include "profile.h"
#include "ctl.h"

/* Test hook: set, `issue` stops after recording the pending row. */
#define CTL_TEST_EXIT_PENDING	"ESEAL_TEST_EXIT_AFTER_PENDING"

static const struct option issue_opts[] = {
	{ "csr", required_argument, NULL, 'r' },
	{ "batch", required_argument, NULL, 'b' },
	{ "org", required_argument, NULL, 'o' },
	{ "register", no_argument, NULL, 'R' },
	{ "name", required_argument, NULL, 'm' },
	{ "english-name", required_argument, NULL, 'e' },
	{ "corporate-number", required_argument, NULL, 'N' },
	{ "org-id", required_argument, NULL, 'I' },
	{ "country", required_argument, NULL, 'C' },
	{ "evidence", required_argument, NULL, 'E' },
	{ "profile", required_argument, NULL, 'p' },
	{ "key-holder", required_argument, NULL, 'k' },
	{ "qscd", no_argument, NULL, 'q' },
	{ "validity-days", required_argument, NULL, 'v' },
	{ "out", required_argument, NULL, 'O' },
	{ NULL, 0, NULL, 0 },
};

/* What the command line asks for; the strings are argv's. */
struct issue_args {
	const char	*csr;		/* --csr FILE */
	const char	*batch;		/* --batch DIR */
	const char	*out;		/* --out FILE (DIR with --batch) */
	const char	*org;		/* --org ID|IDENTIFIER, or NULL */
	int		 reg;		/* --register */
	const char	*name;		/* --name, or NULL */
	const char	*english;	/* --english-name; "" if not given */
	const char	*corp;		/* --corporate-number or NULL */
	const char	*org_id;	/* --org-id or NULL */
	const char	*country;	/* --country, or NULL (JP) */
	const char	*evidence;	/* --evidence or NULL */
	const char	*profile;	/* --profile; NULL: [issue] */
	enum key_holder	holder;		/* --key-holder */
	int		qscd;		/* --qscd */
	int		days;		/* --validity-days, or -1 */
};

/* Checks the combination of options naming the organisation; 0 or 2. */
static int
issue_org_options(const struct issue_args *a)
{
	if (a->reg == (a->org != NULL)) {
		fprintf(stderr, "esealctl: issue: give --org ID|IDENTIFIER (a "
		    "registered organisation) or --register (register it "
		    "now), one of them\n");
		return 2;
	}
	if (a->org != NULL && (a->corp || a->org_id || a->country ||
	    a->evidence || a->english[0] != '\0')) {
		fprintf(stderr, "esealctl: issue: --corporate-number, "
		    "--org-id, --country, --evidence and --english-name "
		    "register an organisation: add --register, or name the "
		    "registered one with --org ID|IDENTIFIER alone\n");
		return 2;
	}
	if (a->reg && (a->name == NULL || a->evidence == NULL ||
	    (a->corp == NULL && a->org_id == NULL))) {
		fprintf(stderr, "esealctl: issue: --register needs --name, "
		    "--evidence and --corporate-number or --org-id\n");
		return 2;
	}
	return 0;
}

/*
 * Parses issue's options into *a.  Returns 0, or 2 (a usage error) after
 * printing one line.
 */
static int
issue_options(int argc, char **argv, struct issue_args *a)
{
	const char *holder = "subscriber";
	int ch, h;

	memset(a, 0, sizeof(*a));
	a->english = "";
	a->days = -1;
	while ((ch = ctl_next_opt(argc, argv, issue_opts)) != -1) {
		switch (ch) {
		case 'r': a->csr = optarg; break;
		case 'b': a->batch = optarg; break;
		case 'o': a->org = optarg; break;
		case 'R': a->reg = 1; break;
		case 'm': a->name = optarg; break;
		case 'e': a->english = optarg; break;
		case 'N': a->corp = optarg; break;
		case 'I': a->org_id = optarg; break;
		case 'C': a->country = optarg; break;
		case 'E': a->evidence = optarg; break;
		case 'p': a->profile = optarg; break;
		case 'k': holder = optarg; break;
		case 'q': a->qscd = 1; break;
		case 'O': a->out = optarg; break;
		case 'v':
			if (!ctl_parse_int(optarg, 1, 3650, "--validity-days",
			    &a->days))
				return 2;
			break;
		default:
			return 2;
		}
	}
	if ((a->csr == NULL) == (a->batch == NULL)) {
		fprintf(stderr, "esealctl: issue: give --csr FILE (one "
		    "request) or --batch DIR (every NAME.csr in DIR), one of "
		    "them\n");
		return 2;
	}
	if (a->batch != NULL && a->out == NULL)
		a->out = a->batch;	/* the certificates beside the requests */
	if (issue_org_options(a) != 0)
		return 2;
	if ((h = key_holder_parse(holder)) < 0) {
		fprintf(stderr, "esealctl: issue: --key-holder must be "
		    "subscriber or remote-service\n");
		return 2;
	}
	a->holder = (enum key_holder)h;
	return 0;
}

/* Copies s into a field of size sz; 0 (after one line) if it is too long. */
static int
issue_copy(char *dst, size_t sz, const char *s, const char *opt)
{
	if (strlen(s) >= sz) {
		fprintf(stderr, "esealctl: issue: %s is longer than %zu "
		    "bytes\n", opt, sz - 1);
		return 0;
	}
	memcpy(dst, s, strlen(s) + 1);
	return 1;
}

/*
 * The vetted organisation the subject comes from, into *rec: the
 * registered one --org names (its name checked against --name), or the one
 * --register registers now through org_register, with the same checks and
 * audit record as the RA's API (or the registered one of that identifier,
 * if its name is --name).  Returns 0, 1 or 2, after printing one line.
 */
static int
issue_org(struct store *s, const struct issue_args *a, struct org_rec *rec)
{
	char who[ACTOR_MAX];
	int created;

	memset(rec, 0, sizeof(*rec));
	if (a->org != NULL) {
		if (org_find(s, a->org, rec) != ESEAL_OK ||
		    org_same_name(rec, a->name) != ESEAL_OK)
			return ctl_fail("issue");
		return 0;
	}
	if (!issue_copy(rec->name, sizeof(rec->name), a->name, "--name") ||
	    !issue_copy(rec->english_name, sizeof(rec->english_name),
	    a->english, "--english-name") ||
	    !issue_copy(rec->country, sizeof(rec->country),
	    a->country ? a->country : "JP", "--country") ||
	    !issue_copy(rec->evidence, sizeof(rec->evidence), a->evidence,
	    "--evidence") ||
	    (a->org_id && !issue_copy(rec->identifier, sizeof(rec->identifier),
	    a->org_id, "--org-id")))
		return 2;
	/* A Japanese corporation's identifier holds its corporate number. */
	if (a->corp != NULL ? !issue_copy(rec->corporate_number,
	    sizeof(rec->corporate_number), a->corp, "--corporate-number") :
	    (strcmp(rec->country, "JP") == 0 &&
	    strncmp(a->org_id, "NTRJP-", 6) == 0 &&
	    !issue_copy(rec->corporate_number, sizeof(rec->corporate_number),
	    a->org_id + 6, "--org-id")))
		return 2;
	ctl_actor(who, sizeof(who));
	if (org_register_or_find(s, rec, time(NULL), who, &created) !=
	    ESEAL_OK)
		return ctl_fail("issue");
	if (created)
		fprintf(stderr, "esealctl: issue: registered organisation "
		    "%lld (%s)\n", (long long)rec->id, rec->identifier);
	return 0;
}

/*
 * Reads and checks the request at path into *csr (the caller frees it).
 * Returns 0, or 1 after printing one line.
 */
static int
issue_read_csr(const char *path, struct csr **csr)
{
	unsigned char *buf = NULL;
	size_t len;

	if (!ctl_read_file(path, MAX_CSR_BYTES, &buf, &len))
		return 1;
	if (csr_parse(buf, len, csr) != ESEAL_OK) {
		free(buf);
		return ctl_fail(path);
	}
	free(buf);
	return 0;
}

/*
 * The test hook of CTL_TEST_EXIT_PENDING: records the pending row (steps
 * 3-5 of the issuance) and ends at once, printing its serial, as an
 * esealctl killed before the HSM signed would leave it (the running
 * daemon is to finish it: tests/reliability/t_resume_pending.sh).
 */
static void
exit_after_pending(struct ca *ca, const struct issue_request *req)
{
	char serial[STORE_SERIAL_HEX_MAX];

	if (issue_prepare(ca, req, time(NULL), serial) != ESEAL_OK) {
		ctl_fail("issue");
		_exit(1);
	}
	printf("pending %s\n", serial);
	fflush(stdout);
	_exit(137);
}

/*
 * Writes the issued certificate as PEM to out (NULL: standard output;
 * with excl, a file that must not exist yet) and its serial to standard
 * error.  Returns 0, or 1 after printing one line (a failed write too: the
 * certificate is issued all the same).
 */
static int
issue_write(const struct issue_result *res, const char *out, int excl)
{
	const unsigned char *p = res->der;
	X509 *x;
	FILE *f;
	int ok;

	if ((x = d2i_X509(NULL, &p, (long)res->der_len)) == NULL) {
		fprintf(stderr, "esealctl: issue: internal: cannot re-read "
		    "certificate %s\n", res->serial);
		return 1;
	}
	if (p != res->der + res->der_len) {
		fprintf(stderr, "esealctl: issue: internal: RFC 5280 / X.690 "
		    "DER: trailing bytes after the certificate %s\n",
		    res->serial);
		X509_free(x);
		return 1;
	}
	/* A batch never overwrites: not even a file made since its check. */
	f = out ? fopen(out, excl ? "wx" : "w") : stdout;
	if (f == NULL) {
		fprintf(stderr, "esealctl: issue: %s: %s (the certificate is "
		    "issued: serial %s)\n", out, strerror(errno), res->serial);
		X509_free(x);
		return 1;
	}
	errno = 0;
	ok = PEM_write_X509(f, x) == 1;
	ok = (out != NULL ? fclose(f) : fflush(f)) == 0 && ok;
	X509_free(x);
	if (!ok) {
		fprintf(stderr, "esealctl: issue: %s: %s (the certificate is "
		    "issued: serial %s)\n", out ? out : "standard output",
		    errno ? strerror(errno) : "cannot write", res->serial);
		return 1;
	}
	fprintf(stderr, "esealctl: issued serial %s\n", res->serial);
	return 0;
}

#define BATCH_FILES_MAX	65536		/* request files of one --batch */
#define BATCH_SUFFIX	".csr"

/* One request of a --batch directory. */
struct batch_item {
	char		 name[256];	/* its file name: NAME.csr */
	char		 out[4096];	/* where its certificate goes */
	struct csr	*csr;
};

/* scandir() filter: NAME.csr, not hidden. */
static int
batch_want(const struct dirent *d)
{
	size_t n = strlen(d->d_name), k = strlen(BATCH_SUFFIX);

	return d->d_name[0] != '.' && n > k &&
	    strcmp(d->d_name + n - k, BATCH_SUFFIX) == 0;
}

/*
 * Item it for file name of dir: a regular file that parses as a request,
 * whose certificate file (outdir/NAME.crt) does not exist yet.  Returns 0,
 * or 1 after one line naming the file.
 */
static int
batch_item(const char *dir, const char *outdir, const char *name,
    struct batch_item *it)
{
	char path[4096];
	struct stat st;
	int len;

	len = (int)strlen(name) - (int)strlen(BATCH_SUFFIX);
	if (snprintf(it->name, sizeof(it->name), "%s", name) >=
	    (int)sizeof(it->name) ||
	    snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path) ||
	    snprintf(it->out, sizeof(it->out), "%s/%.*s.crt", outdir, len,
	    name) >= (int)sizeof(it->out)) {
		fprintf(stderr, "esealctl: issue: %s/%s: path too long\n",
		    dir, name);
		return 1;
	}
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "esealctl: issue: %s: not a regular file\n",
		    path);
		return 1;
	}
	if (access(it->out, F_OK) == 0) {
		fprintf(stderr, "esealctl: issue: %s: %s exists: a batch never "
		    "overwrites a certificate\n", path, it->out);
		return 1;
	}
	return issue_read_csr(path, &it->csr);
}

static void
batch_free(struct batch_item *items, size_t n)
{
	for (size_t i = 0; items != NULL && i < n; i++)
		csr_free(items[i].csr);
	free(items);
}

/*
 * Reads every request of directory dir (NAME.csr, in name order) into
 * *items, *n of them, before anything is issued.  Returns 0, or 1 after a
 * line for each file refused and one saying that nothing was issued.
 */
static int
batch_read(const char *dir, const char *outdir, struct batch_item **items,
    size_t *n)
{
	struct dirent **ents = NULL;
	int k, bad = 0;

	*items = NULL;
	*n = 0;
	if ((k = scandir(dir, &ents, batch_want, alphasort)) < 0) {
		fprintf(stderr, "esealctl: issue: %s: %s\n", dir,
		    strerror(errno));
		return 1;
	}
	if (k == 0 || k > BATCH_FILES_MAX) {
		fprintf(stderr, "esealctl: issue: %s: %d request files "
		    "(NAME%s): a batch is 1 to %d\n", dir, k, BATCH_SUFFIX,
		    BATCH_FILES_MAX);
		bad = 1;
	} else if ((*items = calloc((size_t)k, sizeof(**items))) == NULL) {
		fprintf(stderr, "esealctl: issue: out of memory\n");
		bad = 1;
	} else {
		*n = (size_t)k;
		for (int i = 0; i < k; i++)
			bad += batch_item(dir, outdir, ents[i]->d_name,
			    &(*items)[i]);
		if (bad)
			fprintf(stderr, "esealctl: issue: nothing issued: %d "
			    "of %d requests refused\n", bad, k);
	}
	for (int i = 0; i < k; i++)
		free(ents[i]);
	free(ents);
	if (bad) {
		batch_free(*items, *n);
		*items = NULL;
		*n = 0;
	}
	return bad ? 1 : 0;
}

/*
 * Issues the n items as tmpl asks, ISSUE_BATCH_MAX at a time: prints
 * "NAME.csr SERIAL FILE" for each certificate written, a line naming the
 * file and the rule for each refused, and a summary.  Returns 0 if every
 * one was issued and written, else 1.  The store's failure stops it (that
 * batch's rows not recorded, or left pending for recovery).
 */
static int
batch_issue(struct ca *ca, const struct issue_request *tmpl,
    struct batch_item *items, size_t n)
{
	static struct issue_request req[ISSUE_BATCH_MAX];
	static struct issue_result res[ISSUE_BATCH_MAX];
	static enum eseal_rc rcs[ISSUE_BATCH_MAX];
	size_t off, k = 0, issued = 0, refused = 0, unwritten = 0;
	enum eseal_rc rc = ESEAL_OK;

	for (off = 0; off < n && rc == ESEAL_OK; off += k) {
		k = n - off < ISSUE_BATCH_MAX ? n - off : ISSUE_BATCH_MAX;
		for (size_t j = 0; j < k; j++) {
			req[j] = *tmpl;
			req[j].csr = items[off + j].csr;
		}
		rc = issue_certs(ca, req, k, time(NULL), res, rcs);
		for (size_t j = 0; j < k; j++) {
			if (rcs[j] != ESEAL_OK) {
				fprintf(stderr, "esealctl: issue: %s: %s\n",
				    items[off + j].name, res[j].why);
				refused++;
			} else if (issue_write(&res[j], items[off + j].out, 1)
			    == 0) {
				printf("%s %s %s\n", items[off + j].name,
				    res[j].serial, items[off + j].out);
				issued++;
			} else {
				issued++;
				unwritten++;
			}
			issue_result_clear(&res[j]);
		}
	}
	if (rc != ESEAL_OK && off < n)
		fprintf(stderr, "esealctl: issue: the store failed: the "
		    "last %zu requests were not tried\n", n - off);
	fprintf(stderr, "esealctl: issue: batch of %zu: %zu issued, %zu "
	    "refused%s\n", n, issued, refused, unwritten ? ", some "
	    "certificates not written (above)" : "");
	return issued == n && unwritten == 0 ? 0 : 1;
}

static int
cmd_issue(int argc, char **argv)
{
	struct issue_args a;
	struct issue_request req;
	struct issue_result res;
	struct profile *prof = NULL;
	struct csr *csr = NULL;
	struct batch_item *items = NULL;
	size_t n_items = 0;
	struct org_rec rec;
	struct org org;
	struct conf *c = NULL;
	struct ca ca;
	char who[ACTOR_MAX];
	int ret;

	memset(&res, 0, sizeof(res));
	if ((ret = issue_options(argc, argv, &a)) != 0)
		return ret;
	/* Check the requests before touching the store or the token. */
	if (a.batch != NULL ? batch_read(a.batch, a.out, &items, &n_items) :
	    issue_read_csr(a.csr, &csr))
		return 1;
	if (ctl_load(1, &c, &ca) != 0) {
		csr_free(csr);
		batch_free(items, n_items);
		return 1;
	}
	ret = 1;
	if (profile_load(c->issue_profiles_dir, a.profile ? a.profile :
	    c->issue_profile, &prof) != ESEAL_OK) {
		ctl_fail("issue");
		goto out;
	}
	/* The subject comes only from the registered record. */
	if ((ret = issue_org(ca.store, &a, &rec)) != 0)
		goto out;
	ret = 1;
	org_to_subject(&rec, &org);
	memset(&req, 0, sizeof(req));
	req.profile = prof;
	req.org = &org;
	req.csr = csr;
	req.holder = a.holder;
	req.qscd = a.qscd || a.holder == HOLDER_REMOTE_SERVICE;
	req.validity_days = a.days > 0 ? a.days : c->issue_validity_days;
	ctl_actor(who, sizeof(who));
	req.actor = who;
	if (items != NULL) {
		ret = batch_issue(&ca, &req, items, n_items);
		goto out;
	}
	if (getenv(CTL_TEST_EXIT_PENDING) != NULL)
		exit_after_pending(&ca, &req);
	if (issue_cert(&ca, &req, time(NULL), &res) != ESEAL_OK) {
		ctl_fail("issue");
		goto out;
	}
	ret = issue_write(&res, a.out, 0);
out:
	issue_result_clear(&res);
	profile_free(prof);
	csr_free(csr);
	batch_free(items, n_items);
	ctl_unload(c, &ca);
	return ret;
}

/* The group's commands, in the order `esealctl --help` lists them. */
const struct ctl_cmd ctl_issue_cmds[] = {
	{ "issue", cmd_issue,
	  "(--csr FILE | --batch DIR) (--org ID|IDENTIFIER [--name NAME] | "
	  "--register "
	  "--name NAME (--corporate-number N | --org-id IDENTIFIER) "
	  "--evidence REF [--english-name NAME] [--country CC]) "
	  "[--profile NAME] [--key-holder subscriber|remote-service] "
	  "[--qscd] [--validity-days N] [--out FILE|DIR]",
	  "issue one certificate from a PKCS#10 request, or one for each "
	  "NAME.csr in DIR (written to NAME.crt, in --out DIR or DIR), for a "
	  "registered organisation (its id, or its organizationIdentifier "
	  "such as NTRJP-7123456789012), or one registered in the same "
	  "command" },
	{ NULL, NULL, NULL, NULL },
};
