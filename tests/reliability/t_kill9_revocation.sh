#!/bin/sh
# t_kill9_revocation.sh: an acknowledged revocation survives kill -9 of
# eseald inside the CRL debounce window.  Each round revokes one more
# certificate over the API (200), kills the daemon with SIGKILL at once,
# and starts it again: the CRLs it serves must list every revocation ever
# acknowledged within 5 s of the restart.  At the end the store passes
# PRAGMA integrity_check and `esealctl audit verify`.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/rel.sh"

ROUNDS=${ROUNDS:-10}
SHARDS=2

setup_ca ec-p256
ctl init --crl-shards $SHARDS >/dev/null 2>&1 || { echo "init failed"; exit 1; }
ra_account
issue_certs "$ROUNDS"
start_daemon || exit 1
ra_login

: > "$T/acked"
worst=0
late=0
for i in $(seq 1 "$ROUNDS"); do
	serial=$(sed -n "${i}p" "$T/serials")
	r=$(post "/api/v1/certificates/$serial/revoke" '{"reason":"keyCompromise"}' "$TOK")
	kill9	# well inside the 200 ms debounce: no CRL signed yet
	if [ "$(code_of "$r")" = 200 ]; then
		echo "$serial" >> "$T/acked"
	else
		not_ok "round $i: revoke answered $(code_of "$r")"
	fi
	t0=$(now_ms)
	restart_daemon || { not_ok "round $i: restart"; break; }
	ms=$(wait_crl $SHARDS "$T/acked" 10)
	if [ "$ms" = never ]; then
		late=$((late + 1))
		echo "  round $i: $(crl_missing $SHARDS "$T/acked") acknowledged revocations missing from the CRLs after 10 s"
	else
		total=$(( $(now_ms) - t0 ))
		[ "$total" -gt "$worst" ] && worst=$total
		[ "$total" -gt 5000 ] && late=$((late + 1))
	fi
done
n=$(wc -l < "$T/acked")
echo "  ($ROUNDS kill -9 rounds, $n acknowledged revocations checked; slowest: all on the CRL ${worst} ms after the restart began)"
expect_eq "every round: the CRLs list every acknowledged revocation within 5 s of the restart" "$late" 0
expect_eq "every revocation acknowledged" "$n" "$ROUNDS"
expect_eq "the store has them all" "$(sql "SELECT COUNT(*) FROM revocations")" "$n"
expect_eq "nothing left owed" "$(sql "SELECT COUNT(*) FROM crl_owed")" 0
h=$(health)
expect_match "healthz: ok, no CRL owed" "$h" '^\{"status":"ok".*"crl":\{"owed":\[\][,}].* 200$'
stop_daemon
expect_eq "SIGTERM: exit 0" "$DAEMON_RC" 0
expect_eq "PRAGMA integrity_check" "$(sql "PRAGMA integrity_check")" ok
out=$(ctl audit verify 2>&1); rc=$?
expect_eq "esealctl audit verify: exit 0" "$rc" 0
expect_match "esealctl audit verify: the chain verifies" "$out" "[0-9]+ records"
done_testing
