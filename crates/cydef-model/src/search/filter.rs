//! One reader for every filter syntax MISP's clients send: a scalar, a list
//! whose `!`-prefixed items are negated, the old string form `a&&!b` (and
//! `a||b` from URLs), and `{"OR": [], "AND": [], "NOT": []}` objects.

use serde_json::Value;

use super::SearchError;

/// A filter on one field: a row matches when it matches at least one of
/// `any` (if there are any), every one of `all`, and none of `not`. An empty
/// filter does not filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter<T> {
    pub any: Vec<T>,
    pub all: Vec<T>,
    pub not: Vec<T>,
}

impl<T> Default for Filter<T> {
    fn default() -> Self {
        Self {
            any: Vec::new(),
            all: Vec::new(),
            not: Vec::new(),
        }
    }
}

impl<T> Filter<T> {
    pub fn is_empty(&self) -> bool {
        self.any.is_empty() && self.all.is_empty() && self.not.is_empty()
    }

    /// Whether the filter only selects (has no `NOT` items).
    pub fn is_positive_only(&self) -> bool {
        self.not.is_empty()
    }
}

/// Which list of a filter an item goes to.
#[derive(Clone, Copy)]
enum Slot {
    Any,
    All,
    Not,
}

impl Filter<String> {
    /// Reads a filter from any of the accepted shapes. Numbers count as
    /// their text (`0` is the value `"0"`); empty strings and `null` are no
    /// filter.
    pub fn parse(name: &str, v: &Value) -> Result<Self, SearchError> {
        let mut f = Filter::default();
        f.read(name, v, Slot::Any, true)?;
        // Repeated items once, in first-seen order (in linear time: lists
        // of tens of thousands of values are searched).
        for list in [&mut f.any, &mut f.all, &mut f.not] {
            let mut seen = std::collections::HashSet::with_capacity(list.len());
            list.retain(|item| seen.insert(item.clone()));
        }
        Ok(f)
    }

    fn push(&mut self, slot: Slot, item: &str) {
        let item = item.trim();
        let (slot, item) = match item.strip_prefix('!') {
            Some(rest) => (Slot::Not, rest.trim()),
            None => (slot, item),
        };
        if item.is_empty() {
            return;
        }
        let list = match slot {
            Slot::Any => &mut self.any,
            Slot::All => &mut self.all,
            Slot::Not => &mut self.not,
        };
        list.push(item.to_owned());
    }

    fn read(&mut self, name: &str, v: &Value, slot: Slot, top: bool) -> Result<(), SearchError> {
        match v {
            Value::Null => {}
            Value::String(s) => {
                // `a&&!b` and `a||b`: separators of a list (MISP's legacy
                // string syntax and its URL form).
                for part in s.split("&&").flat_map(|p| p.split("||")) {
                    self.push(slot, part);
                }
            }
            Value::Number(n) => self.push(slot, &n.to_string()),
            Value::Bool(b) => self.push(slot, if *b { "1" } else { "0" }),
            Value::Array(items) => {
                for item in items {
                    if item.is_array() || item.is_object() {
                        return Err(SearchError::invalid(name, "nested lists are not accepted"));
                    }
                    self.read(name, item, slot, false)?;
                }
            }
            Value::Object(map) if top => {
                for (k, inner) in map {
                    let slot = match k.to_ascii_uppercase().as_str() {
                        "OR" => Slot::Any,
                        "AND" => Slot::All,
                        "NOT" => Slot::Not,
                        // PHP-style lists arrive as objects with numeric keys.
                        key if key.parse::<u64>().is_ok() => slot,
                        _ => {
                            return Err(SearchError::invalid(
                                name,
                                &format!("unknown operator '{k}' (use OR, AND or NOT)"),
                            ))
                        }
                    };
                    match inner {
                        Value::Object(_) => {
                            return Err(SearchError::invalid(
                                name,
                                "nested objects are not accepted",
                            ))
                        }
                        other => self.read(name, other, slot, false)?,
                    }
                }
            }
            Value::Object(_) => {
                return Err(SearchError::invalid(
                    name,
                    "nested objects are not accepted",
                ))
            }
        }
        Ok(())
    }

    /// The same filter with every item read as an integer.
    pub fn ints(self, name: &str) -> Result<Filter<i64>, SearchError> {
        let conv = |v: Vec<String>| -> Result<Vec<i64>, SearchError> {
            v.into_iter()
                .map(|s| {
                    s.parse::<i64>()
                        .map_err(|_| SearchError::invalid(name, &format!("'{s}' is not a number")))
                })
                .collect()
        };
        Ok(Filter {
            any: conv(self.any)?,
            all: conv(self.all)?,
            not: conv(self.not)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn f(v: Value) -> Filter<String> {
        Filter::parse("x", &v).expect("a filter")
    }

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn scalars_lists_and_negation() {
        assert_eq!(f(json!("a")).any, strs(&["a"]));
        assert_eq!(f(json!(0)).any, strs(&["0"]));
        assert_eq!(f(json!("0")).any, strs(&["0"]));
        let l = f(json!(["a", "!b", " c ", ""]));
        assert_eq!(l.any, strs(&["a", "c"]));
        assert_eq!(l.not, strs(&["b"]));
        assert!(f(json!([])).is_empty());
        assert!(f(json!("")).is_empty());
        assert!(f(json!(null)).is_empty());
        assert!(f(json!("!")).is_empty());
        let l = f(json!(["b", "a", "b", " a", "!c", "c", "!c"]));
        assert_eq!(l.any, strs(&["b", "a", "c"]));
        assert_eq!(l.not, strs(&["c"]));
    }

    #[test]
    fn legacy_string_forms() {
        let l = f(json!("filename&&!filename|md5"));
        assert_eq!(l.any, strs(&["filename"]));
        assert_eq!(l.not, strs(&["filename|md5"]));
        let l = f(json!("md5||sha1"));
        assert_eq!(l.any, strs(&["md5", "sha1"]));
    }

    #[test]
    fn boolean_objects() {
        let l = f(json!({"OR": ["a", "b"], "AND": ["c"], "NOT": "d"}));
        assert_eq!(l.any, strs(&["a", "b"]));
        assert_eq!(l.all, strs(&["c"]));
        assert_eq!(l.not, strs(&["d"]));
        let l = f(json!({"or": [], "not": []}));
        assert!(l.is_empty());
        assert!(Filter::parse("x", &json!({"XOR": ["a"]})).is_err());
        assert!(Filter::parse("x", &json!([["a"]])).is_err());
    }

    #[test]
    fn integers() {
        let l = f(json!(["1", 2, "!3"])).ints("eventid").expect("ints");
        assert_eq!(l.any, vec![1, 2]);
        assert_eq!(l.not, vec![3]);
        assert!(f(json!(["x"])).ints("eventid").is_err());
    }
}
