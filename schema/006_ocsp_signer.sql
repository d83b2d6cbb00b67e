-- 006_ocsp_signer: delegated OCSP signing certificates (RFC 6960 4.2.2.2).
-- Each row is a key on the token, certified by one issuer key with
-- id-kp-OCSPSigning and id-pkix-ocsp-nocheck.  Its certificate is also a
-- row of certificates (recorded pending before the HSM signed it, like any
-- other), found here by serial.  The newest active row of an issuer whose
-- validity covers now signs that issuer's OCSP responses when
-- [ocsp] signer = delegated.
CREATE TABLE ocsp_signers (
	id          INTEGER PRIMARY KEY,
	issuer_id   INTEGER NOT NULL REFERENCES issuers(id),
	key_id      BLOB NOT NULL UNIQUE,           -- CKA_ID of the key on the token
	key_type    TEXT NOT NULL,                  -- ec-p256, rsa-3072, ...
	serial      TEXT NOT NULL UNIQUE REFERENCES certificates(serial),
	cert        BLOB NOT NULL,                  -- DER, the same bytes as certificates.cert
	not_before  INTEGER NOT NULL,
	not_after   INTEGER NOT NULL CHECK (not_after > not_before),
	created     INTEGER NOT NULL,
	status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
	retired     INTEGER,                        -- when it was superseded or retired
	CHECK ((status = 'retired') = (retired IS NOT NULL))
);
CREATE INDEX ocsp_signers_issuer ON ocsp_signers(issuer_id, status);
