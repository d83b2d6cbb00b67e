#!/bin/sh
# t_systemd.sh: eseald as systemd runs it, with systemd played by this
# test: a NOTIFY_SOCKET (a datagram socket read here) gets READY=1 only
# when both listeners answer, STATUS=, WATCHDOG=1 every half
# WATCHDOG_USEC, RELOADING=1 then READY=1 on SIGHUP, STOPPING=1 on
# SIGTERM; listening sockets passed the systemd way (LISTEN_FDS,
# LISTEN_PID, LISTEN_FDNAMES) are served instead of the configured
# addresses; the HSM PIN read from $CREDENTIALS_DIRECTORY/hsm-pin; --user
# drops root's privileges (uid from /proc) after binding and opening; root
# without --user is warned.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
setup_ca ec-p256
ctl init >/dev/null 2>&1 || { echo "init failed"; exit 1; }

# sd.py MODE: runs eseald under a fake systemd; prints one line per event.
cat > "$T/sd.py" <<'PY'
import os, socket, ssl, subprocess, sys, time, signal, urllib.request
mode, eseald, conf, api, pub, cafile, tdir = sys.argv[1:8]
def answers(url):
    try:
        ctx = ssl.create_default_context(cafile=cafile)
        urllib.request.urlopen(url, timeout=2, context=ctx if url.startswith("https") else None).read()
        return True
    except urllib.error.HTTPError:
        return True     # an HTTP answer, even 503
    except Exception:
        return False
env = dict(os.environ)
path = os.path.join(tdir, "notify.sock")
if os.path.exists(path):
    os.unlink(path)
ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
ns.bind(path)
ns.settimeout(0.2)
env["NOTIFY_SOCKET"] = path
env["WATCHDOG_USEC"] = "1000000"
pass_fds = ()
if mode == "activate":
    socks = []
    for url in (api, pub):
        port = int(url.rsplit(":", 1)[1])
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(16)
        socks.append(s)
    fds = [s.fileno() for s in socks]
    def child():
        os.dup2(fds[0], 3)
        os.dup2(fds[1], 4)
    env["LISTEN_FDS"] = "2"
    env["LISTEN_FDNAMES"] = "api:publish"
    log = open(os.path.join(tdir, "sd-eseald.log"), "w")
    # LISTEN_PID is the pid that execs eseald: the shell's own.
    p = subprocess.Popen(["/bin/sh", "-c", 'LISTEN_PID=$$ exec "$0" --config "$1"',
                          eseald, conf], env=env, stderr=log,
                         preexec_fn=child, pass_fds=tuple(set([3, 4] + fds)))
    for s in socks:
        s.close()
else:
    log = open(os.path.join(tdir, "sd-eseald.log"), "w")
    p = subprocess.Popen([eseald, "--config", conf], env=env, stderr=log)
print("pid", p.pid, flush=True)
def read_until(want, secs):
    """Messages until one holds want; prints each state line."""
    end = time.time() + secs
    got = []
    while time.time() < end:
        try:
            m = ns.recv(4096).decode()
        except socket.timeout:
            continue
        got.append(m)
        for line in m.split("\n"):
            print("msg", line, flush=True)
        if want in m.split("\n"):
            # Probed the moment READY=1 arrives: both must answer already.
            if want == "READY=1":
                print("at-ready api", answers(api + "/healthz"), flush=True)
                print("at-ready publish", answers(pub + "/ca/chain.pem"), flush=True)
            return got
    print("timeout", want, flush=True)
    return got
read_until("READY=1", 30)
t0 = time.time()
got = read_until("never", 3.2)
print("watchdogs", sum(m.count("WATCHDOG=1") for m in got), "in", round(time.time() - t0, 1), flush=True)
p.send_signal(signal.SIGHUP)
got = read_until("READY=1", 10)
print("hup-order", " ".join(l.split("=")[0] for m in got for l in m.split("\n") if l in ("RELOADING=1", "READY=1")), flush=True)
p.send_signal(signal.SIGTERM)
read_until("STOPPING=1", 10)
print("exit", p.wait(timeout=20), flush=True)
PY

# 1. Notifications, with the PIN given as a systemd credential only.
mkdir -p "$T/cred"
cp "$T/hsm/pin" "$T/cred/hsm-pin"
chmod 400 "$T/cred/hsm-pin"
sed "s|^pin_file = .*|pin_file = $T/no-such-pin-file|" "$CONF" > "$T/cred.conf"
out=$(CREDENTIALS_DIRECTORY=$T/cred $PY "$T/sd.py" notify "$ESEALD" "$T/cred.conf" "$URL" "$PUB" "$T/tls.crt" "$T" 2>&1)
printf '%s\n' "$out" > "$T/sd1.out"
expect_match "READY=1 sent" "$out" "msg READY=1"
expect_match "at READY=1 the API listener answers" "$out" "at-ready api True"
expect_match "at READY=1 the publication listener answers" "$out" "at-ready publish True"
expect_match "STATUS= names issuers, module and CRLs" "$out" "msg STATUS=serving: 1 issuer\(s\), HSM module not validated, CRLs fresh, 0 owed"
w=$(printf '%s\n' "$out" | sed -n 's/^watchdogs \([0-9]*\) in.*/\1/p')
check "WATCHDOG=1 repeatedly (every 0.5 s for WATCHDOG_USEC=1 s): $w in 3.2 s" test "${w:-0}" -ge 4
expect_match "SIGHUP: RELOADING=1 then READY=1" "$out" "hup-order RELOADING READY"
expect_match "RELOADING=1 carries MONOTONIC_USEC" "$out" "msg MONOTONIC_USEC=[0-9]+"
expect_match "SIGTERM: STOPPING=1" "$out" "msg STOPPING=1"
expect_match "exit 0" "$out" "exit 0"
check "the PIN came from \$CREDENTIALS_DIRECTORY (the pin_file does not exist)" \
    grep -q "msg=started" "$T/sd-eseald.log"

# 2. Socket activation: the configured addresses are not bound, the
# passed sockets are served.
APORT=$(free_port); BPORT=$(free_port)
out=$($PY "$T/sd.py" activate "$ESEALD" "$CONF" "https://127.0.0.1:$APORT" "http://127.0.0.1:$BPORT" "$T/tls.crt" "$T" 2>&1)
expect_match "activated: READY=1" "$out" "msg READY=1"
expect_match "activated: the passed API socket answers HTTPS" "$out" "at-ready api True"
expect_match "activated: the passed publication socket answers" "$out" "at-ready publish True"
expect_match "activated: logged as systemd's sockets" "$(cat "$T/sd-eseald.log")" "msg=listening listener=api fd=3 activation=systemd"
expect_match "activated: publish on fd 4" "$(cat "$T/sd-eseald.log")" "msg=listening listener=publish fd=4 activation=systemd"
check "activated: the configured address was not bound" test -z "$(grep "addr=127.0.0.1:$PORT" "$T/sd-eseald.log")"
# A passed fd that is not a listening socket is refused, said why.
out=$(LISTEN_PID=$$ LISTEN_FDS=1 sh -c 'LISTEN_PID=$$ exec "$0" --config "$1" 3</dev/null' "$ESEALD" "$CONF" 2>&1); rc=$?
expect_eq "passed fd not a socket: exit 1" "$rc" 1
expect_match "passed fd not a socket: says so" "$out" "passed fd 3 \(api\) is not a listening stream socket"

# 3. Privileges: root without --user is refused (ESEAL_DEV_ROOT=1, which
# lib.sh sets, lets tests keep root, with a warning); --user drops after
# binding and opening (uid from /proc); unknown users are refused.
if [ "$(id -u)" -eq 0 ]; then
	out=$(env -u ESEAL_DEV_ROOT "$ESEALD" --config "$CONF" 2>&1); rc=$?
	expect_eq "root without --user: exit 1" "$rc" 1
	expect_match "root without --user: says why" "$out" "running as root: start eseald with --user NAME"
	out=$(ESEAL_DEV_ROOT=yes "$ESEALD" --config "$CONF" 2>&1); rc=$?
	expect_eq "root, ESEAL_DEV_ROOT not 1: exit 1" "$rc" 1
	start_daemon || exit 1
	expect_match "root with ESEAL_DEV_ROOT=1: warned" "$(cat "$T/eseald.log")" "running as root \(ESEAL_DEV_ROOT=1\)"
	stop_daemon
	out=$("$ESEALD" --config "$CONF" --user no-such-user-here 2>&1); rc=$?
	expect_eq "--user unknown: exit 1" "$rc" 1
	expect_match "--user unknown: says so" "$out" "--user no-such-user-here: no such user"
	out=$("$ESEALD" --config "$CONF" --user root 2>&1); rc=$?
	expect_eq "--user root: exit 1" "$rc" 1
	# The unprivileged user owns the state (StateDirectory= does this
	# under systemd); the token and the PIN stay readable to it.
	chown -R nobody "$T"
	chmod 755 "$T"
	"$ESEALD" --config "$CONF" --user nobody > "$T/eseald.log" 2>&1 &
	ESEALD_PID=$!
	for _ in $(seq 1 100); do
		curl -s --cacert "$T/tls.crt" "$URL/healthz" >/dev/null 2>&1 && break
		sleep 0.1
	done
	uid=$(awk '/^Uid:/ {print $2 "/" $3 "/" $4 "/" $5}' /proc/$ESEALD_PID/status)
	n=$(id -u nobody)
	expect_eq "--user nobody: real, effective, saved and fs uid from /proc" "$uid" "$n/$n/$n/$n"
	gid=$(awk '/^Gid:/ {print $2 "/" $3}' /proc/$ESEALD_PID/status)
	g=$(id -g nobody)
	expect_eq "--user nobody: gid" "$gid" "$g/$g"
	expect_match "--user: groups are nobody's, not root's" "$(awk '/^Groups:/' /proc/$ESEALD_PID/status)" "^Groups:[^0]*$"
	expect_match "--user: logged" "$(cat "$T/eseald.log")" "dropped privileges. user=nobody"
	code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/tls.crt" "$URL/healthz")
	expect_eq "--user: the API answers, the HSM and store usable" "$code" 200
	code=$(curl -s -o /dev/null -w '%{http_code}' "$PUB/ca/chain.pem")
	expect_eq "--user: publication answers" "$code" 200
	stop_daemon
	expect_eq "--user: clean exit" "$DAEMON_RC" 0
else
	echo "  (not root: the --user checks need root; skipped)"
fi
done_testing
