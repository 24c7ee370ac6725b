//! Get a Dintero access token with client credentials and create a checkout session with it on
//! the Checkout API, through `client.request_to`: against the local fake, so that it runs
//! anywhere.
//!
//! `cargo run -p dintero-auth --features testing --example create_checkout_session`

use dintero_auth::testing::{DinteroConfig, DinteroFake};
use dintero_auth::{Client, ClientCredentials, Method, Server};
use serde::Deserialize;
use serde_json::json;

/// Dintero's answer: the session, and where to send the customer.
#[derive(Debug, Deserialize)]
struct Session {
    id: String,
    url: String,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = DinteroConfig::default();
    let (_fake, server) = DinteroFake::start(config.clone()).await?;
    // Against Dintero itself: `Client::new(Credentials::None)?`.
    let client = Client::builder()
        .server_url(Server::Api, server.url())
        .server_url(Server::Checkout, server.url())
        .build()?;
    let client = client.with_token_provider(ClientCredentials::new(
        &client,
        config.account_id.clone(),
        config.client_id.clone(),
        config.client_secret.clone(),
        format!("https://api.dintero.com/v1/accounts/{}", config.account_id),
    ));

    let order = json!({
        "url": {"return_url": "https://example.com/thanks"},
        "order": {"amount": 29990, "currency": "NOK", "merchant_reference": "order-1"},
        "profile_id": "default",
    });
    let session: Session = client
        .request_to(Server::Checkout, Method::POST, "/sessions-profile")
        .json(&order)
        .send()
        .await?
        .json()?;
    println!(
        "session {} — send the customer to {}",
        session.id, session.url
    );
    Ok(())
}
