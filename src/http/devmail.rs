//! `/dev/mail`: the outbox of the local profile, so that activation links and other mail can
//! be read without a mail server. Only routed in the local profile.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;

use super::AppState;
use super::html::{Frame, Lang, Link, message, private, render, texts};
use crate::clock::format_micros;
use crate::services::StoreError;
use crate::services::mail::Mail;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dev/mail", get(outbox))
        .route("/dev/mail/{id}", get(one))
}

texts! {
    pub struct MailTexts {
        title: ["E-post", "E-post", "Mail"],
        outbox: ["E-post (utboks)", "E-post (utboks)", "Mail (outbox)"],
        intro: [
            "Testinstansen sender ikke e-post ut; her er alt den ville ha sendt, nyeste først.",
            "Testinstansen sender ikkje e-post ut; her er alt han ville ha sendt, nyaste først.",
            "The test instance does not send mail out; here is everything it would have sent, newest first.",
        ],
        no_mail: ["Ingen e-post ennå.", "Ingen e-post enno.", "No mail yet."],
        time: ["Tid", "Tid", "Time"],
        to: ["Til", "Til", "To"],
        subject: ["Emne", "Emne", "Subject"],
        status: ["Status", "Status", "Status"],
        sent: ["Sendt", "Sendt", "Sent"],
        all_mail: ["Alle e-poster", "Alle e-postar", "All mail"],
        not_found: ["Fant ikke e-posten", "Fann ikkje e-posten", "Mail not found"],
        went_wrong: ["Noe gikk galt", "Noko gjekk gale", "Something went wrong"],
        try_again: ["Prøv igjen om litt.", "Prøv igjen om litt.", "Try again in a moment."],
    }
}

#[derive(Template)]
#[template(path = "ops/outbox.html")]
struct OutboxPage<'a> {
    f: Frame,
    t: &'static MailTexts,
    /// Each mail with the time it was queued (`YYYY-MM-DDTHH:MM:SS`).
    mails: Vec<(String, &'a Mail)>,
}

#[derive(Template)]
#[template(path = "ops/mail.html")]
struct MailPage<'a> {
    f: Frame,
    t: &'static MailTexts,
    mail: &'a Mail,
    time: String,
    body: Vec<Piece<'a>>,
}

/// A piece of a plain-text body: text, or an http(s) link shown as an anchor.
#[derive(Debug, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Link(&'a str),
}

fn queued_at(m: &Mail) -> String {
    format_micros(m.created_at)
        .get(..19)
        .unwrap_or_default()
        .to_owned()
}

/// The page for a failure that is ours: 503 with `Retry-After` when the database is only
/// overloaded, else 500; the cause goes to the log.
fn server_error(state: &AppState, lang: Lang, e: &StoreError) -> Response {
    let status = if crate::http::problem::is_unavailable(e) {
        tracing::warn!(error = %e, "mail page refused: the database is overloaded");
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        tracing::error!(error = %e, "mail page failed");
        StatusCode::INTERNAL_SERVER_ERROR
    };
    let t = MailTexts::of(lang);
    let mut page = private(message(
        state,
        lang,
        status,
        t.went_wrong,
        t.try_again,
        vec![],
    ));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        page.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    page
}

async fn outbox(State(state): State<AppState>, lang: Lang) -> Response {
    let mails = match state.app.outbox(100).await {
        Ok(m) => m,
        Err(e) => return server_error(&state, lang, &e),
    };
    let t = MailTexts::of(lang);
    private(render(
        StatusCode::OK,
        &OutboxPage {
            f: Frame::new(&state, lang, t.title),
            t,
            mails: mails.iter().map(|m| (queued_at(m), m)).collect(),
        },
    ))
}

/// Splits a plain-text body into text and its http(s) links.
fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push(Piece::Text("\n"));
        }
        for (j, word) in line.split(' ').enumerate() {
            if j > 0 {
                out.push(Piece::Text(" "));
            }
            if word.starts_with("http://") || word.starts_with("https://") {
                out.push(Piece::Link(word));
            } else if !word.is_empty() {
                out.push(Piece::Text(word));
            }
        }
    }
    out
}

async fn one(State(state): State<AppState>, lang: Lang, Path(id): Path<String>) -> Response {
    let t = MailTexts::of(lang);
    match state.app.outbox_mail(&id).await {
        Ok(Some(m)) => private(render(
            StatusCode::OK,
            &MailPage {
                f: Frame::new(&state, lang, &m.subject),
                t,
                mail: &m,
                time: queued_at(&m),
                body: pieces(&m.body),
            },
        )),
        Ok(None) => private(message(
            &state,
            lang,
            StatusCode::NOT_FOUND,
            t.not_found,
            &id,
            vec![Link::new("/dev/mail", t.all_mail)],
        )),
        Err(e) => server_error(&state, lang, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::html::FrameTexts;

    #[test]
    fn links_become_anchors_and_text_is_escaped() {
        let text = "se <b> http://x/a?code=1&b=2 nå\nneste";
        assert_eq!(
            pieces(text),
            [
                Piece::Text("se"),
                Piece::Text(" "),
                Piece::Text("<b>"),
                Piece::Text(" "),
                Piece::Link("http://x/a?code=1&b=2"),
                Piece::Text(" "),
                Piece::Text("nå"),
                Piece::Text("\n"),
                Piece::Text("neste"),
            ]
        );
        let mail = Mail {
            id: "m1".into(),
            recipient: "x@example.no".into(),
            subject: "Aktiver".into(),
            body: text.into(),
            status: "kept".into(),
            attempts: 0,
            last_error: None,
            created_at: 0,
        };
        let page = MailPage {
            f: Frame {
                lang: Lang::Nb,
                title: "Aktiver".into(),
                test_instance: true,
                t: FrameTexts::of(Lang::Nb),
                back: "/".into(),
                brand: "tilgang",
                assets: "test",
            },
            t: MailTexts::of(Lang::Nb),
            mail: &mail,
            time: queued_at(&mail),
            body: pieces(&mail.body),
        }
        .render()
        .expect("renders");
        assert!(
            page.contains(
                "se &#60;b&#62; <a class=\"ds-link\" href=\"http://x/a?code=1&#38;b=2\">http://x/a?code=1&#38;b=2</a> nå\nneste</pre>"
            ),
            "{page}"
        );
    }
}
