//! A web server on 127.0.0.1 for the tests: the pages it serves (a tenant's feeds) are set and
//! changed while it runs, a status and all, so a test can break a feed and mend it.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::sync::{Arc, Mutex};

use crate::LocalError;

#[derive(Debug, Clone)]
struct Page {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct Web {
    /// `http://127.0.0.1:PORT`
    pub origin: String,
    pages: Arc<Mutex<HashMap<String, Page>>>,
}

impl Web {
    pub fn start() -> Result<Self, LocalError> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
            .map_err(|source| LocalError::Io { what: "binding the test web server".into(), source })?;
        let address = listener
            .local_addr()
            .map_err(|source| LocalError::Io { what: "binding the test web server".into(), source })?;
        let web = Self { origin: format!("http://{address}"), pages: Arc::default() };
        let serving = web.clone();
        std::thread::Builder::new()
            .name("test-web".into())
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    let _ = serving.answer(stream);
                }
            })
            .map_err(|source| LocalError::Io { what: "starting the test web server".into(), source })?;
        Ok(web)
    }

    /// Serves `body` at `path` with `status`; the page's URL.
    pub fn serve(&self, path: &str, status: u16, content_type: &str, body: &[u8]) -> String {
        let page = Page { status, content_type: content_type.to_owned(), body: body.to_vec() };
        self.pages.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(path.to_owned(), page);
        format!("{}{path}", self.origin)
    }

    fn answer(&self, mut stream: std::net::TcpStream) -> std::io::Result<()> {
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut request_line = String::new();
        reader.read_line(&mut request_line)?;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header)? == 0 || header.trim_end().is_empty() {
                break;
            }
        }
        let path = request_line.split_whitespace().nth(1).unwrap_or_default();
        let page = self.pages.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(path).cloned();
        let page = page.unwrap_or(Page { status: 404, content_type: "text/plain".into(), body: b"not found".to_vec() });
        let head = format!(
            "HTTP/1.1 {} Status\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            page.status,
            page.content_type,
            page.body.len()
        );
        stream.write_all(head.as_bytes())?;
        stream.write_all(&page.body)
    }
}
