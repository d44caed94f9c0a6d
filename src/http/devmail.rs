//! `/dev/mail`: the outbox of the local profile, so that activation links and other mail can
//! be read without a mail server. Only routed in the local profile.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::AppState;
use super::html::{Lang, esc};
use super::studio::accounts::{message, server_error, studio_page};
use crate::clock::format_micros;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dev/mail", get(outbox))
        .route("/dev/mail/{id}", get(one))
}

async fn outbox(State(state): State<AppState>, lang: Lang) -> Response {
    let mails = match state.app.outbox(100).await {
        Ok(m) => m,
        Err(e) => return server_error(&state, lang, &e),
    };
    let mut body = format!(
        "<h1>{}</h1><p>{}</p>",
        lang.t("E-post (utboks)", "Mail (outbox)"),
        lang.t(
            "Testinstansen sender ikke e-post ut; her er alt den ville ha sendt, nyeste først.",
            "The test instance does not send mail out; here is everything it would have sent, newest first."
        )
    );
    if mails.is_empty() {
        body.push_str(&format!(
            "<p class=\"muted\" id=\"no-mail\">{}</p>",
            lang.t("Ingen e-post ennå.", "No mail yet.")
        ));
    } else {
        body.push_str(&format!(
            "<table id=\"mails\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            lang.t("Tid", "Time"), lang.t("Til", "To"), lang.t("Emne", "Subject"), lang.t("Status", "Status")
        ));
        for m in &mails {
            body.push_str(&format!(
                "<tr><td>{}</td><td class=\"to\">{}</td><td><a href=\"/dev/mail/{}\">{}</a></td><td>{}</td></tr>",
                esc(format_micros(m.created_at).get(..19).unwrap_or("")),
                esc(&m.recipient),
                esc(&m.id),
                esc(&m.subject),
                esc(&m.status),
            ));
        }
        body.push_str("</tbody></table>");
    }
    studio_page(
        &state,
        lang,
        StatusCode::OK,
        lang.t("E-post", "Mail"),
        &body,
    )
}

/// Turns the http(s) links of a plain-text body into anchors.
fn linkify(text: &str) -> String {
    text.split('\n')
        .map(|line| {
            line.split(' ')
                .map(|w| {
                    if w.starts_with("http://") || w.starts_with("https://") {
                        format!("<a href=\"{0}\">{0}</a>", esc(w))
                    } else {
                        esc(w)
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

async fn one(State(state): State<AppState>, lang: Lang, Path(id): Path<String>) -> Response {
    match state.app.outbox_mail(&id).await {
        Ok(Some(m)) => {
            let body = format!(
                "<h1>{}</h1><p>{}: <span id=\"to\">{}</span><br>{}: {}</p><pre id=\"body\" style=\"white-space:pre-wrap\">{}</pre><p><a href=\"/dev/mail\">{}</a></p>",
                esc(&m.subject),
                lang.t("Til", "To"),
                esc(&m.recipient),
                lang.t("Sendt", "Sent"),
                esc(format_micros(m.created_at).get(..19).unwrap_or("")),
                linkify(&m.body),
                lang.t("Alle e-poster", "All mail"),
            );
            studio_page(&state, lang, StatusCode::OK, &m.subject, &body)
        }
        Ok(None) => message(&state, lang, StatusCode::NOT_FOUND, lang.t("Fant ikke e-posten", "Mail not found"), &id, Some(("/dev/mail", lang.t("Alle e-poster", "All mail")))),
        Err(e) => server_error(&state, lang, &e),
    }
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_become_anchors_and_text_is_escaped() {
        assert_eq!(
            linkify("se <b> http://x/a?code=1&b=2 nå"),
            "se &lt;b&gt; <a href=\"http://x/a?code=1&amp;b=2\">http://x/a?code=1&amp;b=2</a> nå"
        );
    }
}
