//! Writers may only give a part a sharing group they may use (MISP's
//! `SharingGroup::checkIfAuthorised`): every write path checks the groups a
//! validated document names here, before anything is stored.

use std::collections::HashMap;

use cydef_model::event::{Rejection, SharingGroupUse};

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::AppState;

/// MISP's message for distribution 4 without a group.
pub(crate) const NO_GROUP: &str = "Sharing group chosen as the distribution level, but no sharing \
     group specified. Make sure that the event includes a valid sharing_group_id or change to a \
     different distribution level.";
/// MISP's message for a group the writer may not use (or that does not exist).
pub(crate) const GROUP_NOT_AUTHORISED: &str =
    "Invalid sharing group or you don't have access to that sharing group.";

/// The parts of `uses` whose group `user` may not use, as rejections of
/// their `sharing_group_id`. Each group is looked up once.
pub(crate) async fn refused_groups(
    state: &AppState,
    user: &AuthUser,
    uses: &[SharingGroupUse],
) -> ApiResult<Vec<Rejection>> {
    let mut allowed: HashMap<i64, bool> = HashMap::new();
    let mut out = Vec::new();
    for u in uses {
        let message = match u.sharing_group_id {
            None => Some(NO_GROUP),
            Some(id) => {
                let ok = match allowed.get(&id) {
                    Some(ok) => *ok,
                    None => {
                        let ok = state
                            .store
                            .may_use_sharing_group(id, user.org.id, user.is_site_admin())
                            .await?;
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
