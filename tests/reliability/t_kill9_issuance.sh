#!/bin/sh
# t_kill9_issuance.sh: kill -9 of eseald under a steady stream of
# issuances and revocations (tests/reliability/load.py: enrol, approve,
# revoke an earlier certificate, over and over), ROUNDS times at random
# moments 50-650 ms apart, so some land inside the 200 ms CRL debounce
# after a revocation and some inside an approval.  After every restart the
# CRLs served must list every revocation acknowledged before the kill
# within 5 s.  At the end: every certificate a client received is in the
# store, no serial twice and no request with two certificates, no approved
# request left without its certificate (resumed at start-up: issue 12
# item 6), PRAGMA integrity_check ok, and the audit chain verifies.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/rel.sh"

ROUNDS=${ROUNDS:-20}
SHARDS=2

setup_ca ec-p256 "[http]
burst = 0"
ctl init --crl-shards $SHARDS >/dev/null 2>&1 || { echo "init failed"; exit 1; }
ra_account
start_daemon || exit 1
ra_login
org='{"name":"株式会社テスト","corporate_number":"4011001098993","country":"JP","evidence":"registry extract"}'
r=$(post /api/v1/organizations "$org" "$TOK")
oid=$(printf '%s' "$r" | jget '["id"]')
d=$($C "$URL/disclosure/current")
ver=$(printf '%s 200' "$d" | jget '["version"]')
sha=$(printf '%s 200' "$d" | jget '["sha256"]')

: > "$T/received"; : > "$T/acked"
/usr/bin/python3 "$(dirname "$0")/load.py" "$URL" "$T/tls.crt" "$TOK" "$oid" \
    "$ver" "$sha" "$T/received" "$T/acked" "$T/stop" 120 &
LOAD_PID=$!
sleep 1

late=0 worst=0
for i in $(seq 1 "$ROUNDS"); do
	sleep "$(python3 -c 'import random; print(random.uniform(0.05, 0.65))')"
	kill9
	cp "$T/acked" "$T/acked.$i"	# acknowledged before the kill
	t0=$(now_ms)
	restart_daemon || { not_ok "round $i: restart"; break; }
	ms=$(wait_crl $SHARDS "$T/acked.$i" 10)
	if [ "$ms" = never ]; then
		late=$((late + 1))
		echo "  round $i: $(crl_missing $SHARDS "$T/acked.$i") acknowledged revocations missing from the CRLs after 10 s"
	else
		total=$(( $(now_ms) - t0 ))
		[ "$total" -gt "$worst" ] && worst=$total
		[ "$total" -gt 5000 ] && { late=$((late + 1)); echo "  round $i: ${total} ms"; }
	fi
done
touch "$T/stop"
wait "$LOAD_PID"
# What the load left half-done is resumed at start-up: one more restart.
kill9
restart_daemon || not_ok "final restart"
ms=$(wait_crl $SHARDS "$T/acked" 10)

nrec=$(wc -l < "$T/received")
nack=$(wc -l < "$T/acked")
echo "  ($ROUNDS kill -9 rounds under load: $nrec certificates received, $nack acknowledged revocations checked; slowest: all on the CRL ${worst} ms after the restart began)"
expect_eq "every round: the CRLs list every revocation acknowledged before the kill within 5 s of the restart" "$late" 0
expect_match "the final CRLs list all $nack acknowledged revocations" "$ms" '^[0-9]+$'
expect_match "the load went on through the kills (certificates received)" "$nrec" '^[1-9][0-9]+$'
expect_match "revocations acknowledged through the kills" "$nack" '^[1-9][0-9]*$'
missing=0
while read -r s e; do
	n=$(sql "SELECT COUNT(*) FROM certificates c JOIN enrolment_requests e ON e.serial = c.serial WHERE c.serial = '$s' AND c.status = 'issued' AND e.id = $e")
	[ "$n" = 1 ] || { missing=$((missing + 1)); echo "  received $s (request $e): not in the store as that request's certificate"; }
done < "$T/received"
expect_eq "every certificate a client received is in the store" "$missing" 0
expect_eq "no serial twice" "$(sql "SELECT COUNT(*) FROM (SELECT serial FROM certificates GROUP BY serial HAVING COUNT(*) > 1)")" 0
expect_eq "no serial received twice" "$(cut -d' ' -f1 "$T/received" | sort | uniq -d | wc -l)" 0
# Each request has a key of its own: two certificates for one request
# would be two certificates for one key.
expect_eq "no enrolment request with two certificates" "$(sql "SELECT COUNT(*) FROM (SELECT spki_sha256 FROM certificates WHERE status = 'issued' GROUP BY spki_sha256 HAVING COUNT(*) > 1)")" 0
expect_eq "no approved request left without its certificate (resumed)" "$(sql "SELECT COUNT(*) FROM enrolment_requests WHERE status = 'approved'")" 0
expect_eq "no certificate left pending" "$(sql "SELECT COUNT(*) FROM certificates WHERE status = 'pending'")" 0
stop_daemon
expect_eq "SIGTERM: exit 0" "$DAEMON_RC" 0
expect_eq "PRAGMA integrity_check" "$(sql "PRAGMA integrity_check")" ok
out=$(ctl audit verify 2>&1); rc=$?
expect_eq "esealctl audit verify: exit 0" "$rc" 0
expect_match "esealctl audit verify: the chain verifies" "$out" "[0-9]+ records"
done_testing
