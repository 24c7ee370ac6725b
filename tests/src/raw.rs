//! A scripted HTTP/1.1 server on 127.0.0.1 for the failures a mock framework cannot produce:
//! a connection reset in the middle of a body, a server that never answers, a sequence of
//! different answers to the same request.

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

/// A running scripted server: the n-th request gets the n-th step, the last step repeats.
#[derive(Debug)]
pub struct RawServer {
    url: String,
    requests: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl RawServer {
    /// Starts the server with its script (at least one step).
    pub async fn start(script: Vec<Step>) -> std::io::Result<RawServer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let requests = Arc::new(AtomicUsize::new(0));
        let script = Arc::new(Mutex::new(script));
        let counter = Arc::clone(&requests);
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let script = Arc::clone(&script);
                let counter = Arc::clone(&counter);
                tokio::spawn(async move {
                    if read_request(&mut stream).await.is_err() {
                        return;
                    }
                    let index = counter.fetch_add(1, Ordering::SeqCst);
                    let step = {
                        let script = script.lock().unwrap_or_else(PoisonError::into_inner);
                        script[index.min(script.len() - 1)].clone()
                    };
                    let _ = play(&mut stream, step).await;
                });
            }
        });
        Ok(RawServer {
            url,
            requests,
            task,
        })
    }

    /// The base URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// How many requests arrived.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn read_request(stream: &mut tokio::net::TcpStream) -> std::io::Result<()> {
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
            return Ok(());
        }
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
