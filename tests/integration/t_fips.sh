#!/bin/sh
# t_fips.sh: the HSM module registry on SoftHSM, rewritten per case: what
# key generation and issuance do for Active, Historical (listed, past
# sunset, FIPS 140-2 after 2026-09-22), Revoked and unlisted modules, with
# esealctl and through eseald after SIGHUP (/healthz).
. "$(dirname "$0")/lib.sh"

REG=$T/hsm-modules.conf
REGISTRY=$REG
# registry STATUS STANDARD SUNSET [POLICY-UNLISTED]: SoftHSM as a validated
# module with CMVP certificate #9999 (a test value, not a real record).
registry() {
	cat > "$REG" <<R
[policy]
unlisted = ${4:-refuse}
unvalidated = refuse
[module test-hsm]
manufacturer = SoftHSM project
model = SoftHSM v2
cmvp_cert = 9999
standard = $2
level = 3
status = $1
sunset = $3
checked = 2026-11-01
source = test registry
R
}
unlisted() {
	cat > "$REG" <<R
[policy]
unlisted = refuse
unvalidated = refuse
[module other]
manufacturer = Other Vendor
model = Other HSM
cmvp_cert = 1234
standard = 140-3
level = 3
status = active
sunset = 2030-01-01
checked = 2026-11-01
R
}

registry active 140-3 2030-01-01
setup_ca ec-p256
out=$(ctl init 2>&1); rc=$?
expect_eq "Active: init generates the issuer key" "$rc" 0
out=$(ctl key generate --type ec-p256 2>&1); rc=$?
expect_eq "Active: key generate exits 0" "$rc" 0
csr ee1 ec:P-256
issue() {
	ctl issue --csr "$T/$1.csr" --register --name "株式会社サンプル" \
	    --corporate-number 7123456789012 --evidence "registry extract" \
	    --out "$T/$1.pem" 2>&1
}
out=$(issue ee1); rc=$?
expect_eq "Active: issue exits 0" "$rc" 0
out=$(ctl hsm status 2>&1)
expect_match "hsm status shows the entry" "$out" "CMVP: +#9999, FIPS 140-3 level 3, listed Active"
expect_match "hsm status shows the effective status" "$out" "fips status: +Active"

# Historical, listed.
registry historical 140-3 2030-01-01
out=$(ctl key generate --type ec-p256 2>&1); rc=$?
expect_eq "Historical: key generate exits 1" "$rc" 1
expect_match "Historical: one line naming status and certificate" "$out" \
    "^esealctl: key generate: .*CMVP #9999.*Historical"
expect_eq "Historical: one line" "$(printf '%s\n' "$out" | wc -l)" 1
csr ee2 ec:P-256
out=$(issue ee2); rc=$?
expect_eq "Historical: issue still succeeds" "$rc" 0
expect_match "Historical: issue warns" "$out" "level=warn .*Historical"
expect_eq "Historical: the refusal is an audit record" \
    "$(sql "SELECT COUNT(*) FROM audit WHERE action='fips.refuse'")" 1

# Active, but its sunset date has passed.
registry active 140-3 2026-01-01
out=$(ctl key generate --type ec-p256 2>&1); rc=$?
expect_eq "sunset passed: key generate exits 1" "$rc" 1
expect_match "sunset passed: Historical, says why" "$out" "Historical.*sunset"
csr ee3 ec:P-256
out=$(issue ee3); rc=$?
expect_eq "sunset passed: issue still succeeds" "$rc" 0

# FIPS 140-2, listed Active, evaluated today (after 2026-09-22).
registry active 140-2 2027-01-01
out=$(ctl key generate --type ec-p256 2>&1); rc=$?
expect_eq "140-2: key generate exits 1" "$rc" 1
expect_match "140-2: Historical with the 2026-09-22 reason" "$out" "Historical.*2026-09-22"

# Revoked.
registry revoked 140-3 2030-01-01
out=$(ctl key generate --type ec-p256 2>&1); rc=$?
expect_eq "Revoked: key generate exits 1" "$rc" 1
expect_match "Revoked: says Revoked and the certificate" "$out" "CMVP #9999.*Revoked"
csr ee4 ec:P-256
before=$(sql "SELECT COUNT(*) FROM certificates")
out=$(issue ee4); rc=$?
expect_eq "Revoked: issue exits 1" "$rc" 1
expect_match "Revoked: issue refusal names the status" "$out" "^esealctl: issue: .*Revoked"
expect_eq "Revoked: nothing recorded" "$(sql "SELECT COUNT(*) FROM certificates")" "$before"
out=$(ctl crl generate 2>&1); rc=$?
expect_eq "Revoked: CRL signing still works" "$rc" 0
expect_match "Revoked: the CRL is signed" "$out" "CRL it-ca/0 number [0-9]+ signed"
out=$(ctl audit verify 2>&1)
expect_match "refusals are in the intact audit chain" "$out" "hash chain intact"

# Unlisted under refuse.
unlisted
out=$(ctl key generate --type ec-p256 2>&1); rc=$?
expect_eq "unlisted: key generate exits 1" "$rc" 1
expect_match "unlisted: says so" "$out" "unlisted"

# A broken registry stops esealctl with file:line.
printf '[policy]\nunlisted = maybe\n' > "$REG"
out=$(ctl hsm status 2>&1); rc=$?
expect_eq "bad registry: exit 1" "$rc" 1
expect_match "bad registry: names file and line" "$out" "hsm-modules.conf:2"

# The daemon, reloading on SIGHUP.
registry active 140-3 2030-01-01
python3 - "$T/eseal.db" "$T/ca.der" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
open(sys.argv[2], "wb").write(c.execute("SELECT cert FROM issuers").fetchone()[0])
PY
openssl x509 -inform DER -in "$T/ca.der" -out "$T/ca.pem"
start_daemon || exit 1
health() { curl -s --cacert "$T/tls.crt" "$URL/healthz"; }
h=$(health)
expect_match "healthz: Active" "$h" '"status":"ok".*"hsm_module":\{"status":"Active"'
registry revoked 140-3 2030-01-01
kill -HUP "$ESEALD_PID"; sleep 0.5
h=$(health)
expect_match "after SIGHUP: Revoked, degraded" "$h" '^\{"status":"degraded"'
o=$(openssl ocsp -issuer "$T/ca.pem" -cert "$T/ee1.pem" -url "$PUB/ocsp" -CAfile "$T/ca.pem" 2>&1)
expect_match "Revoked module: OCSP still answers, signed" "$o" "ee1.pem: good"
expect_match "after SIGHUP: the module's status and action" "$h" \
    '"hsm_module":\{"status":"Revoked","reason":"[^"]+","module":"[^"]*9999[^"]*","action":"rotate issuer keys to an Active module"\}'
registry historical 140-3 2030-01-01
kill -HUP "$ESEALD_PID"; sleep 0.5
h=$(health)
expect_match "after SIGHUP: Historical, ok with action" "$h" \
    '^\{"status":"ok".*"hsm_module":\{"status":"Historical".*"action":"rotate'
printf '[policy]\nunlisted = maybe\n' > "$REG"
kill -HUP "$ESEALD_PID"; sleep 0.5
h=$(health)
expect_match "bad registry on SIGHUP: old one kept" "$h" '"hsm_module":\{"status":"Historical"'
expect_match "bad registry on SIGHUP: logged" "$(cat "$T/eseald.log")" "reload refused.*hsm-modules.conf:2"
stop_daemon
expect_eq "SIGTERM after reloads: exit 0" "$DAEMON_RC" 0

done_testing
