#!/bin/sh
# t_crl_delta.sh: delta CRLs (RFC 5280 5.2.4, issue 17 item 5).  With
# [publish] delta_crl = on: new certificates and the base CRL name the
# delta's URL in freshestCRL; GET /crl/{issuer}/{shard}-delta.crl serves a
# delta CRL with a critical Delta CRL Indicator (the base's number) and a
# number from the same sequence; revocations after the base (by esealctl
# and by eseald's own thread) appear in the delta, not in the base, and
# `openssl verify -crl_check -use_deltas` with both finds them revoked;
# the delta is stored (crl_deltas) and written beside the base file.  With
# delta_crl = off: no freshestCRL and the delta route answers 404.
. "$(dirname "$0")/lib.sh"

setup_ca ec-p256 "[publish]
delta_crl = on"
ctl init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
sql "SELECT writefile('$T/ca.der', cert) FROM issuers WHERE id = 1" >/dev/null
openssl x509 -inform DER -in "$T/ca.der" -out "$T/ca.pem"
for n in 1 2 3; do
	csr "ee$n" ec:P-256
	ctl issue --csr "$T/ee$n.csr" --register --name "株式会社サンプル" \
	    --corporate-number 7123456789012 --evidence "registry extract" \
	    --out "$T/ee$n.pem" >/dev/null 2>&1 || { echo "issue failed"; exit 1; }
done
DELTA_URL=$PUB/crl/it-ca/0-delta.crl
BASE_URL=$PUB/crl/it-ca/0.crl
expect_match "a new certificate names the delta CRL (freshestCRL)" \
    "$(openssl x509 -in "$T/ee1.pem" -noout -text | grep -A3 'X509v3 Freshest CRL' | tr -d ' ')" \
    "URI:$DELTA_URL"

start_daemon || exit 1
# The thread makes the first delta over the base it signed at start.
code=000
for _ in $(seq 1 50); do
	code=$(curl -s -o "$T/d0.der" -w '%{http_code}' "$DELTA_URL")
	[ "$code" = 200 ] && break
	sleep 0.1
done
expect_eq "GET the delta CRL: 200" "$code" 200
ct=$(curl -s -o /dev/null -w '%{content_type}' "$DELTA_URL")
expect_eq "the delta CRL is application/pkix-crl" "$ct" "application/pkix-crl"
curl -s -o "$T/b0.der" "$BASE_URL"
bn=$(openssl crl -inform DER -in "$T/b0.der" -noout -crlnumber | sed 's/crlNumber=0x//')
bt=$(openssl crl -inform DER -in "$T/b0.der" -noout -text)
expect_match "the base CRL names the delta CRL (freshestCRL)" \
    "$(echo "$bt" | grep -A3 'X509v3 Freshest CRL' | tr -d ' ')" "URI:$DELTA_URL"
dt=$(openssl crl -inform DER -in "$T/d0.der" -noout -text)
expect_match "the delta carries a critical Delta CRL Indicator" "$dt" \
    "X509v3 Delta CRL Indicator: critical"
expect_eq "... whose value is the base CRL's number" \
    "$(echo "$dt" | grep -A1 'Delta CRL Indicator' | tail -1 | tr -d ' ')" \
    "$(printf '%d' "0x$bn")"
dn=$(openssl crl -inform DER -in "$T/d0.der" -noout -crlnumber | sed 's/crlNumber=0x//')
expect_eq "the delta's number follows the base's (one sequence)" \
    "$(printf '%d' "0x$dn")" "$(($(printf '%d' "0x$bn") + 1))"
expect_match "no revocation since the base: the delta is empty" "$dt" \
    "No Revoked Certificates"
check "the delta verifies with the CA certificate" \
    sh -c "openssl crl -inform DER -in '$T/d0.der' -CAfile '$T/ca.pem' -noout 2>&1 | grep -qx 'verify OK'"

# A revocation by esealctl while eseald runs: a delta, not a new base.
s1=$(openssl x509 -in "$T/ee1.pem" -noout -serial | cut -d= -f2)
out=$(ctl revoke --serial "$s1" --reason keyCompromise 2>&1)
expect_match "esealctl revoke signs a CRL" "$out" "CRL number [0-9]+ signed"
# One by eseald's thread: revoked with its shard owed, as the API leaves it.
s2=$(sql "SELECT serial FROM certificates WHERE serial = lower('$(openssl x509 -in "$T/ee2.pem" -noout -serial | cut -d= -f2)')")
sql "INSERT INTO revocations (serial, reason, revoked_at, requested_by)
    VALUES ('$s2', 1, unixepoch(), 't');
    INSERT INTO crl_owed (issuer_id, shard, serial, since)
    VALUES (1, 0, '$s2', unixepoch())"
for _ in $(seq 1 50); do
	curl -s -o "$T/d1.der" "$DELTA_URL"
	[ "$(openssl crl -inform DER -in "$T/d1.der" -noout -text | grep -c 'Serial Number:')" = 2 ] && break
	sleep 0.1
done
d1t=$(openssl crl -inform DER -in "$T/d1.der" -noout -text)
expect_match "the delta lists the esealctl revocation" "$d1t" "Serial Number: $s1"
expect_match "the delta lists the thread's revocation" "$d1t" \
    "Serial Number: $(echo "$s2" | tr 'a-f' 'A-F')"
expect_eq "the delta lists exactly those two" \
    "$(echo "$d1t" | grep -c 'Serial Number:')" 2
expect_eq "the owed mark was cleared by the delta" \
    "$(sql "SELECT COUNT(*) FROM crl_owed")" 0
curl -s -o "$T/b1.der" "$BASE_URL"
check "the base CRL was not re-signed" cmp "$T/b0.der" "$T/b1.der"
expect_eq "the base lists neither" \
    "$(openssl crl -inform DER -in "$T/b1.der" -noout -text | grep -c 'Serial Number:')" 0
expect_eq "the delta still completes the same base" \
    "$(echo "$d1t" | grep -A1 'Delta CRL Indicator' | tail -1 | tr -d ' ')" \
    "$(printf '%d' "0x$bn")"

# A relying party with base + delta.
openssl crl -inform DER -in "$T/b1.der" -out "$T/base.pem"
openssl crl -inform DER -in "$T/d1.der" -out "$T/delta.pem"
v=$(openssl verify -crl_check -use_deltas -CAfile "$T/ca.pem" \
    -CRLfile "$T/base.pem" -CRLfile "$T/delta.pem" "$T/ee1.pem" 2>&1)
expect_match "openssl verify -use_deltas: revoked after the base is revoked" \
    "$v" "certificate revoked"
v=$(openssl verify -crl_check -use_deltas -CAfile "$T/ca.pem" \
    -CRLfile "$T/base.pem" -CRLfile "$T/delta.pem" "$T/ee3.pem" 2>&1)
expect_eq "openssl verify -use_deltas: an unrevoked certificate is OK" "$v" "$T/ee3.pem: OK"
v=$(openssl verify -crl_check -use_deltas -extended_crl -CAfile "$T/ca.pem" \
    -CRLfile "$T/base.pem" -CRLfile "$T/delta.pem" "$T/ee2.pem" 2>&1)
expect_match "openssl verify -use_deltas -extended_crl: revoked" "$v" "certificate revoked"
v=$(openssl verify -crl_check -CAfile "$T/ca.pem" -CRLfile "$T/base.pem" "$T/ee1.pem" 2>&1)
expect_eq "the base alone does not know it (the delta is what tells)" "$v" "$T/ee1.pem: OK"

# Stored and written as served; one number sequence over both tables.
sql "SELECT hex(der) FROM crl_deltas ORDER BY number DESC LIMIT 1" | xxd -r -p > "$T/d.store"
check "the newest stored delta CRL is the one served" cmp "$T/d1.der" "$T/d.store"
check "the delta file is written beside the base" cmp "$T/d1.der" "$T/pub/crl/it-ca/0-delta.crl"
expect_eq "no CRL number is used twice (base or delta)" \
    "$(sql "SELECT COUNT(*) - COUNT(DISTINCT number) FROM (SELECT number FROM crls UNION ALL SELECT number FROM crl_deltas)")" 0
expect_eq "every delta's number is above its base's" \
    "$(sql "SELECT COUNT(*) FROM crl_deltas WHERE number <= base_number")" 0
stop_daemon

# A store restored from before the published delta: eseald refuses to
# start, and reconcile takes the delta's revocation and number back.
D=$(printf '%d' "0x$(openssl crl -inform DER -in "$T/d1.der" -noout -crlnumber | sed 's/crlNumber=0x//')")
sql "DELETE FROM crl_deltas; DELETE FROM revocations WHERE serial = '$s2'"
timeout 30 "$ESEALD" --config "$CONF" > "$T/refused.log" 2>&1; rc=$?
expect_eq "older store than the published delta: eseald does not start" \
    "$([ "$rc" != 0 ] && [ "$rc" != 124 ] && echo refused)" refused
expect_match "... naming the delta file and its number" "$(cat "$T/refused.log")" \
    "0-delta.crl, already published, is number $D"
out=$(ctl backup reconcile --published "$T/pub" 2>&1); rc=$?
expect_eq "reconcile with the delta file: exit 0" "$rc" 0
expect_match "reconcile re-imports the revocation only the delta lists" "$out" \
    "$s2"
expect_match "reconcile continues the numbers above the delta's" "$out" \
    "published number $D, the next is $((D + 1))"
start_daemon || exit 1
for _ in $(seq 1 50); do
	curl -s -o "$T/d2.der" "$DELTA_URL"
	n2=$(printf '%d' "0x$(openssl crl -inform DER -in "$T/d2.der" -noout -crlnumber | sed 's/crlNumber=0x//')")
	[ "$n2" -gt "$D" ] && break
	sleep 0.1
done
expect_eq "after reconcile, the next CRL is numbered above the published delta" \
    "$([ "$n2" -gt "$D" ] && echo above)" above
stop_daemon

# Off: no freshestCRL in new certificates or CRLs, and no delta route.
sed -i 's/^delta_crl = on$/delta_crl = off/' "$CONF"
ctl crl generate >/dev/null 2>&1 || { echo "crl generate failed"; exit 1; }
csr ee4 ec:P-256
ctl issue --csr "$T/ee4.csr" --register --name "株式会社サンプル" \
    --corporate-number 7123456789012 --evidence "registry extract" \
    --out "$T/ee4.pem" >/dev/null 2>&1 || { echo "issue failed"; exit 1; }
expect_eq "off: no freshestCRL in a new certificate" \
    "$(openssl x509 -in "$T/ee4.pem" -noout -text | grep -c 'Freshest CRL')" 0
check "off: the certificate still has its CRL distribution point" \
    sh -c "openssl x509 -in '$T/ee4.pem' -noout -text | grep -q 'CRL Distribution Points'"
start_daemon || exit 1
curl -s -o "$T/b2.der" "$BASE_URL"
expect_eq "off: no freshestCRL in the base CRL" \
    "$(openssl crl -inform DER -in "$T/b2.der" -noout -text | grep -c 'Freshest CRL')" 0
expect_eq "off: the delta route answers 404" \
    "$(curl -s -o "$T/nod.out" -w '%{http_code}' "$DELTA_URL")" 404
expect_match "off: ... with a JSON error" "$(cat "$T/nod.out")" '"error"'
stop_daemon
done_testing
