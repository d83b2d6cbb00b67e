-- 004_accounts: operator accounts, their sessions, and failed logins for
-- user names that have no account (so that those lock like real ones).

-- One row per operator.  Passwords are kept only as libsodium's
-- crypto_pwhash_str string (argon2id, with its own salt and limits).
CREATE TABLE accounts (
	id            INTEGER PRIMARY KEY,
	username      TEXT NOT NULL UNIQUE,       -- [a-z0-9._-], 1..63
	role          TEXT NOT NULL CHECK (role IN ('admin', 'ra', 'auditor')),
	password_hash TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
	must_change   INTEGER NOT NULL DEFAULT 1 CHECK (must_change IN (0, 1)),
	compromised   INTEGER NOT NULL DEFAULT 0 CHECK (compromised IN (0, 1)),
	failed_count  INTEGER NOT NULL DEFAULT 0, -- failures since the last success or lock
	lock_count    INTEGER NOT NULL DEFAULT 0, -- locks since the last success (doubles the next)
	locked_until  INTEGER NOT NULL DEFAULT 0, -- 0: not locked
	last_failed   INTEGER NOT NULL DEFAULT 0, -- time of the last failure, 0: none
	created       INTEGER NOT NULL,
	updated       INTEGER NOT NULL
);

-- A bearer token is never stored: only its SHA-256.
CREATE TABLE sessions (
	token_hash  BLOB PRIMARY KEY CHECK (length(token_hash) = 32),
	account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	created     INTEGER NOT NULL,
	last_used   INTEGER NOT NULL,             -- idle expiry counts from here
	expires     INTEGER NOT NULL,             -- absolute expiry
	client_addr TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX sessions_account ON sessions(account_id);
CREATE INDEX sessions_expires ON sessions(expires);

-- Failed logins for names with no account, keyed by SHA-256 of the name so
-- that whatever was typed (sometimes a password) is not kept.  Same counters
-- as accounts; rows are forgotten a day after their last failure.
CREATE TABLE login_failures (
	name_hash    BLOB PRIMARY KEY CHECK (length(name_hash) = 32),
	failed_count INTEGER NOT NULL DEFAULT 0,
	lock_count   INTEGER NOT NULL DEFAULT 0,
	locked_until INTEGER NOT NULL DEFAULT 0,
	last_failed  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX login_failures_last ON login_failures(last_failed);
