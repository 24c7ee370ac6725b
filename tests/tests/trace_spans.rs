//! The `tracing` feature: one span per call, with the operation's static facts and the outcome,
//! and no secret in anything a subscriber prints.
//!
//! This file holds a single test, so it runs alone in its own process under a global
//! subscriber that records every event and span of the client, at every level. `tracing` caches per call site whether anyone listens; a test that swapped in a
//! thread-local subscriber while other tests in the same process touched the same call sites
//! could find the span switched off for it.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use auth_core::Credentials;
use httpmock::prelude::*;
use serde_json::json;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::prelude::*;
use workspace_tests::canary::{CANARY, assert_clean};

/// Collects what the subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn tracing_records_operations_without_secrets() {
    let captured = Captured::default();
    let writer = captured.clone();
    // The client runs on this thread (a current-thread runtime); the mock server runs on its
    // own threads and logs the secrets it receives, which is its business, not the client's.
    let client_thread = std::thread::current().id();
    let layer = tracing_subscriber::fmt::layer()
        .with_span_events(FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_filter(filter_fn(move |_| {
            std::thread::current().id() == client_thread
        }));
    tracing_subscriber::registry().with(layer).init();

    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v1/authenticate");
            then.status(200)
                .json_body(json!({"auth_token": CANARY, "refresh_token": CANARY}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v2/user");
            then.status(401).header("x-request-id", CANARY);
        })
        .await;
    let client = workspace_tests::emnify(&server.base_url(), Credentials::bearer(CANARY));
    let login = emnify_auth::models::UserAuthentication::new("user", CANARY).into();
    client.authentication().authenticate(&login).await.unwrap();
    let plex = workspace_tests::plex(&server.base_url(), Credentials::api_key(CANARY));
    let _ = plex.authentication().get_token_details().await;

    let output = captured.text();
    let closed: Vec<&str> = output
        .lines()
        .filter(|line| line.contains("auth_core::request{") && line.contains(": close"))
        .collect();
    assert_eq!(closed.len(), 2, "one span per call:\n{output}");
    for field in [
        "api=\"emnify\"",
        "operation=\"Authenticate\"",
        "method=POST",
        "path=\"/api/v1/authenticate\"",
        "status=200",
        "attempt=1",
    ] {
        assert!(closed[0].contains(field), "{field} in {}", closed[0]);
    }
    for field in ["operation=\"getTokenDetails\"", "status=401"] {
        assert!(closed[1].contains(field), "{field} in {}", closed[1]);
    }
    assert_clean("tracing output", &output);
}
