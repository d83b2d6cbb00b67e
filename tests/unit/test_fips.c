/*
 * test_fips.c: the HSM module registry and the effective FIPS 140 status,
 * across the dates that matter; the shipped registries; hostile registries
 * from tests/data/fips/bad/.  The modules below are made up.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fips.h"
#include "testutil.h"

#define REGISTRY \
	"[policy]\nunlisted = %s\nunvalidated = %s\n" \
	"\n[module vault2]\nmanufacturer = Acme HSM\nmodel = Vault 2\n" \
	"cmvp_cert = 1402\nstandard = 140-2\nlevel = 3\nstatus = active\n" \
	"checked = 2026-01-10\nsource = https://example.invalid/1402\n" \
	"\n[module vault3]\nmanufacturer = Acme HSM\nmodel = Vault 3\n" \
	"cmvp_cert = 4001\nstandard = 140-3\nlevel = 3\nstatus = active\n" \
	"sunset = 2031-05-01\nchecked = 2026-01-10\n" \
	"\n[module vault3-fw4]\nmanufacturer = Acme HSM\nmodel = Vault 3\n" \
	"firmware_min = 4.0\nfirmware_max = 4.9\ncmvp_cert = 4002\n" \
	"standard = 140-3\nlevel = 3\nstatus = revoked\nsunset = 2030-01-01\n" \
	"checked = 2026-01-10\n" \
	"\n[module ranged]\nmanufacturer = Acme HSM\nmodel = Ranged\n" \
	"firmware_min = 2.0\nfirmware_max = 2.5\ncmvp_cert = 4100\n" \
	"standard = 140-3\nlevel = 2\nstatus = active\nsunset = 2032-01-01\n" \
	"checked = 2026-01-10\n" \
	"\n[module old]\nmanufacturer = Acme HSM\nmodel = Old\n" \
	"cmvp_cert = 3001\nstandard = 140-3\nlevel = 3\n" \
	"status = historical\nsunset = 2035-01-01\nchecked = 2026-01-10\n" \
	"\n[module gone]\nmanufacturer = Acme HSM\nmodel = Gone\n" \
	"cmvp_cert = 2001\nstandard = 140-2\nlevel = 3\nstatus = revoked\n" \
	"checked = 2026-01-10\n" \
	"\n[module softhsm]\nmanufacturer = SoftHSM project\n" \
	"model = SoftHSM v2\nstatus = not-validated\n"

#define A	1	/* allowed */
#define R	0	/* refused */

static const struct {
	const char	*model;		/* manufacturer "Acme HSM" unless SoftHSM */
	int		 fw_major, fw_minor;
	int		 y, m, d;
	long		 sec;		/* added to that day's 00:00 UTC */
	int		 allow_policy;	/* [policy] both allow, else both refuse */
	enum fips_status want;
	int		 keygen, issue, status_sign, warn, degraded;
	const char	*entry;		/* matched entry id, NULL if none */
	const char	*reason;	/* substring of the reason */
} cases[] = {
	/* FIPS 140-2: Active to the last second of 2026-09-21. */
	{ "Vault 2", 1, 0, 2026, 1, 1, 0, 0, FIPS_ACTIVE, A, A, A, 0, 0,
	  "vault2", "Historical from 2026-09-22 (end of FIPS 140-2)" },
	{ "Vault 2", 1, 0, 2026, 9, 21, 0, 0, FIPS_ACTIVE, A, A, A, 0, 0,
	  "vault2", "listed Active" },
	{ "Vault 2", 1, 0, 2026, 9, 21, 86399, 0, FIPS_ACTIVE, A, A, A, 0, 0,
	  "vault2", "listed Active" },
	{ "Vault 2", 1, 0, 2026, 9, 22, 0, 0, FIPS_HISTORICAL, R, A, A, 1, 0,
	  "vault2", "FIPS 140-2 validations moved to Historical on 2026-09-22" },
	{ "Vault 2", 1, 0, 2030, 1, 1, 0, 0, FIPS_HISTORICAL, R, A, A, 1, 0,
	  "vault2", "FIPS 140-2" },
	/* FIPS 140-3: Active until its sunset day. */
	{ "Vault 3", 1, 0, 2026, 9, 22, 0, 0, FIPS_ACTIVE, A, A, A, 0, 0,
	  "vault3", "Historical from 2031-05-01 (CMVP sunset date)" },
	{ "Vault 3", 1, 0, 2031, 4, 30, 0, 0, FIPS_ACTIVE, A, A, A, 0, 0,
	  "vault3", "listed Active" },
	{ "Vault 3", 1, 0, 2031, 4, 30, 86399, 0, FIPS_ACTIVE, A, A, A, 0, 0,
	  "vault3", "listed Active" },
	{ "Vault 3", 1, 0, 2031, 5, 1, 0, 0, FIPS_HISTORICAL, R, A, A, 1, 0,
	  "vault3", "its CMVP sunset date 2031-05-01 has passed" },
	/* Firmware: the entry with a range wins inside it (4.0 to 4.9). */
	{ "Vault 3", 4, 0, 2026, 1, 1, 0, 0, FIPS_REVOKED, R, R, A, 1, 1,
	  "vault3-fw4", "listed Revoked in the registry" },
	{ "Vault 3", 4, 9, 2026, 1, 1, 0, 0, FIPS_REVOKED, R, R, A, 1, 1,
	  "vault3-fw4", "listed Revoked" },
	{ "Vault 3", 3, 9, 2026, 1, 1, 0, 0, FIPS_ACTIVE, A, A, A, 0, 0,
	  "vault3", "listed Active" },
	{ "Vault 3", 4, 10, 2026, 1, 1, 0, 0, FIPS_ACTIVE, A, A, A, 0, 0,
	  "vault3", "listed Active" },
	{ "Vault 3", 5, 0, 2026, 1, 1, 0, 0, FIPS_ACTIVE, A, A, A, 0, 0,
	  "vault3", "listed Active" },
	/* Revoked stays Revoked past its sunset. */
	{ "Vault 3", 4, 5, 2031, 6, 1, 0, 0, FIPS_REVOKED, R, R, A, 1, 1,
	  "vault3-fw4", "listed Revoked" },
	/* Only a range: outside it the token is unlisted. */
	{ "Ranged", 2, 0, 2026, 1, 1, 0, 0, FIPS_ACTIVE, A, A, A, 0, 0,
	  "ranged", "listed Active" },
	{ "Ranged", 2, 5, 2026, 1, 1, 0, 0, FIPS_ACTIVE, A, A, A, 0, 0,
	  "ranged", "listed Active" },
	{ "Ranged", 2, 6, 2026, 1, 1, 0, 0, FIPS_UNLISTED, R, R, A, 1, 1,
	  NULL, "[policy] unlisted = refuse" },
	{ "Ranged", 1, 255, 2026, 1, 1, 0, 1, FIPS_UNLISTED, A, A, A, 1, 0,
	  NULL, "[policy] unlisted = allow" },
	/* Listed Historical: before any date rule. */
	{ "Old", 1, 0, 2026, 1, 1, 0, 0, FIPS_HISTORICAL, R, A, A, 1, 0,
	  "old", "listed Historical in the registry" },
	/* Listed Revoked, and a 140-2 module: Revoked before and after. */
	{ "Gone", 1, 0, 2026, 1, 1, 0, 0, FIPS_REVOKED, R, R, A, 1, 1,
	  "gone", "listed Revoked in the registry" },
	{ "Gone", 1, 0, 2027, 1, 1, 0, 1, FIPS_REVOKED, R, R, A, 1, 1,
	  "gone", "listed Revoked in the registry" },
	/* Unlisted: [policy] unlisted decides. */
	{ "Vault 9", 1, 0, 2026, 1, 1, 0, 0, FIPS_UNLISTED, R, R, A, 1, 1,
	  NULL, "no registry entry matches" },
	{ "Vault 9", 1, 0, 2026, 1, 1, 0, 1, FIPS_UNLISTED, A, A, A, 1, 0,
	  NULL, "[policy] unlisted = allow" },
	/* Not validated: [policy] unvalidated decides. */
	{ "SoftHSM v2", 2, 6, 2026, 1, 1, 0, 0, FIPS_NOT_VALIDATED, R, R, A,
	  1, 1, "softhsm", "[policy] unvalidated = refuse" },
	{ "SoftHSM v2", 2, 6, 2026, 1, 1, 0, 1, FIPS_NOT_VALIDATED, A, A, A,
	  1, 0, "softhsm", "[policy] unvalidated = allow" },
};

static struct fips_registry *
registry(int allow)
{
	const char *pol = allow ? "allow" : "refuse";
	const char *dir = tu_tmpdir();
	struct fips_registry *r = NULL;
	char buf[4096], *p;

	snprintf(buf, sizeof(buf), REGISTRY, pol, pol);
	p = tu_write(dir, "hsm-modules.conf", buf, 0644);
	ck_assert_msg(fips_load(p, &r) == ESEAL_OK, "%s", eseal_errmsg());
	free(p);
	return r;
}

static void
identity(struct p11_identity *id, const char *manufacturer, const char *model,
    int fw_major, int fw_minor)
{
	memset(id, 0, sizeof(*id));
	snprintf(id->manufacturer, sizeof(id->manufacturer), "%s",
	    manufacturer);
	snprintf(id->model, sizeof(id->model), "%s", model);
	id->fw_major = fw_major;
	id->fw_minor = fw_minor;
}

START_TEST(test_status_at)
{
	struct fips_registry *r = registry(cases[_i].allow_policy);
	struct p11_identity id;
	struct fips_verdict v;
	int soft = strcmp(cases[_i].model, "SoftHSM v2") == 0;

	identity(&id, soft ? "SoftHSM project" : "Acme HSM", cases[_i].model,
	    cases[_i].fw_major, cases[_i].fw_minor);
	fips_evaluate(r, &id, tu_date(cases[_i].y, cases[_i].m, cases[_i].d) +
	    cases[_i].sec, &v);
	ck_assert_msg(v.status == cases[_i].want, "%s fw %d.%d on %d-%02d-%02d"
	    " +%lds: %s, want %s", cases[_i].model, cases[_i].fw_major,
	    cases[_i].fw_minor, cases[_i].y, cases[_i].m, cases[_i].d,
	    cases[_i].sec, fips_status_name(v.status),
	    fips_status_name(cases[_i].want));
	ck_assert_int_eq(v.allowed[FIPS_USE_KEYGEN], cases[_i].keygen);
	ck_assert_int_eq(v.allowed[FIPS_USE_ISSUE], cases[_i].issue);
	ck_assert_int_eq(v.allowed[FIPS_USE_STATUS_SIGN], cases[_i].status_sign);
	ck_assert_int_eq(v.warn, cases[_i].warn);
	ck_assert_int_eq(v.degraded, cases[_i].degraded);
	if (cases[_i].entry == NULL)
		ck_assert_ptr_null(v.entry);
	else {
		ck_assert_ptr_nonnull(v.entry);
		ck_assert_str_eq(fips_entry_id(v.entry), cases[_i].entry);
	}
	ck_assert_msg(strstr(v.reason, cases[_i].reason) != NULL,
	    "reason \"%s\" lacks \"%s\"", v.reason, cases[_i].reason);
	/* fips_check agrees with allowed[] for every use. */
	for (int u = 0; u < FIPS_USE_MAX; u++)
		ck_assert_int_eq(fips_check(&v, (enum fips_use)u),
		    v.allowed[u] ? ESEAL_OK : ESEAL_EPOLICY);
	fips_free(r);
}
END_TEST

/* The refusal names the module, its certificate, its status and why. */
static const struct {
	const char	*model;
	int		 fw_major;
	int		 y, m, d;
	enum fips_use	 use;
	const char	*want[4];
} refusals[] = {
	{ "Vault 2", 1, 2026, 9, 22, FIPS_USE_KEYGEN,
	  { "fips: module vault2 (Acme HSM Vault 2, CMVP #1402) is Historical: ",
	    "FIPS 140-2 validations moved to Historical on 2026-09-22",
	    "issuer keys may not be generated", NULL } },
	{ "Old", 1, 2026, 1, 1, FIPS_USE_KEYGEN,
	  { "module old (Acme HSM Old, CMVP #3001) is Historical: listed "
	    "Historical in the registry; issuer keys may not be generated",
	    NULL } },
	{ "Vault 3", 1, 2031, 5, 1, FIPS_USE_KEYGEN,
	  { "CMVP #4001", "is Historical", "sunset date 2031-05-01", NULL } },
	{ "Gone", 1, 2026, 1, 1, FIPS_USE_ISSUE,
	  { "module gone (Acme HSM Gone, CMVP #2001) is Revoked: listed "
	    "Revoked in the registry; certificates may not be issued", NULL } },
	{ "Vault 3", 4, 2026, 1, 1, FIPS_USE_KEYGEN,
	  { "vault3-fw4", "CMVP #4002", "is Revoked", NULL } },
	{ "Vault 9", 1, 2026, 1, 1, FIPS_USE_ISSUE,
	  { "manufacturer \"Acme HSM\" model \"Vault 9\" firmware 1.0 is "
	    "unlisted", "[policy] unlisted = refuse", NULL } },
	{ "SoftHSM v2", 2, 2026, 1, 1, FIPS_USE_KEYGEN,
	  { "softhsm (SoftHSM project SoftHSM v2, no CMVP certificate) is "
	    "not validated", "[policy] unvalidated = refuse", NULL } },
};

START_TEST(test_check_message)
{
	struct fips_registry *r = registry(0);
	struct p11_identity id;
	struct fips_verdict v;
	int soft = strcmp(refusals[_i].model, "SoftHSM v2") == 0;

	identity(&id, soft ? "SoftHSM project" : "Acme HSM",
	    refusals[_i].model, refusals[_i].fw_major, soft ? 6 : 0);
	fips_evaluate(r, &id, tu_date(refusals[_i].y, refusals[_i].m,
	    refusals[_i].d), &v);
	eseal_errclear();
	ck_assert_int_eq(fips_check(&v, refusals[_i].use), ESEAL_EPOLICY);
	for (int j = 0; refusals[_i].want[j] != NULL; j++)
		ck_assert_msg(strstr(eseal_errmsg(), refusals[_i].want[j]) !=
		    NULL, "\"%s\" lacks \"%s\"", eseal_errmsg(),
		    refusals[_i].want[j]);
	ck_assert_ptr_null(strstr(eseal_errmsg(), "xpired"));
	/* Status signing is never refused. */
	ck_assert_int_eq(fips_check(&v, FIPS_USE_STATUS_SIGN), ESEAL_OK);
	fips_free(r);
}
END_TEST

START_TEST(test_entry_accessors)
{
	struct fips_registry *r = registry(0);
	const struct fips_entry *e;
	char fw[32];

	ck_assert_uint_eq(fips_count(r), 7);
	e = fips_entry_at(r, 2);
	ck_assert_str_eq(fips_entry_id(e), "vault3-fw4");
	ck_assert_str_eq(fips_entry_manufacturer(e), "Acme HSM");
	ck_assert_str_eq(fips_entry_model(e), "Vault 3");
	ck_assert_str_eq(fips_entry_cert(e), "4002");
	ck_assert_str_eq(fips_entry_standard(e), "FIPS 140-3");
	ck_assert_int_eq(fips_entry_level(e), 3);
	ck_assert_int_eq(fips_entry_listed(e), FIPS_REVOKED);
	ck_assert_int_eq(fips_entry_sunset(e), tu_date(2030, 1, 1));
	ck_assert_int_eq(fips_entry_checked(e), tu_date(2026, 1, 10));
	ck_assert_str_eq(fips_entry_source(e), "");
	fips_entry_firmware(e, fw, sizeof(fw));
	ck_assert_str_eq(fw, "4.0 to 4.9");
	e = fips_entry_at(r, 0);
	ck_assert_str_eq(fips_entry_source(e), "https://example.invalid/1402");
	ck_assert_str_eq(fips_entry_standard(e), "FIPS 140-2");
	ck_assert_int_eq(fips_entry_sunset(e), 0);
	fips_entry_firmware(e, fw, sizeof(fw));
	ck_assert_str_eq(fw, "any");
	e = fips_entry_at(r, 6);
	ck_assert_str_eq(fips_entry_cert(e), "");
	ck_assert_int_eq(fips_entry_level(e), 0);
	ck_assert_int_eq(fips_entry_listed(e), FIPS_NOT_VALIDATED);
	ck_assert_ptr_null(fips_entry_at(r, 7));
	fips_free(r);
}
END_TEST

START_TEST(test_names_and_constants)
{
	ck_assert_int_eq(FIPS_140_2_HISTORICAL, tu_date(2026, 9, 22));
	ck_assert_str_eq(fips_status_name(FIPS_ACTIVE), "Active");
	ck_assert_str_eq(fips_status_name(FIPS_HISTORICAL), "Historical");
	ck_assert_str_eq(fips_status_name(FIPS_REVOKED), "Revoked");
	ck_assert_str_eq(fips_status_name(FIPS_NOT_VALIDATED), "not validated");
	ck_assert_str_eq(fips_status_name(FIPS_UNLISTED), "unlisted");
	ck_assert_str_eq(fips_status_name(FIPS_STATUS_MAX), "?");
	ck_assert_str_eq(fips_use_name(FIPS_USE_STATUS_SIGN), "status-sign");
	fips_free(NULL);
}
END_TEST

/* No registry, and an empty one: every token unlisted and refused. */
START_TEST(test_no_registry)
{
	const char *dir = tu_tmpdir();
	struct fips_registry *r;
	struct p11_identity id;
	struct fips_verdict v;
	char *p;

	identity(&id, "Acme HSM", "Vault 3", 1, 0);
	fips_evaluate(NULL, &id, tu_date(2026, 1, 1), &v);
	ck_assert_int_eq(v.status, FIPS_UNLISTED);
	ck_assert_int_eq(v.allowed[FIPS_USE_KEYGEN], 0);
	ck_assert_int_eq(v.allowed[FIPS_USE_STATUS_SIGN], 1);
	p = tu_write(dir, "empty.conf", "; nothing\n", 0644);
	ck_assert_int_eq(fips_load(p, &r), ESEAL_OK);
	fips_evaluate(r, &id, tu_date(2026, 1, 1), &v);
	ck_assert_int_eq(v.status, FIPS_UNLISTED);
	ck_assert_int_eq(v.allowed[FIPS_USE_ISSUE], 0);	/* default refuse */
	fips_free(r);
	free(p);
}
END_TEST

/* The shipped registries, as SoftHSM and a stranger see them. */
START_TEST(test_shipped)
{
	const char *top = getenv("ESEAL_TOP") ? getenv("ESEAL_TOP") : ".";
	struct fips_registry *prod, *dev;
	struct p11_identity soft, other;
	struct fips_verdict v;
	char path[1024];

	snprintf(path, sizeof(path), "%s/conf/hsm-modules.conf", top);
	ck_assert_msg(fips_load(path, &prod) == ESEAL_OK, "%s", eseal_errmsg());
	snprintf(path, sizeof(path), "%s/conf/hsm-modules.dev.conf", top);
	ck_assert_msg(fips_load(path, &dev) == ESEAL_OK, "%s", eseal_errmsg());
	/* The identity SoftHSM 2.6 reports (PITFALLS.md). */
	identity(&soft, "SoftHSM project", "SoftHSM v2", 2, 6);
	identity(&other, "Acme HSM", "Vault 3", 1, 0);

	ck_assert_uint_eq(fips_count(prod), 1);
	fips_evaluate(prod, &soft, tu_date(2026, 1, 1), &v);
	ck_assert_int_eq(v.status, FIPS_NOT_VALIDATED);
	ck_assert_int_eq(fips_check(&v, FIPS_USE_KEYGEN), ESEAL_EPOLICY);
	ck_assert_int_eq(fips_check(&v, FIPS_USE_ISSUE), ESEAL_EPOLICY);
	ck_assert_int_eq(fips_check(&v, FIPS_USE_STATUS_SIGN), ESEAL_OK);
	fips_evaluate(prod, &other, tu_date(2026, 1, 1), &v);
	ck_assert_int_eq(v.status, FIPS_UNLISTED);
	ck_assert_int_eq(fips_check(&v, FIPS_USE_KEYGEN), ESEAL_EPOLICY);

	fips_evaluate(dev, &soft, tu_date(2030, 1, 1), &v);
	ck_assert_int_eq(v.status, FIPS_NOT_VALIDATED);
	ck_assert_int_eq(fips_check(&v, FIPS_USE_KEYGEN), ESEAL_OK);
	ck_assert_int_eq(fips_check(&v, FIPS_USE_ISSUE), ESEAL_OK);
	ck_assert_int_eq(v.warn, 1);
	ck_assert_int_eq(v.degraded, 0);
	fips_evaluate(dev, &other, tu_date(2026, 1, 1), &v);
	ck_assert_int_eq(v.status, FIPS_UNLISTED);
	ck_assert_int_eq(fips_check(&v, FIPS_USE_ISSUE), ESEAL_EPOLICY);
	fips_free(prod);
	fips_free(dev);
}
END_TEST

/*
 * Every file in tests/data/fips/bad/ is refused.  Its first line says
 * where and why: "; expect: LINE: SUBSTRING".
 */
static int
is_conf(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 5 && strcmp(d->d_name + n - 5, ".conf") == 0;
}

START_TEST(test_bad_files)
{
	const char *top = getenv("ESEAL_TOP") ? getenv("ESEAL_TOP") : ".";
	struct dirent **names;
	struct fips_registry *r;
	char dir[1024], path[2048], first[512], want[2100], *colon;
	FILE *f;
	int n, line;

	snprintf(dir, sizeof(dir), "%s/tests/data/fips/bad", top);
	n = scandir(dir, &names, is_conf, alphasort);
	ck_assert_msg(n >= 20, "%s: %d files", dir, n);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		f = fopen(path, "r");
		ck_assert_ptr_nonnull(f);
		ck_assert_ptr_nonnull(fgets(first, sizeof(first), f));
		fclose(f);
		first[strcspn(first, "\n")] = '\0';
		ck_assert_msg(sscanf(first, "; expect: %d:", &line) == 1,
		    "%s: first line must be \"; expect: LINE: TEXT\"", path);
		colon = strchr(first + 10, ':');
		r = (struct fips_registry *)1;
		ck_assert_msg(fips_load(path, &r) == ESEAL_ECONF,
		    "%s: accepted", path);
		ck_assert_ptr_null(r);
		/* file:line, then the section, key and reason. */
		snprintf(want, sizeof(want), "%s:%d: %s", path, line,
		    colon + 2);
		ck_assert_msg(strstr(eseal_errmsg(), want) == eseal_errmsg(),
		    "%s:\n got  \"%s\"\n want \"%s...\"", names[i]->d_name,
		    eseal_errmsg(), want);
		free(names[i]);
	}
	free(names);
}
END_TEST

/* What the data files cannot hold: a NUL byte, too many entries. */
START_TEST(test_bad_generated)
{
	const char *dir = tu_tmpdir();
	static const char nul[] = "[module a]\nmanufacturer = Acme\0HSM\n";
	struct fips_registry *r;
	char path[512], *big, *p;
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/nul.conf", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fwrite(nul, 1, sizeof(nul) - 1, f);
	fclose(f);
	ck_assert_int_eq(fips_load(path, &r), ESEAL_ECONF);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "nul.conf:2: [module a] "
	    "manufacturer: NUL byte"));

	big = malloc((FIPS_ENTRIES_MAX + 1) * 128);
	ck_assert_ptr_nonnull(big);
	for (int i = 0; i <= FIPS_ENTRIES_MAX; i++)
		len += (size_t)sprintf(big + len, "[module m%d]\nmanufacturer "
		    "= Acme\nmodel = M%d\nstatus = not-validated\n", i, i);
	p = tu_write(dir, "many.conf", big, 0644);
	ck_assert_int_eq(fips_load(p, &r), ESEAL_ECONF);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "many.conf:1026: "
	    "[module m256] manufacturer: more than 256 [module] sections"));
	free(p);
	free(big);

	ck_assert_int_eq(fips_load("/nonexistent/hsm-modules.conf", &r),
	    ESEAL_ECONF);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "cannot open"));
	ck_assert_int_eq(fips_load(dir, &r), ESEAL_ECONF);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "not a regular file"));
}
END_TEST

/*
 * The longest line is 198 bytes before its line end, CR LF or LF: one
 * more and inih would read the rest as a line of its own.  A file is at
 * most FIPS_FILE_MAX bytes.
 */
START_TEST(test_line_limit)
{
	const char *dir = tu_tmpdir();
	struct fips_registry *r;
	char buf[1024], src[256], *p, *big;

	for (int crlf = 0; crlf <= 1; crlf++)
		for (int len = 198; len <= 199; len++) {
			/* "source = " is 9 bytes. */
			memset(src, 'x', (size_t)len - 9);
			src[len - 9] = '\0';
			snprintf(buf, sizeof(buf), "[module a]%s\nmanufacturer "
			    "= Acme HSM%s\nmodel = Vault 3%s\nstatus = "
			    "not-validated%s\nsource = %s%s\n",
			    crlf ? "\r" : "", crlf ? "\r" : "", crlf ? "\r" :
			    "", crlf ? "\r" : "", src, crlf ? "\r" : "");
			p = tu_write(dir, "line.conf", buf, 0644);
			r = NULL;
			if (len == 198) {
				ck_assert_msg(fips_load(p, &r) == ESEAL_OK,
				    "%s", eseal_errmsg());
				ck_assert_uint_eq(strlen(fips_entry_source(
				    fips_entry_at(r, 0))), 189);
				fips_free(r);
			} else {
				ck_assert_int_eq(fips_load(p, &r),
				    ESEAL_ECONF);
				ck_assert_ptr_nonnull(strstr(eseal_errmsg(),
				    "line.conf:5: [module a] source: line "
				    "longer than 198 bytes"));
			}
			free(p);
		}
	ck_assert_ptr_nonnull(big = malloc(FIPS_FILE_MAX + 2));
	memset(big, '\n', FIPS_FILE_MAX + 1);
	big[FIPS_FILE_MAX + 1] = '\0';
	p = tu_write(dir, "big.conf", big, 0644);
	ck_assert_int_eq(fips_load(p, &r), ESEAL_ECONF);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "big.conf: larger than "
	    "1048576 bytes"));
	free(p);
	free(big);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("fips");
	TCase *tc = tcase_create("fips");
	SRunner *sr;
	int nf;

	tcase_add_loop_test(tc, test_status_at, 0,
	    sizeof(cases) / sizeof(cases[0]));
	tcase_add_loop_test(tc, test_check_message, 0,
	    sizeof(refusals) / sizeof(refusals[0]));
	tcase_add_test(tc, test_entry_accessors);
	tcase_add_test(tc, test_names_and_constants);
	tcase_add_test(tc, test_no_registry);
	tcase_add_test(tc, test_shipped);
	tcase_add_test(tc, test_bad_files);
	tcase_add_test(tc, test_bad_generated);
	tcase_add_test(tc, test_line_limit);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
