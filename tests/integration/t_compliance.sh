#!/bin/sh
# t_compliance.sh: the checks docs/compliance.md cites where no other test
# shows the point: the audit hash chain detects an edited or a deleted
# record (panel point 3), and `esealctl hsm readiness` reports, for each
# algorithm of the crypto policy, whether the token can generate and sign
# it (point 2).
. "$(dirname "$0")/lib.sh"

setup_ca ec-p256
ctl init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
ctl account add ra1 --role ra >/dev/null
csr seal ec:P-256
ctl issue --csr "$T/seal.csr" --register --name "株式会社サンプル" \
    --corporate-number 7123456789012 --evidence "registry extract" --out "$T/seal.pem" >/dev/null 2>&1

# --- point 3: the audit trail -------------------------------------------
out=$(ctl audit verify 2>&1); rc=$?
expect_eq "audit verify: an untouched trail verifies" "$rc" 0
n=$(sql "SELECT COUNT(*) FROM audit")
expect_match "audit verify: counts every record" "$out" "audit: $n records, hash chain intact"
cp "$T/eseal.db" "$T/untouched.db"
sql "UPDATE audit SET detail = detail || ' (edited)' WHERE seq = 2"
out=$(ctl audit verify 2>&1); rc=$?
expect_eq "audit verify: an edited record fails" "$rc" 1
expect_match "audit verify: names the edited record" "$out" "record 2: record hash does not match"
cp "$T/untouched.db" "$T/eseal.db"
sql "DELETE FROM audit WHERE seq = 2"
out=$(ctl audit verify 2>&1); rc=$?
expect_eq "audit verify: a deleted record fails" "$rc" 1
expect_match "audit verify: names the record after the gap" "$out" "record 3: sequence gap"
cp "$T/untouched.db" "$T/eseal.db"

# --- point 2: readiness of the token for the crypto policy --------------
out=$(ctl hsm readiness 2>&1); rc=$?
expect_eq "hsm readiness exits 0" "$rc" 0
expect_match "hsm readiness: issuer-key ec-p384 now yes yes" "$out" \
    "issuer-key +ec-p384 +now +yes +yes"
expect_match "hsm readiness: issuer-key rsa-3072 now yes yes" "$out" \
    "issuer-key +rsa-3072 +now +yes +yes"
expect_match "hsm readiness: signature ecdsa-sha256 now - yes" "$out" \
    "signature +ecdsa-sha256 +now +- +yes"
done_testing
