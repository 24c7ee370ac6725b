//! Gets an access token with the client-credentials grant.
//!
//! Against Dintero: `DINTERO_ACCOUNT_ID=T… DINTERO_CLIENT_ID=… DINTERO_CLIENT_SECRET=…
//! cargo run -p dintero-auth --example client_credentials` (`DINTERO_BASE_URL` points it at
//! another server). Without them it starts a local stand-in of the API and runs against that.

use dintero_auth::models::ClientCredentialsGrant;
use dintero_auth::{Client, Credentials, Server};
use httpmock::prelude::*;
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let stand_in;
    let variables = [
        "DINTERO_ACCOUNT_ID",
        "DINTERO_CLIENT_ID",
        "DINTERO_CLIENT_SECRET",
    ]
    .map(|name| std::env::var(name).ok());
    let (base_url, account, id, secret) = match variables {
        [Some(account), Some(id), Some(secret)] => {
            (std::env::var("DINTERO_BASE_URL").ok(), account, id, secret)
        }
        _ => {
            stand_in = local_stand_in().await;
            println!(
                "no Dintero credentials: using a local stand-in at {}",
                stand_in.base_url()
            );
            let ids = (
                "T00000000".to_owned(),
                "client-id".to_owned(),
                "client-secret".to_owned(),
            );
            (Some(stand_in.base_url()), ids.0, ids.1, ids.2)
        }
    };
    let mut builder = Client::builder().credentials(Credentials::basic(id, secret));
    if let Some(url) = base_url {
        builder = builder.server_url(Server::Api, url);
    }
    let client = builder.build()?;

    let audience = format!("https://api.dintero.com/v1/accounts/{account}");
    let grant = ClientCredentialsGrant::new(audience).into();
    let token = client
        .authentication()
        .aid_auths_oauth_token_post(&account, &grant)
        .await?;
    println!(
        "got a {} access token, valid for {} s",
        token.token_type.as_ref().map_or("bearer", |t| t.as_str()),
        token.expires_in
    );
    Ok(())
}

async fn local_stand_in() -> MockServer {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/accounts/T00000000/auth/token")
                .header("authorization", "Basic Y2xpZW50LWlkOmNsaWVudC1zZWNyZXQ=");
            then.status(200).json_body(
                json!({"access_token": "example.jwt.token", "token_type": "Bearer", "expires_in": 3600}),
            );
        })
        .await;
    server
}
