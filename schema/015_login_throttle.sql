-- 015_login_throttle: failed logins are also counted per client address
-- (IPv4 address, or IPv6 /64), which alone can be locked; and each account
-- remembers the addresses it last logged in from, whose attempts its own
-- backoff does not slow (issue 12 item 7: lockout without denial of service).

-- Same counters as login_failures, keyed by the address.  Rows are
-- forgotten a day after their last failure once not locked.
CREATE TABLE login_addr_failures (
	addr         TEXT PRIMARY KEY CHECK (length(addr) BETWEEN 1 AND 63),
	failed_count INTEGER NOT NULL DEFAULT 0,
	lock_count   INTEGER NOT NULL DEFAULT 0,
	locked_until INTEGER NOT NULL DEFAULT 0,
	last_failed  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX login_addr_failures_last ON login_addr_failures(last_failed);

-- Where an account last logged in from successfully: a known-good source.
CREATE TABLE account_addrs (
	account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	addr       TEXT NOT NULL CHECK (length(addr) BETWEEN 1 AND 63),
	last_login INTEGER NOT NULL,
	PRIMARY KEY (account_id, addr)
) WITHOUT ROWID;
