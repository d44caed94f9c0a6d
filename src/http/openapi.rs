//! The OpenAPI 3.1 document: the operations are written by hand in `assets/openapi.json`
//! (summaries, the codes each can answer), the schemas of the bodies are generated from the
//! types that write them (`utoipa::ToSchema` on the wire structs) and merged in when the
//! document is served, so a body and its schema cannot drift apart. Each module with wire types
//! lists them in its own `schemas` function.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

use crate::config::{Config, Profile};

/// The hand-written part: paths, operations, responses, security.
pub(crate) const OPENAPI: &str = include_str!("../../assets/openapi.json");

/// The generated schemas by name, as `components.schemas` holds them.
#[derive(Default)]
pub struct Schemas(BTreeMap<String, RefOr<Schema>>);

impl Schemas {
    /// `T`'s schema under its own name, with the schemas it refers to.
    pub fn add<T: ToSchema>(&mut self) -> &mut Self {
        self.add_as::<T>(&T::name())
    }

    /// `T`'s schema under `name` (for a generic type given its parameters, e.g. a page of
    /// requests), with the schemas it refers to.
    pub fn add_as<T: ToSchema>(&mut self, name: &str) -> &mut Self {
        let mut referred = Vec::new();
        T::schemas(&mut referred);
        self.0.extend(referred);
        self.0.insert(name.to_owned(), T::schema());
        self
    }
}

/// Every schema a response of this server refers to.
pub fn schemas() -> Schemas {
    let mut s = Schemas::default();
    super::problem::schemas(&mut s);
    super::ops::schemas(&mut s);
    super::admin::schemas(&mut s);
    super::register::schemas(&mut s);
    super::catalogue::schemas(&mut s);
    super::issuer::schemas(&mut s);
    super::system_register::schemas(&mut s);
    super::system_users::wire::schemas(&mut s);
    super::agents::wire::schemas(&mut s);
    super::decisions::schemas(&mut s);
    super::idp::wire::schemas(&mut s);
    super::studio::gitea_wire::schemas(&mut s);
    s
}

/// The document with this server's public URL, only the routes of its profile, and the
/// generated schemas.
pub fn document(config: &Config) -> Value {
    static MERGED: LazyLock<Value> = LazyLock::new(hand_written);
    let mut doc = MERGED.clone();
    doc["servers"] = serde_json::json!([{ "url": config.public_url }]);
    if config.profile != Profile::Local
        && let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut)
    {
        paths.retain(|_, item| item.get("x-local-profile-only").is_none());
    }
    doc
}

/// `assets/openapi.json` with the generated schemas merged into `components.schemas`.
fn hand_written() -> Value {
    let mut doc: Value = serde_json::from_str(OPENAPI).unwrap_or_default();
    if let Some(components) = doc["components"]["schemas"].as_object_mut() {
        for (name, schema) in schemas().0 {
            components.insert(name, serde_json::to_value(schema).unwrap_or_default());
        }
    }
    doc
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

    fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
        let mut out = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                if METHODS.contains(&method.as_str()) {
                    out.push((method.to_uppercase(), path.clone(), op));
                }
            }
        }
        out
    }

    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r);
                }
                m.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn the_hand_written_part_is_json_with_every_operation() {
        let doc: Value = serde_json::from_str(OPENAPI).expect("assets/openapi.json is JSON");
        assert!(operations(&doc).len() > 180);
    }

    /// Every response that has a body says what it is: a schema for JSON, the media type for
    /// pages, scripts and text. Redirects and 204 have none; another success without a body
    /// says so ("empty body", as Altinn answers some deletes).
    #[test]
    fn every_response_with_a_body_has_its_content() {
        let doc = hand_written();
        let mut missing = Vec::new();
        for (method, path, op) in operations(&doc) {
            let responses = op["responses"].as_object().expect("responses");
            assert!(!responses.is_empty(), "{method} {path} has no responses");
            for (status, r) in responses {
                let bodiless = status == "204" || status.starts_with('3');
                let content = r["content"].as_object();
                if bodiless {
                    assert!(content.is_none(), "{method} {path} {status} has a body");
                    continue;
                }
                let Some(content) = content else {
                    let said_empty = r["description"]
                        .as_str()
                        .is_some_and(|d| d.contains("empty body"));
                    if !(status.starts_with('2') && said_empty) {
                        missing.push(format!("{method} {path} {status}"));
                    }
                    continue;
                };
                for (media, c) in content {
                    if media.contains("json") {
                        assert!(
                            c["schema"].is_object(),
                            "{method} {path} {status} {media} has no schema"
                        );
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "responses without content: {missing:#?}"
        );
    }

    /// Every path parameter is described, with its type.
    #[test]
    fn every_path_parameter_is_described() {
        let doc = hand_written();
        let mut missing = Vec::new();
        for (method, path, op) in operations(&doc) {
            let item = &doc["paths"][&path];
            let described: BTreeSet<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .chain(item["parameters"].as_array())
                .flatten()
                .filter(|p| p["in"] == "path" && p["schema"].is_object())
                .filter_map(|p| p["name"].as_str())
                .collect();
            for name in path.split('{').skip(1).filter_map(|s| s.split('}').next()) {
                if !described.contains(name) {
                    missing.push(format!("{method} {path}: {name}"));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "undescribed path parameters: {missing:#?}"
        );
    }

    /// Every `$ref` names a schema that exists, and every generated schema is used.
    #[test]
    fn every_reference_resolves_and_every_schema_is_used() {
        let doc = hand_written();
        let mut all = Vec::new();
        refs(&doc, &mut all);
        let used: BTreeSet<&str> = all
            .iter()
            .filter_map(|r| r.strip_prefix("#/components/schemas/"))
            .collect();
        let defined: BTreeSet<&str> = doc["components"]["schemas"]
            .as_object()
            .expect("schemas")
            .keys()
            .map(String::as_str)
            .collect();
        let dangling: Vec<_> = used.difference(&defined).collect();
        assert!(dangling.is_empty(), "references to no schema: {dangling:?}");
        let unused: Vec<_> = defined.difference(&used).collect();
        assert!(
            unused.is_empty(),
            "schemas no operation refers to: {unused:?}"
        );
        assert!(all.iter().all(|r| r.starts_with("#/components/")));
    }
}
