#!/bin/sh
# t_lockout.sh: failed logins cannot lock the operator out (issue 12
# item 7).  An attacker at 127.0.0.2 guesses ra1's password; the name and
# the attacker's address slow down (429 with the Retry-After of the
# backoff), and only the attacker's address is locked outright, while the
# real operator's right password from its known-good address (127.0.0.1,
# where it logged in before) still logs in, and from a new address
# (127.0.0.3) it passes once the short backoff is over.  With its second
# factor (a TOTP code from oathtool) the right password passes the name's
# backoff at once from any address that is not itself slowed (127.0.0.5);
# without the code, or with a wrong one, the backoff applies, with the
# same answer whether the password was right or not.  Every throttling
# decision is an audit record, and the chain verifies.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/rel.sh"

# lock_after 2: the second failure in a row waits 1 s, 2, then 3 (lock_secs
# caps the backoff); 4 x 2 = 8 in a row lock the address for 3 s.
command -v oathtool >/dev/null || { echo "oathtool missing (tools/install-deps)"; exit 1; }
setup_ca ec-p256 "[accounts]
lock_after = 2
lock_secs = 3
[security]
secure_zone = 127.0.0.0/8
totp_key_file = $T/totp.key"
openssl rand -hex 32 > "$T/totp.key"
chmod 600 "$T/totp.key"
ctl init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
ra_account
start_daemon || exit 1
ra_login	# from 127.0.0.1: now a known-good address of ra1
GOOD='{"username":"ra1","password":"reliability test password 1"}'
BAD='{"username":"ra1","password":"not the password at all"}'

# ra1's second factor: enrolled and confirmed with oathtool's code.
r=$(post /api/v1/session/totp '{}' "$TOK")
S=$(printf '%s' "$r" | jget '["secret"]')
r=$(post /api/v1/session/totp "{\"code\":\"$(oathtool --totp -b "$S")\"}" "$TOK")
expect_eq "ra1's TOTP confirmed: 200" "$(code_of "$r")" 200
# totp CODE [PASSWORD]: a login body with a TOTP code.
totp() {
	printf '{"username":"ra1","password":"%s","totp":"%s"}' \
	    "${2:-reliability test password 1}" "$1"
}
# A code the clock accepts that no earlier login spent: the next step's.
next_code() { oathtool --totp -b "$S" -N "@$(($(date +%s) + 30))"; }
wrong_code() { next_code | awk '{ printf "%06d", ($1 + 500000) % 1000000 }'; }

# login FROM JSON: "STATUS RETRY-AFTER MESSAGE" of a login from address FROM.
login() {
	$C --interface "$1" -D "$T/h" -o "$T/b" -X POST -H "$J" -d "$2" \
	    "$URL/api/v1/session" >/dev/null
	st=$(sed -n '1s/^HTTP[^ ]* \([0-9]*\).*/\1/p' "$T/h")
	ra=$(sed -n 's/^[Rr]etry-[Aa]fter: *\([0-9]*\).*/\1/p' "$T/h")
	msg=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("message",""))' "$T/b" 2>/dev/null)
	echo "$st ${ra:--} $msg"
}

# The attacker: two wrong passwords, then each further one slows the name
# and the address down (waits 1 s, 2 s, then 3 s, the cap).
for i in 1 2 3 4 5; do
	r=$(login 127.0.0.2 "$BAD")
	expect_match "attacker's guess $i: 401" "$r" '^401 '
	[ "$i" -ge 2 ] && [ "$i" -lt 5 ] && sleep $((i - 1))
done
r=$(login 127.0.0.2 "$GOOD")
expect_match "the right password from the attacker's address: 429 with the backoff's Retry-After" "$r" '^429 [1-3] .*from this address; try again in [1-3] s'

# The real operator, at once, from its known-good address: logged in.
r=$(login 127.0.0.1 "$GOOD")
expect_match "the operator from its known-good address: 201" "$r" '^201 '
# From a new address with the second factor: the right password and the
# code pass the name's backoff at once.  Without the code the backoff
# applies; a wrong code, or a wrong password with a code, gets the same
# 429 (each from its own address, so that no address slows down).
r=$(login 127.0.0.5 "$GOOD")
expect_match "the operator from a new address, no code: 429, the name's backoff" "$r" '^429 [1-3] .*for this name; try again in [1-3] s'
r=$(login 127.0.0.6 "$(totp "$(wrong_code)")")
expect_match "the right password, a wrong code: 429, the name's backoff" "$r" '^429 [1-3] .*for this name; try again in [1-3] s'
r=$(login 127.0.0.7 "$(totp "$(next_code)" "not the password at all")")
expect_match "a wrong password with a right code: the same 429" "$r" '^429 [1-3] .*for this name; try again in [1-3] s'
r=$(login 127.0.0.5 "$(totp "$(next_code)")")
expect_match "the operator from a new address, password + TOTP: 201 at once" "$r" '^201 '
expect_eq "... its session: password+totp from 127.0.0.5" \
    "$(sql "SELECT client_addr || ' ' || factors FROM sessions WHERE client_addr = '127.0.0.5'")" "127.0.0.5 password+totp"
expect_eq "... audited as passing the name's backoff with a second factor" \
    "$(sql "SELECT COUNT(*) FROM audit WHERE action = 'account.backoff_passed' AND detail LIKE '127.0.0.5: the right password and a second factor;%'")" 1
expect_eq "the wrong code after the right password: audited" \
    "$(sql "SELECT COUNT(*) FROM audit WHERE action = 'account.login_2fa_fail' AND detail LIKE '127.0.0.6 %'")" 1
# From a new address the name's backoff applies, but it is short.
r=$(login 127.0.0.3 "$GOOD")
expect_match "the operator from a new address: 429, the name's backoff" "$r" '^429 [1-3] .*for this name; try again in [1-3] s'
wait_s=$(echo "$r" | awk '{print $2}')
sleep "${wait_s:-0}"
r=$(login 127.0.0.3 "$GOOD")
expect_match "the operator from the new address after Retry-After ($wait_s s): 201" "$r" '^201 '

# The attacker goes on, each guess when its wait is over, until its
# address is locked (8 failures in a row).
n=5 locked=0
for i in $(seq 1 12); do
	r=$(login 127.0.0.2 "$BAD")
	case $r in
	401*) n=$((n + 1)) ;;
	429*locked*) locked=1; break ;;
	429*) w=$(echo "$r" | awk '{print $2}'); [ "$w" = - ] && echo "  429 without Retry-After: [$r]"; sleep "${w#-}" ;;
	*) not_ok "attacker: unexpected answer [$r]" ;;
	esac
done
expect_eq "the attacker's address locked after 8 failures in a row" "$n/$locked" 8/1
r=$(login 127.0.0.2 "$GOOD")
expect_match "locked: even the right password from the attacker's address is 429" "$r" '^429 [1-3] .*from this address: it is locked for [1-3] s'
r=$(login 127.0.0.1 "$GOOD")
expect_match "while the attacker's address is locked, the operator logs in: 201" "$r" '^201 '
r=$(login 127.0.0.4 '{"username":"ra1","password":"yet another guess!"}')
expect_match "the name is never locked: a guess from elsewhere is answered (401 or its backoff's 429)" "$r" '^(401|429 [1-3] .*for this name)'

# Every throttling decision audited, the address in it.
for a in account.backoff account.login_throttled account.addr_lock \
    account.login_addr_locked account.backoff_passed; do
	c=$(sql "SELECT COUNT(*) FROM audit WHERE action = '$a'")
	expect_match "audited: $a ($c)" "$c" '^[1-9][0-9]*$'
done
expect_eq "the address lock's record names the address" \
    "$(sql "SELECT COUNT(*) FROM audit WHERE action = 'account.addr_lock' AND detail LIKE 'address 127.0.0.2:%'")" 1
expect_eq "the name is never locked" "$(sql "SELECT COUNT(*) FROM audit WHERE action = 'account.lock'")" 0
stop_daemon
out=$(ctl audit verify 2>&1); rc=$?
expect_eq "esealctl audit verify: exit 0" "$rc" 0
done_testing
