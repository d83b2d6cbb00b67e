# lib.sh: shared set-up for the benchmarks in bench/ (sourced, not run, and
# not executable, so that `make bench` skips it).  Like
# tests/integration/lib.sh: each benchmark gets its own temporary directory
# with a SoftHSM token, a store, a config and a TLS certificate, its daemon
# listens on free ports, and everything it started is stopped at exit.
# Nothing here touches var/dev/.
set -u

: "${ESEAL_TOP:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${ESEAL_BUILD:=$ESEAL_TOP/build}"
for b in esealctl eseald; do
	[ -x "$ESEAL_BUILD/$b" ] ||
	    { echo "$(basename "$0"): $ESEAL_BUILD/$b missing: run make" >&2; exit 1; }
	# Figures of a sanitizer build mean nothing.
	if ldd "$ESEAL_BUILD/$b" 2>/dev/null | grep -Eq 'lib(a|t|ub|l)san'; then
		echo "$(basename "$0"): $ESEAL_BUILD/$b is a sanitizer build:" \
		    "run make without SANITIZE first" >&2
		exit 1
	fi
done
T=$(mktemp -d "${TMPDIR:-/tmp}/eseal-bench-XXXXXX")
# Our own copies: a rebuild of build/ during the run must not change them.
mkdir -p "$T/bin"
cp "$ESEAL_BUILD/esealctl" "$ESEAL_BUILD/eseald" "$T/bin/"
ESEALCTL=$T/bin/esealctl
ESEALD=$T/bin/eseald
export ESEAL_DEV_ROOT=1	# eseald as root in $T (docs/operations.md)
cd "$T" || exit 1	# whatever a tool writes beside itself lands in $T
export SOFTHSM2_CONF=$T/hsm/softhsm2.conf
ESEALD_PID=""
BG_PIDS=""		# other processes we started (nginx, openssl ocsp)

# bg_start CMD...: runs CMD in the background; BG_PID is its id.
# bg_stop PID: TERM to it (to its process group if it leads one, as
# openssl ocsp -multi does, so that its children go too), KILL after 2 s.
# (Not setsid: openssl ocsp -multi then fails to make its own group.)
bg_start() {
	"$@" &
	BG_PID=$!
	BG_PIDS="$BG_PIDS $BG_PID"
}
bg_stop() {
	kill -s TERM -- "-$1" 2>/dev/null || kill -s TERM "$1" 2>/dev/null
	for _ in $(seq 1 20); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -s KILL -- "-$1" 2>/dev/null || kill -s KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	BG_PIDS=$(echo "$BG_PIDS" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
}

cleanup() {
	[ -n "$ESEALD_PID" ] && kill "$ESEALD_PID" 2>/dev/null
	for p in $BG_PIDS; do bg_stop "$p"; done
	wait 2>/dev/null
	if [ -n "${KEEP:-}" ]; then echo "(kept $T)"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need() {
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
		    { echo "$(basename "$0"): needs $c" >&2; exit 1; }
	done
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# ratio A B [DIGITS]: A/B, or "-" if B is zero or either is missing.
ratio() {
	awk -v a="${1:-}" -v b="${2:-}" -v d="${3:-2}" 'BEGIN {
		if (a == "" || b == "" || b + 0 == 0) { print "-"; exit }
		printf "%.*f\n", d, a / b }'
}

# setup_ca [KEYTYPE] [EXTRA-CONFIG]: token, config, TLS certificate.
setup_ca() {
	"$ESEAL_TOP/tools/softhsm-dev-token" "$T/hsm" bench >/dev/null
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
token = pkcs11:token=bench
pin_file = $T/hsm/pin
registry = $ESEAL_TOP/conf/hsm-modules.dev.conf
[ca]
issuer = bench-ca
country = JP
organization = Benchmark Certification Co.
common_name = Benchmark e-Seal CA
key_type = ${1:-ec-p256}
[issue]
profiles_dir = $ESEAL_TOP/conf/profiles
crypto_policy = $ESEAL_TOP/conf/crypto-policy.conf
[enrol]
disclosure_dir = $ESEAL_TOP/conf/disclosure
[accounts]
argon2 = min
[log]
level = warn
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

# ca_pem: the issuer's certificate from the store into $T/ca.pem.
ca_pem() {
	sqlite3 "$T/eseal.db" "SELECT writefile('$T/ca.der', cert) FROM issuers
	    WHERE id = 1" >/dev/null &&
	openssl x509 -inform DER -in "$T/ca.der" -out "$T/ca.pem"
}

# start_daemon: runs eseald in the background, waits for /healthz.
start_daemon() {
	"$ESEALD" --config "$CONF" > "$T/eseald.log" 2>&1 &
	ESEALD_PID=$!
	for _ in $(seq 1 300); do
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
	ESEALD_PID=""
}

# insert_revoked N: N issued and revoked certificates of issuer 1, shard 0,
# straight into the store in one transaction.  Serials: 16 random octets,
# the top bit clear (as serial_new draws them), lower-case hex.  Reasons
# alternate keyCompromise (1) and superseded (4).
insert_revoked() {
	sqlite3 "$T/eseal.db" <<SQL

PRAGMA synchronous=OFF;
BEGIN;
CREATE TEMP TABLE s AS
  WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $1)
  SELECT i, '7' || substr(lower(hex(randomblob(16))), 2) AS serial FROM c;
INSERT INTO certificates (serial, issuer_id, status, tbs, cert, subject,
    spki_sha256, not_before, not_after, shard, created, updated,
    org_identifier)
  SELECT serial, 1, 'issued', x'3003020100', x'300a3003020100300003010000',
    'CN=bench', randomblob(32), unixepoch() - 86400,
    unixepoch() + 300 * 86400, 0, unixepoch() - 86400, unixepoch(),
    'NTRJP-7123456789012' FROM s;
INSERT INTO revocations (serial, reason, revoked_at, invalidity_date,
    requested_by)
  SELECT serial, CASE WHEN i % 2 THEN 1 ELSE 4 END, unixepoch() - (i % 86400),
    NULL, 'bench' FROM s;
COMMIT;
SQL
}

# insert_issued N: N issued certificates of issuer 1, shard 0, straight
# into the store in one transaction, as insert_revoked makes them (random
# serials and key hashes, a dummy TBS and certificate, valid for 300 days
# more) but not revoked: a store that has issued a lot.
insert_issued() {
	sqlite3 "$T/eseal.db" <<SQL
PRAGMA synchronous=OFF;
BEGIN;
INSERT INTO certificates (serial, issuer_id, status, tbs, cert, subject,
    spki_sha256, not_before, not_after, shard, created, updated,
    org_identifier)
  WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $1)
  SELECT '7' || substr(lower(hex(randomblob(16))), 2), 1, 'issued',
    x'3003020100', x'300a3003020100300003010000', 'CN=bench',
    randomblob(32), unixepoch() - 86400, unixepoch() + 300 * 86400, 0,
    unixepoch() - 86400, unixepoch(), 'NTRJP-7123456789012' FROM c;
COMMIT;
SQL
}

# wrk_run OUT ARGS...: runs wrk --latency ARGS, keeps its output in OUT and
# sets RPS (requests/s), P50 and P99 (ms), REQS (requests done), ERRS
# (socket errors: connect, read, write, timeout), NON2XX (responses not
# 2xx/3xx) and BPR (bytes read per request).
wrk_run() {
	out=$1; shift
	wrk --latency "$@" > "$out" 2>&1
	eval "$(awk '
	function ms(v) {
		if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
		if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
		if (v ~ /m$/) return substr(v, 1, length(v) - 1) * 60000
		if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
		return v + 0
	}
	function bytes(v) {
		if (v ~ /KB$/) return substr(v, 1, length(v) - 2) * 1024
		if (v ~ /MB$/) return substr(v, 1, length(v) - 2) * 1048576
		if (v ~ /GB$/) return substr(v, 1, length(v) - 2) * 1073741824
		if (v ~ /B$/) return substr(v, 1, length(v) - 1) + 0
		return v + 0
	}
	$1 == "50%" { p50 = ms($2) }
	$1 == "99%" { p99 = ms($2) }
	$1 == "Requests/sec:" { rps = $2 }
	/requests in/ { reqs = $1; rd = bytes($5) }
	/Socket errors:/ { gsub(",", ""); errs = $4 + $6 + $8 + $10 }
	/Non-2xx or 3xx responses:/ { non = $5 }
	END {
		# (parenthesised: a bare ">" in print is a redirection)
		printf("RPS=%s P50=%.2f P99=%.2f REQS=%s ERRS=%d NON2XX=%d " \
		    "BPR=%.0f\n", (rps == "" ? 0 : rps), p50, p99,
		    (reqs == "" ? 0 : reqs), errs, non, (reqs > 0 ? rd / reqs : 0))
	}' "$out")"
}
