#!/bin/sh
# t_profile.sh: the e-seal certificate as relying parties read it.  Issues
# with the profiles eseal and eseal-qualified-jp (remote sealing service)
# and reads the result with three parsers that share no code with the CA:
# `openssl x509 -text`, `openssl asn1parse` and Python's cryptography with a
# hand-rolled DER reader for the QC statements.  Then the refusals: keys the
# crypto policy forbids (made now, never committed), a key already
# certified for another organisation, a corporate number with a wrong check
# digit: one line, exit 1, nothing written.
. "$(dirname "$0")/lib.sh"

ORG="株式会社サンプル"
CORP=7123456789012
ORGID=NTRJP-$CORP
setup_ca ec-p256
BASE=$PUB				# [publish] base_url

out=$(ctl init 2>&1); rc=$?
expect_eq "init exits 0" "$rc" 0
python3 - "$T/eseal.db" "$T/ca.der" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
open(sys.argv[2], "wb").write(c.execute("SELECT cert FROM issuers").fetchone()[0])
PY
openssl x509 -inform DER -in "$T/ca.der" -out "$T/ca.pem"

# --- issue with both shipped profiles -------------------------------------
csr seal ec:P-256
csr qseal ec:P-384
out=$(ctl issue --csr "$T/seal.csr" --register --name "$ORG" \
    --corporate-number $CORP --evidence "registry extract" --profile eseal --out "$T/seal.pem" 2>&1); rc=$?
expect_eq "issue --profile eseal exits 0" "$rc" 0
out=$(ctl issue --csr "$T/qseal.csr" --org $ORGID \
    --profile eseal-qualified-jp --key-holder remote-service \
    --out "$T/qseal.pem" 2>&1); rc=$?
expect_eq "issue --profile eseal-qualified-jp --key-holder remote-service exits 0" "$rc" 0
for n in seal qseal; do
	v=$(openssl verify -CAfile "$T/ca.pem" "$T/$n.pem" 2>&1)
	expect_eq "$n: openssl verify accepts it" "$v" "$T/$n.pem: OK"
done

# --- openssl x509 -text ---------------------------------------------------
for n in seal qseal; do
	txt=$(openssl x509 -in "$T/$n.pem" -noout -text -nameopt utf8,sep_comma_plus_space)
	expect_match "$n: x509 v3" "$txt" "Version: 3 \(0x2\)"
	expect_match "$n: subject from the organisation" "$txt" \
	    "Subject: C=JP, O=$ORG, organizationIdentifier=$ORGID, CN=$ORG\$"
	expect_match "$n: issuer is the CA" "$txt" \
	    "Issuer: C=JP, O=Integration Test Certification Co., CN=Integration Test e-Seal CA\$"
	ku=$(printf '%s\n' "$txt" | grep -A1 "X509v3 Key Usage:")
	expect_match "$n: keyUsage critical" "$ku" "X509v3 Key Usage: critical"
	expect_eq "$n: keyUsage nonRepudiation only" \
	    "$(printf '%s\n' "$ku" | tail -1 | tr -d ' ')" "NonRepudiation"
	expect_match "$n: CRL DP" "$txt" "URI:$BASE/crl/it-ca/0\.crl"
	expect_match "$n: AIA caIssuers" "$txt" "CA Issuers - URI:$BASE/ca/it-ca\.crt"
	expect_match "$n: AIA OCSP" "$txt" "OCSP - URI:$BASE/ocsp"
	expect_match "$n: qcStatements present" "$txt" "qcStatements:"
	expect_match "$n: SKI present" "$txt" "X509v3 Subject Key Identifier:"
	if printf '%s\n' "$txt" | grep -Eq "Basic Constraints|Extended Key Usage|Subject Alternative Name"; then
		not_ok "$n: no basicConstraints, EKU or SAN"
	else
		ok "$n: no basicConstraints, EKU or SAN"
	fi
	crit=$(printf '%s\n' "$txt" | grep -c ": critical")
	expect_eq "$n: keyUsage is the only critical extension" "$crit" 1
done
expect_match "seal: policy 2.999.1.1" \
    "$(openssl x509 -in "$T/seal.pem" -noout -text)" "Policy: 2\.999\.1\.1"
expect_match "qseal: policy 2.999.1.2" \
    "$(openssl x509 -in "$T/qseal.pem" -noout -text)" "Policy: 2\.999\.1\.2"

# --- openssl asn1parse: the qcStatements extension's own bytes ------------
# qcs N: the QCStatements inside the extension, parsed by asn1parse.
qcs() {
	openssl asn1parse -in "$T/$1.pem" > "$T/$1.asn1"
	off=$(grep -A1 ":qcStatements\$" "$T/$1.asn1" | tail -1 | sed 's/^ *\([0-9]*\):.*OCTET STRING.*/\1/')
	case $off in
	''|*[!0-9]*) echo "no qcStatements OCTET STRING"; return ;;
	esac
	openssl asn1parse -in "$T/$1.pem" -strparse "$off"
}
# count OIDTEXT: how many OBJECT lines are exactly that OID.
count() { printf '%s\n' "$1" | grep -c "OBJECT *:$2\$"; }
for n in seal qseal; do
	a=$(openssl asn1parse -in "$T/$n.pem")
	expect_eq "$n: asn1parse finds qcStatements (1.3.6.1.5.5.7.1.3) once" \
	    "$(count "$a" qcStatements)" 1
	q=$(qcs $n)
	expect_eq "$n: one QcType statement (0.4.0.1862.1.6)" "$(count "$q" 0.4.0.1862.1.6)" 1
	expect_eq "$n: one type, eseal (0.4.0.1862.1.6.2)" "$(count "$q" 0.4.0.1862.1.6.2)" 1
	expect_eq "$n: no esign or web type" \
	    "$(count "$q" '0.4.0.1862.1.6.[13]')" 0
	expect_eq "$n: pkixQCSyntax-v2 (1.3.6.1.5.5.7.11.2)" "$(count "$q" 1.3.6.1.5.5.7.11.2)" 1
	expect_eq "$n: semantics legal person (0.4.0.194121.1.2)" "$(count "$q" 0.4.0.194121.1.2)" 1
done
q=$(qcs seal)
expect_eq "seal: no QcCompliance" "$(count "$q" 0.4.0.1862.1.1)" 0
expect_eq "seal: no QcSSCD (subscriber key, no QSCD declared)" "$(count "$q" 0.4.0.1862.1.4)" 0
expect_eq "seal: no QcPDS" "$(count "$q" 0.4.0.1862.1.5)" 0
q=$(qcs qseal)
expect_eq "qseal: QcCompliance" "$(count "$q" 0.4.0.1862.1.1)" 1
expect_eq "qseal: QcSSCD (remote sealing service)" "$(count "$q" 0.4.0.1862.1.4)" 1
expect_eq "qseal: QcPDS" "$(count "$q" 0.4.0.1862.1.5)" 1
expect_match "qseal: PDS URL, IA5String" "$q" "IA5STRING +:https://repository\.example\.jp/pds/pds-en\.pdf"
expect_match "qseal: PDS language en" "$q" "PRINTABLESTRING +:en"
expect_eq "qseal: QcCClegislation" "$(count "$q" 0.4.0.1862.1.7)" 1
expect_match "qseal: QcCClegislation JP" "$q" "PRINTABLESTRING +:JP"

# --- Python's cryptography and a hand-rolled DER reader -------------------
python3 - "$T/ca.pem" "$T/seal.pem" "$T/qseal.pem" "$ORG" "$ORGID" "$BASE" \
    > "$T/py.out" 2>&1 <<'PY'
import datetime, sys
from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID, AuthorityInformationAccessOID

ca_path, seal_path, qseal_path, ORG, ORGID, BASE = sys.argv[1:7]

def report(ok, what):
    print(("ok " if ok else "FAIL ") + what)

# --- a minimal, strict DER reader (X.690 8.1, 10.1) -----------------------
class DerError(Exception):
    pass

def tlv(b, i):
    """(tag, value, next index) of the TLV at b[i:]."""
    if i + 2 > len(b):
        raise DerError("truncated header")
    tag, first = b[i], b[i + 1]
    if tag & 0x1F == 0x1F:
        raise DerError("high tag number")
    i += 2
    if first == 0x80:
        raise DerError("indefinite length (BER, not DER)")
    if first & 0x80:
        n = first & 0x7F
        if n > 4 or i + n > len(b):
            raise DerError("bad length of length")
        length = int.from_bytes(b[i:i + n], "big")
        if b[i] == 0 or length < 0x80:
            raise DerError("length not in its shortest form")
        i += n
    else:
        length = first
    if i + length > len(b):
        raise DerError("value runs past its container")
    return tag, b[i:i + length], i + length

def children(b):
    out, i = [], 0
    while i < len(b):
        tag, v, i = tlv(b, i)
        out.append((tag, v))
    return out

def one(b, want_tag):
    tag, v, end = tlv(b, 0)
    if tag != want_tag or end != len(b):
        raise DerError("expected one tag %#x, got %#x with %d trailing bytes"
                       % (want_tag, tag, len(b) - end))
    return v

def oid(v):
    if not v or v[-1] & 0x80:
        raise DerError("bad OBJECT IDENTIFIER")
    arcs, n, start = [], 0, True
    for byte in v:
        if start and byte == 0x80:
            raise DerError("OID arc not in its shortest form")
        n = (n << 7) | (byte & 0x7F)
        start = not byte & 0x80
        if start:
            arcs.append(n)
            n = 0
    a = min(arcs[0] // 40, 2)
    return ".".join(str(x) for x in [a, arcs[0] - 40 * a] + arcs[1:])

SEQ, OID, IA5, PRINTABLE = 0x30, 0x06, 0x16, 0x13

def qc_statements(der):
    """[(statement OID, info or None)] of a DER QCStatements."""
    out = []
    for tag, st in children(one(der, SEQ)):
        if tag != SEQ:
            raise DerError("a QCStatement is not a SEQUENCE")
        parts = children(st)
        if not 1 <= len(parts) <= 2 or parts[0][0] != OID:
            raise DerError("a QCStatement is not { OID, ANY OPTIONAL }")
        out.append((oid(parts[0][1]), parts[1] if len(parts) == 2 else None))
    return out

QC_COMPLIANCE, QC_SSCD, QC_PDS = "0.4.0.1862.1.1", "0.4.0.1862.1.4", "0.4.0.1862.1.5"
QC_TYPE, QCT_ESEAL = "0.4.0.1862.1.6", "0.4.0.1862.1.6.2"
QC_CC, QC_SYNTAX_V2 = "0.4.0.1862.1.7", "1.3.6.1.5.5.7.11.2"
SEMANTICS_LEGAL = "0.4.0.194121.1.2"

def load(p):
    return x509.load_pem_x509_certificate(open(p, "rb").read())

ca = load(ca_path)
ca_ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest

def check(name, path, policy, want_statements):
    c = load(path)
    report(c.version == x509.Version.v3, name + ": version 3")
    try:
        c.verify_directly_issued_by(ca)
        report(True, name + ": signature verifies under the CA")
    except Exception as e:
        report(False, name + ": signature verifies under the CA: %s" % e)
    sn = c.serial_number
    report(sn > 0 and 64 <= sn.bit_length() <= 159,
           name + ": serial positive, 64 to 159 bits (%d)" % sn.bit_length())
    report(c.issuer == ca.subject, name + ": issuer = the CA's subject")
    # Subject: EN 319 412-3, exactly C, O, organizationIdentifier, CN.
    attrs = [(a.oid.dotted_string, a.value) for a in c.subject]
    report(attrs == [("2.5.4.6", "JP"), ("2.5.4.10", ORG),
                     ("2.5.4.97", ORGID), ("2.5.4.3", ORG)],
           name + ": subject C, O, 2.5.4.97 = %s, CN: %r" % (ORGID, attrs))
    country = c.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0]
    report(country._type.name == "PrintableString",
           name + ": countryName is a PrintableString")
    orgid = c.subject.get_attributes_for_oid(x509.ObjectIdentifier("2.5.4.97"))
    report(len(orgid) == 1 and orgid[0].value != ORG,
           name + ": organizationIdentifier differs from organizationName")
    # Validity inside the CA's and the profile's 1095 days.
    nb, na = c.not_valid_before_utc, c.not_valid_after_utc
    report(ca.not_valid_before_utc <= nb and na <= ca.not_valid_after_utc,
           name + ": validity inside the CA's")
    report(datetime.timedelta(0) < na - nb <= datetime.timedelta(days=1095),
           name + ": validity at most 1095 days (%s)" % (na - nb))
    ext = {e.oid.dotted_string: e for e in c.extensions}
    # keyUsage critical, nonRepudiation (contentCommitment) alone.
    ku = c.extensions.get_extension_for_class(x509.KeyUsage)
    v = ku.value
    others = [v.digital_signature, v.key_encipherment, v.data_encipherment,
              v.key_agreement, v.key_cert_sign, v.crl_sign]
    report(ku.critical and v.content_commitment and not any(others),
           name + ": keyUsage critical, nonRepudiation only")
    report([e.oid.dotted_string for e in c.extensions if e.critical] == ["2.5.29.15"],
           name + ": no critical extension but keyUsage")
    for absent, what in ((ExtensionOID.BASIC_CONSTRAINTS, "basicConstraints"),
                         (ExtensionOID.EXTENDED_KEY_USAGE, "extendedKeyUsage"),
                         (ExtensionOID.SUBJECT_ALTERNATIVE_NAME, "subjectAltName")):
        report(absent.dotted_string not in ext, name + ": no " + what)
    cp = c.extensions.get_extension_for_class(x509.CertificatePolicies).value
    report([p.policy_identifier.dotted_string for p in cp] == [policy],
           name + ": certificatePolicies = %s" % policy)
    dp = c.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    want_crl = BASE + "/crl/it-ca/0.crl"
    report(len(dp) == 1 and dp[0].full_name ==
           [x509.UniformResourceIdentifier(want_crl)],
           name + ": CRL DP " + want_crl)
    aia = c.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    want_ca = BASE + "/ca/it-ca.crt"
    report([(d.access_method, d.access_location) for d in aia] ==
           [(AuthorityInformationAccessOID.CA_ISSUERS,
             x509.UniformResourceIdentifier(want_ca)),
            (AuthorityInformationAccessOID.OCSP,
             x509.UniformResourceIdentifier(BASE + "/ocsp"))],
           name + ": AIA caIssuers " + want_ca + " and OCSP")
    ski = c.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    report(ski.digest == x509.SubjectKeyIdentifier.from_public_key(
           c.public_key()).digest, name + ": SKI is the SHA-1 of the key")
    aki = c.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    report(aki.key_identifier == ca_ski, name + ": AKI = the CA's SKI")
    # qcStatements: cryptography does not know it; read its bytes ourselves.
    qe = ext.get("1.3.6.1.5.5.7.1.3")
    report(qe is not None and isinstance(qe.value, x509.UnrecognizedExtension)
           and not qe.critical, name + ": qcStatements present, not critical")
    try:
        sts = qc_statements(qe.value.value)
    except DerError as e:
        report(False, name + ": qcStatements is DER: %s" % e)
        return
    ids = [s[0] for s in sts]
    report(ids == want_statements, name + ": statements %s" % ids)
    qctypes = [info for sid, info in sts if sid == QC_TYPE]
    report(len(qctypes) == 1, name + ": exactly one QcType statement")
    if qctypes:
        tag, v = qctypes[0]
        types = [oid(x) for t, x in children(v) if t == OID] if tag == SEQ else []
        report(types == [QCT_ESEAL], name + ": QcType = [eseal]: %s" % types)
    for sid, info in sts:
        if sid == QC_SYNTAX_V2:
            inner = children(info[1])
            report(info[0] == SEQ and inner[:1] and inner[0][0] == OID and
                   oid(inner[0][1]) == SEMANTICS_LEGAL,
                   name + ": semantics identifier legal person")
        elif sid in (QC_COMPLIANCE, QC_SSCD):
            report(info is None, name + ": %s has no statementInfo" % sid)
        elif sid == QC_PDS:
            locs = children(info[1])
            loc = children(locs[0][1])
            report(len(locs) == 1 and [t for t, _ in loc] == [IA5, PRINTABLE]
                   and loc[0][1] == b"https://repository.example.jp/pds/pds-en.pdf"
                   and loc[1][1] == b"en", name + ": PDS https URL, en")
        elif sid == QC_CC:
            report(children(info[1]) == [(PRINTABLE, b"JP")],
                   name + ": QcCClegislation [JP]")

check("seal", seal_path, "2.999.1.1", [QC_TYPE, QC_SYNTAX_V2])
check("qseal", qseal_path, "2.999.1.2",
      [QC_COMPLIANCE, QC_TYPE, QC_SSCD, QC_PDS, QC_CC, QC_SYNTAX_V2])
PY
pyrc=$?
expect_eq "python3-cryptography script ran to the end" "$pyrc" 0
while read -r st msg; do
	case $st in
	ok) ok "py: $msg" ;;
	*) not_ok "py: $st $msg" ;;
	esac
done < "$T/py.out"

# --- refusals: one line, exit 1, nothing written --------------------------
written() { echo "$(sql 'SELECT COUNT(*) FROM certificates'):$(sql 'SELECT COUNT(*) FROM audit')"; }
# refused DESC PATTERN ARGS...: esealctl issue ARGS exits 1 with one line
# matching PATTERN, and the store is unchanged.
refused() {
	d=$1 pat=$2; shift 2
	before=$(written)
	out=$(ctl issue "$@" 2>&1); rc=$?
	expect_eq "$d: exit 1" "$rc" 1
	expect_eq "$d: one line" "$(printf '%s\n' "$out" | wc -l)" 1
	expect_match "$d: names the rule" "$out" "$pat"
	expect_eq "$d: nothing written" "$(written)" "$before"
}

# Keys the crypto policy forbids, made now; the CSRs themselves are fine.
openssl req -new -newkey rsa:1024 -nodes -keyout "$T/rsa1024.key" \
    -subj /CN=rsa1024 -out "$T/rsa1024.csr" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -pkeyopt rsa_keygen_pubexp:3 -out "$T/exp3.key" 2>/dev/null
openssl req -new -key "$T/exp3.key" -subj /CN=exp3 -out "$T/exp3.csr"
for c in prime192v1 secp256k1; do
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:$c \
	    -pkeyopt ec_param_enc:named_curve -out "$T/$c.key" 2>/dev/null
	openssl req -new -key "$T/$c.key" -subj "/CN=$c" -out "$T/$c.csr"
done
refused "RSA-1024" "^esealctl: issue: policy: RSA key of 1024 bits is not in the crypto policy\$" \
    --csr "$T/rsa1024.csr" --org $ORGID
refused "RSA exponent 3" "^esealctl: issue: policy: RSA public exponent 3: .*CA/B BR 6\.1\.6" \
    --csr "$T/exp3.csr" --org $ORGID
refused "P-192" "^esealctl: issue: policy: curve P-192 is not in the crypto policy\$" \
    --csr "$T/prime192v1.csr" --org $ORGID
refused "secp256k1" "^esealctl: issue: policy: curve secp256k1 is not in the crypto policy\$" \
    --csr "$T/secp256k1.csr" --org $ORGID

# One key, one organisation: seal.csr is certified for 7123456789012.
csr other ec:P-256
ctl issue --csr "$T/other.csr" --register --name "サンプル商事株式会社" \
    --corporate-number 4011001098993 --evidence "registry extract" \
    --out "$T/other.pem" >/dev/null 2>&1 || not_ok "issue for a second organisation"
refused "key certified for another organisation" \
    "^esealctl: issue: csr: the request's key is already certified for another organisation\$" \
    --csr "$T/seal.csr" --org NTRJP-4011001098993

# The corporate number's check digit (its first digit): 8 instead of 7.
refused "corporate number with a wrong check digit" \
    "^esealctl: issue: orgid: corporate number check digit \(MoF ordinance\): 8123456789012 has check digit 8" \
    --csr "$T/qseal.csr" --register --name "$ORG" --corporate-number 8123456789012 \
    --evidence "registry extract"

refused "unknown profile" "^esealctl: issue: profile: .*/nosuch\.conf" \
    --csr "$T/qseal.csr" --org $ORGID --profile nosuch

expect_eq "three issued rows in all (two profiles, a second organisation)" \
    "$(sql "SELECT COUNT(*) FROM certificates WHERE status='issued'")" 3
expect_eq "no pending or failed rows" \
    "$(sql "SELECT COUNT(*) FROM certificates WHERE status<>'issued'")" 0

done_testing
