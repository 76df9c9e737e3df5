//! moto server as a child process on 127.0.0.1, and what it recorded as sent.

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::LocalError;

const START_TIMEOUT: Duration = Duration::from_mins(1);

/// moto's server, exiting when its standard input closes (a test run that dies leaves no moto
/// behind), with Queries that read one partition as DynamoDB does instead of sorting the table.
const BOOT: &str = include_str!("../moto/boot.py");

/// A running moto server; stopped when dropped.
#[derive(Debug)]
pub struct Moto {
    child: Child,
    /// Held open for the watchdog; closing it stops moto.
    _stdin: Option<ChildStdin>,
    endpoint: String,
    log: PathBuf,
}

/// The workspace root (where `.venv` lives).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

fn find_moto_server() -> Result<PathBuf, LocalError> {
    if let Some(explicit) = std::env::var_os("MOTO_SERVER") {
        return Ok(PathBuf::from(explicit));
    }
    let venv = workspace_root().join(".venv/bin/moto_server");
    if venv.is_file() {
        return Ok(venv);
    }
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).map(|dir| dir.join("moto_server")).find(|p| p.is_file()));
    on_path
        .flatten()
        .ok_or_else(|| LocalError::MotoMissing { looked_for: format!("$MOTO_SERVER, {}, $PATH", venv.display()) })
}

/// A port nobody listens on right now.
pub fn free_port() -> Result<u16, LocalError> {
    let io = |source| LocalError::Io { what: "finding a free port on 127.0.0.1".into(), source };
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(io)?;
    Ok(listener.local_addr().map_err(io)?.port())
}

impl Moto {
    /// Starts moto on a free port.
    pub fn start() -> Result<Self, LocalError> {
        Self::start_on(free_port()?)
    }

    /// Starts moto on `port` and waits until it answers.
    pub fn start_on(port: u16) -> Result<Self, LocalError> {
        let binary = find_moto_server()?;
        let endpoint = format!("http://127.0.0.1:{port}");
        let log = std::env::temp_dir().join(format!("avisa-moto-{port}.log"));
        let io = |what: &str| {
            let what = what.to_owned();
            move |source| LocalError::Io { what, source }
        };
        let log_file = std::fs::File::create(&log).map_err(io("creating moto's log file"))?;
        // moto_server is a Python entry point: run its interpreter with the watchdog when it is there.
        let python = binary.parent().map(|dir| dir.join("python3")).filter(|p| p.is_file());
        let mut command = if let Some(python) = &python {
            let mut command = Command::new(python);
            command.args(["-c", BOOT]).stdin(Stdio::piped());
            command
        } else {
            let mut command = Command::new(&binary);
            command.stdin(Stdio::null());
            command
        };
        let mut child = command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(log_file.try_clone().map_err(io("opening moto's log file"))?)
            .stderr(log_file)
            .spawn()
            .map_err(|source| match source.kind() {
                std::io::ErrorKind::NotFound => LocalError::MotoMissing { looked_for: binary.display().to_string() },
                _ => LocalError::Io { what: format!("starting {}", binary.display()), source },
            })?;
        let stdin = child.stdin.take();
        let mut moto = Self { child, _stdin: stdin, endpoint, log };
        moto.wait_until_ready()?;
        Ok(moto)
    }

    fn wait_until_ready(&mut self) -> Result<(), LocalError> {
        let started = Instant::now();
        while started.elapsed() < START_TIMEOUT {
            if let Ok(Some(_)) = self.child.try_wait() {
                break; // exited: report its log
            }
            if ureq::get(&format!("{}/moto-api/", self.endpoint)).call().is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(15).collect();
        Err(LocalError::MotoStart {
            endpoint: self.endpoint.clone(),
            seconds: START_TIMEOUT.as_secs(),
            log: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Everything SES and SNS accepted since the start (or the last reset).
    pub fn sent(&self) -> Result<Sent, LocalError> {
        let url = format!("{}/moto-api/data.json", self.endpoint);
        let api = |source: Box<dyn std::error::Error + Send + Sync>| LocalError::MotoApi { url: url.clone(), source };
        // Served as application/javascript; it is JSON all the same. Unlimited: ureq stops at 10 MB
        // by default, and a scale run's thousand emails (their HTML kept) are more.
        let body = ureq::get(&url)
            .call()
            .map_err(|e| api(e.into()))?
            .body_mut()
            .with_config()
            .limit(u64::MAX)
            .read_to_string()
            .map_err(|e| api(e.into()))?;
        let data: MotoData = serde_json::from_str(&body).map_err(|e| api(e.into()))?;
        Ok(Sent { emails: data.ses.message, sms: data.sns.sms })
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// What moto's SES and SNS accepted.
#[derive(Debug, Clone, Default)]
pub struct Sent {
    pub emails: Vec<SentEmail>,
    pub sms: Vec<SentSms>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SentEmail {
    pub id: String,
    pub source: String,
    pub subject: String,
    /// moto keeps the HTML part when a message has both.
    pub body: String,
    pub destinations: Destinations,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Destinations {
    #[serde(rename = "ToAddresses", default)]
    pub to: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SentSms {
    pub message_id: String,
    pub phone_number: String,
    pub message: String,
}

#[derive(Deserialize)]
struct MotoData {
    #[serde(default)]
    ses: SesData,
    #[serde(default)]
    sns: SnsData,
}

#[derive(Deserialize, Default)]
struct SesData {
    #[serde(rename = "Message", default)]
    message: Vec<SentEmail>,
}

#[derive(Deserialize, Default)]
struct SnsData {
    #[serde(rename = "SMS", default)]
    sms: Vec<SentSms>,
}
