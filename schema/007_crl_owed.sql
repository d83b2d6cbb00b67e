-- 007_crl_owed: CRLs owed to relying parties.  A revocation's transaction
-- adds a row for the CRL shard that must list it; the transaction that
-- records a CRL of that shard deletes the rows it covers (those whose id
-- was read before the CRL's revocations were).  Rows left by a crash or
-- a failed signing are signed at start-up and retried with backoff.
CREATE TABLE crl_owed (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,  -- a CRL built after reading it covers every row up to it
	issuer_id   INTEGER NOT NULL REFERENCES issuers(id),
	shard       INTEGER NOT NULL,
	serial      TEXT NOT NULL,                      -- the revocation (or raise of its reason) owed
	since       INTEGER NOT NULL                    -- when it was accepted
);
CREATE INDEX crl_owed_shard ON crl_owed(issuer_id, shard, id);

-- Revocations newer than their shard's last CRL, from before this table:
-- owed too (at worst one CRL more than needed).
INSERT INTO crl_owed (issuer_id, shard, serial, since)
SELECT c.issuer_id, c.shard, r.serial, r.revoked_at
FROM revocations r JOIN certificates c ON c.serial = r.serial
WHERE r.revoked_at >= COALESCE((SELECT MAX(l.this_update) FROM crls l
    WHERE l.issuer_id = c.issuer_id AND l.shard = c.shard), 0);
