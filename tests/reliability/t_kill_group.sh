#!/bin/sh
# t_kill_group.sh: kill -9 of eseald in the middle of a group commit
# (issue 16), with many RA approvals in flight.  The test hook of
# src/store/store_sync.c (ESEAL_TEST_KILL_IN_GROUP=N,MIN[,after]: SIGKILL in
# the Nth WAL flush covering at least MIN commits, before the fdatasync or
# after it, before any committer of the group hears "committed") picks the
# moment, which no kill from outside hits reliably.  A thread has at most
# one commit waiting for its flush, so a group of K commits is K threads'
# work in flight.  Each round starts
# eseald with the hook and CLIENTS concurrent approvals
# (tests/reliability/group_load.py) until it dies; then eseald starts once
# more without it and finishes what the kills left behind.  (First, one
# round of concurrent approvals with no kill, stopped with SIGTERM: the
# same load for ThreadSanitizer's `make tsan` to see to the end.)  Shown: the
# hook fired in a group of at least MIN commits each round, with work left
# half-done; every approval answered 2xx has its certificate issued in the
# store, with the very DER bytes fetched before the kill, and its request
# issued with that serial; no request issued without an issued certificate
# row and its cert.issue audit record; no key certified twice; after the
# restart no certificate pending and no request approved without its
# certificate; PRAGMA integrity_check ok; esealctl audit verify.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/rel.sh"

# N,MIN[,after] of each round; the requests made up front.
ROUNDS=${ROUNDS:-"3,3 4,3,after 1,4 2,3,after"}
NREQ=${NREQ:-1200}
CLIENTS=${CLIENTS:-24}
G=$(dirname "$0")/group_load.py

setup_ca ec-p256 "rate = 100000
burst = 100000
conn_per_ip = 1024"
ctl init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
ra_account
start_daemon || exit 1
ra_login
org='{"name":"株式会社テスト","corporate_number":"4011001098993","country":"JP","evidence":"registry extract"}'
r=$(post /api/v1/organizations "$org" "$TOK")
oid=$(printf '%s' "$r" | jget '["id"]')
d=$($C "$URL/disclosure/current")
ver=$(printf '%s 200' "$d" | jget '["version"]')
sha=$(printf '%s 200' "$d" | jget '["sha256"]')
: > "$T/ids"
/usr/bin/python3 "$G" make "$URL" "$T/tls.crt" "$TOK" "$oid" "$ver" "$sha" \
    "$NREQ" "$T/ids" || { not_ok "enrolment requests made"; exit 1; }
expect_eq "$NREQ enrolment requests made" "$(wc -l < "$T/ids")" "$NREQ"
# First CLIENTS at once with no kill: all answered, a clean stop.
head -n 48 "$T/ids" > "$T/ids0"; sed -i 1,48d "$T/ids"
out=$(/usr/bin/python3 "$G" approve "$URL" "$T/tls.crt" "$TOK" "$T/ids0" \
    "$CLIENTS" "$T/r0" 20)
expect_eq "48 concurrent approvals, no kill: all answered ($out)" "$out" \
    "sent=48 answered=48 unanswered=0 other=0"
stop_daemon
expect_eq "SIGTERM after concurrent approvals: exit 0" "$DAEMON_RC" 0

cp "$T/r0.answered" "$T/answered"; cp "$T/r0.der" "$T/der"; : > "$T/unanswered"
fired=0 left=0 i=0
for spec in $ROUNDS; do
	i=$((i + 1)) n=""
	[ -s "$T/ids" ] || { not_ok "round $i: no request left to approve"; break; }
	ESEAL_TEST_KILL_IN_GROUP=$spec
	export ESEAL_TEST_KILL_IN_GROUP
	restart_daemon || { not_ok "round $i: start"; break; }
	unset ESEAL_TEST_KILL_IN_GROUP
	out=$(/usr/bin/python3 "$G" approve "$URL" "$T/tls.crt" "$TOK" \
	    "$T/ids" "$CLIENTS" "$T/r$i" 20)
	# The hook kills eseald; it must be dead by now or shortly.
	for _ in $(seq 1 50); do
		kill -0 "$ESEALD_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$ESEALD_PID" 2>/dev/null; then
		not_ok "round $i ($spec): the hook never fired ($out)"
		kill9
	else
		wait "$ESEALD_PID"
		rc=$?
		ESEALD_PID=""
		hook=$(grep 'test hook: SIGKILL' "$T/eseald.log" | grep -o 'commits=[0-9]*' | tail -1)
		n=${hook#commits=}
		min=$(printf '%s' "$spec" | cut -d, -f2)
		if [ "$rc" = 137 ] && [ -n "$n" ] && [ "$n" -ge "$min" ]; then
			fired=$((fired + 1))
		else
			echo "  round $i: exit $rc, hook [$hook]"
		fi
	fi
	# What the kill left half-done, read with eseald down.
	p=$(sql "SELECT COUNT(*) FROM certificates WHERE status = 'pending'")
	a=$(sql "SELECT COUNT(*) FROM enrolment_requests WHERE status = 'approved'")
	left=$((left + p + a))
	echo "  round $i ($spec): killed in a group of ${n:-?} commits; $out; left behind: $p certificates pending, $a requests approved without a certificate"
	for f in answered der unanswered; do
		[ -f "$T/r$i.$f" ] && cat "$T/r$i.$f" >> "$T/$f"
	done
	mv "$T/r$i.rest" "$T/ids"
done
nr=$(echo $ROUNDS | wc -w)
expect_eq "every round: eseald killed itself (SIGKILL) in a group of at least MIN commits" "$fired" "$nr"
expect_match "the kills left work half-done (pending certificates, approved requests)" "$left" '^[1-9][0-9]*$'
expect_match "approvals answered 2xx before the kills" "$(wc -l < "$T/answered")" '^[1-9][0-9]*$'

# Restart without the hook: start-up finishes what the kills left behind.
restart_daemon || { not_ok "final restart"; exit 1; }
grep 'resumed work left behind' "$T/eseald.log" | sed 's/^/  /'
stop_daemon
expect_eq "SIGTERM: exit 0" "$DAEMON_RC" 0

res=$(/usr/bin/python3 - "$T/eseal.db" "$T/answered" "$T/der" "$T/unanswered" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
answered = [l.split() for l in open(sys.argv[2]).read().splitlines()]
der = [l.split() for l in open(sys.argv[3]).read().splitlines()]
unanswered = open(sys.argv[4]).read().split()
missing = 0
for rid, serial in answered:
    n = db.execute("SELECT COUNT(*) FROM certificates c JOIN "
                   "enrolment_requests e ON e.serial = c.serial WHERE "
                   "c.serial = ? AND c.status = 'issued' AND e.id = ? AND "
                   "e.status = 'issued'", (serial, int(rid))).fetchone()[0]
    if n != 1:
        missing += 1
        print("answered %s (request %s): not issued in the store" %
              (serial, rid), file=sys.stderr)
differ = 0
for serial, h in der:
    row = db.execute("SELECT cert FROM certificates WHERE serial = ? AND "
                     "status = 'issued'", (serial,)).fetchone()
    if row is None or row[0].hex() != h:
        differ += 1
        print("%s: stored DER differs from the one served" % serial,
              file=sys.stderr)
rec = {"issued": 0, "failed": 0, "other": 0}
for rid in unanswered:
    st = db.execute("SELECT status FROM enrolment_requests WHERE id = ?",
                    (int(rid),)).fetchone()[0]
    rec[st if st in rec else "other"] += 1
print(missing, differ, len(der),
      len(set(s for _, s in answered)) - len(answered),
      len(set(r for r, _ in answered)) - len(answered),
      rec["issued"], rec["failed"], rec["other"])
PY
)
set -- $res
expect_eq "every approval answered 2xx: its certificate issued in the store, its request issued with that serial" "$1" 0
expect_eq "the stored DER is the one served before the kill ($3 fetched)" "$2" 0
expect_eq "no serial answered twice" "$4" 0
expect_eq "no request answered twice" "$5" 0
echo "  (approvals cut off by a kill: $6 issued by recovery without the client knowing, $7 failed, $8 still pending review)"
expect_eq "no request issued without an issued certificate row" "$(sql "SELECT COUNT(*) FROM enrolment_requests e WHERE e.status = 'issued' AND NOT EXISTS (SELECT 1 FROM certificates c WHERE c.serial = e.serial AND c.status = 'issued')")" 0
expect_eq "no issued certificate without its cert.issue audit record" "$(sql "SELECT COUNT(*) FROM certificates c WHERE c.status = 'issued' AND NOT EXISTS (SELECT 1 FROM audit a WHERE a.action = 'cert.issue' AND a.object = c.serial)")" 0
expect_eq "no key certified twice" "$(sql "SELECT COUNT(*) FROM (SELECT spki_sha256 FROM certificates WHERE status = 'issued' GROUP BY spki_sha256 HAVING COUNT(*) > 1)")" 0
expect_eq "no certificate left pending (recovery finished or failed each)" "$(sql "SELECT COUNT(*) FROM certificates WHERE status = 'pending'")" 0
expect_eq "no request left approved without its certificate" "$(sql "SELECT COUNT(*) FROM enrolment_requests WHERE status = 'approved'")" 0
expect_eq "PRAGMA integrity_check" "$(sql "PRAGMA integrity_check")" ok
out=$(ctl audit verify 2>&1); rc=$?
expect_eq "esealctl audit verify: exit 0" "$rc" 0
expect_match "esealctl audit verify: the chain verifies" "$out" "[0-9]+ records"
done_testing
