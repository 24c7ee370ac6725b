//! The README's emnify walk-through: log in with MFA, any endpoint with the token, an
//! application token kept on disk across a restart.

use emnify_auth::testing::{self, EmnifyConfig, EmnifyFake};
use emnify_auth::{ApplicationToken, FileTokenStore, LoginOutcome, Method, TokenProvider};
use newcomer::{state_dir, step};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = EmnifyConfig::default();
    let (fake, server) = EmnifyFake::start(config.clone()).await?;
    let secret = fake.enable_mfa();
    let client = testing::builder(&server).build()?;

    step(
        1,
        "log in; the user has MFA, so the login asks for the one-time code",
    );
    let client = match client
        .login(config.username.clone(), config.password.clone())
        .await?
    {
        LoginOutcome::LoggedIn(client) => client,
        LoginOutcome::MfaRequired(pending) => {
            pending
                .complete(emnify_auth::totp::code_now(&secret)?)
                .await?
        }
        _ => return Err("an outcome the README does not name".into()),
    };

    step(2, "any endpoint of emnify's API, with the token");
    let endpoints: Vec<serde_json::Value> = client
        .request(Method::GET, "/api/v1/endpoint")
        .send()
        .await?
        .json()?;
    println!("   {} endpoints", endpoints.len());

    step(
        3,
        "unattended: an application token, its JWT kept on disk, across a restart",
    );
    let dir = state_dir("emnify");
    for run in ["first run", "after a restart"] {
        let base = testing::builder(&server).build()?;
        let provider = ApplicationToken::new(&base, config.application_token.clone())
            .stored_in(FileTokenStore::new(&dir), "emnify");
        let client = base.with_token_provider(provider);
        let endpoints: Vec<serde_json::Value> = client
            .request(Method::GET, "/api/v1/endpoint")
            .send()
            .await?
            .json()?;
        println!(
            "   {run}: {} endpoints, {} logins so far",
            endpoints.len(),
            fake.logins()
        );
    }
    std::fs::remove_dir_all(&dir)?;
    // The password login, then one application-token login: the restart reused the stored JWT.
    if fake.logins() != 2 {
        return Err(format!("expected 2 logins, the fake saw {}", fake.logins()).into());
    }
    Ok(())
}
