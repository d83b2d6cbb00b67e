#!/bin/sh
# t_docs_examples.sh: every runnable example of README.md, docs/ and the
# man pages, run as written (docs/doc-tests.md).  Each example (the
# ```sh example blocks of one file and name, or an .nf block marked
# .\" example) runs in bash -euo pipefail, in a directory that looks like
# the project root of `make run` (conf/, build/, var/dev/), against a fresh
# CA of its own from setup_ca: only the development ports and config path
# are replaced.  An example passes if it exits 0 and prints every "#> TEXT"
# line it contains.  First, no literal command in the docs may sit outside
# a runnable example.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
DOCS_PY=$ESEAL_TOP/tests/integration/docs.py
TAB=$(printf '\t')
T0=$T

out=$($PY "$DOCS_PY" lint "$ESEAL_TOP" 2>&1); rc=$?
expect_eq "every literal command in the docs is in a runnable example" "$rc" 0
[ "$rc" -eq 0 ] || printf '%s\n' "$out" | sed 's/^/    /'

mkdir -p "$T0/examples" "$T0/bin"
if ! $PY "$DOCS_PY" examples "$ESEAL_TOP" "$T0/examples" > "$T0/list" 2>"$T0/list.err"; then
	not_ok "examples extracted: $(cat "$T0/list.err")"
	done_testing
	exit 1
fi
for f in README.md docs/enrolment.md docs/operations.md docs/revocation.md \
    docs/accounts.md docs/man/esealctl.8; do
	expect_match "$f has runnable examples" "$(cut -f3 "$T0/list")" "^$f( |\$)"
done

# esealctl as installed; curl fails on an HTTP error (and shows the body).
ln -s "$ESEALCTL" "$T0/bin/esealctl"
printf '#!/bin/sh\nexec %s --fail-with-body "$@"\n' "$(command -v curl)" > "$T0/bin/curl"
chmod +x "$T0/bin/curl"

# run ID CA WHERE: one example against an instance in its own directory.
run() {
	T=$T0/i$1
	mkdir -p "$T"
	export SOFTHSM2_CONF="$T/hsm/softhsm2.conf"
	CONF=$T/none.conf PORT=8443 PPORT=8080
	if [ "$2" != none ]; then
		setup_ca ec-p256
		# the issuer of the development instance, so /ca/dev-ca.crt works
		sed -i 's/^issuer = it-ca$/issuer = dev-ca/' "$CONF"
	fi
	if [ "$2" = running ]; then
		ctl init >/dev/null 2>&1 || { not_ok "$3: esealctl init"; return; }
		start_daemon || { not_ok "$3: eseald starts"; return; }
	fi
	# The project root of `make run`, with var/dev/ this instance.
	mkdir -p "$T/root/var"
	ln -s "$ESEAL_TOP/conf" "$T/root/conf"
	ln -s "$ESEAL_BUILD" "$T/root/build"
	ln -s "$T" "$T/root/var/dev"
	sed -e "s#127\.0\.0\.1:8443#127.0.0.1:$PORT#g" \
	    -e "s#127\.0\.0\.1:8080#127.0.0.1:$PPORT#g" \
	    -e "s#/etc/eseal/eseald\.conf#$CONF#g" \
	    -e "s#conf/dev\.conf#$CONF#g" "$T0/examples/$1.sh" > "$T/example.sh"
	(cd "$T/root" && PATH=$T0/bin:$PATH ESEAL_CONFIG=$CONF \
	    bash -euo pipefail "$T/example.sh") < /dev/null > "$T/out" 2>&1
	rc=$?
	expect_eq "example $3 exits 0" "$rc" 0
	[ "$rc" -eq 0 ] || tail -n 15 "$T/out" | sed 's/^/    /'
	sed -n 's/^[[:space:]]*#> //p' "$T/example.sh" > "$T/expect"
	while IFS= read -r want; do
		if grep -Fq -- "$want" "$T/out"; then ok "example $3 prints \"$want\""
		else not_ok "example $3 prints \"$want\""; fi
	done < "$T/expect"
	[ -n "$ESEALD_PID" ] && stop_daemon
}

while IFS=$TAB read -r id ca label where <&3; do
	run "$id" "$ca" "$label"
done 3< "$T0/list"
T=$T0
done_testing
