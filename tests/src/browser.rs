//! Chromium driven over `WebDriver`, for the staff console's tests: Debian's `chromium` and
//! `chromium-driver` (`make browser` installs them), headless, offline, with a fresh profile.
//!
//! `WebDriver` is JSON over HTTP to chromedriver; the handful of commands the tests use are sent
//! with the harness's own HTTP client (a `WebDriver` crate would bring a second copy of ICU and its
//! own HTTP stack for these eight calls).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

use crate::LocalError;

/// What Chromium needs to run headless here: no sandbox (root in a container), no GPU, and
/// nothing fetched from Google's hosts, which this machine cannot reach.
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
];

/// W3C `WebDriver`'s key for an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A browser session; closed (and chromedriver stopped) when dropped.
#[derive(Debug)]
pub struct Browser {
    http: reqwest::Client,
    session: String,
    driver: Child,
    profile: PathBuf,
    screenshots: PathBuf,
}

fn failed(doing: impl Into<String>, detail: impl std::fmt::Display) -> LocalError {
    LocalError::Browser { doing: doing.into(), detail: detail.to_string() }
}

impl Browser {
    /// A new headless Chromium; screenshots go to `screenshots`.
    pub async fn start(screenshots: &Path) -> Result<Self, LocalError> {
        let driver_path =
            std::env::var_os("CHROMEDRIVER").map_or_else(|| PathBuf::from("/usr/bin/chromedriver"), PathBuf::from);
        if !driver_path.is_file() {
            return Err(LocalError::BrowserMissing { looked_for: driver_path.display().to_string() });
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|source| LocalError::Io { what: "finding a port for chromedriver".into(), source })?
            .port();
        let driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| LocalError::Io { what: format!("starting {}", driver_path.display()), source })?;
        let profile = std::env::temp_dir().join(format!("avisa-chromium-{}-{port}", std::process::id()));
        std::fs::create_dir_all(screenshots)
            .map_err(|source| LocalError::Io { what: format!("creating {}", screenshots.display()), source })?;
        let http = reqwest::Client::builder().timeout(Duration::from_mins(1)).build().unwrap_or_default();
        let base = format!("http://127.0.0.1:{port}");
        let mut ready = false;
        for _ in 0..100 {
            if let Ok(answer) = http.get(format!("{base}/status")).send().await
                && answer.status().is_success()
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut browser = Self { http, session: String::new(), driver, profile, screenshots: screenshots.to_owned() };
        if !ready {
            return Err(failed("starting chromedriver", "it did not answer within 10 s"));
        }
        let mut args: Vec<String> = FLAGS.iter().map(|f| (*f).to_owned()).collect();
        args.push(format!("--user-data-dir={}", browser.profile.display()));
        let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": binary, "args": args },
        }}});
        let created = browser.call("POST", &format!("{base}/session"), Some(capabilities), "starting Chromium").await?;
        let id = created["sessionId"].as_str().ok_or_else(|| failed("starting Chromium", &created))?;
        browser.session = format!("{base}/session/{id}");
        Ok(browser)
    }

    async fn call(&self, method: &str, url: &str, body: Option<Value>, doing: &str) -> Result<Value, LocalError> {
        let request = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body.unwrap_or_else(|| json!({}))),
        };
        let answer = request.send().await.map_err(|e| failed(doing, e))?;
        let status = answer.status();
        let value: Value = answer.json().await.map_err(|e| failed(doing, e))?;
        if !status.is_success() {
            return Err(failed(doing, &value["value"]["message"]));
        }
        Ok(value.get("value").cloned().unwrap_or(value))
    }

    async fn command(&self, method: &str, path: &str, body: Option<Value>, doing: &str) -> Result<Value, LocalError> {
        self.call(method, &format!("{}{path}", self.session), body, doing).await
    }

    pub async fn goto(&self, url: &str) -> Result<(), LocalError> {
        self.command("POST", "/url", Some(json!({ "url": url })), &format!("opening {url}")).await.map(drop)
    }

    pub async fn title(&self) -> Result<String, LocalError> {
        Ok(self.command("GET", "/title", None, "reading the title").await?.as_str().unwrap_or_default().to_owned())
    }

    pub async fn url(&self) -> Result<String, LocalError> {
        Ok(self.command("GET", "/url", None, "reading the address").await?.as_str().unwrap_or_default().to_owned())
    }

    async fn element(&self, css: &str) -> Result<String, LocalError> {
        let doing = format!("finding {css}");
        let found =
            self.command("POST", "/element", Some(json!({ "using": "css selector", "value": css })), &doing).await?;
        found[ELEMENT].as_str().map(str::to_owned).ok_or_else(|| failed(doing, &found))
    }

    pub async fn click(&self, css: &str) -> Result<(), LocalError> {
        let id = self.element(css).await?;
        self.command("POST", &format!("/element/{id}/click"), None, &format!("clicking {css}")).await.map(drop)
    }

    /// Clicks `css` (a link, a form's button) and waits until the page it leads to has loaded.
    pub async fn follow(&self, css: &str) -> Result<(), LocalError> {
        self.execute("window.avisaLeaving = true").await?;
        self.click(css).await?;
        for _ in 0..80 {
            let arrived = self
                .execute("return window.avisaLeaving === undefined && document.readyState === 'complete'")
                .await
                .unwrap_or(Value::Bool(false));
            if arrived == Value::Bool(true) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(125)).await;
        }
        Err(failed(format!("following {css}"), "no new page loaded within 10 s"))
    }

    /// Types `text` into the field `css`, as a person would.
    pub async fn type_into(&self, css: &str, text: &str) -> Result<(), LocalError> {
        let id = self.element(css).await?;
        let doing = format!("typing into {css}");
        self.command("POST", &format!("/element/{id}/value"), Some(json!({ "text": text })), &doing).await.map(drop)
    }

    /// Clicks inside the element `css`, `dx`/`dy` pixels from its centre (a point on a map).
    pub async fn click_at(&self, css: &str, dx: i64, dy: i64) -> Result<(), LocalError> {
        self.execute(&format!("document.querySelector({css:?}).scrollIntoView({{block: 'center'}})")).await?;
        let id = self.element(css).await?;
        let origin = json!({ ELEMENT: id });
        let actions = json!({ "actions": [{
            "type": "pointer", "id": "mouse", "parameters": { "pointerType": "mouse" },
            "actions": [
                { "type": "pointerMove", "duration": 0, "origin": origin, "x": dx, "y": dy },
                { "type": "pointerDown", "button": 0 },
                { "type": "pointerUp", "button": 0 },
                { "type": "pause", "duration": 50 }
            ]
        }]});
        self.command("POST", "/actions", Some(actions), &format!("clicking in {css}")).await.map(drop)
    }

    /// Empties the field `css`.
    pub async fn clear(&self, css: &str) -> Result<(), LocalError> {
        let id = self.element(css).await?;
        self.command("POST", &format!("/element/{id}/clear"), Some(json!({})), &format!("clearing {css}"))
            .await
            .map(drop)
    }

    /// The visible text of the element `css`.
    pub async fn text(&self, css: &str) -> Result<String, LocalError> {
        let id = self.element(css).await?;
        let text = self.command("GET", &format!("/element/{id}/text"), None, &format!("reading {css}")).await?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    /// Runs `script` in the page and gives back what it returns.
    pub async fn execute(&self, script: &str) -> Result<Value, LocalError> {
        self.command("POST", "/execute/sync", Some(json!({ "script": script, "args": [] })), "running a script").await
    }

    /// Waits up to `seconds` for the element `css` to show `expected`; its text then.
    pub async fn wait_for_text(&self, css: &str, expected: &str, seconds: u64) -> Result<String, LocalError> {
        let mut last = String::new();
        for _ in 0..seconds * 4 {
            last = self.text(css).await.unwrap_or_default();
            if last.contains(expected) {
                return Ok(last);
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        Err(failed(format!("waiting for {css} to show {expected:?}"), format!("after {seconds} s it shows {last:?}")))
    }

    /// The value of the page's cookie `name` (`HttpOnly` ones too: `WebDriver` sees what scripts cannot).
    pub async fn cookie(&self, name: &str) -> Result<String, LocalError> {
        let cookie = self.command("GET", &format!("/cookie/{name}"), None, &format!("reading cookie {name}")).await?;
        Ok(cookie["value"].as_str().unwrap_or_default().to_owned())
    }

    /// Sets the cookie `name` on the page's site, as a copied cookie would be.
    pub async fn add_cookie(&self, name: &str, value: &str) -> Result<(), LocalError> {
        let cookie = json!({ "cookie": { "name": name, "value": value, "path": "/", "httpOnly": true } });
        self.command("POST", "/cookie", Some(cookie), &format!("setting cookie {name}")).await.map(drop)
    }

    /// Saves what the browser shows as `{name}.png`; its path.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf, LocalError> {
        let png = self.command("GET", "/screenshot", None, "taking a screenshot").await?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap_or_default())
            .map_err(|e| failed("taking a screenshot", e))?;
        let path = self.screenshots.join(format!("{name}.png"));
        std::fs::write(&path, bytes)
            .map_err(|source| LocalError::Io { what: format!("writing {}", path.display()), source })?;
        Ok(path)
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Closing the session ends Chromium; then chromedriver.
        if !self.session.is_empty() {
            let _closed = ureq::delete(&self.session).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
