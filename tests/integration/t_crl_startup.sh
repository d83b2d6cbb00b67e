#!/bin/sh
# t_crl_startup.sh: no start-up block (issue 17).  eseald starts on a store
# with a large CRL already signed and a revocation owed since (accepted,
# its CRL not yet made when eseald stopped): the CRL route answers at once
# with the last stored CRL, still valid, while the fresh one is built in
# the background; OCSP answers "revoked" from the store from the first
# request; /healthz names the shard being rebuilt; then the new CRL, with
# a higher number, lists the owed revocation too.
. "$(dirname "$0")/lib.sh"

N=${CRL_STARTUP_N:-200000}
# expired_on_crl = 0: the rebuild is then a full build from the store (an
# entry may have to leave as it expires, so no splice), about a second at
# 200,000 entries; the incremental path (a splice from the served CRL)
# can end before the first request is answered, and the test would race.
setup_ca ec-p256 "[publish]
expired_on_crl = 0"
ctl init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
sql "SELECT writefile('$T/ca.der', cert) FROM issuers WHERE id = 1" >/dev/null
openssl x509 -inform DER -in "$T/ca.der" -out "$T/ca.pem"
csr ee ec:P-256
ctl issue --csr "$T/ee.csr" --register --name "株式会社サンプル" \
    --corporate-number 7123456789012 --evidence "registry extract" \
    --out "$T/ee.pem" >/dev/null 2>&1 || { echo "issue failed"; exit 1; }
# The serial as stored (the only certificate yet).
serial=$(sql "SELECT serial FROM certificates")
crl_url=$(openssl x509 -in "$T/ee.pem" -noout -ext crlDistributionPoints | sed -n 's/.*URI://p' | tr -d ' ')

sqlite3 "$T/eseal.db" <<SQL
PRAGMA synchronous=OFF;
BEGIN;
CREATE TEMP TABLE s AS
  WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $N)
  SELECT i, '7' || substr(lower(hex(randomblob(16))), 2) AS serial FROM c;
INSERT INTO certificates (serial, issuer_id, status, tbs, cert, subject,
    spki_sha256, not_before, not_after, shard, created, updated,
    org_identifier)
  SELECT serial, 1, 'issued', x'3003020100', x'300a3003020100300003010000',
    'CN=t', randomblob(32), unixepoch() - 86400, unixepoch() + 300 * 86400,
    0, unixepoch() - 86400, unixepoch(), 'NTRJP-7123456789012' FROM s;
INSERT INTO revocations (serial, reason, revoked_at, invalidity_date,
    requested_by)
  SELECT serial, 1, unixepoch() - 3600, NULL, 't' FROM s;
COMMIT;
SQL
ctl crl generate >/dev/null 2>&1
expect_eq "a CRL of $N entries signed before the start" "$(sql "SELECT MAX(number) FROM crls")" 1
# Revoked while eseald was down, its CRL still owed (as a crash leaves it).
sql "INSERT INTO revocations (serial, reason, revoked_at, requested_by)
    VALUES ('$serial', 1, unixepoch(), 't');
    INSERT INTO crl_owed (issuer_id, shard, serial, since)
    VALUES (1, 0, '$serial', unixepoch())"
expect_eq "the owed revocation is in the store" "$(sql "SELECT COUNT(*) FROM crl_owed o JOIN revocations r ON r.serial = o.serial")" 1

t0=$(date +%s.%N)
"$ESEALD" --config "$CONF" > "$T/eseald.log" 2>&1 &
ESEALD_PID=$!
code=000
# /healthz asked every 20 ms from the start, in the background: the
# rebuild (a full build of N entries, about a second) is shorter than the
# wait for one request after another, but some answer falls within it
# (bounded: 500 tries, stopped once the rebuilt CRL is served).
( for _ in $(seq 1 500); do
	curl -s --cacert "$T/tls.crt" "$URL/healthz" 2>/dev/null && echo
	sleep 0.02
done > "$T/healthz.log" ) &
HPID=$!
for _ in $(seq 1 300); do
	code=$(curl -s -o "$T/crl1.der" -w '%{http_code}' "$crl_url" 2>/dev/null)
	[ "$code" = 200 ] && break
	sleep 0.02
done
t1=$(date +%s.%N)
o=$(openssl ocsp -issuer "$T/ca.pem" -cert "$T/ee.pem" -url "$PUB/ocsp" \
    -CAfile "$T/ca.pem" 2>&1)
t2=$(date +%s.%N)
expect_eq "CRL route answers 200 right after the start" "$code" 200
n1=$(openssl crl -inform DER -in "$T/crl1.der" -noout -crlnumber 2>/dev/null | cut -d= -f2 | sed "s/^0x0*//")
expect_eq "first answer: the stored CRL (number 1), served before the rebuild finished" "$n1" 1
v=$(openssl crl -inform DER -in "$T/crl1.der" -noout -CAfile "$T/ca.pem" 2>&1)
expect_match "the stored CRL verifies" "$v" "verify OK"
expect_match "OCSP from the store at once: revoked" "$o" "ee.pem: revoked"
# Owed until the rebuild starts, rebuilding until its CRL is served.
h=$(grep -E '"rebuilding": *\[ *"it-ca/0" *\]|"owed": *\[ *\{[^]]*"issuer": *"it-ca", *"shard": *0' "$T/healthz.log" | head -1)
expect_match "healthz names the shard being rebuilt (or owed, not yet begun)" \
    "$h" '"rebuilding": *\[ *"it-ca/0" *\]|"owed": *\[ *\{[^]]*"issuer": *"it-ca", *"shard": *0'
echo "  (start to first CRL answer $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s, to OCSP answer $(awk -v a="$t0" -v b="$t2" 'BEGIN { printf "%.2f", b - a }') s)"

# The rebuild finishes in the background: number 2, with the owed serial.
n2=""
for _ in $(seq 1 600); do
	curl -s -o "$T/crl2.der" "$crl_url" 2>/dev/null
	n2=$(openssl crl -inform DER -in "$T/crl2.der" -noout -crlnumber 2>/dev/null | cut -d= -f2 | sed "s/^0x0*//")
	[ "$n2" = 2 ] && break
	sleep 0.1
done
kill "$HPID" 2>/dev/null
wait "$HPID" 2>/dev/null
expect_eq "rebuilt CRL served: number 2" "$n2" 2
openssl crl -inform DER -in "$T/crl2.der" -out "$T/crl2.pem" 2>/dev/null
v=$(openssl verify -crl_check -CAfile "$T/ca.pem" -CRLfile "$T/crl2.pem" "$T/ee.pem" 2>&1)
expect_match "rebuilt CRL lists the owed revocation" "$v" "certificate revoked"
expect_eq "rebuilt CRL: $N + 1 entries" "$(openssl crl -in "$T/crl2.pem" -noout -text | grep -c 'Serial Number:')" "$((N + 1))"
h=$(curl -s --cacert "$T/tls.crt" "$URL/healthz")
expect_match "healthz: nothing rebuilding afterwards" "$h" '"rebuilding": *\[ *\]'
stop_daemon
done_testing
