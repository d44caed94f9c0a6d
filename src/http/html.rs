//! Server-rendered pages: escaping, the page frame with the test-instance banner, and the
//! choice of language (Norwegian bokmål by default, English on request).

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Response};

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Nb,
    /// Nynorsk: data (names of systems, rights, packages) in nynorsk; the pages' own words
    /// fall back to bokmål.
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

    /// Picks the text for this language.
    pub fn t<'a>(self, nb: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Nb | Lang::Nn => nb,
            Lang::En => en,
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

/// The page frame: language, title, a banner when the instance is a test instance, and a
/// language switch. `body` is HTML that the caller has escaped.
pub fn page(lang: Lang, title: &str, test_instance: bool, body: &str) -> Response {
    let banner = if test_instance {
        format!(
            "<div class=\"banner\" role=\"note\">{}</div>",
            lang.t(
                "Testinstans: alle personer og organisasjoner her er syntetiske (fiktive).",
                "Test instance: every person and organisation here is synthetic (fictional)."
            )
        )
    } else {
        String::new()
    };
    // The switch sets a cookie and returns to the page it came from (with its query intact).
    let switch = match lang {
        Lang::Nb => {
            "<a href=\"/lang/nn\" hreflang=\"nn\" lang=\"nn\">Nynorsk</a> · <a href=\"/lang/en\" hreflang=\"en\" lang=\"en\">English</a>"
        }
        Lang::Nn => {
            "<a href=\"/lang/nb\" hreflang=\"nb\" lang=\"nb\">Bokmål</a> · <a href=\"/lang/en\" hreflang=\"en\" lang=\"en\">English</a>"
        }
        Lang::En => {
            "<a href=\"/lang/nb\" hreflang=\"nb\" lang=\"nb\">Norsk (bokmål)</a> · <a href=\"/lang/nn\" hreflang=\"nn\" lang=\"nn\">Nynorsk</a>"
        }
    };
    let html = format!(
        "<!doctype html>\n<html lang=\"{code}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} – tilgang</title><style>{CSS}</style></head>\
         <body>{banner}<header><a class=\"brand\" href=\"/\">tilgang</a><nav>{switch}</nav></header>\
         <main>{body}</main></body></html>",
        code = lang.code(),
        title = esc(title),
    );
    let mut response = Html(html).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static("default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'"),
    );
    response
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#1a1a1a;line-height:1.5}\
main{max-width:60rem;margin:0 auto;padding:1rem 1.5rem}\
header{display:flex;justify-content:space-between;align-items:center;padding:.75rem 1.5rem;background:#022f51;color:#fff}\
header a{color:#fff}.brand{font-weight:700;font-size:1.25rem;text-decoration:none}\
.banner{background:#ffdf6b;padding:.5rem 1.5rem;font-weight:600}\
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}\
code{background:#f2f2f2;padding:0 .25rem;border-radius:3px}a{color:#0062ba}\
.method{font-weight:700;font-family:monospace}.muted{color:#555}\
button{font-size:1rem;padding:.4rem 1rem;margin:.15rem .4rem .15rem 0;cursor:pointer}\
.error{color:#b00020}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
