//! Lookups over MISP's attribute type table (see [`crate::describe_types`]).

use serde_json::{json, Map, Value};

use crate::describe_types::{SaneDefault, CATEGORIES, CATEGORY_TYPES, SANE_DEFAULTS, TYPES};

/// Whether `name` is one of MISP's attribute types.
pub fn is_type(name: &str) -> bool {
    TYPES.contains(&name)
}

/// Whether `name` is one of MISP's categories.
pub fn is_category(name: &str) -> bool {
    CATEGORIES.contains(&name)
}

/// A type's default category and `to_ids`.
pub fn sane_default(type_name: &str) -> Option<&'static SaneDefault> {
    SANE_DEFAULTS.iter().find(|d| d.type_name == type_name)
}

/// Whether `category` allows `type_name`.
pub fn category_allows(category: &str, type_name: &str) -> bool {
    CATEGORY_TYPES
        .iter()
        .find(|(c, _)| *c == category)
        .is_some_and(|(_, types)| types.contains(&type_name))
}

/// The body of `attributes/describeTypes.json` (the `result` object), in MISP's
/// key order.
pub fn describe_types() -> Value {
    let mut sane = Map::new();
    for d in SANE_DEFAULTS {
        sane.insert(
            d.type_name.to_owned(),
            json!({"default_category": d.default_category, "to_ids": i32::from(d.to_ids)}),
        );
    }
    let mut mappings = Map::new();
    for (category, types) in CATEGORY_TYPES {
        mappings.insert((*category).to_owned(), json!(types));
    }
    json!({
        "sane_defaults": sane,
        "types": TYPES,
        "categories": CATEGORIES,
        "category_type_mappings": mappings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_lookups() {
        assert_eq!(TYPES.len(), 194);
        assert_eq!(CATEGORIES.len(), 16);
        assert!(is_type("ip-dst|port"));
        assert!(!is_type("ip-dst|portx"));
        assert!(category_allows("Network activity", "ip-dst"));
        assert!(!category_allows("Network activity", "md5"));
        let d = sane_default("md5").expect("md5 is a type");
        assert_eq!(d.default_category, "Payload delivery");
        assert!(d.to_ids);
    }
}
