-- 005_enrolment: vetted organisations, their acknowledgements of the
-- important-matters disclosure (REQUIREMENTS.md point 1), one-time
-- enrolment codes and enrolment requests (the RA's approval queue).
-- Secrets (codes, request tokens) are kept only as SHA-256 hashes.

-- One row per organisation the RA has vetted; the certificate subject is
-- built from it, never from a CSR.
CREATE TABLE organizations (
	id               INTEGER PRIMARY KEY,
	name             TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
	                                            -- organizationName, UTF-8
	english_name     TEXT NOT NULL DEFAULT '' CHECK (length(english_name) <= 64),
	country          TEXT NOT NULL CHECK (length(country) = 2),
	corporate_number TEXT UNIQUE CHECK (corporate_number IS NULL OR
	                     length(corporate_number) = 13),  -- 法人番号, JP only
	identifier       TEXT NOT NULL UNIQUE,      -- organizationIdentifier
	evidence         TEXT NOT NULL CHECK (length(evidence) > 0),
	                                            -- vetting evidence reference
	created          INTEGER NOT NULL,
	created_by       TEXT NOT NULL
);

-- Which version of the disclosure an organisation's contracting party
-- acknowledged, when and by whom: once per organisation and version.
CREATE TABLE disclosure_acks (
	org_id          INTEGER NOT NULL REFERENCES organizations(id),
	version         TEXT NOT NULL,
	sha256          TEXT NOT NULL CHECK (length(sha256) = 64),
	                                            -- hex, docs/disclosure.md
	signer_name     TEXT NOT NULL CHECK (length(signer_name) > 0),
	signer_title    TEXT NOT NULL CHECK (length(signer_title) > 0),
	client_addr     TEXT NOT NULL DEFAULT '',
	acknowledged_at INTEGER NOT NULL,
	UNIQUE (org_id, version)
);

-- One-time enrolment codes handed out by the RA.  Only the hash is kept.
CREATE TABLE enrolment_codes (
	code_hash     BLOB PRIMARY KEY CHECK (length(code_hash) = 32),
	                                            -- SHA-256 of the code
	org_id        INTEGER NOT NULL REFERENCES organizations(id),
	created       INTEGER NOT NULL,
	expires       INTEGER NOT NULL CHECK (expires > created),
	attempts_left INTEGER NOT NULL CHECK (attempts_left >= 0),
	used_at       INTEGER,                      -- NULL until consumed
	created_by    TEXT NOT NULL
);
CREATE INDEX enrolment_codes_org ON enrolment_codes(org_id);

-- Enrolment requests.  Each consumed one code, and names a disclosure
-- version the organisation acknowledged (the foreign key makes it so).
CREATE TABLE enrolment_requests (
	id                 INTEGER PRIMARY KEY,
	org_id             INTEGER NOT NULL REFERENCES organizations(id),
	status             TEXT NOT NULL DEFAULT 'pending' CHECK (status IN
	                       ('pending', 'approved', 'rejected', 'issued',
	                       'failed')),
	csr                BLOB NOT NULL,           -- PKCS#10, DER
	profile            TEXT NOT NULL,
	key_holder         TEXT NOT NULL CHECK (key_holder IN
	                       ('subscriber', 'remote-service')),
	qscd               INTEGER NOT NULL CHECK (qscd IN (0, 1)),
	token_hash         BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	                                            -- SHA-256 of the request token
	code_hash          BLOB NOT NULL UNIQUE REFERENCES enrolment_codes(code_hash),
	disclosure_version TEXT NOT NULL,
	client_addr        TEXT NOT NULL DEFAULT '',
	created            INTEGER NOT NULL,
	decided_by         TEXT,
	decided_at         INTEGER,
	reason             TEXT,                    -- of a rejection or failure
	serial             TEXT REFERENCES certificates(serial),  -- once issued
	finished_at        INTEGER,                 -- when issued or failed
	FOREIGN KEY (org_id, disclosure_version)
	    REFERENCES disclosure_acks(org_id, version),
	CHECK ((status = 'pending') = (decided_at IS NULL)),
	CHECK ((status = 'issued') = (serial IS NOT NULL)),
	CHECK ((status IN ('issued', 'failed')) = (finished_at IS NOT NULL)),
	CHECK (status NOT IN ('rejected', 'failed') OR length(reason) > 0)
);
CREATE INDEX enrolment_requests_status ON enrolment_requests(status);
CREATE INDEX enrolment_requests_org ON enrolment_requests(org_id);
