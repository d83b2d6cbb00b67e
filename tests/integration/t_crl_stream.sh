#!/bin/sh
# t_crl_stream.sh: a streamed CRL of a store with thousands of revocations
# (serials of even and odd hex length, several reasons) as relying parties
# check it: `openssl crl -CAfile` verifies it, GnuTLS's certtool verifies
# it, its revoked serials are exactly the store's, and entry by entry
# (serial, revocation date, reason, in order) it is the CRL `openssl ca
# -gencrl` makes from the same entries (index.txt wants even-length hex,
# so serials are padded there).
. "$(dirname "$0")/lib.sh"

N=3000
setup_ca ec-p256
ctl init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
sql "SELECT writefile('$T/ca.der', cert) FROM issuers WHERE id = 1" >/dev/null
openssl x509 -inform DER -in "$T/ca.der" -out "$T/ca.pem"

# N revoked certificates: every third serial has an odd number of hex
# digits (31, leading digit 1..7), the others 32; reasons 1, 3, 4, 5, 0.
sqlite3 "$T/eseal.db" <<SQL
BEGIN;
CREATE TEMP TABLE s AS
  WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $N)
  SELECT i, CASE WHEN i % 3 = 0
      THEN substr('1234567', 1 + i % 7, 1) || substr(lower(hex(randomblob(16))), 3)
      ELSE '7' || substr(lower(hex(randomblob(16))), 2) END AS serial FROM c;
INSERT INTO certificates (serial, issuer_id, status, tbs, cert, subject,
    spki_sha256, not_before, not_after, shard, created, updated,
    org_identifier)
  SELECT serial, 1, 'issued', x'3003020100', x'300a3003020100300003010000',
    'CN=t', randomblob(32), unixepoch() - 86400, unixepoch() + 300 * 86400,
    0, unixepoch() - 86400, unixepoch(), 'NTRJP-7123456789012' FROM s;
INSERT INTO revocations (serial, reason, revoked_at, invalidity_date,
    requested_by)
  SELECT serial, CASE i % 5 WHEN 0 THEN 1 WHEN 1 THEN 3 WHEN 2 THEN 4
      WHEN 3 THEN 5 ELSE 0 END, unixepoch() - 3600 - (i % 86400), NULL, 't'
  FROM s;
COMMIT;
SQL
expect_eq "store holds $N revocations" "$(sql "SELECT COUNT(*) FROM revocations")" "$N"
check "odd-length serials present" test "$(sql "SELECT COUNT(*) FROM revocations WHERE length(serial) % 2 = 1")" -gt 0

ctl crl generate > "$T/gen.out" 2>&1
expect_eq "esealctl crl generate: exit 0" "$?" 0
sql "SELECT writefile('$T/crl.der', der) FROM crls ORDER BY number DESC LIMIT 1" >/dev/null
openssl crl -inform DER -in "$T/crl.der" -out "$T/crl.pem" 2>/dev/null
v=$(openssl crl -in "$T/crl.pem" -noout -CAfile "$T/ca.pem" 2>&1)
expect_match "openssl crl -CAfile: verify OK" "$v" "verify OK"
ct=$(certtool --verify-crl --load-ca-certificate "$T/ca.pem" --infile "$T/crl.pem" 2>&1)
expect_match "certtool --verify-crl: verified" "$ct" "Verified"
check "certtool --crl-info parses it" certtool --crl-info --infile "$T/crl.pem"

# Entries as "serial date reason" lines, serial lower-case without leading
# zeros, in the CRL's order.
entries() {
	openssl crl -in "$1" -noout -text | awk '
	/Serial Number:/ { if (s != "") print s, d, r; s = tolower($3);
	    sub(/^0+/, "", s); d = ""; r = "-" }
	/Revocation Date:/ { sub(/.*Revocation Date: /, ""); d = $0; gsub(/ +/, "_", d) }
	/CRL Reason Code:/ { getline; gsub(/^ +/, ""); r = $0 }
	END { if (s != "") print s, d, r }'
}
entries "$T/crl.pem" > "$T/eseal.entries"
expect_eq "CRL lists $N entries" "$(wc -l < "$T/eseal.entries" | tr -d ' ')" "$N"
sql "SELECT serial FROM revocations" | sed 's/^0*//' | sort > "$T/store.serials"
cut -d' ' -f1 "$T/eseal.entries" | sort > "$T/crl.serials"
check "revoked serials: exactly the store's" cmp -s "$T/store.serials" "$T/crl.serials"
cut -d' ' -f1 "$T/eseal.entries" > "$T/crl.order"
python3 - "$T/crl.order" <<'PY' > "$T/order.ok"
import sys
s = [int(l, 16) for l in open(sys.argv[1]).read().split()]
print("sorted" if s == sorted(s) else "unsorted")
PY
expect_eq "entries in ascending serial order" "$(cat "$T/order.ok")" sorted

# openssl ca -gencrl over the same entries, serials padded to even length.
O=$T/ossl
mkdir -p "$O"
sqlite3 "$T/eseal.db" "SELECT 'R' || char(9) ||
    substr(strftime('%Y%m%d%H%M%S', c.not_after, 'unixepoch'), 3) || 'Z' || char(9) ||
    substr(strftime('%Y%m%d%H%M%S', r.revoked_at, 'unixepoch'), 3) || 'Z' ||
    CASE r.reason WHEN 1 THEN ',keyCompromise' WHEN 3 THEN ',affiliationChanged'
      WHEN 4 THEN ',superseded' WHEN 5 THEN ',cessationOfOperation' ELSE '' END ||
    char(9) || upper(CASE WHEN length(r.serial) % 2 = 1 THEN '0' ELSE '' END ||
    r.serial) || char(9) || 'unknown' || char(9) || '/CN=t'
    FROM revocations r JOIN certificates c ON c.serial = r.serial" > "$O/index.txt"
echo "unique_subject = no" > "$O/index.txt.attr"
echo 01 > "$O/crlnumber"
cat > "$O/ca.cnf" <<CNF
[ca]
default_ca = t
[t]
database = $O/index.txt
crlnumber = $O/crlnumber
certificate = $O/ca.pem
private_key = $O/ca.key
default_md = sha256
default_crl_days = 1
CNF
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$O/ca.key" -out "$O/ca.pem" -days 2 -subj "/CN=t" 2>/dev/null
openssl ca -config "$O/ca.cnf" -gencrl -out "$O/crl.pem" > "$O/out" 2>&1
expect_eq "openssl ca -gencrl over the same entries: exit 0" "$?" 0
entries "$O/crl.pem" > "$T/ossl.entries"
check "entry by entry (serial, date, reason) as openssl ca -gencrl" cmp -s "$T/eseal.entries" "$T/ossl.entries"

# A second CRL: the number increases, the entries do not change.
ctl crl generate >/dev/null 2>&1
expect_eq "second CRL: number 2" "$(sql "SELECT MAX(number) FROM crls")" 2
sql "SELECT writefile('$T/crl2.der', der) FROM crls WHERE number = 2" >/dev/null
openssl crl -inform DER -in "$T/crl2.der" -out "$T/crl2.pem" 2>/dev/null
entries "$T/crl2.pem" > "$T/eseal2.entries"
check "second CRL: same entries" cmp -s "$T/eseal.entries" "$T/eseal2.entries"
done_testing
