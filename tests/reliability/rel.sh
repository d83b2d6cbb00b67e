# rel.sh: what the reliability tests share, on top of
# tests/integration/lib.sh (sourced first): an RA operator logged in over
# the API, JSON calls, monotonic time, the serials the served CRLs list,
# and an eseald that can be killed with SIGKILL and started again.
# Sourced, not run.

C="curl -s --cacert $T/tls.crt"
J="Content-Type: application/json"

# post PATH JSON [TOKEN]: prints "BODY STATUS"
post() {
	if [ -n "${3:-}" ]; then
		$C -X POST -H "$J" -H "Authorization: Bearer $3" -d "$2" -w ' %{http_code}' "$URL$1"
	else
		$C -X POST -H "$J" -d "$2" -w ' %{http_code}' "$URL$1"
	fi
}
jget() { python3 -c 'import json,sys; d=json.loads(sys.stdin.read().rsplit(" ",1)[0]); print(d'"$1"')'; }
code_of() { printf '%s' "$1" | awk '{print $NF}'; }

# now_ms: monotonic milliseconds.
now_ms() { python3 -c 'import time; print(int(time.monotonic() * 1000))'; }

# ra_login: an RA account (made with esealctl before the daemon starts:
# call ra_account first), logged in over the API; sets TOK.
ra_account() {
	RA_PW=$(ctl account add ra1 --role ra 2>&1 | sed -n 's/.*first login): //p')
	[ -n "$RA_PW" ] || { echo "account add failed"; exit 1; }
}
ra_login() {
	r=$(post /api/v1/session "{\"username\":\"ra1\",\"password\":\"$RA_PW\"}")
	t=$(printf '%s' "$r" | jget '["token"]')
	post /api/v1/session/password "{\"old_password\":\"$RA_PW\",\"new_password\":\"reliability test password 1\"}" "$t" >/dev/null
	r=$(post /api/v1/session '{"username":"ra1","password":"reliability test password 1"}')
	TOK=$(printf '%s' "$r" | jget '["token"]')
	[ -n "$TOK" ] || { echo "RA login failed: $r"; exit 1; }
}

# issue_certs N: N certificates issued offline by esealctl; their serials
# (lower-case hex, as stored) one per line in $T/serials.
issue_certs() {
	csr ee ec:P-256
	: > "$T/serials"
	for i in $(seq 1 "$1"); do
		ctl issue --csr "$T/ee.csr" --register --name "株式会社サンプル" \
		    --corporate-number 7123456789012 --evidence "registry extract" \
		    --out "$T/ee-$i.pem" >/dev/null 2>&1 ||
		    { echo "issue failed"; exit 1; }
		openssl x509 -in "$T/ee-$i.pem" -noout -serial | cut -d= -f2 |
		    tr A-F a-f >> "$T/serials"
	done
}

# crl_missing SHARDS FILE: how many serials of FILE (hex, one a line) the
# CRLs served now for it-ca shards 0..SHARDS-1 do not list.
crl_missing() {
	python3 - "$PUB" "$1" "$2" <<'PY'
import sys, urllib.request
from cryptography import x509
pub, shards, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
listed = set()
for s in range(shards):
    try:
        der = urllib.request.urlopen("%s/crl/it-ca/%d.crl" % (pub, s), timeout=5).read()
    except Exception:
        continue
    listed |= {r.serial_number for r in x509.load_der_x509_crl(der)}
want = [int(l, 16) for l in open(path).read().split()]
print(sum(1 for w in want if w not in listed))
PY
}

# wait_crl SHARDS FILE SECS: milliseconds until the served CRLs list every
# serial of FILE, or "never" after SECS seconds.
wait_crl() {
	w0=$(now_ms)
	while [ $(( $(now_ms) - w0 )) -lt $(( $3 * 1000 )) ]; do
		if [ "$(crl_missing "$1" "$2")" = 0 ]; then
			echo $(( $(now_ms) - w0 ))
			return 0
		fi
		sleep 0.1
	done
	echo never
	return 1
}

# health: "BODY STATUS" of GET /healthz.
health() { $C -w ' %{http_code}' "$URL/healthz"; }

# wait_health PATTERN SECS: milliseconds until /healthz ("BODY STATUS")
# matches PATTERN (grep -E), or "never".
wait_health() {
	w0=$(now_ms)
	while [ $(( $(now_ms) - w0 )) -lt $(( $2 * 1000 )) ]; do
		if health | grep -Eq -- "$1"; then
			echo $(( $(now_ms) - w0 ))
			return 0
		fi
		sleep 0.05
	done
	echo never
	return 1
}

# kill9: SIGKILL the daemon, no chance to clean up.
kill9() {
	kill -KILL "$ESEALD_PID" 2>/dev/null
	wait "$ESEALD_PID" 2>/dev/null
	ESEALD_PID=""
}

# token_away / token_back: the token's files go away and come back, as
# when an HSM is unplugged or its partition unmounted.
token_away() { mv "$T/hsm/tokens" "$T/hsm/tokens.away"; }
token_back() { mv "$T/hsm/tokens.away" "$T/hsm/tokens"; }

# restart_daemon: start_daemon, keeping the log of the runs before.
restart_daemon() {
	[ -f "$T/eseald.log" ] && cat "$T/eseald.log" >> "$T/eseald.old.log"
	start_daemon
}
