//! The local HTTP servers of the harness (the AWS proxy, the Runtime API, function URLs): each on
//! 127.0.0.1, on a free port, on a thread and runtime of its own — so a test's runtime, blocked or
//! finished, never stops them — until dropped.

use std::future::Future;
use std::net::Ipv4Addr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

use crate::LocalError;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A server; it stops when dropped.
#[derive(Debug)]
pub(crate) struct LocalServer {
    /// `127.0.0.1:PORT`.
    pub(crate) address: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Serves `answer` for every request, with `workers` threads (0: one thread, the server's own).
/// An `Err` answer drops the connection without a response (what the fault proxy needs).
pub(crate) fn start<A, F, E>(what: &str, workers: usize, answer: A) -> Result<LocalServer, LocalError>
where
    A: Fn(hyper::Request<hyper::body::Incoming>) -> F + Send + Sync + 'static,
    F: Future<Output = Result<hyper::Response<Full<Bytes>>, E>> + Send + 'static,
    E: Into<BoxError>,
{
    start_on(what, 0, workers, answer)
}

/// [`start`] on `port` (0: a free one).
pub(crate) fn start_on<A, F, E>(what: &str, port: u16, workers: usize, answer: A) -> Result<LocalServer, LocalError>
where
    A: Fn(hyper::Request<hyper::body::Incoming>) -> F + Send + Sync + 'static,
    F: Future<Output = Result<hyper::Response<Full<Bytes>>, E>> + Send + 'static,
    E: Into<BoxError>,
{
    let io = |doing: &str| {
        let what = format!("{doing} {what}");
        move |source| LocalError::Io { what, source }
    };
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port)).map_err(io("binding"))?;
    listener.set_nonblocking(true).map_err(io("setting up"))?;
    let address = listener.local_addr().map_err(io("binding"))?.to_string();
    let runtime = if workers == 0 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build()
    }
    .map_err(io("starting the runtime of"))?;
    let (stop, stopped) = tokio::sync::oneshot::channel();
    let answer = Arc::new(answer);
    std::thread::Builder::new()
        .name(what.replace(' ', "-"))
        .spawn(move || runtime.block_on(accept(listener, answer, stopped)))
        .map_err(io("starting the thread of"))?;
    Ok(LocalServer { address, stop: Some(stop) })
}

async fn accept<A, F, E>(
    listener: std::net::TcpListener,
    answer: Arc<A>,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) where
    A: Fn(hyper::Request<hyper::body::Incoming>) -> F + Send + Sync + 'static,
    F: Future<Output = Result<hyper::Response<Full<Bytes>>, E>> + Send + 'static,
    E: Into<BoxError>,
{
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut stopped => return,
        };
        let Ok((stream, _)) = accepted else { continue };
        let answer = Arc::clone(&answer);
        tokio::spawn(async move {
            let service = service_fn(move |request| answer(request));
            // A connection dropped on purpose (a lost answer) ends in an error here: expected.
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}
