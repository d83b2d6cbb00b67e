-- 011_totp_zone: second factors and the secure zone (issue 14 items 1, 2;
-- docs/security.md).  An account may hold one TOTP secret (RFC 6238),
-- AES-256-GCM encrypted under [security] totp_key_file so that a copy of
-- the store alone does not yield it; it counts only once a first correct
-- code confirmed it.  totp_last_step is the last time step accepted: a code
-- of that step or an earlier one is a replay.  require_2fa: an
-- administrator asked for a second factor even inside the zone.
ALTER TABLE accounts ADD COLUMN totp_secret BLOB;      -- nonce || ct || tag
ALTER TABLE accounts ADD COLUMN totp_confirmed INTEGER NOT NULL DEFAULT 0
	CHECK (totp_confirmed IN (0, 1));
ALTER TABLE accounts ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN require_2fa INTEGER NOT NULL DEFAULT 0
	CHECK (require_2fa IN (0, 1));

-- What a session was opened with: from inside the zone or not, and the
-- factors used ("password", "password+totp", "password+cert").
ALTER TABLE sessions ADD COLUMN in_zone INTEGER NOT NULL DEFAULT 1
	CHECK (in_zone IN (0, 1));
ALTER TABLE sessions ADD COLUMN factors TEXT NOT NULL DEFAULT 'password';
