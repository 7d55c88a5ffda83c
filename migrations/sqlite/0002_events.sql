-- Events and their contents: attributes, objects, object references, tags,
-- sightings, proposals, reports; the event blocklist.
-- Times are epoch seconds; first_seen/last_seen are MISP's ISO 8601 strings.

CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL,
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    orgc_id INTEGER NOT NULL REFERENCES organisations (id),
    user_id INTEGER NOT NULL DEFAULT 0,
    info TEXT NOT NULL,
    date TEXT NOT NULL,
    threat_level_id INTEGER NOT NULL DEFAULT 4,
    analysis INTEGER NOT NULL DEFAULT 0,
    distribution INTEGER NOT NULL DEFAULT 1,
    sharing_group_id INTEGER NOT NULL DEFAULT 0,
    published INTEGER NOT NULL DEFAULT 0,
    publish_timestamp INTEGER NOT NULL DEFAULT 0,
    timestamp INTEGER NOT NULL,
    sighting_timestamp INTEGER NOT NULL DEFAULT 0,
    attribute_count INTEGER NOT NULL DEFAULT 0,
    disable_correlation INTEGER NOT NULL DEFAULT 0,
    extends_uuid TEXT NOT NULL DEFAULT '',
    proposal_email_lock INTEGER NOT NULL DEFAULT 0,
    locked INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX events_uuid ON events (uuid);
CREATE INDEX events_timestamp ON events (timestamp, id);
CREATE INDEX events_orgc ON events (orgc_id);
CREATE INDEX events_org ON events (org_id);
CREATE INDEX events_date ON events (date);

CREATE TABLE objects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL,
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    meta_category TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    template_uuid TEXT,
    template_version TEXT,
    comment TEXT NOT NULL DEFAULT '',
    distribution INTEGER NOT NULL DEFAULT 5,
    sharing_group_id INTEGER NOT NULL DEFAULT 0,
    timestamp INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    first_seen TEXT,
    last_seen TEXT
);
CREATE UNIQUE INDEX objects_uuid ON objects (uuid);
CREATE INDEX objects_event ON objects (event_id);

CREATE TABLE attributes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL,
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    object_id INTEGER REFERENCES objects (id) ON DELETE CASCADE,
    object_relation TEXT,
    category TEXT NOT NULL,
    type TEXT NOT NULL,
    value1 TEXT NOT NULL,
    value2 TEXT NOT NULL DEFAULT '',
    to_ids INTEGER NOT NULL DEFAULT 0,
    comment TEXT NOT NULL DEFAULT '',
    distribution INTEGER NOT NULL DEFAULT 5,
    sharing_group_id INTEGER NOT NULL DEFAULT 0,
    timestamp INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    disable_correlation INTEGER NOT NULL DEFAULT 0,
    first_seen TEXT,
    last_seen TEXT,
    -- base64 payload of attachment / malware-sample attributes
    data TEXT
);
CREATE UNIQUE INDEX attributes_uuid ON attributes (uuid);
CREATE INDEX attributes_event ON attributes (event_id, id);
CREATE INDEX attributes_object ON attributes (object_id);
CREATE INDEX attributes_value1 ON attributes (value1);
CREATE INDEX attributes_value2 ON attributes (value2);
CREATE INDEX attributes_type ON attributes (type);
CREATE INDEX attributes_timestamp ON attributes (timestamp);
-- MISP's duplicate rule, enforced by the database: one live top-level
-- attribute per (event, type, category, value).
CREATE UNIQUE INDEX attributes_no_duplicates ON attributes (event_id, type, category, value1, value2)
    WHERE object_id IS NULL AND deleted = 0;

CREATE TABLE object_references (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL,
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    object_id INTEGER NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
    referenced_uuid TEXT NOT NULL,
    -- 0 attribute, 1 object (MISP's referenced_type); NULL when the target is
    -- not in this instance
    referenced_type INTEGER,
    referenced_id INTEGER NOT NULL DEFAULT 0,
    relationship_type TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    timestamp INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX object_references_uuid ON object_references (uuid);
CREATE INDEX object_references_object ON object_references (object_id);
CREATE INDEX object_references_event ON object_references (event_id);

CREATE TABLE tags (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    colour TEXT NOT NULL DEFAULT '',
    exportable INTEGER NOT NULL DEFAULT 1,
    org_id INTEGER NOT NULL DEFAULT 0,
    user_id INTEGER NOT NULL DEFAULT 0,
    hide_tag INTEGER NOT NULL DEFAULT 0,
    numerical_value INTEGER,
    is_galaxy INTEGER NOT NULL DEFAULT 0,
    is_custom_galaxy INTEGER NOT NULL DEFAULT 0,
    local_only INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX tags_name ON tags (name);

CREATE TABLE event_tags (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    local INTEGER NOT NULL DEFAULT 0,
    relationship_type TEXT
);
CREATE UNIQUE INDEX event_tags_pair ON event_tags (event_id, tag_id);
CREATE INDEX event_tags_tag ON event_tags (tag_id);

CREATE TABLE attribute_tags (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    attribute_id INTEGER NOT NULL REFERENCES attributes (id) ON DELETE CASCADE,
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    local INTEGER NOT NULL DEFAULT 0,
    relationship_type TEXT
);
CREATE UNIQUE INDEX attribute_tags_pair ON attribute_tags (attribute_id, tag_id);
CREATE INDEX attribute_tags_tag ON attribute_tags (tag_id);
CREATE INDEX attribute_tags_event ON attribute_tags (event_id);

CREATE TABLE sightings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL,
    attribute_id INTEGER NOT NULL REFERENCES attributes (id) ON DELETE CASCADE,
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    org_id INTEGER NOT NULL DEFAULT 0,
    date_sighting INTEGER NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    type INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX sightings_uuid ON sightings (uuid);
CREATE INDEX sightings_attribute ON sightings (attribute_id);
CREATE INDEX sightings_event ON sightings (event_id);

CREATE TABLE shadow_attributes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL,
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    old_id INTEGER NOT NULL DEFAULT 0,
    org_id INTEGER NOT NULL DEFAULT 0,
    category TEXT NOT NULL,
    type TEXT NOT NULL,
    value1 TEXT NOT NULL,
    value2 TEXT NOT NULL DEFAULT '',
    to_ids INTEGER NOT NULL DEFAULT 0,
    comment TEXT NOT NULL DEFAULT '',
    timestamp INTEGER NOT NULL,
    proposal_to_delete INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX shadow_attributes_uuid ON shadow_attributes (uuid);
CREATE INDEX shadow_attributes_event ON shadow_attributes (event_id);

CREATE TABLE event_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL,
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    content TEXT NOT NULL DEFAULT '',
    distribution INTEGER NOT NULL DEFAULT 5,
    sharing_group_id INTEGER NOT NULL DEFAULT 0,
    timestamp INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX event_reports_uuid ON event_reports (uuid);
CREATE INDEX event_reports_event ON event_reports (event_id);

CREATE TABLE event_blocklists (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_uuid TEXT NOT NULL,
    created INTEGER NOT NULL,
    event_info TEXT NOT NULL DEFAULT '',
    comment TEXT NOT NULL DEFAULT '',
    event_orgc TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX event_blocklists_uuid ON event_blocklists (event_uuid);
