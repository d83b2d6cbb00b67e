# eseal-ca: plain GNU make.
#   make              build/libeseal.a, build/eseald, build/esealctl
#   make check        install deps, build with -Werror, run every test
#   make run          install deps, prepare var/dev/, run eseald in the foreground
#   make fuzz         build the libFuzzer harnesses (clang)
#   make bench        run the benchmarks in bench/
#   make clean
#   make tsan         ThreadSanitizer: the concurrent issuance suite (and
#                     others) and t_kill_group.sh (concurrent approvals)
#                     in build-tsan/
#   SANITIZE=address,undefined  switches sanitizers on for any target

BUILD    := build
CC       ?= cc
PKGS     := libp11 libcrypto libssl p11-kit-1 libmicrohttpd gnutls sqlite3 \
            jansson inih libsodium liboath
# make WITH_SYSTEMD=0: no libsystemd (no notifications, no socket
# activation; svc.h).
WITH_SYSTEMD ?= 1
ifeq ($(WITH_SYSTEMD),1)
PKGS     += libsystemd
endif
# Lazy (=) so that pkg-config runs only after install-deps in check/run.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
CHECK_LIBS = $(shell pkg-config --libs check)

WARN     := -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wshadow \
            -Wpointer-arith -Wwrite-strings -Wformat=2
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -DOPENSSL_API_COMPAT=30000 \
            $(WARN) $(if $(WERROR),-Werror) -Iinclude -Isrc \
            -MMD -MP -pthread -DWITH_SYSTEMD=$(WITH_SYSTEMD)
LDLIBS   = $(PKG_LIBS) -ldl -pthread
ifdef SANITIZE
CFLAGS   += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=$(SANITIZE)
endif

# The library: every module in src/ but eseald.c, one per line.
LIB_SRCS := \
	src/base/err.c \
	src/base/log.c \
	src/base/ini.c \
	src/base/conf.c \
	src/base/keytype.c \
	src/base/date.c \
	src/store/store.c \
	src/store/store_migrate.c \
	src/store/store_sync.c \
	src/store/store_stmt.c \
	src/store/store_issuer.c \
	src/store/store_cert.c \
	src/store/store_audit.c \
	src/store/store_account.c \
	src/store/store_revoke.c \
	src/store/store_ocsp.c \
	src/store/store_enrol.c \
	src/store/store_publish.c \
	src/store/store_login.c \
	src/hsm/p11.c \
	src/hsm/p11_watch.c \
	src/hsm/p11_ident.c \
	src/hsm/p11_names.c \
	src/hsm/fips.c \
	src/hsm/cmvp_csv.c \
	src/hsm/cmvp.c \
	src/hsm/cmvp_file.c \
	src/pki/serial.c \
	src/pki/csr.c \
	src/pki/orgid.c \
	src/pki/qcs.c \
	src/pki/profile.c \
	src/pki/policy.c \
	src/pki/policy_check.c \
	src/pki/lint.c \
	src/audit/audit.c \
	src/ra/account.c \
	src/ra/session.c \
	src/ra/throttle.c \
	src/ra/org.c \
	src/ra/enrol.c \
	src/ra/disclosure.c \
	src/ca/ca.c \
	src/ca/issuer.c \
	src/ca/sign.c \
	src/ca/issue.c \
	src/ca/revoke.c \
	src/ca/crl.c \
	src/ca/ocsp.c \
	src/ca/ocsp_req.c \
	src/ca/ocsp_cache.c \
	src/ca/ocsp_signer.c \
	src/ca/publish.c \
	src/ca/enrol_issue.c \
	src/http/http.c \
	src/http/api_publish.c \
	src/http/api_ocsp.c \
	src/http/api_session.c \
	src/http/api_ra.c \
	src/http/api_enrol.c \
	src/base/metrics.c \
	src/http/http_peer.c \
	src/http/api_metrics.c \
	src/store/store_backup.c \
	src/ca/backup_pack.c \
	src/ca/backup.c \
	src/ca/backup_open.c \
	src/ca/backup_restore.c \
	src/ca/backup_sched.c \
	src/ca/rotate.c \
	src/ca/rotate_state.c \
	src/base/svc.c \
	src/hsm/p11_mac.c \
	src/audit/audit_verify.c \
	src/audit/audit_bundle.c \
	src/ca/checkpoint.c \
	src/store/store_approval.c \
	src/ra/approval.c \
	src/ca/operation.c \
	src/http/api_operations.c \
	src/store/store_report.c \
	src/http/api_status.c \
	src/http/api_console.c \
	$(BUILD)/gen/console.c \
	$(BUILD)/gen/schema.c \
	src/base/cidr.c \
	src/store/store_totp.c \
	src/ra/totp.c \
	src/http/http_zone.c \
	src/http/api_audit.c \
	src/store/store_crlscan.c \
	src/ca/crl_stream.c \
	src/store/store_crlkeep.c \
	src/ca/crl_splice.c \
	src/store/store_crldelta.c \
	src/ca/publish_file.c \
	src/ca/publish_delta.c \
	src/ca/publish_query.c \
	src/store/store_ocsppre.c \
	src/ca/ocsp_presign.c

LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS:$(BUILD)/%=%))

# esealctl: the command table and main, then one file per command group.
CTL_SRCS := \
	tools/esealctl/esealctl.c \
	tools/esealctl/ctl_init.c \
	tools/esealctl/ctl_hsm.c \
	tools/esealctl/ctl_key.c \
	tools/esealctl/ctl_issue.c \
	tools/esealctl/ctl_revoke.c \
	tools/esealctl/ctl_crl.c \
	tools/esealctl/ctl_ocsp.c \
	tools/esealctl/ctl_account.c \
	tools/esealctl/ctl_audit.c \
	tools/esealctl/ctl_backup.c \
	tools/esealctl/ctl_issuer.c \
	tools/esealctl/ctl_progress.c
LIB      := $(BUILD)/libeseal.a

# Check suites, one per module.
UNIT_TESTS := \
	ini \
	conf \
	p11 \
	store \
	issue \
	issue_mt \
	csr \
	orgid \
	policy \
	fips \
	cmvp \
	revoke \
	crl \
	ocsp \
	ocsp_signer \
	ocsp_presign \
	account \
	lint \
	csrpolicy \
	enrol \
	httpin \
	metrics \
	backup \
	rotate \
	report \
	approval \
	cidr \
	totp \
	crl_stream \
	crl_splice \
	checkpoint \
	crl_delta

UNIT_BINS := $(addprefix $(BUILD)/tests/test_,$(UNIT_TESTS))

# Fuzz harnesses: tests/fuzz/fuzz_<name>.c, corpus in tests/fuzz/corpus/<name>/.
FUZZERS    := \
	csr \
	orgid \
	ocsp \
	cmvp \
	conf \
	fips \
	policy \
	profile \
	route \
	peercert \
	enrol \
	backup \
	bundle \
	operations \
	cidr \
	logjson \
	crlnum

REPLAY_BINS := $(addprefix $(BUILD)/tests/replay_,$(FUZZERS))

SCHEMA   := $(sort $(wildcard schema/*.sql))
CONSOLE  := $(shell find console -type f 2>/dev/null)

.PHONY: all check run fuzz bench clean deps _check _test FORCE install uninstall \
    valgrind tsan
# Keep the objects of tests and fuzz harnesses between runs.
.SECONDARY:
all: $(BUILD)/eseald $(BUILD)/esealctl

deps:
	@tools/install-deps

# Object files depend on the flags they were built with.
$(BUILD)/.flags: FORCE
	@mkdir -p $(BUILD)
	@echo '$(CC) $(CFLAGS) $(LDFLAGS)' | cmp -s - $@ || echo '$(CC) $(CFLAGS) $(LDFLAGS)' > $@

$(BUILD)/gen/schema.c: $(SCHEMA) tools/embed-schema
	@mkdir -p $(@D)
	tools/embed-schema $(SCHEMA) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/console.c: $(CONSOLE) tools/embed-console
	@mkdir -p $(@D)
	tools/embed-console console > $@.tmp && mv $@.tmp $@

# Objects mirror their sources: src/ca/crl.c -> build/obj/src/ca/crl.o.
$(BUILD)/obj/%.o: %.c $(BUILD)/.flags
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c $(BUILD)/.flags
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/eseald: $(BUILD)/obj/src/eseald.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/esealctl: $(patsubst %.c,$(BUILD)/obj/%.o,$(CTL_SRCS)) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/test_%: $(BUILD)/obj/tests/unit/test_%.o \
    $(BUILD)/obj/tests/unit/testutil.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

$(BUILD)/bench/p11-sign: $(BUILD)/obj/bench/p11-sign.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/issue-inproc: $(BUILD)/obj/bench/issue-inproc.o \
    $(BUILD)/obj/tests/unit/testutil.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

$(BUILD)/tests/replay_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o \
    $(BUILD)/obj/tests/fuzz/replay.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

check: deps
	@$(MAKE) --no-print-directory WERROR=1 _check

_check: all $(UNIT_BINS) $(REPLAY_BINS)
	@tests/run-all $(BUILD) "$(UNIT_TESTS)" "$(FUZZERS)"

# The integration tests with eseald under valgrind's memcheck
# (tests/integration/lib.sh VALGRIND=1): any error, or a definite leak at
# exit, fails the test.  VALGRIND_TESTS picks others (docs/hacking.md).
VALGRIND_TESTS ?= t_enrolment t_revocation t_ocsp_signer t_authz t_totp \
    t_hostile_http
valgrind: deps
	@$(MAKE) --no-print-directory all
	@fail=0; for t in $(VALGRIND_TESTS); do \
	    echo "== valgrind: $$t"; \
	    VALGRIND=1 ESEAL_TOP=$(CURDIR) ESEAL_BUILD=$(CURDIR)/$(BUILD) \
	        sh tests/integration/$$t.sh || fail=1; \
	done; exit $$fail

# ThreadSanitizer (docs/hacking.md): TSAN_UNITS (the concurrent issuance
# suite, the issuer cache's and group commit's threads) and TSAN_TESTS
# (concurrent approvals through eseald) built with
# SANITIZE=thread in TSAN_BUILD; every process (eseald, esealctl, the
# suite) writes its reports to TSAN_BUILD/tsan/report.PID, and any report
# fails.  tests/tsan.supp: third-party false positives only, with reasons.
# NREQ: t_kill_group makes more requests up front, as groups of several
# commits form less often under TSan's slowdown.
TSAN_BUILD ?= build-tsan
TSAN_UNITS ?= issue_mt issue store
TSAN_TESTS ?= tests/reliability/t_kill_group.sh
tsan: deps
	@$(MAKE) --no-print-directory SANITIZE=thread BUILD=$(TSAN_BUILD) \
	    WERROR=1 $(TSAN_BUILD)/eseald $(TSAN_BUILD)/esealctl \
	    $(addprefix $(TSAN_BUILD)/tests/test_,$(TSAN_UNITS))
	@rm -rf $(TSAN_BUILD)/tsan && mkdir -p $(TSAN_BUILD)/tsan
	@TSAN_OPTIONS="log_path=$(CURDIR)/$(TSAN_BUILD)/tsan/report \
	    suppressions=$(CURDIR)/tests/tsan.supp second_deadlock_stack=1"; \
	export TSAN_OPTIONS; fail=0; \
	for u in $(TSAN_UNITS); do \
	    echo "== tsan: test_$$u"; \
	    CK_FORK=no $(TSAN_BUILD)/tests/test_$$u || fail=1; \
	done; \
	for t in $(TSAN_TESTS); do \
	    echo "== tsan: $$t"; \
	    NREQ=4000 ESEAL_TOP=$(CURDIR) ESEAL_BUILD=$(CURDIR)/$(TSAN_BUILD) \
	        sh $$t || \
	        fail=1; \
	done; \
	for f in $(TSAN_BUILD)/tsan/report.*; do \
	    [ -s "$$f" ] || continue; \
	    echo "FAIL ThreadSanitizer: $$f"; head -60 "$$f"; fail=1; \
	done; \
	[ $$fail = 0 ] && echo "tsan: no report"; exit $$fail

run: deps
	@$(MAKE) --no-print-directory all
	@tools/dev-run

# libFuzzer builds need clang; they live apart from the normal objects.
fuzz: deps
	@$(MAKE) --no-print-directory CC=clang BUILD=$(BUILD)/fuzz \
	    SANITIZE=fuzzer-no-link,address,undefined _fuzz
_fuzz: $(LIB)
	@mkdir -p $(BUILD)/bin
	for f in $(FUZZERS); do \
	    $(CC) $(CFLAGS) $(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined \
	        -o $(BUILD)/bin/fuzz_$$f tests/fuzz/fuzz_$$f.c $(LIB) $(LDLIBS) || exit 1; \
	done
	@echo "fuzzers in $(BUILD)/bin; run e.g. mkdir -p $(BUILD)/new-csr &&" \
	    "$(BUILD)/bin/fuzz_csr $(BUILD)/new-csr tests/fuzz/corpus/csr" \
	    "(new inputs go to the first directory; add crashers to the corpus)"

bench: all $(BUILD)/bench/p11-sign $(BUILD)/bench/issue-inproc
	@for b in bench/*; do [ -x "$$b" ] && "$$b"; done; true

# make install [PREFIX=/usr/local] [DESTDIR=] [sysconfdir=$(PREFIX)/etc]
#   [localstatedir=$(PREFIX)/var]: tools/install-files says what goes where.
#   It installs what `make` built (and refuses if nothing is), so that a
#   root `make install` never rebuilds.
PREFIX        ?= /usr/local
sysconfdir    ?= $(PREFIX)/etc
localstatedir ?= $(PREFIX)/var
INSTALL_ENV = BUILD=$(BUILD) DESTDIR=$(DESTDIR) PREFIX=$(PREFIX) \
    sysconfdir=$(sysconfdir) localstatedir=$(localstatedir)
install:
	@$(INSTALL_ENV) tools/install-files install
uninstall:
	@$(INSTALL_ENV) tools/install-files uninstall

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
