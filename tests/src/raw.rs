//! A scripted HTTP/1.1 server on 127.0.0.1 for the failures a mock framework cannot produce:
//! a connection reset in the middle of a body, a server that never answers, a sequence of
//! different answers to the same request, an answer chosen from what was asked (a hostile
//! server). It keeps every request it saw, and counts connections, HTTP or not.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Step {
    /// Answers with the status, headers and body, then closes the connection.
    Reply {
        /// The status.
        status: u16,
        /// Extra headers.
        headers: Vec<(String, String)>,
        /// The body.
        body: Vec<u8>,
    },
    /// Sends a head that promises `promised` body bytes, sends `sent` bytes, and closes.
    CutBody {
        /// The `Content-Length` it announces.
        promised: usize,
        /// The bytes it sends.
        sent: Vec<u8>,
    },
    /// Sends a chunked body of `size` bytes, without a `Content-Length`.
    Chunked {
        /// How many bytes.
        size: usize,
    },
    /// Reads the request and never answers.
    Hang,
}

impl Step {
    /// A reply with a JSON body.
    pub fn json(status: u16, body: &str) -> Self {
        Step::Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// A reply with a body of the given media type and extra headers.
    pub fn with(status: u16, headers: &[(&str, &str)], body: &str) -> Self {
        Step::Reply {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The method.
    pub method: String,
    /// The request target (path and query).
    pub target: String,
    /// The headers, names in lower case, in the order sent.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Seen {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How a server of this module chooses its answer: from the request's number (0 for the first)
/// and the request.
pub type Handler = dyn Fn(usize, &Seen) -> Step + Send + Sync;

/// A running scripted server: the n-th request gets the n-th step, the last step repeats (or
/// the step its handler chooses).
#[derive(Debug)]
pub struct RawServer {
    url: String,
    port: u16,
    requests: Arc<AtomicUsize>,
    connections: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: JoinHandle<()>,
}

impl RawServer {
    /// Starts the server with its script (at least one step).
    pub async fn start(script: Vec<Step>) -> std::io::Result<RawServer> {
        Self::serve(move |index, _| script[index.min(script.len() - 1)].clone()).await
    }

    /// Starts the server answering each request as `handler` says.
    pub async fn serve(
        handler: impl Fn(usize, &Seen) -> Step + Send + Sync + 'static,
    ) -> std::io::Result<RawServer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let requests = Arc::new(AtomicUsize::new(0));
        let connections = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let (counter, accepted, log) = (
            Arc::clone(&requests),
            Arc::clone(&connections),
            Arc::clone(&seen),
        );
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                accepted.fetch_add(1, Ordering::SeqCst);
                let handler = Arc::clone(&handler);
                let counter = Arc::clone(&counter);
                let log = Arc::clone(&log);
                tokio::spawn(async move {
                    let Ok(request) = read_request(&mut stream).await else {
                        return;
                    };
                    let index = counter.fetch_add(1, Ordering::SeqCst);
                    let step = handler(index, &request);
                    log.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(request);
                    let _ = play(&mut stream, step).await;
                });
            }
        });
        Ok(RawServer {
            url: format!("http://{address}"),
            port: address.port(),
            requests,
            connections,
            seen,
            task,
        })
    }

    /// The base URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// How many requests arrived.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// How many connections were accepted, whether or not an HTTP request came on them (a TLS
    /// handshake, say).
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// The requests it saw, in the order they were answered.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn read_request(stream: &mut tokio::net::TcpStream) -> std::io::Result<Seen> {
    let mut data = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        data.extend_from_slice(&buffer[..read]);
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            while data.len() < end + 4 + length {
                let read = stream.read(&mut buffer).await?;
                if read == 0 {
                    break;
                }
                data.extend_from_slice(&buffer[..read]);
            }
            return Ok(parse(&data[..end], &data[end + 4..]));
        }
    }
}

/// The request of `head` (its request line and headers) and `body`.
fn parse(head: &[u8], body: &[u8]) -> Seen {
    let head = String::from_utf8_lossy(head);
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_owned();
    let target = first.next().unwrap_or_default().to_owned();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Seen {
        method,
        target,
        headers,
        body: body.to_vec(),
    }
}

async fn play(stream: &mut tokio::net::TcpStream, step: Step) -> std::io::Result<()> {
    match step {
        Step::Reply {
            status,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                body.len()
            );
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&body).await?;
        }
        Step::CutBody { promised, sent } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {promised}\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&sent).await?;
            stream.flush().await?;
        }
        Step::Chunked { size } => {
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n";
            stream.write_all(head.as_bytes()).await?;
            let chunk = vec![b' '; 16 * 1024];
            let mut left = size;
            while left > 0 {
                let n = left.min(chunk.len());
                stream.write_all(format!("{n:x}\r\n").as_bytes()).await?;
                stream.write_all(&chunk[..n]).await?;
                stream.write_all(b"\r\n").await?;
                left -= n;
            }
            stream.write_all(b"0\r\n\r\n").await?;
        }
        Step::Hang => {
            std::future::pending::<()>().await;
        }
    }
    stream.shutdown().await
}
