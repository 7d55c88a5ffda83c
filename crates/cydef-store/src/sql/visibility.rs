//! Who may see what: the one place the read rule is written as SQL.
//!
//! MISP's rule (`Event::createEventConditions`,
//! `MispAttribute::buildConditions`, `EventReport::buildACLConditions`), for
//! a [`Viewer`] with its authorised sharing groups (`Viewer::sharing_groups`,
//! MISP's `SharingGroup::authorizedIds`):
//!
//! - site admins and the event's owning (`org_id`) or creating (`orgc_id`)
//!   organisation see the whole event;
//! - other organisations see events of distribution 1–3, and of
//!   distribution 4 whose sharing group is one of theirs;
//! - inside such an event they see only live attributes, objects and
//!   reports that are *shared*: distribution 1, 2, 3 or 5 (the event's own),
//!   or 4 with one of their sharing groups. An attribute inside an object is
//!   seen only when the object is seen too.
//!
//! This is the rule of the event view (`scope_for` and `Scope::shows` in
//! cydef-http, which hold the same group list); searches, the events index,
//! sightings, the report index, tag counts and the event view's attribute
//! reads and counts use these conditions, so that they never match on,
//! count or reveal what the viewer cannot see.
//!
//! Every condition expects the event as `e`, the attribute as `a`, its
//! object (left-joined) or the object as `o`, and a report as `r`. Sharing
//! group ids are bound parameters; with no groups the distribution-4 branch
//! is left out.

use cydef_model::sharing_group::AuthorizedGroups;

use super::search::Sql;
use super::sightings::push_list;
use crate::{PartFilter, Viewer};

/// Distributions of events shared beyond their organisation (not 4).
const SHARED_EVENT: &str = "(1, 2, 3)";
/// Distributions of parts shared beyond their organisation (not 4): 5 is
/// "the event's own", and the event is visible already.
const SHARED_PART: &str = "(1, 2, 3, 5)";

/// `alias` (an event, attribute, object or report) is open to an
/// organisation authorised for `groups`: a distribution in `open`, or 4 in
/// one of the groups.
fn shared(sql: &mut Sql, alias: &str, open: &str, groups: &AuthorizedGroups) {
    sql.push("(")
        .push(alias)
        .push(".distribution IN ")
        .push(open);
    if !groups.is_empty() {
        sql.push(" OR (")
            .push(alias)
            .push(".distribution = 4 AND ")
            .push(alias)
            .push(".sharing_group_id IN ");
        push_list(sql, groups.ids());
        sql.push(")");
    }
    sql.push(")");
}

/// `e` belongs to the viewer's organisation (or the viewer is a site admin):
/// every part of it is visible.
pub(crate) fn owns_event(sql: &mut Sql, v: &Viewer) {
    if v.site_admin {
        sql.push("(1 = 1)");
    } else {
        sql.push("(e.org_id = ")
            .bind(v.org_id)
            .push(" OR e.orgc_id = ")
            .bind(v.org_id)
            .push(")");
    }
}

/// The event `e` is visible to the viewer.
pub(crate) fn event_visible(sql: &mut Sql, v: &Viewer) {
    if v.site_admin {
        sql.push("(1 = 1)");
    } else {
        sql.push("(");
        owns_event(sql, v);
        sql.push(" OR ");
        shared(sql, "e", SHARED_EVENT, &v.sharing_groups);
        sql.push(")");
    }
}

/// What another organisation authorised for `groups` may see of a visible
/// event's attribute `a` (in object `o`, left-joined).
pub(crate) fn shared_attribute(sql: &mut Sql, groups: &AuthorizedGroups) {
    sql.push("(a.deleted = FALSE AND ");
    shared(sql, "a", SHARED_PART, groups);
    sql.push(" AND (a.object_id IS NULL OR (o.deleted = FALSE AND ");
    shared(sql, "o", SHARED_PART, groups);
    sql.push(")))");
}

/// A part of event `e` is visible: to site admins and the event's owners
/// always; to others when the event is shared with them and `shared_part`
/// (the part's own condition) holds.
fn part_visible(sql: &mut Sql, v: &Viewer, shared_part: impl FnOnce(&mut Sql)) {
    if v.site_admin {
        sql.push("(1 = 1)");
    } else {
        sql.push("(");
        owns_event(sql, v);
        sql.push(" OR (");
        shared(sql, "e", SHARED_EVENT, &v.sharing_groups);
        sql.push(" AND ");
        shared_part(sql);
        sql.push("))");
    }
}

/// The attribute `a` (in event `e`, object `o`) is visible to the viewer.
pub(crate) fn attribute_visible(sql: &mut Sql, v: &Viewer) {
    part_visible(sql, v, |sql| shared_attribute(sql, &v.sharing_groups));
}

/// The object `o` (in event `e`) is visible to the viewer.
pub(crate) fn object_visible(sql: &mut Sql, v: &Viewer) {
    part_visible(sql, v, |sql| {
        sql.push("o.deleted = FALSE AND ");
        shared(sql, "o", SHARED_PART, &v.sharing_groups);
    });
}

/// The report `r` (in event `e`) is visible to the viewer.
pub(crate) fn report_visible(sql: &mut Sql, v: &Viewer) {
    part_visible(sql, v, |sql| {
        sql.push("r.deleted = FALSE AND ");
        shared(sql, "r", SHARED_PART, &v.sharing_groups);
    });
}

/// ` AND …` conditions on the attribute `a` alone (not its object) for a
/// [`PartFilter`] of the event view.
pub(crate) fn part_filter(sql: &mut Sql, filter: &PartFilter) {
    if filter.live_only {
        sql.push(" AND NOT a.deleted");
    }
    if let Some(groups) = &filter.shared_with {
        sql.push(" AND ");
        shared(sql, "a", SHARED_PART, groups);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::search::Arg;

    fn viewer(org_id: i64, site_admin: bool, groups: &[i64]) -> Viewer {
        Viewer {
            org_id,
            site_admin,
            sharing_groups: AuthorizedGroups::new(groups.iter().copied()),
        }
    }

    #[test]
    fn site_admins_see_everything() {
        let mut sql = Sql::default();
        attribute_visible(&mut sql, &viewer(1, true, &[4]));
        assert_eq!(sql.text, "(1 = 1)");
        assert!(sql.args.is_empty());
    }

    #[test]
    fn other_organisations_see_shared_parts() {
        let mut sql = Sql::default();
        attribute_visible(&mut sql, &viewer(7, false, &[]));
        assert_eq!(
            sql.text,
            "((e.org_id = $1 OR e.orgc_id = $2) OR ((e.distribution IN (1, 2, 3)) AND \
             (a.deleted = FALSE AND (a.distribution IN (1, 2, 3, 5)) AND (a.object_id IS NULL \
             OR (o.deleted = FALSE AND (o.distribution IN (1, 2, 3, 5)))))))"
        );
        assert_eq!(sql.args, vec![Arg::Int(7), Arg::Int(7)]);
    }

    #[test]
    fn sharing_group_members_see_their_groups_parts() {
        let mut sql = Sql::default();
        attribute_visible(&mut sql, &viewer(7, false, &[9, 3]));
        for alias in ["e", "a", "o"] {
            assert!(
                sql.text.contains(&format!(
                    "{alias}.distribution = 4 AND {alias}.sharing_group_id IN ("
                )),
                "{alias}: {}",
                sql.text
            );
        }
        // The event's, the attribute's and the object's groups, each bound.
        assert_eq!(sql.text.matches('$').count(), sql.args.len());
        assert_eq!(
            sql.args.iter().filter(|a| **a == Arg::Int(3)).count(),
            3,
            "{:?}",
            sql.args
        );

        let mut sql = Sql::default();
        event_visible(&mut sql, &viewer(7, false, &[3]));
        assert_eq!(
            sql.text,
            "((e.org_id = $1 OR e.orgc_id = $2) OR (e.distribution IN (1, 2, 3) \
             OR (e.distribution = 4 AND e.sharing_group_id IN ($3))))"
        );
    }

    #[test]
    fn the_view_filter_keeps_shared_live_attributes() {
        let mut sql = Sql::default();
        part_filter(
            &mut sql,
            &PartFilter {
                shared_with: Some(AuthorizedGroups::new([5])),
                live_only: true,
            },
        );
        assert_eq!(
            sql.text,
            " AND NOT a.deleted AND (a.distribution IN (1, 2, 3, 5) \
             OR (a.distribution = 4 AND a.sharing_group_id IN ($1)))"
        );
        let mut sql = Sql::default();
        part_filter(&mut sql, &PartFilter::default());
        assert!(sql.text.is_empty());
    }
}
