//! MISP object templates (the misp-objects `definition.json` files) and the
//! check of an object against its template.
//!
//! The check follows MISP's `ObjectTemplate::checkTemplateConformity`: every
//! `required` relation is present, at least one `requiredOneOf` relation is,
//! and a relation without the `multiple` flag is used at most once. Cydef adds
//! what MISP's add form enforces only in its user interface: an attribute
//! whose relation the template names must have the template's type
//! (`misp-attribute`, or one of `types`) and, when the template gives a
//! `values_list`, one of those values. Relations the template does not name
//! are accepted, as MISP accepts them.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::event::{NewObject, Rejection};
use crate::flex::{flex_bool, flex_i64};

/// One object relation of a template (MISP's `ObjectTemplateElement`).
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateElement {
    pub object_relation: String,
    /// The attribute type (`misp-attribute`).
    pub attr_type: String,
    /// Further allowed types, for templates that list several (`types`).
    pub types: Vec<String>,
    pub ui_priority: i64,
    pub categories: Vec<String>,
    pub sane_default: Vec<String>,
    pub values_list: Vec<String>,
    pub description: String,
    pub disable_correlation: Option<bool>,
    pub multiple: bool,
}

impl TemplateElement {
    /// Whether an attribute of `attr_type` may carry this relation.
    pub fn allows_type(&self, attr_type: &str) -> bool {
        self.attr_type == attr_type || self.types.iter().any(|t| t == attr_type)
    }

    /// The types this relation takes, `misp-attribute` first.
    pub fn allowed_types(&self) -> Vec<&str> {
        let mut out = vec![self.attr_type.as_str()];
        for t in &self.types {
            if !out.contains(&t.as_str()) {
                out.push(t);
            }
        }
        out
    }
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectTemplate {
    pub uuid: String,
    pub name: String,
    pub version: i64,
    pub description: String,
    pub meta_category: String,
    pub required: Vec<String>,
    pub required_one_of: Vec<String>,
    /// In the definition's order.
    pub elements: Vec<TemplateElement>,
}

#[derive(Deserialize)]
struct DefinitionIn {
    name: Option<String>,
    uuid: Option<String>,
    #[serde(default, deserialize_with = "flex_i64")]
    version: Option<i64>,
    #[serde(default)]
    description: Option<String>,
    #[serde(rename = "meta-category", default)]
    meta_category: Option<String>,
    #[serde(default)]
    required: Option<Vec<String>>,
    #[serde(rename = "requiredOneOf", default)]
    required_one_of: Option<Vec<String>>,
    #[serde(default)]
    attributes: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
struct ElementIn {
    #[serde(rename = "misp-attribute", default)]
    misp_attribute: Option<String>,
    #[serde(default)]
    types: Option<Vec<String>>,
    #[serde(rename = "ui-priority", default, deserialize_with = "flex_i64")]
    ui_priority: Option<i64>,
    #[serde(default)]
    categories: Option<Vec<String>>,
    #[serde(default)]
    sane_default: Option<Vec<Value>>,
    #[serde(default)]
    values_list: Option<Vec<Value>>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, deserialize_with = "flex_bool")]
    disable_correlation: Option<bool>,
    #[serde(default, deserialize_with = "flex_bool")]
    multiple: Option<bool>,
}

/// Scalar list entries as strings (numbers as written); others are dropped.
fn scalars(v: Option<Vec<Value>>) -> Vec<String> {
    v.unwrap_or_default()
        .into_iter()
        .filter_map(|v| match v {
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        })
        .collect()
}

impl ObjectTemplate {
    /// Reads a misp-objects `definition.json`. A template needs a name, a
    /// UUID and attributes each with a type; the version defaults to 1, as
    /// in MISP.
    pub fn from_definition(definition: &Value) -> Result<Self, String> {
        let d = DefinitionIn::deserialize(definition)
            .map_err(|e| format!("not a template definition: {e}"))?;
        let name = d
            .name
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .ok_or("the template has no name")?;
        let uuid = d
            .uuid
            .as_deref()
            .and_then(|u| uuid::Uuid::parse_str(u.trim()).ok())
            .map(|u| u.hyphenated().to_string())
            .ok_or_else(|| format!("the template {name} has no valid uuid"))?;
        let attributes = d
            .attributes
            .ok_or_else(|| format!("the template {name} has no attributes"))?;
        let mut elements = Vec::with_capacity(attributes.len());
        for (relation, raw) in attributes {
            let e: ElementIn = serde_json::from_value(raw)
                .map_err(|e| format!("{name}: the relation {relation} is malformed: {e}"))?;
            let types = e.types.unwrap_or_default();
            let attr_type = e
                .misp_attribute
                .filter(|t| !t.is_empty())
                .or_else(|| types.first().cloned())
                .ok_or_else(|| format!("{name}: the relation {relation} has no misp-attribute"))?;
            elements.push(TemplateElement {
                object_relation: relation,
                attr_type,
                types,
                ui_priority: e.ui_priority.unwrap_or(0),
                categories: e.categories.unwrap_or_default(),
                sane_default: scalars(e.sane_default),
                values_list: scalars(e.values_list),
                description: e.description.unwrap_or_default(),
                disable_correlation: e.disable_correlation,
                multiple: e.multiple.unwrap_or(false),
            });
        }
        Ok(Self {
            uuid,
            name,
            version: d.version.unwrap_or(1),
            description: d.description.unwrap_or_default(),
            meta_category: d.meta_category.unwrap_or_default(),
            required: d.required.unwrap_or_default(),
            required_one_of: d.required_one_of.unwrap_or_default(),
            elements,
        })
    }

    /// MISP's `requirements` column: only the lists the definition has.
    pub fn requirements(&self) -> Value {
        let mut m = Map::new();
        if !self.required.is_empty() {
            m.insert("required".into(), self.required.clone().into());
        }
        if !self.required_one_of.is_empty() {
            m.insert("requiredOneOf".into(), self.required_one_of.clone().into());
        }
        Value::Object(m)
    }

    pub fn element(&self, relation: &str) -> Option<&TemplateElement> {
        self.elements.iter().find(|e| e.object_relation == relation)
    }

    /// Checks the live attributes of an object against the template. `path`
    /// names the object in messages (`Object`, `Object[2]`); attribute
    /// rejections are `{path}.Attribute[i]`, with `i` the index in `attrs`.
    pub fn check(&self, path: &str, uuid: Option<&str>, attrs: &[AttrFacts<'_>]) -> Vec<Rejection> {
        let mut out = Vec::new();
        let live: Vec<(usize, &AttrFacts<'_>)> = attrs
            .iter()
            .enumerate()
            .filter(|(_, a)| !a.deleted)
            .collect();
        let has = |rel: &str| live.iter().any(|(_, a)| a.relation == Some(rel));
        for rel in &self.required {
            if !has(rel) {
                out.push(reject(
                    path,
                    uuid,
                    "Attribute",
                    format!("Could not save the object as a required attribute is not set ({rel})"),
                ));
            }
        }
        if !self.required_one_of.is_empty() && !self.required_one_of.iter().any(|r| has(r)) {
            out.push(reject(
                path,
                uuid,
                "Attribute",
                format!(
                    "Could not save the object as it requires at least one of the following attributes to be set: {}",
                    self.required_one_of.join(", ")
                ),
            ));
        }
        let mut seen: Vec<&str> = Vec::new();
        for (i, a) in &live {
            let Some(rel) = a.relation else { continue };
            let Some(el) = self.element(rel) else {
                // Unknown relations are accepted, as MISP does.
                continue;
            };
            let apath = format!("{path}.Attribute[{i}]");
            if !el.allows_type(a.attr_type) {
                out.push(reject(
                    &apath,
                    a.uuid,
                    "type",
                    format!(
                        "The object relation {rel} of the {} template takes the type {}, not {}.",
                        self.name,
                        el.allowed_types().join(" or "),
                        a.attr_type
                    ),
                ));
            }
            if !el.values_list.is_empty()
                && !el
                    .values_list
                    .iter()
                    .any(|v| v.trim().eq_ignore_ascii_case(a.value.trim()))
            {
                out.push(reject(
                    &apath,
                    a.uuid,
                    "value",
                    format!(
                        "The object relation {rel} of the {} template takes one of: {}.",
                        self.name,
                        el.values_list.join(", ")
                    ),
                ));
            }
            if !el.multiple {
                if seen.contains(&rel) {
                    out.push(reject(
                        &apath,
                        a.uuid,
                        "object_relation",
                        format!("Could not save the object as a unique relationship within the object was assigned to more than one attribute. This is only allowed if the multiple flag is set in the object template. ({rel})"),
                    ));
                } else {
                    seen.push(rel);
                }
            }
        }
        out
    }

    /// [`check`](Self::check) for a validated object.
    pub fn check_object(&self, path: &str, o: &NewObject) -> Vec<Rejection> {
        let facts: Vec<AttrFacts<'_>> = o
            .attributes
            .iter()
            .map(|a| AttrFacts {
                uuid: Some(&a.uuid),
                relation: a.object_relation.as_deref(),
                attr_type: &a.attr_type,
                value: &a.value,
                deleted: a.deleted,
            })
            .collect();
        self.check(path, Some(&o.uuid), &facts)
    }
}

fn reject(path: &str, uuid: Option<&str>, field: &'static str, message: String) -> Rejection {
    Rejection {
        path: path.to_owned(),
        uuid: uuid.map(str::to_owned),
        field,
        message,
    }
}

/// What the check needs to know of one attribute.
#[derive(Debug, Clone, Copy)]
pub struct AttrFacts<'a> {
    pub uuid: Option<&'a str>,
    pub relation: Option<&'a str>,
    pub attr_type: &'a str,
    pub value: &'a str,
    pub deleted: bool,
}

/// How an object names its template: by `template_uuid` when it gives one,
/// else by `name`. (An object with an unknown template UUID is a custom
/// object and is not checked against a same-named stock template.)
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TemplateKey {
    Uuid(String),
    Name(String),
}

impl TemplateKey {
    pub fn of(template_uuid: Option<&str>, name: &str) -> Option<Self> {
        match template_uuid.map(str::trim).filter(|u| !u.is_empty()) {
            Some(u) => uuid::Uuid::parse_str(u)
                .ok()
                .map(|u| Self::Uuid(u.hyphenated().to_string())),
            None => {
                let name = name.trim();
                (!name.is_empty()).then(|| Self::Name(name.to_owned()))
            }
        }
    }

    /// The key of a validated object; `None` for a soft-deleted one, which
    /// is not checked.
    pub fn for_object(o: &NewObject) -> Option<Self> {
        if o.deleted {
            return None;
        }
        Self::of(o.template_uuid.as_deref(), &o.name)
    }
}

/// A template to store: the parsed template and its definition as JSON text.
#[derive(Debug, Clone, PartialEq)]
pub struct NewObjectTemplate {
    pub template: ObjectTemplate,
    pub definition: String,
}

impl NewObjectTemplate {
    pub fn from_definition(definition: &Value) -> Result<Self, String> {
        Ok(Self {
            template: ObjectTemplate::from_definition(definition)?,
            definition: definition.to_string(),
        })
    }
}

/// A stored template row.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredObjectTemplate {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub version: i64,
    pub description: String,
    pub meta_category: String,
    /// JSON text, MISP's `{"required": […], "requiredOneOf": […]}`.
    pub requirements: String,
    /// The whole definition.json, as JSON text.
    pub definition: String,
    pub fixed: bool,
    pub active: bool,
}

impl StoredObjectTemplate {
    /// The parsed template.
    pub fn template(&self) -> Result<ObjectTemplate, String> {
        let v: Value = serde_json::from_str(&self.definition)
            .map_err(|e| format!("stored definition of {}: {e}", self.name))?;
        ObjectTemplate::from_definition(&v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn domain_ip() -> ObjectTemplate {
        ObjectTemplate::from_definition(&json!({
            "name": "domain-ip", "uuid": "43B3B146-77eb-4931-b4cc-b66c60f28734", "version": 11,
            "meta-category": "network", "description": "d",
            "requiredOneOf": ["ip", "domain"],
            "attributes": {
                "domain": {"misp-attribute": "domain", "multiple": true, "ui-priority": 1},
                "ip": {"misp-attribute": "ip-dst", "multiple": true, "ui-priority": 1},
                "text": {"misp-attribute": "text", "ui-priority": 1},
                "state": {"misp-attribute": "text", "values_list": ["Malicious", "Harmless"], "ui-priority": 0}
            }
        }))
        .expect("a valid template")
    }

    fn fact<'a>(rel: &'a str, t: &'a str, v: &'a str) -> AttrFacts<'a> {
        AttrFacts {
            uuid: None,
            relation: Some(rel),
            attr_type: t,
            value: v,
            deleted: false,
        }
    }

    #[test]
    fn parses_definitions() {
        let t = domain_ip();
        assert_eq!(t.uuid, "43b3b146-77eb-4931-b4cc-b66c60f28734");
        assert_eq!(t.version, 11);
        assert_eq!(t.elements.len(), 4);
        assert_eq!(t.requirements(), json!({"requiredOneOf": ["ip", "domain"]}));
        assert!(ObjectTemplate::from_definition(&json!({"name": "x"})).is_err());
        assert!(ObjectTemplate::from_definition(
            &json!({"name": "x", "uuid": "nope", "attributes": {}})
        )
        .is_err());
    }

    #[test]
    fn checks_requirements_types_values_and_multiple() {
        let t = domain_ip();
        assert!(t
            .check("Object", None, &[fact("ip", "ip-dst", "1.2.3.4")])
            .is_empty());
        // Unknown relations are accepted.
        assert!(t
            .check(
                "Object",
                None,
                &[fact("ip", "ip-dst", "1.2.3.4"), fact("x", "text", "y")]
            )
            .is_empty());
        let r = t.check("Object", None, &[fact("text", "text", "a")]);
        assert_eq!(r.len(), 1);
        assert!(
            r[0].message
                .contains("at least one of the following attributes"),
            "{r:?}"
        );
        let r = t.check("Object", None, &[fact("ip", "domain", "a.example")]);
        assert_eq!(r[0].path, "Object.Attribute[0]");
        assert_eq!(r[0].field, "type");
        let r = t.check(
            "Object",
            None,
            &[
                fact("ip", "ip-dst", "1.2.3.4"),
                fact("state", "text", "nice"),
            ],
        );
        assert_eq!(r[0].field, "value");
        assert!(t
            .check(
                "Object",
                None,
                &[
                    fact("ip", "ip-dst", "1.2.3.4"),
                    fact("state", "text", "malicious")
                ]
            )
            .is_empty());
        let r = t.check(
            "Object",
            None,
            &[
                fact("ip", "ip-dst", "1.2.3.4"),
                fact("text", "text", "a"),
                fact("text", "text", "b"),
            ],
        );
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].path, "Object.Attribute[2]");
        // Deleted attributes count for nothing.
        let mut gone = fact("ip", "ip-dst", "1.2.3.4");
        gone.deleted = true;
        assert_eq!(t.check("Object", None, &[gone]).len(), 1);
    }

    #[test]
    fn required_relations() {
        let t = ObjectTemplate::from_definition(&json!({
            "name": "file", "uuid": "688c46fb-5edb-40a3-8273-1af7923e2215", "version": 1,
            "required": ["filename"],
            "attributes": {"filename": {"misp-attribute": "filename"}, "md5": {"misp-attribute": "md5"}}
        }))
        .expect("template");
        let r = t.check("Object", None, &[fact("md5", "md5", "x")]);
        assert_eq!(
            r[0].message,
            "Could not save the object as a required attribute is not set (filename)"
        );
    }

    #[test]
    fn template_keys() {
        assert_eq!(
            TemplateKey::of(Some("43B3B146-77EB-4931-B4CC-B66C60F28734"), "x"),
            Some(TemplateKey::Uuid(
                "43b3b146-77eb-4931-b4cc-b66c60f28734".into()
            ))
        );
        assert_eq!(
            TemplateKey::of(None, " file "),
            Some(TemplateKey::Name("file".into()))
        );
        assert_eq!(TemplateKey::of(Some("custom"), "file"), None);
    }
}
