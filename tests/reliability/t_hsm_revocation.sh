#!/bin/sh
# t_hsm_revocation.sh: revocations accepted while the HSM is away are not
# lost.  With the token files moved away, a revocation over the API is
# accepted (200) and /healthz reports its shard's CRL owed; when the files
# come back the served CRL lists it within 5 s, without a restart.  A
# second one, accepted while the HSM is away and followed by a clean stop,
# is on the CRL within 5 s of the next start with the HSM back.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/rel.sh"

setup_ca ec-p256
ctl init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
ra_account
issue_certs 2
start_daemon || exit 1
ra_login
sa=$(sed -n 1p "$T/serials")
sb=$(sed -n 2p "$T/serials")
echo "$sa" > "$T/want-a"
echo "$sb" > "$T/want-b"

token_away
ms=$(wait_health '"status":"degraded".* 503$' 5)
expect_match "token files gone: /healthz degraded, 503 (after $ms ms)" "$ms" '^[0-9]+$'
r=$(post "/api/v1/certificates/$sa/revoke" '{"reason":"keyCompromise"}' "$TOK")
expect_eq "revocation while the HSM is away: accepted" "$(code_of "$r")" 200
sleep 1.5
expect_eq "not on the CRL while the HSM is away" "$(crl_missing 1 "$T/want-a")" 1
h=$(health)
expect_match "healthz: its shard's CRL owed" "$h" '"crl":\{"owed":\[\{"issuer":"it-ca","shard":0,"revocations":1,"owed_seconds":[0-9]+'
t0=$(now_ms)
token_back
ms=$(wait_crl 1 "$T/want-a" 10)
echo "  (token back: the revocation on the CRL after $ms ms)"
expect_match "token back: on the CRL within 5 s, no restart" "$ms" '^[0-9]{1,4}$'
[ "$ms" != never ] && [ "$ms" -gt 5000 ] && not_ok "on the CRL after $ms ms"
ms=$(wait_health '^\{"status":"ok".*"crl":\{"owed":\[\][,}].* 200$' 5)
expect_match "healthz: ok again, nothing owed" "$ms" '^[0-9]+$'

# Accepted while away, then a stop before the HSM returns.
token_away
wait_health '"status":"degraded".* 503$' 5 >/dev/null
r=$(post "/api/v1/certificates/$sb/revoke" '{"reason":"superseded"}' "$TOK")
expect_eq "second revocation while away: accepted" "$(code_of "$r")" 200
stop_daemon
token_back
expect_eq "owed in the store across the stop" "$(sql "SELECT COUNT(*) FROM crl_owed")" 1
restart_daemon || exit 1
ms=$(wait_crl 1 "$T/want-b" 5)
echo "  (after the restart: on the CRL after $ms ms)"
expect_match "after the restart: on the CRL within 5 s" "$ms" '^[0-9]+$'
expect_eq "the first is still listed" "$(crl_missing 1 "$T/want-a")" 0
stop_daemon
expect_eq "SIGTERM: exit 0" "$DAEMON_RC" 0
expect_eq "PRAGMA integrity_check" "$(sql "PRAGMA integrity_check")" ok
check "esealctl audit verify" ctl audit verify
done_testing
