//! The served OpenAPI document as a contract: [`Contract::check`] takes a real response and
//! fails the test when its status, media type or JSON body is not what the document says for
//! that operation. The schema check covers what the document uses: `$ref`, `allOf`, `oneOf`,
//! `type` (with `"null"`), `properties`/`required`, `items`, `enum` and `const`.

use serde_json::Value;

use super::TestServer;

pub struct Contract {
    doc: Value,
    /// Operations checked so far, `METHOD template status`.
    pub checked: std::collections::BTreeSet<String>,
}

impl Contract {
    pub async fn of(s: &TestServer) -> Self {
        let doc = s.get("/openapi.json").await.json().await.unwrap();
        Contract {
            doc,
            checked: Default::default(),
        }
    }

    /// Checks `res`, the answer to `method template` (the path as the document writes it),
    /// against the document, and returns its status and body (JSON, or the text as a string).
    pub async fn check(
        &mut self,
        method: &str,
        template: &str,
        res: reqwest::Response,
    ) -> (u16, Value) {
        let status = res.status().as_u16();
        let media = res
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").trim().to_owned());
        let text = res.text().await.unwrap();
        let op = format!("{method} {template} {status}");
        let documented = self.doc["paths"][template][method.to_lowercase()]["responses"]
            [status.to_string()]
        .clone();
        assert!(
            documented.is_object(),
            "{op} is not in the document; body: {text}"
        );
        self.checked.insert(op.clone());
        let content = &documented["content"];
        if text.is_empty() {
            let said_empty = documented["description"]
                .as_str()
                .is_some_and(|d| d.contains("empty body"));
            assert!(
                content.is_null() || said_empty,
                "{op}: the document promises a body, the server sent none"
            );
            return (status, Value::Null);
        }
        let media = media.unwrap_or_else(|| panic!("{op}: a body without a Content-Type"));
        let Some(schema) = content.get(&media).map(|c| &c["schema"]) else {
            panic!("{op}: {media} is not among the documented media types {content}");
        };
        if !media.contains("json") {
            return (status, Value::String(text));
        }
        let body: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{op}: {media} that is not JSON ({e}): {text}"));
        let mut errors = Vec::new();
        self.validate(schema, &body, "$", &mut errors);
        assert!(
            errors.is_empty(),
            "{op}: the body does not match its schema:\n  {}\nbody: {body:#}",
            errors.join("\n  ")
        );
        (status, body)
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema["$ref"].as_str() {
            Some(r) => {
                let name = r
                    .strip_prefix("#/components/schemas/")
                    .unwrap_or_else(|| panic!("a reference outside the schemas: {r}"));
                let target = &self.doc["components"]["schemas"][name];
                assert!(target.is_object(), "{r} resolves to nothing");
                self.resolve(target)
            }
            None => schema,
        }
    }

    fn validate(&self, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
        let schema = self.resolve(schema);
        if let Some(all) = schema["allOf"].as_array() {
            for s in all {
                self.validate(s, v, at, errors);
            }
        }
        if let Some(one) = schema["oneOf"].as_array() {
            let matching = one
                .iter()
                .filter(|s| {
                    let mut e = Vec::new();
                    self.validate(s, v, at, &mut e);
                    e.is_empty()
                })
                .count();
            if matching != 1 {
                errors.push(format!(
                    "{at}: matches {matching} of oneOf's {} schemas",
                    one.len()
                ));
            }
        }
        if let Some(c) = schema.get("const")
            && c != v
        {
            errors.push(format!("{at}: {v} is not the constant {c}"));
        }
        if let Some(values) = schema["enum"].as_array()
            && !values.contains(v)
        {
            errors.push(format!("{at}: {v} is not one of {values:?}"));
        }
        let types: Vec<&str> = match &schema["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => return,
        };
        let actual = match v {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let fits = types.contains(&actual) || (actual == "integer" && types.contains(&"number"));
        if !fits {
            errors.push(format!("{at}: a(n) {actual}, the schema says {types:?}"));
            return;
        }
        match v {
            Value::Object(o) => {
                for r in schema["required"].as_array().into_iter().flatten() {
                    let name = r.as_str().unwrap_or_default();
                    if !o.contains_key(name) {
                        errors.push(format!("{at}: the required {name} is missing"));
                    }
                }
                for (name, s) in schema["properties"].as_object().into_iter().flatten() {
                    if let Some(value) = o.get(name) {
                        self.validate(s, value, &format!("{at}.{name}"), errors);
                    }
                }
            }
            Value::Array(items) => {
                if let Some(s) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.validate(s, item, &format!("{at}[{i}]"), errors);
                    }
                }
            }
            _ => {}
        }
    }
}
