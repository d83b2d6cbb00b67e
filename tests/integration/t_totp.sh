#!/bin/sh
# t_totp.sh: the secure zone and second factors (issue 14 items 1, 2):
# codes made by oathtool --totp; 127.0.0.1 placed outside the zone by a
# config re-read on SIGHUP: password alone -> 401 saying a second factor
# is needed, the right code -> a session, the same code again -> 401
# (replay), a code two steps old -> 401; inside the zone the password
# alone suffices unless the account or its role requires more; a trusted
# proxy's X-Forwarded-For; a key file others may read refused; totp-reset
# audited; what the sessions and audit rows record.
. "$(dirname "$0")/lib.sh"

command -v oathtool >/dev/null || { echo "oathtool missing (tools/install-deps)"; exit 1; }
KEYF=$T/totp.key
sec() { # ZONE [EXTRA]: the [security] section
	printf '[security]\nsecure_zone = %s\ntotp_key_file = %s\n%s\n' "$1" "$KEYF" "${2:-}"
}
setup_ca ec-p256 "$(sec 127.0.0.0/8)"
BASE=$(cat "$CONF")
reconf() { # ZONE [EXTRA]: rewrite [security] and SIGHUP
	printf '%s\n' "$BASE" | sed '/^\[security\]/,$d' > "$CONF"
	sec "$1" "${2:-}" >> "$CONF"
	n=$(grep -c 'msg="secure zone"' "$T/eseald.log")
	kill -HUP "$ESEALD_PID"
	for _ in $(seq 1 50); do
		[ "$(grep -c 'msg="secure zone"' "$T/eseald.log")" -gt "$n" ] && return 0
		sleep 0.1
	done
	echo "reload not seen"; return 1
}
openssl rand -hex 32 > "$KEYF"
ctl init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
apw=$(ctl account add admin1 --role admin 2>&1 | sed -n 's/.*first login): //p')
upw=$(ctl account add aud1 --role auditor 2>&1 | sed -n 's/.*first login): //p')
rpw=$(ctl account add ra1 --role ra 2>&1 | sed -n 's/.*first login): //p')

# A key file group or others may read: eseald does not start.
chmod 640 "$KEYF"
"$ESEALD" --config "$CONF" > "$T/refused.log" 2>&1
expect_eq "key file 0640: eseald exits 1" "$?" 1
expect_match "key file 0640: says why and how to fix it" "$(cat "$T/refused.log")" \
    'totp_key_file .*mode 0640 lets group or others read it.*chmod 600'
chmod 600 "$KEYF"
start_daemon || exit 1

C="curl -s --cacert $T/tls.crt"
J="Content-Type: application/json"
post() { # PATH JSON [TOKEN]: prints "BODY STATUS"
	if [ -n "${3:-}" ]; then
		$C -X POST -H "$J" -H "Authorization: Bearer $3" -d "$2" -w ' %{http_code}' "$URL$1"
	else
		$C -X POST -H "$J" -d "$2" -w ' %{http_code}' "$URL$1"
	fi
}
get() { $C -H "Authorization: Bearer $2" -w ' %{http_code}' "$URL$1"; }
jget() { python3 -c 'import json,sys; d=json.loads(sys.stdin.read().rsplit(" ",1)[0]); print(d'"$1"')'; }
code_of() { printf '%s' "$1" | awk '{print $NF}'; }
msg_of() { printf '%s' "$1" | jget '["message"]'; }
login() { # NAME PASSWORD [CODE]: prints "BODY STATUS"
	if [ -n "${3:-}" ]; then
		post /api/v1/session "{\"username\":\"$1\",\"password\":\"$2\",\"totp\":\"$3\"}"
	else
		post /api/v1/session "{\"username\":\"$1\",\"password\":\"$2\"}"
	fi
}
first() { # NAME INITIAL NEW: changes the initial password (inside the zone)
	t=$(login "$1" "$2" | jget '["token"]')
	post /api/v1/session/password "{\"old_password\":\"$2\",\"new_password\":\"$3\"}" "$t" >/dev/null
}
APW="correct horse battery staple"
first admin1 "$apw" "$APW"
first aud1 "$upw" "$APW"
first ra1 "$rpw" "$APW"

# Inside the zone: the password alone.
r=$(login admin1 "$APW")
expect_eq "inside, password alone: 201" "$(code_of "$r")" 201
expect_eq "inside: the session says in_zone" "$(printf '%s' "$r" | jget '["in_zone"]')" True
expect_eq "inside: factors password" "$(printf '%s' "$r" | jget '["factors"]')" password
tok=$(printf '%s' "$r" | jget '["token"]')

# Enrolment: shown once, in force after the first code.
r=$(post /api/v1/session/totp '{}' "$tok")
expect_eq "enrol: 201" "$(code_of "$r")" 201
S=$(printf '%s' "$r" | jget '["secret"]')
expect_match "enrol: base32 secret of 160 bits" "$S" '^[A-Z2-7]{32}$'
expect_eq "enrol: otpauth URI" "$(printf '%s' "$r" | jget '["otpauth_uri"]')" \
    "otpauth://totp/eseal-ca:admin1?secret=$S&issuer=eseal-ca&algorithm=SHA1&digits=6&period=30"
expect_eq "enrol: the store holds no plain secret" \
    "$(sql "SELECT count(*) FROM accounts WHERE instr(CAST(totp_secret AS TEXT), '$S') > 0 OR hex(totp_secret) LIKE '%$(printf '%s' "$S" | od -An -tx1 | tr -d ' \n' | tr a-f A-F)%'")" 0
expect_eq "enrol: sealed secret is nonce+20+tag bytes" "$(sql "SELECT length(totp_secret) FROM accounts WHERE username='admin1'")" 48
expect_eq "enrol: not confirmed yet" "$(sql "SELECT totp_confirmed FROM accounts WHERE username='admin1'")" 0
r=$(post /api/v1/session/totp '{"code":"000000"}' "$tok")
[ "$(oathtool --totp -b "$S")" = 000000 ] && r=$(post /api/v1/session/totp '{"code":"111111"}' "$tok")
expect_eq "confirm with a wrong code: 401" "$(code_of "$r")" 401
r=$(post /api/v1/session/totp "{\"code\":\"$(oathtool --totp -b "$S")\"}" "$tok")
expect_eq "confirm with oathtool's code: 200" "$(code_of "$r")" 200
expect_eq "confirmed in the store" "$(sql "SELECT totp_confirmed FROM accounts WHERE username='admin1'")" 1
r=$(post /api/v1/session/totp '{}' "$tok")
expect_eq "enrol again while confirmed: 409" "$(code_of "$r")" 409
expect_match "enrol again: names totp-reset" "$(msg_of "$r")" 'esealctl account totp-reset admin1'

# 127.0.0.1 outside the zone, by SIGHUP.
reconf 10.0.0.0/8 || exit 1
r=$(get /api/v1/status "$tok")
expect_eq "password-only session used from outside: 401" "$(code_of "$r")" 401
expect_match "... saying a second factor is needed" "$(msg_of "$r")" 'second factor is needed from outside'
r=$(login admin1 "$APW")
expect_eq "outside, password alone: 401" "$(code_of "$r")" 401
expect_match "outside, password alone: says a second factor is needed" "$(msg_of "$r")" \
    'a second factor is needed from outside \[security\] secure_zone: send the current TOTP code as "totp"'
r=$(login admin1 "wrong password here" "123456")
expect_match "outside, wrong password: the usual answer" "$(msg_of "$r")" 'invalid username or password'
now=$(date +%s)
code=$(oathtool --totp -b "$S" -N "@$((now + 30))")
r=$(login admin1 "$APW" "$code")
expect_eq "outside, password + right code: 201" "$(code_of "$r")" 201
expect_eq "outside: factors password+totp" "$(printf '%s' "$r" | jget '["factors"]')" password+totp
expect_eq "outside: in_zone false" "$(printf '%s' "$r" | jget '["in_zone"]')" False
tok2=$(printf '%s' "$r" | jget '["token"]')
expect_eq "sessions row: source, zone, factors" \
    "$(sql "SELECT client_addr, in_zone, factors FROM sessions WHERE factors='password+totp'")" "127.0.0.1|0|password+totp"
expect_eq "two-factor session works from outside" "$(code_of "$(get /api/v1/status "$tok2")")" 200
r=$(login admin1 "$APW" "$code")
expect_eq "same code again: 401" "$(code_of "$r")" 401
expect_match "same code again: replay" "$(msg_of "$r")" 'code already used \(replay\)'
old=$(oathtool --totp -b "$S" -N "@$((now - 60))")
r=$(login admin1 "$APW" "$old")
expect_eq "code two steps old: 401" "$(code_of "$r")" 401
expect_match "code two steps old: wrong code" "$(msg_of "$r")" 'RFC 6238 5.2: wrong code'
expect_eq "failed codes count toward the lockout" \
    "$(sql "SELECT failed_count FROM accounts WHERE username='admin1'")" 2
expect_eq "audit: the refusals recorded with zone and source" \
    "$(sql "SELECT count(*) FROM audit WHERE action='account.login_2fa_fail' AND source='127.0.0.1' AND detail LIKE '%zone=outside%'")" 3
r=$(login ra1 "$APW")
expect_match "outside, no factor enrolled: says how to get one" "$(msg_of "$r")" 'this account has none: enrol one from inside the zone'

# Behind a trusted proxy: X-Forwarded-For's last untrusted hop.
reconf 10.0.0.0/8 "trusted_proxies = 127.0.0.1/32" || exit 1
xlogin() { $C -X POST -H "$J" -H "X-Forwarded-For: $1" -d "{\"username\":\"ra1\",\"password\":\"$APW\"}" -w ' %{http_code}' "$URL/api/v1/session"; }
r=$(xlogin "10.1.2.3")
expect_eq "proxy: client 10.1.2.3 inside: password alone 201" "$(code_of "$r")" 201
expect_eq "proxy: the session records the client, not the proxy" \
    "$(sql "SELECT client_addr FROM sessions ORDER BY created DESC, rowid LIMIT 1" 2>/dev/null || sql "SELECT client_addr FROM sessions WHERE client_addr='10.1.2.3'")" 10.1.2.3
expect_eq "proxy: the audit source is the client" \
    "$(sql "SELECT source FROM audit WHERE action='account.login' ORDER BY seq DESC LIMIT 1")" 10.1.2.3
r=$(xlogin "10.1.2.3, 192.0.2.7")
expect_eq "proxy: last untrusted hop 192.0.2.7 is outside: 401" "$(code_of "$r")" 401
r=$(xlogin "192.0.2.7, 10.1.2.3")
expect_eq "proxy: a forged left hop does not matter: 201" "$(code_of "$r")" 201
r=$($C -X POST -H "$J" -H "X-Forwarded-For: 10.1.2.3" -H "X-Forwarded-For: 192.0.2.7" -d "{\"username\":\"ra1\",\"password\":\"$APW\"}" -w ' %{http_code}' "$URL/api/v1/session")
expect_eq "proxy: a second X-Forwarded-For field (the proxy's) counts: 401" "$(code_of "$r")" 401
r=$(xlogin "not-an-address")
expect_eq "proxy: malformed X-Forwarded-For: 400" "$(code_of "$r")" 400
expect_match "proxy: malformed: names the hop and rule" "$(msg_of "$r")" 'X-Forwarded-For: hop 1 is not an IPv4 or IPv6 address'
reconf 10.0.0.0/8 || exit 1
r=$(xlogin "10.1.2.3")
expect_eq "no trusted proxy: X-Forwarded-For ignored: 401" "$(code_of "$r")" 401

# Back inside: the password alone, unless the account or role requires more.
reconf "127.0.0.0/8, ::1" "require_second_factor = auditor" || exit 1
r=$(login admin1 "$APW")
expect_eq "inside again, password alone: 201 (TOTP enrolled, not required)" "$(code_of "$r")" 201
r=$(login aud1 "$APW")
expect_eq "inside, role auditor requires a second factor: 401" "$(code_of "$r")" 401
expect_match "... naming the setting" "$(msg_of "$r")" 'for this role \(\[security\] require_second_factor\)'
out=$(ctl account require-2fa admin1 on 2>&1)
expect_eq "require-2fa on: exit 0" "$?" 0
r=$(login admin1 "$APW")
expect_eq "inside, account requires a second factor: 401" "$(code_of "$r")" 401
expect_match "... naming the command" "$(msg_of "$r")" 'for this account \(esealctl account require-2fa\)'
# One step ahead (clock skew): a step later than the last one used.
last=$(sql "SELECT totp_last_step FROM accounts WHERE username='admin1'")
now=$(date +%s)
if [ $((now / 30 + 1)) -le "$last" ]; then sleep $((30 - now % 30 + 1)); now=$(date +%s); fi
r=$(login admin1 "$APW" "$(oathtool --totp -b "$S" -N "@$((now + 30))")")
expect_eq "inside, required, code one step ahead (skew): 201" "$(code_of "$r")" 201
ctl account require-2fa admin1 off >/dev/null 2>&1

# totp-reset: a lost device, audited.
out=$(ctl account totp-reset admin1 2>&1)
expect_eq "totp-reset: exit 0" "$?" 0
expect_match "totp-reset: says what next" "$out" 'second factor removed'
expect_eq "totp-reset: secret gone" "$(sql "SELECT totp_secret IS NULL FROM accounts WHERE username='admin1'")" 1
expect_eq "totp-reset: audited" "$(sql "SELECT count(*) FROM audit WHERE action='account.totp_reset' AND object='admin1'")" 1
out=$(ctl account totp-reset admin1 2>&1)
expect_eq "totp-reset twice: exit 1" "$?" 1
expect_match "totp-reset twice: says there is none" "$out" 'has no second factor to reset'

# A verified operator client certificate is the second factor.
stop_daemon
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/cca.key" \
    -out "$T/cca.pem" -days 2 -subj /CN=client-ca 2>/dev/null
for u in ra1 aud1; do
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$u.key" \
	    -out "$T/$u.csr" -subj "/CN=$u" 2>/dev/null
	openssl x509 -req -in "$T/$u.csr" -CA "$T/cca.pem" -CAkey "$T/cca.key" -CAcreateserial \
	    -days 2 -out "$T/$u.pem" 2>/dev/null
done
printf '%s\n' "$BASE" | sed '/^\[security\]/,$d' > "$CONF"
sec 10.0.0.0/8 >> "$CONF"
printf '[http]\nmtls = optional\nclient_ca = %s\n' "$T/cca.pem" >> "$CONF"
start_daemon || exit 1
clogin() { # CERT-USER LOGIN-USER
	$C --cert "$T/$1.pem" --key "$T/$1.key" -X POST -H "$J" \
	    -d "{\"username\":\"$2\",\"password\":\"$APW\"}" -w ' %{http_code}' "$URL/api/v1/session"
}
r=$(clogin ra1 ra1)
expect_eq "outside, password + ra1's client certificate: 201" "$(code_of "$r")" 201
expect_eq "... factors password+cert" "$(printf '%s' "$r" | jget '["factors"]')" password+cert
r=$(clogin aud1 ra1)
expect_eq "outside, password + another operator's certificate: 401" "$(code_of "$r")" 401
r=$($C --cert "$T/ra1.pem" --key "$T/ra1.key" -w ' %{http_code}' "$URL/api/v1/requests")
expect_eq "outside, a client certificate alone: 401" "$(code_of "$r")" 401
expect_match "... saying a second factor is needed" "$(msg_of "$r")" 'second factor is needed from outside'

done_testing
