#!/bin/sh
# t_install.sh: `make install DESTDIR=...` writes exactly the files
# expected (binaries, man pages, systemd units with their paths filled in,
# sysusers.d, tmpfiles.d, the conf/ examples) and nothing else; a second
# install never overwrites a config file; `systemd-analyze verify` passes
# on the installed units (and fails on a broken one); `make uninstall`
# removes what install wrote, keeps a changed config file, the store and
# the PIN.
. "$(dirname "$0")/lib.sh"

MK="make -s --no-print-directory -C $ESEAL_TOP BUILD=$ESEAL_BUILD"
D=$T/dest
out=$($MK install DESTDIR="$D" PREFIX=/usr sysconfdir=/etc localstatedir=/var 2>&1); rc=$?
expect_eq "make install: exit 0" "$rc" 0
(cd "$D" && find . \( -type f -o -type l \) | sed 's|^\.||' | sort) > "$T/got"
cat > "$T/want" <<'LIST'
/etc/eseal/crypto-policy.conf
/etc/eseal/disclosure/1.0/en.txt
/etc/eseal/disclosure/1.0/ja.txt
/etc/eseal/disclosure/current
/etc/eseal/eseald.conf
/etc/eseal/hsm-modules.conf
/etc/eseal/profiles/eseal-qualified-jp.conf
/etc/eseal/profiles/eseal.conf
/usr/bin/esealctl
/usr/lib/systemd/system/eseald-api.socket
/usr/lib/systemd/system/eseald-publish.socket
/usr/lib/systemd/system/eseald.service
/usr/lib/sysusers.d/eseal.conf
/usr/lib/tmpfiles.d/eseal.conf
/usr/sbin/eseald
/usr/share/eseal/installed-files
/usr/share/man/man5/eseald.conf.5
/usr/share/man/man8/esealctl.8
/usr/share/man/man8/eseald.8
LIST
expect_eq "exactly the files expected" "$(diff "$T/want" "$T/got" | grep '^[<>]' | tr '\n' ' ')" ""
check "nothing outside DESTDIR: only etc, usr, var in it" test "$(ls "$D" | tr '\n' ' ')" = "etc usr var "
check "the state directory, empty" test -d "$D/var/lib/eseal"
check "eseald installed executable" test -x "$D/usr/sbin/eseald"
check "installed eseald runs (usage)" sh -c "'$D/usr/sbin/eseald' --bogus 2>&1 | grep -q 'usage: eseald \[--config FILE\] \[--user NAME\]'"
expect_match "the unit's ExecStart is the installed eseald" \
    "$(grep '^ExecStart=' "$D/usr/lib/systemd/system/eseald.service")" "^ExecStart=/usr/sbin/eseald --config /etc/eseal/eseald.conf$"
expect_match "the PIN credential from sysconfdir" \
    "$(grep '^LoadCredential=' "$D/usr/lib/systemd/system/eseald.service")" "^LoadCredential=hsm-pin:/etc/eseal/hsm.pin$"
check "no @placeholder@ left in the installed units" sh -c "! grep -rq '@[a-z]*@' '$D/usr/lib'"
expect_eq "tmpfiles: the publication directory of the example config" \
    "$(grep '^d ' "$D/usr/lib/tmpfiles.d/eseal.conf")" "d /var/lib/eseal/pub 0755 eseal eseal -"
check "the config example is the installed config" cmp "$ESEAL_TOP/conf/eseald.conf.example" "$D/etc/eseal/eseald.conf"

# A second install keeps an edited config and puts the new one beside it.
echo "# edited by the operator" >> "$D/etc/eseal/eseald.conf"
cp "$D/etc/eseal/eseald.conf" "$T/edited"
out=$($MK install DESTDIR="$D" PREFIX=/usr sysconfdir=/etc localstatedir=/var 2>&1)
check "reinstall: the edited config is untouched" cmp "$T/edited" "$D/etc/eseal/eseald.conf"
expect_match "reinstall: says so" "$out" "/etc/eseal/eseald.conf exists, kept; the new one is /etc/eseal/eseald.conf.new"
check "reinstall: the new example beside it" cmp "$ESEAL_TOP/conf/eseald.conf.example" "$D/etc/eseal/eseald.conf.new"

# systemd-analyze verify needs the binary and man pages where the unit
# says: an install with a real prefix.
P=$T/prefix
$MK install PREFIX="$P" >/dev/null 2>&1
U=$P/lib/systemd/system
out=$(MANPATH=$P/share/man systemd-analyze verify "$U/eseald.service" "$U/eseald-api.socket" "$U/eseald-publish.socket" 2>&1); rc=$?
expect_eq "systemd-analyze verify: exit 0" "$rc" 0
expect_eq "systemd-analyze verify: no complaint" "$out" ""
mkdir "$T/bad"
sed 's/^Type=notify/Type=notifyy/; s|^ExecStart=.*|ExecStart=/no/such/eseald|' "$U/eseald.service" > "$T/bad/eseald.service"
cp "$U/eseald-api.socket" "$U/eseald-publish.socket" "$T/bad/"
out=$(MANPATH=$P/share/man systemd-analyze verify "$T/bad/eseald.service" 2>&1)
expect_match "systemd-analyze verify: a broken unit is caught" "$out" "/no/such/eseald"
out=$(systemd-analyze security --offline=yes "$U/eseald.service" 2>&1 | tail -1)
expect_match "systemd-analyze security: exposure OK" "$out" "Overall exposure level for eseald.service: [0-1]\.[0-9] OK"
out=$(systemd-sysusers --dry-run "$P/lib/sysusers.d/eseal.conf" 2>&1); rc=$?
expect_eq "systemd-sysusers accepts the user entry" "$rc" 0

# Uninstall: what install wrote, not the edited config, the store, the PIN.
mkdir -p "$D/var/lib/eseal"
echo store > "$D/var/lib/eseal/eseal.db"
echo 1234 > "$D/etc/eseal/hsm.pin"
out=$($MK uninstall DESTDIR="$D" PREFIX=/usr sysconfdir=/etc localstatedir=/var 2>&1); rc=$?
expect_eq "make uninstall: exit 0" "$rc" 0
(cd "$D" && find . \( -type f -o -type l \) | sed 's|^\.||' | sort) > "$T/left"
expect_eq "uninstall: left the edited config, the PIN and the store only" \
    "$(tr '\n' ' ' < "$T/left")" "/etc/eseal/eseald.conf /etc/eseal/hsm.pin /var/lib/eseal/eseal.db "
expect_match "uninstall: says the edited config was kept" "$out" "/etc/eseal/eseald.conf changed since install, kept"
out=$($MK uninstall DESTDIR="$D" PREFIX=/usr sysconfdir=/etc localstatedir=/var 2>&1); rc=$?
check "uninstall twice: refused, nothing recorded" test "$rc" -ne 0
expect_match "uninstall twice: says why" "$out" "nothing installed here"
done_testing
