//! Server-rendered pages: escaping, the page frame with the test-instance banner, and the
//! choice of language (Norwegian bokmål by default, English on request).

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::config::Profile;
use crate::http::AppState;

/// Declares a page's words in bokmål, nynorsk and English: a struct with one `&'static str`
/// field per text and `of(lang)`. A text without all three languages does not compile.
macro_rules! texts {
    ($vis:vis struct $name:ident { $($field:ident: [$nb:expr, $nn:expr, $en:expr $(,)?]),* $(,)? }) => {
        $vis struct $name { $(pub $field: &'static str),* }

        impl $name {
            pub fn of(lang: $crate::http::html::Lang) -> &'static Self {
                const NB: $name = $name { $($field: $nb),* };
                const NN: $name = $name { $($field: $nn),* };
                const EN: $name = $name { $($field: $en),* };
                match lang {
                    $crate::http::html::Lang::Nb => &NB,
                    $crate::http::html::Lang::Nn => &NN,
                    $crate::http::html::Lang::En => &EN,
                }
            }
        }
    };
}
pub(crate) use texts;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Nb,
    /// Nynorsk: the pages' own words (every page's `texts!`) and the data (names of systems,
    /// rights, packages) in nynorsk; texts that come from elsewhere in bokmål only fall back to it.
    Nn,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Nb => "nb",
            Lang::Nn => "nn",
            Lang::En => "en",
        }
    }
}

/// `?lang=en|nb` wins, then a `lang` cookie, then `Accept-Language`; bokmål otherwise.
impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let from_query = parts.uri.query().and_then(|q| {
            q.split('&').find_map(|kv| match kv {
                "lang=en" => Some(Lang::En),
                "lang=nn" => Some(Lang::Nn),
                "lang=nb" | "lang=no" => Some(Lang::Nb),
                _ => None,
            })
        });
        let header_str = |name| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
        };
        let from_cookie = header_str(header::COOKIE)
            .split(';')
            .find_map(|c| match c.trim() {
                "lang=en" => Some(Lang::En),
                "lang=nn" => Some(Lang::Nn),
                "lang=nb" => Some(Lang::Nb),
                _ => None,
            });
        let from_accept = || {
            let first = header_str(header::ACCEPT_LANGUAGE)
                .split(',')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if first.starts_with("en") {
                Lang::En
            } else if first.starts_with("nn") {
                Lang::Nn
            } else {
                Lang::Nb
            }
        };
        Ok(from_query.or(from_cookie).unwrap_or_else(from_accept))
    }
}

texts! {
    pub struct FrameTexts {
        banner: [
            "Testinstans: alle personer og organisasjoner her er syntetiske (fiktive).",
            "Testinstans: alle personar og organisasjonar her er syntetiske (fiktive).",
            "Test instance: every person and organisation here is synthetic (fictional).",
        ],
        switch_language: ["Språk", "Språk", "Language"],
        not_found: ["Fant ikke siden", "Fann ikkje sida", "Page not found"],
        not_found_text: [
            "Det finnes ingen side på denne adressen. Sjekk at adressen er riktig, eller gå til forsiden.",
            "Det finst inga side på denne adressa. Sjekk at adressa er rett, eller gå til framsida.",
            "There is no page at this address. Check that the address is right, or go to the front page.",
        ],
        front_page: ["Til forsiden", "Til framsida", "To the front page"],
        error_prefix: ["Feil", "Feil", "Error"],
        error_summary: [
            "Skjemaet har feil. Rett dem og send på nytt:",
            "Skjemaet har feil. Rett dei og send på nytt:",
            "The form has errors. Correct them and send it again:",
        ],
    }
}

/// A wrong field of a form, for the error summary (`templates/parts/error_summary.html`):
/// the message, linking to the field's element id.
pub struct FieldError {
    pub id: &'static str,
    pub message: String,
}

/// Whether the request comes from a browser that wants a page (`Accept: text/html`).
pub fn wants_page(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// The answer for an address nothing answers: a page in the person's language for browsers, a
/// problem document for API clients.
pub async fn not_found(
    axum::extract::State(state): axum::extract::State<AppState>,
    lang: Lang,
    headers: axum::http::HeaderMap,
) -> Response {
    if !wants_page(&headers) {
        return crate::http::problem::Problem::not_found(
            "there is nothing at this address; see /docs for the API",
        )
        .into_response();
    }
    let t = FrameTexts::of(lang);
    message(
        &state,
        lang,
        StatusCode::NOT_FOUND,
        t.not_found,
        t.not_found_text,
        vec![Link::new("/", t.front_page)],
    )
}

/// Keeps no copy of any page answered to a signed-in browser (a session cookie on the request),
/// so that an organisation's data is not readable from the back/forward cache after log-out.
pub async fn no_store_when_signed_in(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let signed_in = req
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|c| c.trim_start().starts_with("tilgang_session="));
    let mut response = next.run(req).await;
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if signed_in && is_page {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

tokio::task_local! {
    /// Where the language switch of the page being answered comes back to (set by
    /// [`remember_step`]).
    static STEP: String;
}

/// Remembers the step a page shows, for its language switch: a GET's own address, and for a
/// page that answers a form (a POST, whose address is no page) the page the form was on, from
/// the Referer. Switching language then keeps the person on the same step instead of sending
/// the browser to a GET of a POST-only address.
pub async fn remember_step(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let step =
        if req.method() == axum::http::Method::GET || req.method() == axum::http::Method::HEAD {
            req.uri().path_and_query().map(|p| p.as_str().to_owned())
        } else {
            req.headers()
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
                .and_then(|r| r.strip_prefix(state.app.config.public_url.as_str()))
                .map(str::to_owned)
        };
    let step = step
        .filter(|s| is_local_path(s))
        .unwrap_or_else(|| "/".into());
    STEP.scope(step, next.run(req)).await
}

/// A path of this server (not `//host` or `/\host`, which browsers take for another site).
pub fn is_local_path(path: &str) -> bool {
    path.starts_with('/') && !path.starts_with("//") && !path.starts_with("/\\")
}

/// What the layout (`templates/layout.html`) needs from every page: the language, the title,
/// whether to show the test-instance banner, and the step the language switch comes back to.
/// Each page's template struct has it as `f`.
pub struct Frame {
    pub lang: Lang,
    pub title: String,
    pub test_instance: bool,
    pub t: &'static FrameTexts,
    /// The page's step, percent-encoded for the switch's `?back=`.
    pub back: String,
    /// The name in the header: the part of the platform the page belongs to.
    pub brand: &'static str,
    /// What the stylesheets' addresses end in, so that a new version is fetched anew.
    pub assets: &'static str,
}

/// The name a page carries, by the part it belongs to: Altinn Studio's pages say so, the
/// access-management pages are Altinn's, the rest is tilgang's own.
fn brand_of(step: &str) -> &'static str {
    if step.starts_with("/studio") || step.starts_with("/admin/studio") {
        "Altinn Studio"
    } else if step.starts_with("/accessmanagement") {
        "Altinn"
    } else {
        "tilgang"
    }
}

impl Frame {
    pub fn new(state: &AppState, lang: Lang, title: &str) -> Self {
        let step = STEP.try_with(Clone::clone).unwrap_or_else(|_| "/".into());
        Frame {
            lang,
            title: title.to_owned(),
            test_instance: state.app.config.profile == Profile::Local,
            t: FrameTexts::of(lang),
            back: crate::services::idp::percent_encode(&step),
            brand: brand_of(&step),
            assets: env!("CARGO_PKG_VERSION"),
        }
    }

    /// The frame of a form that came back with errors: the title says so first ("Feil: …"),
    /// as screen readers announce the title before anything else.
    pub fn with_errors(mut self, errors: bool) -> Self {
        if errors {
            self.title = format!("{}: {}", self.t.error_prefix, self.title);
        }
        self
    }

    /// The other languages, each as (code, name in its own language), for the switch.
    pub fn other_languages(&self) -> [(&'static str, &'static str); 2] {
        match self.lang {
            Lang::Nb => [("nn", "Nynorsk"), ("en", "English")],
            Lang::Nn => [("nb", "Bokmål"), ("en", "English")],
            Lang::En => [("nb", "Norsk (bokmål)"), ("nn", "Nynorsk")],
        }
    }
}

/// Renders a page with the security headers every page has. A template that fails to render
/// (it cannot, short of a formatting error) is a 500 with the cause logged.
pub fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => {
            let mut response = (status, Html(html)).into_response();
            response.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
                ),
            );
            // Links out (a profile's website) carry no address of ours: some carry secrets
            // (a password-reset link's code).
            response.headers_mut().insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("same-origin"),
            );
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "a page could not be rendered");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Marks a page as showing a signed-in person's data: browsers keep no copy of it (not in the
/// back/forward cache either), so it is not readable after log-out.
pub fn private(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A link on a message page.
pub struct Link {
    pub href: String,
    pub label: String,
}

impl Link {
    pub fn new(href: impl Into<String>, label: impl Into<String>) -> Self {
        Link {
            href: href.into(),
            label: label.into(),
        }
    }
}

/// The one message page: a heading, a sentence, and links onwards.
#[derive(Template)]
#[template(path = "message.html")]
pub struct Message<'a> {
    pub f: Frame,
    pub text: &'a str,
    pub links: Vec<Link>,
}

/// Renders the message page with `title` as its heading.
pub fn message(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    title: &str,
    text: &str,
    links: Vec<Link>,
) -> Response {
    render(
        status,
        &Message {
            f: Frame::new(state, lang, title),
            text,
            links,
        },
    )
}

/// The answer of a page handler: the page, or the page (or problem) that says why not.
pub type PageResult = Result<Response, PageError>;

/// A page that ends the handler early (`?`): a message page, a redirect to log in, or the
/// problem a storage outage gives.
pub struct PageError(pub Response);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        self.0
    }
}

impl From<Response> for PageError {
    fn from(response: Response) -> Self {
        PageError(response)
    }
}

impl From<crate::services::StoreError> for PageError {
    fn from(e: crate::services::StoreError) -> Self {
        PageError(crate::http::problem::Problem::from(e).into_response())
    }
}
