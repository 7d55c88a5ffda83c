//! Who may see what: the one place the read rule is written as SQL.
//!
//! Site admins and the event's owning (`org_id`) or creating (`orgc_id`)
//! organisation see the whole event. Other organisations see events of
//! distribution 1–3 and, inside them, only live attributes and objects of
//! distribution 1, 2, 3 or 5 (an attribute inside an object is seen only when
//! the object is seen too). Sharing-group parts (4) stay with their
//! organisation until sharing groups exist. This is the rule of the event
//! view (`scope_for` and `Scope::shows` in cydef-http); searches use these
//! conditions so that they never match on, count or reveal what the viewer
//! cannot see.
//!
//! Every condition expects the event as `e`, the attribute as `a` and its
//! object, left-joined, as `o`.

use super::search::Sql;
use crate::Viewer;

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
        sql.push(" OR e.distribution IN (1, 2, 3))");
    }
}

/// What another organisation may see of a visible event's attribute `a`.
pub(crate) fn shared_attribute(sql: &mut Sql) {
    sql.push(
        "(a.deleted = FALSE AND a.distribution IN (1, 2, 3, 5) AND (a.object_id IS NULL \
         OR (o.deleted = FALSE AND o.distribution IN (1, 2, 3, 5))))",
    );
}

/// The attribute `a` (in event `e`, object `o`) is visible to the viewer.
pub(crate) fn attribute_visible(sql: &mut Sql, v: &Viewer) {
    if v.site_admin {
        sql.push("(1 = 1)");
    } else {
        sql.push("(");
        owns_event(sql, v);
        sql.push(" OR (e.distribution IN (1, 2, 3) AND ");
        shared_attribute(sql);
        sql.push("))");
    }
}

/// The object `o` (in event `e`) is visible to the viewer.
pub(crate) fn object_visible(sql: &mut Sql, v: &Viewer) {
    if v.site_admin {
        sql.push("(1 = 1)");
    } else {
        sql.push("(");
        owns_event(sql, v);
        sql.push(
            " OR (e.distribution IN (1, 2, 3) AND o.deleted = FALSE \
             AND o.distribution IN (1, 2, 3, 5)))",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_admins_see_everything() {
        let mut sql = Sql::default();
        attribute_visible(
            &mut sql,
            &Viewer {
                org_id: 1,
                site_admin: true,
            },
        );
        assert_eq!(sql.text, "(1 = 1)");
        assert!(sql.args.is_empty());
    }

    #[test]
    fn other_organisations_see_shared_parts() {
        let mut sql = Sql::default();
        attribute_visible(
            &mut sql,
            &Viewer {
                org_id: 7,
                site_admin: false,
            },
        );
        assert!(sql.text.starts_with("((e.org_id = $1 OR e.orgc_id = $2) OR (e.distribution IN (1, 2, 3) AND (a.deleted = FALSE"));
        assert_eq!(sql.args.len(), 2);
    }
}
