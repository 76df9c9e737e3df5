//! A stand-in for Meta's Graph API on 127.0.0.1: it accepts every WhatsApp message the dispatcher
//! sends (answering with a message id, as the Cloud API does) and keeps their JSON bodies, which
//! `GET /sent` lists — the local stack's WhatsApp, as moto is its SES and SNS.

use std::io::{BufRead, BufReader, Read, Write};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::LocalError;

/// What the stand-in received: the JSON bodies of the messages sent.
pub type Sent = Arc<Mutex<Vec<Value>>>;

#[derive(Debug, Clone)]
pub struct GraphApi {
    /// What `WHATSAPP_API_BASE` is set to (`http://127.0.0.1:PORT/v21.0`).
    pub base: String,
    pub sent: Sent,
}

impl GraphApi {
    /// On `port` (0: a free one), on a thread of its own, for as long as the process runs.
    pub fn start(port: u16) -> Result<Self, LocalError> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))
            .map_err(|source| LocalError::Io { what: format!("binding the Graph API stand-in on {port}"), source })?;
        let address = listener
            .local_addr()
            .map_err(|source| LocalError::Io { what: "binding the Graph API stand-in".into(), source })?;
        let sent: Sent = Arc::default();
        let record = Arc::clone(&sent);
        std::thread::Builder::new()
            .name("graph-api".into())
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    let _ = answer(stream, &record);
                }
            })
            .map_err(|source| LocalError::Io { what: "starting the Graph API stand-in".into(), source })?;
        Ok(Self { base: format!("http://{address}/v21.0"), sent })
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn answer(mut stream: std::net::TcpStream, record: &Sent) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let (mut request_line, mut length) = (String::new(), 0);
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
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let answer = if request_line.starts_with("GET /sent") {
        serde_json::to_string(&*lock(record)).unwrap_or_default()
    } else {
        let mut all = lock(record);
        all.push(serde_json::from_slice(&body).unwrap_or(Value::Null));
        format!(r#"{{"messaging_product":"whatsapp","messages":[{{"id":"wamid.out.{}"}}]}}"#, all.len())
    };
    let reply = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
        answer.len()
    );
    stream.write_all(reply.as_bytes())
}
