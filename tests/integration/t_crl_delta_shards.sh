#!/bin/sh
# t_crl_delta_shards.sh: delta CRLs per shard (RFC 5280 5.2.4, issue 17
# item 5).  An issuer with two shards and [publish] delta_crl = on: each
# certificate's freshestCRL names its own shard's delta; each shard's
# delta carries that shard's issuingDistributionPoint (the base's, the
# URI of its CRL) and completes that shard's base; a revocation in shard 1
# reaches shard 1's delta only, and `openssl verify -use_deltas` with
# shard 1's base and delta finds it revoked while shard 0's certificate
# stays OK with shard 0's.
. "$(dirname "$0")/lib.sh"

setup_ca ec-p256 "[publish]
delta_crl = on"
ctl init --crl-shards 2 >/dev/null 2>&1 || { echo "init failed"; exit 1; }
sql "SELECT writefile('$T/ca.der', cert) FROM issuers WHERE id = 1" >/dev/null
openssl x509 -inform DER -in "$T/ca.der" -out "$T/ca.pem"
# One certificate in each shard.
i=0
while { [ ! -f "$T/s0.pem" ] || [ ! -f "$T/s1.pem" ]; } && [ $i -lt 40 ]; do
	i=$((i + 1))
	csr "ee$i" ec:P-256
	ctl issue --csr "$T/ee$i.csr" --register --name "株式会社サンプル" \
	    --corporate-number 7123456789012 --evidence "registry extract" \
	    --out "$T/ee$i.pem" >/dev/null 2>&1 || { echo "issue failed"; exit 1; }
	case $(openssl x509 -in "$T/ee$i.pem" -noout -ext crlDistributionPoints) in
	*/0.crl*) [ -f "$T/s0.pem" ] || cp "$T/ee$i.pem" "$T/s0.pem" ;;
	*/1.crl*) [ -f "$T/s1.pem" ] || cp "$T/ee$i.pem" "$T/s1.pem" ;;
	esac
done
check "a certificate in each shard" test -f "$T/s0.pem" -a -f "$T/s1.pem"
for s in 0 1; do
	expect_match "shard $s: the certificate's freshestCRL is its shard's delta" \
	    "$(openssl x509 -in "$T/s$s.pem" -noout -text | grep -A3 'X509v3 Freshest CRL' | tr -d ' ')" \
	    "URI:$PUB/crl/it-ca/$s-delta.crl\$"
done

start_daemon || exit 1
for s in 0 1; do
	code=000
	for _ in $(seq 1 50); do
		code=$(curl -s -o "$T/d$s.der" -w '%{http_code}' "$PUB/crl/it-ca/$s-delta.crl")
		[ "$code" = 200 ] && break
		sleep 0.1
	done
	expect_eq "shard $s: its delta CRL is served" "$code" 200
done
s1=$(openssl x509 -in "$T/s1.pem" -noout -serial | cut -d= -f2)
ctl revoke --serial "$s1" --reason keyCompromise >/dev/null 2>&1 || { echo "revoke failed"; exit 1; }
for _ in $(seq 1 50); do
	curl -s -o "$T/d1.der" "$PUB/crl/it-ca/1-delta.crl"
	openssl crl -inform DER -in "$T/d1.der" -noout -text | grep -q "Serial Number: $s1" && break
	sleep 0.1
done
for s in 0 1; do
	curl -s -o "$T/d$s.der" "$PUB/crl/it-ca/$s-delta.crl"
	curl -s -o "$T/b$s.der" "$PUB/crl/it-ca/$s.crl"
	dt=$(openssl crl -inform DER -in "$T/d$s.der" -noout -text)
	bt=$(openssl crl -inform DER -in "$T/b$s.der" -noout -text)
	expect_eq "shard $s: the delta's IDP is the base's" \
	    "$(echo "$dt" | grep -A4 'Issuing Distribution Point' | tr -d ' ')" \
	    "$(echo "$bt" | grep -A4 'Issuing Distribution Point' | tr -d ' ')"
	expect_match "shard $s: ... naming the shard's CRL" \
	    "$(echo "$dt" | grep -A4 'Issuing Distribution Point: critical' | tr -d ' ')" \
	    "URI:$PUB/crl/it-ca/$s.crl"
	expect_eq "shard $s: the delta completes the shard's base" \
	    "$(echo "$dt" | grep -A1 'Delta CRL Indicator: critical' | tail -1 | tr -d ' ')" \
	    "$(printf '%d' "0x$(openssl crl -inform DER -in "$T/b$s.der" -noout -crlnumber | sed 's/crlNumber=0x//')")"
	openssl crl -inform DER -in "$T/b$s.der" -out "$T/b$s.pem"
	openssl crl -inform DER -in "$T/d$s.der" -out "$T/d$s.pem"
done
expect_match "shard 1's delta lists the revocation" \
    "$(openssl crl -inform DER -in "$T/d1.der" -noout -text)" "Serial Number: $s1"
expect_eq "shard 0's delta does not" \
    "$(openssl crl -inform DER -in "$T/d0.der" -noout -text | grep -c 'Serial Number:')" 0
v=$(openssl verify -crl_check -use_deltas -extended_crl -CAfile "$T/ca.pem" \
    -CRLfile "$T/b1.pem" -CRLfile "$T/d1.pem" "$T/s1.pem" 2>&1)
expect_match "shard 1: openssl verify -use_deltas: revoked" "$v" "certificate revoked"
v=$(openssl verify -crl_check -use_deltas -extended_crl -CAfile "$T/ca.pem" \
    -CRLfile "$T/b0.pem" -CRLfile "$T/d0.pem" "$T/s0.pem" 2>&1)
expect_eq "shard 0: openssl verify -use_deltas: OK" "$v" "$T/s0.pem: OK"
expect_eq "each shard counts its own numbers (base and delta, one sequence)" \
    "$(sql "SELECT COUNT(*) FROM (SELECT shard, number FROM crls UNION ALL SELECT shard, number FROM crl_deltas) GROUP BY shard, number HAVING COUNT(*) > 1")" ""
stop_daemon
done_testing
