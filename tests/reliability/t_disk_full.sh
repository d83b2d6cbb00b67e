#!/bin/sh
# t_disk_full.sh: the store's filesystem fills up under a running eseald.
# The store lives on a 2 MiB tmpfs; a filler file takes the rest.  Then a
# revocation over the API gets 503 with Retry-After and the real cause
# (SQLITE_FULL) in its body and in an error-level log line, never "cannot
# rollback"; /healthz says degraded with that cause, HTTP 503; CA
# certificates are still served.  When the filler goes, /healthz is ok
# again within 5 s and the revocation is accepted, without a restart.
# Needs root for mount(8): without it, skipped with a note.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/rel.sh"

disk_cleanup() {
	[ -n "$ESEALD_PID" ] && kill "$ESEALD_PID" 2>/dev/null
	wait 2>/dev/null
	ESEALD_PID=""
	umount "$T/db" 2>/dev/null
	cleanup
}
trap disk_cleanup EXIT

mkdir -p "$T/db"
if ! mount -t tmpfs -o size=2m tmpfs "$T/db" 2>/dev/null; then
	ok "skipped: cannot mount a tmpfs here (needs root)"
	done_testing
	exit
fi
setup_ca ec-p256
# The store on the small volume; free space warned about below 1 MiB.
sed -i "s|^path = $T/eseal.db\$|path = $T/db/eseal.db\nmin_free_mb = 1|" \
    "$T/eseald.conf"
ctl init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
ra_account
issue_certs 2
start_daemon || exit 1
ra_login
sa=$(sed -n 1p "$T/serials")
expect_match "healthz: ok, the store writable" "$(health)" \
    '^\{"status":"ok","store":\{"status":"ok","schema_version":[0-9]+,"writable":true.* 200$'

# The WAL emptied (as the daemon's periodic checkpoint does), then the
# volume filled: every new page of the store needs space that is not there.
python3 -c 'import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA wal_checkpoint(TRUNCATE)")' "$T/db/eseal.db"
dd if=/dev/zero of="$T/db/filler" bs=4k 2>/dev/null
expect_match "the volume is full" "$(df -k "$T/db" | awk 'NR==2 {print $4}')" '^0$'

r=$($C -i -X POST -H "$J" -H "Authorization: Bearer $TOK" \
    -d '{"reason":"keyCompromise"}' "$URL/api/v1/certificates/$sa/revoke")
expect_match "disk full: revocation refused with 503" "$r" '^HTTP/[0-9.]+ 503'
expect_match "disk full: with Retry-After" "$r" '[Rr]etry-[Aa]fter: [0-9]+'
expect_match "disk full: the body names the real cause" "$(printf '%s' "$r" | tail -1)" \
    '"store_unavailable".*(disk is full|SQLITE_FULL)'
if printf '%s' "$r" | grep -q 'cannot rollback'; then
	not_ok "disk full: the body says \"cannot rollback\""
else
	ok "disk full: no \"cannot rollback\" in the body"
fi
ms=$(wait_health '"status":"degraded".*SQLITE_FULL.* 503$' 5)
expect_match "healthz: degraded with SQLITE_FULL, 503 (after $ms ms)" "$ms" '^[0-9]+$'
h=$(health)
expect_match "healthz: the store unwritable, with its error" "$h" \
    '"store":\{"status":"unwritable",[^}]*"writable":false,[^}]*"error":"[^"]*SQLITE_FULL'
expect_match "healthz: low space named" "$h" 'below \[store\] min_free_mb = 1'
hh=$($C -i "$URL/healthz" | tr -d '\r')
expect_match "healthz: Retry-After" "$hh" 'Retry-After: [0-9]+'
expect_eq "CA certificate still served" \
    "$($C -o /dev/null -w '%{http_code}' "$URL/ca/it-ca.crt")" 200
expect_match "log: the cause at error level" "$(cat "$T/eseald.log")" \
    'level=error .*SQLITE_FULL'
if grep -q 'cannot rollback' "$T/eseald.log"; then
	not_ok "log: says \"cannot rollback\""
else
	ok "log: no \"cannot rollback\""
fi

# Space returns: no restart needed.
rm -f "$T/db/filler"
ms=$(wait_health '^\{"status":"ok".* 200$' 5)
echo "  (space back: /healthz ok after $ms ms)"
expect_match "space back: healthz ok within 5 s" "$ms" '^[0-9]+$'
r=$(post "/api/v1/certificates/$sa/revoke" '{"reason":"keyCompromise"}' "$TOK")
expect_eq "space back: the revocation accepted" "$(code_of "$r")" 200
echo "$sa" > "$T/want-a"
ms=$(wait_crl 1 "$T/want-a" 10)
expect_match "space back: on the CRL within 5 s" "$ms" '^[0-9]{1,4}$'
stop_daemon
done_testing
