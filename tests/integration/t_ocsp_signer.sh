#!/bin/sh
# t_ocsp_signer.sh: a delegated OCSP signer against a live eseald with
# [ocsp] signer = delegated: before one exists the issuer key answers (and
# the log says so); `esealctl ocsp signer create` makes one; then answers
# carry its certificate and verify with the CA certificate alone
# (openssl ocsp -CAfile, no -VAfile); nonce-less GETs come from the cache
# (same bytes, Cache-Control within nextUpdate) yet show a revocation made
# by esealctl in another process at once.
. "$(dirname "$0")/lib.sh"

setup_ca ec-p256 "[ocsp]
signer = delegated
validity_secs = 600"
ctl init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
python3 - "$T/eseal.db" "$T/ca.der" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
open(sys.argv[2], "wb").write(c.execute("SELECT cert FROM issuers").fetchone()[0])
PY
openssl x509 -inform DER -in "$T/ca.der" -out "$T/ca.pem"
csr ee ec:P-256
ctl issue --csr "$T/ee.csr" --register --name "株式会社サンプル" \
    --corporate-number 7123456789012 --evidence "registry extract" --out "$T/ee.pem" >/dev/null 2>&1 ||
    { echo "issue failed"; exit 1; }
serial=$(openssl x509 -in "$T/ee.pem" -noout -serial | cut -d= -f2)

start_daemon || exit 1
ocsp() {
	openssl ocsp -issuer "$T/ca.pem" -cert "$T/ee.pem" -url "$PUB/ocsp" \
	    -CAfile "$T/ca.pem" -resp_text "$@" 2>&1
}
o=$(ocsp)
expect_match "no signer yet: verified" "$o" "Response verify OK"
expect_match "no signer yet: good" "$o" "ee.pem: good"
if printf '%s' "$o" | grep -q "OCSP Signing"; then not_ok "no signer yet: no certificate attached"; else ok "no signer yet: no certificate attached"; fi
expect_match "no signer yet: the log says the issuer key signs" \
    "$(cat "$T/eseald.log")" "signer = delegated, but the issuer key signs"

out=$(ctl ocsp signer create --validity-days 30 2>&1); rc=$?
expect_eq "ocsp signer create exits 0" "$rc" 0
expect_match "ocsp signer create says what it made" "$out" \
    "^OCSP signer created for it-ca: serial [0-9a-f]+, ec-p256, valid until "
expect_eq "one signer recorded" "$(sql "SELECT COUNT(*) FROM ocsp_signers WHERE status='active'")" 1
expect_eq "its certificate is issued" "$(sql "SELECT c.status FROM certificates c JOIN ocsp_signers s ON s.serial = c.serial")" issued
expect_eq "audited" "$(sql "SELECT COUNT(*) FROM audit WHERE action='ocsp.signer.create'")" 1
o=$(ctl ocsp signer create --key-type ed25519 2>&1); rc=$?
expect_eq "bad key type: usage error" "$rc" 2
out=$(ctl audit verify 2>&1)
expect_match "audit chain intact" "$out" "hash chain intact"

o=$(ocsp)
expect_match "delegated: verified with the CA certificate only" "$o" "Response verify OK"
expect_match "delegated: good" "$o" "ee.pem: good"
expect_match "delegated: the signer certificate is attached" "$o" "OCSP Signing"
expect_match "delegated: ocsp-nocheck" "$o" "OCSP No Check"
expect_match "delegated: nonce echoed" "$o" "OCSP Nonce"
expect_match "delegated: responder CN" "$o" "CN ?= ?Integration Test e-Seal CA OCSP responder"

# GET twice: the cache answers the second, with the same bytes.
openssl ocsp -issuer "$T/ca.pem" -cert "$T/ee.pem" -no_nonce -reqout "$T/req.der" >/dev/null 2>&1
b64=$(base64 -w0 "$T/req.der" | sed 's,/,%2F,g; s,+,%2B,g')
curl -s -o "$T/r1.der" -D "$T/h1" "$PUB/ocsp/$b64"
sleep 1
curl -s -o "$T/r2.der" -D "$T/h2" "$PUB/ocsp/$b64"
check "cached GET: the same answer" cmp "$T/r1.der" "$T/r2.der"
age=$(grep -i '^cache-control:' "$T/h2" | sed 's/.*max-age=\([0-9]*\).*/\1/')
expect_match "cached GET: max-age within nextUpdate" "$age" '^(59[0-9]|[1-5]?[0-9]{1,2})$'
o=$(openssl ocsp -respin "$T/r2.der" -issuer "$T/ca.pem" -cert "$T/ee.pem" -CAfile "$T/ca.pem" 2>&1)
expect_match "cached GET: verified, good" "$o" "ee.pem: good"

# Revoked by esealctl (another process): the daemon's next answer says so.
ctl revoke --serial "$serial" --reason keyCompromise >/dev/null 2>&1
curl -s -o "$T/r3.der" "$PUB/ocsp/$b64"
o=$(openssl ocsp -respin "$T/r3.der" -issuer "$T/ca.pem" -cert "$T/ee.pem" -CAfile "$T/ca.pem" 2>&1)
expect_match "after esealctl revoke: revoked at once" "$o" "ee.pem: revoked"
expect_match "after esealctl revoke: verified" "$o" "Response verify OK"

stop_daemon
expect_eq "SIGTERM: exit 0" "$DAEMON_RC" 0
done_testing
