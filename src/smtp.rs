//! tilgang's own outgoing mail over SMTP, on the `lettre` crate.
//!
//! lettre does the protocol and the message format for us:
//! - SMTP (RFC 5321): EHLO, STARTTLS (RFC 3207, refused when the server does not offer it) or
//!   implicit TLS (RFC 8314), AUTH PLAIN, MAIL FROM / RCPT TO / DATA with dot-stuffing, QUIT;
//!   a timeout on connecting and on every read and write; replies parsed into codes, so a 4xx
//!   is told from a 5xx.
//! - TLS with rustls on aws-lc-rs and the platform's certificate verifier, the same crypto
//!   provider and verifier as the rest of tilgang (no OpenSSL, no second provider).
//! - MIME (RFC 2045–2047, 5322): From/To/Subject encoded as RFC 2047 words when not ASCII,
//!   `Date`, `MIME-Version`, a multipart/alternative with a fresh boundary, and per part the
//!   shortest safe transfer encoding (7bit, quoted-printable or base64) with CRLF line ends.
//!
//! What stays here: reading tilgang's settings, the HTML part (made from the text part, so
//! every message has the same content in both), and whether a failure is worth a retry.
//! One message per connection and one recipient per message; no MX look-up (a relay or a
//! provider's submission port is expected).

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncTransport, Tokio1Executor};

use crate::config::{Smtp, SmtpSecurity};

/// For connecting, and for each read and write after that.
const TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("the address {0:?} cannot be used in e-mail: {1}")]
    BadAddress(String, lettre::address::AddressError),
    #[error("the message cannot be built: {0}")]
    Message(#[from] lettre::error::Error),
    /// Everything from the connection on: network, TLS, refusals (with the server's reply).
    #[error("SMTP with {server} failed: {source}")]
    Smtp {
        server: String,
        #[source]
        source: lettre::transport::smtp::Error,
    },
    /// No connection at all (refused, no route, the name does not resolve, timed out).
    #[error("cannot reach the SMTP server {server}: {source}")]
    Unreachable {
        server: String,
        #[source]
        source: lettre::transport::smtp::Error,
    },
    #[error("the SMTP server {0} did not answer NOOP")]
    NoAnswer(String),
}

impl SmtpError {
    /// Whether trying again later may help: 4xx replies, network and TLS trouble; not a 5xx
    /// reply, a bad address, or a server without what tilgang needs (STARTTLS, AUTH PLAIN).
    pub fn is_transient(&self) -> bool {
        match self {
            SmtpError::BadAddress(..) | SmtpError::Message(_) => false,
            SmtpError::Smtp { source, .. } => !(source.is_permanent() || source.is_client()),
            SmtpError::NoAnswer(_) | SmtpError::Unreachable { .. } => true,
        }
    }
}

/// One message, plain UTF-8 text; the HTML alternative is made from it.
pub struct Message<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    /// Without the angle brackets.
    pub message_id: &'a str,
}

fn target(server: &Smtp) -> String {
    format!("{}:{}", server.host, server.port)
}

/// lettre's error with the server it came from; no reply, no TLS and no client error means
/// the connection itself failed.
fn failure(server: &Smtp, source: lettre::transport::smtp::Error) -> SmtpError {
    let server = target(server);
    let answered = source.is_response()
        || source.is_client()
        || source.is_tls()
        || source.is_transient()
        || source.is_permanent();
    if source.is_timeout() || !answered {
        SmtpError::Unreachable { server, source }
    } else {
        SmtpError::Smtp { server, source }
    }
}

fn transport(server: &Smtp) -> Result<AsyncSmtpTransport<Tokio1Executor>, SmtpError> {
    let failed = |source| failure(server, source);
    let tls = match server.security {
        SmtpSecurity::StartTls => {
            Tls::Required(TlsParameters::new(server.host.clone()).map_err(failed)?)
        }
        SmtpSecurity::Tls => Tls::Wrapper(TlsParameters::new(server.host.clone()).map_err(failed)?),
        SmtpSecurity::None => Tls::None,
    };
    // "dangerous" only in that lettre picks no TLS mode of its own: `tls` sets ours.
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&server.host)
        .port(server.port)
        .tls(tls)
        .timeout(Some(TIMEOUT))
        .hello_name(ClientId::Domain("tilgang".into()));
    if let Some((user, password)) = &server.credentials {
        builder = builder
            .credentials(Credentials::new(user.clone(), password.expose().to_owned()))
            .authentication(vec![Mechanism::Plain]);
    }
    Ok(builder.build())
}

fn mailbox(text: &str) -> Result<Mailbox, SmtpError> {
    text.trim()
        .parse()
        .map_err(|e| SmtpError::BadAddress(text.to_owned(), e))
}

/// The message as lettre sends it: text and HTML alternatives.
fn build(m: &Message<'_>) -> Result<lettre::Message, SmtpError> {
    let subject = m.subject.replace(['\r', '\n'], " ");
    let html = html_of(&subject, m.text);
    Ok(lettre::Message::builder()
        .from(mailbox(m.from)?)
        .to(mailbox(m.to)?)
        .subject(subject)
        .message_id(Some(format!("<{}>", m.message_id)))
        .multipart(MultiPart::alternative_plain_html(m.text.to_owned(), html))?)
}

/// Delivers one message.
pub async fn send(server: &Smtp, m: &Message<'_>) -> Result<(), SmtpError> {
    let message = build(m)?;
    transport(server)?
        .send(message)
        .await
        .map_err(|source| failure(server, source))?;
    Ok(())
}

/// Connects, greets, secures and logs in as for a message, asks NOOP and says goodbye:
/// whether the server would take mail from tilgang. Returns how tilgang got in.
pub async fn probe(server: &Smtp) -> Result<String, SmtpError> {
    let answered = transport(server)?
        .test_connection()
        .await
        .map_err(|source| failure(server, source))?;
    if !answered {
        return Err(SmtpError::NoAnswer(target(server)));
    }
    Ok(match (&server.security, &server.credentials) {
        (security, Some((user, _))) => format!("{security}, logged in as {user}"),
        (security, None) => format!("{security}, no log-in"),
    })
}

fn esc(s: &str, out: &mut String) {
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
}

/// One line of text, escaped, with each http(s) address as a link (punctuation that ends a
/// sentence stays outside it).
fn line_html(line: &str, out: &mut String) {
    for (i, word) in line.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if word.starts_with("https://") || word.starts_with("http://") {
            let url = word.trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
            out.push_str("<a href=\"");
            esc(url, out);
            out.push_str("\">");
            esc(url, out);
            out.push_str("</a>");
            esc(&word[url.len()..], out);
        } else {
            esc(word, out);
        }
    }
}

/// The HTML alternative of a text message: the same words, a paragraph per blank-line
/// separated block, `---` as a rule, and links that can be clicked.
pub fn html_of(subject: &str, text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let mut out =
        String::from("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>");
    esc(subject, &mut out);
    out.push_str("</title>\n</head>\n<body>\n");
    for block in text.split("\n\n") {
        let block = block.trim_matches('\n');
        if block.trim().is_empty() {
            continue;
        }
        if block.trim() == "---" {
            out.push_str("<hr>\n");
            continue;
        }
        out.push_str("<p>");
        for (i, line) in block.split('\n').enumerate() {
            if i > 0 {
                out.push_str("<br>\n");
            }
            line_html(line, &mut out);
        }
        out.push_str("</p>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    use super::*;

    /// A one-connection SMTP server answering `ehlo` to EHLO and `mail` to MAIL FROM; yields
    /// every line the client sent (the message too, as sent: dot-stuffed).
    async fn sink(
        ehlo: &'static str,
        mail: &'static str,
    ) -> (u16, tokio::task::JoinHandle<Vec<String>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("address").port();
        let task = tokio::spawn(async move {
            let mut log = Vec::new();
            let Ok((stream, _)) = listener.accept().await else {
                return log;
            };
            let (r, mut w) = stream.into_split();
            let mut r = BufReader::new(r);
            let _ = w.write_all(b"220 sink ESMTP\r\n").await;
            let mut in_data = false;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return log;
                }
                log.push(line.clone());
                let upper = line.to_ascii_uppercase();
                let reply = if in_data {
                    if line != ".\r\n" {
                        continue;
                    }
                    in_data = false;
                    "250 queued\r\n"
                } else if upper.starts_with("EHLO") {
                    ehlo
                } else if upper.starts_with("MAIL FROM:") {
                    mail
                } else if upper.starts_with("DATA") {
                    in_data = true;
                    "354 go ahead\r\n"
                } else if upper.starts_with("QUIT") {
                    let _ = w.write_all(b"221 bye\r\n").await;
                    return log;
                } else {
                    "250 ok\r\n"
                };
                let _ = w.write_all(reply.as_bytes()).await;
            }
        });
        (port, task)
    }

    fn local(port: u16) -> Smtp {
        Smtp {
            host: "127.0.0.1".into(),
            port,
            security: SmtpSecurity::None,
            credentials: None,
        }
    }

    const EHLO: &str = "250-sink\r\n250 8BITMIME\r\n";

    #[tokio::test]
    async fn a_message_goes_through_the_smtp_dialogue() {
        let (port, log) = sink(EHLO, "250 ok\r\n").await;
        let text = "Hei,\n.\nåpne https://x.no/studio/user/activate?code=abc";
        send(&local(port), &message(text, "Aktiver æøå"))
            .await
            .expect("sent");
        let log = log.await.expect("sink");
        assert_eq!(log[0], "EHLO tilgang\r\n");
        // No BODY=8BITMIME: the message is ASCII, whatever the text.
        assert!(
            log.contains(&"MAIL FROM:<studio@altinn.no>\r\n".to_owned()),
            "{log:?}"
        );
        assert!(log.contains(&"RCPT TO:<kari@example.no>\r\n".to_owned()));
        assert!(log.iter().all(|l| l.is_ascii()));
        // The lone "." of the text is dot-stuffed.
        assert!(log.contains(&"..\r\n".to_owned()), "{log:?}");
        assert_eq!(log.last().map(String::as_str), Some("QUIT\r\n"));
    }

    #[tokio::test]
    async fn a_4xx_is_transient_and_a_5xx_is_not() {
        let (port, _log) = sink(EHLO, "451 4.3.0 try again later\r\n").await;
        let e = send(&local(port), &message("x", "y"))
            .await
            .expect_err("451");
        assert!(e.is_transient(), "{e}");
        assert!(
            e.to_string().contains("451") && e.to_string().contains("try again later"),
            "{e}"
        );
        let (port, _log) = sink(EHLO, "550 5.7.1 no\r\n").await;
        let e = send(&local(port), &message("x", "y"))
            .await
            .expect_err("550");
        assert!(!e.is_transient(), "{e}");
        assert!(e.to_string().contains("550"), "{e}");
    }

    #[tokio::test]
    async fn starttls_and_auth_are_required_when_configured() {
        let (port, _log) = sink(EHLO, "250 ok\r\n").await;
        let server = Smtp {
            security: SmtpSecurity::StartTls,
            ..local(port)
        };
        let e = send(&server, &message("x", "y"))
            .await
            .expect_err("no STARTTLS");
        assert!(!e.is_transient(), "{e}");
        assert!(e.to_string().contains("STARTTLS"), "{e}");
        let (port, _log) = sink(EHLO, "250 ok\r\n").await;
        let server = Smtp {
            credentials: Some(("u".into(), crate::secret::Secret::new("p"))),
            ..local(port)
        };
        let e = send(&server, &message("x", "y"))
            .await
            .expect_err("no AUTH");
        assert!(!e.is_transient(), "{e}");
        // Nothing listens any more: a network error, worth a retry.
        let e = send(&local(port), &message("x", "y"))
            .await
            .expect_err("closed");
        assert!(e.is_transient(), "{e}");
    }

    #[tokio::test]
    async fn the_probe_says_noop() {
        let (port, log) = sink(EHLO, "250 ok\r\n").await;
        assert_eq!(probe(&local(port)).await.expect("probe"), "none, no log-in");
        let log = log.await.expect("sink");
        assert!(log.contains(&"NOOP\r\n".to_owned()), "{log:?}");
        assert!(!log.iter().any(|l| l.starts_with("MAIL")));
    }

    fn message<'a>(text: &'a str, subject: &'a str) -> Message<'a> {
        Message {
            from: "Altinn Studio <studio@altinn.no>",
            to: "kari@example.no",
            subject,
            text,
            message_id: "1234@altinn.no",
        }
    }

    #[test]
    fn html_is_escaped_and_links_are_anchors() {
        let html = html_of(
            "Hei <&>",
            "Hei Kari & \"Ola\" <script>,\n\nåpne https://x.no/a?b=1&c=<2> innen 3 timer.\n\
             Se https://x.no/b.\n\n---\n\nHi",
        );
        assert!(html.contains("<title>Hei &lt;&amp;&gt;</title>"), "{html}");
        assert!(html.contains("<p>Hei Kari &amp; &quot;Ola&quot; &lt;script&gt;,</p>"));
        assert!(html.contains(
            "<p>åpne <a href=\"https://x.no/a?b=1&amp;c=&lt;2&gt;\">https://x.no/a?b=1&amp;c=&lt;2&gt;</a> innen 3 timer.<br>\n\
             Se <a href=\"https://x.no/b\">https://x.no/b</a>.</p>"
        ), "{html}");
        assert!(html.contains("<hr>\n<p>Hi</p>"));
        assert!(!html.contains("<script>"));
        // Only http(s) becomes a link.
        assert!(!html_of("", "javascript:alert(1)").contains("<a "));
    }

    #[test]
    fn the_message_is_multipart_alternative_with_encoded_headers() {
        let text = "Hei Kari,\n\nAktiver kontoen din ved å åpne https://x.no/studio/user/activate?code=abc\n.\nslutt";
        let built = build(&message(text, "Aktiver kontoen din / æøå")).expect("built");
        let raw = String::from_utf8(built.formatted()).expect("ascii");
        assert!(raw.is_ascii(), "{raw}");
        assert!(raw.contains("Message-ID: <1234@altinn.no>\r\n"), "{raw}");
        assert!(raw.contains("Date: "));
        assert!(raw.contains("MIME-Version: 1.0\r\n"));
        assert!(raw.contains("Content-Type: multipart/alternative;"));
        assert!(raw.contains("Content-Type: text/plain; charset=utf-8\r\n"));
        assert!(raw.contains("Content-Type: text/html; charset=utf-8\r\n"));
        // The subject is an RFC 2047 encoded word, not raw UTF-8.
        let subject = raw
            .lines()
            .find(|l| l.starts_with("Subject: "))
            .expect("subject");
        assert!(subject.contains("=?utf-8?"), "{subject}");
        assert!(
            raw.contains("From: \"Altinn Studio\" <studio@altinn.no>\r\n")
                || raw.contains("From: Altinn Studio <studio@altinn.no>\r\n"),
            "{raw}"
        );
        assert!(built.envelope().to().len() == 1);
    }

    #[test]
    fn bad_addresses_and_newlines_in_the_subject() {
        let mut m = message("x", "a\r\nBcc: evil@example.no");
        let raw = String::from_utf8(build(&m).expect("built").formatted()).expect("ascii");
        assert!(!raw.contains("\r\nBcc:"), "{raw}");
        m.to = "not an address";
        let e = build(&m).expect_err("bad address");
        assert!(!e.is_transient());
        assert!(e.to_string().contains("not an address"));
    }
}
