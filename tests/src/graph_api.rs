//! A stand-in for Meta's Graph API on 127.0.0.1: it accepts every WhatsApp message the dispatcher
//! sends (answering with a message id, as the Cloud API does) and keeps their JSON bodies, which
//! `GET /sent` lists; and it serves the media citizens "sent" through the Cloud API's media
//! endpoint (`GET /v21.0/{id}` describes, the URL it gives downloads), failing when told to — the
//! local stack's WhatsApp, as moto is its SES and SNS.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::LocalError;

/// What the stand-in received: the JSON bodies of the messages sent.
pub type Sent = Arc<Mutex<Vec<Value>>>;

/// Media by id: content type and content.
type Media = Arc<Mutex<HashMap<String, (String, Vec<u8>)>>>;

#[derive(Debug, Clone)]
pub struct GraphApi {
    /// What `WHATSAPP_API_BASE` is set to (`http://127.0.0.1:PORT/v21.0`).
    pub base: String,
    pub sent: Sent,
    media: Media,
    /// How many of the next media requests answer 503.
    media_failures: Arc<Mutex<u32>>,
}

impl GraphApi {
    /// On `port` (0: a free one), on a thread of its own, for as long as the process runs.
    pub fn start(port: u16) -> Result<Self, LocalError> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))
            .map_err(|source| LocalError::Io { what: format!("binding the Graph API stand-in on {port}"), source })?;
        let address = listener
            .local_addr()
            .map_err(|source| LocalError::Io { what: "binding the Graph API stand-in".into(), source })?;
        let api = Self {
            base: format!("http://{address}/v21.0"),
            sent: Arc::default(),
            media: Arc::default(),
            media_failures: Arc::default(),
        };
        let serving = api.clone();
        std::thread::Builder::new()
            .name("graph-api".into())
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    let _ = serving.answer(stream);
                }
            })
            .map_err(|source| LocalError::Io { what: "starting the Graph API stand-in".into(), source })?;
        Ok(api)
    }

    /// A medium a citizen sent, as WhatsApp keeps it.
    pub fn put_media(&self, media_id: &str, content_type: &str, content: &[u8]) {
        lock(&self.media).insert(media_id.to_owned(), (content_type.to_owned(), content.to_vec()));
    }

    /// The next `count` media requests (describe or download) answer 503.
    pub fn fail_media(&self, count: u32) {
        *lock(&self.media_failures) = count;
    }

    fn answer(&self, mut stream: std::net::TcpStream) -> std::io::Result<()> {
        let mut reader = BufReader::new(stream.try_clone()?);
        let (mut request_line, mut length, mut authorized) = (String::new(), 0, false);
        reader.read_line(&mut request_line)?;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header)?;
            let header = header.trim_end().to_ascii_lowercase();
            if header.is_empty() {
                break;
            }
            if let Some(value) = header.strip_prefix("content-length: ") {
                length = value.parse().unwrap_or(0);
            }
            authorized |= header.starts_with("authorization: bearer ");
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        let path = request_line.split_whitespace().nth(1).unwrap_or_default().to_owned();
        let (status, content_type, answer) = if request_line.starts_with("GET /sent") {
            (200, "application/json".to_owned(), serde_json::to_vec(&*lock(&self.sent)).unwrap_or_default())
        } else if request_line.starts_with("GET ") {
            self.media_answer(&path, authorized)
        } else {
            let mut all = lock(&self.sent);
            all.push(serde_json::from_slice(&body).unwrap_or(Value::Null));
            let id = format!(r#"{{"messaging_product":"whatsapp","messages":[{{"id":"wamid.out.{}"}}]}}"#, all.len());
            (200, "application/json".to_owned(), id.into_bytes())
        };
        let head = format!(
            "HTTP/1.1 {status} {}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            if status == 200 { "OK" } else { "Error" },
            answer.len()
        );
        stream.write_all(head.as_bytes())?;
        stream.write_all(&answer)
    }

    /// `GET /v21.0/{id}`: the medium described; `GET /media-download/{id}`: its content.
    fn media_answer(&self, path: &str, authorized: bool) -> (u16, String, Vec<u8>) {
        let error = |status: u16, message: &str| {
            (status, "application/json".to_owned(), json!({"error": {"message": message}}).to_string().into_bytes())
        };
        if !authorized {
            return error(401, "An access token is required");
        }
        {
            let mut failures = lock(&self.media_failures);
            if *failures > 0 {
                *failures -= 1;
                return error(503, "Service temporarily unavailable");
            }
        }
        let (download, id) = match path.strip_prefix("/media-download/") {
            Some(id) => (true, id),
            None => (false, path.rsplit('/').next().unwrap_or_default()),
        };
        let Some((content_type, content)) = lock(&self.media).get(id).cloned() else {
            return error(404, "Unsupported get request. Object does not exist");
        };
        if download {
            return (200, content_type, content);
        }
        let origin = self.base.trim_end_matches("/v21.0");
        let described = json!({
            "messaging_product": "whatsapp",
            "url": format!("{origin}/media-download/{id}"),
            "mime_type": content_type,
            "sha256": hex::encode(Sha256::digest(&content)),
            "file_size": content.len().to_string(),
            "id": id,
        });
        (200, "application/json".to_owned(), described.to_string().into_bytes())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
