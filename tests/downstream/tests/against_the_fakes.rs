//! The user's code tested against the fakes of the vendor crates' `testing` features.

use dintero_auth::testing::{DinteroConfig, DinteroFake};
use emnify_auth::testing::{EmnifyConfig, EmnifyFake};
use plex_auth::testing::{PlexConfig, PlexFake};

#[tokio::test]
async fn counts_emnify_endpoints() {
    let config = EmnifyConfig::default();
    let (_fake, server) = EmnifyFake::start(config.clone()).await.unwrap();
    let client = emnify_auth::Client::builder()
        .server_url(emnify_auth::Server::Api, server.url())
        .build()
        .unwrap();
    let emnify_auth::LoginOutcome::LoggedIn(client) = client
        .login(config.username.clone(), config.password.clone())
        .await
        .unwrap()
    else {
        panic!("the fake's user has no MFA");
    };
    assert_eq!(downstream::emnify_endpoint_count(&client).await.unwrap(), 2);
}

#[tokio::test]
async fn opens_a_dintero_checkout() {
    let config = DinteroConfig::default();
    let (_fake, server) = DinteroFake::start(config.clone()).await.unwrap();
    let client = dintero_auth::Client::builder()
        .server_url(dintero_auth::Server::Api, server.url())
        .server_url(dintero_auth::Server::Checkout, server.url())
        .build()
        .unwrap();
    let client = client.with_token_provider(dintero_auth::ClientCredentials::new(
        &client,
        config.account_id.clone(),
        config.client_id.clone(),
        config.client_secret.clone(),
        "https://aud",
    ));
    let url = downstream::dintero_checkout_url(&client, 100)
        .await
        .unwrap();
    assert!(url.starts_with("https://checkout.dintero.com/v1/view/"));
}

#[tokio::test]
async fn lists_plex_libraries() {
    let config = PlexConfig {
        two_factor_code: None,
        ..PlexConfig::default()
    };
    let (_fake, servers) = PlexFake::start(config.clone()).await.unwrap();
    let client = plex_auth::ClientIdentity::new("downstream-test")
        .builder()
        .server_url(
            plex_auth::Server::PlexTv,
            format!("{}/api/v2", servers.plex_tv.url()),
        )
        .server_url(plex_auth::Server::MediaServer, servers.media_server.url())
        .build()
        .unwrap();
    let plex_auth::LoginOutcome::LoggedIn(logged_in) = client
        .login(&config.login, config.password.clone())
        .await
        .unwrap()
    else {
        panic!("no two-factor code configured");
    };
    assert_eq!(
        downstream::plex_library_titles(&logged_in.client)
            .await
            .unwrap(),
        ["Movies", "TV Shows"]
    );
}
