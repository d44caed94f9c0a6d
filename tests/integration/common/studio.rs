//! Helpers for the Studio tests: a real SMTP listener that keeps what it receives, a small
//! cookie jar, and walks through the Studio pages (Ansattporten log-in, sign-up, activation,
//! consent) as a browser would.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use super::{TestServer, input_value, location};

/// One message as the sink received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: String,
    pub headers: String,
    /// The text: the text/plain part of a multipart message (or the whole body), decoded.
    pub body: String,
    /// The text/html part, decoded; empty when there is none.
    pub html: String,
}

/// An SMTP server on a free port. `fail_first` transactions are refused with 451.
#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    pub mails: Arc<Mutex<Vec<Received>>>,
    fail_left: Arc<Mutex<u32>>,
}

impl SmtpSink {
    pub async fn start(fail_first: u32) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let sink = SmtpSink {
            port,
            mails: Arc::new(Mutex::new(Vec::new())),
            fail_left: Arc::new(Mutex::new(fail_first)),
        };
        let s = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = s.session(stream).await;
                });
            }
        });
        sink
    }

    async fn session(&self, stream: tokio::net::TcpStream) -> std::io::Result<()> {
        let (r, mut w) = stream.into_split();
        let mut r = BufReader::new(r);
        w.write_all(b"220 sink ESMTP\r\n").await?;
        let (mut from, mut to) = (String::new(), String::new());
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let upper = line.to_ascii_uppercase();
            if upper.starts_with("EHLO") {
                w.write_all(b"250-sink\r\n250 8BITMIME\r\n").await?;
            } else if upper.starts_with("MAIL FROM:") {
                let fail = {
                    let mut left = self.fail_left.lock().expect("lock");
                    if *left > 0 {
                        *left -= 1;
                        true
                    } else {
                        false
                    }
                };
                if fail {
                    w.write_all(b"451 4.3.0 try again later\r\n").await?;
                    continue;
                }
                from = line[10..].trim().trim_matches(['<', '>']).to_owned();
                w.write_all(b"250 ok\r\n").await?;
            } else if upper.starts_with("RCPT TO:") {
                to = line[8..].trim().trim_matches(['<', '>']).to_owned();
                w.write_all(b"250 ok\r\n").await?;
            } else if upper.starts_with("DATA") {
                w.write_all(b"354 go ahead\r\n").await?;
                let mut data = String::new();
                loop {
                    let mut l = String::new();
                    if r.read_line(&mut l).await? == 0 {
                        return Ok(());
                    }
                    if l == ".\r\n" {
                        break;
                    }
                    // Undo the client's dot-stuffing (RFC 5321 §4.5.2).
                    data.push_str(l.strip_prefix('.').unwrap_or(&l));
                }
                let (headers, _) = data.split_once("\r\n\r\n").unwrap_or((&data, ""));
                let (body, html) = mime_texts(&data);
                self.mails.lock().expect("lock").push(Received {
                    from: from.clone(),
                    to: to.clone(),
                    headers: headers.to_owned(),
                    body,
                    html,
                });
                w.write_all(b"250 queued\r\n").await?;
            } else if upper.starts_with("QUIT") {
                w.write_all(b"221 bye\r\n").await?;
                return Ok(());
            } else {
                w.write_all(b"250 ok\r\n").await?;
            }
        }
    }

    /// Waits (up to 20 s) until `n` mails have arrived; returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..200 {
            let mails = self.mails.lock().expect("lock").clone();
            if mails.len() >= n {
                return mails;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "expected {n} mails at the SMTP sink, got {}",
            self.mails.lock().expect("lock").len()
        );
    }
}

/// The value of a header (unfolded), by name, in a block of headers.
fn header(headers: &str, name: &str) -> Option<String> {
    let unfolded = headers.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded.split("\r\n").find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_owned())
    })
}

/// A parameter of a header value, e.g. `boundary` of a Content-Type.
fn parameter(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (n, v) = p.split_once('=')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// A body decoded by its Content-Transfer-Encoding (7bit, 8bit, quoted-printable, base64).
fn decode(encoding: &str, body: &str) -> String {
    if encoding.eq_ignore_ascii_case("base64") {
        let compact: String = body.split_whitespace().collect();
        return base64::engine::general_purpose::STANDARD
            .decode(compact)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default();
    }
    if encoding.eq_ignore_ascii_case("quoted-printable") {
        let joined = body.replace("=\r\n", "");
        let bytes = joined.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match (bytes[i], hex) {
                (b'=', Some(b)) => {
                    out.push(b);
                    i += 3;
                }
                (b, _) => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        return String::from_utf8(out).unwrap_or_default();
    }
    body.to_owned()
}

/// The text and the HTML of a message (headers, blank line, body): the text/plain and
/// text/html parts of a multipart message, or the single body as text.
fn mime_texts(data: &str) -> (String, String) {
    let (headers, body) = data.split_once("\r\n\r\n").unwrap_or((data, ""));
    let content_type = header(headers, "Content-Type").unwrap_or_default();
    let encoding = header(headers, "Content-Transfer-Encoding").unwrap_or_default();
    let Some(boundary) = content_type
        .to_ascii_lowercase()
        .starts_with("multipart/")
        .then(|| parameter(&content_type, "boundary"))
        .flatten()
    else {
        return (
            decode(&encoding, body.trim_end_matches("\r\n")),
            String::new(),
        );
    };
    let (mut text, mut html) = (String::new(), String::new());
    let delimiter = format!("\r\n--{boundary}");
    let body = format!("\r\n{body}");
    for part in body.split(&delimiter).skip(1) {
        if part.starts_with("--") {
            break;
        }
        let part = part.trim_start_matches([' ', '\t']);
        let part = part.strip_prefix("\r\n").unwrap_or(part);
        let (inner_text, inner_html) = mime_texts(part);
        let kind = header(
            part.split_once("\r\n\r\n").map_or(part, |p| p.0),
            "Content-Type",
        )
        .unwrap_or_default()
        .to_ascii_lowercase();
        if kind.starts_with("multipart/") {
            if text.is_empty() {
                text = inner_text;
            }
            if html.is_empty() {
                html = inner_html;
            }
        } else if kind.starts_with("text/html") {
            if html.is_empty() {
                html = inner_text;
            }
        } else if (kind.is_empty() || kind.starts_with("text/plain")) && text.is_empty() {
            text = inner_text;
        }
    }
    (text, html)
}

/// The activation link in a mail body.
pub fn activation_link(body: &str) -> String {
    body.split_whitespace()
        .find(|w| w.contains("/studio/user/activate?code="))
        .expect("an activation link in the mail")
        .to_owned()
}

/// A cookie jar for a client that does not follow redirects.
#[derive(Default, Clone)]
pub struct Jar(HashMap<String, String>);

impl Jar {
    pub fn take(&mut self, res: &reqwest::Response) {
        for v in res.headers().get_all("set-cookie") {
            let text = v.to_str().expect("cookie");
            let pair = text.split(';').next().expect("pair");
            let (k, val) = pair.split_once('=').expect("name=value");
            if val.is_empty() || text.contains("Max-Age=0") {
                self.0.remove(k);
            } else {
                self.0.insert(k.to_owned(), val.to_owned());
            }
        }
    }

    pub fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    pub fn get(&self, name: &str) -> Option<&String> {
        self.0.get(name)
    }
}

/// A browser-like walk: GETs and POSTs with the jar, following nothing by itself.
pub struct Visitor<'a> {
    pub server: &'a TestServer,
    pub jar: Jar,
}

impl<'a> Visitor<'a> {
    pub fn new(server: &'a TestServer) -> Self {
        Self {
            server,
            jar: Jar::default(),
        }
    }

    fn absolute(&self, url: &str) -> String {
        if url.starts_with("http") {
            url.to_owned()
        } else {
            self.server.url(url)
        }
    }

    pub async fn get(&mut self, url: &str) -> reqwest::Response {
        let res = self
            .server
            .browser
            .get(self.absolute(url))
            .header("cookie", self.jar.header())
            .send()
            .await
            .expect("GET");
        self.jar.take(&res);
        res
    }

    pub async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let res = self
            .server
            .browser
            .post(self.absolute(url))
            .header("cookie", self.jar.header())
            .form(form)
            .send()
            .await
            .expect("POST");
        self.jar.take(&res);
        res
    }

    /// Follows redirects (with the jar) until a page; returns (final URL, status, body).
    pub async fn follow(&mut self, mut res: reqwest::Response) -> (String, u16, String) {
        let mut url = res.url().to_string();
        for _ in 0..15 {
            if !res.status().is_redirection() {
                let status = res.status().as_u16();
                return (url, status, res.text().await.expect("body"));
            }
            url = self.absolute(&location(&res));
            res = self.get(&url).await;
        }
        panic!("too many redirects");
    }

    pub async fn open(&mut self, url: &str) -> (String, u16, String) {
        let res = self.get(url).await;
        self.follow(res).await
    }

    /// Logs in at the embedded Ansattporten as `pid`, starting from Studio's button; returns
    /// the page Studio lands on.
    pub async fn ansattporten(&mut self, pid: &str) -> (String, u16, String) {
        let res = self.get("/studio/user/oauth2/ansattporten").await;
        let authorize = location(&res);
        let res = self.get(&authorize).await;
        let html = res.text().await.expect("page");
        let request_id = input_value(&html, "request_id").expect("request_id");
        let res = self
            .post(
                "/ansattporten/authorize/login",
                &[("request_id", &request_id), ("pid", pid)],
            )
            .await;
        self.follow(res).await
    }

    /// Fills in the registration form (solving the captcha as the page's script would).
    pub async fn sign_up(
        &mut self,
        page: &str,
        user: &str,
        email: &str,
        password: &str,
        retype: &str,
    ) -> (String, u16, String) {
        let csrf = input_value(page, "_csrf").expect("_csrf");
        let captcha = solve_captcha(page);
        let res = self
            .post(
                "/studio/user/link_account_signup",
                &[
                    ("_csrf", &csrf),
                    ("user_name", user),
                    ("email", email),
                    ("password", password),
                    ("retype", retype),
                    ("captcha", &captcha),
                ],
            )
            .await;
        self.follow(res).await
    }
}

/// The captcha answer for the challenge on a page (the `captcha` form value).
pub fn solve_captcha(page: &str) -> String {
    let marker = "data-challenge=\"";
    let start = page.find(marker).expect("a captcha on the page") + marker.len();
    let end = page[start..].find('"').expect("end") + start;
    let json = page[start..end]
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    let c: tilgang::domain::captcha::Challenge = serde_json::from_str(&json).expect("challenge");
    let number = tilgang::domain::captcha::solve(&c).expect("solvable");
    let answer = serde_json::json!({"algorithm": c.algorithm, "challenge": c.challenge, "number": number, "salt": c.salt, "signature": c.signature});
    base64::engine::general_purpose::STANDARD.encode(answer.to_string())
}
