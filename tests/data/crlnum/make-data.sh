#!/bin/sh
# make-data.sh: regenerates tests/data/crlnum/{ca.pem,good,bad}/ and the
# seed corpus tests/fuzz/corpus/crlnum/ (run from the top of the tree; the
# files are committed, this says how they were made).  Every CRL is signed
# by a throwaway EC P-256 key whose certificate is ca.pem; the key is
# deleted at the end, so nobody can sign another.  The good CRLs are what
# `openssl ca -gencrl` writes; the hostile ones are taken apart and put
# together again here, re-signed where the rule they break comes after
# the signature check.  What each must be refused for is in
# tests/unit/test_crl_stream.c.
set -eu
D=tests/data/crlnum
C=tests/fuzz/corpus/crlnum
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
rm -rf "$D/good" "$D/bad" "$C"
mkdir -p "$D/good" "$D/bad" "$C"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$1" 2>/dev/null; }
key "$W/ca.key"
key "$W/other.key"
openssl req -x509 -new -key "$W/ca.key" -out "$D/ca.pem" -days 3650 \
    -subj /CN=crlnum-test-ca -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
# gencrl NAME NUMBER INDEX-LINES: a CRL of the throwaway CA in DER.
gencrl() {
	printf '%s' "$3" > "$W/index"
	echo "$2" > "$W/num"
	cat > "$W/ca.cnf" <<CNF
[ca]
default_ca = c
[c]
database = $W/index
crlnumber = $W/num
default_md = sha256
default_crl_days = 7
crl_extensions = crlext
[crlext]
authorityKeyIdentifier = keyid:always
CNF
	openssl ca -gencrl -config "$W/ca.cnf" -keyfile "$W/ca.key" \
	    -cert "$D/ca.pem" -out "$W/$1.pem" 2>/dev/null
	openssl crl -in "$W/$1.pem" -outform DER -out "$W/$1.crl"
}
TAB=$(printf '\t')
R1="R${TAB}301231000000Z${TAB}261201101010Z,keyCompromise${TAB}0A1B2C${TAB}unknown${TAB}/CN=a"
R2="R${TAB}301231000000Z${TAB}261202111111Z${TAB}7F00000000000000000001${TAB}unknown${TAB}/CN=b"
R3="R${TAB}301231000000Z${TAB}261203121212Z,superseded${TAB}01${TAB}unknown${TAB}/CN=c"
gencrl empty 01 ""
gencrl two 05 "$R1
$R2
"
gencrl three 0123456789 "$R1
$R2
$R3
"
cp "$W/two.crl" "$D/good/number-5.crl"
cp "$W/empty.crl" "$C/empty-number-1.crl"
cp "$W/two.crl" "$C/two-entries-number-5.crl"
cp "$W/three.crl" "$C/three-entries-number-4886718345.crl"
/usr/bin/python3 - "$W" "$D/bad" <<'PY'
import subprocess, sys
w, bad = sys.argv[1], sys.argv[2]

def tlv(b, i):
    """(tag, content start, end) of the TLV at b[i]."""
    t, n, i = b[i], b[i + 1], i + 2
    if n & 0x80:
        k = n & 0x7f
        n, i = int.from_bytes(b[i:i + k], "big"), i + k
    return t, i, i + n

def parts(b, i=0, end=None):
    """The TLVs of b[i:end], each as its whole bytes."""
    end, out = len(b) if end is None else end, []
    while i < end:
        t, c, e = tlv(b, i)
        out.append(b[i:e])
        i = e
    return out

def enc(tag, content):
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    k = (n.bit_length() + 7) // 8
    return bytes([tag, 0x80 | k]) + n.to_bytes(k, "big") + content

def seq(*xs):
    return enc(0x30, b"".join(xs))

ECDSA_SHA256 = seq(enc(0x06, bytes.fromhex("2a8648ce3d040302")))
ECDSA_SHA384 = seq(enc(0x06, bytes.fromhex("2a8648ce3d040303")))

def signed(tbs_fields, k="ca", alg=ECDSA_SHA256, md="-sha256"):
    """A CertificateList of these TBS fields (the inner alg set to alg)."""
    f = list(tbs_fields)
    f[1] = alg
    tbs = seq(*f)
    open(f"{w}/tbs", "wb").write(tbs)
    sig = subprocess.run(["openssl", "dgst", md, "-sign", f"{w}/{k}.key",
                          f"{w}/tbs"], check=True, capture_output=True).stdout
    return seq(tbs, alg, enc(0x03, b"\0" + sig))

def ext_number(content):
    return seq(enc(0x06, bytes.fromhex("551d14")), enc(0x04, content))

good = open(f"{w}/two.crl", "rb").read()
_, c, e = tlv(good, 0)
tbs = parts(good, c, e)[0]
_, c, e = tlv(tbs, 0)
f = parts(tbs, c, e)	# version, alg, issuer, this, next, entries, [0]
assert [x[0] for x in f] == [2, 0x30, 0x30, 0x17, 0x17, 0x30, 0xa0], f
_, c, e = tlv(f[6], 0)
_, c, e = tlv(f[6], c)
exts = parts(f[6], c, e)	# AKI, cRLNumber
assert exts[1][2:7] == bytes.fromhex("0603551d14")
aki = exts[0]

def with_number(content):
    return enc(0xa0, seq(aki, ext_number(content)))

def put(name, der):
    open(f"{bad}/{name}", "wb").write(der)

outer = tlv(good, 0)
put("truncated.crl", good[:-10])
put("trailing-byte.crl", good + b"\0")
put("wrong-outer-tag.crl", b"\x31" + good[1:])
put("huge-length.crl", b"\x30\x84\x7f\xff\xff\xff" + good[outer[1]:])
put("indefinite-length.crl", b"\x30\x80" + good[outer[1]:] + b"\0\0")
put("version-missing.crl", signed(f[1:]))
put("extensions-not-last.crl", signed(f[:5] + [f[6], f[5]]))
put("two-extensions-blocks.crl", signed(f + [f[6]]))
put("crlnumber-missing.crl", signed(f[:6] + [enc(0xa0, seq(aki))]))
put("crlnumber-zero.crl", signed(f[:6] + [with_number(b"\x02\x01\x00")]))
put("crlnumber-negative.crl", signed(f[:6] +
    [with_number(b"\x02\x01\xfb")]))
put("crlnumber-huge.crl", signed(f[:6] +
    [with_number(b"\x02\x09\x01" + bytes(8))]))
put("crlnumber-twice.crl", signed(f[:6] +
    [enc(0xa0, seq(aki, ext_number(b"\x02\x01\x05"),
                   ext_number(b"\x02\x01\x06")))]))
b = bytearray(good)
i = b.index(b"crlnum-test-ca")
b[i] ^= 0x20		# the issuer's name in the TBS, signature unchanged
put("tbs-changed.crl", bytes(b))
put("other-signer.crl", signed(f, k="other"))
put("sha384-algorithm.crl", signed(f, alg=ECDSA_SHA384, md="-sha384"))
PY
rm -f "$W/ca.key" "$W/other.key"
ls -l "$D/good" "$D/bad" "$C"
