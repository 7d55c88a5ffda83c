-- Foundation schema: organisations, roles, users, API keys, settings.
-- Times are epoch seconds (INTEGER); MISP prints some as date strings.

CREATE TABLE organisations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL,
    name TEXT NOT NULL,
    date_created INTEGER NOT NULL,
    date_modified INTEGER NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    org_type TEXT NOT NULL DEFAULT '',
    nationality TEXT NOT NULL DEFAULT '',
    sector TEXT NOT NULL DEFAULT '',
    created_by INTEGER NOT NULL DEFAULT 0,
    contacts TEXT NOT NULL DEFAULT '',
    local INTEGER NOT NULL DEFAULT 1,
    -- JSON array of domains.
    restricted_to_domain TEXT NOT NULL DEFAULT '[]',
    landingpage TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX organisations_uuid ON organisations (uuid);
CREATE UNIQUE INDEX organisations_name ON organisations (LOWER(name));

CREATE TABLE roles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    created INTEGER NOT NULL,
    modified INTEGER NOT NULL,
    perm_add INTEGER NOT NULL DEFAULT 0,
    perm_modify INTEGER NOT NULL DEFAULT 0,
    perm_modify_org INTEGER NOT NULL DEFAULT 0,
    perm_publish INTEGER NOT NULL DEFAULT 0,
    perm_delegate INTEGER NOT NULL DEFAULT 0,
    perm_sync INTEGER NOT NULL DEFAULT 0,
    perm_admin INTEGER NOT NULL DEFAULT 0,
    perm_audit INTEGER NOT NULL DEFAULT 0,
    perm_full INTEGER NOT NULL DEFAULT 0,
    perm_auth INTEGER NOT NULL DEFAULT 0,
    perm_site_admin INTEGER NOT NULL DEFAULT 0,
    perm_regexp_access INTEGER NOT NULL DEFAULT 0,
    perm_tagger INTEGER NOT NULL DEFAULT 0,
    perm_template INTEGER NOT NULL DEFAULT 0,
    perm_sharing_group INTEGER NOT NULL DEFAULT 0,
    perm_tag_editor INTEGER NOT NULL DEFAULT 0,
    perm_sighting INTEGER NOT NULL DEFAULT 0,
    perm_object_template INTEGER NOT NULL DEFAULT 0,
    perm_publish_zmq INTEGER NOT NULL DEFAULT 0,
    perm_publish_kafka INTEGER NOT NULL DEFAULT 0,
    perm_decaying INTEGER NOT NULL DEFAULT 0,
    perm_galaxy_editor INTEGER NOT NULL DEFAULT 0,
    perm_warninglist INTEGER NOT NULL DEFAULT 0,
    perm_view_feed_correlations INTEGER NOT NULL DEFAULT 0,
    perm_analyst_data INTEGER NOT NULL DEFAULT 0,
    perm_skip_otp INTEGER NOT NULL DEFAULT 0,
    perm_server_sign INTEGER NOT NULL DEFAULT 0,
    perm_sync_authoritative INTEGER NOT NULL DEFAULT 0,
    perm_sync_internal INTEGER NOT NULL DEFAULT 0,
    default_role INTEGER NOT NULL DEFAULT 0,
    memory_limit TEXT NOT NULL DEFAULT '',
    max_execution_time TEXT NOT NULL DEFAULT '',
    restricted_to_site_admin INTEGER NOT NULL DEFAULT 0,
    enforce_rate_limit INTEGER NOT NULL DEFAULT 0,
    rate_limit_count INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX roles_name ON roles (LOWER(name));

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    role_id INTEGER NOT NULL REFERENCES roles (id),
    email TEXT NOT NULL,
    password_hash TEXT,
    disabled INTEGER NOT NULL DEFAULT 0,
    autoalert INTEGER NOT NULL DEFAULT 0,
    contactalert INTEGER NOT NULL DEFAULT 0,
    termsaccepted INTEGER NOT NULL DEFAULT 0,
    change_pw INTEGER NOT NULL DEFAULT 0,
    invited_by INTEGER NOT NULL DEFAULT 0,
    gpgkey TEXT NOT NULL DEFAULT '',
    certif_public TEXT NOT NULL DEFAULT '',
    nids_sid INTEGER NOT NULL DEFAULT 0,
    newsread INTEGER NOT NULL DEFAULT 0,
    expiration INTEGER,
    current_login INTEGER NOT NULL DEFAULT 0,
    last_login INTEGER NOT NULL DEFAULT 0,
    last_api_access INTEGER NOT NULL DEFAULT 0,
    force_logout INTEGER NOT NULL DEFAULT 0,
    date_created INTEGER NOT NULL,
    date_modified INTEGER NOT NULL,
    last_pw_change INTEGER NOT NULL DEFAULT 0,
    notification_daily INTEGER NOT NULL DEFAULT 0,
    notification_weekly INTEGER NOT NULL DEFAULT 0,
    notification_monthly INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX users_email ON users (email);
CREATE INDEX users_org ON users (org_id);

CREATE TABLE auth_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL,
    authkey_hash TEXT NOT NULL,
    authkey_start TEXT NOT NULL,
    authkey_end TEXT NOT NULL,
    created INTEGER NOT NULL,
    expiration INTEGER NOT NULL DEFAULT 0,
    read_only INTEGER NOT NULL DEFAULT 0,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    comment TEXT NOT NULL DEFAULT '',
    -- JSON array of CIDR ranges; empty array means any address.
    allowed_ips TEXT NOT NULL DEFAULT '[]',
    last_used INTEGER
);
CREATE UNIQUE INDEX auth_keys_uuid ON auth_keys (uuid);
CREATE INDEX auth_keys_lookup ON auth_keys (authkey_start, authkey_end);
CREATE INDEX auth_keys_user ON auth_keys (user_id);

-- Instance-wide settings shared by every API node (e.g. the JWT signing secret).
CREATE TABLE system_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
