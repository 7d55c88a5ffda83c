-- MISP object templates, loaded from the misp-objects knowledge base
-- (`<kb_dir>/objects/objects/<name>/definition.json`). One row per template
-- UUID: a reload keeps the higher version. `requirements` is MISP's
-- `{"required": […], "requiredOneOf": […]}`; `definition` is the whole
-- definition.json, from which the elements (object relations) are read.

CREATE TABLE object_templates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    meta_category TEXT NOT NULL DEFAULT '',
    requirements TEXT NOT NULL DEFAULT '{}',
    definition TEXT NOT NULL,
    fixed INTEGER NOT NULL DEFAULT 1,
    active INTEGER NOT NULL DEFAULT 1,
    created INTEGER NOT NULL,
    modified INTEGER NOT NULL
);
CREATE UNIQUE INDEX object_templates_uuid ON object_templates (uuid);
CREATE INDEX object_templates_name ON object_templates (name);
