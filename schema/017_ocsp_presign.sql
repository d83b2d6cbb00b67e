-- 017_ocsp_presign: OCSP answers signed ahead of time ([ocsp] presign = on),
-- so that relying parties get a signed answer while the HSM is down.  One
-- row per certificate and CertID hash algorithm; eseald's presigner signs
-- every unexpired issued certificate and signs again when refresh_at
-- comes (ahead of next_update).  A revocation's transaction invalidates
-- the row (der NULL, refresh_at 0: first in the presigner's queue), so a
-- presigned "good" never outlives a revocation; the responder also checks
-- the row's status against revocations before it serves der.
CREATE TABLE ocsp_presigned (
	serial          TEXT NOT NULL REFERENCES certificates(serial),
	hash            TEXT NOT NULL CHECK (hash IN ('sha1', 'sha256')),  -- of the CertID
	issuer_id       INTEGER NOT NULL REFERENCES issuers(id),
	status          INTEGER NOT NULL CHECK (status IN (0, 1)),  -- good, revoked
	reason          INTEGER NOT NULL DEFAULT -1,    -- CRLReason; -1 none
	revoked_at      INTEGER NOT NULL DEFAULT 0,
	invalidity_date INTEGER NOT NULL DEFAULT 0,     -- 0: none
	this_update     INTEGER NOT NULL,
	next_update     INTEGER NOT NULL CHECK (next_update > this_update),
	refresh_at      INTEGER NOT NULL,               -- sign again from then on
	der             BLOB,                           -- DER OCSPResponse; NULL: invalidated
	PRIMARY KEY (serial, hash)
) WITHOUT ROWID;
CREATE INDEX ocsp_presigned_refresh ON ocsp_presigned(refresh_at);

-- The presigner finds certificates it has not seen by walking this index
-- from where it stopped (a keyset cursor), never by scanning them all.
CREATE INDEX certificates_updated ON certificates(updated, serial);
