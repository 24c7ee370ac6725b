//! Logs in with an application token, then lists the MFA key types and statuses.
//!
//! Against emnify: `EMNIFY_APPLICATION_TOKEN=… cargo run -p emnify-auth --example login`
//! (`EMNIFY_BASE_URL` points it at another server). Without a token it starts a local stand-in
//! of the API and runs against that.

use emnify_auth::{ApplicationToken, Client, Server};
use httpmock::prelude::*;
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let stand_in;
    let (base_url, token) = match std::env::var("EMNIFY_APPLICATION_TOKEN") {
        Ok(token) => (std::env::var("EMNIFY_BASE_URL").ok(), token),
        Err(_) => {
            stand_in = local_stand_in().await;
            println!(
                "no EMNIFY_APPLICATION_TOKEN: using a local stand-in at {}",
                stand_in.base_url()
            );
            (
                Some(stand_in.base_url()),
                "example-application-token".to_owned(),
            )
        }
    };
    let mut builder = Client::builder();
    if let Some(url) = base_url {
        builder = builder.server_url(Server::Api, url);
    }
    let client = builder.build()?;

    // The first call fetches an auth token with the application token; later calls reuse it.
    let client = client.with_token_provider(ApplicationToken::new(&client, token));
    for kind in client.authentication().user_mfa_type_get().await? {
        println!(
            "MFA key type {}: {}",
            kind.id,
            kind.description.unwrap_or_default()
        );
    }
    for status in client.authentication().user_mfa_status_get().await? {
        println!(
            "MFA key status {}: {}",
            status.id,
            status.description.unwrap_or_default()
        );
    }
    Ok(())
}

async fn local_stand_in() -> MockServer {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v1/authenticate");
            then.status(200)
                .json_body(json!({"auth_token": "example.jwt.token"}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/user/mfa/type")
                .header("authorization", "Bearer example.jwt.token");
            then.status(200)
                .json_body(json!([{"id": 0, "description": "Time-Based One-Time Password"}]));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/user/mfa/status");
            then.status(200).json_body(json!([
                {"id": 0, "description": "Activation Pending"},
                {"id": 1, "description": "Active"}
            ]));
        })
        .await;
    server
}
