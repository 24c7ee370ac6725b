//! Log in to emnify and list the account's endpoints (devices) with the login's token, through
//! `client.request`: against the local fake, so that it runs anywhere.
//!
//! `cargo run -p emnify-auth --features testing --example list_endpoints`

use emnify_auth::testing::{EmnifyConfig, EmnifyFake};
use emnify_auth::{Client, LoginOutcome, Method, Server};
use serde::Deserialize;

/// The fields of an endpoint this example shows (emnify sends many more).
#[derive(Debug, Deserialize)]
struct Endpoint {
    id: u64,
    name: String,
    ip_address: Option<String>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = EmnifyConfig::default();
    let (_fake, server) = EmnifyFake::start(config.clone()).await?;
    // Against emnify itself: `Client::new(Credentials::None)?`.
    let client = Client::builder()
        .server_url(Server::Api, server.url())
        .build()?;

    let client = match client
        .login(config.username.clone(), config.password.clone())
        .await?
    {
        LoginOutcome::LoggedIn(client) => client,
        LoginOutcome::MfaRequired(_) => return Err("this account wants a one-time code".into()),
        _ => return Err("unexpected login outcome".into()),
    };
    let endpoints: Vec<Endpoint> = client
        .request(Method::GET, "/api/v1/endpoint")
        .query("per_page", 100)
        .send()
        .await?
        .json()?;
    for endpoint in &endpoints {
        println!(
            "endpoint {} {:?} at {}",
            endpoint.id,
            endpoint.name,
            endpoint.ip_address.as_deref().unwrap_or("-")
        );
    }
    Ok(())
}
