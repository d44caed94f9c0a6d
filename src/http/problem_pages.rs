//! Problems shown to people as pages: a handler that ends with a problem document
//! (`application/problem+json`, say a storage outage, a missing authority or a bad search
//! raised with `?`) answers a browser that navigated to the address (see [`is_navigation`])
//! with a page in the person's language instead: what happened, in words, the problem's own detail for the
//! 4xx answers, the trace id to quote to support, and a way on. The status and the headers that
//! matter (`Retry-After`, `WWW-Authenticate`, cookies) stay. API clients get the problem as
//! before.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::Value;

use super::AppState;
use super::html::{Lang, Link, message, private, texts};

/// The most of a problem document read (they are a few hundred bytes).
const MAX_PROBLEM: usize = 64 * 1024;

texts! {
    pub struct ProblemTexts {
        bad_request: ["Noe er feil i det som ble sendt", "Noko er feil i det som vart sendt", "Something is wrong in what was sent"],
        unauthorized: ["Du må logge inn", "Du må logge inn", "You need to log in"],
        forbidden: ["Du har ikke tilgang", "Du har ikkje tilgang", "You do not have access"],
        not_found: ["Fant ikke det du så etter", "Fann ikkje det du såg etter", "What you looked for was not found"],
        conflict: ["Det har endret seg i mellomtiden", "Det har endra seg i mellomtida", "It changed in the meantime"],
        too_many: ["For mange forsøk", "For mange forsøk", "Too many attempts"],
        other_client: ["Det gikk ikke", "Det gjekk ikkje", "That did not work"],
        server: ["Noe gikk galt hos oss", "Noko gjekk gale hos oss", "Something went wrong on our side"],
        unavailable: ["Tjenesten er travel akkurat nå", "Tenesta er travel akkurat no", "The service is busy right now"],
        try_later: [
            "Prøv igjen om litt. Hvis det ikke går over, oppgi sporingskoden under til brukerstøtte.",
            "Prøv igjen om litt. Viss det ikkje går over, oppgi sporingskoden under til brukarstøtte.",
            "Try again in a moment. If it does not pass, give support the trace code below.",
        ],
        what_said: ["Dette svarte tjenesten:", "Dette svarte tenesta:", "The service said:"],
        trace: ["Sporingskode", "Sporingskode", "Trace code"],
        back: ["Til forsiden", "Til framsida", "To the front page"],
    }
}

/// Whether a person's browser navigated here: Fetch Metadata says so (`Sec-Fetch-Dest:
/// document`, every current browser), or, from a browser without it, `Accept` names XHTML
/// (browsers do; HTTP libraries that merely list `text/html`, such as the JDK's, do not).
pub fn is_navigation(headers: &axum::http::HeaderMap) -> bool {
    match headers.get("sec-fetch-dest").and_then(|v| v.to_str().ok()) {
        Some(dest) => dest.eq_ignore_ascii_case("document"),
        None => headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("application/xhtml+xml")),
    }
}

fn is_problem(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"))
}

/// The page's heading for a status.
fn heading(t: &'static ProblemTexts, status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 | 422 => t.bad_request,
        401 => t.unauthorized,
        403 => t.forbidden,
        404 | 410 => t.not_found,
        409 | 412 => t.conflict,
        429 => t.too_many,
        503 => t.unavailable,
        s if s >= 500 => t.server,
        _ => t.other_client,
    }
}

/// The middleware (see the module's documentation).
pub async fn problems_as_pages(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let navigation = is_navigation(req.headers());
    let (mut parts, body) = req.into_parts();
    let Ok(lang) = Lang::from_request_parts(&mut parts, &state).await;
    let mut response = next.run(Request::from_parts(parts, body)).await;
    if !is_problem(&response) {
        return response;
    }
    // The same address answers a page or a problem: caches must tell them apart.
    response.headers_mut().insert(
        header::VARY,
        HeaderValue::from_static("Accept, Sec-Fetch-Dest"),
    );
    if !navigation {
        return response;
    }
    let (head, body) = response.into_parts();
    let problem: Value = match axum::body::to_bytes(body, MAX_PROBLEM).await {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        Err(e) => {
            tracing::warn!(error = %e, "a problem document could not be read");
            Value::Null
        }
    };
    let t = ProblemTexts::of(lang);
    let field = |name: &str| problem.get(name).and_then(Value::as_str).unwrap_or("");
    let mut text = if head.status.is_server_error() {
        t.try_later.to_owned()
    } else {
        let said = [field("title"), field("detail")]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(": ");
        if said.is_empty() {
            String::new()
        } else {
            format!("{} {said}", t.what_said)
        }
    };
    if !field("traceId").is_empty() {
        text.push_str(&format!(" ({}: {})", t.trace, field("traceId")));
    }
    let mut page = private(message(
        &state,
        lang,
        head.status,
        heading(t, head.status),
        text.trim(),
        vec![Link::new("/", t.back)],
    ));
    for name in [
        header::RETRY_AFTER,
        header::WWW_AUTHENTICATE,
        header::SET_COOKIE,
        header::ALLOW,
    ] {
        for value in head.headers.get_all(&name) {
            page.headers_mut().append(name.clone(), value.clone());
        }
    }
    page.headers_mut().insert(
        header::VARY,
        HeaderValue::from_static("Accept, Sec-Fetch-Dest"),
    );
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_browser_navigation_gets_a_page() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut h = axum::http::HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, HeaderValue::from_static(v));
            }
            h
        };
        let chromium = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert!(is_navigation(&headers(&[
            ("accept", chromium),
            ("sec-fetch-dest", "document")
        ])));
        assert!(
            is_navigation(&headers(&[("accept", chromium)])),
            "an older browser"
        );
        assert!(
            !is_navigation(&headers(&[
                ("accept", chromium),
                ("sec-fetch-dest", "empty")
            ])),
            "fetch() from a page"
        );
        let jdk = "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2";
        assert!(
            !is_navigation(&headers(&[("accept", jdk)])),
            "the JDK's default"
        );
        assert!(!is_navigation(&headers(&[])));
    }

    #[test]
    fn every_status_has_a_heading_in_words() {
        let t = ProblemTexts::of(Lang::Nb);
        assert_eq!(heading(t, StatusCode::FORBIDDEN), "Du har ikke tilgang");
        assert_eq!(
            heading(t, StatusCode::SERVICE_UNAVAILABLE),
            "Tjenesten er travel akkurat nå"
        );
        assert_eq!(
            heading(t, StatusCode::INTERNAL_SERVER_ERROR),
            "Noe gikk galt hos oss"
        );
        assert_eq!(heading(t, StatusCode::IM_A_TEAPOT), "Det gikk ikke");
    }
}
