#!/bin/sh
# t_rotation.sh: issuer key rotation (docs/key-rotation.md) with real
# clients: certificates under issuer 1, a self-signed rotation to another
# key type on a second SoftHSM token, certificates under issuer 2; both
# verify with their own CA certificate (openssl verify, certtool), the link
# certificates in both directions; status of old certificates stays with
# issuer 1's key (CRL and OCSP), issuer 2 answers for its own; refused
# rotations (Historical module, key type the policy refuses) change nothing;
# the external-root shape with a parent made by `openssl ca`; retire; the
# warnings of /healthz.  eseald is restarted between every step.
. "$(dirname "$0")/lib.sh"

SOFTHSM=/usr/lib/softhsm/libsofthsm2.so
setup_ca ec-p256 "[ca]
root_cert = $T/root/root.pem
[hsm \"osaka-2\"]
module = $SOFTHSM
token = pkcs11:token=it2
pin_file = $T/hsm/pin2"
# The second token, in the same SoftHSM token directory.
od -An -N12 -tx1 /dev/urandom | tr -d ' \n' > "$T/hsm/pin2"
chmod 600 "$T/hsm/pin2"
softhsm2-util --init-token --free --label it2 --pin "$(cat "$T/hsm/pin2")" \
    --so-pin "$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')" >/dev/null ||
    { echo "second token failed"; exit 1; }

restart() {
	[ -n "$ESEALD_PID" ] && stop_daemon
	start_daemon || exit 1
}
# issue NAME: a certificate for a new EC P-256 key, $T/NAME.pem.
issue() {
	csr "$1" ec:P-256
	ctl issue --csr "$T/$1.csr" --register --name "株式会社サンプル" \
	    --corporate-number 7123456789012 --evidence "registry extract" \
	    --out "$T/$1.pem" >"$T/$1.out" 2>&1
}
# row NAME: status, key type and token of issuer NAME in `issuer list`.
row() {
	ctl issuer list 2>/dev/null | awk -v n="$1" '$1 == n { print $2, $3, $4 }'
}
# fetch NAME: /ca/NAME.crt over the publication listener, as $T/NAME.pem.
fetch() {
	curl -sf -o "$T/$1.der" "$PUB/ca/$1.crt" &&
	openssl x509 -inform DER -in "$T/$1.der" -out "$T/$1.pem"
}
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr A-F a-f; }
ski_of() { openssl x509 -in "$1" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' '; }
aki_of() { openssl x509 -in "$1" -noout -ext authorityKeyIdentifier | sed -n 2p | tr -d ' ' | sed 's/^keyid://'; }
verify() { openssl verify "$@" 2>&1 | tail -1; }

# --- issuer 1 ------------------------------------------------------------
out=$(ctl init 2>&1); rc=$?
expect_eq "init exits 0" "$rc" 0
expect_eq "issuer list: it-ca active, ec-p256, default token" "$(row it-ca)" \
    "active ec-p256 default"
list=$(ctl issuer list 2>&1)
expect_match "issuer list: a header" "$list" "^NAME +STATUS +KEY +TOKEN +MODULE +NOT_AFTER +COVERS +LAST_CRL"
expect_match "issuer list: the module and its CMVP status" "$list" \
    "it-ca +active +ec-p256 +default +softhsm \(not validated\)"
issue ee-a && issue ee-b
expect_eq "two certificates under issuer 1" "$(sql "SELECT COUNT(*) FROM certificates c JOIN issuers i ON i.id = c.issuer_id WHERE i.name = 'it-ca' AND c.status = 'issued'")" 2
expect_match "issuer list: it-ca covers 2" "$(ctl issuer list)" "it-ca .* 2 +0:"
restart
fetch it-ca && cp "$T/it-ca.pem" "$T/ca1.pem"
expect_eq "openssl verify: ee-a under issuer 1" "$(verify -CAfile "$T/ca1.pem" "$T/ee-a.pem")" "$T/ee-a.pem: OK"

# --- refused rotations: nothing changes ------------------------------------
cat > "$T/historical.conf" <<R
[policy]
unlisted = refuse
unvalidated = refuse
[module test-hsm]
manufacturer = SoftHSM project
model = SoftHSM v2
cmvp_cert = 9999
standard = 140-2
level = 3
status = historical
checked = 2026-11-01
source = test registry (not a real record)
R
sed "s#^registry = .*#registry = $T/historical.conf#" "$CONF" > "$T/h.conf"
out=$("$ESEALCTL" --config "$T/h.conf" issuer rotate --name ca-x --token osaka-2 2>&1); rc=$?
expect_eq "rotate to a Historical module: exit 1" "$rc" 1
expect_match "refusal names the module's status and its certificate number" \
    "$out" "Historical.*CMVP #9999|CMVP #9999.*Historical"
expect_match "refusal: nothing changed" "$out" "nothing changed"
out=$("$ESEALCTL" --config "$T/h.conf" hsm readiness --token osaka-2 2>&1)
expect_match "hsm readiness on a Historical module names the real command" "$out" \
    "^action: the module is Historical: move issuing to an Active module: esealctl issuer rotate --name NEW --token TOKEN"
out=$("$ESEALCTL" --config "$T/h.conf" hsm status --token osaka-2 2>&1)
expect_match "hsm status --token: the second token, Historical" "$out" "fips status: +Historical"
if printf '%s' "$out" | grep -q "planned"; then not_ok "hsm status: nothing called planned"
else ok "hsm status: nothing called planned"; fi
expect_match "hsm readiness --token: how to rotate onto it" "$(ctl hsm readiness --token osaka-2 2>&1)" \
    "^rotate onto this token: esealctl issuer rotate --name NEW --token osaka-2 --key-type T"
sed 's/^status = historical/status = revoked/' "$T/historical.conf" > "$T/revoked.conf"
sed "s#^registry = .*#registry = $T/revoked.conf#" "$CONF" > "$T/r.conf"
out=$("$ESEALCTL" --config "$T/r.conf" issuer rotate --name ca-x 2>&1); rc=$?
expect_eq "rotate to a Revoked module: exit 1" "$rc" 1
expect_match "refusal names Revoked and CMVP #9999" "$out" "Revoked.*CMVP #9999|CMVP #9999.*Revoked"
# A policy without rsa-4096 issuer keys.
python3 - "$ESEAL_TOP/conf/crypto-policy.conf" "$T/policy.conf" <<'PY'
import sys
out, skip = [], False
for line in open(sys.argv[1]):
    if line.startswith("["):
        skip = line.strip() == "[issuer-key rsa-4096]"
    if not skip:
        out.append(line)
open(sys.argv[2], "w").write("".join(out))
PY
sed "s#^crypto_policy = .*#crypto_policy = $T/policy.conf#" "$CONF" > "$T/p.conf"
out=$("$ESEALCTL" --config "$T/p.conf" issuer rotate --name ca-x --key-type rsa-4096 2>&1); rc=$?
expect_eq "rotate to a key type the policy does not allow: exit 1" "$rc" 1
expect_match "refusal names the policy" "$out" "rsa-4096"
out=$(ctl issuer rotate --name ca-x --token nowhere 2>&1); rc=$?
expect_eq "rotate to a token not configured: exit 1" "$rc" 1
expect_match "refusal names the token" "$out" "no token \"nowhere\""
out=$(ctl issuer rotate --name it-ca 2>&1); rc=$?
expect_eq "rotate to a name in use: exit 1" "$rc" 1
expect_eq "after the refusals: one issuer, still active" "$(sql "SELECT name || ' ' || status FROM issuers")" "it-ca active"
expect_eq "no half-made row or link" "$(sql "SELECT COUNT(*) FROM issuer_links")" 0
expect_match "the Historical refusal is audited" "$(sql "SELECT object || ' ' || detail FROM audit WHERE action = 'fips.refuse'")" "keygen .*Historical"
restart

# --- rotate: self-signed, ec-p256 -> ec-p384, to the second token -----------
out=$(ctl issuer rotate --name ca-2 --key-type ec-p384 --token osaka-2 2>&1); rc=$?
expect_eq "issuer rotate exits 0" "$rc" 0
expect_match "rotate says what it did" "$out" "issuer ca-2 active, it-ca retiring; link certificates"
expect_eq "issuer list: it-ca retiring" "$(row it-ca)" "retiring ec-p256 default"
expect_eq "issuer list: ca-2 active, ec-p384, on osaka-2" "$(row ca-2)" "active ec-p384 osaka-2"
expect_eq "the key is on the second token" "$(sql "SELECT token FROM issuers WHERE name = 'ca-2'")" osaka-2
expect_match "ca-2's key is on token it2" "$(ctl hsm status --token osaka-2 2>&1)" "label=eseal-issuer-ca-2"
expect_match "rotation audited, naming the operator" \
    "$(sql "SELECT actor || ' ' || action || ' ' || object || ' ' || detail FROM audit WHERE action = 'issuer.rotate'")" \
    "^local:.* issuer.rotate ca-2 from=it-ca key_type=ec-p384 token=osaka-2"
restart
expect_eq "after restart: it-ca still retiring" "$(row it-ca)" "retiring ec-p256 default"
expect_eq "after restart: ca-2 still active" "$(row ca-2)" "active ec-p384 osaka-2"
# The watcher covers the second token: its files go away and come back.
tok2=$(dirname "$(grep -l it2 "$T"/hsm/tokens/*/token.object)")
mv "$tok2" "$T/hsm/tok2.away"
h=""
for _ in $(seq 1 50); do
	h=$(curl -s --cacert "$T/tls.crt" -w ' %{http_code}' "$URL/healthz")
	printf '%s' "$h" | grep -q '"name":"osaka-2"}' && printf '%s' "$h" | grep -q '"status":"unavailable"[^}]*"name":"osaka-2"' && break
	sleep 0.1
done
expect_match "second token gone: /healthz says so for osaka-2" "$h" '"status":"unavailable","token":"pkcs11:token=it2"[^}]*"name":"osaka-2"'
expect_match "second token gone: the reason names it" "$h" 'hsm osaka-2: [a-z_]+ for [0-9]+ s, so nothing can be issued or signed with its keys'
expect_match "second token gone: 503" "$h" ' 503$'
expect_match "the default token still ok" "$h" '"hsm":\{"status":"ok","token":"pkcs11:token=it"'
mv "$T/hsm/tok2.away" "$tok2"
for _ in $(seq 1 100); do
	h=$(curl -s --cacert "$T/tls.crt" -w ' %{http_code}' "$URL/healthz")
	printf '%s' "$h" | grep -q ' 200$' && break
	sleep 0.1
done
expect_match "second token back: /healthz 200 within 10 s, without a restart" "$h" '"status":"ok".* 200$'
issue ee-c
fetch ca-2 && cp "$T/ca-2.pem" "$T/ca2.pem"
fetch it-ca
check "/ca/it-ca.crt still serves issuer 1's certificate" cmp "$T/it-ca.pem" "$T/ca1.pem"
expect_eq "ee-c's AKI is ca-2's key" "$(aki_of "$T/ee-c.pem")" "$(ski_of "$T/ca2.pem")"
expect_eq "ee-a's AKI is it-ca's key" "$(aki_of "$T/ee-a.pem")" "$(ski_of "$T/ca1.pem")"
expect_match "ee-c: AIA caIssuers names ca-2" "$(openssl x509 -in "$T/ee-c.pem" -noout -ext authorityInfoAccess)" "CA Issuers - URI:$PUB/ca/ca-2.crt"
expect_match "ee-c: CRL DP names ca-2" "$(openssl x509 -in "$T/ee-c.pem" -noout -ext crlDistributionPoints)" "URI:$PUB/crl/ca-2/0.crl"
expect_match "ca-2 is EC P-384" "$(openssl x509 -in "$T/ca2.pem" -noout -text)" "NIST CURVE: P-384|secp384r1"
expect_eq "openssl verify: old certificate with the old CA" "$(verify -CAfile "$T/ca1.pem" "$T/ee-b.pem")" "$T/ee-b.pem: OK"
expect_eq "openssl verify: new certificate with the new CA" "$(verify -CAfile "$T/ca2.pem" "$T/ee-c.pem")" "$T/ee-c.pem: OK"
v=$(verify -CAfile "$T/ca2.pem" "$T/ee-a.pem")
expect_match "openssl verify: old certificate with only the new CA fails" "$v" "error|fail"
certtool --verify --load-ca-certificate "$T/ca1.pem" --infile "$T/ee-a.pem" > "$T/ct1" 2>&1
expect_match "certtool: old certificate with the old CA" "$(cat "$T/ct1")" "Chain verification output: Verified"
certtool --verify --load-ca-certificate "$T/ca2.pem" --infile "$T/ee-c.pem" > "$T/ct2" 2>&1
expect_match "certtool: new certificate with the new CA" "$(cat "$T/ct2")" "Chain verification output: Verified"

# --- the link certificates ----------------------------------------------
check "/ca/ca-2.by-it-ca.crt: the old key certifies the new" fetch ca-2.by-it-ca
check "/ca/it-ca.by-ca-2.crt: the new key certifies the old" fetch it-ca.by-ca-2
check "link files in the publish directory" cmp "$T/ca-2.by-it-ca.der" "$T/pub/ca/ca-2.by-it-ca.crt"
L1=$T/ca-2.by-it-ca.pem L2=$T/it-ca.by-ca-2.pem
expect_eq "link by old: verifies with the old CA" "$(verify -partial_chain -CAfile "$T/ca1.pem" "$L1")" "$L1: OK"
expect_eq "link by new: verifies with the new CA" "$(verify -partial_chain -CAfile "$T/ca2.pem" "$L2")" "$L2: OK"
expect_eq "link by old: the new key" "$(openssl x509 -in "$L1" -noout -pubkey)" "$(openssl x509 -in "$T/ca2.pem" -noout -pubkey)"
expect_eq "link by new: the old key" "$(openssl x509 -in "$L2" -noout -pubkey)" "$(openssl x509 -in "$T/ca1.pem" -noout -pubkey)"
expect_eq "holder of the old CA verifies a new certificate through the link" \
    "$(verify -CAfile "$T/ca1.pem" -untrusted "$L1" "$T/ee-c.pem")" "$T/ee-c.pem: OK"
expect_eq "holder of the new CA verifies an old certificate through the link" \
    "$(verify -CAfile "$T/ca2.pem" -untrusted "$L2" "$T/ee-a.pem")" "$T/ee-a.pem: OK"
cat "$T/ee-c.pem" "$L1" > "$T/chain-c.pem"
certtool --verify --load-ca-certificate "$T/ca1.pem" --infile "$T/chain-c.pem" > "$T/ct3" 2>&1
expect_match "certtool: new certificate through the link with the old CA" "$(cat "$T/ct3")" "Chain verification output: Verified"
cat "$T/ee-a.pem" "$L2" > "$T/chain-a.pem"
certtool --verify --load-ca-certificate "$T/ca2.pem" --infile "$T/chain-a.pem" > "$T/ct4" 2>&1
expect_match "certtool: old certificate through the link with the new CA" "$(cat "$T/ct4")" "Chain verification output: Verified"
expect_match "link by old: CRL DP of it-ca, which signed it" "$(openssl x509 -in "$L1" -noout -ext crlDistributionPoints)" "URI:$PUB/crl/it-ca/0.crl"
expect_match "link by new: CRL DP of ca-2, which signed it" "$(openssl x509 -in "$L2" -noout -ext crlDistributionPoints)" "URI:$PUB/crl/ca-2/0.crl"
expect_match "link by old: AIA of it-ca" "$(openssl x509 -in "$L1" -noout -ext authorityInfoAccess)" "URI:$PUB/ca/it-ca.crt"
expect_match "link: a CA certificate" "$(openssl x509 -in "$L1" -noout -ext basicConstraints,keyUsage)" "CA:TRUE"
expect_match "issuer show: the links" "$(ctl issuer show ca-2)" "link: +it-ca's key certifies ca-2's"
chain=$(curl -sf "$PUB/ca/chain.pem")
expect_eq "/ca/chain.pem: both CA certificates, no link" "$(printf '%s\n' "$chain" | grep -c 'BEGIN CERTIFICATE')" 2

# --- status stays with the key that issued ---------------------------------
serial_a=$(serial_of "$T/ee-a.pem")
out=$(ctl revoke --serial "$serial_a" --reason keyCompromise 2>&1); rc=$?
expect_eq "revoke an old certificate: exit 0" "$rc" 0
restart
for _ in $(seq 1 50); do
	curl -sf -o "$T/crl1.der" "$PUB/crl/it-ca/0.crl" &&
	openssl crl -inform DER -in "$T/crl1.der" -noout -text 2>/dev/null | grep -qi "serial number: *$serial_a" && break
	sleep 0.1
done
crl1=$(openssl crl -inform DER -in "$T/crl1.der" -noout -text 2>&1)
if printf '%s' "$crl1" | grep -qi "serial number: *$serial_a"; then
	ok "issuer 1's CRL lists ee-a"
else not_ok "issuer 1's CRL lists ee-a: $crl1"; fi
expect_match "issuer 1's CRL verifies with issuer 1's certificate" \
    "$(openssl crl -inform DER -in "$T/crl1.der" -CAfile "$T/ca1.pem" -noout 2>&1)" "verify OK"
expect_match "issuer 1's CRL does not verify with issuer 2's" \
    "$(openssl crl -inform DER -in "$T/crl1.der" -CAfile "$T/ca2.pem" -noout 2>&1)" "fail|error"
curl -sf -o "$T/crl2.der" "$PUB/crl/ca-2/0.crl"
expect_match "issuer 2's CRL verifies with issuer 2's certificate" \
    "$(openssl crl -inform DER -in "$T/crl2.der" -CAfile "$T/ca2.pem" -noout 2>&1)" "verify OK"
if openssl crl -inform DER -in "$T/crl2.der" -noout -text | tr A-F a-f | grep -q "$serial_a"; then
	not_ok "issuer 2's CRL does not list ee-a"
else ok "issuer 2's CRL does not list ee-a"; fi
o=$(openssl ocsp -issuer "$T/ca1.pem" -cert "$T/ee-a.pem" -url "$PUB/ocsp" -CAfile "$T/ca1.pem" -no_nonce 2>&1)
expect_match "OCSP: ee-a revoked" "$o" "ee-a.pem: revoked"
expect_match "OCSP: signed by issuer 1 (verifies with its certificate)" "$o" "Response verify OK"
o=$(openssl ocsp -issuer "$T/ca1.pem" -cert "$T/ee-b.pem" -url "$PUB/ocsp" -CAfile "$T/ca1.pem" -no_nonce 2>&1)
expect_match "OCSP: ee-b (issuer 1) good" "$o" "ee-b.pem: good"
o=$(openssl ocsp -issuer "$T/ca2.pem" -cert "$T/ee-c.pem" -url "$PUB/ocsp" -CAfile "$T/ca2.pem" -no_nonce 2>&1)
expect_match "OCSP: ee-c (issuer 2) good" "$o" "ee-c.pem: good"
expect_match "OCSP: issuer 2 signs for its own" "$o" "Response verify OK"
o=$(openssl ocsp -issuer "$T/ca1.pem" -cert "$T/ee-c.pem" -url "$PUB/ocsp" -CAfile "$T/ca1.pem" -no_nonce 2>&1)
expect_match "OCSP: issuer 2's certificate asked of issuer 1: unknown" "$o" "ee-c.pem: unknown"

# --- warnings -------------------------------------------------------------
stop_daemon
cp "$CONF" "$T/base.conf"
printf '[ca]\nexpiry_warn_days = 3650\n' >> "$CONF"
start_daemon || exit 1
h=$(curl -s --cacert "$T/tls.crt" "$URL/healthz")
expect_match "/healthz warns of the CA certificate's expiry" "$h" "\"warnings\":\[\"issuer ca-2: its CA certificate expires [0-9-]+ \(in [0-9]+ days; \[ca\] expiry_warn_days = 3650\)"
expect_match "/healthz: every token" "$h" "\"tokens\":\[\{[^]]*\"name\":\"default\"[^]]*\"name\":\"osaka-2\""
expect_match "the log warns too" "$(cat "$T/eseald.log")" "level=warn .*issuer ca-2: its CA certificate expires"
stop_daemon
cp "$T/base.conf" "$CONF"
sed "s#^registry = .*#registry = $T/historical.conf#" "$CONF" > "$T/hw.conf"
"$ESEALD" --config "$T/hw.conf" > "$T/eseald-h.log" 2>&1 &
ESEALD_PID=$!
for _ in $(seq 1 100); do curl -s --cacert "$T/tls.crt" "$URL/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
h=$(curl -s --cacert "$T/tls.crt" "$URL/healthz")
expect_match "/healthz warns the active issuer's module is Historical" "$h" "issuer ca-2: its token osaka-2 is on module test-hsm .*Historical"
stop_daemon
start_daemon || exit 1
h=$(curl -s --cacert "$T/tls.crt" "$URL/healthz")
if printf '%s' "$h" | grep -q '"warnings"'; then not_ok "/healthz: no warnings when all is well ($h)"
else ok "/healthz: no warnings when all is well"; fi

# --- validity capped at the CA's notAfter ----------------------------------
out=$(ctl issuer rotate --name ca-3 --validity-days 30 2>&1); rc=$?
expect_eq "rotate to a short-lived CA: exit 0" "$rc" 0
expect_eq "ca-3 on ca-2's token (the default)" "$(row ca-3)" "active ec-p384 osaka-2"
# The running eseald follows the rotation: certificate, links and CRL.
check "without a restart: /ca/ca-3.crt served" fetch ca-3
check "without a restart: /ca/ca-3.by-ca-2.crt served" fetch ca-3.by-ca-2
for _ in $(seq 1 50); do curl -sf -o "$T/crl3.der" "$PUB/crl/ca-3/0.crl" && break; sleep 0.1; done
expect_match "without a restart: ca-3's CRL signed and served, verifying with ca-3" \
    "$(openssl crl -inform DER -in "$T/crl3.der" -CAfile "$T/ca-3.pem" -noout 2>&1)" "verify OK"
restart
issue ee-d
ca3_na=$(sql "SELECT not_after FROM issuers WHERE name = 'ca-3'")
ee_na=$(sql "SELECT not_after FROM certificates WHERE serial = '$(serial_of "$T/ee-d.pem")'")
expect_eq "end-entity validity capped at the CA's notAfter" "$ee_na" "$ca3_na"
expect_match "and it says so" "$(cat "$T/ee-d.out")" "validity capped at the CA certificate's notAfter"
expect_eq "issuer list: ca-2 retiring" "$(row ca-2)" "retiring ec-p384 osaka-2"

# --- the external-root shape ----------------------------------------------
mkdir -p "$T/root/db"
: > "$T/root/db/index.txt"
echo 1000 > "$T/root/db/serial"
cat > "$T/root/ca.cnf" <<C
[ca]
default_ca = root
[root]
dir = $T/root
database = \$dir/db/index.txt
serial = \$dir/db/serial
new_certs_dir = \$dir/db
certificate = \$dir/root.pem
private_key = \$dir/root.key
default_md = sha384
default_days = 1825
policy = any
unique_subject = no
copy_extensions = none
[any]
countryName = optional
organizationName = optional
commonName = supplied
[sub_ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[inter_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[not_ca]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
[no_crlsign]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign
subjectKeyIdentifier = hash
C
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes \
    -keyout "$T/root/root.key" -out "$T/root/root.pem" -days 3650 \
    -subj "/C=JP/O=Parent Root/CN=Parent Root CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
sign() { openssl ca -batch -config "$T/root/ca.cnf" -extensions "$1" -in "$2" -out "$3" >/dev/null 2>&1; }
out=$(ctl issuer rotate --name ext-1 --key-type ec-p256 --token default --csr-out "$T/ext-1.csr" 2>&1); rc=$?
expect_eq "rotate --csr-out: exit 0" "$rc" 0
expect_match "rotate --csr-out says what comes next" "$out" "issuer ext-1 pending.*import-cert ext-1"
check "the PKCS#10 verifies (signed on the HSM)" openssl req -in "$T/ext-1.csr" -noout -verify
expect_eq "issuer list: ext-1 pending" "$(row ext-1)" "pending ec-p256 default"
expect_eq "issuer list: ca-3 still active" "$(row ca-3)" "active ec-p384 osaka-2"
restart
expect_eq "after restart: ext-1 still pending" "$(row ext-1)" "pending ec-p256 default"
check "/ca/ext-1.crt: nothing while pending" sh -c "! curl -sf -o /dev/null '$PUB/ca/ext-1.crt'"
# A certificate for another key.
csr other ec:P-256
sign sub_ca "$T/other.csr" "$T/other.pem"
out=$(ctl issuer import-cert ext-1 "$T/other.pem" 2>&1); rc=$?
expect_eq "import-cert: a certificate for another key: exit 1" "$rc" 1
expect_match "refusal: another key" "$out" "RFC 5280 4.1.2.7: the certificate is for another key"
# Not a CA certificate.
sign not_ca "$T/ext-1.csr" "$T/ext-notca.pem"
out=$(ctl issuer import-cert ext-1 "$T/ext-notca.pem" 2>&1); rc=$?
expect_eq "import-cert: not a CA certificate: exit 1" "$rc" 1
expect_match "refusal: basicConstraints" "$out" "RFC 5280 4.2.1.9: the certificate is not a CA certificate"
sign no_crlsign "$T/ext-1.csr" "$T/ext-nocrl.pem"
out=$(ctl issuer import-cert ext-1 "$T/ext-nocrl.pem" 2>&1); rc=$?
expect_eq "import-cert: no cRLSign: exit 1" "$rc" 1
expect_match "refusal: keyUsage" "$out" "RFC 5280 4.2.1.3"
# From another root.
mkdir -p "$T/other-root/db"; : > "$T/other-root/db/index.txt"; echo 2000 > "$T/other-root/db/serial"
sed "s#$T/root#$T/other-root#g" "$T/root/ca.cnf" > "$T/other-root/ca.cnf"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/other-root/root.key" -out "$T/other-root/root.pem" -days 3650 \
    -subj "/CN=Another Root" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl ca -batch -config "$T/other-root/ca.cnf" -extensions sub_ca -in "$T/ext-1.csr" -out "$T/ext-other.pem" >/dev/null 2>&1
out=$(ctl issuer import-cert ext-1 "$T/ext-other.pem" 2>&1); rc=$?
expect_eq "import-cert: from another root: exit 1" "$rc" 1
expect_match "refusal: does not chain to [ca] root_cert" "$out" "does not chain to \[ca\] root_cert"
expect_eq "after the refusals: ext-1 still pending" "$(row ext-1)" "pending ec-p256 default"
expect_eq "after the refusals: ca-3 still active" "$(row ca-3)" "active ec-p384 osaka-2"
# The right one.
sign sub_ca "$T/ext-1.csr" "$T/ext-1.pem"
out=$(ctl issuer import-cert ext-1 "$T/ext-1.pem" 2>&1); rc=$?
expect_eq "import-cert: exit 0" "$rc" 0
expect_eq "issuer list: ext-1 active" "$(row ext-1)" "active ec-p256 default"
expect_eq "issuer list: ca-3 retiring" "$(row ca-3)" "retiring ec-p384 osaka-2"
expect_match "import audited" "$(sql "SELECT actor || ' ' || action || ' ' || object FROM audit WHERE action = 'issuer.import-cert'")" "^local:.* issuer.import-cert ext-1$"
out=$(ctl issuer import-cert ext-1 "$T/ext-1.pem" 2>&1); rc=$?
expect_eq "import-cert again: exit 1 (not pending)" "$rc" 1
restart
issue ee-e
fetch ext-1
check "/ca/ext-1.crt: the certificate the parent signed" cmp "$T/ext-1.der" "$(sh -c "openssl x509 -in '$T/ext-1.pem' -outform DER -out '$T/ext-1.cmp' && echo '$T/ext-1.cmp'")"
expect_eq "openssl verify: ext-1's certificate with the parent root" \
    "$(verify -CAfile "$T/root/root.pem" -untrusted "$T/ext-1.pem" "$T/ee-e.pem")" "$T/ee-e.pem: OK"
curl -sf "$PUB/ca/chain.pem" > "$T/chain.pem"
expect_match "/ca/chain.pem holds the parent root after ext-1" "$(openssl crl2pkcs7 -nocrl -certfile "$T/chain.pem" | openssl pkcs7 -print_certs -noout)" "Parent Root CA"
cat "$T/ee-e.pem" "$T/ext-1.pem" > "$T/chain-e.pem"
certtool --verify --load-ca-certificate "$T/root/root.pem" --infile "$T/chain-e.pem" > "$T/ct5" 2>&1
expect_match "certtool: ext-1's certificate with the parent root" "$(cat "$T/ct5")" "Chain verification output: Verified"
o=$(openssl ocsp -issuer "$T/ext-1.pem" -cert "$T/ee-e.pem" -url "$PUB/ocsp" -CAfile "$T/ext-1.pem" -partial_chain -no_nonce 2>&1)
expect_match "OCSP: ext-1 answers for its own" "$o" "ee-e.pem: good"

# --- retire ---------------------------------------------------------------
out=$(ctl issuer retire ext-1 2>&1); rc=$?
expect_eq "retire the active issuer: exit 1" "$rc" 1
expect_match "refusal: rotate first" "$out" "only a retiring issuer retires \(rotate to a new issuer first\)"
out=$(ctl issuer retire it-ca 2>&1); rc=$?
expect_eq "retire an issuer that still covers certificates: exit 1" "$rc" 1
expect_match "refusal says how many and until when" "$out" "still covers 1 unexpired, unrevoked certificate\(s\), the last until [0-9-]+"
out=$(ctl issuer retire it-ca --force 2>&1); rc=$?
expect_eq "retire --force without a reason: exit 1" "$rc" 1
n0=$(sql "SELECT MAX(number) FROM crls c JOIN issuers i ON i.id = c.issuer_id WHERE i.name = 'it-ca'")
out=$(ctl issuer retire it-ca --force --reason "test: key ceremony" 2>&1); rc=$?
expect_eq "retire --force --reason: exit 0" "$rc" 0
expect_match "retire says the final CRL is out" "$out" "issuer it-ca retired; its final CRL is published"
expect_eq "issuer list: it-ca retired" "$(row it-ca)" "retired ec-p256 default"
n1=$(sql "SELECT MAX(number) FROM crls c JOIN issuers i ON i.id = c.issuer_id WHERE i.name = 'it-ca'")
expect_eq "a final CRL was signed" "$n1" "$((n0 + 1))"
expect_match "forced retirement audited with its reason" \
    "$(sql "SELECT actor || ' ' || detail FROM audit WHERE action = 'issuer.retire'")" \
    "^local:.* forced=1 unexpired_unrevoked=1 .*reason=\"test: key ceremony\""
restart
expect_eq "after restart: it-ca retired" "$(row it-ca)" "retired ec-p256 default"
curl -sf -o "$T/crl-final.der" "$PUB/crl/it-ca/0.crl"
expect_eq "the final CRL stays served" "$(( $(openssl crl -inform DER -in "$T/crl-final.der" -noout -crlnumber | cut -d= -f2) ))" "$n1"
check "/ca/it-ca.crt still served" fetch it-ca

# --- under an intermediate of the parent: --chain ---------------------------
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes \
    -keyout "$T/root/inter.key" -out "$T/root/inter.csr" \
    -subj "/C=JP/O=Parent Root/CN=Parent Intermediate CA" 2>/dev/null
sign inter_ca "$T/root/inter.csr" "$T/root/inter.pem"
sed "s#^certificate = .*#certificate = \$dir/inter.pem#; s#^private_key = .*#private_key = \$dir/inter.key#" \
    "$T/root/ca.cnf" > "$T/root/inter.cnf"
out=$(ctl issuer rotate --name ext-2 --csr-out "$T/ext-2.csr" 2>&1); rc=$?
expect_eq "rotate --csr-out ext-2: exit 0" "$rc" 0
openssl ca -batch -config "$T/root/inter.cnf" -extensions sub_ca -in "$T/ext-2.csr" -out "$T/ext-2.pem" >/dev/null 2>&1
out=$(ctl issuer import-cert ext-2 "$T/ext-2.pem" 2>&1); rc=$?
expect_eq "import-cert under an intermediate, without --chain: exit 1" "$rc" 1
expect_match "refusal: unable to get the issuer" "$out" "does not chain to \[ca\] root_cert .*issuer certificate"
out=$(ctl issuer import-cert ext-2 "$T/ext-2.pem" --chain "$T/root/inter.pem" 2>&1); rc=$?
expect_eq "import-cert --chain: exit 0" "$rc" 0
expect_eq "issuer list: ext-2 active" "$(row ext-2)" "active ec-p256 default"
expect_eq "issuer list: ext-1 retiring" "$(row ext-1)" "retiring ec-p256 default"
restart
curl -sf "$PUB/ca/chain.pem" > "$T/chain2.pem"
expect_match "/ca/chain.pem holds the intermediate after ext-2" "$(openssl crl2pkcs7 -nocrl -certfile "$T/chain2.pem" | openssl pkcs7 -print_certs -noout)" "Parent Intermediate CA"
issue ee-f
expect_eq "openssl verify: a certificate of ext-2 through the stored chain" \
    "$(verify -CAfile "$T/root/root.pem" -untrusted "$T/chain2.pem" "$T/ee-f.pem")" "$T/ee-f.pem: OK"

# --- retiring -> retired by itself, in the daemon ---------------------------
# ca-3's certificates as if their time had passed (the store's own record).
stop_daemon
n3=$(sql "SELECT COUNT(*) FROM crls c JOIN issuers i ON i.id = c.issuer_id WHERE i.name = 'ca-3'")
sql "UPDATE certificates SET not_after = strftime('%s', 'now') - 60 WHERE issuer_id = (SELECT id FROM issuers WHERE name = 'ca-3')"
start_daemon || exit 1
for _ in $(seq 1 50); do [ "$(sql "SELECT status FROM issuers WHERE name = 'ca-3'")" = retired ] && break; sleep 0.1; done
expect_eq "eseald retires ca-3 once its last certificate has expired" "$(row ca-3)" "retired ec-p384 osaka-2"
expect_eq "ca-2 (certificates still valid) stays retiring" "$(row ca-2)" "retiring ec-p384 osaka-2"
expect_match "retired by eseald, audited" "$(sql "SELECT actor || ' ' || detail FROM audit WHERE action = 'issuer.retire' AND object = 'ca-3'")" \
    "^eseald forced=0 unexpired_unrevoked=0 .*reason=\"its last certificate expired\""
expect_eq "after its final CRL" "$(sql "SELECT COUNT(*) FROM crls c JOIN issuers i ON i.id = c.issuer_id WHERE i.name = 'ca-3'")" "$((n3 + 1))"
restart
expect_eq "issuer list after every step" "$(ctl issuer list | awk 'NR > 1 { print $1, $2 }' | tr '\n' ' ')" \
    "it-ca retired ca-2 retiring ca-3 retired ext-1 retiring ext-2 active "
stop_daemon
expect_eq "eseald exits 0" "$DAEMON_RC" 0

done_testing
