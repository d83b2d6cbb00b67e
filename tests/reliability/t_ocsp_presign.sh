#!/bin/sh
# t_ocsp_presign.sh: [ocsp] presign = on keeps a signed OCSP answer for
# every unexpired certificate in the store, so relying parties get one
# while the HSM is away.  Three certificates are issued and one revoked
# over the API after the presigner covered them; once /metrics says every
# certificate has a current answer, the token files are moved away, and
# OCSP (openssl ocsp -url, POST) for certificates never asked about
# answers successful, verified against the CA certificate: good, and
# revoked with its reason; a request with a nonce gets the presigned
# answer too.  A certificate revoked during the fault is never answered
# good (its presigned answer was invalidated with the revocation, and
# none can be signed: tryLater).  With presign = off and the same store,
# the same question during a fault gets no signed answer.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/rel.sh"

MPORT=$(free_port)
setup_ca ec-p256 "[ocsp]
presign = on
[metrics]
listen = 127.0.0.1:$MPORT"
MURL=http://127.0.0.1:$MPORT/metrics
ctl init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
ra_account
issue_certs 3
start_daemon || exit 1
ra_login
$C -o "$T/ca.der" "$URL/ca/it-ca.crt"
openssl x509 -inform DER -in "$T/ca.der" -out "$T/ca.pem"

# metric NAME: its value on /metrics now ("" if absent).
metric() {
	curl -s "$MURL" | awk -v n="$1" '$1 == n { print $2; exit }'
}
# presigned_all N SECS: milliseconds until the presigner's last walk
# found N certificates with an answer, none without, and nothing due.
presigned_all() {
	w0=$(now_ms)
	while [ $(( $(now_ms) - w0 )) -lt $(( $2 * 1000 )) ]; do
		if [ "$(metric 'eseal_ocsp_presign_certificates{answer="yes"}')" = "$1" ] &&
		    [ "$(metric 'eseal_ocsp_presign_certificates{answer="no"}')" = 0 ] &&
		    [ "$(metric eseal_ocsp_presign_due)" = 0 ]; then
			echo $(( $(now_ms) - w0 ))
			return 0
		fi
		sleep 0.1
	done
	echo never
	return 1
}
# ocsp CERT [nonce]: what `openssl ocsp -url` says of CERT, verified
# against the CA certificate: "verified good", "verified revoked",
# "tryLater", ...
ocsp() {
	n=-no_nonce
	[ "${2:-}" = nonce ] && n=-nonce
	openssl ocsp -CAfile "$T/ca.pem" -issuer "$T/ca.pem" -cert "$1" \
	    -url "$PUB/ocsp" $n > "$T/ocsp.out" 2>&1
	v=$(grep -q '^Response verify OK' "$T/ocsp.out" && echo "verified ")
	s=$(sed -n "s,^$1: \([a-z]*\)\$,\1,p" "$T/ocsp.out" | head -1)
	e=$(sed -n 's/.*Responder Error: \([a-zA-Z]*\).*/\1/p' "$T/ocsp.out" | head -1)
	echo "${e:-$v$s}"
}

ms=$(presigned_all 3 20)
echo "  (3 certificates presigned after $ms ms)"
expect_match "presigner: every certificate has an answer" "$ms" '^[0-9]+$'
expect_eq "store: one presigned answer per certificate" \
    "$(sql "SELECT COUNT(*) FROM ocsp_presigned WHERE der IS NOT NULL AND status = 0")" 3
s2=$(sed -n 2p "$T/serials")
s3=$(sed -n 3p "$T/serials")
signed=$(metric eseal_ocsp_presign_signed_total)
r=$(post "/api/v1/certificates/$s2/revoke" '{"reason":"keyCompromise"}' "$TOK")
expect_eq "revocation: 200" "$(code_of "$r")" 200
expect_eq "revocation: its presigned good is gone at once" \
    "$(sql "SELECT COUNT(*) FROM ocsp_presigned WHERE serial = '$s2' AND der IS NOT NULL AND status = 0")" 0
w0=$(now_ms)
while [ "$(metric eseal_ocsp_presign_signed_total)" -le "$signed" ] ||
    [ "$(metric eseal_ocsp_presign_due)" != 0 ]; do
	[ $(( $(now_ms) - w0 )) -gt 20000 ] && break
	sleep 0.1
done
expect_eq "presigner: the revoked one signed again, as revoked" \
    "$(sql "SELECT status FROM ocsp_presigned WHERE serial = '$s2' AND der IS NOT NULL")" 1

token_away
ms=$(wait_health '"status":"degraded".* 503$' 5)
expect_match "token files gone: /healthz degraded (after $ms ms)" "$ms" '^[0-9]+$'
expect_eq "HSM away, never asked before: good, signed" "$(ocsp "$T/ee-1.pem")" "verified good"
expect_eq "HSM away, never asked before: revoked, signed" "$(ocsp "$T/ee-2.pem")" "verified revoked"
check "HSM away: the revocation's reason" grep -q 'Reason: keyCompromise' "$T/ocsp.out"
expect_eq "HSM away, a nonce asked for: the presigned good" "$(ocsp "$T/ee-3.pem" nonce)" "verified good"
check "HSM away, a nonce asked for: the answer has none" grep -q 'WARNING: no nonce in response' "$T/ocsp.out"
r=$(post "/api/v1/certificates/$s3/revoke" '{"reason":"superseded"}' "$TOK")
expect_eq "revocation while the HSM is away: accepted" "$(code_of "$r")" 200
expect_match "revoked while the HSM is away: never good" "$(ocsp "$T/ee-3.pem")" '^[Tt]ry[Ll]ater$'
expect_match "revoked while the HSM is away, with a nonce: never good" "$(ocsp "$T/ee-3.pem" nonce)" '^[Tt]ry[Ll]ater$'
token_back
ms=$(wait_health '^\{"status":"ok".* 200$' 10)
expect_match "token back: /healthz ok (after $ms ms)" "$ms" '^[0-9]+$'
w0=$(now_ms)
while [ "$(ocsp "$T/ee-3.pem")" != "verified revoked" ] &&
    [ $(( $(now_ms) - w0 )) -lt 10000 ]; do
	sleep 0.2
done
expect_eq "token back: revoked, signed" "$(ocsp "$T/ee-3.pem")" "verified revoked"
# That answer may be a live signature: the presigner refills ee-3's row on
# its own round, which is what the stop must keep.
w0=$(now_ms)
while [ "$(sql "SELECT COUNT(*) FROM ocsp_presigned WHERE der IS NOT NULL")" != 3 ] &&
    [ $(( $(now_ms) - w0 )) -lt 20000 ]; do
	sleep 0.2
done
stop_daemon
expect_eq "SIGTERM: exit 0" "$DAEMON_RC" 0
expect_eq "presigned answers kept across the stop" \
    "$(sql "SELECT COUNT(*) FROM ocsp_presigned WHERE der IS NOT NULL")" 3

# The same store and question with presign = off: no signed answer.
sed -i 's/^presign = on$/presign = off/' "$CONF"
restart_daemon || exit 1
token_away
wait_health '"status":"degraded".* 503$' 5 >/dev/null
expect_match "presign off, HSM away: no signed good" "$(ocsp "$T/ee-1.pem")" '^[Tt]ry[Ll]ater$'
expect_match "presign off, HSM away: no signed revoked" "$(ocsp "$T/ee-2.pem")" '^[Tt]ry[Ll]ater$'
token_back
stop_daemon
expect_eq "presign off: SIGTERM: exit 0" "$DAEMON_RC" 0
expect_eq "PRAGMA integrity_check" "$(sql "PRAGMA integrity_check")" ok
done_testing
