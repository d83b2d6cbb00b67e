#!/bin/sh
# t_dual_control.sh: dual control of sensitive operations (issue 14 item
# 3, docs/security.md).  A key-generation proposal runs only after a
# second, distinct admin approves; the same admin twice is 409, an RA
# approving is 403, parameters other than the proposal's are 409, an
# expired proposal is 409; a proposal whose module turned Historical
# between proposal and approval is refused at execution, as is one whose
# proposer was marked compromised meanwhile; the audit trail names
# proposer and approver; hostile bodies are refused with 400.
. "$(dirname "$0")/lib.sh"

REG=$T/hsm-modules.conf
REGISTRY=$REG
registry() {  # registry STATUS: SoftHSM as CMVP #9999 (a test value)
	cat > "$REG" <<R
[policy]
unlisted = refuse
unvalidated = refuse
[module test-hsm]
manufacturer = SoftHSM project
model = SoftHSM v2
cmvp_cert = 9999
standard = 140-3
level = 3
status = $1
sunset = 2030-01-01
checked = 2026-11-01
source = test registry
R
}
registry active
setup_ca ec-p256 "[approval]
quorum = 2
expiry_hours = 24"
ctl init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
for u in adm1 adm2 adm3; do
	ctl account add $u --role admin 2>&1 | sed -n 's/.*first login): //p' > "$T/$u.pw"
done
ctl account add ra1 --role ra 2>&1 | sed -n 's/.*first login): //p' > "$T/ra1.pw"
start_daemon || exit 1

C="curl -s --cacert $T/tls.crt"
J="Content-Type: application/json"
post() {  # post PATH JSON [TOKEN]: prints "BODY STATUS"
	if [ -n "${3:-}" ]; then
		$C -X POST -H "$J" -H "Authorization: Bearer $3" -d "$2" -w ' %{http_code}' "$URL$1"
	else
		$C -X POST -H "$J" -d "$2" -w ' %{http_code}' "$URL$1"
	fi
}
get() { $C -H "Authorization: Bearer $2" -w ' %{http_code}' "$URL$1"; }
jget() { /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.stdin.read().rsplit(" ",1)[0]); print(d'"$1"')'; }
code_of() { printf '%s' "$1" | awk '{print $NF}'; }
login() {  # login USER: the token after the first password change
	pw=$(cat "$T/$1.pw")
	t=$(post /api/v1/session "{\"username\":\"$1\",\"password\":\"$pw\"}" | jget '["token"]')
	post /api/v1/session/password "{\"old_password\":\"$pw\",\"new_password\":\"dual control pw $1\"}" "$t" >/dev/null
	post /api/v1/session "{\"username\":\"$1\",\"password\":\"dual control pw $1\"}" | jget '["token"]'
}
A1=$(login adm1); A2=$(login adm2); A3=$(login adm3); R1=$(login ra1)
expect_match "four operators logged in" "$A1 $A2 $A3 $R1" '^[A-Za-z0-9_-]{43} [A-Za-z0-9_-]{43} [A-Za-z0-9_-]{43} [A-Za-z0-9_-]{43}$'
keygens() { sql "SELECT COUNT(*) FROM audit WHERE action = 'key.generate'"; }

# --- a key generation needs a second, distinct admin ---------------------
r=$(post /api/v1/operations '{"kind":"key.generate","parameters":{"type":"ec-p256","label":"dual-1"}}' "$A1")
expect_eq "propose key.generate: 201" "$(code_of "$r")" 201
op=$(printf '%s' "$r" | jget '["id"]')
h=$(printf '%s' "$r" | jget '["params_sha256"]')
expect_eq "proposal: pending" "$(printf '%s' "$r" | jget '["status"]')" pending
expect_eq "proposal: the proposer counts as the first approval" \
    "$(printf '%s' "$r" | jget '["votes"][0]["account"]')" adm1
expect_eq "proposal: params_sha256 is the SHA-256 of the canonical parameters" "$h" \
    "$(printf '%s' '{"label":"dual-1","type":"ec-p256"}' | sha256sum | cut -d' ' -f1)"
expect_eq "nothing generated on proposal" "$(keygens)" 0
r=$(post "/api/v1/operations/$op/approve" "{\"params_sha256\":\"$h\"}" "$A1")
expect_eq "same admin approves twice: 409" "$(code_of "$r")" 409
expect_match "same admin twice: says so" "$r" "adm1 has already voted on operation $op"
r=$(post "/api/v1/operations/$op/approve" "{\"params_sha256\":\"$h\"}" "$R1")
expect_eq "an RA approves: 403" "$(code_of "$r")" 403
expect_match "RA approving: names the role" "$r" "approved by the admin role only; ra1 is ra"
r=$(post "/api/v1/operations/$op/approve" '{"params_sha256":"0000000000000000000000000000000000000000000000000000000000000000"}' "$A2")
expect_eq "other parameters than the proposal's: 409" "$(code_of "$r")" 409
expect_match "other parameters: says they differ" "$r" "differ from the proposal's $h"
expect_eq "still nothing generated" "$(keygens)" 0
r=$(post "/api/v1/operations/$op/approve" "{\"params_sha256\":\"$h\"}" "$A2")
expect_eq "second admin approves: 200" "$(code_of "$r")" 200
expect_eq "second approval: executed" "$(printf '%s' "$r" | jget '["status"]')" executed
expect_match "second approval: the result" "$r" "key generated on the token: ec-p256 id=[0-9a-f]{32} label=dual-1"
expect_eq "one key generated" "$(keygens)" 1
expect_match "audit: key.generate names the approvers" \
    "$(sql "SELECT actor || ' ' || detail FROM audit WHERE action = 'key.generate'")" \
    "^adm1 type=ec-p256 label=dual-1 operation=$op approvers=adm1,adm2"
expect_match "audit: the execution names proposer and approvers" \
    "$(sql "SELECT actor || ' ' || detail FROM audit WHERE action = 'operation.execute'")" \
    "^adm2 kind=key.generate proposer=adm1 approvers=adm1,adm2 result="
expect_eq "audit: proposal, approval by adm2 and refusals recorded" \
    "$(sql "SELECT group_concat(actor || ':' || action, ' ') FROM audit WHERE object = 'operation/$op'")" \
    "adm1:operation.propose adm1:operation.refuse ra1:operation.refuse adm2:operation.refuse adm2:operation.approve adm2:operation.execute"
expect_match "audit: the API records carry the client address" \
    "$(sql "SELECT source FROM audit WHERE action = 'operation.approve'")" '^127\.0\.0\.1'
r=$(post "/api/v1/operations/$op/approve" "{\"params_sha256\":\"$h\"}" "$A3")
expect_eq "approving an executed operation: 409" "$(code_of "$r")" 409

# --- expired ---------------------------------------------------------------
r=$(post /api/v1/operations '{"kind":"key.generate","parameters":{"type":"ec-p256"}}' "$A1")
op2=$(printf '%s' "$r" | jget '["id"]'); h2=$(printf '%s' "$r" | jget '["params_sha256"]')
sql "UPDATE operations SET expires = created - 1 WHERE id = $op2"
r=$(post "/api/v1/operations/$op2/approve" "{\"params_sha256\":\"$h2\"}" "$A2")
expect_eq "expired proposal: 409" "$(code_of "$r")" 409
expect_match "expired proposal: says so" "$r" "operation $op2 expired at"
expect_eq "expired proposal: marked failed" "$(sql "SELECT status || ' ' || result FROM operations WHERE id = $op2")" "failed expired"
expect_eq "expired: nothing generated" "$(keygens)" 1

# --- the module turned Historical between proposal and approval -----------
r=$(post /api/v1/operations '{"kind":"key.generate","parameters":{"type":"ec-p256","label":"dual-3"}}' "$A1")
op3=$(printf '%s' "$r" | jget '["id"]'); h3=$(printf '%s' "$r" | jget '["params_sha256"]')
registry historical
kill -HUP "$ESEALD_PID"; sleep 0.7
r=$(post "/api/v1/operations/$op3/approve" "{\"params_sha256\":\"$h3\"}" "$A2")
expect_eq "Historical at execution: refused 422" "$(code_of "$r")" 422
expect_match "Historical at execution: names the status" "$r" "CMVP #9999.*Historical"
expect_eq "Historical: nothing generated" "$(keygens)" 1
expect_eq "Historical: the operation failed" "$(sql "SELECT status FROM operations WHERE id = $op3")" failed
expect_match "Historical: operation.fail names proposer and approvers" \
    "$(sql "SELECT detail FROM audit WHERE action = 'operation.fail' AND object = 'operation/$op3'")" \
    "kind=key.generate proposer=adm1 approvers=adm1,adm2 reason=.*Historical"
registry active
kill -HUP "$ESEALD_PID"; sleep 0.7
expect_eq "SIGHUP reloads are audit records" \
    "$(sql "SELECT COUNT(*) FROM audit WHERE action = 'config.reload' AND actor = 'system'")" 2

# --- an approver compromised before execution -------------------------------
r=$(post /api/v1/operations '{"kind":"account.create_admin","parameters":{"username":"adm4"}}' "$A1")
op4=$(printf '%s' "$r" | jget '["id"]'); h4=$(printf '%s' "$r" | jget '["params_sha256"]')
ctl account compromise adm1 >/dev/null 2>&1
r=$(post "/api/v1/operations/$op4/approve" "{\"params_sha256\":\"$h4\"}" "$A3")
expect_eq "proposer compromised meanwhile: refused 403" "$(code_of "$r")" 403
expect_match "compromised: names the approver" "$r" "approver adm1 is no longer a valid admin"
expect_eq "compromised: no account made" "$(ctl account list 2>/dev/null | grep -c '^adm4 ')" 0

# --- an admin account, by two others ---------------------------------------
r=$(post /api/v1/operations '{"kind":"account.create_admin","parameters":{"username":"adm5"}}' "$A2")
op5=$(printf '%s' "$r" | jget '["id"]'); h5=$(printf '%s' "$r" | jget '["params_sha256"]')
r=$(post "/api/v1/operations/$op5/reject" "{\"params_sha256\":\"$h5\"}" "$A3")
expect_eq "a rejection: 200 rejected" "$(code_of "$r") $(printf '%s' "$r" | jget '["status"]')" "200 rejected"
r=$(post /api/v1/operations '{"kind":"account.create_admin","parameters":{"username":"adm5"}}' "$A2")
op6=$(printf '%s' "$r" | jget '["id"]'); h6=$(printf '%s' "$r" | jget '["params_sha256"]')
r=$(post "/api/v1/operations/$op6/approve" "{\"params_sha256\":\"$h6\"}" "$A3")
expect_match "account.create_admin: initial password shown once" "$r" "admin account adm5 created; initial password"
expect_eq "account.create_admin: the account is an admin" \
    "$(sql "SELECT role FROM accounts WHERE username = 'adm5'")" admin

# --- replacing the crypto policy: the file's SHA-256 is part of it -------------
cp "$ESEAL_TOP/conf/crypto-policy.conf" "$T/new-policy.conf"
r=$(post /api/v1/operations "{\"kind\":\"crypto_policy.replace\",\"parameters\":{\"file\":\"$T/new-policy.conf\"}}" "$A2")
expect_eq "propose crypto_policy.replace: 201" "$(code_of "$r")" 201
expect_eq "the proposal pins the file's SHA-256" "$(printf '%s' "$r" | jget '["parameters"]["sha256"]')" \
    "$(sha256sum "$T/new-policy.conf" | cut -d' ' -f1)"
op7=$(printf '%s' "$r" | jget '["id"]'); h7=$(printf '%s' "$r" | jget '["params_sha256"]')
echo "# changed after the proposal" >> "$T/new-policy.conf"
r=$(post "/api/v1/operations/$op7/approve" "{\"params_sha256\":\"$h7\"}" "$A3")
expect_eq "file changed after the proposal: 409 at execution" "$(code_of "$r")" 409
expect_match "file changed: says so" "$r" "changed since it was approved"

# --- listing, auditors, hostile bodies ---------------------------------------
r=$(get "/api/v1/operations?status=executed" "$A3")
expect_eq "GET /api/v1/operations?status=executed: 200, two" \
    "$(code_of "$r") $(printf '%s' "$r" | jget '["operations"].__len__()')" "200 2"
r=$(get /api/v1/operations "")
expect_eq "GET /api/v1/operations without credentials: 401" "$(code_of "$r")" 401
bad=0; nbad=0
for f in "$ESEAL_TOP"/tests/data/operations/bad/*; do
	nbad=$((nbad + 1))
	r=$($C -X POST -H "$J" -H "Authorization: Bearer $A2" --data-binary "@$f" -w ' %{http_code}' "$URL/api/v1/operations")
	case "$(code_of "$r")" in 400|413) ;; *) bad=$((bad + 1)); echo "  ($(basename "$f"): $r)";; esac
done
expect_eq "hostile operation bodies: all $nbad refused with 400" "$bad" 0
kill -0 "$ESEALD_PID" 2>/dev/null; expect_eq "eseald still runs" "$?" 0
stop_daemon
check "the audit trail verifies" ctl audit verify
done_testing
