#!/bin/sh
# t_progress.sh: the progress line of long esealctl commands (audit
# verify, crl generate over shards, hsm import-cmvp): count, percentage,
# rate and ETA, then "done in", on a terminal (a pseudo-terminal here);
# nothing when standard output is a pipe or a file, nothing with --quiet;
# the command's own output unchanged either way.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
setup_ca ec-p256
ctl init --crl-shards 4 >/dev/null 2>&1 || { echo "init failed"; exit 1; }
for n in 1 2 3; do ctl account add "op$n" --role ra >/dev/null 2>&1; done

# tty ARGS...: esealctl ARGS on a pseudo-terminal (stdout and stderr);
# prints everything it wrote, escapes as \e, carriage returns as \r.
tty() {
	$PY - "$ESEALCTL" --config "$CONF" "$@" <<'PY'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        b = os.read(fd, 4096)
    except OSError:
        break
    if not b:
        break
    out += b
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace").replace("\x1b", "\\e").replace("\r", "\\r"))
sys.stdout.write("\nexit=%d\n" % os.waitstatus_to_exitcode(st))
PY
}

out=$(tty audit verify)
n=$(sql "SELECT COUNT(*) FROM audit")
expect_match "audit verify on a terminal: count, percentage, rate, ETA" "$out" "audit verify: records: $n/$n \(100%\), [0-9]+/s, ETA 0:00"
expect_match "audit verify on a terminal: redrawn in place" "$out" '\\r\\e\[K'
expect_match "audit verify on a terminal: done in" "$out" "audit verify: records: $n done in 0:0[0-9] \([0-9]+/s\)"
expect_match "audit verify on a terminal: its own line still there" "$out" "audit: $n records, hash chain intact"
expect_match "audit verify on a terminal: exit 0" "$out" "exit=0"
out=$(tty audit verify --quiet)
check "audit verify --quiet on a terminal: no progress line" sh -c "! printf '%s' '$out' | grep -q 'ETA'"
expect_match "audit verify --quiet: its own line" "$out" "audit: $n records, hash chain intact"
ctl audit verify > "$T/o" 2> "$T/e"
expect_match "audit verify to a file: its line" "$(cat "$T/o")" "^audit: $n records, hash chain intact"
expect_eq "audit verify to a file: that one line only" "$(wc -l < "$T/o")" 1
expect_eq "audit verify to a file: nothing on stderr" "$(cat "$T/e")" ""
out=$(ctl audit verify 2>&1 | cat)
expect_match "audit verify into a pipe: its line" "$out" "audit: $n records, hash chain intact"
check "audit verify into a pipe: no progress" sh -c "! printf '%s' '$out' | grep -q 'ETA'"

out=$(tty crl generate)
expect_match "crl generate on a terminal: shards counted" "$out" "crl generate: shards: 4/4 \(100%\), [0-9]+/s, ETA 0:00"
expect_match "crl generate on a terminal: done in" "$out" "crl generate: shards: 4 done in"
for s in 0 1 2 3; do
	expect_match "crl generate on a terminal: shard $s reported" "$out" "CRL it-ca/$s number 1 signed"
done
out=$(ctl crl generate 2>"$T/e" | cat)
expect_eq "crl generate into a pipe: its lines only" "$out" "CRL it-ca/0 number 2 signed
CRL it-ca/1 number 2 signed
CRL it-ca/2 number 2 signed
CRL it-ca/3 number 2 signed"
check "crl generate into a pipe: no progress on stderr" sh -c "! grep -q ETA '$T/e'"
out=$(tty crl generate --quiet)
check "crl generate --quiet: no progress" sh -c "! printf '%s' '$out' | grep -q 'ETA'"

cp "$ESEAL_TOP/conf/hsm-modules.dev.conf" "$T/reg.conf"
sed "s|^registry = .*|registry = $T/reg.conf|" "$CONF" > "$T/reg-eseald.conf"
CONF=$T/reg-eseald.conf
m=$(grep -c '^\[module' "$T/reg.conf")
out=$(tty hsm import-cmvp --dry-run "$ESEAL_TOP/tests/data/cmvp/good/basic.csv")
expect_match "hsm import-cmvp on a terminal: registry entries counted" "$out" "hsm import-cmvp: registry entries: $m/$m \(100%\), [0-9]+/s, ETA 0:00"
expect_match "hsm import-cmvp on a terminal: its report" "$out" "cmvp: [0-9]+ of [0-9]+ registry entries"
out=$(ctl hsm import-cmvp --dry-run "$ESEAL_TOP/tests/data/cmvp/good/basic.csv" 2>&1 | cat)
check "hsm import-cmvp into a pipe: no progress" sh -c "! printf '%s' '$out' | grep -q 'ETA'"
expect_match "hsm import-cmvp into a pipe: its report" "$out" "^cmvp: [0-9]+ of [0-9]+ registry entries"
out=$(tty hsm import-cmvp --quiet --dry-run "$ESEAL_TOP/tests/data/cmvp/good/basic.csv")
check "hsm import-cmvp --quiet: no progress" sh -c "! printf '%s' '$out' | grep -q 'ETA'"
done_testing
