//! HTTP as the console needs it over a Function URL: the request's path, query, form and cookies;
//! HTML answers with the headers every page carries; redirects and cookies.

use std::collections::HashMap;

use aws_lambda_events::event::lambda_function_urls::{LambdaFunctionUrlRequest, LambdaFunctionUrlResponse};
use aws_lambda_events::http::{HeaderName, HeaderValue};
use base64::Engine;

/// Forms are small: a reply is at most 4,096 characters.
const MAX_FORM_BYTES: usize = 32 * 1024;
/// About 150,000 contract ids, form-encoded: more than one announcement takes.
const MAX_ANNOUNCEMENT_FORM_BYTES: usize = 4 * 1024 * 1024;

/// What every answer says to the browser: scripts, styles and requests from the console only
/// (images also from the map's tile server); never framed; nothing cached; no referrer leaves it.
fn content_security_policy(tiles: Option<&str>) -> String {
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'{}; connect-src 'self'; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        tiles.map(|origin| format!(" {origin}")).unwrap_or_default()
    )
}

/// The origin (`https://tile.example.org`) of a tile URL template, which the policy must allow.
pub(crate) fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split('/').next().filter(|h| !h.is_empty() && !h.contains(['{', '}', ' ', ';', '\'']))?;
    matches!(scheme, "https" | "http").then(|| format!("{scheme}://{host}"))
}

const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cache-control", "no-store"),
];

#[derive(Debug)]
pub(crate) struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    query: &'a HashMap<String, String>,
    form: HashMap<String, String>,
    cookies: HashMap<&'a str, &'a str>,
    /// Served on 127.0.0.1 (a developer's machine): cookies without `Secure`, which needs HTTPS.
    pub local: bool,
}

impl<'a> Request<'a> {
    pub fn read(request: &'a LambdaFunctionUrlRequest) -> Result<Self, Response> {
        let method = request.request_context.http.method.as_deref().unwrap_or("GET");
        let path = request.request_context.http.path.as_deref().or(request.raw_path.as_deref()).unwrap_or("/");
        // An announcement's form carries its file of contracts.
        let (raw, max) = if method == "POST" && path.trim_end_matches('/') == "/announcements" {
            (MAX_ANNOUNCEMENT_FORM_BYTES, MAX_ANNOUNCEMENT_FORM_BYTES)
        } else {
            (avisa_runtime::http::MAX_BODY_BYTES, MAX_FORM_BYTES)
        };
        let body = avisa_runtime::http::body_of_at_most(request, raw)
            .map_err(|_| Response::text(400, "The form could not be read."))?;
        if body.len() > max {
            return Err(Response::text(413, "The form is too large."));
        }
        let form = form_urlencoded::parse(&body).into_owned().collect();
        let cookies = request
            .cookies
            .iter()
            .flatten()
            .filter_map(|cookie| cookie.split_once('='))
            .map(|(name, value)| (name.trim(), value.trim()))
            .collect();
        let host = request.headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or_default();
        let local = ["127.0.0.1", "localhost"].iter().any(|local| host.split(':').next() == Some(*local));
        Ok(Self { method, path, query: &request.query_string_parameters, form, cookies, local })
    }

    pub fn segments(&self) -> Vec<&'a str> {
        self.path.trim_matches('/').split('/').collect()
    }

    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }

    /// Whether the form was filled in on a record at another `version` than the stored one: a
    /// second click, or a colleague's change meanwhile. Such a form changes nothing.
    pub fn is_stale(&self, version: u32) -> bool {
        self.form("version") != Some(version.to_string().as_str())
    }

    pub fn form(&self, name: &str) -> Option<&str> {
        self.form.get(name).map(String::as_str)
    }

    pub fn cookie(&self, name: &str) -> Option<&'a str> {
        self.cookies.get(name).copied()
    }

    /// A cookie for this console: `HttpOnly`, same-site only, and `Secure` but on a developer's
    /// machine. `max_age` 0 removes it.
    pub fn cookie_header(&self, name: &str, value: &str, path: &str, max_age: i64) -> String {
        let secure = if self.local { "" } else { "; Secure" };
        format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}")
    }
}

#[derive(Debug)]
pub(crate) struct Response {
    pub status: i64,
    content_type: &'static str,
    body: Body,
    location: Option<String>,
    /// A file to save (`content-disposition: attachment`), by name.
    attachment: Option<String>,
    cookies: Vec<String>,
}

#[derive(Debug)]
enum Body {
    Text(String),
    /// Sent base64-encoded, as Function URLs carry binary bodies.
    Bytes(Box<[u8]>),
}

impl Response {
    pub fn html(status: i64, body: String) -> Self {
        Self {
            status,
            content_type: "text/html; charset=utf-8",
            body: Body::Text(body),
            location: None,
            attachment: None,
            cookies: Vec::new(),
        }
    }

    /// An image.
    pub fn image(content_type: &'static str, bytes: Vec<u8>) -> Self {
        Self { content_type, body: Body::Bytes(bytes.into_boxed_slice()), ..Self::html(200, String::new()) }
    }

    pub fn text(status: i64, body: &str) -> Self {
        Self { content_type: "text/plain; charset=utf-8", ..Self::html(status, body.to_owned()) }
    }

    pub fn json(body: &serde_json::Value) -> Self {
        Self { content_type: "application/json", ..Self::html(200, body.to_string()) }
    }

    /// A CSV file the browser saves as `name`.
    pub fn csv(name: &str, body: String) -> Self {
        Self { content_type: "text/csv; charset=utf-8", attachment: Some(name.to_owned()), ..Self::html(200, body) }
    }

    /// After a form: the browser goes to `location` with a GET, so a reload repeats nothing.
    pub fn see_other(location: &str) -> Self {
        Self { location: Some(location.to_owned()), ..Self::text(303, "") }
    }

    pub fn with_cookie(mut self, cookie: String) -> Self {
        self.cookies.push(cookie);
        self
    }

    /// The answer, its pages allowed to show map tiles from `tiles` (an origin).
    pub fn into_lambda(self, tiles: Option<&str>) -> LambdaFunctionUrlResponse {
        let (body, base64) = match self.body {
            Body::Text(text) => (text, false),
            Body::Bytes(bytes) => (base64::engine::general_purpose::STANDARD.encode(bytes), true),
        };
        let mut response = avisa_runtime::http::respond(self.status, self.content_type, body);
        // Every answer is `no-store` (the security headers): a photo is not left in a shared cache.
        response.is_base64_encoded = base64;
        if let Ok(policy) = HeaderValue::from_str(&content_security_policy(tiles)) {
            response.headers.insert(HeaderName::from_static("content-security-policy"), policy);
        }
        for (name, value) in SECURITY_HEADERS {
            response.headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
        }
        let disposition = self.attachment.map(|name| format!("attachment; filename=\"{name}\""));
        if let Some(disposition) = disposition.and_then(|d| HeaderValue::from_str(&d).ok()) {
            response.headers.insert(HeaderName::from_static("content-disposition"), disposition);
        }
        if let Some(location) = self.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
            response.headers.insert(HeaderName::from_static("location"), location);
        }
        response.cookies = self.cookies;
        response
    }
}

/// The stylesheet and the script, built into the binary (no CDN, nothing fetched at run time).
pub(crate) fn asset(file: &str) -> Response {
    let (content_type, body) = match file {
        "console.css" => ("text/css; charset=utf-8", include_str!("../static/console.css")),
        "console.js" => ("text/javascript; charset=utf-8", include_str!("../static/console.js")),
        "outage-map.js" => ("text/javascript; charset=utf-8", include_str!("../static/outage-map.js")),
        // Leaflet 1.9.4, from npm (`make vendor-leaflet`); BSD-2-Clause, static/vendor/LEAFLET-LICENSE.
        "leaflet.js" => ("text/javascript; charset=utf-8", include_str!("../static/vendor/leaflet.js")),
        "leaflet.css" => ("text/css; charset=utf-8", include_str!("../static/vendor/leaflet.css")),
        _ => return Response::text(404, "No such file."),
    };
    Response { content_type, ..Response::html(200, body.to_owned()) }
}

/// `N` random bytes from the operating system.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The OS's generator failing is a broken host: nothing can be signed in safely.
    getrandom::fill(&mut bytes).expect("the operating system's random number generator is available");
    bytes
}

/// A secret no one can guess: 32 random bytes from the operating system, in hex.
pub(crate) fn random_token() -> String {
    hex::encode(random_bytes::<32>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(host: &str, cookies: &[&str], body: &str) -> LambdaFunctionUrlRequest {
        let mut request = LambdaFunctionUrlRequest::default();
        request.headers.insert("host", host.parse().unwrap());
        request.cookies = Some(cookies.iter().map(|c| (*c).to_owned()).collect());
        request.body = Some(body.to_owned());
        request.request_context.http.method = Some("POST".into());
        request.request_context.http.path = Some("/conversations/34600222333/reply".into());
        request
    }

    #[test]
    fn cookies_are_secure_except_on_a_developers_machine() {
        let deployed = request("abc.lambda-url.eu-west-1.on.aws", &[], "");
        let cookie = Request::read(&deployed).unwrap().cookie_header("avisa_session", "x", "/", 60);
        assert_eq!(cookie, "avisa_session=x; Path=/; Max-Age=60; HttpOnly; SameSite=Strict; Secure");
        let local = request("127.0.0.1:5057", &[], "");
        assert!(!Request::read(&local).unwrap().cookie_header("avisa_session", "x", "/", 60).contains("Secure"));
        let pretending = request("127.0.0.1.example.org", &[], "");
        assert!(Request::read(&pretending).unwrap().cookie_header("a", "x", "/", 60).ends_with("; Secure"));
    }

    #[test]
    fn the_form_cookies_and_path_are_read() {
        let raw = request("127.0.0.1", &["avisa_session=abc", "other=1=2"], "csrf=t%20k&text=Bon+dia%21");
        let read = Request::read(&raw).unwrap();
        assert_eq!(read.segments(), ["conversations", "34600222333", "reply"]);
        assert_eq!((read.form("csrf"), read.form("text")), (Some("t k"), Some("Bon dia!")));
        assert_eq!((read.cookie("avisa_session"), read.cookie("other")), (Some("abc"), Some("1=2")));
        assert_eq!(read.cookie("missing"), None);
    }

    #[test]
    fn every_answer_forbids_framing_scripts_from_elsewhere_and_caching() {
        let answer = Response::see_other("/inbox").with_cookie("a=b".into()).into_lambda(None);
        assert_eq!(answer.status_code, 303);
        assert_eq!(answer.headers["location"], "/inbox");
        assert_eq!(answer.cookies, ["a=b"]);
        let policy = answer.headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"), "{policy}");
        assert_eq!(answer.headers["cache-control"], "no-store");
        assert!(policy.contains("img-src 'self';"), "no tiles, no other images: {policy}");
        let with_tiles = Response::text(200, "").into_lambda(Some("https://tile.openstreetmap.org"));
        let policy = with_tiles.headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("img-src 'self' https://tile.openstreetmap.org;"), "{policy}");
    }

    #[test]
    fn a_tile_servers_origin_is_taken_from_its_url_template_and_nothing_else_passes() {
        assert_eq!(
            origin_of("https://tile.openstreetmap.org/{z}/{x}/{y}.png").as_deref(),
            Some("https://tile.openstreetmap.org")
        );
        assert_eq!(origin_of("https://{s}.tile.example.org/{z}/{x}/{y}.png"), None, "a host must be one origin");
        assert_eq!(origin_of("javascript:alert(1)"), None);
        assert_eq!(origin_of("https://evil.example; script-src *"), None);
        assert_eq!(origin_of(""), None);
    }

    #[test]
    fn tokens_are_256_random_bits() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
