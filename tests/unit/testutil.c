/* testutil.c: temporary directories, SoftHSM tokens, configs, CSRs. */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "testutil.h"

#define TU_DIRS_MAX	64	/* temporary directories per process */

static char	tu_dirs[TU_DIRS_MAX][256];
static int	tu_ndirs;
static pid_t	tu_owner;

/* At exit, the process that made them removes its temporary directories. */
static void
tu_cleanup(void)
{
	char cmd[300];

	if (getpid() != tu_owner || getenv("ESEAL_KEEP_TMP") != NULL)
		return;
	for (int i = 0; i < tu_ndirs; i++) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%.255s'", tu_dirs[i]);
		(void)!system(cmd);
	}
	tu_ndirs = 0;
}

const char *
tu_tmpdir(void)
{
	static char path[256];
	const char *base = getenv("TMPDIR");

	snprintf(path, sizeof(path), "%s/eseal-test-XXXXXX",
	    base ? base : "/tmp");
	if (mkdtemp(path) == NULL) {
		perror("mkdtemp");
		abort();
	}
	/* Check forks a process per test: each cleans up its own. */
	if (tu_owner != getpid()) {
		/* Quiet logs unless asked: failures speak through Check. */
		if (getenv("ESEAL_TEST_LOG") == NULL)
			log_set_level(LOG_LEVEL_ERROR);
		tu_owner = getpid();
		tu_ndirs = 0;
		atexit(tu_cleanup);
	}
	if (tu_ndirs < TU_DIRS_MAX)
		snprintf(tu_dirs[tu_ndirs++], sizeof(tu_dirs[0]), "%s", path);
	return path;
}

char *
tu_write(const char *dir, const char *name, const char *s, int mode)
{
	char *path;
	int fd;

	if (asprintf(&path, "%s/%s", dir, name) == -1)
		abort();
	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)) == -1 ||
	    write(fd, s, strlen(s)) != (ssize_t)strlen(s)) {
		perror(path);
		abort();
	}
	fchmod(fd, (mode_t)mode);
	close(fd);
	return path;
}

unsigned char *
tu_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	if ((b = malloc((size_t)n + 1)) == NULL ||
	    fread(b, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(b);
		return NULL;
	}
	b[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return b;
}

static void
run(const char *cmd)
{
	if (system(cmd) != 0) {
		fprintf(stderr, "testutil: failed: %s\n", cmd);
		abort();
	}
}

char *
tu_softhsm(const char *dir, const char *label)
{
	char cmd[1024], conf[512], pinpath[512];
	unsigned char *pin;
	size_t len;

	snprintf(cmd, sizeof(cmd), "%s/tools/softhsm-dev-token %s %s "
	    ">/dev/null", getenv("ESEAL_TOP") ? getenv("ESEAL_TOP") : ".",
	    dir, label);
	run(cmd);
	snprintf(conf, sizeof(conf), "%s/softhsm2.conf", dir);
	setenv("SOFTHSM2_CONF", conf, 1);
	snprintf(pinpath, sizeof(pinpath), "%s/pin", dir);
	if ((pin = tu_read(pinpath, &len)) == NULL)
		abort();
	return (char *)pin;
}

/* tu_conf with [issue] profiles_dir (NULL: the shipped conf/profiles). */
static char *
conf_with(const char *dir, const char *label, const char *profiles,
    const char *extra)
{
	char buf[4096], shipped[1024];
	const char *top = getenv("ESEAL_TOP") ? getenv("ESEAL_TOP") : ".";

	snprintf(shipped, sizeof(shipped), "%s/conf/profiles", top);
	snprintf(buf, sizeof(buf),
	    "[store]\npath = %s/eseal.db\n"
	    "[hsm]\nmodule = " SOFTHSM_MODULE "\ntoken = pkcs11:token=%s\n"
	    "pin_file = %s/pin\nregistry = %s/conf/hsm-modules.dev.conf\n"
	    "[ca]\nissuer = test-ca\ncountry = JP\n"
	    "organization = Test Certification Co.\n"
	    "common_name = Test e-Seal CA\nkey_type = ec-p256\n"
	    "[issue]\nprofiles_dir = %s\n"
	    "crypto_policy = %s/conf/crypto-policy.conf\n"
	    "%s", dir, label, dir, top, profiles ? profiles : shipped, top,
	    extra ? extra : "");
	return tu_write(dir, "eseald.conf", buf, 0644);
}

char *
tu_conf(const char *dir, const char *label, const char *extra)
{
	return conf_with(dir, label, NULL, extra);
}

char *
tu_csr(const char *dir, const char *name, const char *keyspec)
{
	char cmd[1024], *path;
	const char *colon = strchr(keyspec, ':');

	if (asprintf(&path, "%s/%s.csr", dir, name) == -1 || colon == NULL)
		abort();
	if (strncmp(keyspec, "ec:", 3) == 0)
		snprintf(cmd, sizeof(cmd), "openssl req -new -newkey ec "
		    "-pkeyopt ec_paramgen_curve:%s -nodes -keyout %s/%s.key "
		    "-subj /CN=from-the-csr -out %s 2>/dev/null", colon + 1,
		    dir, name, path);
	else
		snprintf(cmd, sizeof(cmd), "openssl req -new -newkey rsa:%s "
		    "-nodes -keyout %s/%s.key -subj /CN=from-the-csr -out %s "
		    "2>/dev/null", colon + 1, dir, name, path);
	run(cmd);
	return path;
}

int
tu_cites_rule(const char *msg)
{
	static const char *const marks[] = {
		"panel point ", "REQUIREMENTS.md", "ARCHITECTURE.md", "RFC ",
		"EN 319 4", "SP 800-63B ", "X.520", "X.690", "ISO 3166",
		"POSIX.1", "MoF ordinance", "] ",	/* "[section] key" */
		"docs/disaster-recovery.md",	/* eseal's backup format */
	};

	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (strstr(msg, marks[i]) != NULL)
			return 1;
	return 0;
}

time_t
tu_date(int y, int m, int d)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	return timegm(&tm);
}

struct issuer *
tu_ca_issuer(struct tu_ca *f, const char *name, const char *key_type,
    const char *cn, int days, int shards, time_t now)
{
	struct issuer_params ip;
	struct org subj;
	struct issuer *is = NULL;

	memset(&subj, 0, sizeof(subj));
	snprintf(subj.country, sizeof(subj.country), "JP");
	snprintf(subj.name, sizeof(subj.name), "Test Certification Co.");
	snprintf(subj.common_name, sizeof(subj.common_name), "%s", cn);
	memset(&ip, 0, sizeof(ip));
	ip.name = name;
	ip.key_type = (enum key_type)key_type_parse(key_type);
	ip.subject = &subj;
	ip.validity_days = days;
	ip.crl_shards = shards;
	if (issuer_create(&f->ca, &ip, (int64_t)now, "test", &is) != ESEAL_OK) {
		fprintf(stderr, "testutil: issuer_create: %s\n", eseal_errmsg());
		abort();
	}
	return is;
}

void
tu_ca_setup(struct tu_ca *f, const char *label, const char *key_type,
    int shards)
{
	tu_ca_setup_profiles(f, label, key_type, shards, NULL);
}

void
tu_ca_setup_profiles(struct tu_ca *f, const char *label,
    const char *key_type, int shards, const char *profiles_dir)
{
	char *confpath, *pin, *csrpath;
	unsigned char *buf;
	size_t len;

	memset(f, 0, sizeof(*f));
	if ((f->dir = strdup(tu_tmpdir())) == NULL)
		abort();
	pin = tu_softhsm(f->dir, label);
	free(pin);
	confpath = conf_with(f->dir, label, profiles_dir, NULL);
	if (conf_load(confpath, &f->conf) != ESEAL_OK ||
	    ca_open(f->conf, 1, &f->ca) != ESEAL_OK) {
		fprintf(stderr, "testutil: %s\n", eseal_errmsg());
		abort();
	}
	free(confpath);
	if (key_type != NULL)
		f->issuer = tu_ca_issuer(f, "test-ca", key_type, "Test CA", 3650,
		    shards, time(NULL));
	snprintf(f->org.country, sizeof(f->org.country), "JP");
	snprintf(f->org.name, sizeof(f->org.name), "株式会社テスト");
	snprintf(f->org.identifier, sizeof(f->org.identifier),
	    "NTRJP-7123456789012");
	csrpath = tu_csr(f->dir, "ee", "ec:P-256");
	if (profile_load(f->conf->issue_profiles_dir, "eseal", &f->profile)
	    != ESEAL_OK || (buf = tu_read(csrpath, &len)) == NULL ||
	    csr_parse(buf, len, &f->csr) != ESEAL_OK) {
		fprintf(stderr, "testutil: %s\n", eseal_errmsg());
		abort();
	}
	free(buf);
	free(csrpath);
}

void
tu_ca_teardown(struct tu_ca *f)
{
	csr_free(f->csr);
	issuer_free(f->issuer);
	profile_free(f->profile);
	ca_close(&f->ca);
	conf_free(f->conf);
	free(f->dir);
}
