#!/bin/sh
# t_kill_batch.sh: kill -9 of `esealctl issue --batch` in the middle of a
# batch (issue 16).  A batch records the pending rows of all its requests
# in one transaction and their issued rows in the next; the test hook of
# src/store/store_sync.c (ESEAL_TEST_KILL_IN_GROUP=N,1[,after]: SIGKILL in
# the Nth WAL flush of the process, before its fdatasync or after it)
# kills it at each flush in turn, one round per flush, each round with a
# directory of requests of its own, until a round runs to the end.  Then
# eseald starts (it finishes every pending row at start-up) and stops.
# Shown: some round was killed with the batch's rows pending and some
# with them issued; each certificate esealctl printed is issued in the
# store with the very bytes of its file; nothing is issued without its
# cert.issue audit record; after the restart no row is pending and every
# request of every round has its certificate (the kills lost none); no key
# certified twice; PRAGMA integrity_check ok; esealctl audit verify.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/rel.sh"

PER=${PER:-6}		# requests per round
MAXROUNDS=${MAXROUNDS:-12}

setup_ca ec-p256
ctl init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
csr first ec:P-256
ctl issue --csr "$T/first.csr" --register --name "株式会社テスト" \
    --corporate-number 4011001098993 --evidence "registry extract" \
    --out "$T/first.pem" >/dev/null 2>&1 ||
    { not_ok "the organisation registered"; exit 1; }

issued() { sql "SELECT COUNT(*) FROM certificates WHERE status = 'issued'"; }
pending() { sql "SELECT COUNT(*) FROM certificates WHERE status = 'pending'"; }

k=0 done=0 saw_pending=0 saw_unprinted=0 printed=0 all=0
: > "$T/printed"
while [ $k -lt "$MAXROUNDS" ] && [ $done -eq 0 ]; do
	k=$((k + 1))
	B=$T/b$k
	mkdir -p "$B"
	for i in $(seq 1 "$PER"); do
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout "$B/r$i.key" -subj "/CN=r$i" \
		    -out "$B/r$i.csr" 2>/dev/null
	done
	all=$((all + PER))
	when=""
	[ $((k % 2)) -eq 0 ] && when=",after"
	i0=$(issued) p0=$(pending)
	ESEAL_TEST_KILL_IN_GROUP=$k,1$when ctl issue --batch "$B" --org 1 \
	    > "$T/out$k" 2> "$T/err$k"
	rc=$?
	i1=$(issued) p1=$(pending)
	n=$(wc -l < "$T/out$k")
	cat "$T/out$k" >> "$T/printed"
	printed=$((printed + n))
	if [ $rc -eq 0 ]; then
		done=1
		echo "  (round $k: flush $k$when is past the batch: ran to the end, $n printed)"
	elif [ $rc -eq 137 ]; then
		echo "  (round $k: killed in flush $k$when; printed $n; now $((i1 - i0)) more issued, $((p1 - p0)) more pending)"
		[ $((p1 - p0)) -gt 0 ] && saw_pending=1
		[ $((i1 - i0)) -gt "$n" ] && saw_unprinted=1
	else
		not_ok "round $k: esealctl exit $rc: $(tail -1 "$T/err$k")"
	fi
done
expect_eq "the last round ran to the end" "$done" 1
expect_eq "a kill left the batch's rows pending" "$saw_pending" 1
expect_eq "a kill left certificates issued that were never printed" \
    "$saw_unprinted" 1

# Each printed certificate: issued, with the bytes of its file.
bad=""
while read -r name serial file; do
	[ "$(sql "SELECT status FROM certificates WHERE serial = '$serial'")" = issued ] ||
	    bad="$bad $serial(not issued)"
	[ "$(openssl x509 -in "$file" -outform DER | od -An -tx1 | tr -d ' \n')" = \
	    "$(sql "SELECT lower(hex(cert)) FROM certificates WHERE serial = '$serial'")" ] ||
	    bad="$bad $serial(other bytes)"
done < "$T/printed"
expect_eq "every certificate printed ($printed) is issued with its file's bytes" "$bad" ""

start_daemon || exit 1
stop_daemon
expect_eq "eseald after the kills: exit 0" "$DAEMON_RC" 0
expect_eq "after the restart: nothing pending" "$(pending)" 0
expect_eq "after the restart: every request of every round issued" \
    "$(sql "SELECT COUNT(*) FROM certificates WHERE status = 'issued'")" \
    "$((all + 1))"
expect_eq "no key certified twice" \
    "$(sql "SELECT COUNT(*) FROM (SELECT spki_sha256 FROM certificates GROUP BY spki_sha256 HAVING COUNT(*) > 1)")" 0
expect_eq "every issued row has its cert.issue audit record" \
    "$(sql "SELECT COUNT(*) FROM certificates c WHERE c.status = 'issued' AND NOT EXISTS (SELECT 1 FROM audit a WHERE a.action = 'cert.issue' AND a.object = c.serial)")" 0
expect_eq "integrity_check" "$(sql 'PRAGMA integrity_check')" ok
out=$(ctl audit verify 2>&1); rc=$?
expect_eq "esealctl audit verify: exit 0 ($out)" "$rc" 0
done_testing
