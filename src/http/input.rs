//! Input that no handler can store: a NUL character (`%00`, `\u0000`) in the address, the query
//! or a form field. PostgreSQL refuses it in text, so it is refused here, at the edge, with a
//! 400 that names the field — before any handler or query sees it. JSON bodies are checked by
//! [`super::problem::ApiJson`] the same way.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::BODY_LIMIT;
use super::problem::Problem;

/// The middleware.
pub async fn reject_nul(req: Request, next: Next) -> Response {
    if has_nul(req.uri().path()) {
        return nul_problem("the address").into_response();
    }
    if let Some(field) = req.uri().query().and_then(nul_field) {
        return nul_problem(&format!("the query parameter '{field}'")).into_response();
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            return Problem::new(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                "Payload Too Large",
            )
            .with_detail("the form is larger than this server accepts")
            .into_response();
        }
    };
    if let Some(field) = nul_field(&String::from_utf8_lossy(&bytes)) {
        return nul_problem(&format!("the form field '{field}'")).into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn nul_problem(what: &str) -> Problem {
    Problem::bad_request(format!(
        "{what} contains a NUL character (%00 or \\u0000), which is not allowed"
    ))
}

fn has_nul(raw: &str) -> bool {
    raw.contains('\0') || raw.to_ascii_lowercase().contains("%00")
}

/// The name of the first `key=value` pair of a query or form whose key or value holds a NUL.
fn nul_field(raw: &str) -> Option<String> {
    raw.split('&').find(|pair| has_nul(pair)).map(|pair| {
        let key = pair.split_once('=').map_or(pair, |(k, _)| k);
        // The name as sent, shortened and without the NUL itself.
        key.replace('\0', "")
            .replace("%00", "")
            .chars()
            .take(64)
            .collect()
    })
}

/// The JSON path (`/a/0/b`) of the first string or key holding a NUL character, if any.
/// `bytes` is only parsed when it might hold one.
pub fn json_nul_path(bytes: &[u8]) -> Option<String> {
    let maybe = bytes.contains(&0) || bytes.windows(6).any(|w| w == b"\\u0000");
    if !maybe {
        return None;
    }
    let value: Value = serde_json::from_slice(bytes).ok()?;
    find_nul(&value, String::new())
}

fn find_nul(v: &Value, path: String) -> Option<String> {
    match v {
        Value::String(s) if s.contains('\0') => {
            Some(if path.is_empty() { "/".into() } else { path })
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| find_nul(item, format!("{path}/{i}"))),
        Value::Object(map) => map.iter().find_map(|(k, item)| {
            let here = format!("{path}/{}", k.replace('\0', ""));
            if k.contains('\0') {
                Some(here)
            } else {
                find_nul(item, here)
            }
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_in_queries_forms_and_json_is_found_by_name() {
        assert_eq!(nul_field("a=1&name=x%00y"), Some("name".into()));
        assert_eq!(nul_field("a=1&b%00c=2"), Some("bc".into()));
        assert_eq!(
            nul_field("a=%2500"),
            None,
            "an encoded percent sign is fine"
        );
        assert_eq!(nul_field("a=1&b=2"), None);
        assert_eq!(
            json_nul_path(br#"{"a": [1, {"b": "x\u0000"}]}"#),
            Some("/a/1/b".into())
        );
        assert_eq!(
            json_nul_path(br#"{"a": "\\u0000"}"#),
            None,
            "an escaped backslash"
        );
        assert_eq!(json_nul_path(br#"{"a": "b"}"#), None);
    }
}
