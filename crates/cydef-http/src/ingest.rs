//! Storing a validated event document: the rules shared by `POST /events/add`
//! and `cydef import` (blocklist, existing UUIDs, creator organisation,
//! who may publish).

use cydef_model::event::{NewEvent, OrgRef};
use cydef_model::{time_fmt, EntityRef};
use cydef_store::{EventOwner, Store, StoreError};

/// Who is importing, and what they may do.
#[derive(Debug, Clone, Copy)]
pub struct Importer {
    pub user_id: i64,
    pub org_id: i64,
    /// Site admins and sync users keep the document's `Orgc`.
    pub keep_creator: bool,
    /// Users with perm_publish keep `published: true`.
    pub may_publish: bool,
}

/// What became of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created(i64),
    /// An event with this UUID is stored already (its id).
    Exists(i64),
    Blocklisted,
}

/// Stores `ev` unless its UUID is blocked or known.
pub async fn import(
    store: &dyn Store,
    who: &Importer,
    mut ev: NewEvent,
) -> Result<Outcome, StoreError> {
    if store.is_blocklisted(&ev.uuid).await? {
        return Ok(Outcome::Blocklisted);
    }
    if let Ok(u) = uuid::Uuid::parse_str(&ev.uuid) {
        match store.find_event(EntityRef::Uuid(u)).await {
            Ok(existing) => return Ok(Outcome::Exists(existing.id)),
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    let now = time_fmt::now();
    if ev.published && !who.may_publish {
        ev.published = false;
    }
    if ev.published && ev.publish_timestamp == 0 {
        ev.publish_timestamp = now;
    }
    let orgc_id = creator_org(store, who, &ev).await?;
    sighting_orgs(store, who, &mut ev).await?;
    let owner = EventOwner {
        org_id: who.org_id,
        orgc_id,
        user_id: who.user_id,
    };
    store
        .create_event(&ev, &owner, now)
        .await
        .map(Outcome::Created)
}

async fn creator_org(store: &dyn Store, who: &Importer, ev: &NewEvent) -> Result<i64, StoreError> {
    named_org(store, who, ev.orgc.as_ref()).await
}

/// The organisation a document names (by name, or by UUID alone if known),
/// for writers who keep it; else, or if none is named, the writer's own.
async fn named_org(
    store: &dyn Store,
    who: &Importer,
    org: Option<&OrgRef>,
) -> Result<i64, StoreError> {
    if !who.keep_creator {
        return Ok(who.org_id);
    }
    match org {
        Some(OrgRef {
            name: Some(name),
            uuid,
        }) if !name.trim().is_empty() => Ok(store
            .ensure_org(name, uuid.as_deref(), who.user_id)
            .await?
            .id),
        Some(OrgRef { uuid: Some(u), .. }) => match uuid::Uuid::parse_str(u) {
            Ok(u) => match store.get_org(EntityRef::Uuid(u)).await {
                Ok(o) => Ok(o.id),
                Err(StoreError::NotFound) => Ok(who.org_id),
                Err(e) => Err(e),
            },
            Err(_) => Ok(who.org_id),
        },
        _ => Ok(who.org_id),
    }
}

/// The organisations of the document's sightings. As for `Orgc`, only site
/// admins and sync users keep them (each found by UUID, else by name, and
/// created if unknown, as MISP's `captureOrg`); other writers' sightings
/// are their own organisation's, so that nobody records sightings in
/// another organisation's name. MISP keeps them for every writer.
pub async fn sighting_orgs(
    store: &dyn Store,
    who: &Importer,
    ev: &mut NewEvent,
) -> Result<(), StoreError> {
    if !who.keep_creator {
        return Ok(());
    }
    let mut known: std::collections::HashMap<(Option<String>, Option<String>), i64> =
        std::collections::HashMap::new();
    for s in ev.sightings_mut() {
        let key = (s.org_name.clone(), s.org_uuid.clone());
        if let Some(id) = known.get(&key) {
            s.org_id = Some(*id);
            continue;
        }
        let named = OrgRef {
            name: s.org_name.clone(),
            uuid: s.org_uuid.clone(),
        };
        let id = named_org(store, who, Some(&named)).await?;
        known.insert(key, id);
        s.org_id = Some(id);
    }
    Ok(())
}
