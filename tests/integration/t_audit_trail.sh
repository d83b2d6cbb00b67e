#!/bin/sh
# t_audit_trail.sh: the audit trail an investigator can trust (issue 14
# item 4, docs/security.md).  Each tamper case changes the store directly
# with sqlite3 and `esealctl audit verify` must exit 1 naming the first
# bad record or the checkpoint that no longer matches: an edited record,
# a deleted middle record, two swapped records, the last K records cut
# (behind a checkpoint), and a forged record appended with a recomputed
# hash after the last checkpoint (caught by the HSM seal, by the default
# verify).  An untouched trail verifies; an exported bundle verifies
# offline and fails with any one byte changed; a checkpoint signature
# checks with openssl alone; records carry the client address.
. "$(dirname "$0")/lib.sh"

setup_ca ec-p256 "[audit]
checkpoint_records = 5
checkpoint_minutes = 1"
ctl init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
for u in a1 a2 a3 r1 r2 r3; do ctl account add $u --role ra >/dev/null; done
out=$(ctl audit checkpoint 2>&1); rc=$?
expect_eq "audit checkpoint: exit 0" "$rc" 0
expect_match "audit checkpoint: says the seq" "$out" "checkpoint signed at seq [0-9]+"
cpseq=$(sql "SELECT MAX(seq) FROM audit_checkpoints")
for u in b1 b2 b3; do ctl account add $u --role auditor >/dev/null; done
n=$(sql "SELECT COUNT(*) FROM audit")
expect_eq "every record after schema 012 is format 2" \
    "$(sql "SELECT COUNT(*) FROM audit WHERE fmt = 2")" "$n"
expect_eq "every record is sealed (32-byte MAC)" \
    "$(sql "SELECT COUNT(*) FROM audit WHERE length(mac) = 32")" "$n"
expect_eq "esealctl records name their source" \
    "$(sql "SELECT source FROM audit WHERE action = 'account.add' LIMIT 1")" local

# --- untouched ---------------------------------------------------------
out=$(ctl audit verify 2>&1); rc=$?
expect_eq "untouched trail: exit 0" "$rc" 0
expect_match "untouched trail: counts records, seals, checkpoints" "$out" \
    "audit: $n records, hash chain intact, $n sealed by the HSM key, 1 checkpoints and 1 checkpoint files verified"
expect_eq "checkpoint file under the publish directory" \
    "$(ls "$T/pub/audit" | tr '\n' ' ')" "checkpoint-$cpseq.sig checkpoint-$cpseq.txt "
cp "$T/eseal.db" "$T/untouched.db"
restore() { cp "$T/untouched.db" "$T/eseal.db"; rm -f "$T/eseal.db-wal" "$T/eseal.db-shm"; }

tamper() {  # tamper NAME SQL WANT-REGEX
	restore
	sql "$2"
	out=$(ctl audit verify 2>&1); rc=$?
	expect_eq "$1: exit 1" "$rc" 1
	expect_match "$1: names it" "$out" "$3"
}
tamper "edited record" "UPDATE audit SET detail = detail || ' (edited)' WHERE seq = 3" \
    "^esealctl: audit verify: audit: record 3: record hash does not match"
tamper "deleted middle record" "DELETE FROM audit WHERE seq = 4" \
    "^esealctl: audit verify: audit: record 5: sequence gap"
tamper "swapped records" "UPDATE audit SET seq = -1 WHERE seq = 4;
    UPDATE audit SET seq = 4 WHERE seq = 5; UPDATE audit SET seq = 5 WHERE seq = -1" \
    "^esealctl: audit verify: audit: record 4: previous-hash link broken"
k=$((n - cpseq + 2))
tamper "last $k records cut (checkpoint row kept)" "DELETE FROM audit WHERE seq > $((n - k))" \
    "^esealctl: audit verify: audit: checkpoint 1 \\(seq $cpseq\\) no longer matches: the trail ends at seq $((n - k))"
tamper "last $k records and the checkpoint rows cut (the file remains)" \
    "DELETE FROM audit WHERE seq > $((n - k)); DELETE FROM audit_checkpoints" \
    "^esealctl: audit verify: audit: checkpoint-$cpseq.txt \\(seq $cpseq\\) no longer matches: the trail ends"
# A forged record with a correctly recomputed hash (format 2), once without
# a MAC and once with a MAC copied from another record.
forge() {  # forge MACSQL
	python3 - "$T/eseal.db" "$1" <<'PY'
import hashlib, sqlite3, struct, sys
db = sqlite3.connect(sys.argv[1])
seq, h = db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
seq += 1
rec = (b"local:mallory", b"account.create", b"eve", b"role=admin", b"10.0.0.66")
m = hashlib.sha256(h + struct.pack(">qqq", 2, seq, 1800000000) + b"".join(s + b"\0" for s in rec))
mac = db.execute(sys.argv[2]).fetchone()[0] if sys.argv[2] else None
db.execute("INSERT INTO audit (seq, ts, actor, action, object, detail, source, fmt, prev_hash, hash, mac)"
           " VALUES (?, 1800000000, ?, ?, ?, ?, ?, 2, ?, ?, ?)",
           (seq, *(s.decode() for s in rec), h, m.digest(), mac))
db.commit()
PY
}
restore; forge ""
out=$(ctl audit verify 2>&1); rc=$?
expect_eq "forged record (hash recomputed, no MAC): exit 1" "$rc" 1
expect_match "forged record (no MAC): named" "$out" "record $((n + 1)): not sealed by the HSM's MAC key"
restore; forge "SELECT mac FROM audit WHERE seq = 2"
out=$(ctl audit verify 2>&1); rc=$?
expect_eq "forged record (hash recomputed, MAC copied): exit 1" "$rc" 1
expect_match "forged record (MAC copied): named" "$out" "record $((n + 1)): its MAC does not match"
restore
check "restored trail verifies again" ctl audit verify

# --- a checkpoint signature with openssl alone ---------------------------
openssl x509 -in "$T/pub/it-ca.crt" -pubkey -noout > "$T/issuer-pub.pem" 2>/dev/null ||
    sqlite3 "$T/eseal.db" "SELECT hex(cert) FROM issuers WHERE id = 1" | xxd -r -p |
    openssl x509 -inform DER -pubkey -noout > "$T/issuer-pub.pem"
d=$(sed -n 's/^digest: //p' "$T/pub/audit/checkpoint-$cpseq.txt")
out=$(openssl dgst "-$d" -verify "$T/issuer-pub.pem" -signature \
    "$T/pub/audit/checkpoint-$cpseq.sig" "$T/pub/audit/checkpoint-$cpseq.txt" 2>&1)
expect_eq "openssl dgst -verify: checkpoint signature" "$out" "Verified OK"

# --- export and offline verification ------------------------------------
out=$(ctl audit export --from 2 --out "$T/bundle.json" 2>&1); rc=$?
expect_eq "audit export: exit 0" "$rc" 0
last=$(sql "SELECT MAX(seq) FROM audit_checkpoints")
expect_match "audit export: says what it wrote" "$out" "exported records 2 to $last with 2 checkpoints and 1 certificates"
mkdir "$T/offsite"
cp "$T/bundle.json" "$T/offsite/"
out=$(env -u ESEAL_CONFIG "$ESEALCTL" --config /nonexistent audit verify --bundle "$T/offsite/bundle.json" 2>&1); rc=$?
expect_eq "verify --bundle without store or HSM: exit 0" "$rc" 0
expect_match "verify --bundle: what it checked" "$out" "records 2 to $last, 2 checkpoints, 1 certificates: chain intact"
size=$(wc -c < "$T/bundle.json")
fails=0; tries=0
for off in 0 17 200 $((size / 3)) $((size / 2)) $((size * 2 / 3)) $((size - 40)) $((size - 2)) $((size - 1)); do
	python3 - "$T/bundle.json" "$T/offsite/b.json" "$off" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read()); o = int(sys.argv[3])
b[o] = b[o] ^ 0x01 if b[o] not in (0x22, 0x5c) else b[o] ^ 0x02
open(sys.argv[2], "wb").write(b)
PY
	tries=$((tries + 1))
	"$ESEALCTL" audit verify --bundle "$T/offsite/b.json" >/dev/null 2>&1 || fails=$((fails + 1))
done
expect_eq "one changed byte fails verify --bundle ($tries places)" "$fails" "$tries"
python3 - "$T/bundle.json" "$T/offsite/b.json" <<'PY'
import sys
b = open(sys.argv[1], "rb").read().replace(b'"detail":"role=ra"', b'"detail":"role=admin"', 1)
open(sys.argv[2], "wb").write(b)
PY
out=$("$ESEALCTL" audit verify --bundle "$T/offsite/b.json" 2>&1); rc=$?
expect_eq "edited detail in the bundle: exit 1" "$rc" 1
expect_match "edited detail in the bundle: names the record" "$out" "audit bundle: record [0-9]+: record hash does not match"

# Hostile bundles (tests/data/bundle/bad/): each refused with one line
# naming what is wrong, never a crash.
bad=0; nbad=0
for f in "$ESEAL_TOP"/tests/data/bundle/bad/*; do
	nbad=$((nbad + 1))
	out=$("$ESEALCTL" audit verify --bundle "$f" 2>&1); rc=$?
	if [ "$rc" != 1 ] || ! printf '%s' "$out" | grep -q '^esealctl: audit verify --bundle: audit bundle: '; then
		bad=$((bad + 1)); echo "  ($(basename "$f"): rc=$rc $out)"
	fi
done
expect_eq "hostile bundles: all $nbad refused with a reason" "$bad" 0

# --- the daemon: checkpoints on its own, the client address ---------------
start_daemon || exit 1
before=$(sql "SELECT COUNT(*) FROM audit_checkpoints")
for i in 1 2 3 4 5 6; do
	curl -s --cacert "$T/tls.crt" -o /dev/null -X POST -H 'Content-Type: application/json' \
	    -d '{"username":"nobody","password":"wrong-password"}' "$URL/api/v1/session"
done
sleep 2.5
after=$(sql "SELECT COUNT(*) FROM audit_checkpoints")
expect_match "the daemon checkpoints every 5 records ($before -> $after)" "$((after > before))" 1
expect_match "an API record names its client address" \
    "$(sql "SELECT source FROM audit WHERE source LIKE '127.0.0.1%' LIMIT 1")" "^127\\.0\\.0\\.1"
expect_match "the checkpoint is in the log" "$(cat "$T/eseald.log")" 'msg="audit checkpoint" id=[0-9]+ seq=[0-9]+ hash=[0-9a-f]{64}'
stop_daemon
check "after the daemon: the trail verifies" ctl audit verify
done_testing
