#!/bin/sh
# t_authz.sh: the authorization matrix (issue 14, "What must be shown").
# The routes come from the daemon's own table (eseald --print-routes), so
# a new route cannot be forgotten: one missing from tests/data/authz/matrix
# fails, and so does a matrix line naming no route.  Each route is then
# asked with no credentials, an auditor's, an RA officer's and an admin's
# session, and a subscriber's enrolment credential, and the status must be
# the matrix's.  Every write route answers 403 to an auditor.
# Set AUTHZ_PRINT=1 to print the statuses seen, in the matrix's format.
. "$(dirname "$0")/lib.sh"

MATRIX=${AUTHZ_MATRIX:-$ESEAL_TOP/tests/data/authz/matrix}
setup_ca ec-p256 "[http]
rate = 10000
burst = 10000
[security]
totp_key_file = $T/totp.key"
openssl rand -hex 32 > "$T/totp.key"
chmod 600 "$T/totp.key"
ctl init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
for u in admin1:admin aud1:auditor ra1:ra; do
	ctl account add "${u%%:*}" --role "${u#*:}" 2>&1 | sed -n 's/.*first login): //p' > "$T/pw.${u%%:*}"
done
start_daemon || exit 1

C="curl -s --cacert $T/tls.crt"
J="Content-Type: application/json"
post() {
	if [ -n "${3:-}" ]; then
		$C -X POST -H "$J" -H "Authorization: Bearer $3" -d "$2" -w ' %{http_code}' "$URL$1"
	else
		$C -X POST -H "$J" -d "$2" -w ' %{http_code}' "$URL$1"
	fi
}
jget() { python3 -c 'import json,sys; d=json.loads(sys.stdin.read().rsplit(" ",1)[0]); print(d'"$1"')'; }
NEWPW="correct horse battery staple"
login() { # USER: a fresh session token (the initial password changed once)
	if [ -f "$T/pw.$1" ]; then
		t=$(post /api/v1/session "{\"username\":\"$1\",\"password\":\"$(cat "$T/pw.$1")\"}" | jget '["token"]')
		post /api/v1/session/password "{\"old_password\":\"$(cat "$T/pw.$1")\",\"new_password\":\"$NEWPW\"}" "$t" >/dev/null
		rm -f "$T/pw.$1"
	fi
	post /api/v1/session "{\"username\":\"$1\",\"password\":\"$NEWPW\"}" | jget '["token"]'
}
TA=$(login admin1); TU=$(login aud1); TR=$(login ra1)

# A subscriber's enrolment credential: organisation, code, enrolment.
r=$(post /api/v1/organizations '{"name":"株式会社サンプル","corporate_number":"7123456789012","country":"JP","evidence":"registry extract"}' "$TR")
oid=$(printf '%s' "$r" | jget '["id"]')
code=$(post /api/v1/organizations/$oid/enrolment-codes '{}' "$TR" | jget '["code"]')
d=$($C "$URL/disclosure/current")
ver=$(printf '%s 200' "$d" | jget '["version"]')
sha=$(printf '%s 200' "$d" | jget '["sha256"]')
csr sub ec:P-256
pem=$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$T/sub.csr")
r=$(post /api/v1/enrolments "{\"code\":\"$code\",\"csr\":$pem,\"key_holder\":\"subscriber\",\"acknowledgement\":{\"version\":\"$ver\",\"sha256\":\"$sha\",\"name\":\"山田太郎\",\"title\":\"代表取締役\"}}")
EID=$(printf '%s' "$r" | jget '["id"]')
TS=$(printf '%s' "$r" | jget '["token"]')
[ -n "$EID" ] && [ -n "$TS" ] || { echo "no enrolment credential: $r"; exit 1; }

# The table, from the daemon itself, against the matrix.
"$ESEALD" --print-routes > "$T/routes"
expect_eq "eseald --print-routes: exits 0 and lists routes" "$([ -s "$T/routes" ] && echo yes)" yes
grep -v '^#' "$MATRIX" | awk 'NF' > "$T/matrix"
while read -r m p; do
	n=$(awk -v m="$m" -v p="$p" '$1 == m && $2 == p' "$T/matrix" | wc -l)
	expect_eq "route $m $p is in tests/data/authz/matrix (once)" "$n" 1
done < "$T/routes"
while read -r m p rest; do
	grep -qxF "$m $p" "$T/routes" || not_ok "matrix line $m $p names no route of eseald --print-routes"
done < "$T/matrix"

# status METHOD PATH TOKEN: the HTTP status of one request.
status() {
	if [ -n "$3" ]; then
		$C -o /dev/null -w '%{http_code}' -X "$1" -H "$J" -H "Authorization: Bearer $3" \
		    ${BODY:+-d "$BODY"} "$URL$2"
	else
		$C -o /dev/null -w '%{http_code}' -X "$1" -H "$J" ${BODY:+-d "$BODY"} "$URL$2"
	fi
}
while read -r m p path none aud ra adm sub; do
	path=$(printf '%s' "$path" | sed "s/@EID@/$EID/g")
	BODY=""; [ "$m" = POST ] && BODY='{}'
	got=""
	for who in none aud ra adm sub; do
		case $who in
		none) tok="" ;; aud) tok=$TU ;; ra) tok=$TR ;; adm) tok=$TA ;; sub) tok=$TS ;;
		esac
		# A logout ends the session it is asked with: a fresh one.
		if [ "$m $p" = "DELETE /api/v1/session" ]; then
			case $who in aud) tok=$(login aud1) ;; ra) tok=$(login ra1) ;; adm) tok=$(login admin1) ;; esac
		fi
		got="$got $(status "$m" "$path" "$tok")"
	done
	want=" $none $aud $ra $adm $sub"
	[ -n "${AUTHZ_PRINT:-}" ] && printf '%s %s %s%s\n' "$m" "$p" "$path" "$got" >&2
	expect_eq "$m $path: none auditor ra admin subscriber" "$got" "$want"
	# An auditor reads; a write route is 403 to one (login, logout,
	# password and second factor are each operator's own).
	case "$m $p" in
	"GET "*|"POST /api/v1/session"|"DELETE /api/v1/session"|"POST /api/v1/session/"*|"POST /ocsp"|"POST /api/v1/enrolments") ;;
	*) expect_eq "$m $p: 403 to an auditor" "$aud" 403 ;;
	esac
done < "$T/matrix"

# Every 403 a known operator got above is one audit record naming who,
# the route and the rule (panel point 7); none for requests without
# credentials.
n403=$(sql "SELECT count(*) FROM audit WHERE action = 'authz.refused' AND actor = 'aud1'")
check "the auditor's refusals are audited" test "${n403:-0}" -gt 0
expect_match "an auditor's refusal: route, role and reason" \
    "$(sql "SELECT object || ' ' || detail FROM audit WHERE action = 'authz.refused' AND actor = 'aud1' ORDER BY seq LIMIT 1")" \
    '^(POST|PUT|DELETE) /[^ ]+ role=auditor factors=[a-z+]+ reason="[^"]+"( rid=[0-9a-f]+)?$'
expect_eq "no audit record for requests without credentials" \
    "$(sql "SELECT count(*) FROM audit WHERE action LIKE 'authz.%' AND actor = ''")" 0

# GET /api/v1/audit: filters and paging, for an auditor.
aget() { $C -H "Authorization: Bearer $TU" -w ' %{http_code}' "$URL/api/v1/audit$1"; }
r=$(aget "?action=account.login&limit=2")
expect_eq "audit: action filter, limit 2: 200" "$(printf '%s' "$r" | awk '{print $NF}')" 200
expect_eq "audit: two records, both account.login from 127.0.0.1" \
    "$(printf '%s' "$r" | jget '["records"]' | python3 -c 'import sys,ast; v=ast.literal_eval(sys.stdin.read()); print(len(v), set(x["action"] for x in v), set(x["source"] for x in v))')" \
    "2 {'account.login'} {'127.0.0.1'}"
next=$(printf '%s' "$r" | jget '["next_after"]')
last=$(printf '%s' "$r" | jget '["records"][-1]["seq"]')
expect_eq "audit: next_after is the page's last seq" "$next" "$last"
r=$(aget "?action=account.login&after=$next&limit=1000")
expect_eq "audit: the next page starts after it and ends the list" \
    "$(printf '%s' "$r" | jget '["records"][0]["seq"] > '"$next"' and d["next_after"] is None')" True
expect_eq "audit: all pages together are the store's rows" \
    "$(( $(printf '%s' "$r" | jget '["records"]' | python3 -c 'import sys,ast; print(len(ast.literal_eval(sys.stdin.read())))') + 2 ))" \
    "$(sql "SELECT count(*) FROM audit WHERE action='account.login'")"
r=$(aget "?action=account.login&offset=1&limit=1")
expect_eq "audit: offset 1 is the second record" "$(printf '%s' "$r" | jget '["records"][0]["seq"]')" "$last"
r=$(aget "?actor=aud1&object=aud1")
expect_eq "audit: actor and object filters" \
    "$(printf '%s' "$r" | jget '["records"]' | python3 -c 'import sys,ast; v=ast.literal_eval(sys.stdin.read()); print(len(v) > 0 and all(x["actor"] == "aud1" and x["object"] == "aud1" for x in v))')" True
now=$(date +%s)
r=$(aget "?from=$((now + 3600))")
expect_eq "audit: from in the future: no records" "$(printf '%s' "$r" | jget '["records"]')" "[]"
r=$(aget "?to=1")
expect_eq "audit: to before the first record: no records" "$(printf '%s' "$r" | jget '["records"]')" "[]"
r=$(aget "?limit=0")
expect_eq "audit: limit 0: 400" "$(printf '%s' "$r" | awk '{print $NF}')" 400
expect_match "audit: limit 0: names the range" "$(printf '%s' "$r" | jget '["message"]')" 'query limit: a decimal from 1 to 1000'
r=$(aget "?from=-5")
expect_eq "audit: a negative time: 400" "$(printf '%s' "$r" | awk '{print $NF}')" 400
done_testing
