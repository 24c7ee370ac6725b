//! Log in to Plex as Plex apps do: show a link code, wait while the user approves it, and print
//! the account's name. Against the local fake (which approves on its second poll), so that it
//! runs anywhere.
//!
//! `cargo run -p plex-auth --features testing --example pin_login`

use std::time::Duration;

use plex_auth::testing::{PlexConfig, PlexFake};
use plex_auth::{ClientIdentity, LINK_URL, PinLogin, PinOutcome};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (_fake, servers) = PlexFake::start(PlexConfig::default()).await?;
    // Keep the client identifier stable per installation: Plex ties tokens to it.
    let identity = ClientIdentity::new("example-install-id").product("pin_login example");
    // Against plex.tv itself: `Client::new(&identity)?`.
    let client = plex_auth::testing::builder(&servers, &identity).build()?;

    let login = PinLogin::start(&client, &identity)
        .await?
        .poll_interval(Duration::from_millis(200));
    println!("Go to {LINK_URL} and enter {}", login.code());
    println!("(or open {})", login.auth_url());
    match login.wait().await? {
        PinOutcome::LoggedIn(logged_in) => println!("signed in as {}", logged_in.account.username),
        PinOutcome::Expired => println!("the code expired; start again"),
        PinOutcome::TimedOut => println!("gave up waiting"),
        _ => println!("the login ended another way"),
    }
    Ok(())
}
