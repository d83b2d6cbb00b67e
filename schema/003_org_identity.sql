-- 003_org_identity: which organisation each certificate's key belongs to, so
-- a key certified for one organisation is refused for another.
ALTER TABLE certificates ADD COLUMN org_identifier TEXT NOT NULL DEFAULT '';
CREATE INDEX certificates_org ON certificates(org_identifier);
