#!/bin/sh
# t_profile_examples.sh: the shipped profiles carry example values (policy
# OIDs in the X.660 example arc 2.999, a PDS URL on example.jp) that a
# production CA must replace (docs/profile.md, "Before production").
# `esealctl init` and `eseald` say so loudly at start-up, naming the
# profile, the key and the value; with real-looking values they say
# nothing.
. "$(dirname "$0")/lib.sh"

setup_ca ec-p256
W="WARNING: example value in a certificate profile"
LOGW='level=warn msg="example value in a certificate profile'

# --- the shipped profiles ------------------------------------------------
out=$(ctl init 2>&1); rc=$?
expect_eq "shipped profiles: init still exits 0" "$rc" 0
expect_match "shipped profiles: init warns about eseal policies 2.999.1.1" \
    "$out" "$W.*profile=eseal key=policies value=2\.999\.1\.1 why=\"2\.999 is the example arc"
expect_match "shipped profiles: init warns about eseal-qualified-jp policies" \
    "$out" "$W.*profile=eseal-qualified-jp key=policies value=2\.999\.1\.2 "
expect_match "shipped profiles: init warns about the example.jp PDS URL" \
    "$out" "$W.*profile=eseal-qualified-jp key=qc_pds_url value=https://repository\.example\.jp/pds/pds-en\.pdf why=\"the host is a name reserved for examples"
expect_match "shipped profiles: init points at docs/profile.md" "$out" "replace it before production \(docs/profile\.md\)"
expect_eq "shipped profiles: init warns three times" \
    "$(printf '%s\n' "$out" | grep -c "$W")" 3

start_daemon || exit 1
log=$(cat "$T/eseald.log")
expect_match "shipped profiles: eseald logs eseal policies 2.999.1.1" \
    "$log" "$LOGW.*profile=eseal key=policies value=2\.999\.1\.1 "
expect_match "shipped profiles: eseald logs the example.jp PDS URL" \
    "$log" "$LOGW.*profile=eseal-qualified-jp key=qc_pds_url value=https://repository\.example\.jp/"
expect_eq "shipped profiles: eseald warns three times" \
    "$(grep -c "$LOGW" "$T/eseald.log")" 3
stop_daemon

# --- real-looking values: silence ---------------------------------------
mkdir "$T/profiles"
for f in "$ESEAL_TOP"/conf/profiles/*.conf; do
	sed -e 's/^policies = 2\.999\.1\./policies = 1.3.6.1.4.1.55555.1.1./' \
	    -e 's#^qc_pds_url = https://repository\.example\.jp/#qc_pds_url = https://repository.sample-ca.co.jp/#' \
	    "$f" > "$T/profiles/$(basename "$f")"
done
sed "s#^profiles_dir = .*#profiles_dir = $T/profiles#" "$CONF" > "$T/real.conf"
sed "s#^path = .*#path = $T/real.db#" "$T/real.conf" > "$T/real-new.conf"
out=$("$ESEALCTL" --config "$T/real-new.conf" init 2>&1); rc=$?
expect_eq "real-looking profiles: init exits 0" "$rc" 0
expect_eq "real-looking profiles: init warns about nothing" \
    "$(printf '%s\n' "$out" | grep -c "WARNING")" 0
CONF=$T/real.conf
start_daemon || exit 1
expect_eq "real-looking profiles: eseald warns about nothing" \
    "$(grep -c "$LOGW" "$T/eseald.log")" 0
stop_daemon

# --- what counts as an example ------------------------------------------
# esealctl init looks at the profiles before it refuses a second CA, so a
# refused init (exit 1) still shows what it would warn about.
mkdir "$T/p2"
# try KEY VALUE: prints the warning lines of init with KEY = VALUE.
try() {
	sed "s#^$1 =.*#$1 = $2#" "$T/profiles/eseal.conf" > "$T/p2/eseal.conf"
	sed "s#^profiles_dir = .*#profiles_dir = $T/p2#" "$T/real.conf" > "$T/p2.conf"
	"$ESEALCTL" --config "$T/p2.conf" init 2>&1 | grep "WARNING" || true
}
expect_match "EKU in the example arc" "$(try extended_key_usage 1.3.6.1.5.5.7.3.4,2.999)" \
    "key=extended_key_usage value=2\.999 "
expect_eq "2.9990 is not the example arc" "$(try policies 2.9990.1)" ""
expect_match "crl_url on example.com" "$(try crl_url 'http://crl.example.com/{issuer}/{shard}.crl')" \
    "profile=eseal key=crl_url value=http://crl\.example\.com/"
expect_match "host case does not matter" "$(try ocsp_url 'http://OCSP.Example.ORG:8080/ocsp')" \
    "key=ocsp_url value=http://OCSP\.Example\.ORG:8080/ocsp "
expect_match "a .test host" "$(try ca_issuers_url 'http://ca.test/{issuer}.crt')" "key=ca_issuers_url"
expect_eq "notexample.com is not an example" "$(try crl_url 'http://notexample.com/{shard}.crl')" ""
expect_eq "example.com.sample-ca.jp is not an example" \
    "$(try crl_url 'http://example.com.sample-ca.jp/{shard}.crl')" ""
sed -e "s#^profiles_dir = .*#profiles_dir = $T/profiles#" \
    -e "s#^base_url = .*#base_url = http://repository.example.jp#" "$CONF" > "$T/base.conf"
out=$("$ESEALCTL" --config "$T/base.conf" init 2>&1)
expect_match "[publish] base_url on example.jp: warned once" "$out" \
    "section=\[publish\] key=base_url value=http://repository\.example\.jp why="
expect_eq "[publish] base_url: one warning, not one per template" \
    "$(printf '%s\n' "$out" | grep -c "WARNING")" 1

done_testing
