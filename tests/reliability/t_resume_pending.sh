#!/bin/sh
# t_resume_pending.sh: the running daemon finishes another process's
# pending certificate once it is older than the grace period (issue 12
# item 6, "Resume, don't wait").  esealctl issue with the test hook
# ESEAL_TEST_EXIT_AFTER_PENDING records the pending row (serial, TBS) and
# ends before the HSM signs, as a kill -9 there would; eseald keeps
# running.  A row left 2 minutes ago (its created time moved back past
# ENROL_RESUME_GRACE_SECS, 60 s, rather than waiting it out) is signed from its stored TBS within one
# resume round (ENROL_RESUME_EVERY_SECS, 30 s): issued, with its audit
# record, served by GET /api/v1/certificates/{serial}.  Before that, while
# younger than the grace (its esealctl may still be signing), the row
# stays pending through a whole round, and another esealctl started
# meanwhile leaves it alone as well.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/rel.sh"

setup_ca ec-p256
ctl init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
start_daemon || exit 1
csr ee ec:P-256

# killed_issue: an esealctl issue that ends after recording the pending
# row; prints its serial.
killed_issue() {
	out=$(ESEAL_TEST_EXIT_AFTER_PENDING=1 ctl issue --csr "$T/ee.csr" \
	    --register --name "株式会社サンプル" --corporate-number 7123456789012 \
	    --evidence "registry extract" --out "$T/never.pem" 2>>"$T/ctl.err")
	echo "$? $out"
}
r=$(killed_issue)
expect_match "esealctl ends after the pending row (exit 137)" "$r" '^137 pending [0-9a-f]+$'
SER=$(echo "$r" | awk '{print $3}')
expect_eq "no certificate file written" "$(ls "$T"/never.pem 2>/dev/null)" ""
row() { sql "SELECT status || ' ' || (cert IS NOT NULL) FROM certificates WHERE serial = '$SER'"; }
expect_eq "the row: pending, no certificate" "$(row)" "pending 0"
cert_get() { $C -o "$T/c.pem" -w '%{http_code}' "$URL/api/v1/certificates/$SER"; }
expect_eq "GET /api/v1/certificates/{serial} while pending: not 200" \
    "$([ "$(cert_get)" = 200 ] && echo 200 || echo other)" other

# Another esealctl started meanwhile must leave it alone too: within the
# grace the row may be an issuance still under way in its own process.
out=$(ctl crl generate 2>&1); rc=$?
expect_eq "a second esealctl (crl generate) meanwhile: exit 0" "$rc" 0
expect_eq "  it recovered nothing" "$(echo "$out" | grep -c 'recovered pending')" 0
expect_eq "  the young row: still pending" "$(row)" "pending 0"

# Within the grace its esealctl may still be signing: a whole resume
# round later the row is still pending.
sleep 31
expect_eq "31 s later, younger than the grace: still pending" "$(row)" "pending 0"

# Left 2 minutes ago: older than the grace, finished by the next round.
sql "UPDATE certificates SET created = created - 120, updated = updated - 120 WHERE serial = '$SER'"
start=$(date +%s) took=-
while [ $(($(date +%s) - start)) -le 35 ]; do
	[ "$(row)" = "issued 1" ] && { took=$(($(date +%s) - start)); break; }
	sleep 1
done
expect_match "the daemon finished it within a resume round (${took} s)" "$took" '^[0-9]+$'
expect_eq "the row: issued with its certificate" "$(row)" "issued 1"
expect_eq "the cert.issue audit record, by recovery" \
    "$(sql "SELECT COUNT(*) FROM audit WHERE action = 'cert.issue' AND object = '$SER' AND actor = 'recovery'")" 1
expect_match "the daemon's log says so" \
    "$(grep 'resumed work left behind' "$T/eseald.log")" 'finished=1 '
expect_eq "GET /api/v1/certificates/{serial}: 200" "$(cert_get)" 200
/usr/bin/python3 - "$T/c.pem" "$T/ee.csr" "$SER" > "$T/check" 2>&1 <<'PY'
import sys
from cryptography import x509
c = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
csr = x509.load_pem_x509_csr(open(sys.argv[2], "rb").read())
print("serial", c.serial_number == int(sys.argv[3], 16))
print("key", c.public_key().public_numbers() == csr.public_key().public_numbers())
PY
expect_eq "the served certificate: its serial and the CSR's key" \
    "$(tr '\n' ' ' < "$T/check")" "serial True key True "
stop_daemon
out=$(ctl audit verify 2>&1); rc=$?
expect_eq "esealctl audit verify: exit 0" "$rc" 0
done_testing
