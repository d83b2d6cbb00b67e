#!/bin/sh
# make-data.sh: regenerates tests/data/backup/{good,bad}/ (run from the
# top of the tree; the files are committed, this says how they were made).
# The .tar files are backup plaintexts (backup_pack.h), readable without a
# key; the .p7m files are CMS files encrypted to a throwaway recipient whose
# key is deleted at once, so only their outer layers can be read by anyone:
# what each must be refused for is in tests/unit/test_backup.c.
set -eu
D=tests/data/backup
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
rm -rf "$D/good" "$D/bad"
mkdir -p "$D/good" "$D/bad"
/usr/bin/python3 - "$D" <<'PY'
import hashlib, io, json, sys, tarfile
d = sys.argv[1]
payload = b"SQLite format 3\0" + bytes(496)
def manifest(**over):
    m = {"format": "eseal-backup", "version": 1, "created": 1764720000,
         "label": "test data", "schema_version": 13,
         "counts": {"issuers": 1, "certificates": 2, "revocations": 1,
                    "audit": 5, "revoked_unknown": 0},
         "audit": {"head_seq": 5, "head_hash": "ab" * 32,
                   "checkpoint_seq": 0, "checkpoint_hash": "",
                   "checkpoint_created": 0},
         "high_water": {"last_certificate_created": 1764710000},
         "crl_numbers": [{"issuer": "test-ca", "issuer_id": 1, "shard": 0,
                          "number": 3}],
         "payload": {"name": "store.db", "size": len(payload),
                     "sha256": hashlib.sha256(payload).hexdigest()},
         "signer": {"issuer": "test-ca"}}
    m.update(over)
    return json.dumps(m, indent=1, sort_keys=True).encode()
def tar(members):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in members:
            i = tarfile.TarInfo(name)
            i.size, i.mode, i.mtime = len(data), 0o600, 1764720000
            t.addfile(i, io.BytesIO(data))
    raw = b.getvalue()
    # tarfile pads to a 10240-byte record: an eseal archive ends with
    # exactly two zero blocks after the last member.
    end = sum(512 + (len(x) + 511) // 512 * 512 for _, x in members)
    return raw[:end + 1024]
def std(m=None):
    return [("manifest.json", m or manifest()), ("manifest.sig", b"\x30" * 70),
            ("signer.crt", b"\x30\x03\x02\x01\x01"), ("store.db", payload)]
def put(sub, name, data):
    open(f"{d}/{sub}/{name}", "wb").write(data)
good = tar(std())
put("good", "plain.tar", good)
put("bad", "tar-truncated.tar", good[:len(good) - 512 - 100])
put("bad", "tar-trailing.tar", good + bytes(512))
f = bytearray(good); f[10] ^= 0x01
put("bad", "tar-flipped-byte.tar", bytes(f))
put("bad", "tar-wrong-version.tar", tar(std(manifest(version=2))))
put("bad", "tar-fifth-member.tar", tar(std() + [("extra", b"x")]))
m = std(); m[0], m[1] = m[1], m[0]
put("bad", "tar-wrong-order.tar", tar(m))
put("bad", "tar-unknown-field.tar", tar(std(manifest(extra=1))))
put("bad", "tar-not-json.tar", tar(std(b"{\"format\": ")))
put("bad", "tar-bad-hash.tar", tar(std(manifest(payload={"name": "store.db",
    "size": len(payload), "sha256": "XYZ"}))))
PY
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/k" -out "$W/c" \
    -days 1 -subj /CN=throwaway-recipient 2>/dev/null
openssl cms -encrypt -binary -aes-256-gcm -outform DER -in "$D/good/plain.tar" \
    -out "$W/ok.p7m" "$W/c"
rm -f "$W/k"		# nobody can open it: the wrong key for everyone
cp "$W/ok.p7m" "$D/bad/cms-wrong-key.p7m"
n=$(stat -c %s "$W/ok.p7m")
head -c $((n - 40)) "$W/ok.p7m" > "$D/bad/cms-truncated.p7m"
{ cat "$W/ok.p7m"; printf '\0'; } > "$D/bad/cms-trailing.p7m"
/usr/bin/python3 - "$W/ok.p7m" "$D/bad/cms-flipped-byte.p7m" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[1] ^= 0x40		# the outer SEQUENCE's length
open(sys.argv[2], "wb").write(b)
PY
openssl cms -encrypt -binary -aes-256-cbc -outform DER -in "$D/good/plain.tar" \
    -out "$D/bad/cms-enveloped-cbc.p7m" "$W/c"
ls -l "$D/good" "$D/bad"
