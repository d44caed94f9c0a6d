//! A small SMTP client (RFC 5321) for tilgang's own mail: EHLO, STARTTLS or implicit TLS
//! (RFC 8314), AUTH PLAIN, one recipient per message, dot-stuffed DATA. Enough for a relay or a
//! mail provider's submission port; it does not look up MX records.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::config::{Smtp, SmtpSecurity};

const TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("cannot reach the SMTP server {0}: {1}")]
    Connect(String, String),
    #[error("the SMTP connection failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("the SMTP server did not answer in time")]
    Timeout,
    #[error("the SMTP server refused {step}: {reply}")]
    Refused { step: &'static str, reply: String },
    #[error("the SMTP server does not offer STARTTLS")]
    NoStartTls,
    #[error("TLS with the SMTP server failed: {0}")]
    Tls(String),
    #[error("the address {0:?} cannot be used in SMTP")]
    BadAddress(String),
}

impl SmtpError {
    /// Whether trying again later may help (4xx replies and network trouble).
    pub fn is_transient(&self) -> bool {
        match self {
            SmtpError::Refused { reply, .. } => reply.starts_with('4'),
            SmtpError::BadAddress(_) | SmtpError::NoStartTls => false,
            _ => true,
        }
    }
}

/// One message: plain text, UTF-8.
pub struct Message<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub message_id: &'a str,
    pub date: &'a str,
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

struct Conn {
    io: BufReader<Box<dyn Stream>>,
    /// The server's 220 line.
    greeting: String,
}

impl Conn {
    async fn reply(&mut self) -> Result<(u16, String), SmtpError> {
        let mut text = String::new();
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(TIMEOUT, self.io.read_line(&mut line))
                .await
                .map_err(|_| SmtpError::Timeout)??;
            if n == 0 {
                return Err(SmtpError::Io(std::io::ErrorKind::UnexpectedEof.into()));
            }
            text.push_str(&line);
            // "250-more" continues, "250 last" ends.
            if line.as_bytes().get(3) != Some(&b'-') {
                let code = line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
                return Ok((code, text.trim_end().to_owned()));
            }
        }
    }

    async fn command(
        &mut self,
        step: &'static str,
        line: &str,
        expect: u16,
    ) -> Result<String, SmtpError> {
        let io = self.io.get_mut();
        tokio::time::timeout(TIMEOUT, async {
            io.write_all(line.as_bytes()).await?;
            io.write_all(b"\r\n").await?;
            io.flush().await
        })
        .await
        .map_err(|_| SmtpError::Timeout)??;
        let (code, reply) = self.reply().await?;
        if code / 100 != expect / 100 {
            return Err(SmtpError::Refused { step, reply });
        }
        Ok(reply)
    }
}

fn tls_connector() -> Result<tokio_rustls::TlsConnector, SmtpError> {
    use rustls_platform_verifier::ConfigVerifierExt;
    let config = tokio_rustls::rustls::ClientConfig::with_platform_verifier()
        .map_err(|e| SmtpError::Tls(e.to_string()))?;
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

async fn tls<S: Stream + 'static>(host: &str, io: S) -> Result<Box<dyn Stream>, SmtpError> {
    let name = tokio_rustls::rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|e| SmtpError::Tls(e.to_string()))?;
    let stream = tls_connector()?
        .connect(name, io)
        .await
        .map_err(|e| SmtpError::Tls(e.to_string()))?;
    Ok(Box::new(stream))
}

/// The bare address inside `Name <addr>` (or the text itself).
fn address(mailbox: &str) -> Result<&str, SmtpError> {
    let addr = match (mailbox.rfind('<'), mailbox.rfind('>')) {
        (Some(a), Some(b)) if a < b => &mailbox[a + 1..b],
        _ => mailbox.trim(),
    };
    if addr.is_empty() || !addr.contains('@') || addr.contains(['\r', '\n', '<', '>', ' ']) {
        return Err(SmtpError::BadAddress(mailbox.to_owned()));
    }
    Ok(addr)
}

/// RFC 2047 encoded word for a header value that is not plain ASCII.
fn header_text(s: &str) -> String {
    if s.is_ascii() {
        s.replace(['\r', '\n'], " ")
    } else {
        format!("=?UTF-8?B?{}?=", B64.encode(s.replace(['\r', '\n'], " ")))
    }
}

/// The message as sent after DATA: headers, base64 body (safe for any line length and
/// character), CRLF line ends.
fn render(m: &Message<'_>) -> String {
    let body = B64.encode(m.body.replace("\r\n", "\n").replace('\n', "\r\n"));
    let mut out = format!(
        "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <{}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
        header_text(m.from),
        header_text(m.to),
        header_text(m.subject),
        m.date,
        m.message_id,
    );
    for chunk in body.as_bytes().chunks(76) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push_str("\r\n");
    }
    out
}

/// Delivers one message.
pub async fn send(server: &Smtp, m: &Message<'_>) -> Result<(), SmtpError> {
    let from = address(m.from)?;
    let to = address(m.to)?;
    let mut conn = open(server).await?;
    conn.command("MAIL FROM", &format!("MAIL FROM:<{from}>"), 250)
        .await?;
    conn.command("RCPT TO", &format!("RCPT TO:<{to}>"), 250)
        .await?;
    conn.command("DATA", "DATA", 354).await?;
    // The body is base64, so no line starts with '.'; no dot-stuffing is needed.
    let data = format!("{}.", render(m));
    conn.command("the message", &data, 250).await?;
    let _ = conn.command("QUIT", "QUIT", 221).await;
    Ok(())
}

/// Connects, greets, secures and logs in as for a message, then says goodbye: whether the
/// server would take mail from tilgang. Returns the server's greeting.
pub async fn probe(server: &Smtp) -> Result<String, SmtpError> {
    let mut conn = open(server).await?;
    let _ = conn.command("QUIT", "QUIT", 221).await;
    Ok(conn.greeting)
}

/// A connection ready for MAIL FROM: greeting, EHLO, STARTTLS or implicit TLS, AUTH.
async fn open(server: &Smtp) -> Result<Conn, SmtpError> {
    let target = format!("{}:{}", server.host, server.port);
    let tcp = tokio::time::timeout(TIMEOUT, TcpStream::connect(&target))
        .await
        .map_err(|_| SmtpError::Connect(target.clone(), "timed out".into()))?
        .map_err(|e| SmtpError::Connect(target.clone(), e.to_string()))?;
    let stream: Box<dyn Stream> = if server.security == SmtpSecurity::Tls {
        tls(&server.host, tcp).await?
    } else {
        Box::new(tcp)
    };
    let mut conn = Conn {
        io: BufReader::new(stream),
        greeting: String::new(),
    };
    let (code, greeting) = conn.reply().await?;
    if code != 220 {
        return Err(SmtpError::Refused {
            step: "the connection",
            reply: greeting,
        });
    }
    let mut ehlo = conn.command("EHLO", "EHLO tilgang", 250).await?;
    if server.security == SmtpSecurity::StartTls {
        if !ehlo.lines().any(|l| {
            l.get(4..)
                .is_some_and(|e| e.eq_ignore_ascii_case("STARTTLS"))
        }) {
            return Err(SmtpError::NoStartTls);
        }
        conn.command("STARTTLS", "STARTTLS", 220).await?;
        // Nothing may be buffered beyond the 220 reply (RFC 3207 §4.2: it would be injected).
        if !conn.io.buffer().is_empty() {
            return Err(SmtpError::Tls("data after the STARTTLS reply".into()));
        }
        let Conn { io, .. } = conn;
        conn = Conn {
            io: BufReader::new(tls(&server.host, io.into_inner()).await?),
            greeting: String::new(),
        };
        ehlo = conn.command("EHLO", "EHLO tilgang", 250).await?;
    }
    if let Some((user, password)) = &server.credentials {
        if !ehlo.contains("AUTH") {
            return Err(SmtpError::Refused {
                step: "AUTH",
                reply: "the server offers no authentication".into(),
            });
        }
        let token = B64.encode(format!("\0{user}\0{}", password.expose()));
        conn.command("AUTH", &format!("AUTH PLAIN {token}"), 235)
            .await?;
    }
    conn.greeting = greeting;
    Ok(conn)
}
