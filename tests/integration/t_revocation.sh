#!/bin/sh
# t_revocation.sh: CRLs and OCSP for relying parties, checked with OpenSSL's
# and GnuTLS's own clients against a live eseald: good before revocation,
# revoked after (CRL and OCSP, within 2 s), unknown for serials never
# issued, conditional GET, published files, hostile OCSP input.
. "$(dirname "$0")/lib.sh"

setup_ca ec-p256
# Two CRL shards: each certificate's shard is baked into its CRL DP.
ctl init --crl-shards 2 >/dev/null 2>&1 || { echo "init failed"; exit 1; }
python3 - "$T/eseal.db" "$T/ca.der" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
open(sys.argv[2], "wb").write(c.execute("SELECT cert FROM issuers").fetchone()[0])
PY
openssl x509 -inform DER -in "$T/ca.der" -out "$T/ca.pem"
for n in a b; do
	csr "ee-$n" ec:P-256
	ctl issue --csr "$T/ee-$n.csr" --register --name "株式会社サンプル" \
	    --corporate-number 7123456789012 --evidence "registry extract" \
	    --out "$T/ee-$n.pem" >/dev/null 2>&1 ||
	    { echo "issue failed"; exit 1; }
done
serial_a=$(openssl x509 -in "$T/ee-a.pem" -noout -serial | cut -d= -f2 | tr A-F a-f)
# The CRL of ee-a's shard, from its own CRL distribution point.
crl_url=$(openssl x509 -in "$T/ee-a.pem" -noout -ext crlDistributionPoints | sed -n 's/.*URI://p' | tr -d ' ')
expect_match "CRL DP names a shard" "$crl_url" "^$PUB/crl/it-ca/[01]\.crl$"

start_daemon || exit 1
fetch_crl() {
	curl -s -o "$T/crl.der" -D "$T/crl.h" "$crl_url" &&
	openssl crl -inform DER -in "$T/crl.der" -out "$T/crl.pem" 2>/dev/null
}
fetch_crl
expect_match "CRL over plain HTTP: 200" "$(head -1 "$T/crl.h")" " 200"
expect_match "CRL: application/pkix-crl" "$(cat "$T/crl.h")" "[Cc]ontent-[Tt]ype: application/pkix-crl"
expect_match "CRL: ETag" "$(cat "$T/crl.h")" '[Ee][Tt]ag: "[0-9a-f]{64}"'
expect_match "CRL: Cache-Control from nextUpdate" "$(cat "$T/crl.h")" "[Cc]ache-[Cc]ontrol: public, max-age=[0-9]+"
etag=$(grep -i '^etag:' "$T/crl.h" | cut -d' ' -f2 | tr -d '\r')
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$crl_url")
expect_eq "conditional GET: 304" "$code" 304
code=$(curl -s -o /dev/null -w '%{http_code}' "$PUB/crl/it-ca/7.crl")
expect_eq "unknown shard: 404" "$code" 404
check "CRL file published" cmp "$T/crl.der" "$T/pub/crl/it-ca/${crl_url##*/}"
expect_match "shard CRL carries its issuing distribution point" \
    "$(openssl crl -in "$T/crl.pem" -noout -text)" "Issuing Distribution Point: critical"
expect_match "the IDP is the certificate's CRL DP" \
    "$(openssl crl -in "$T/crl.pem" -noout -text)" "URI:$crl_url"
check "CA file published" cmp "$T/ca.der" "$T/pub/ca/it-ca.crt"
v=$(openssl verify -crl_check -CAfile "$T/ca.pem" -CRLfile "$T/crl.pem" "$T/ee-a.pem" 2>&1)
expect_eq "openssl verify -crl_check: OK before revocation" "$v" "$T/ee-a.pem: OK"

ocsp() {
	openssl ocsp -issuer "$T/ca.pem" -cert "$1" -url "$PUB/ocsp" \
	    -CAfile "$T/ca.pem" -resp_text 2>&1
}
o=$(ocsp "$T/ee-a.pem")
expect_match "OCSP POST: good" "$o" "ee-a.pem: good"
expect_match "OCSP: response verified" "$o" "Response verify OK"
expect_match "OCSP: nonce echoed" "$o" "OCSP Nonce"
if printf '%s' "$o" | grep -q "WARNING: no nonce"; then not_ok "OCSP: no nonce warning"; else ok "OCSP: no nonce warning"; fi
expect_match "OCSP: archiveCutoff" "$o" "Archive Cutoff"

# GET with the request in the path (RFC 6960 A.1).
openssl ocsp -issuer "$T/ca.pem" -cert "$T/ee-b.pem" -no_nonce -reqout "$T/req.der" >/dev/null 2>&1
b64=$(base64 -w0 "$T/req.der" | sed 's,/,%2F,g; s,+,%2B,g')
curl -s -o "$T/resp.der" -D "$T/ocsp.h" "$PUB/ocsp/$b64"
expect_match "OCSP GET: application/ocsp-response" "$(cat "$T/ocsp.h")" "application/ocsp-response"
o=$(openssl ocsp -respin "$T/resp.der" -issuer "$T/ca.pem" -cert "$T/ee-b.pem" -CAfile "$T/ca.pem" 2>&1)
expect_match "OCSP GET: good" "$o" "ee-b.pem: good"

# A serial this CA never issued: unknown, never good.
python3 - "$T/ee-a.pem" "$T/fake.pem" <<'PY'
import sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
c = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
k = ec.generate_private_key(ec.SECP256R1())
b = (x509.CertificateBuilder().subject_name(c.subject).issuer_name(c.issuer)
     .public_key(k.public_key()).serial_number(0x7777777777777777777777)
     .not_valid_before(c.not_valid_before).not_valid_after(c.not_valid_after))
open(sys.argv[2], "wb").write(b.sign(k, hashes.SHA256()).public_bytes(
    __import__("cryptography.hazmat.primitives.serialization", fromlist=["Encoding"]).Encoding.PEM))
PY
o=$(openssl ocsp -issuer "$T/ca.pem" -cert "$T/fake.pem" -url "$PUB/ocsp" -CAfile "$T/ca.pem" 2>&1)
expect_match "OCSP: never-issued serial is unknown" "$o" "fake.pem: unknown"

# Revoke; measure until the CRL and OCSP show it.
start=$(date +%s%N)
out=$(ctl revoke --serial "$serial_a" --reason keyCompromise 2>&1); rc=$?
expect_eq "esealctl revoke exits 0" "$rc" 0
seen_crl=""; seen_ocsp=""
while [ $(( ($(date +%s%N) - start) / 1000000 )) -lt 5000 ]; do
	if [ -z "$seen_crl" ] && fetch_crl && openssl crl -in "$T/crl.pem" -noout -text 2>/dev/null | grep -qi "$serial_a"; then
		seen_crl=$(( ($(date +%s%N) - start) / 1000000 ))
	fi
	if [ -z "$seen_ocsp" ] && ocsp "$T/ee-a.pem" | grep -q "ee-a.pem: revoked"; then
		seen_ocsp=$(( ($(date +%s%N) - start) / 1000000 ))
	fi
	[ -n "$seen_crl" ] && [ -n "$seen_ocsp" ] && break
	sleep 0.05
done
echo "  (revocation visible: CRL after ${seen_crl:-never} ms, OCSP after ${seen_ocsp:-never} ms)"
expect_match "revocation in the CRL within 2 s" "${seen_crl:-99999}" '^([0-9]{1,3}|1[0-9]{3})$'
expect_match "revocation in OCSP within 2 s" "${seen_ocsp:-99999}" '^([0-9]{1,3}|1[0-9]{3})$'
v=$(openssl verify -crl_check -CAfile "$T/ca.pem" -CRLfile "$T/crl.pem" "$T/ee-a.pem" 2>&1)
expect_match "openssl verify -crl_check: certificate revoked" "$v" "certificate revoked"
# ee-b against its own shard's CRL (the shards may differ).
url_b=$(openssl x509 -in "$T/ee-b.pem" -noout -ext crlDistributionPoints | sed -n 's/.*URI://p' | tr -d ' ')
curl -s "$url_b" | openssl crl -inform DER -out "$T/crl-b.pem"
v=$(openssl verify -crl_check -CAfile "$T/ca.pem" -CRLfile "$T/crl-b.pem" "$T/ee-b.pem" 2>&1)
expect_eq "the other certificate still verifies" "$v" "$T/ee-b.pem: OK"
t=$(openssl crl -in "$T/crl.pem" -noout -text)
expect_match "CRL text: number" "$t" "X509v3 CRL Number:"
expect_match "CRL text: reason keyCompromise" "$t" "Key Compromise"
o=$(ocsp "$T/ee-a.pem")
expect_match "OCSP: revoked with the reason" "$o" "Reason: keyCompromise"
# GnuTLS agrees.
g=$(certtool --verify --load-ca-certificate "$T/ca.pem" --load-crl "$T/crl.pem" --infile "$T/ee-a.pem" 2>&1)
expect_match "certtool: revoked" "$g" "[Rr]evoked"
g=$(certtool --verify --load-ca-certificate "$T/ca.pem" --load-crl "$T/crl-b.pem" --infile "$T/ee-b.pem" 2>&1)
expect_match "certtool: the other verifies" "$g" "Chain verification output: Verified"
out=$(ctl revoke --serial "$serial_a" --reason superseded 2>&1); rc=$?
expect_eq "revoking twice: exit 1" "$rc" 1
expect_match "revoking twice: says so" "$out" "already revoked"
out=$(ctl revoke --serial 0102 --reason superseded 2>&1); rc=$?
expect_eq "unknown serial: exit 1" "$rc" 1
out=$(ctl revoke --serial "$serial_a" --reason certificateHold 2>&1); rc=$?
expect_match "certificateHold not offered" "$out" "certificateHold"
out=$(ctl crl show 2>&1)
expect_match "crl show prints the CRL" "$out" "Certificate Revocation List"

# Hostile OCSP input: answered, never a crash.
for f in "$ESEAL_TOP"/tests/data/ocsp/bad/*; do
	code=$(curl -s -o "$T/r.der" -w '%{http_code}' -H 'Content-Type: application/ocsp-request' --data-binary "@$f" "$PUB/ocsp")
	case $code in
	200) s=$(openssl ocsp -respin "$T/r.der" -resp_text -noverify 2>&1 |
	    sed -n 's/.*Responder Error: \([a-z]*\).*/\1/p; s/.*OCSP Response Status: \([a-z]*\).*/\1/p' | head -1) ;;
	*) s="http $code" ;;
	esac
	case $s in
	malformedrequest|unauthorized|"http 413") ok "hostile $(basename "$f"): $s" ;;
	successful*) ok "hostile $(basename "$f"): answered ($s)" ;;
	*) not_ok "hostile $(basename "$f"): $s" ;;
	esac
done
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$T/req.der" "$PUB/ocsp")
expect_eq "OCSP POST without the content type: 415" "$code" 415
code=$(curl -s -o "$T/r.der" -w '%{http_code}' "$PUB/ocsp/not*base64")
expect_eq "non-base64 GET: answered 200" "$code" 200
expect_match "non-base64 GET: malformedRequest" "$(openssl ocsp -respin "$T/r.der" -resp_text -noverify 2>&1)" "malformedrequest"
head -c 200000 /dev/urandom > "$T/big"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/ocsp-request' --data-binary @"$T/big" "$PUB/ocsp")
expect_eq "oversized OCSP body: 413" "$code" 413
check "daemon still alive" curl -sf --cacert "$T/tls.crt" "$URL/healthz"
stop_daemon
expect_eq "SIGTERM: exit 0" "$DAEMON_RC" 0
done_testing
