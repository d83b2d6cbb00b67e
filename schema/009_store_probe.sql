-- 009_store_probe: one row /healthz rewrites to learn whether the store
-- can still write (a full disk, a read-only or failing volume).
CREATE TABLE store_probe (
	id          INTEGER PRIMARY KEY CHECK (id = 1),
	at          INTEGER NOT NULL                    -- the last probe
);
