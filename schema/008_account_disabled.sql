-- 008_account_disabled: an operator account can be disabled (offboarding):
-- it cannot log in and has no session, but its row stays, so the name stays
-- reserved and the audit trail keeps naming someone who existed.
ALTER TABLE accounts ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0
	CHECK (disabled IN (0, 1));
