-- 012_dual_control: audit format 2 (client address, HSM-keyed MAC), signed
-- audit checkpoints, and dual-control operations (docs/security.md).

-- Records written before this migration keep fmt = 1 and are checked with
-- the format-1 hash; every later record is fmt = 2: its hash also covers
-- the format number and the source, and mac is HMAC-SHA-256 of that hash
-- under a secret key that never leaves the HSM (audit.h).
ALTER TABLE audit ADD COLUMN fmt INTEGER NOT NULL DEFAULT 1;
ALTER TABLE audit ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN mac BLOB;

-- The chain head (seq, hash) signed by an issuer key on the HSM.  The
-- signed message is audit_cp_format()'s (audit.h), kept in message.
CREATE TABLE audit_checkpoints (
	id        INTEGER PRIMARY KEY,
	seq       INTEGER NOT NULL,                 -- audit seq of the chain head
	hash      TEXT NOT NULL,                    -- hex head hash
	created   INTEGER NOT NULL,
	signature BLOB NOT NULL,                    -- over the message, DER
	issuer_id INTEGER NOT NULL REFERENCES issuers(id),
	message   TEXT NOT NULL                     -- the exact bytes signed
);
CREATE INDEX audit_checkpoints_seq ON audit_checkpoints (seq);

-- Proposals of sensitive operations, run once enough distinct operators
-- holding the kind's role have approved (approval.h).
CREATE TABLE operations (
	id          INTEGER PRIMARY KEY,
	kind        TEXT NOT NULL,
	params      TEXT NOT NULL,                  -- canonical JSON
	params_hash TEXT NOT NULL,                  -- hex SHA-256 of params
	role        TEXT NOT NULL,                  -- role every approver holds
	quorum      INTEGER NOT NULL CHECK (quorum BETWEEN 1 AND 16),
	proposer    TEXT NOT NULL,
	status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN
	            ('pending', 'executed', 'rejected', 'failed')),
	created     INTEGER NOT NULL,
	expires     INTEGER NOT NULL,
	decided     INTEGER NOT NULL DEFAULT 0,
	result      TEXT NOT NULL DEFAULT ''
);

-- One vote per operator and operation; the proposer's is the first.
CREATE TABLE operation_votes (
	op_id       INTEGER NOT NULL REFERENCES operations(id),
	account     TEXT NOT NULL,
	approve     INTEGER NOT NULL CHECK (approve IN (0, 1)),
	params_hash TEXT NOT NULL,                  -- what this operator saw
	ts          INTEGER NOT NULL,
	PRIMARY KEY (op_id, account)
);
