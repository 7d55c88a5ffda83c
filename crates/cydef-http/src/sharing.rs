//! Writers may only give a part a sharing group they may use (MISP's
//! `SharingGroup::checkIfAuthorised`): every write path checks the groups a
//! validated document names here, before anything is stored. `cydef import`
//! goes through [`check_sharing_groups`] too, as a site admin.
//!
//! Only parts of distribution 4 name a group (the model drops the id of any
//! other part). A part that embeds its group (`SharingGroup`, as MISP's
//! exports do) names it by UUID, as MISP matches groups; a group this
//! instance does not have is refused like one the writer may not use (MISP
//! would create it: a typo or a foreign export does not create groups here).

use std::collections::HashMap;

use cydef_model::event::{Rejection, SharingGroupParts, SharingGroupUse};
use cydef_model::EntityRef;
use cydef_store::{Store, StoreError};

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::AppState;

/// MISP's message for distribution 4 without a group.
pub const NO_GROUP: &str = "Sharing group chosen as the distribution level, but no sharing \
     group specified. Make sure that the event includes a valid sharing_group_id or change to a \
     different distribution level.";
/// MISP's message for a group the writer may not use (or that does not exist).
pub const GROUP_NOT_AUTHORISED: &str =
    "Invalid sharing group or you don't have access to that sharing group.";

/// Resolves the groups `part` embeds by UUID to their local ids, then
/// returns the parts whose group the writer (`org_id`, `site_admin`) may
/// not use, as rejections of their `sharing_group_id`: an unknown group, one
/// the writer is not authorised for, or distribution 4 without a group.
pub async fn check_sharing_groups<T: SharingGroupParts + ?Sized>(
    store: &dyn Store,
    org_id: i64,
    site_admin: bool,
    part: &mut T,
) -> Result<Vec<Rejection>, StoreError> {
    let mut local = HashMap::new();
    for u in part.sharing_group_uses() {
        let Some(group) = u.sharing_group_uuid else {
            continue;
        };
        if local.contains_key(&group) {
            continue;
        }
        let id = match uuid::Uuid::parse_str(&group) {
            Ok(parsed) => match store.get_sharing_group(EntityRef::Uuid(parsed)).await {
                Ok(found) => Some(found.group.id),
                Err(StoreError::NotFound) => None,
                Err(e) => return Err(e),
            },
            Err(_) => None,
        };
        local.insert(group, id);
    }
    if !local.is_empty() {
        let known: HashMap<String, i64> = local
            .into_iter()
            .filter_map(|(uuid, id)| Some((uuid, id?)))
            .collect();
        part.resolve_sharing_groups(&known);
    }
    refused(store, org_id, site_admin, &part.sharing_group_uses()).await
}

/// [`check_sharing_groups`] for the caller of a request.
pub(crate) async fn check_groups<T: SharingGroupParts + ?Sized>(
    state: &AppState,
    user: &AuthUser,
    part: &mut T,
) -> ApiResult<Vec<Rejection>> {
    Ok(check_sharing_groups(
        state.store.as_ref(),
        user.org.id,
        user.is_site_admin(),
        part,
    )
    .await?)
}

/// The parts of `uses` whose group `user` may not use, as rejections of
/// their `sharing_group_id`. Each group is looked up once.
pub(crate) async fn refused_groups(
    state: &AppState,
    user: &AuthUser,
    uses: &[SharingGroupUse],
) -> ApiResult<Vec<Rejection>> {
    Ok(refused(
        state.store.as_ref(),
        user.org.id,
        user.is_site_admin(),
        uses,
    )
    .await?)
}

async fn refused(
    store: &dyn Store,
    org_id: i64,
    site_admin: bool,
    uses: &[SharingGroupUse],
) -> Result<Vec<Rejection>, StoreError> {
    let mut allowed: HashMap<i64, bool> = HashMap::new();
    let mut out = Vec::new();
    for u in uses {
        let message = match (u.sharing_group_id, &u.sharing_group_uuid) {
            // An embedded group this instance does not have.
            (None, Some(_)) => Some(GROUP_NOT_AUTHORISED),
            (None, None) => Some(NO_GROUP),
            (Some(id), _) => {
                let ok = match allowed.get(&id) {
                    Some(ok) => *ok,
                    None => {
                        let ok = store.may_use_sharing_group(id, org_id, site_admin).await?;
                        allowed.insert(id, ok);
                        ok
                    }
                };
                (!ok).then_some(GROUP_NOT_AUTHORISED)
            }
        };
        if let Some(message) = message {
            out.push(Rejection {
                path: u.path.clone(),
                uuid: Some(u.uuid.clone()),
                field: "sharing_group_id",
                message: message.to_owned(),
            });
        }
    }
    Ok(out)
}
