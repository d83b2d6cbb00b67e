# lib.sh: shared set-up for the integration tests.  Each test gets its own
# temporary directory with a SoftHSM token, a store, a config and a TLS
# certificate, and its daemon listens on a free port.  Sourced, not run.
set -u

: "${ESEAL_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${ESEAL_BUILD:=$ESEAL_TOP/build}"
ESEALCTL=$ESEAL_BUILD/esealctl
ESEALD=$ESEAL_BUILD/eseald
# Tests run eseald as root in a directory of their own; eseald refuses
# root without --user otherwise (docs/operations.md).
export ESEAL_DEV_ROOT=1
T=$(mktemp -d "${TMPDIR:-/tmp}/eseal-it-XXXXXX")
export SOFTHSM2_CONF=$T/hsm/softhsm2.conf
ESEALD_PID=""
FAILS=0
TESTS=0

# VALGRIND=1: start_daemon runs eseald under valgrind's memcheck (make
# valgrind, docs/hacking.md); any error, or a definite leak at exit, fails
# the test, reported by stop_daemon or, for a daemon still running at the
# end, here.
VALGRIND=${VALGRIND:-}
VG_SUPP=$ESEAL_TOP/tests/valgrind.supp
cleanup() {
	[ -n "$ESEALD_PID" ] && kill "$ESEALD_PID" 2>/dev/null
	wait 2>/dev/null
	if [ -n "$VALGRIND" ]; then
		for f in "$T"/valgrind.*.log; do
			[ -s "$f" ] || continue
			echo "  FAIL valgrind memcheck of eseald: $f"; head -80 "$f"
			FAILS=$((FAILS + 1))
		done
	fi
	if [ "$FAILS" -eq 0 ]; then rm -rf "$T"; else echo "  (kept $T)"; exit 1; fi
}
trap cleanup EXIT

ok() { TESTS=$((TESTS + 1)); echo "  ok   $*"; }
not_ok() { TESTS=$((TESTS + 1)); FAILS=$((FAILS + 1)); echo "  FAIL $*"; }
# check DESCRIPTION COMMAND...: passes if the command succeeds.
check() { d=$1; shift; if "$@" >/dev/null 2>&1; then ok "$d"; else not_ok "$d"; fi; }
# expect_eq DESCRIPTION GOT WANT
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: got [$2], want [$3]"; fi; }
# expect_match DESCRIPTION TEXT PATTERN (grep -E)
expect_match() {
	if printf '%s' "$2" | grep -Eq -- "$3"; then ok "$1"
	else not_ok "$1: [$2] does not match /$3/"; fi
}
done_testing() {
	echo "  $((TESTS - FAILS))/$TESTS passed"
	[ "$FAILS" -eq 0 ]
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# setup_ca [KEYTYPE] [EXTRA-CONFIG]: token, config, TLS certificate.
setup_ca() {
	"$ESEAL_TOP/tools/softhsm-dev-token" "$T/hsm" it >/dev/null
	PORT=$(free_port)
	PPORT=$(free_port)
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/tls.key" -out "$T/tls.crt" -days 2 -subj /CN=127.0.0.1 \
	    -addext subjectAltName=IP:127.0.0.1 2>/dev/null
	cat > "$T/eseald.conf" <<CONF
[store]
path = $T/eseal.db
[hsm]
module = /usr/lib/softhsm/libsofthsm2.so
token = pkcs11:token=it
pin_file = $T/hsm/pin
registry = ${REGISTRY:-$ESEAL_TOP/conf/hsm-modules.dev.conf}
[ca]
issuer = it-ca
country = JP
organization = Integration Test Certification Co.
common_name = Integration Test e-Seal CA
key_type = ${1:-ec-p256}
[issue]
profiles_dir = $ESEAL_TOP/conf/profiles
crypto_policy = $ESEAL_TOP/conf/crypto-policy.conf
[enrol]
disclosure_dir = $ESEAL_TOP/conf/disclosure
[accounts]
argon2 = min
[publish]
listen = 127.0.0.1:$PPORT
base_url = http://127.0.0.1:$PPORT
dir = $T/pub
[http]
listen = 127.0.0.1:$PORT
tls_cert = $T/tls.crt
tls_key = $T/tls.key
${2:-}
CONF
	CONF=$T/eseald.conf
	URL=https://127.0.0.1:$PORT
	PUB=http://127.0.0.1:$PPORT
}

ctl() { "$ESEALCTL" --config "$CONF" "$@"; }

# start_daemon: runs eseald in the background, waits for /healthz.
start_daemon() {
	if [ -n "$VALGRIND" ]; then
		valgrind --quiet --error-exitcode=99 --leak-check=full \
		    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
		    --suppressions="$VG_SUPP" --log-file="$T/valgrind.%p.log" \
		    "$ESEALD" --config "$CONF" > "$T/eseald.log" 2>&1 &
	else
		"$ESEALD" --config "$CONF" > "$T/eseald.log" 2>&1 &
	fi
	ESEALD_PID=$!
	for _ in $(seq 1 "$([ -n "$VALGRIND" ] && echo 1200 || echo 100)"); do
		curl -s --cacert "$T/tls.crt" "$URL/healthz" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "eseald did not start:"; cat "$T/eseald.log"
	return 1
}

stop_daemon() {
	kill -TERM "$ESEALD_PID"
	wait "$ESEALD_PID"
	DAEMON_RC=$?
	if [ -n "$VALGRIND" ]; then
		vg=$T/valgrind.$ESEALD_PID.log
		expect_eq "valgrind memcheck of eseald (pid $ESEALD_PID): no error, no definite leak" \
		    "$(grep -c . "$vg" 2>/dev/null)/$DAEMON_RC" "0/0"
		[ -s "$vg" ] && head -80 "$vg"
		mv "$vg" "$vg.reported" 2>/dev/null
	fi
	ESEALD_PID=""
}

# csr NAME KEYSPEC (ec:P-256 | rsa:3072): a CSR made now, key kept in $T.
csr() {
	case $2 in
	ec:*) openssl req -new -newkey ec -pkeyopt "ec_paramgen_curve:${2#ec:}" \
	    -nodes -keyout "$T/$1.key" -subj "/CN=$1" -out "$T/$1.csr" 2>/dev/null ;;
	rsa:*) openssl req -new -newkey "$2" -nodes -keyout "$T/$1.key" \
	    -subj "/CN=$1" -out "$T/$1.csr" 2>/dev/null ;;
	esac
}

sql() { sqlite3 "$T/eseal.db" "$1"; }
