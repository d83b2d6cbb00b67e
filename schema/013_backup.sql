-- 013_backup: backups taken of the store (REQUIREMENTS.md point 11), and
-- what a restore reconciled from the CRLs published after its backup.

-- One row per backup written (or refused) to one destination.
CREATE TABLE backups (
	id           INTEGER PRIMARY KEY,
	created      INTEGER NOT NULL,
	destination  TEXT NOT NULL,                 -- the file written, or the directory refused
	label        TEXT NOT NULL DEFAULT '',
	size         INTEGER NOT NULL DEFAULT 0,    -- bytes of the encrypted file
	sha256       TEXT NOT NULL DEFAULT '',      -- hex, of the store copy (the manifest's payload)
	same_device  INTEGER NOT NULL DEFAULT 0 CHECK (same_device IN (0, 1)),
	                                            -- written with --allow-same-device
	result       TEXT NOT NULL CHECK (result IN ('ok', 'failed')),
	error        TEXT NOT NULL DEFAULT '',
	actor        TEXT NOT NULL
);
CREATE INDEX backups_created ON backups(result, created);

-- Serials listed as revoked on a published CRL that a restored store did
-- not know (issued after its backup): never issued again, never "good".
-- CRLs keep listing them; OCSP answers revoked.
CREATE TABLE revoked_unknown (
	serial          TEXT PRIMARY KEY,           -- lower-case hex, as stored
	issuer_id       INTEGER NOT NULL REFERENCES issuers(id),
	reason          INTEGER NOT NULL,           -- RFC 5280 CRLReason
	revoked_at      INTEGER NOT NULL,
	invalidity_date INTEGER,
	source          TEXT NOT NULL,              -- the CRL file and number it came from
	recorded        INTEGER NOT NULL
);

-- The lowest CRL number a shard may use next minus one: set by a restore
-- to the highest number already published, so numbers never run backwards.
CREATE TABLE crl_number_floor (
	issuer_id   INTEGER NOT NULL REFERENCES issuers(id),
	shard       INTEGER NOT NULL,
	number      INTEGER NOT NULL,
	source      TEXT NOT NULL,
	PRIMARY KEY (issuer_id, shard)
);

-- A serial revoked on a published CRL is never recorded again.
CREATE TRIGGER certificates_not_revoked_unknown BEFORE INSERT ON certificates
WHEN EXISTS (SELECT 1 FROM revoked_unknown WHERE serial = NEW.serial)
BEGIN
	SELECT RAISE(ABORT, 'serial was revoked on a published CRL (revoked_unknown)');
END;
