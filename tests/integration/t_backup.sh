#!/bin/sh
# t_backup.sh: backup and restore that never un-revoke (issue 15).  A backup
# taken mid-stream of issuances and revocations from a live eseald, more
# revocations after it, then a restore with --published: every certificate
# of the manifest, every revocation made after the backup (from the
# published CRLs), CRL numbers above the published ones; eseald on the
# restored store answers OCSP revoked and publishes a CRL listing them.
# openssl cms -decrypt opens a backup; a destination on the store's device
# is refused; changed, truncated, foreign backups are refused and restore
# writes nothing; eseald refuses an un-reconciled older store.
. "$(dirname "$0")/lib.sh"

# "Elsewhere": /dev/shm is another device than $T on this kind of machine.
SHM=$(mktemp -d /dev/shm/eseal-bk-XXXXXX) || exit 1
SAME=$(mktemp -d "${TMPDIR:-/tmp}/eseal-same-XXXXXX") || exit 1
trap 'rm -rf "$SHM" "$SAME"; cleanup' EXIT
if [ "$(stat -c %d "$SHM")" = "$(stat -c %d "$T")" ]; then
	echo "  skip: /dev/shm is on the same device as $T"
	exit 0
fi

for r in rcpt other; do
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/$r.key" \
	    -out "$T/$r.pem" -days 2 -subj "/CN=backup $r" 2>/dev/null
done
setup_ca ec-p256 "[backup]
recipients = $T/rcpt.pem
[audit]
checkpoint_records = 5"
ctl init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
python3 - "$T/eseal.db" "$T/ca.der" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
open(sys.argv[2], "wb").write(c.execute("SELECT cert FROM issuers").fetchone()[0])
PY
openssl x509 -inform DER -in "$T/ca.der" -out "$T/ca.pem"

issue() {
	csr "$1" ec:P-256
	ctl issue --csr "$T/$1.csr" --org NTRJP-7123456789012 \
	    --out "$T/$1.pem" >/dev/null 2>&1
}
serial() { openssl x509 -in "$T/$1.pem" -noout -serial | cut -d= -f2 | tr A-F a-f; }
# A failure shows esealctl's own line in the test output.
revoke() {
	ctl revoke --serial "$(serial "$1")" --reason "$2" > "$T/revoke.$1" 2>&1 ||
	    { echo "  (revoke $1: $(tail -1 "$T/revoke.$1"))"; return 1; }
}

csr pre0 ec:P-256
ctl issue --csr "$T/pre0.csr" --register --name "株式会社サンプル" \
    --corporate-number 7123456789012 --evidence "registry extract" \
    --out "$T/pre0.pem" >/dev/null 2>&1 || { echo "issue failed"; exit 1; }
for n in pre1 pre2 pre3; do issue $n || { echo "issue $n failed"; exit 1; }; done
revoke pre0 superseded || { echo "revoke failed"; exit 1; }
start_daemon || exit 1

# A steady stream of issuances and revocations while the backup is taken.
(
	i=0
	while [ ! -f "$T/stop" ]; do
		i=$((i + 1))
		issue "s$i" && revoke "s$i" cessationOfOperation
		echo "$i" > "$T/stream.n"
	done
) &
STREAM=$!
wait_stream() {
	for _ in $(seq 1 300); do
		[ "$(cat "$T/stream.n" 2>/dev/null || echo 0)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
wait_stream 2
out=$(ctl backup create --to "$SHM" --label mid-stream 2>&1); rc=$?
expect_eq "backup create mid-stream: exit 0" "$rc" 0
expect_match "backup create: says where and the digest" "$out" \
    "backup written: $SHM/eseal-backup-[0-9T]+Z\.p7m \([0-9]+ bytes, store SHA-256 [0-9a-f]{64}\)"
F=$(ls "$SHM"/eseal-backup-*.p7m | head -1)
expect_eq "the backup file is mode 0600" "$(stat -c %a "$F")" 600
AT_BACKUP=$(sql "SELECT MAX(seq) FROM audit")
at=$(cat "$T/stream.n")
# After the backup, while the stream goes on: a certificate it holds.
revoke pre3 keyCompromise
expect_eq "a revocation after the backup, mid-stream: exit 0" "$?" 0
wait_stream $((at + 2))
touch "$T/stop"
wait "$STREAM"
expect_eq "the stream went on after the backup" "$(($(cat "$T/stream.n") >= at + 2))" 1
# And one it never saw, issued and revoked after it.
issue post
expect_eq "issued after the backup: exit 0" "$?" 0
revoke post keyCompromise
expect_eq "revoked after the backup: exit 0" "$?" 0
# The publisher writes the newest CRL within a tick.
want=$(sql "SELECT MAX(number) FROM crls")
for _ in $(seq 1 50); do
	got=$(openssl crl -inform DER -in "$T/pub/crl/it-ca/0.crl" -noout -crlnumber 2>/dev/null | sed 's/.*=//')
	[ -n "$got" ] && [ "$((got))" -eq "$want" ] && break
	sleep 0.2
done
expect_eq "the published CRL is the newest" "$((${got:-0}))" "$want"
# eseald checkpoints the trail every 5 records, signed, under pub/audit/.
newest_cp() { ls "$T/pub/audit" 2>/dev/null | sed -n 's/^checkpoint-\([0-9]*\)\.txt$/\1/p' | sort -n | tail -1; }
for _ in $(seq 1 50); do
	[ "$(newest_cp)" -gt "$AT_BACKUP" ] 2>/dev/null && break
	sleep 0.2
done
CP=$(newest_cp)
expect_eq "a signed checkpoint after the backup is published" "$((${CP:-0} > AT_BACKUP))" 1
stop_daemon
PUBNUM=$want
sql "SELECT serial FROM revocations ORDER BY 1" > "$T/live.revoked"
# The live chain's head, as an audit checkpoint kept off the store would
# hold it.
HEAD_SEQ=$(sql "SELECT MAX(seq) FROM audit")
HEAD_HASH=$(sql "SELECT lower(hex(hash)) FROM audit WHERE seq = $HEAD_SEQ")

# --- backup verify, and openssl alone -----------------------------------
out=$(ctl backup verify "$F" --key "$T/rcpt.key" 2>&1); rc=$?
expect_eq "backup verify: exit 0" "$rc" 0
expect_match "backup verify: ok" "$out" "backup verify: $F: ok"
expect_match "backup verify: the audit chain" "$out" "audit chain: intact"
expect_match "backup verify: the signer" "$out" "signed by it-ca"
out=$(ctl backup verify "$F" --key "$T/rcpt.key" --cert "$T/rcpt.pem" --trust "$T/ca.pem" 2>&1)
expect_match "backup verify --cert --trust: ok" "$out" "backup verify: $F: ok"
out=$(ctl backup verify 2>&1); rc=$?
expect_eq "backup verify without FILE: usage, exit 2" "$rc" 2
out=$(ctl restore "$F" --key "$T/rcpt.key" 2>&1); rc=$?
expect_eq "restore without --to: usage, exit 2" "$rc" 2
expect_match "restore without --to: says what is missing" "$out" "give one FILE and --to PATH"
out=$(ctl backup verify "$F" 2>&1); rc=$?
expect_eq "backup verify without --key: exit 1" "$rc" 1
expect_match "backup verify without --key: says so" "$out" "--key FILE"
mkdir "$T/open"
openssl cms -decrypt -inform DER -binary -in "$F" -recip "$T/rcpt.pem" \
    -inkey "$T/rcpt.key" -out "$T/open/backup.tar" 2>/dev/null
expect_eq "openssl cms -decrypt opens it" "$?" 0
(cd "$T/open" && tar xf backup.tar)
expect_eq "the content: manifest, signature, signer, store" \
    "$(tar tf "$T/open/backup.tar" | tr '\n' ' ')" \
    "manifest.json manifest.sig signer.crt store.db "
mf() { python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$T/open/manifest.json" "$1"; }
expect_eq "the content's SHA-256 is the manifest's" \
    "$(sha256sum "$T/open/store.db" | cut -d' ' -f1)" "$(mf 'm["payload"]["sha256"]')"
expect_eq "the manifest counts the copy's certificates" "$(mf 'm["counts"]["certificates"]')" \
    "$(sqlite3 "$T/open/store.db" "SELECT count(*) FROM certificates")"
expect_eq "the manifest's audit head is the copy's" "$(mf 'm["audit"]["head_seq"]')" \
    "$(sqlite3 "$T/open/store.db" "SELECT MAX(seq) FROM audit")"
check "the manifest's signature verifies with openssl (the issuer key)" \
    sh -c "openssl x509 -inform DER -in '$T/open/signer.crt' -pubkey -noout > '$T/open/pub.pem' &&
    openssl dgst -sha256 -verify '$T/open/pub.pem' -signature '$T/open/manifest.sig' '$T/open/manifest.json'"
expect_eq "no private key in the backup" \
    "$(sqlite3 "$T/open/store.db" ".dump" | grep -c 'PRIVATE KEY')" 0

# --- restore, reconciled with what was published after the backup -------
out=$(ctl restore "$F" --to "$T/restored.db" --key "$T/rcpt.key" \
    --published "$T/pub" 2>&1); rc=$?
expect_eq "restore: exit 0" "$rc" 0
RESTORE_OUT=$out
expect_match "restore: a revocation after the backup re-imported" "$out" \
    "reconciled: revocation re-imported: it-ca serial $(serial pre3) reason 1"
expect_match "restore: a serial the backup never saw: revoked-unknown" "$out" \
    "reconciled: revoked-unknown-certificate: it-ca serial $(serial post) reason 1"
expect_match "restore: CRL numbers continue above the published" "$out" \
    "CRL number continues above: it-ca/0: published number $PUBNUM, the next is $((PUBNUM + 1))"
expect_match "restore: says it is written" "$out" "restore: $T/restored.db written, reconciled"
expect_eq "restored store is mode 0600" "$(stat -c %a "$T/restored.db")" 600
expect_match "restore: how far the audit chain reaches against the last off-store checkpoint" "$out" \
    "audit chain: reaches seq [0-9]+, seq [0-9]+ of them shared with the CA's; the last off-store checkpoint \($T/pub/audit/checkpoint-$CP\.txt\) is at seq $CP: [1-9][0-9]* audit records made after the backup are not in the restored store"
R() { sqlite3 "$T/restored.db" "$1"; }
sqlite3 "$T/open/store.db" "SELECT serial FROM certificates ORDER BY 1" > "$T/backup.serials"
R "SELECT serial FROM certificates ORDER BY 1" > "$T/restored.serials"
check "the restored store has every certificate of the backup" \
    cmp "$T/backup.serials" "$T/restored.serials"
R "SELECT serial FROM revocations UNION SELECT serial FROM revoked_unknown ORDER BY 1" > "$T/restored.revoked"
check "every revocation of the live store is in the restored one" \
    sh -c "comm -23 '$T/live.revoked' '$T/restored.revoked' | grep -q . && exit 1 || exit 0"
expect_eq "the re-imported revocation names its source" \
    "$(R "SELECT requested_by FROM revocations WHERE serial = '$(serial pre3)'")" \
    "reconcile:crl/it-ca/0.crl#$PUBNUM"
expect_eq "the re-import is audited" \
    "$(R "SELECT count(*) FROM audit WHERE action = 'cert.revoke.reconcile' AND object = '$(serial pre3)'")" 1
expect_eq "the CRL number floor is the published number" \
    "$(R "SELECT number FROM crl_number_floor")" "$PUBNUM"
sed "s|^path = .*/eseal.db|path = $T/restored.db|" "$CONF" > "$T/restored.conf"
base=$(R "SELECT MAX(seq) FROM audit")
out=$("$ESEALCTL" --config "$T/restored.conf" backup reconcile --published "$T/pub" \
    --checkpoint "$HEAD_SEQ:$HEAD_HASH" 2>&1); rc=$?
expect_match "reconcile twice: nothing more to do" "$out" "backup reconcile: 0 item\(s\)"
expect_eq "reconcile with an off-store checkpoint: exit 0" "$rc" 0
expect_match "the audit records lost since the backup are counted" "$out" \
    "audit chain: reaches seq $((base + 1)), seq $base of them shared with the CA's; the checkpoint is at seq $HEAD_SEQ: $((HEAD_SEQ - base)) audit records made after the backup"
bseq=$(sqlite3 "$T/open/store.db" "SELECT MAX(seq) FROM audit")
bhash=$(sqlite3 "$T/open/store.db" "SELECT lower(hex(hash)) FROM audit WHERE seq = $bseq")
out=$("$ESEALCTL" --config "$T/restored.conf" backup reconcile --published "$T/pub" \
    --checkpoint "$bseq:$bhash" 2>&1)
expect_match "a checkpoint of the backup's head: in the restored chain" "$out" \
    "the checkpoint, seq $bseq, is in it"
out=$("$ESEALCTL" --config "$T/restored.conf" backup reconcile --published "$T/pub" \
    --checkpoint "$bseq:$(printf '%064d' 0)" 2>&1); rc=$?
expect_eq "a checkpoint the chain contradicts: exit 1" "$rc" 1
expect_match "a checkpoint the chain contradicts: says so" "$out" \
    "record $bseq differs from the checkpoint .*: not the same history"

# --- eseald refuses an older store that was not reconciled ---------------
out=$(ctl restore "$F" --to "$T/stale.db" --key "$T/rcpt.key" 2>&1)
expect_match "restore without --published: says it is not reconciled" "$out" "not reconciled"
sed "s|^path = .*/eseal.db|path = $T/stale.db|" "$CONF" > "$T/stale.conf"
timeout 20 "$ESEALD" --config "$T/stale.conf" > "$T/stale.log" 2>&1; rc=$?
expect_eq "eseald on an un-reconciled older store: exit 1" "$rc" 1
expect_match "eseald says why and what to run" "$(cat "$T/stale.log")" \
    "CRL numbers of it-ca/0 end at [0-9]+, but $T/pub/crl/it-ca/0.crl, already published, is number $PUBNUM.*esealctl backup reconcile --published $T/pub"

# --- eseald on the restored store ----------------------------------------
# The published checkpoints above the backup's head are the evidence of
# what was lost: archived, as the restore said, before eseald serves.
n=$(ls "$T/pub/audit" | sed -n 's/^checkpoint-\([0-9]*\)\.txt$/\1/p' | awk -v b="$bseq" '$1 > b' | wc -l)
expect_match "restore: says which published checkpoints to archive" "$RESTORE_OUT" \
    "audit checkpoints: $n under $T/pub/audit are above seq $bseq: the evidence of the records lost"
mkdir "$T/lost-audit"
for f in "$T"/pub/audit/checkpoint-*; do
	s=${f##*/checkpoint-}; s=${s%.*}
	[ "$s" -gt "$bseq" ] && mv "$f" "$T/lost-audit/"
done
CONF=$T/restored.conf
start_daemon || exit 1
o=$(openssl ocsp -issuer "$T/ca.pem" -cert "$T/post.pem" -url "$PUB/ocsp" -CAfile "$T/ca.pem" 2>&1)
expect_match "OCSP on the restored store: revoked (issued after the backup)" "$o" "post.pem: revoked"
o=$(openssl ocsp -issuer "$T/ca.pem" -cert "$T/pre3.pem" -url "$PUB/ocsp" -CAfile "$T/ca.pem" 2>&1)
expect_match "OCSP on the restored store: revoked (revoked after the backup)" "$o" "pre3.pem: revoked"
o=$(openssl ocsp -issuer "$T/ca.pem" -cert "$T/pre1.pem" -url "$PUB/ocsp" -CAfile "$T/ca.pem" 2>&1)
expect_match "OCSP on the restored store: good stays good" "$o" "pre1.pem: good"
for _ in $(seq 1 50); do
	curl -s -o "$T/new.crl" "$PUB/crl/it-ca/0.crl"
	n=$(openssl crl -inform DER -in "$T/new.crl" -noout -crlnumber 2>/dev/null | sed 's/.*=//')
	[ -n "$n" ] && [ "$((n))" -gt "$PUBNUM" ] && break
	sleep 0.2
done
expect_eq "the new CRL's number is above the published one" "$((${n:-0} > PUBNUM))" 1
crltext=$(openssl crl -inform DER -in "$T/new.crl" -noout -text 2>/dev/null | tr -d ' :' | tr '[:upper:]' '[:lower:]')
for c in pre3 post pre0; do
	s=$(serial $c | sed 's/^0*//')
	expect_match "the new CRL lists $c" "$crltext" "serialnumber0*$s"
done
v=$(openssl verify -crl_check -CAfile "$T/ca.pem" -CRLfile "$T/new.crl" "$T/post.pem" 2>&1)
expect_match "openssl verify -crl_check: post revoked" "$v" "certificate revoked"
stop_daemon
# The reconciliation wrote its audit records without the HSM (restore
# needs none); eseald sealed them at its start.
out=$(ctl audit verify 2>&1); rc=$?
expect_eq "the restored audit trail verifies: exit 0" "$rc" 0
expect_match "the restored audit trail verifies" "$out" "intact"
CONF=$T/eseald.conf

# --- where a backup may go -----------------------------------------------
dev=$(stat -c %d "$SAME")
out=$(ctl backup create --to "$SAME" 2>&1); rc=$?
expect_eq "a destination on the store's device: exit 1" "$rc" 1
expect_match "the refusal names both paths and the device" "$out" \
    "destination $SAME is on the same device \([0-9]+:[0-9]+\) as the store $T/eseal.db"
expect_eq "the refusal is a store row" \
    "$(sql "SELECT result, same_device FROM backups ORDER BY id DESC LIMIT 1")" "failed|0"
out=$(ctl backup create --to "$SAME" --allow-same-device 2>&1); rc=$?
expect_eq "--allow-same-device: exit 0" "$rc" 0
expect_match "--allow-same-device: says so" "$out" "on the store's device"
expect_eq "the store row says it was on the same device" \
    "$(sql "SELECT result, same_device, destination LIKE '$SAME/%' FROM backups ORDER BY id DESC LIMIT 1")" "ok|1|1"
expect_eq "and so does the audit record" \
    "$(sql "SELECT count(*) FROM audit WHERE action = 'backup.create' AND detail LIKE '%same_device=1%'")" 1
out=$(ctl backup create --to "$T" --allow-same-device 2>&1); rc=$?
expect_eq "inside the store's directory: refused even so" "$rc" 1
expect_match "the refusal says why" "$out" "inside the store's directory"
out=$(ctl backup create 2>&1); rc=$?
expect_eq "no destination: exit 1" "$rc" 1
expect_match "no destination: says so" "$out" "at least one destination"
mkdir "$SHM/a" "$SHM/b"
out=$(ctl backup create --to "$SHM/a" --to "$SHM/b" --to "$SHM/none" 2>&1); rc=$?
expect_eq "three destinations, one missing: exit 1" "$rc" 1
expect_eq "each written in turn, each reported" \
    "$(printf '%s\n' "$out" | grep -c '^backup written:')" 2
expect_match "the missing one named" "$out" "destination $SHM/none"

# --- hostile backups: refused with the reason, restore writes nothing ----
refused() {	# NAME FILE PATTERN
	out=$(ctl backup verify "$2" --key "$T/rcpt.key" 2>&1); rc=$?
	expect_eq "$1: backup verify exit 1" "$rc" 1
	expect_match "$1: the reason" "$out" "$3"
	out=$(ctl restore "$2" --to "$T/bad.db" --key "$T/rcpt.key" --published "$T/pub" 2>&1); rc=$?
	expect_eq "$1: restore exit 1" "$rc" 1
	expect_eq "$1: restore wrote nothing" "$(ls "$T" | grep -c '^bad\.db')" 0
}
python3 - "$F" "$T/flipped.p7m" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) // 2] ^= 0x01
open(sys.argv[2], "wb").write(b)
PY
refused "one byte flipped" "$T/flipped.p7m" "RFC 5083 2.2.*does not decrypt and authenticate"
head -c $(($(stat -c %s "$F") - 100)) "$F" > "$T/truncated.p7m"
refused "truncated" "$T/truncated.p7m" "RFC 5652 3 / X.690 DER: not one CMS ContentInfo"
{ cat "$F"; printf 'x'; } > "$T/trailing.p7m"
refused "trailing bytes" "$T/trailing.p7m" "X.690 DER: 1 trailing bytes"
mkdir "$SHM/other"
ctl backup create --to "$SHM/other" --recipients "$T/other.pem" >/dev/null 2>&1
refused "encrypted to another recipient" "$(ls "$SHM"/other/*.p7m)" \
    "RFC 5652 6.2.1: the backup is not encrypted to .*backup rcpt"
python3 - "$T/open/backup.tar" "$T/edited.tar" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
e = b.replace(b'"issuers": 1,', b'"issuers": 2,', 1)
assert e != b
open(sys.argv[2], "wb").write(e)
PY
openssl cms -encrypt -binary -aes-256-gcm -outform DER -in "$T/edited.tar" \
    -out "$T/edited.p7m" "$T/rcpt.pem" 2>/dev/null
refused "manifest counts edited" "$T/edited.p7m" \
    "manifest signature \(docs/disaster-recovery.md\): the signature of manifest.json does not verify"
out=$(ctl backup verify "$F" --key "$T/rcpt.key" --trust "$T/other.pem" 2>&1)
expect_match "a signer not trusted: refused" "$out" "not a trusted issuer certificate"
out=$(ctl restore "$F" --to "$T/restored.db" --key "$T/rcpt.key" 2>&1); rc=$?
expect_eq "restore over an existing store: exit 1" "$rc" 1
expect_match "restore over an existing store: says so" "$out" "exists: a restore writes a new store"

done_testing
