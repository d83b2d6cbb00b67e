#!/bin/sh
# t_backup_schedule.sh: scheduled backups from eseald ([backup] interval,
# retry, destinations, recipients) and /healthz's warning when the last
# good backup is older than [backup] max_age.  The destination is missing
# at first: the backup fails (a failed row and audit record, /healthz
# warns), is retried after [backup] retry seconds, succeeds once the
# directory exists, and repeats every interval; SIGHUP applies a new
# [backup]; each good one verifies.
. "$(dirname "$0")/lib.sh"

SHM=$(mktemp -d /dev/shm/eseal-bk-XXXXXX) || exit 1
trap 'rm -rf "$SHM"; cleanup' EXIT
if [ "$(stat -c %d "$SHM")" = "$(stat -c %d "$T")" ]; then
	echo "  skip: /dev/shm is on the same device as $T"
	exit 0
fi
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/rcpt.key" \
    -out "$T/rcpt.pem" -days 2 -subj "/CN=backup rcpt" 2>/dev/null
D=$SHM/later
setup_ca ec-p256 "[backup]
recipients = $T/rcpt.pem
destinations = $D
interval = 4
retry = 1
max_age = 6"
ctl init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
start_daemon || exit 1
C="curl -s --cacert $T/tls.crt"

# The destination does not exist yet: the first try fails.
for _ in $(seq 1 50); do
	[ "$(sql "SELECT count(*) FROM backups WHERE result = 'failed'")" -ge 1 ] && break
	sleep 0.1
done
expect_eq "a scheduled backup to a missing place: a failed row" \
    "$(sql "SELECT result, destination FROM backups ORDER BY id LIMIT 1")" "failed|$D"
expect_eq "and an audit record" \
    "$(sql "SELECT count(*) FROM audit WHERE action = 'backup.refuse' AND actor = 'eseald:schedule'")" \
    "$(sql "SELECT count(*) FROM backups WHERE result = 'failed'")"
expect_match "the log says it failed and when it retries" "$(cat "$T/eseald.log")" \
    "scheduled backup failed.*retry_secs=1.*destination $D"
h=$($C "$URL/healthz")
expect_match "/healthz: degraded, no good backup yet" "$h" \
    '"status":"degraded".*backup: no good backup yet \(\[backup\] max_age = 6 s'
sleep 2
n=$(sql "SELECT count(*) FROM backups WHERE result = 'failed'")
expect_eq "retried after [backup] retry seconds" "$((n >= 2))" 1

# The place appears: the next retry succeeds, then it repeats.
mkdir "$D"
for _ in $(seq 1 50); do
	[ "$(sql "SELECT count(*) FROM backups WHERE result = 'ok'")" -ge 1 ] && break
	sleep 0.1
done
first=$(sql "SELECT created FROM backups WHERE result = 'ok' ORDER BY id LIMIT 1")
expect_match "the retry wrote a backup" "$first" "^[0-9]+$"
h=$($C "$URL/healthz")
expect_match "/healthz: the backup is fresh" "$h" '"backup":\{"status":"ok"'
for _ in $(seq 1 100); do
	[ "$(sql "SELECT count(*) FROM backups WHERE result = 'ok'")" -ge 2 ] && break
	sleep 0.1
done
second=$(sql "SELECT created FROM backups WHERE result = 'ok' ORDER BY id LIMIT 1 OFFSET 1")
expect_match "it repeats" "$second" "^[0-9]+$"
expect_eq "every [backup] interval seconds" "$((${second:-0} - first >= 4 && ${second:-0} - first <= 6))" 1
expect_eq "no failure once the place exists" \
    "$(sql "SELECT count(*) FROM backups WHERE result = 'failed' AND created >= $first")" 0
# SIGHUP applies [backup]: interval 0 stops the schedule, and max_age
# passes with no new backup.
sed -i 's/^interval = 4$/interval = 0/' "$CONF"
kill -HUP "$ESEALD_PID"
sleep 1
made=$(sql "SELECT count(*) FROM backups")
sleep 7
expect_eq "SIGHUP with interval 0: no more scheduled backups" \
    "$(sql "SELECT count(*) FROM backups")" "$made"
h=$($C "$URL/healthz")
expect_match "/healthz: warns when the last good backup is older than max_age" "$h" \
    'backup: the last good backup is [0-9]+ s old, older than \[backup\] max_age = 6 s'
expect_match "/healthz: backup status old" "$h" '"backup":\{"status":"old"'
stop_daemon
expect_eq "eseald stopped cleanly" "$DAEMON_RC" 0
for f in "$D"/eseal-backup-*.p7m; do
	out=$(ctl backup verify "$f" --key "$T/rcpt.key" 2>&1)
	expect_match "scheduled backup verifies: ${f##*/}" "$out" "backup verify: .*: ok"
	expect_match "labelled as scheduled" "$out" 'label "scheduled"'
done

done_testing
