#!/bin/sh
# t_console.sh: the web console (issue 19) in a real browser.  Checks the
# headers and files eseald serves under /console/ with curl, then drives
# Debian's chromium headless through chromium-driver and python3-selenium
# (tests/browser/console.py): a subscriber enrols end to end, an RA logs in,
# changes the initial password and approves; the certificate downloaded
# from the subscriber's page verifies with openssl against the chain; a
# rejection shows its reason; an auditor gets no approve button and a
# forged approve from the auditor's page is 403; a hostile organisation
# name is text on every page; no request leaves the CA's origin.
# Screenshots: $ESEAL_BUILD/console-shots/ (docs/console.md uses them).
. "$(dirname "$0")/lib.sh"

for b in chromium chromedriver; do
	command -v $b >/dev/null || { echo "t_console: $b missing: run tools/install-deps"; exit 1; }
done
/usr/bin/python3 -c 'import selenium' 2>/dev/null ||
    { echo "t_console: python3-selenium missing: run tools/install-deps"; exit 1; }

command -v oathtool >/dev/null || { echo "t_console: oathtool missing: run tools/install-deps"; exit 1; }
# The secure zone holds 127.0.0.1 until the second-factor part at the end.
KEYF=$T/totp.key
setup_ca ec-p256 "[security]
secure_zone = 127.0.0.0/8
totp_key_file = $KEYF"
openssl rand -hex 32 > "$KEYF"
chmod 600 "$KEYF"
ctl init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
initpw() { ctl account add "$1" --role "$2" 2>&1 | sed -n 's/.*first login): //p'; }
RA_PW=$(initpw ra1 ra)
AUD_PW=$(initpw aud1 auditor)
ADM_PW=$(initpw adm1 admin)
start_daemon || exit 1
C="curl -s --cacert $T/tls.crt"

# --- what eseald serves under /console/ -------------------------------
$C -D "$T/h" -o "$T/index.html" "$URL/console/"
hdr() { tr -d '\r' < "$T/h" | sed -n "s/^$1: //Ip"; }
expect_match "GET /console/: 200" "$(head -1 "$T/h")" ' 200'
expect_eq "index: text/html" "$(hdr Content-Type)" "text/html; charset=utf-8"
csp=$(hdr Content-Security-Policy)
expect_match "CSP: script-src 'self' only" "$csp" "script-src 'self';"
expect_match "CSP: default-src 'none'" "$csp" "default-src 'none';"
expect_match "CSP: frame-ancestors 'none'" "$csp" "frame-ancestors 'none'"
expect_match "CSP: connect-src 'self'" "$csp" "connect-src 'self';"
check "CSP: no unsafe-inline, no unsafe-eval" sh -c "! printf '%s' \"$csp\" | grep -q unsafe"
expect_eq "X-Content-Type-Options: nosniff" "$(hdr X-Content-Type-Options)" nosniff
expect_eq "Referrer-Policy: no-referrer" "$(hdr Referrer-Policy)" no-referrer
expect_eq "X-Frame-Options: DENY" "$(hdr X-Frame-Options)" DENY
check "index.html: every script is an external module" sh -c \
    "grep -o '<script[^>]*>' '$T/index.html' | grep -qv 'type=\"module\" src=' && exit 1; grep -q '<script type=\"module\" src=\"js/app.js\">' '$T/index.html'"
check "the served index.html is console/index.html byte for byte" cmp "$T/index.html" "$ESEAL_TOP/console/index.html"
$C -o "$T/app.js" -D "$T/h" "$URL/console/js/app.js"
expect_eq "app.js: text/javascript" "$(hdr Content-Type)" "text/javascript; charset=utf-8"
check "app.js served as in console/" cmp "$T/app.js" "$ESEAL_TOP/console/js/app.js"
expect_match "app.js: CSP on every file" "$(hdr Content-Security-Policy)" "frame-ancestors 'none'"
r=$($C -o /dev/null -D "$T/h" -w '%{http_code}' "$URL/console")
expect_eq "GET /console: 308" "$r" 308
expect_eq "GET /console: to /console/" "$(hdr Location)" /console/
r=$($C -w ' %{http_code}' "$URL/console/nope.js")
expect_match "unknown console file: 404 JSON" "$r" '"error":"not_found".* 404$'
r=$($C --path-as-is -o /dev/null -w '%{http_code}' "$URL/console/../healthz")
expect_eq "no path outside the console: ../ is not a file" "$r" 404
r=$(curl -s -o /dev/null -w '%{http_code}' "$PUB/console/")
expect_eq "publication listener (plain HTTP): no console" "$r" 404
check "the console never uses localStorage or document.cookie" sh -c \
    "! grep -rnE 'localStorage *[.[]|document\\.cookie' '$ESEAL_TOP/console'"
check "no innerHTML, outerHTML, insertAdjacentHTML, document.write or eval" sh -c \
    "! grep -rnE 'innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function' '$ESEAL_TOP/console'"

# --- the new JSON routes ----------------------------------------------
r=$($C -w ' %{http_code}' "$URL/api/v1/status")
expect_match "GET /api/v1/status without a session: 401" "$r" ' 401$'
r=$($C -w ' %{http_code}' "$URL/api/v1/organizations")
expect_match "GET /api/v1/organizations without a session: 401" "$r" ' 401$'
r=$($C -w ' %{http_code}' "$URL/api/v1/certificates?serial=01")
expect_match "GET /api/v1/certificates without a session: 401" "$r" ' 401$'

# --- the browser -----------------------------------------------------
csr sub1 ec:P-256
csr sub2 ec:P-256
csr sub3 ec:P-256
openssl req -in "$T/sub2.csr" -outform DER -out "$T/sub2.der"
for n in sub1 sub2; do
	openssl req -in "$T/$n.csr" -pubkey -noout | openssl pkey -pubin -outform DER |
	    sha256sum | cut -d' ' -f1 > "$T/$n.fp"
done
SHOTS=$ESEAL_BUILD/console-shots
rm -rf "$SHOTS"; mkdir -p "$SHOTS" "$T/dl"
$C "$URL/disclosure/current" > "$T/disclosure.json"
export URL T SHOTS RA_PW AUD_PW ADM_PW ESEALCTL CONF
timeout 600 /usr/bin/python3 "$ESEAL_TOP/tests/browser/console.py" > "$T/browser.out" 2>&1
brc=$?
cat "$T/browser.out"
counts=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$T/browser.out" | tail -1)
if [ -z "$counts" ]; then
	not_ok "the browser test ran to its end (exit $brc)"
else
	TESTS=$((TESTS + ${counts% *} + ${counts#* }))
	FAILS=$((FAILS + ${counts#* }))
	expect_eq "the browser test exits 0" "$brc" 0
fi

# What the subscriber downloaded verifies against the chain it downloaded.
if [ -s "$T/dl/cert.pem" ]; then
	v=$(openssl verify -CAfile "$T/dl/chain.pem" "$T/dl/cert.pem" 2>&1)
	expect_eq "downloaded certificate verifies against the downloaded chain" "$v" "$T/dl/cert.pem: OK"
	openssl x509 -in "$T/dl/cert.pem" -outform DER -out "$T/cert2.der"
	check "downloaded DER is the PEM's certificate" cmp "$T/dl/cert.der" "$T/cert2.der"
	openssl x509 -inform DER -in "$T/dl/chain.der" -out "$T/chain2.pem"
	v=$(openssl verify -CAfile "$T/chain2.pem" "$T/dl/cert.pem" 2>&1)
	expect_eq "downloaded DER chain verifies it too" "$v" "$T/dl/cert.pem: OK"
	expect_match "the certificate names the organisation registered in the browser" \
	    "$(openssl x509 -in "$T/dl/cert.pem" -noout -subject -nameopt utf8,sep_comma_plus)" \
	    "O=株式会社サンプル,organizationIdentifier=NTRJP-7123456789012"
	expect_eq "public key is sub1's" \
	    "$(openssl x509 -in "$T/dl/cert.pem" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)" \
	    "$(cat "$T/sub1.fp")"
else
	not_ok "the subscriber's page downloaded the certificate"
fi

# The store agrees with what the browser showed.
expect_eq "request 1 issued, decided by ra1" "$(sql "SELECT status||'/'||decided_by FROM enrolment_requests WHERE id=1")" "issued/ra1"
expect_eq "request 2 rejected with the reason typed" \
    "$(sql "SELECT status||'/'||reason FROM enrolment_requests WHERE id=2")" \
    "rejected/the name does not match the registry extract"
expect_eq "hostile organisation name stored as typed" \
    "$(sql "SELECT name FROM organizations WHERE corporate_number='4011001098993'")" \
    '<img src=x onerror=alert(1)>"><script>'
expect_eq "acknowledgement recorded with the name and title typed" \
    "$(sql "SELECT signer_name||'/'||signer_title FROM disclosure_acks WHERE org_id=1")" "山田太郎/代表取締役"
expect_eq "the subscriber's revocation from its page is recorded" \
    "$(sql "SELECT reason||'/'||requested_by FROM revocations WHERE requested_by LIKE 'subscriber:%'")" "1/subscriber:enrolment-1"
expect_eq "the RA's revocation from the certificates page is recorded" \
    "$(sql "SELECT reason||'/'||requested_by FROM revocations WHERE requested_by NOT LIKE 'subscriber:%'")" "4/ra1"
expect_eq "the auditor's forged approve changed nothing" \
    "$(sql "SELECT COUNT(*) FROM audit WHERE actor='aud1' AND action LIKE '%approve%'")" 0

# The console's JSON routes with a session: bad queries are refused with
# the rule, LIKE wildcards are literal, an auditor cannot search changes.
J="Content-Type: application/json"
tok=$($C -X POST -H "$J" -d '{"username":"ra1","password":"ra officer password 2026"}' "$URL/api/v1/session" |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
g() { $C -H "Authorization: Bearer $tok" -w ' %{http_code}' "$URL$1"; }
r=$(g "/api/v1/certificates?serial=ZZ")
expect_match "search: a serial that is not lower-case hex: 400 naming the rule" "$r" 'lower-case hex.* 400$'
r=$(g "/api/v1/certificates?serial=$(printf '%041d' 1)")
expect_match "search: a serial over 40 digits: 400" "$r" ' 400$'
r=$(g "/api/v1/certificates?organization=$(head -c 300 /dev/zero | tr '\0' a)")
expect_match "search: an organization of 300 bytes: 400" "$r" 'shorter than 256.* 400$'
r=$(g "/api/v1/certificates?organization=%25")
expect_eq "search: % is a literal, not a wildcard" "$r" '{"certificates":[]} 200'
r=$(g "/api/v1/certificates?organization=NTRJP-7123456789012")
expect_match "search: by identifier" "$r" '"organization_identifier":"NTRJP-7123456789012".* 200$'
r=$(g "/api/v1/organizations")
expect_match "organizations: the hostile name as a JSON string" "$r" '"name":"<img src=x onerror=alert\(1\)>\\"><script>"'
r=$(g "/api/v1/status")
expect_match "status: RA officers are not shown it: 403" "$r" ' 403$'


# The second factor (issue 14): admin1 enrols a TOTP secret, 127.0.0.1 is
# put outside the secure zone (SIGHUP), and the console's login asks for
# the one-time code the server says it needs.
tok=$($C -X POST -H "$J" -d '{"username":"adm1","password":"admin password 2026"}' "$URL/api/v1/session" |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
S=$($C -X POST -H "$J" -H "Authorization: Bearer $tok" -d '{}' "$URL/api/v1/session/totp" |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
r=$($C -X POST -H "$J" -H "Authorization: Bearer $tok" -d "{\"code\":\"$(oathtool --totp -b "$S")\"}" -w ' %{http_code}' "$URL/api/v1/session/totp")
expect_match "adm1's second factor confirmed" "$r" ' 200$'
sed -i 's#^secure_zone = 127.0.0.0/8#secure_zone = 10.0.0.0/8#' "$CONF"
n=$(grep -c 'msg="secure zone"' "$T/eseald.log")
kill -HUP "$ESEALD_PID"
for _ in $(seq 1 50); do
	[ "$(grep -c 'msg="secure zone"' "$T/eseald.log")" -gt "$n" ] && break
	sleep 0.1
done
TOTP_SECRET=$S timeout 300 /usr/bin/python3 "$ESEAL_TOP/tests/browser/console.py" totp > "$T/browser2.out" 2>&1
brc=$?
cat "$T/browser2.out"
counts=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$T/browser2.out" | tail -1)
if [ -z "$counts" ]; then
	not_ok "the second-factor browser test ran to its end (exit $brc)"
else
	TESTS=$((TESTS + ${counts% *} + ${counts#* }))
	FAILS=$((FAILS + ${counts#* }))
fi
expect_eq "the session the console opened has both factors" \
    "$(sql "SELECT factors FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE a.username = 'adm1' AND s.in_zone = 0")" "password+totp"
done_testing
