//! The README's Dintero walk-through: the API client's token, a user's login with MFA on it, a
//! checkout session with the token, the client's token kept on disk across a restart.

use dintero_auth::models::{OobChannel, PasswordGrant};
use dintero_auth::testing::{self, DinteroConfig, DinteroFake};
use dintero_auth::{
    ClientCredentials, FileTokenStore, LoginOutcome, Method, Server, TokenProvider,
};
use newcomer::{state_dir, step};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = DinteroConfig::default();
    let (fake, server) = DinteroFake::start(config.clone()).await?;
    let audience = format!("https://api.dintero.com/v1/accounts/{}", config.account_id);
    let credentials = |base: &dintero_auth::Client| {
        let (id, secret) = (config.client_id.clone(), config.client_secret.clone());
        ClientCredentials::new(base, &config.account_id, id, secret, &audience)
    };
    let base = testing::builder(&server).build()?;
    let client = base.with_token_provider(credentials(&base));

    step(
        1,
        "log a user in on the API client's token; with MFA, a code comes by SMS",
    );
    let grant = PasswordGrant::new(config.username.clone(), config.password.clone(), &audience);
    let user = match client.login(&config.account_id, grant).await? {
        LoginOutcome::LoggedIn(client) => client,
        LoginOutcome::MfaRequired(pending) => {
            let challenge = pending.challenge(OobChannel::Sms).await?;
            challenge
                .complete(fake.last_binding_code().ok_or("no code was sent")?)
                .await?
        }
        _ => return Err("an outcome the README does not name".into()),
    };
    println!("   the user's token: {:?}", user.bearer_token().await?);

    step(
        2,
        "any endpoint, on any of Dintero's APIs that take the token: a checkout session",
    );
    let order = serde_json::json!({
        "order": {"amount": 29990, "currency": "NOK"},
        "url": {"return_url": "https://example.com/thanks"},
        "profile_id": "default",
    });
    let session: serde_json::Value = client
        .request_to(Server::Checkout, Method::POST, "/sessions-profile")
        .json(&order)
        .send()
        .await?
        .json()?;
    println!("   checkout at {}", session["url"]);

    step(
        3,
        "unattended: client credentials, the token kept on disk, across a restart",
    );
    let dir = state_dir("dintero");
    let before = fake.token_requests();
    for run in ["first run", "after a restart"] {
        let base = testing::builder(&server).build()?;
        let client = base.with_token_provider(
            credentials(&base).stored_in(FileTokenStore::new(&dir), "dintero"),
        );
        client.bearer_token().await?;
        println!(
            "   {run}: {} token requests in this step",
            fake.token_requests() - before
        );
    }
    std::fs::remove_dir_all(&dir)?;
    if fake.token_requests() - before != 1 {
        return Err("the restart asked for a new token instead of reading the stored one".into());
    }
    Ok(())
}
