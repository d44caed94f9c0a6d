//! Errors as RFC 9457 ProblemDetails in Altinn's shape (`spec/authentication-api.md` §0.4), each
//! with the trace id of the request, and the JSON body extractor that turns every malformed
//! body into one.

use std::borrow::Cow;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

tokio::task_local! {
    /// The W3C trace id of the request being served (set by the request middleware).
    pub static TRACE_ID: String;
}

/// The current request's trace id in `traceparent` form, or a fresh one outside a request.
pub fn current_trace_id() -> String {
    TRACE_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| new_trace_id())
}

pub fn new_trace_id() -> String {
    let trace = uuid::Uuid::new_v4().simple().to_string();
    let span = &uuid::Uuid::new_v4().simple().to_string()[..16];
    format!("00-{trace}-{span}-01")
}

/// One entry of a validation problem: a code, what it means and where.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ValidationError {
    pub code: String,
    pub title: String,
    pub paths: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Extension members, written at the error's top level (Altinn's style).
    #[serde(flatten)]
    #[schema(ignore)]
    pub extensions: Map<String, Value>,
}

#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    pub code: Option<&'static str>,
    pub title: Cow<'static, str>,
    pub detail: Option<String>,
    pub validation_errors: Vec<ValidationError>,
    /// Extra top-level members (Altinn writes extension keys at the top level).
    pub extensions: Option<Box<Map<String, Value>>>,
}

impl Problem {
    pub fn new(status: StatusCode, title: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            code: None,
            title: title.into(),
            detail: None,
            validation_errors: Vec::new(),
            extensions: None,
        }
    }

    /// The problem of one of Altinn's codes (its status and title from the table).
    pub fn of(code: crate::domain::problem_codes::ProblemCode) -> Self {
        let status = StatusCode::from_u16(code.status).unwrap_or(StatusCode::BAD_REQUEST);
        Self::coded(status, code.code, code.title)
    }

    /// A problem with an `AUTH-xxxxx`-style code.
    pub fn coded(
        status: StatusCode,
        code: &'static str,
        title: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            code: Some(code),
            ..Self::new(status, title)
        }
    }

    /// Altinn's validation problem (`STD-00000`) carrying every error.
    pub fn validation(errors: Vec<ValidationError>) -> Self {
        Self {
            validation_errors: errors,
            ..Self::coded(
                StatusCode::BAD_REQUEST,
                "STD-00000",
                "One or more validation errors occurred.",
            )
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// The problem with the extension member `name` (written at the top level).
    pub fn with_extension(mut self, name: &str, value: Value) -> Self {
        self.extensions
            .get_or_insert_default()
            .insert(name.to_owned(), value);
        self
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Bad Request").with_detail(detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not Found").with_detail(detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Unauthorized").with_detail(detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "Forbidden").with_detail(detail)
    }

    /// For failures that are ours, not the caller's: the details go to the log, not the body.
    /// A database that is overloaded (no connection came free in time, SQLite stayed locked)
    /// gives a 503 with `Retry-After` instead: the caller may try again.
    pub fn internal(error: &(dyn std::error::Error + 'static)) -> Self {
        if is_unavailable(error) {
            tracing::warn!(error = %error, "request refused: the database is overloaded");
            return Self::unavailable(
                "The server is busy; try again in a moment. The trace id identifies the request in the server log.",
            );
        }
        tracing::error!(error = %error, "request failed");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            .with_detail("The server could not complete the request. The trace id identifies it in the server log.")
    }

    /// 503 with `Retry-After` (added when the response is written).
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").with_detail(detail)
    }

    pub fn body(&self) -> ProblemBody<'_> {
        let status = self.status.as_u16();
        const RESERVED: [&str; 8] = [
            "type",
            "title",
            "status",
            "traceId",
            "statusDescription",
            "code",
            "detail",
            "validationErrors",
        ];
        ProblemBody {
            kind: match &self.code {
                Some(code) => format!("urn:altinn:error:{code}"),
                None => rfc9110_section(status),
            },
            title: &self.title,
            status,
            trace_id: current_trace_id(),
            status_description: self.status.canonical_reason().unwrap_or(""),
            code: self.code,
            detail: self.detail.as_deref(),
            validation_errors: &self.validation_errors,
            extensions: self
                .extensions
                .iter()
                .flat_map(|m| m.iter())
                .filter(|(k, _)| !RESERVED.contains(&k.as_str()))
                .map(|(k, v)| (k.as_str(), v))
                .collect(),
        }
    }
}

/// The ProblemDetails body in Altinn's shape (RFC 9457); extension members at the top level.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ProblemDetails)]
pub struct ProblemBody<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    trace_id: String,
    status_description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    validation_errors: &'a [ValidationError],
    #[serde(flatten)]
    #[schema(ignore)]
    extensions: std::collections::BTreeMap<&'a str, &'a Value>,
}

fn rfc9110_section(status: u16) -> String {
    let section = match status {
        400 => "15.5.1",
        401 => "15.5.2",
        403 => "15.5.4",
        404 => "15.5.5",
        405 => "15.5.6",
        409 => "15.5.10",
        413 => "15.5.14",
        415 => "15.5.16",
        422 => "15.5.21",
        429 => "6.6",
        500 => "15.6.1",
        503 => "15.6.4",
        _ => "15",
    };
    format!("https://tools.ietf.org/html/rfc9110#section-{section}")
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = match serde_json::to_string(&self.body()) {
            Ok(body) => body,
            Err(e) => {
                tracing::error!(error = %e, "a problem could not be written as JSON");
                String::from("{}")
            }
        };
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE
            || self.status == StatusCode::TOO_MANY_REQUESTS
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        response
    }
}

impl From<crate::services::StoreError> for Problem {
    fn from(e: crate::services::StoreError) -> Self {
        Problem::internal(&e)
    }
}

/// `application/json` or any `application/…+json` type, as axum's `Json` accepts.
fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn unsupported_media_type() -> Problem {
    Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported Media Type")
        .with_detail("send the body as JSON with 'Content-Type: application/json'")
}

/// Whether `error`, or any error it was caused by, says the database is overloaded.
pub fn is_unavailable(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(db) = e.downcast_ref::<sqlx::Error>()
            && crate::services::is_unavailable(db)
        {
            return true;
        }
        if let Some(store) = e.downcast_ref::<crate::services::StoreError>()
            && store.is_unavailable()
        {
            return true;
        }
        next = e.source();
    }
    false
}

/// A JSON body. Unlike `axum::Json`, every way a body can be wrong becomes a ProblemDetails:
/// wrong content type (415), too large (413), not JSON or not UTF-8 (400), wrong shape (400).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(is_json);
        if !json {
            return Err(unsupported_media_type());
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| json_problem(JsonRejection::BytesRejection(e)))?;
        if let Some(path) = super::input::json_nul_path(&bytes) {
            return Err(Problem::bad_request(format!(
                "the field {path} contains a NUL character (\\u0000), which is not allowed"
            )));
        }
        axum::Json::<T>::from_bytes(&bytes)
            .map(|axum::Json(v)| ApiJson(v))
            .map_err(json_problem)
    }
}

fn json_problem(rejection: JsonRejection) -> Problem {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => unsupported_media_type(),
        JsonRejection::JsonSyntaxError(e) => {
            Problem::bad_request(format!("the body is not valid JSON: {}", e.body_text()))
        }
        JsonRejection::JsonDataError(e) => Problem::bad_request(format!(
            "the body does not have the expected shape: {}",
            e.body_text()
        )),
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "Payload Too Large")
                .with_detail("the body is larger than this endpoint accepts")
        }
        other => Problem::new(
            other.status(),
            other.status().canonical_reason().unwrap_or("Bad Request"),
        )
        .with_detail(other.body_text()),
    }
}

/// A token endpoint's error answer (RFC 6749 §5.2): 401 with `WWW-Authenticate` for
/// `invalid_client`, else 400; never cached.
pub fn token_error(error: &str, description: &str) -> Response {
    let body = axum::Json(OAuthErrorBody::new(error, description));
    if error == "invalid_client" {
        let challenge = format!("Basic realm=\"tilgang\", error=\"{error}\"");
        return (
            StatusCode::UNAUTHORIZED,
            [
                (header::CACHE_CONTROL, "no-store".to_owned()),
                (header::WWW_AUTHENTICATE, challenge),
            ],
            body,
        )
            .into_response();
    }
    (
        StatusCode::BAD_REQUEST,
        [(header::CACHE_CONTROL, "no-store")],
        body,
    )
        .into_response()
}

/// An OAuth error response (RFC 6749 §5.2, RFC 6750 §3.1).
#[derive(Serialize, utoipa::ToSchema)]
pub struct OAuthErrorBody<'a> {
    pub error: &'a str,
    pub error_description: &'a str,
}

impl<'a> OAuthErrorBody<'a> {
    pub fn new(error: &'a str, error_description: &'a str) -> Self {
        OAuthErrorBody {
            error,
            error_description,
        }
    }
}

/// The error bodies, for the OpenAPI document.
pub(crate) fn schemas(s: &mut crate::http::openapi::Schemas) {
    s.add::<ProblemBody>().add::<OAuthErrorBody>();
}
