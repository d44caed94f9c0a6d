//! A real browser for page tests: Debian's chromium driven by chromedriver over the W3C
//! WebDriver protocol (plain HTTP, no extra client library).
//!
//! When chromedriver is missing the test says so and is skipped, except under `CI=true`,
//! where it fails (`.ci/run` installs chromium and chromium-driver).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    profile_dir: std::path::PathBuf,
}

fn find_program(env: &str, candidates: &[&str]) -> Option<String> {
    if let Ok(p) = std::env::var(env) {
        return Some(p);
    }
    candidates
        .iter()
        .find(|c| std::path::Path::new(c).exists())
        .map(|c| (*c).to_owned())
}

impl Browser {
    /// Starts chromedriver and a headless chromium; `None` (with a warning) when they are not
    /// installed and this is not CI.
    pub async fn start() -> Option<Browser> {
        Self::start_with(&[]).await
    }

    /// [`Browser::start`] with more chromium arguments.
    pub async fn start_with(extra_args: &[&str]) -> Option<Browser> {
        let driver_path = find_program(
            "CHROMEDRIVER",
            &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"],
        );
        let chromium = find_program(
            "CHROMIUM",
            &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
        );
        let (Some(driver_path), Some(chromium)) = (driver_path, chromium) else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "chromium and chromedriver are needed for the page tests (apt-get install chromium chromium-driver)"
                );
            }
            eprintln!(
                "WARNING: chromium or chromedriver is not installed; skipping the browser test"
            );
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let mut ready = false;
        for _ in 0..100 {
            if let Ok(res) = http.get(format!("{base}/status")).send().await
                && res
                    .json::<Value>()
                    .await
                    .is_ok_and(|v| v["value"]["ready"] == true)
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "chromedriver did not start");
        let profile_dir = std::env::temp_dir().join(format!(
            "tilgang-chromium-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let mut args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--window-size=1200,900".into(),
            format!("--user-data-dir={}", profile_dir.display()),
            "--lang=nb".into(),
        ];
        args.extend(extra_args.iter().map(|a| (*a).to_owned()));
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": chromium,
            "args": args,
            "prefs": {"intl.accept_languages": "nb,no,en"}}}}});
        let res: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .expect("session JSON");
        let session = res["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {res}"))
            .to_owned();
        Some(Browser {
            driver,
            base,
            session,
            http,
            profile_dir,
        })
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res: Value = req
            .send()
            .await
            .expect("webdriver")
            .json()
            .await
            .expect("webdriver JSON");
        if res["value"].get("error").is_some() {
            panic!("webdriver {path}: {}", res["value"]);
        }
        res["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    pub async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits (up to 10 s) until the address satisfies `ok`; returns it.
    pub async fn wait_url(&self, ok: impl Fn(&str) -> bool) -> String {
        for _ in 0..100 {
            let url = self.url().await;
            if ok(&url) {
                return url;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the browser did not arrive; it is at {}", self.url().await)
    }

    /// Waits (up to 10 s) until the page holds `text`.
    pub async fn wait_text(&self, text: &str) {
        for _ in 0..100 {
            if self.source().await.contains(text) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page never showed '{text}': {}", self.source().await)
    }

    /// Waits until the page no longer holds `text` (the next page has loaded).
    pub async fn wait_gone(&self, text: &str) {
        for _ in 0..100 {
            if !self.source().await.contains(text) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page kept showing '{text}'")
    }

    pub async fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn find_by(&self, using: &str, value: &str) -> String {
        let v = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": using, "value": value})),
            )
            .await;
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {value}: {v}"))
            .to_owned()
    }

    pub async fn click_css(&self, css: &str) {
        let el = self.find_by("css selector", css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{el}/click"),
            Some(json!({})),
        )
        .await;
    }

    pub async fn click_link(&self, text: &str) {
        let el = self.find_by("link text", text).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{el}/click"),
            Some(json!({})),
        )
        .await;
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.find_by("css selector", css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{el}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    /// Empties an input (what a person does before typing a new search).
    pub async fn clear(&self, css: &str) {
        let el = self.find_by("css selector", css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{el}/clear"),
            Some(json!({})),
        )
        .await;
    }

    pub async fn text_of(&self, css: &str) -> String {
        let el = self.find_by("css selector", css).await;
        self.call(reqwest::Method::GET, &format!("/element/{el}/text"), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Runs `js` (a function body) in the page and returns what it returns.
    pub async fn script(&self, js: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": js, "args": []})),
        )
        .await
    }

    /// What makes the page wider than its window (WCAG 1.4.10: nothing scrolls sideways but
    /// data tables): the outermost elements that reach past its right edge; empty when it fits.
    pub async fn too_wide(&self) -> Vec<String> {
        let v = self
            .script(
                "const d = document.documentElement; if (d.scrollWidth <= d.clientWidth) return [];\n\
                 const out = [];\n\
                 for (const e of document.body.querySelectorAll('*')) {\n\
                   if (e.getBoundingClientRect().right > d.clientWidth && !(e.parentElement && e.parentElement.getBoundingClientRect().right > d.clientWidth)) {\n\
                     out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + String(e.className).split(' ').join('.') : '') + ' (' + Math.round(e.getBoundingClientRect().right) + ' > ' + d.clientWidth + ')');\n\
                   }\n\
                 }\n\
                 if (out.length) return out;\n\
                 for (const e of document.body.querySelectorAll('*')) {\n\
                   const was = e.style.display; e.style.display = 'none';\n\
                   const fits = d.scrollWidth <= d.clientWidth; e.style.display = was;\n\
                   if (fits) out.push('without ' + e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + String(e.className).split(' ').join('.') : '') + ' it fits');\n\
                 }\n\
                 return out.length ? out.slice(-3) : ['the page (' + d.scrollWidth + ' > ' + d.clientWidth + ')'];",
            )
            .await;
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Runs axe-core (tests/clients/node_modules, `npm ci --prefix tests/clients`) on the page
    /// with the WCAG 2.1 A and AA rules; returns each violation as `rule: the elements`.
    pub async fn axe(&self) -> Vec<String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/clients/node_modules/axe-core/axe.min.js");
        let Ok(source) = std::fs::read_to_string(&path) else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("axe-core is needed for the page tests (npm ci --prefix tests/clients)");
            }
            eprintln!("WARNING: axe-core is not installed; skipping the accessibility check");
            return Vec::new();
        };
        let js = format!(
            "{source}\nconst done = arguments[arguments.length - 1];\n\
             axe.run(document, {{runOnly: {{type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}}})\n\
             .then(r => done(r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))))\n\
             .catch(e => done(['axe failed: ' + e]));"
        );
        let v = self
            .call(
                reqwest::Method::POST,
                "/execute/async",
                Some(json!({"script": js, "args": []})),
            )
            .await;
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_else(|| vec![format!("axe answered {v}")])
    }

    /// Makes the viewport exactly `width` × `height` CSS pixels (a phone, say). Chromium's
    /// window cannot be narrower than about 500 pixels, so this emulates the device's screen
    /// (DevTools' device metrics) rather than resizing the window.
    pub async fn resize(&self, width: u32, height: u32) {
        self.call(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            Some(
                json!({"cmd": "Emulation.setDeviceMetricsOverride", "params": {
                "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}}),
            ),
        )
        .await;
        let seen = self
            .script("return document.documentElement.clientWidth")
            .await;
        assert!(
            seen.as_u64().is_some_and(|w| w <= u64::from(width)),
            "the viewport is {seen}, not {width} px wide"
        );
    }

    /// A browser whose viewport is `width` CSS pixels wide (see [`Browser::resize`]).
    pub async fn at_width(width: u32) -> Option<Browser> {
        let b = Self::start().await?;
        b.resize(width, 900).await;
        Some(b)
    }

    /// Fails the test when the page has a WCAG 2.1 A/AA violation (axe-core) or scrolls
    /// sideways; `page` names it in the message.
    pub async fn assert_accessible(&self, page: &str) {
        let violations = self.axe().await;
        assert!(violations.is_empty(), "{page}: {violations:?}");
        let wide = self.too_wide().await;
        assert!(wide.is_empty(), "{page} scrolls sideways: {wide:?}");
    }

    /// Saves a PNG of the page under target/screenshots/.
    pub async fn screenshot(&self, name: &str) {
        use base64::Engine;
        let png = self.call(reqwest::Method::GET, "/screenshot", None).await;
        if let Some(data) = png.as_str()
            && let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(data)
        {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(dir.join(format!("{name}.png")), bytes);
        }
    }

    pub async fn quit(mut self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send()
            .await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile_dir);
    }
}
