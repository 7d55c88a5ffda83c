//! `text`: the distinct values, one a line, in the order first found
//! (MISP's `TextExport`). The body always ends with a newline, so that an
//! empty result is a single empty line.

use std::collections::HashSet;

use super::{Exporter, Item};

/// The text export. It keeps the values written so far, to write each once.
#[derive(Debug, Default)]
pub struct Text {
    seen: HashSet<String>,
}

impl Exporter for Text {
    fn header(&mut self, _out: &mut String) {}

    fn attribute(&mut self, item: &Item<'_>, out: &mut String) {
        let value = item.attribute.value();
        if self.seen.contains(&value) {
            return;
        }
        if !self.seen.is_empty() {
            out.push('\n');
        }
        out.push_str(&value);
        self.seen.insert(value);
    }

    fn footer(&mut self, out: &mut String) {
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{attribute, attributes, event, item, one_event};
    use super::*;

    #[test]
    fn distinct_values_one_a_line() {
        let e = event(7);
        let a = attribute(1, "ip-dst", "198.51.100.7");
        let b = attribute(2, "ip-dst|port", "203.0.113.5|443");
        let c = attribute(3, "ip-src", "198.51.100.7");
        let items = [item(&a, &e), item(&b, &e), item(&c, &e)];
        assert_eq!(
            attributes(&mut Text::default(), &items),
            "198.51.100.7\n203.0.113.5|443\n"
        );
        assert_eq!(
            one_event(&mut Text::default(), &e, &items),
            "198.51.100.7\n203.0.113.5|443\n"
        );
    }

    #[test]
    fn empty_is_one_empty_line() {
        assert_eq!(attributes(&mut Text::default(), &[]), "\n");
    }
}
