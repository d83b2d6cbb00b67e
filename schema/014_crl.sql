-- 014_crl: bounded CRL storage (issue 17).  A CRL whose body retention
-- dropped keeps its number, dates, the SHA-256 of its DER and its entry
-- count; der is then empty and pruned says when.
ALTER TABLE crls ADD COLUMN digest BLOB;        -- SHA-256 of der, set when pruned
ALTER TABLE crls ADD COLUMN entries INTEGER;    -- revokedCertificates, set when pruned
ALTER TABLE crls ADD COLUMN pruned INTEGER;     -- when der was emptied; NULL: kept
