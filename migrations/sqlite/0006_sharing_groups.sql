-- Sharing groups (MISP's SharingGroup, SharingGroupOrg, SharingGroupServer).
-- `created`/`modified` are epoch seconds (MISP prints them as datetimes).
-- Names are unique case-insensitively, as MISP's unicode_ci collation.
-- There is no servers table yet: sharing_group_servers.server_id 0 is this
-- instance, the only server a row may name today.

CREATE TABLE sharing_groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL,
    name TEXT NOT NULL,
    releasability TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    organisation_uuid TEXT NOT NULL,
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    sync_user_id INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    created INTEGER NOT NULL,
    modified INTEGER NOT NULL,
    local INTEGER NOT NULL DEFAULT 1,
    roaming INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX sharing_groups_uuid ON sharing_groups (uuid);
CREATE UNIQUE INDEX sharing_groups_name ON sharing_groups (LOWER(name));
CREATE INDEX sharing_groups_org ON sharing_groups (org_id);

CREATE TABLE sharing_group_orgs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sharing_group_id INTEGER NOT NULL REFERENCES sharing_groups (id) ON DELETE CASCADE,
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    extend INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX sharing_group_orgs_pair ON sharing_group_orgs (sharing_group_id, org_id);
CREATE INDEX sharing_group_orgs_org ON sharing_group_orgs (org_id);

CREATE TABLE sharing_group_servers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sharing_group_id INTEGER NOT NULL REFERENCES sharing_groups (id) ON DELETE CASCADE,
    server_id INTEGER NOT NULL,
    all_orgs INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX sharing_group_servers_pair ON sharing_group_servers (sharing_group_id, server_id);
CREATE INDEX sharing_group_servers_server ON sharing_group_servers (server_id, all_orgs);
