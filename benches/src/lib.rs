//! Helpers of the benchmarks: CPU time of this process, and a loopback server in a child process
//! answering the canned responses of the benchmarked operations.

#![deny(missing_docs)]

use std::convert::Infallible;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

/// The environment variable that makes the benchmark binary act as the server.
pub const SERVE: &str = "AUTH_CLIENT_BENCH_SERVE";

/// CPU time (user + system) this process has used so far.
#[allow(unsafe_code)]
pub fn cpu_time() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a `rusage` into the pointer it is given, which points to one.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let micros = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    Duration::from_micros(micros(usage.ru_utime) + micros(usage.ru_stime))
}

/// Pins this process to one CPU, so that the client and the server child do not take turns on
/// the same core (on machines with fewer than two CPUs it does nothing).
#[allow(unsafe_code)]
pub fn pin_to_cpu(cpu: usize) {
    let available = std::thread::available_parallelism().map_or(1, usize::from);
    if available < 2 {
        return;
    }
    // SAFETY: `set` is a plain bit set, zeroed and then filled by the libc macros; the call
    // reads it and has no other effect than this process's CPU affinity.
    unsafe {
        let mut set = std::mem::zeroed::<libc::cpu_set_t>();
        libc::CPU_ZERO(&mut set);
        libc::CPU_SET(cpu % available, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// The body a plex.tv account answer carries (a realistic size, about 1.3 KiB).
pub const ACCOUNT: &str = r#"{"adsConsent":null,"adsConsentReminderAt":null,"adsConsentSetAt":null,"anonymous":false,"authToken":"CxoUzBTSV5hsxjTpFKaf","backupCodesCreated":false,"confirmed":true,"country":"US","email":"username@email.com","emailOnlyAuth":false,"experimentalFeatures":false,"friendlyName":"friendlyUsername","entitlements":["ios","android"],"guest":false,"hasPassword":true,"home":false,"homeAdmin":false,"homeSize":1,"id":13692262,"joinedAt":1556281940,"locale":null,"mailingListActive":false,"mailingListStatus":"active","maxHomeSize":15,"profile":{"autoSelectAudio":true,"defaultAudioLanguage":"ja","defaultSubtitleLanguage":"en","autoSelectSubtitle":1,"defaultSubtitleAccessibility":0,"defaultSubtitleForced":1,"watchedIndicator":1,"mediaReviewsVisibility":0},"protected":false,"rememberExpiresAt":1556281940,"restricted":false,"scrobbleTypes":"","services":[{"identifier":"metadata-dev","endpoint":"https://epg.provider.plex.tv","token":"DjoMtqFAGRL1uVtCyF1dKIorTbShJeqv","secret":null,"status":"online"}],"subscription":{"active":true,"subscribedAt":"2021-04-12T18:21:12Z","status":"Active","paymentService":"stripe","plan":"lifetime","features":["pass","sync","webhooks"]},"subscriptionDescription":null,"thumb":"https://plex.tv/users/a4f43c1ebfde43a5/avatar?c=8372075101","title":"UsernameTitle","twoFactorEnabled":false,"username":"Username","uuid":"dae343c1f45beb4f","attributionPartner":null}"#;

/// The emnify authenticate answer.
pub const AUTH_TOKENS: &str = r#"{"auth_token":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwiZXhwIjo0MTAyNDQ0ODAwfQ.c2lnbmF0dXJlLXBsYWNlaG9sZGVy","refresh_token":"ZXhhbXBsZS1yZWZyZXNoLXRva2VuLWZvci1iZW5jaG1hcmtz"}"#;

/// The Dintero token answer.
pub const ACCESS_TOKEN: &str = r#"{"access_token":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJUMDAwMDAwMDAifQ.c2ln","token_type":"Bearer","expires_in":3600}"#;

/// plex.tv's answer to a sign-in it refuses (401), as recorded
/// (`tests/fixtures/plex/sign_in_401_verification_code.json`).
pub const SIGN_IN_REFUSED: &str =
    r#"{"errors":[{"code":1029,"message":"Please enter the verification code","status":401}]}"#;

/// A 429 body in emnify's error envelope (made for the benchmark, not recorded).
pub const THROTTLED: &str =
    r#"{"error_code":1000,"error_token":"BadRequest","message":"Too many requests"}"#;

/// emnify's answer to an auth token it no longer takes (the shape of
/// `tests/fixtures/emnify/unauthorized_401_token_segments.json`, shorter).
pub const UNAUTHORIZED: &str = r#"{"message":"Unauthorized"}"#;

/// The request header that asks the server for another answer than the path's: `429` (a 429
/// with `Retry-After: 1`), `503-once` (a 503 to every other such request, the path's answer
/// to the rest: a call that is retried once succeeds), or `401-once` (a 401 to every other
/// such request but token requests: a call that refreshes its token and replays succeeds).
pub const ANSWER_HEADER: &str = "x-bench-answer";

/// Serves the canned answers on 127.0.0.1 (a free port, printed on stdout) until stdin closes.
pub fn serve() {
    pin_to_cpu(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        println!("{}", listener.local_addr().expect("an address").port());
        tokio::spawn(async {
            // Ends the server when the benchmark (our parent) closes our stdin.
            let _ = tokio::task::spawn_blocking(|| std::io::stdin().lines().count()).await;
            std::process::exit(0);
        });
        static FLAKY: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let service = service_fn(
                    |request: hyper::Request<hyper::body::Incoming>| async move {
                        let path = request.uri().path().to_owned();
                        let answer = request
                            .headers()
                            .get(ANSWER_HEADER)
                            .and_then(|value| value.to_str().ok())
                            .map(str::to_owned);
                        let _ = request.into_body().collect().await;
                        let (mut status, mut body) = match path.as_str() {
                            "/api/v1/authenticate" => (200, AUTH_TOKENS),
                            "/api/v2/user" => (200, ACCOUNT),
                            "/api/v2/users/signin" => (401, SIGN_IN_REFUSED),
                            _ => (200, ACCESS_TOKEN),
                        };
                        let mut retry_after = None;
                        match answer.as_deref() {
                            Some("429") => {
                                (status, body, retry_after) = (429, THROTTLED, Some("1"));
                            }
                            Some("401-once")
                                if path != "/api/v1/authenticate"
                                    && FLAKY
                                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                                        .is_multiple_of(2) =>
                            {
                                (status, body) = (401, UNAUTHORIZED);
                            }
                            Some("503-once")
                                if FLAKY
                                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                                    .is_multiple_of(2) =>
                            {
                                (status, body) = (503, "");
                            }
                            _ => {}
                        }
                        let response = hyper::Response::builder().status(status);
                        let response = match retry_after {
                            Some(wait) => response.header("retry-after", wait),
                            None => response,
                        };
                        Ok::<_, Infallible>(
                            response
                                .header("content-type", "application/json")
                                .body(Full::new(Bytes::from_static(body.as_bytes())))
                                .expect("a response"),
                        )
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}

/// The server child process; it stops when dropped.
pub struct ServerProcess {
    child: Child,
    /// Its base URL.
    pub url: String,
}

impl ServerProcess {
    /// Starts this executable again as the server.
    pub fn start() -> std::io::Result<ServerProcess> {
        let mut child = Command::new(std::env::current_exe()?)
            .env(SERVE, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = child.stdout.take().ok_or(std::io::ErrorKind::BrokenPipe)?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        Ok(ServerProcess {
            child,
            url: format!("http://127.0.0.1:{}", line.trim()),
        })
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
