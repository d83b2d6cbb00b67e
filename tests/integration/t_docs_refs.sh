#!/bin/sh
# t_docs_refs.sh: every esealctl command and HTTP route that README.md,
# docs/ and conf/ name exists, or the line that names it says "(planned,
# issue N)" (docs/doc-tests.md).  Commands are looked up with `esealctl
# WORDS --help`, routes asked of a live eseald (tests/integration/docs.py
# check-refs).  docs/compliance.md cites only tests and checks that exist,
# and no doc cites REQUIREMENTS.md, which is not in the repository.  Then
# the messages of `esealctl hsm status` on a module that is no longer
# Active: no command or signature that does not exist.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
TAB=$(printf '\t')
setup_ca ec-p256
ctl init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
start_daemon || exit 1

$PY "$ESEAL_TOP/tests/integration/docs.py" check-refs "$ESEAL_TOP" \
    "$ESEALCTL" "$URL" "$T/tls.crt" > "$T/refs" 2>&1
expect_eq "docs.py check-refs runs" "$?" 0
expect_match "esealctl commands found" "$(cat "$T/refs")" "esealctl hsm status: in the command table"
expect_match "routes found" "$(cat "$T/refs")" "GET /ca/chain.pem: answers 200"
while IFS=$TAB read -r verdict what; do
	case $verdict in
	PASS) ok "$what" ;;
	*) not_ok "$what" ;;
	esac
done < "$T/refs"
stop_daemon

# docs/compliance.md cites tests that exist; nothing cites a file that is
# not in the repository.
$PY "$ESEAL_TOP/tests/integration/docs.py" check-compliance "$ESEAL_TOP" \
    > "$T/compliance" 2>&1
expect_eq "docs.py check-compliance runs" "$?" 0
while IFS=$TAB read -r verdict what; do
	case $verdict in
	PASS) ok "$what" ;;
	*) not_ok "$what" ;;
	esac
done < "$T/compliance"
left=$(cd "$ESEAL_TOP" && grep -rn "REQUIREMENTS" README.md docs conf | grep -v "^docs/compliance.md:")
expect_eq "no citation of REQUIREMENTS.md (not in the repository): docs/compliance.md instead" "$left" ""

# hsm status on a Historical module.
cat > "$T/historical.conf" <<R
[policy]
unlisted = refuse
unvalidated = refuse
[module test-hsm]
manufacturer = SoftHSM project
model = SoftHSM v2
cmvp_cert = 9999
standard = 140-2
level = 3
status = historical
checked = 2026-11-01
source = test registry (not a real record)
R
sed "s#^registry = .*#registry = $T/historical.conf#" "$CONF" > "$T/h.conf"
out=$("$ESEALCTL" --config "$T/h.conf" hsm status 2>&1)
expect_match "hsm status: Historical" "$out" "fips status: +Historical"
expect_match "hsm status: says what it may sign, no audit checkpoints" "$out" \
    "^may: .*sign CRL/OCSP: yes$"
if printf '%s' "$out" | grep -qi "audit"; then
	not_ok "hsm status: no audit signature claimed (checkpoints are planned, issue 14)"
else ok "hsm status: no audit signature claimed (checkpoints are planned, issue 14)"; fi
expect_match "hsm status: the action names the command that moves issuing (issuer rotate)" \
    "$out" "^action: .*esealctl issuer rotate --name NEW --token TOKEN \(docs/key-rotation\.md\)"
if printf '%s' "$out" | grep -q "planned, issue 13"; then
	not_ok "hsm status: issuer rotation is no longer called planned"
else ok "hsm status: issuer rotation is no longer called planned"; fi

done_testing
