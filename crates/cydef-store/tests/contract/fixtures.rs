//! Builders shared by the contract tests.

use std::sync::Arc;

use cydef_model::role::{default_roles, Permission, PermissionSet, Role};
use cydef_model::{time_fmt, ApiKey, NewAuthKey, NewOrganisation, NewUser};
use cydef_store::{Bootstrap, BootstrapOutcome, Store, StoreError};

pub const ADMIN_ORG: &str = "ORGNAME";
pub const ADMIN_EMAIL: &str = "admin@admin.test";
pub const ADMIN_PASSWORD_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";

/// What [`seed`] created.
pub struct Seed {
    pub admin_user_id: i64,
    pub admin_org_id: i64,
    pub admin_key: ApiKey,
}

pub fn bootstrap_request(org: &str, email: &str, key: &ApiKey) -> Bootstrap {
    Bootstrap {
        org_name: org.to_owned(),
        admin_email: email.to_owned(),
        admin_key: key.clone(),
        admin_password_hash: Some(ADMIN_PASSWORD_HASH.to_owned()),
        roles: default_roles(time_fmt::now()),
    }
}

/// Bootstraps the store (default roles 1..6, admin org, admin user and key).
pub async fn seed(store: &Arc<dyn Store>) -> Seed {
    let key = ApiKey::generate();
    let outcome = store
        .bootstrap(&bootstrap_request(ADMIN_ORG, ADMIN_EMAIL, &key))
        .await
        .expect("bootstrap an empty store");
    let BootstrapOutcome::Created { admin_user_id } = outcome else {
        panic!("bootstrap of an empty store returned {outcome:?}");
    };
    let org = store
        .find_org_by_name(ADMIN_ORG)
        .await
        .expect("find admin org")
        .expect("admin org exists");
    Seed {
        admin_user_id,
        admin_org_id: org.id,
        admin_key: key,
    }
}

pub fn new_org(name: &str) -> NewOrganisation {
    NewOrganisation {
        name: name.to_owned(),
        local: true,
        ..Default::default()
    }
}

pub async fn create_org(store: &Arc<dyn Store>, name: &str) -> i64 {
    store
        .create_org(&new_org(name), 1)
        .await
        .expect("create org")
        .id
}

pub fn new_user(org_id: i64, role_id: i64, email: &str) -> NewUser {
    NewUser {
        org_id,
        role_id,
        email: email.to_owned(),
        ..Default::default()
    }
}

pub async fn create_user(store: &Arc<dyn Store>, org_id: i64, role_id: i64, email: &str) -> i64 {
    store
        .create_user(&new_user(org_id, role_id, email))
        .await
        .expect("create user")
        .id
}

pub fn new_key(user_id: i64, comment: &str) -> NewAuthKey {
    NewAuthKey {
        user_id,
        expiration: 0,
        read_only: false,
        comment: comment.to_owned(),
        allowed_ips: Vec::new(),
    }
}

pub fn new_role(name: &str, perms: &[Permission]) -> Role {
    Role {
        id: 0,
        name: name.to_owned(),
        created: 1_700_000_000,
        modified: 1_700_000_001,
        perms: PermissionSet::of(perms),
        default_role: false,
        memory_limit: "2048M".to_owned(),
        max_execution_time: "300".to_owned(),
        restricted_to_site_admin: false,
        enforce_rate_limit: true,
        rate_limit_count: 50,
    }
}

/// Asserts `result` is `Err(StoreError::Conflict(field))`.
#[track_caller]
pub fn assert_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>, field: &str) {
    match result {
        Err(StoreError::Conflict(f)) if f == field => {}
        other => panic!("expected Conflict({field:?}), got {other:?}"),
    }
}

/// Asserts `result` is `Err(StoreError::InvalidReference(field))`.
#[track_caller]
pub fn assert_invalid_ref<T: std::fmt::Debug>(result: Result<T, StoreError>, field: &str) {
    match result {
        Err(StoreError::InvalidReference(f)) if f == field => {}
        other => panic!("expected InvalidReference({field:?}), got {other:?}"),
    }
}

/// Asserts `result` is `Err(StoreError::InUse(_))`.
#[track_caller]
pub fn assert_in_use<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    match result {
        Err(StoreError::InUse(_)) => {}
        other => panic!("expected InUse, got {other:?}"),
    }
}

/// Asserts `result` is `Err(StoreError::NotFound)`.
#[track_caller]
pub fn assert_not_found<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    match result {
        Err(StoreError::NotFound) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}

/// Asserts `epoch` is within a minute before (or 5 s after) the wall clock.
#[track_caller]
pub fn assert_recent(epoch: i64, what: &str) {
    let now = time_fmt::now();
    assert!(
        (now - 60..=now + 5).contains(&epoch),
        "{what} = {epoch} is not close to now ({now})"
    );
}
