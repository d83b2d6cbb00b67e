-- 001_init: issuers, certificates (crash-safe issuance), revocations, CRLs, audit.

-- One row per issuer key and its CA certificate.
CREATE TABLE issuers (
	id          INTEGER PRIMARY KEY,
	name        TEXT NOT NULL UNIQUE,           -- used in URLs: /ca/{name}.crt
	key_id      BLOB NOT NULL UNIQUE,           -- CKA_ID of the key on the token
	key_type    TEXT NOT NULL,                  -- ec-p256, rsa-3072, ...
	cert        BLOB NOT NULL,                  -- CA certificate, DER
	not_before  INTEGER NOT NULL,
	not_after   INTEGER NOT NULL,
	crl_shards  INTEGER NOT NULL DEFAULT 1 CHECK (crl_shards BETWEEN 1 AND 256),
	status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
	created     INTEGER NOT NULL
);

-- A certificate is recorded (pending, with its TBS) before the HSM signs it.
CREATE TABLE certificates (
	serial      TEXT PRIMARY KEY,               -- lower-case hex, no leading sign
	issuer_id   INTEGER NOT NULL REFERENCES issuers(id),
	status      TEXT NOT NULL CHECK (status IN ('pending', 'issued', 'failed')),
	tbs         BLOB NOT NULL,                  -- DER TBSCertificate
	cert        BLOB,                           -- DER certificate once issued
	subject     TEXT NOT NULL,                  -- RFC 2253 form, for operators
	spki_sha256 BLOB NOT NULL,                  -- SHA-256 of the subject public key info
	not_before  INTEGER NOT NULL,
	not_after   INTEGER NOT NULL,
	shard       INTEGER NOT NULL DEFAULT 0,
	created     INTEGER NOT NULL,
	updated     INTEGER NOT NULL,
	fail_reason TEXT,
	CHECK ((status = 'issued') = (cert IS NOT NULL))
);
CREATE INDEX certificates_status ON certificates(status);
CREATE INDEX certificates_spki ON certificates(spki_sha256);

-- Room for revocation (filled by the revocation issue).
CREATE TABLE revocations (
	serial          TEXT PRIMARY KEY REFERENCES certificates(serial),
	reason          INTEGER NOT NULL,           -- RFC 5280 CRLReason
	revoked_at      INTEGER NOT NULL,
	invalidity_date INTEGER,
	requested_by    TEXT NOT NULL
);

-- Every CRL ever signed, per issuer key and shard; numbers strictly increase.
CREATE TABLE crls (
	issuer_id   INTEGER NOT NULL REFERENCES issuers(id),
	shard       INTEGER NOT NULL,
	number      INTEGER NOT NULL,
	this_update INTEGER NOT NULL,
	next_update INTEGER NOT NULL,
	der         BLOB NOT NULL,
	PRIMARY KEY (issuer_id, shard, number)
);

-- Hash-chained audit records: hash = SHA-256(prev_hash || record).
CREATE TABLE audit (
	seq       INTEGER PRIMARY KEY,
	ts        INTEGER NOT NULL,
	actor     TEXT NOT NULL,
	action    TEXT NOT NULL,
	object    TEXT NOT NULL DEFAULT '',
	detail    TEXT NOT NULL DEFAULT '',
	prev_hash BLOB NOT NULL,
	hash      BLOB NOT NULL UNIQUE
);
