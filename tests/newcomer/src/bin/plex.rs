//! The README's Plex walk-through: a PIN login, JWT device authentication from it, a password
//! sign-in with the two-factor code, the account's server and any endpoint on it, and the
//! legacy token kept across a restart.

use std::time::Duration;

use newcomer::{state_dir, step};
use plex_auth::testing::{self, PlexConfig, PlexFake};
use plex_auth::{
    ClientIdentity, DeviceKey, FileTokenStore, JwtDevice, LoginOutcome, Method, PinLogin,
    PinOutcome, TokenProvider,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = PlexConfig::default();
    let (_fake, servers) = PlexFake::start(config.clone()).await?;
    let identity = ClientIdentity::new("newcomer-install")
        .product("newcomer")
        .version("1.0");
    let client = testing::builder(&servers, &identity).build()?;
    let dir = state_dir("plex");
    let store = FileTokenStore::new(&dir);

    step(
        1,
        "PIN login: the user enters the code at plex.tv/link (the fake approves it)",
    );
    let login = PinLogin::start(&client, &identity)
        .await?
        .poll_interval(Duration::from_millis(100));
    println!("   enter {} at {}", login.code(), plex_auth::LINK_URL);
    let PinOutcome::LoggedIn(legacy) = login.wait().await? else {
        return Err("the code expired".into());
    };
    println!("   signed in as {}", legacy.account.username);

    step(
        2,
        "JWT device authentication: register a key once, then 7-day tokens, kept on disk",
    );
    let key = DeviceKey::load_or_generate(&store, "device-key", "newcomer-install").await?;
    let device = JwtDevice::register(&legacy.client, key).await?;
    let device_client = client.with_token_provider(device.stored_in(store.clone(), "plex-jwt"));
    let account = device_client.authentication().get_token_details().await?;
    println!("   on a JWT: {}", account.username);

    step(
        3,
        "password sign-in, with the two-factor code the account asks for",
    );
    let code = config
        .two_factor_code
        .clone()
        .ok_or("the fake's account has no code")?;
    let signed_in = match client.login(&config.login, config.password.clone()).await? {
        LoginOutcome::LoggedIn(logged_in) => *logged_in,
        LoginOutcome::MfaRequired(pending) => pending.complete(code).await?,
        _ => return Err("an outcome the README does not name".into()),
    };

    step(
        4,
        "the account's server on its best connection, and any endpoint of it",
    );
    let resources = signed_in.client.resources().await?;
    let server = resources
        .iter()
        .find(|r| r.is_server())
        .ok_or("no server")?;
    let server = signed_in.client.connect(server).await?;
    let sections: serde_json::Value = server
        .request(Method::GET, "/library/sections")
        .header("Accept", "application/json")
        .send()
        .await?
        .json()?;
    println!("   {} libraries", sections["MediaContainer"]["size"]);

    step(
        5,
        "the legacy token across a restart, with the client identifier Plex tied it to",
    );
    signed_in.save(&store, "plex", &identity).await?;
    let (identity, token) = identity
        .clone()
        .restore(&store, "plex")
        .await?
        .ok_or("nothing stored")?;
    let again = testing::builder(&servers, &identity)
        .build()?
        .with_token(token);
    println!(
        "   still {}",
        again.authentication().get_token_details().await?.username
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
