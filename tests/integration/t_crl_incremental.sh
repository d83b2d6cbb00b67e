#!/bin/sh
# t_crl_incremental.sh: the incremental CRL path (issue 17 item 2) through
# eseald.  An issuer with 4 CRL shards and 20,000 revoked certificates in
# its store; eseald running.  A revocation is published by a spliced CRL
# (the log says how=spliced) that lists it; several revocations given
# together are all on the last CRL of their shards; after a restart a
# revocation is spliced too (the state is the stored CRL, not memory);
# revocations across shards: each shard's served CRL lists exactly the
# revoked serials of its shard (numbers, the store's serial_shard rule),
# verifies with openssl crl -CAfile and certtool, and every shard's CRL
# numbers strictly increase in the order they were recorded.
. "$(dirname "$0")/lib.sh"

N=${CRL_INCR_N:-20000}
SHARDS=4
setup_ca ec-p256 "[ca]
crl_shards = $SHARDS"
ctl init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
sql "SELECT writefile('$T/ca.der', cert) FROM issuers WHERE id = 1" >/dev/null
openssl x509 -inform DER -in "$T/ca.der" -out "$T/ca.pem"

# shard_of SERIAL: the store's rule (serial_shard: low 32 bits mod shards).
shard_of() { python3 -c "import sys; print(int(sys.argv[1][-8:], 16) % $SHARDS)" "$1"; }

# N revoked, 12 issued and not yet revoked (their shard as issuance sets it).
sqlite3 "$T/eseal.db" <<SQL
PRAGMA synchronous=OFF;
BEGIN;
CREATE TEMP TABLE s AS
  WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $N + 12)
  SELECT i, '7' || substr(lower(hex(randomblob(16))), 2) AS serial FROM c;
INSERT INTO certificates (serial, issuer_id, status, tbs, cert, subject,
    spki_sha256, not_before, not_after, shard, created, updated,
    org_identifier)
  SELECT serial, 1, 'issued', x'3003020100', x'300a3003020100300003010000',
    'CN=t', randomblob(32), unixepoch() - 86400, unixepoch() + 300 * 86400,
    0, unixepoch() - 86400, unixepoch(), 'NTRJP-7123456789012' FROM s;
INSERT INTO revocations (serial, reason, revoked_at, invalidity_date,
    requested_by)
  SELECT serial, 1 + 3 * (i % 2), unixepoch() - 3600, NULL, 't' FROM s
  WHERE i <= $N;
COMMIT;
SQL
for s in $(sql "SELECT serial FROM certificates WHERE serial NOT IN (SELECT serial FROM revocations)"); do
	sql "UPDATE certificates SET shard = $(shard_of "$s") WHERE serial = '$s'"
done
set -- $(sql "SELECT serial FROM certificates WHERE serial NOT IN (SELECT serial FROM revocations) ORDER BY serial")
expect_eq "12 certificates to revoke" "$#" 12
ctl crl generate >/dev/null 2>&1 || { echo "crl generate failed"; exit 1; }
expect_eq "a first CRL per shard" "$(sql "SELECT COUNT(*) FROM crls")" "$SHARDS"

# fetch SHARD: the served CRL of the shard into $T/SHARD.der; 0 if 200.
fetch() {
	[ "$(curl -s -o "$T/$1.der" -w '%{http_code}' "$PUB/crl/it-ca/$1.crl")" = 200 ]
}
# listed SERIAL: 0 once its shard's served CRL lists it (within 5 s).
listed() {
	sh_=$(shard_of "$1")
	for _ in $(seq 1 100); do
		fetch "$sh_" && openssl crl -inform DER -in "$T/$sh_.der" -noout \
		    -text 2>/dev/null | tr -d ' :\n' | grep -qi "SerialNumber$1" &&
		    return 0
		sleep 0.05
	done
	return 1
}
spliced() { grep -c 'msg="CRL generated".*how=spliced' "$T/eseald.log"; }

# Revocations through the API (eseald signs the CRL, debounced).
pw=$(ctl account add ra1 --role ra 2>&1 | sed -n 's/.*first login): //p')
C="curl -s --cacert $T/tls.crt"
J="Content-Type: application/json"
post() { $C -X POST -H "$J" ${3:+-H "Authorization: Bearer $3"} -d "$2" -w ' %{http_code}' "$URL$1"; }
jget() { /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.stdin.read().rsplit(" ",1)[0]); print(d'"$1"')'; }
login() {
	r=$(post /api/v1/session "{\"username\":\"ra1\",\"password\":\"$pw\"}")
	tok=$(printf '%s' "$r" | jget '["token"]')
}
# revoke SERIAL REASON: 0 if the API says 200.
revoke() {
	case $(post "/api/v1/certificates/$1/revoke" "{\"reason\":\"$2\"}" "$tok") in
	*" 200") return 0 ;;
	esac
	return 1
}

start_daemon || exit 1
login
r=$(post /api/v1/session/password "{\"old_password\":\"$pw\",\"new_password\":\"correct horse battery staple\"}" "$tok")
tok=$(printf '%s' "$r" | jget '["token"]')
pw="correct horse battery staple"
# One revocation: a spliced CRL lists it.
check "API revocation: 200" revoke "$1" keyCompromise
check "a revocation is on its shard's CRL within 5 s" listed "$1"
expect_eq "the CRL was spliced from the last one" "$(spliced)" 1
shift

# Several at once (one debounce window or more): the last CRLs list all.
pids=""
for s in "$1" "$2" "$3" "$4" "$5"; do
	revoke "$s" superseded &
	pids="$pids $!"
done
wait_n=0
for s in "$1" "$2" "$3" "$4" "$5"; do
	listed "$s" || wait_n=$((wait_n + 1))
done
wait $pids
expect_eq "five revoked together: all listed" "$wait_n" 0
shift 5
check "no CRL was built in full" sh -c "! grep -q 'how=full' '$T/eseald.log'"
expect_eq "the five's shards: spliced CRLs (one or more)" "$(($(spliced) >= 2))" 1

# A restart: the incremental state is the stored CRL.
stop_daemon
start_daemon || exit 1
login
check "after a restart: API revocation 200" revoke "$1" keyCompromise
check "after a restart: listed" listed "$1"
expect_eq "after a restart: spliced" "$(spliced)" 1
shift
# A raise to keyCompromise of an entry already listed, in place.
check "a raise to keyCompromise: 200" revoke "$(sql "SELECT serial FROM revocations WHERE reason = 4 AND requested_by != 't' LIMIT 1")" keyCompromise
for s in "$@"; do revoke "$s" cessationOfOperation || not_ok "revoke $s"; done
for s in "$@"; do check "across shards: $s listed" listed "$s"; done
sleep 1.5	# any CRL still owed goes out
check "nothing owed" sh -c "[ \"\$(sqlite3 '$T/eseal.db' 'SELECT COUNT(*) FROM crl_owed')\" = 0 ]"

# Every shard: exactly its revoked serials, reasons as stored, verified.
for sh in $(seq 0 $((SHARDS - 1))); do
	fetch "$sh" || not_ok "shard $sh: CRL served"
	v=$(openssl crl -inform DER -in "$T/$sh.der" -noout -CAfile "$T/ca.pem" 2>&1)
	expect_match "shard $sh: openssl crl -CAfile" "$v" "verify OK"
	openssl crl -inform DER -in "$T/$sh.der" -out "$T/$sh.pem"
	g=$(certtool --verify-crl --load-ca-certificate "$T/ca.pem" --infile "$T/$sh.pem" 2>&1)
	expect_match "shard $sh: certtool --verify-crl" "$g" "Verified"
	sql "SELECT serial || ' ' || reason FROM revocations" > "$T/store.rows"
	r=$(python3 - "$T/$sh.der" "$T/store.rows" "$sh" "$SHARDS" <<'PY'
import sys
from cryptography import x509
crl = x509.load_der_x509_crl(open(sys.argv[1], "rb").read())
sh, n = int(sys.argv[3]), int(sys.argv[4])
names = {1: "key_compromise", 4: "superseded", 5: "cessation_of_operation"}
want = {}
for line in open(sys.argv[2]):
    s, reason = line.split()
    if int(s[-8:], 16) % n == sh:
        want[int(s, 16)] = names[int(reason)]
got = {}
for e in crl:
    try:
        got[e.serial_number] = e.extensions.get_extension_for_class(
            x509.CRLReason).value.reason.name
    except x509.ExtensionNotFound:
        got[e.serial_number] = "unspecified"
print("same" if got == want else "differ: %d listed, %d revoked" % (len(got), len(want)))
PY
)
	expect_eq "shard $sh: lists exactly its revoked serials and reasons" "$r" same
	nums=$(sql "SELECT number FROM crls WHERE shard = $sh ORDER BY rowid" | tr '\n' ' ')
	inc=$(echo "$nums" | awk '{ for (i = 2; i <= NF; i++) if ($i <= $(i-1)) { print "no"; exit } print "yes" }')
	expect_eq "shard $sh: CRL numbers strictly increase ($nums)" "$inc" yes
done
stop_daemon
done_testing
