#!/bin/sh
# t_esealctl.sh: esealctl's command line itself.  Every option that
# `esealctl issue --help` lists is accepted and shows in the certificate
# or the organisation's record; the subject comes only from the registered
# organisation, and another name for its identifier is refused (issue 11)
# (issue has more options than any other command: an option table with a
# fixed size once dropped the ones past the 13th); --config after a
# command's own options; a failed write of --out is an error; an unknown
# option exits 2 with one line; a stored CRL with trailing bytes is refused
# by `crl show`, naming the rule.  --batch DIR issues every NAME.csr of a
# directory to NAME.crt, checks them all before it issues any, never
# overwrites a certificate, and a request refused by a rule fails alone.
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
TESTED="--csr --batch --org --register --name --english-name
--corporate-number --org-id --country --evidence --profile --key-holder
--qscd --validity-days --out"
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
expect_match "issue --help: --org takes an id or an organizationIdentifier" \
    "$help" "organizationIdentifier such as NTRJP-7123456789012"

# qcsscd FILE.pem: 1 if the certificate holds the QcSSCD statement
# (0.4.0.1862.1.4, EN 319 412-5 4.2.2), else 0.
qcsscd() {
	openssl x509 -in "$1" -outform DER | python3 -c '
import sys
print(1 if bytes.fromhex("060604008e460104") in sys.stdin.buffer.read() else 0)'
}
subject() { openssl x509 -in "$1" -noout -subject -nameopt utf8,sep_comma_plus; }
SUBJ="subject=C=JP,O=$ORG,organizationIdentifier=NTRJP-$CORP,CN=$ORG"

# Every option at once, --register and its options, --config last: after
# all of issue's own options.  The organisation is registered as the RA's
# API registers one: the same checks and the audit record org.register.
csr all ec:P-256
out=$("$ESEALCTL" issue --csr "$T/all.csr" --register --name "$ORG" \
    --english-name "Sample Co., Ltd." --corporate-number $CORP \
    --org-id "NTRJP-$CORP" --country JP --evidence "registry extract #4711" \
    --profile eseal-qualified-jp --key-holder subscriber --qscd \
    --validity-days 10 --out "$T/all.pem" --config "$CONF" 2>&1); rc=$?
expect_eq "issue with every option exits 0" "$rc" 0
expect_match "issue: the serial on stderr" "$out" "^esealctl: issued serial [0-9a-f]+\$"
expect_match "--register: says it registered the organisation" "$out" \
    "^esealctl: issue: registered organisation 1 \(NTRJP-$CORP\)\$"
v=$(openssl verify -CAfile "$T/ca.pem" "$T/all.pem" 2>&1)
expect_eq "--out: the certificate is written there" "$v" "$T/all.pem: OK"
expect_eq "--register: the subject from the registered record" \
    "$(subject "$T/all.pem")" "$SUBJ"
expect_eq "--register --name --english-name --country --evidence: the record" \
    "$(sql "SELECT id || '|' || name || '|' || english_name || '|' || country || '|' || corporate_number || '|' || identifier || '|' || evidence FROM organizations")" \
    "1|$ORG|Sample Co., Ltd.|JP|$CORP|NTRJP-$CORP|registry extract #4711"
expect_eq "--register: audit record org.register by the operator" \
    "$(sql "SELECT actor || ' ' || object FROM audit WHERE action = 'org.register'")" \
    "local:${SUDO_USER:-${USER:-unknown}} org:1"
expect_match "--profile eseal-qualified-jp: its policy" \
    "$(openssl x509 -in "$T/all.pem" -noout -text)" "Policy: 2\.999\.1\.2"
expect_eq "--qscd: QcSSCD" "$(qcsscd "$T/all.pem")" 1
if openssl x509 -in "$T/all.pem" -noout -checkend $((9 * 86400)) >/dev/null &&
    ! openssl x509 -in "$T/all.pem" -noout -checkend $((11 * 86400)) >/dev/null; then
	ok "--validity-days 10: valid for 10 days"
else
	not_ok "--validity-days 10: valid for 10 days"
fi

# --org names the registered organisation: by its id, by its identifier.
# --key-holder remote-service declares a QSCD by itself; without either
# the same profile leaves QcSSCD out.
csr remote ec:P-256
out=$(ctl issue --csr "$T/remote.csr" --org 1 \
    --profile eseal-qualified-jp --key-holder remote-service \
    --out "$T/remote.pem" 2>&1); rc=$?
expect_eq "--org 1 --key-holder remote-service: exits 0" "$rc" 0
expect_eq "--org 1: the registered subject" "$(subject "$T/remote.pem")" "$SUBJ"
expect_eq "--key-holder remote-service: QcSSCD" "$(qcsscd "$T/remote.pem")" 1
csr plain ec:P-256
out=$(ctl issue --csr "$T/plain.csr" --org "NTRJP-$CORP" --name "$ORG" \
    --profile eseal-qualified-jp --out "$T/plain.pem" 2>&1); rc=$?
expect_eq "--org NTRJP-... --name (the registered name): exits 0" "$rc" 0
expect_eq "--org NTRJP-...: the registered subject" "$(subject "$T/plain.pem")" "$SUBJ"
expect_eq "neither --qscd nor remote-service: no QcSSCD" "$(qcsscd "$T/plain.pem")" 0

# --register of an identifier registered under the same name uses that
# record, registering nothing.
csr again ec:P-256
out=$(ctl issue --csr "$T/again.csr" --register --name "$ORG" \
    --org-id "NTRJP-$CORP" --evidence "another extract" --out "$T/again.pem" 2>&1); rc=$?
expect_eq "--register, same identifier and name: exits 0" "$rc" 0
expect_eq "--register, same identifier and name: the registered subject" \
    "$(subject "$T/again.pem")" "$SUBJ"
expect_eq "--register, same identifier and name: nothing registered" \
    "$(sql "SELECT COUNT(*) FROM organizations"):$(sql "SELECT COUNT(*) FROM audit WHERE action = 'org.register'")" "1:1"

# One identifier, one name (issue 11): another name for a registered
# identifier is refused, naming the rule and the registered record; no
# certificate, no organisation.
csr evil ec:P-256
written() { echo "$(sql 'SELECT COUNT(*) FROM certificates'):$(sql 'SELECT COUNT(*) FROM organizations'):$(sql 'SELECT COUNT(*) FROM audit')"; }
# evil DESC ARGS...: exit 1, one line naming EN 319 412-1 5.1.4 and the
# registered record, nothing written.
evil() {
	d=$1; shift
	before=$(written)
	out=$(ctl issue --csr "$T/evil.csr" "$@" --out "$T/evil.pem" 2>&1); rc=$?
	expect_eq "$d: exit 1" "$rc" 1
	expect_eq "$d: one line" "$(printf '%s\n' "$out" | wc -l)" 1
	expect_eq "$d: names the rule and the record" "$out" \
	    "esealctl: issue: org: EN 319 412-1 5.1.4: organizationIdentifier NTRJP-$CORP is registered as \"$ORG\" (organisation 1), not \"Evil Corp\": one identifier names one organisation, and the subject comes from its registered record"
	expect_eq "$d: no certificate, no organisation, no audit record" "$(written)" "$before"
}
evil "--register --name 'Evil Corp' --org-id NTRJP-..." --register \
    --name "Evil Corp" --org-id "NTRJP-$CORP" --evidence "forged extract"
evil "--register --name 'Evil Corp' --corporate-number" --register \
    --name "Evil Corp" --corporate-number $CORP --evidence "forged extract"
evil "--org NTRJP-... --name 'Evil Corp'" --org "NTRJP-$CORP" --name "Evil Corp"
evil "--org 1 --name 'Evil Corp'" --org 1 --name "Evil Corp"
if [ -e "$T/evil.pem" ]; then not_ok "Evil Corp: no certificate written"
else ok "Evil Corp: no certificate written"; fi

# The command of issue 11 as it was typed before: --org names a registered
# organisation, so a name with --org-id is a usage error; a name alone is
# no registered organisation.
before=$(written)
out=$(ctl issue --csr "$T/evil.csr" --org "Evil Corp" --org-id "NTRJP-$CORP" 2>&1); rc=$?
expect_eq "--org NAME --org-id (the old form): exit 2" "$rc" 2
expect_match "--org NAME --org-id (the old form): says what to do" "$out" \
    "^esealctl: issue: --corporate-number, --org-id, .* register an organisation: add --register"
out=$(ctl issue --csr "$T/evil.csr" --org "Evil Corp" 2>&1); rc=$?
expect_eq "--org with a name: exit 1" "$rc" 1
expect_eq "--org with a name: says so" "$out" \
    "esealctl: issue: org: no organisation with organizationIdentifier Evil Corp is registered"
out=$(ctl issue --csr "$T/evil.csr" --org 7 2>&1); rc=$?
expect_eq "--org with an unknown id: exit 1" "$rc" 1
expect_eq "--org with an unknown id: says so" "$out" "esealctl: issue: org: no organisation 7"
out=$(ctl issue --csr "$T/evil.csr" --org $CORP 2>&1); rc=$?
expect_eq "--org with a corporate number: exit 1" "$rc" 1
expect_match "--org with a corporate number: hints at NTRJP-" "$out" \
    "named by NTRJP- and its corporate number"
expect_eq "refused --org: nothing written" "$(written)" "$before"

# A failed write of --out: exit 1, one line with the serial of the
# certificate, which is issued all the same.
csr full ec:P-256
out=$(ctl issue --csr "$T/full.csr" --org 1 --out /dev/full 2>&1); rc=$?
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
out=$(ctl issue --csr "$T/plain.csr" --org 1 --profile eseal --qscd \
    --validity-days 5 --bogus 2>&1); rc=$?
expect_eq "unknown option: exit 2" "$rc" 2
expect_eq "unknown option: one line" "$(printf '%s\n' "$out" | wc -l)" 1
expect_match "unknown option: named" "$out" "unrecognized option '--bogus'"
out=$(ctl issue --csr "$T/plain.csr" 2>&1); rc=$?
expect_eq "neither --org nor --register: exit 2" "$rc" 2
expect_eq "neither --org nor --register: one line" \
    "$(printf '%s\n' "$out" | wc -l)" 1
out=$(ctl issue --csr "$T/plain.csr" --org 1 --register --name "$ORG" \
    --corporate-number $CORP --evidence e 2>&1); rc=$?
expect_eq "both --org and --register: exit 2" "$rc" 2
out=$(ctl issue --csr "$T/plain.csr" --register --name "$ORG" \
    --corporate-number $CORP 2>&1); rc=$?
expect_eq "--register without --evidence: exit 2" "$rc" 2
expect_match "--register without --evidence: names what is needed" "$out" \
    "^esealctl: issue: --register needs --name, --evidence and --corporate-number or --org-id\$"
expect_eq "nothing issued by usage errors" \
    "$(sql 'SELECT COUNT(*) FROM certificates')" "$before"

# --batch DIR: every NAME.csr (not hidden, not other names), in name
# order, each to NAME.crt beside it; one line per certificate on stdout.
B=$T/batch
mkdir -p "$B"
for i in 1 2 3; do csr b$i ec:P-256; cp "$T/b$i.csr" "$B/b$i.csr"; done
echo "not a request" > "$B/README"
cp "$T/b1.csr" "$B/.hidden.csr"
certs0=$(sql "SELECT COUNT(*) FROM certificates WHERE status = 'issued'")
audit0=$(sql "SELECT COUNT(*) FROM audit WHERE action = 'cert.issue'")
out=$(ctl issue --batch "$B" --org 1 2>"$T/batch.err"); rc=$?
expect_eq "--batch: exits 0" "$rc" 0
expect_eq "--batch: one line per certificate, in name order" \
    "$(printf '%s\n' "$out" | awk '{ print $1 " " $3 }' | tr '\n' ' ')" \
    "b1.csr $B/b1.crt b2.csr $B/b2.crt b3.csr $B/b3.crt "
expect_match "--batch: the summary" "$(cat "$T/batch.err")" \
    "^esealctl: issue: batch of 3: 3 issued, 0 refused\$"
v=""
for i in 1 2 3; do
	v="$v$(openssl verify -CAfile "$T/ca.pem" "$B/b$i.crt" 2>&1) "
	[ "$(openssl x509 -in "$B/b$i.crt" -noout -pubkey)" = \
	    "$(openssl pkey -in "$T/b$i.key" -pubout)" ] || v="$v(b$i: not its key) "
done
expect_eq "--batch: each certificate verifies, for its request's key" "$v" \
    "$B/b1.crt: OK $B/b2.crt: OK $B/b3.crt: OK "
expect_eq "--batch: the registered subject" "$(subject "$B/b2.crt")" "$SUBJ"
serial=$(printf '%s\n' "$out" | sed -n 2p | cut -d' ' -f2)
expect_eq "--batch: the serial printed is the certificate's" \
    "$(openssl x509 -in "$B/b2.crt" -noout -serial | cut -d= -f2 | tr A-F a-f)" \
    "$serial"
expect_eq "--batch: three rows issued, three cert.issue records" \
    "$(sql "SELECT COUNT(*) FROM certificates WHERE status = 'issued'")-$(sql "SELECT COUNT(*) FROM audit WHERE action = 'cert.issue'")" \
    "$((certs0 + 3))-$((audit0 + 3))"
check "--batch: no certificate for the hidden file" test ! -e "$B/.hidden.crt"
out=$(ctl audit verify 2>&1); rc=$?
expect_eq "--batch: the audit chain verifies" "$rc" 0

# Again: every certificate exists, so nothing is issued.
out=$(ctl issue --batch "$B" --org 1 2>&1); rc=$?
expect_eq "--batch again: exit 1" "$rc" 1
expect_match "--batch again: never overwrites" "$out" \
    "^esealctl: issue: $B/b1\.csr: $B/b1\.crt exists: a batch never overwrites a certificate\$"
expect_match "--batch again: nothing issued" "$out" \
    "^esealctl: issue: nothing issued: 3 of 3 requests refused\$"
expect_eq "--batch again: no row" \
    "$(sql "SELECT COUNT(*) FROM certificates WHERE status = 'issued'")" "$((certs0 + 3))"

# A request that does not parse stops the batch before anything is issued;
# --out DIR puts the certificates elsewhere.
B2=$T/batch2
mkdir -p "$B2" "$T/out2"
csr c1 ec:P-256
cp "$T/c1.csr" "$B2/c1.csr"
cp "$ESEAL_TOP/tests/data/csr/bad/broken-signature.der" "$B2/c2.csr"
out=$(ctl issue --batch "$B2" --org 1 --out "$T/out2" 2>&1); rc=$?
expect_eq "--batch, a broken request: exit 1" "$rc" 1
expect_match "--batch, a broken request: names the file and the rule" "$out" \
    "^esealctl: $B2/c2\.csr: csr: RFC 2986"
expect_match "--batch, a broken request: nothing issued" "$out" \
    "^esealctl: issue: nothing issued: 1 of 2 requests refused\$"
check "--batch, a broken request: not even the good one" test ! -e "$T/out2/c1.crt"

# A key certified for another organisation is refused alone, by the rule;
# the others of the batch are issued.
csr o1 ec:P-256
out=$(ctl issue --csr "$T/o1.csr" --register --name "Other KK" \
    --corporate-number 9234567890123 --evidence e --out "$T/other.pem" 2>&1)
expect_eq "another organisation, its own key: issued" "$?" 0
openssl req -new -key "$T/o1.key" -subj "/CN=dup" -out "$B2/c2.csr" 2>/dev/null
csr c3 ec:P-256
cp "$T/c3.csr" "$B2/c3.csr"
before=$(sql "SELECT COUNT(*) FROM certificates WHERE status = 'issued'")
out=$(ctl issue --batch "$B2" --org 1 --out "$T/out2" 2>&1); rc=$?
expect_eq "--batch, one key of another organisation: exit 1" "$rc" 1
expect_match "--batch: the refused request, named with its rule" "$out" \
    "^esealctl: issue: c2\.csr: csr: the request's key is already certified for another organisation\$"
expect_match "--batch: the others issued" "$out" \
    "^esealctl: issue: batch of 3: 2 issued, 1 refused\$"
expect_eq "--batch: two rows issued, the refused one no row" \
    "$(sql "SELECT COUNT(*) FROM certificates WHERE status = 'issued'")-$(ls "$T/out2" | tr '\n' ' ')" \
    "$((before + 2))-c1.crt c3.crt "

mkdir -p "$T/empty"
out=$(ctl issue --batch "$T/empty" --org 1 2>&1); rc=$?
expect_eq "--batch of an empty directory: exit 1" "$rc" 1
expect_match "--batch of an empty directory: says why" "$out" \
    "^esealctl: issue: $T/empty: 0 request files \(NAME\.csr\): a batch is 1 to 65536\$"
out=$(ctl issue --batch "$T/nonexistent" --org 1 2>&1); rc=$?
expect_match "--batch of a missing directory: exit 1, named" "$rc $out" \
    "^1 esealctl: issue: $T/nonexistent: No such file or directory\$"
out=$(ctl issue --batch "$B" --csr "$T/c1.csr" --org 1 2>&1); rc=$?
expect_eq "--batch and --csr: exit 2" "$rc" 2
expect_match "--batch and --csr: one of them" "$out" "one of them"

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
