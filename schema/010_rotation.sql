-- 010_rotation: issuer key lifecycle (docs/key-rotation.md).
--   pending   a key made for the external-root shape, waiting for the
--             certificate its parent signs (cert NULL); seen by nothing
--             but `esealctl issuer import-cert`
--   active    issues new certificates: exactly one (a unique index)
--   retiring  issues nothing new, keeps signing CRLs and OCSP for its own
--   retired   its last certificate expired, a final CRL was published
-- SQLite cannot change a CHECK constraint in place: the table is copied
-- and made again (with deferred foreign keys, so that the rows that name
-- an issuer stay valid once the same ids are back).
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE issuers_010 AS SELECT * FROM issuers;
DROP TABLE issuers;
CREATE TABLE issuers (
	id          INTEGER PRIMARY KEY,
	name        TEXT NOT NULL UNIQUE,           -- used in URLs: /ca/{name}.crt
	key_id      BLOB NOT NULL UNIQUE,           -- CKA_ID of the key on the token
	key_type    TEXT NOT NULL,                  -- ec-p256, rsa-3072, ...
	cert        BLOB,                           -- CA certificate, DER; NULL while pending
	not_before  INTEGER NOT NULL,
	not_after   INTEGER NOT NULL,
	crl_shards  INTEGER NOT NULL DEFAULT 1 CHECK (crl_shards BETWEEN 1 AND 256),
	status      TEXT NOT NULL DEFAULT 'active'
	            CHECK (status IN ('pending', 'active', 'retiring', 'retired')),
	created     INTEGER NOT NULL,
	token       TEXT NOT NULL DEFAULT '',       -- [hsm "NAME"] the key is on; '' the plain [hsm]
	chain       BLOB,                           -- external root: PEM of the parents, up to the root
	changed     INTEGER NOT NULL DEFAULT 0,     -- when status last changed
	CHECK ((status = 'pending') = (cert IS NULL))
);
CREATE UNIQUE INDEX issuers_one_active ON issuers(status) WHERE status = 'active';
-- Before this migration the newest active issuer issued: the older active
-- ones were in effect retiring.
INSERT INTO issuers (id, name, key_id, key_type, cert, not_before,
    not_after, crl_shards, status, created, changed)
SELECT id, name, key_id, key_type, cert, not_before, not_after, crl_shards,
    CASE WHEN status = 'active' AND id < (SELECT MAX(id) FROM issuers_010
        WHERE status = 'active') THEN 'retiring' ELSE status END,
    created, created
FROM issuers_010;
DROP TABLE issuers_010;

-- Link certificates of a self-signed rotation (RFC 4210 4.4): the key of
-- signer_id certifies the key of subject_id; one row in each direction.
CREATE TABLE issuer_links (
	id          INTEGER PRIMARY KEY,
	signer_id   INTEGER NOT NULL REFERENCES issuers(id),
	subject_id  INTEGER NOT NULL REFERENCES issuers(id),
	serial      TEXT NOT NULL UNIQUE,           -- lower-case hex
	cert        BLOB NOT NULL,                  -- DER
	not_before  INTEGER NOT NULL,
	not_after   INTEGER NOT NULL,
	created     INTEGER NOT NULL,
	UNIQUE (signer_id, subject_id),
	CHECK (signer_id <> subject_id)
);
