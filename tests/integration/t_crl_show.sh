#!/bin/sh
# t_crl_show.sh: `esealctl crl show --number N` (issue 17 item 4).  A kept
# CRL: its number, dates, entry count and SHA-256 as the store has them,
# its DER written by --out and its PEM printed by --pem, exit 0.  A CRL
# whose body [publish] crl_keep_days pruned: the same summary from what
# the store kept, and a line naming the date and the rule, exit 3.  An
# unknown number: one line, exit 1.  Usage errors: exit 2.
. "$(dirname "$0")/lib.sh"

setup_ca ec-p256 "[publish]
crl_keep_days = 1"
ctl init --crl-shards 2 >/dev/null 2>&1 || { echo "init failed"; exit 1; }
python3 - "$T/eseal.db" "$T/ca.der" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
open(sys.argv[2], "wb").write(c.execute("SELECT cert FROM issuers").fetchone()[0])
PY
openssl x509 -inform DER -in "$T/ca.der" -out "$T/ca.pem"

# Revoke two certificates of shard 0 (issue until two land there).
n=0; i=0
while [ $n -lt 2 ] && [ $i -lt 40 ]; do
	i=$((i + 1))
	csr "ee$i" ec:P-256
	ctl issue --csr "$T/ee$i.csr" --register --name "株式会社サンプル" \
	    --corporate-number 7123456789012 --evidence "registry extract" \
	    --out "$T/ee$i.pem" >/dev/null 2>&1 || { echo "issue failed"; exit 1; }
	case $(openssl x509 -in "$T/ee$i.pem" -noout -ext crlDistributionPoints) in
	*/0.crl*)
		s=$(openssl x509 -in "$T/ee$i.pem" -noout -serial | cut -d= -f2)
		ctl revoke --serial "$s" --reason keyCompromise >/dev/null 2>&1 ||
		    { echo "revoke failed"; exit 1; }
		n=$((n + 1)) ;;
	esac
done
expect_eq "two certificates of shard 0 revoked" "$n" 2

# CRL A of shard 0, made "40 days ago", then CRL B now: A's body goes.
ctl crl generate --shard 0 >/dev/null 2>&1 || { echo "crl generate failed"; exit 1; }
A=$(sql "SELECT MAX(number) FROM crls WHERE shard = 0")
sql "SELECT hex(der) FROM crls WHERE shard = 0 AND number = $A" |
    xxd -r -p > "$T/a.der"
a_sha=$(sha256sum < "$T/a.der" | cut -d' ' -f1)
a_entries=$(openssl crl -inform DER -in "$T/a.der" -noout -text | grep -c "Serial Number:")
expect_eq "CRL A lists the two revocations" "$a_entries" 2
old=$(($(date +%s) - 40 * 86400))
sql "UPDATE crls SET this_update = $old, next_update = $old + 86400 WHERE shard = 0 AND number = $A"
ctl crl generate --shard 0 >/dev/null 2>&1 || { echo "crl generate failed"; exit 1; }
B=$(sql "SELECT MAX(number) FROM crls WHERE shard = 0")
expect_eq "CRL A pruned by crl_keep_days = 1, B kept" \
    "$(sql "SELECT number || ':' || (pruned IS NOT NULL) || ':' || length(der) FROM crls WHERE shard = 0 AND number IN ($A, $B) ORDER BY number" | tr '\n' ' ')" \
    "$A:1:0 $B:0:$(sql "SELECT length(der) FROM crls WHERE shard = 0 AND number = $B") "

# A kept CRL: summary, --out DER, --pem.
ctl crl show --shard 0 --number "$B" --out "$T/b.der" > "$T/b.out" 2> "$T/b.err"; rc=$?
expect_eq "kept CRL: exit 0" "$rc" 0
expect_eq "kept CRL: nothing on stderr" "$(cat "$T/b.err")" ""
sql "SELECT hex(der) FROM crls WHERE shard = 0 AND number = $B" | xxd -r -p > "$T/b.store"
check "--out: the stored DER, byte for byte" cmp "$T/b.der" "$T/b.store"
v=$(openssl crl -inform DER -in "$T/b.der" -CAfile "$T/ca.pem" -noout 2>&1)
expect_eq "--out: a CRL the CA certificate verifies" "$v" "verify OK"
out=$(cat "$T/b.out")
expect_match "summary: which CRL" "$out" "^crl: +it-ca/0\$"
expect_match "summary: the number" "$out" "^number: +$B\$"
tu=$(sql "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', this_update, 'unixepoch') FROM crls WHERE shard = 0 AND number = $B")
nu=$(sql "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', next_update, 'unixepoch') FROM crls WHERE shard = 0 AND number = $B")
expect_match "summary: thisUpdate" "$out" "^thisUpdate: +$tu\$"
expect_match "summary: nextUpdate" "$out" "^nextUpdate: +$nu\$"
expect_match "summary: the entry count" "$out" "^entries: +2\$"
expect_match "summary: the SHA-256 of the DER" "$out" \
    "^sha256: +$(sha256sum < "$T/b.der" | cut -d' ' -f1)\$"
expect_match "summary: body kept, its size" "$out" \
    "^body: +kept \($(wc -c < "$T/b.der") bytes\)\$"
expect_match "summary: where --out wrote it" "$out" "^written: +$T/b.der \(DER, "
expect_match "the CRL's own number is what was asked for" \
    "$(openssl crl -inform DER -in "$T/b.der" -noout -crlnumber)" \
    "^crlNumber=0x0*$(printf '%X' "$B")\$"
ctl crl show --shard 0 --number "$B" --pem > "$T/b.pem.out" 2>&1; rc=$?
expect_eq "--pem: exit 0" "$rc" 0
sed -n '/-----BEGIN X509 CRL-----/,/-----END X509 CRL-----/p' "$T/b.pem.out" > "$T/b.pem"
openssl crl -in "$T/b.pem" -outform DER -out "$T/b.pem.der" 2>/dev/null
check "--pem: the same CRL as PEM" cmp "$T/b.pem.der" "$T/b.store"

# A pruned CRL: what the store kept, and why the body is gone.
ctl crl show --shard 0 --number "$A" --out "$T/a.out.der" > "$T/a.out" 2> "$T/a.err"; rc=$?
expect_eq "pruned CRL: exit 3" "$rc" 3
out=$(cat "$T/a.out")
expect_match "pruned: the number" "$out" "^number: +$A\$"
expect_match "pruned: thisUpdate as recorded" "$out" \
    "^thisUpdate: +$(date -u -d "@$old" +%Y-%m-%dT%H:%M:%SZ)\$"
expect_match "pruned: the entry count kept" "$out" "^entries: +2\$"
expect_match "pruned: the SHA-256 of the body it had" "$out" "^sha256: +$a_sha\$"
pd=$(sql "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', pruned, 'unixepoch') FROM crls WHERE shard = 0 AND number = $A")
expect_match "pruned: says so" "$out" "^body: +pruned\$"
expect_match "pruned: when" "$out" "^pruned: +$pd\$"
expect_eq "pruned: one line on stderr" "$(wc -l < "$T/a.err")" 1
expect_match "pruned: the line names the date and the rule" "$(cat "$T/a.err")" \
    "^esealctl: crl show: the body of CRL $A of it-ca/0 was pruned on $pd by \[publish\] crl_keep_days or crl_keep_count \(bodies of CRLs made more than 1 days before a newer one, or with 64 newer CRLs of their shard, are dropped; number, dates, SHA-256 and entry count are kept\)\$"
check "pruned: --out writes nothing" test ! -e "$T/a.out.der"

# Unknown number, other shard, usage errors.
out=$(ctl crl show --shard 0 --number 999 2>&1); rc=$?
expect_eq "unknown number: exit 1" "$rc" 1
expect_eq "unknown number: one line" "$out" \
    "esealctl: crl show: RFC 5280 5.2.3: it-ca/0 has no CRL number 999"
ctl crl generate --shard 1 >/dev/null 2>&1
s1=$(sql "SELECT MAX(number) FROM crls WHERE shard = 1")
out=$(ctl crl show --shard 1 --number "$s1" 2>&1); rc=$?
expect_eq "shard 1 numbers its own CRLs: exit 0" "$rc" 0
expect_match "shard 1: no entries" "$out" "entries: +0"
out=$(ctl crl show --number "$B" 2>&1); rc=$?
expect_eq "--number without --shard on a sharded issuer: exit 2" "$rc" 2
expect_eq "--number without --shard: says why" "$out" \
    "esealctl: crl show: --number needs --shard: issuer it-ca has 2 shards, each numbering its own CRLs"
for bad in 0 -1 x 1x 99999999999999999999; do
	out=$(ctl crl show --shard 0 --number "$bad" 2>&1); rc=$?
	expect_eq "--number $bad: exit 2" "$rc" 2
done
expect_match "--number x: names the rule" "$out" "is not a CRL number"
out=$(ctl crl show --shard 0 --out "$T/x.der" 2>&1); rc=$?
expect_eq "--out without --number: exit 2" "$rc" 2
out=$(ctl crl generate --number 1 2>&1); rc=$?
expect_eq "crl generate takes no --number: exit 2" "$rc" 2
out=$(ctl crl show --shard 0 2>&1); rc=$?
expect_eq "crl show without --number: the newest, exit 0" "$rc" 0
expect_eq "crl show without --number: prints it" \
    "$(printf '%s\n' "$out" | grep -A1 'CRL Number:' | tail -1 | tr -d ' ')" "$B"

done_testing
