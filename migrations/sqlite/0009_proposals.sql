-- Proposals made through the API (shadow_attributes/add|edit|delete).
-- A proposal to change or delete an attribute carries that attribute's UUID,
-- as in MISP, so several proposals may share one: UUIDs stay unique only
-- among proposals of new attributes (old_id 0), which become the new
-- attribute's UUID when accepted. Also kept, as MISP does: the proposer's
-- e-mail (who may discard it), first/last seen (MISP's ISO 8601 strings) and
-- the correlation flag.
ALTER TABLE shadow_attributes ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE shadow_attributes ADD COLUMN first_seen TEXT;
ALTER TABLE shadow_attributes ADD COLUMN last_seen TEXT;
ALTER TABLE shadow_attributes ADD COLUMN disable_correlation INTEGER NOT NULL DEFAULT 0;
DROP INDEX shadow_attributes_uuid;
CREATE UNIQUE INDEX shadow_attributes_uuid ON shadow_attributes (uuid) WHERE old_id = 0;
-- Proposals on an attribute: found when it is accepted, edited or deleted.
CREATE INDEX shadow_attributes_old ON shadow_attributes (old_id);
