//! `token_middleware()` in a `reqwest-middleware` stack: the token on the vendor's origin only,
//! refreshed, one replay after a 401, one refresh for concurrent 401s.

use httpmock::prelude::*;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use workspace_tests::fakes::emnify::{EmnifyConfig, EmnifyFake};
use workspace_tests::fakes::plex::{PlexConfig, PlexFake};
use workspace_tests::{emnify_logged_in, plex_of_fake};

/// The user's own reqwest client, with reqwest's defaults.
fn users_client(middleware: auth_core::TokenMiddleware) -> ClientWithMiddleware {
    ClientBuilder::new(reqwest::Client::new())
        .with(middleware)
        .build()
}

#[tokio::test]
async fn the_token_goes_to_the_vendor_and_to_no_other_host() {
    let config = EmnifyConfig::default();
    let (_fake, server) = EmnifyFake::start(config.clone()).await.unwrap();
    let client = emnify_logged_in(&server.url(), &config).await;
    let other = MockServer::start_async().await;
    let elsewhere = other
        .mock_async(|when, then| {
            when.method(GET).path("/x").header_missing("authorization");
            then.status(200);
        })
        .await;
    let http = users_client(client.token_middleware());

    let answer = http
        .get(format!("{}/api/v1/endpoint", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let answer = http
        .get(format!("{}/x", other.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    elsewhere.assert_async().await;
    // The other server is on 127.0.0.1 too: the port tells the origins apart.
    assert_ne!(server.url(), other.base_url());
}

#[tokio::test]
async fn a_401_is_replayed_once_with_a_refreshed_token() {
    let config = EmnifyConfig::default();
    let (fake, server) = EmnifyFake::start(config.clone()).await.unwrap();
    let client = emnify_logged_in(&server.url(), &config).await;
    let http = users_client(client.token_middleware());
    fake.expire_auth_tokens();

    let answer = http
        .get(format!("{}/api/v1/endpoint", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!((fake.rejected(), fake.refreshes()), (1, 1));
}

#[tokio::test]
async fn concurrent_401s_cause_one_refresh() {
    let config = EmnifyConfig::default();
    let (fake, server) = EmnifyFake::start(config.clone()).await.unwrap();
    let client = emnify_logged_in(&server.url(), &config).await;
    let http = users_client(client.token_middleware());
    fake.expire_auth_tokens();

    let url = format!("{}/api/v1/endpoint", server.url());
    let requests = (0..8).map(|_| {
        let http = http.clone();
        let url = url.clone();
        tokio::spawn(async move { http.get(url).send().await.unwrap().status() })
    });
    for request in requests {
        assert_eq!(request.await.unwrap(), 200);
    }
    assert_eq!(fake.refreshes(), 1);
    assert_eq!(fake.logins(), 1);
}

#[tokio::test]
async fn plex_gets_its_token_header_on_the_media_server() {
    let config = PlexConfig {
        two_factor_code: None,
        ..PlexConfig::default()
    };
    let (_fake, servers) = PlexFake::start(config.clone()).await.unwrap();
    let client = plex_of_fake(&servers);
    let plex_auth::LoginOutcome::LoggedIn(logged_in) = client
        .login(&config.login, config.password.clone())
        .await
        .unwrap()
    else {
        panic!("no two-factor code configured");
    };
    let http = users_client(logged_in.client.token_middleware());
    // The identity headers are the user's to send with their own client.
    let mut request = http.get(format!("{}/library/sections", servers.media_server.url()));
    for (name, value) in workspace_tests::plex_identity().headers() {
        request = request.header(name, value);
    }
    assert_eq!(request.send().await.unwrap().status(), 200);
}
