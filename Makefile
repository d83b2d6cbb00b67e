# eseal-ca: plain GNU make.
#   make              build/libeseal.a, build/eseald, build/esealctl
#   make check        install deps, build with -Werror, run every test
#   make run          install deps, prepare var/dev/, run eseald in the foreground
#   make fuzz         build the libFuzzer harnesses (clang)
#   make bench        run the benchmarks in bench/
#   make clean
#   SANITIZE=address,undefined  switches sanitizers on for any target

BUILD    := build
CC       ?= cc
PKGS     := libp11 libcrypto libssl p11-kit-1 libmicrohttpd gnutls sqlite3 \
            jansson inih libsodium
# Lazy (=) so that pkg-config runs only after install-deps in check/run.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
CHECK_LIBS = $(shell pkg-config --libs check)

WARN     := -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wshadow \
            -Wpointer-arith -Wwrite-strings -Wformat=2
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -DOPENSSL_API_COMPAT=30000 \
            $(WARN) $(if $(WERROR),-Werror) -Iinclude -I$(BUILD)/gen \
            -MMD -MP -pthread
LDLIBS   = $(PKG_LIBS) -ldl -pthread
ifdef SANITIZE
CFLAGS   += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=$(SANITIZE)
endif

# The library: every module in src/ but eseald.c, one per line.
LIB_SRCS := \
	src/err.c \
	src/log.c \
	src/conf.c \
	src/keytype.c \
	src/date.c \
	src/store.c \
	src/p11.c \
	src/serial.c \
	src/audit.c \
	src/store_account.c \
	src/account.c \
	src/ca.c \
	src/csr.c \
	src/orgid.c \
	src/qcs.c \
	src/profile.c \
	src/issuer.c \
	src/fips.c \
	src/cmvp.c \
	src/policy.c \
	src/lint.c \
	src/issue.c \
	src/store_revoke.c \
	src/revoke.c \
	src/crl.c \
	src/ocsp.c \
	src/ocsp_cache.c \
	src/store_ocsp.c \
	src/ocsp_signer.c \
	src/publish.c \
	src/http.c \
	src/api_publish.c \
	src/api_ocsp.c \
	src/api_session.c \
	src/api_ra.c \
	src/api_enrol.c \
	src/store_enrol.c \
	src/enrol.c \
	src/disclosure.c \
	src/enrol_issue.c \
	$(BUILD)/gen/schema.c

LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(notdir $(LIB_SRCS)))
LIB      := $(BUILD)/libeseal.a

# Check suites, one per module.
UNIT_TESTS := \
	conf \
	p11 \
	store \
	issue \
	csr \
	orgid \
	policy \
	fips \
	cmvp \
	revoke \
	crl \
	ocsp \
	ocsp_signer \
	account \
	lint \
	csrpolicy \
	enrol

UNIT_BINS := $(addprefix $(BUILD)/tests/test_,$(UNIT_TESTS))

# Fuzz harnesses: tests/fuzz/fuzz_<name>.c, corpus in tests/fuzz/corpus/<name>/.
FUZZERS    := \
	csr \
	orgid \
	ocsp \
	cmvp
REPLAY_BINS := $(addprefix $(BUILD)/tests/replay_,$(FUZZERS))

SCHEMA   := $(sort $(wildcard schema/*.sql))

.PHONY: all check run fuzz bench clean deps _check _test FORCE
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

vpath %.c src $(BUILD)/gen tools tests/unit tests/fuzz

$(BUILD)/obj/%.o: %.c $(BUILD)/.flags
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/eseald: $(BUILD)/obj/eseald.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/esealctl: $(BUILD)/obj/esealctl.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/test_%: $(BUILD)/obj/test_%.o $(BUILD)/obj/testutil.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

$(BUILD)/tests/replay_%: $(BUILD)/obj/fuzz_%.o $(BUILD)/obj/replay.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

check: deps
	@$(MAKE) --no-print-directory WERROR=1 _check

_check: all $(UNIT_BINS) $(REPLAY_BINS)
	@tests/run-all $(BUILD) "$(UNIT_TESTS)" "$(FUZZERS)"

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

bench: all
	@for b in bench/*; do [ -x "$$b" ] && "$$b"; done; true

clean:
	rm -rf $(BUILD)

-include $(wildcard $(BUILD)/obj/*.d)
