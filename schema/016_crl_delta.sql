-- 016_crl_delta: delta CRLs (RFC 5280 5.2.4, issue 17).  Each lists the
-- revocations of its shard since the base CRL base_number (crls) and takes
-- its number from the same sequence as the base CRLs (5.2.3): a number is
-- in crls or in crl_deltas, never both (store_crldelta.c checks it in the
-- transaction that records either).
CREATE TABLE crl_deltas (
	issuer_id   INTEGER NOT NULL REFERENCES issuers(id),
	shard       INTEGER NOT NULL,
	number      INTEGER NOT NULL,
	base_number INTEGER NOT NULL,       -- the Delta CRL Indicator
	this_update INTEGER NOT NULL,
	next_update INTEGER NOT NULL,
	der         BLOB NOT NULL,
	PRIMARY KEY (issuer_id, shard, number)
);
