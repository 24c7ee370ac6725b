//! Sign in to plex.tv and list a media server's libraries with the account token, through
//! `client.request` (the client's `X-Plex-*` identity goes with it): against the local fakes, so
//! that it runs anywhere.
//!
//! `cargo run -p plex-auth --features testing --example list_libraries`

use plex_auth::testing::{PlexConfig, PlexFake};
use plex_auth::{ClientIdentity, LoginOutcome, Method, Server};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Answer {
    #[serde(rename = "MediaContainer")]
    container: Container,
}

#[derive(Debug, Deserialize)]
struct Container {
    #[serde(rename = "Directory", default)]
    directories: Vec<Library>,
}

/// The fields of a library this example shows.
#[derive(Debug, Deserialize)]
struct Library {
    key: String,
    title: String,
    #[serde(rename = "type")]
    kind: String,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = PlexConfig::default();
    let (_fake, servers) = PlexFake::start(config.clone()).await?;
    let identity = ClientIdentity::new("example-install-id").product("list_libraries");
    // Against Plex itself: `Client::new(&identity)?`, then `.with_media_server(url)?`.
    let client = identity
        .builder()
        .server_url(Server::PlexTv, format!("{}/api/v2", servers.plex_tv.url()))
        .build()?
        .with_media_server(&servers.media_server.url())?;

    let logged_in = match client.login(&config.login, config.password.clone()).await? {
        LoginOutcome::LoggedIn(logged_in) => *logged_in,
        // The fake's account has two-factor authentication; a real app asks the user.
        LoginOutcome::MfaRequired(pending) => {
            let code = config.two_factor_code.as_deref().unwrap_or_default();
            pending.complete(code).await?
        }
        _ => return Err("unexpected login outcome".into()),
    };
    println!("signed in as {}", logged_in.account.username);

    let answer: Answer = logged_in
        .client
        .request(Method::GET, "/library/sections")
        .header("Accept", "application/json")
        .send()
        .await?
        .json()?;
    for library in answer.container.directories {
        println!(
            "library {} {:?} ({})",
            library.key, library.title, library.kind
        );
    }
    Ok(())
}
