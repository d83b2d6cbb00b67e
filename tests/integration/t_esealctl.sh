#!/bin/sh
# t_esealctl.sh: esealctl's command line itself.  Every option that
# `esealctl issue --help` lists is accepted and shows in the certificate
# (issue has more options than any other command: an option table with a
# fixed size once dropped the ones past the 13th); --config after a
# command's own options; a failed write of --out is an error; an unknown
# option exits 2 with one line; a stored CRL with trailing bytes is refused
# by `crl show`, naming the rule.
. "$(dirname "$0")/lib.sh"

ORG="株式会社サンプル"
CORP=7123456789012
setup_ca ec-p256

out=$(ctl init 2>&1); rc=$?
expect_eq "init exits 0" "$rc" 0
python3 - "$T/eseal.db" "$T/ca.der" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
open(sys.argv[2], "wb").write(c.execute("SELECT cert FROM issuers").fetchone()[0])
PY
openssl x509 -inform DER -in "$T/ca.der" -out "$T/ca.pem"

# The options this script gives issue; --help must list no other.
TESTED="--csr --org --corporate-number --org-id --country --cn --ou --locality
--profile --key-holder --qscd --validity-days --out"
help=$("$ESEALCTL" issue --help 2>&1); rc=$?
expect_eq "issue --help exits 0" "$rc" 0
listed=$(printf '%s\n' "$help" | sed -n 1p | grep -Eo -- '--[a-z-]+' | sort -u)
untested=""
for o in $listed; do
	printf '%s\n' $TESTED | grep -qx -- "$o" || untested="$untested $o"
done
expect_eq "every option issue --help lists is tested here" "$untested" ""
expect_eq "issue --help lists --out last" \
    "$(printf '%s\n' "$help" | sed -n 1p | grep -Eo -- '--[a-z-]+' | tail -1)" "--out"

# qcsscd FILE.pem: 1 if the certificate holds the QcSSCD statement
# (0.4.0.1862.1.4, EN 319 412-5 4.2.2), else 0.
qcsscd() {
	openssl x509 -in "$1" -outform DER | python3 -c '
import sys
print(1 if bytes.fromhex("060604008e460104") in sys.stdin.buffer.read() else 0)'
}

# Every option at once, --config last: after all of issue's own options.
csr all ec:P-256
out=$("$ESEALCTL" issue --csr "$T/all.csr" --org "$ORG" \
    --corporate-number $CORP --country JP --cn "Seal One" --ou "Sales" \
    --locality "Chiyoda-ku" --profile eseal-qualified-jp \
    --key-holder subscriber --qscd --validity-days 10 --out "$T/all.pem" \
    --config "$CONF" 2>&1); rc=$?
expect_eq "issue with every option exits 0" "$rc" 0
expect_match "issue: the serial on stderr" "$out" "^esealctl: issued serial [0-9a-f]+\$"
v=$(openssl verify -CAfile "$T/ca.pem" "$T/all.pem" 2>&1)
expect_eq "--out: the certificate is written there" "$v" "$T/all.pem: OK"
subj=$(openssl x509 -in "$T/all.pem" -noout -subject -nameopt utf8,sep_comma_plus)
expect_eq "--org --corporate-number --country --cn --ou --locality: the subject" \
    "$subj" "subject=C=JP,O=$ORG,organizationIdentifier=NTRJP-$CORP,OU=Sales,L=Chiyoda-ku,CN=Seal One"
expect_match "--profile eseal-qualified-jp: its policy" \
    "$(openssl x509 -in "$T/all.pem" -noout -text)" "Policy: 2\.999\.1\.2"
expect_eq "--qscd: QcSSCD" "$(qcsscd "$T/all.pem")" 1
if openssl x509 -in "$T/all.pem" -noout -checkend $((9 * 86400)) >/dev/null &&
    ! openssl x509 -in "$T/all.pem" -noout -checkend $((11 * 86400)) >/dev/null; then
	ok "--validity-days 10: valid for 10 days"
else
	not_ok "--validity-days 10: valid for 10 days"
fi

# --key-holder remote-service declares a QSCD by itself; without either
# the same profile leaves QcSSCD out.
csr remote ec:P-256
out=$(ctl issue --csr "$T/remote.csr" --org "$ORG" --corporate-number $CORP \
    --profile eseal-qualified-jp --key-holder remote-service \
    --out "$T/remote.pem" 2>&1); rc=$?
expect_eq "--key-holder remote-service: exits 0" "$rc" 0
expect_eq "--key-holder remote-service: QcSSCD" "$(qcsscd "$T/remote.pem")" 1
csr plain ec:P-256
out=$(ctl issue --csr "$T/plain.csr" --org "$ORG" --corporate-number $CORP \
    --profile eseal-qualified-jp --out "$T/plain.pem" 2>&1); rc=$?
expect_eq "neither --qscd nor remote-service: exits 0" "$rc" 0
expect_eq "neither --qscd nor remote-service: no QcSSCD" "$(qcsscd "$T/plain.pem")" 0

# --org-id instead of --corporate-number.
csr orgid ec:P-256
out=$(ctl issue --csr "$T/orgid.csr" --org "$ORG" --org-id "NTRJP-$CORP" \
    --out "$T/orgid.pem" 2>&1); rc=$?
expect_eq "--org-id: exits 0" "$rc" 0
expect_match "--org-id: organizationIdentifier" \
    "$(openssl x509 -in "$T/orgid.pem" -noout -subject -nameopt utf8,sep_comma_plus)" \
    ",organizationIdentifier=NTRJP-$CORP,"

# A failed write of --out: exit 1, one line with the serial of the
# certificate, which is issued all the same.
csr full ec:P-256
out=$(ctl issue --csr "$T/full.csr" --org "$ORG" --corporate-number $CORP \
    --out /dev/full 2>&1); rc=$?
expect_eq "--out /dev/full: exit 1" "$rc" 1
out=$(printf '%s\n' "$out" | grep -v '^ts=')	# the library's log lines
expect_eq "--out /dev/full: one line" "$(printf '%s\n' "$out" | wc -l)" 1
expect_match "--out /dev/full: says why and gives the serial" "$out" \
    "^esealctl: issue: /dev/full: No space left on device \(the certificate is issued: serial [0-9a-f]+\)\$"
serial=$(printf '%s\n' "$out" | sed -n 's/.*serial \([0-9a-f]*\))$/\1/p')
expect_eq "--out /dev/full: the certificate is issued" \
    "$(sql "SELECT status FROM certificates WHERE serial = '$serial'")" "issued"

# Usage errors: exit 2, one line, nothing issued.
before=$(sql 'SELECT COUNT(*) FROM certificates')
out=$(ctl issue --csr "$T/orgid.csr" --org "$ORG" --corporate-number $CORP \
    --country JP --cn a --ou b --locality c --profile eseal --qscd \
    --validity-days 5 --bogus 2>&1); rc=$?
expect_eq "unknown option: exit 2" "$rc" 2
expect_eq "unknown option: one line" "$(printf '%s\n' "$out" | wc -l)" 1
expect_match "unknown option: named" "$out" "unrecognized option '--bogus'"
out=$(ctl issue --csr "$T/orgid.csr" --org "$ORG" 2>&1); rc=$?
expect_eq "missing --corporate-number or --org-id: exit 2" "$rc" 2
expect_eq "missing --corporate-number or --org-id: one line" \
    "$(printf '%s\n' "$out" | wc -l)" 1
expect_eq "nothing issued by usage errors" \
    "$(sql 'SELECT COUNT(*) FROM certificates')" "$before"

# crl show reads the stored CRL as DER: trailing bytes are refused.
out=$(ctl crl generate 2>&1); rc=$?
expect_eq "crl generate exits 0" "$rc" 0
out=$(ctl crl show 2>&1); rc=$?
expect_eq "crl show exits 0" "$rc" 0
expect_match "crl show prints the CRL" "$out" "Certificate Revocation List \(CRL\):"
sql "UPDATE crls SET der = der || x'00'"
out=$(ctl crl show 2>&1); rc=$?
expect_eq "crl show, trailing byte: exit 1" "$rc" 1
expect_eq "crl show, trailing byte: one line" "$(printf '%s\n' "$out" | wc -l)" 1
expect_match "crl show, trailing byte: names the rule" "$out" \
    "^esealctl: crl show: RFC 5280 / X\.690 DER: trailing bytes after the CRL of it-ca/0\$"
sql "UPDATE crls SET der = x'3000'"
out=$(ctl crl show 2>&1); rc=$?
expect_eq "crl show, not a CRL: exit 1" "$rc" 1
expect_match "crl show, not a CRL: says so" "$out" \
    "^esealctl: crl show: RFC 5280 5\.1: the stored CRL of it-ca/0 is not a DER CertificateList\$"

done_testing
