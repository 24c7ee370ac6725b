//! The account's resources and `connect()` against the fakes, with connections that refuse,
//! stall or answer 401 beside the one that works.

use std::time::{Duration, Instant};

use plex_auth::testing::{FakeConnection, PlexFake};
use plex_auth::{ConnectError, Method};
use workspace_tests::{plex_config_without_2fa, plex_logged_in, plex_of_fake};

/// A port on 127.0.0.1 that refuses connections.
fn refusing() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// A server that accepts connections and never answers; it lives as long as the listener.
async fn stalling() -> (tokio::task::JoinHandle<()>, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    (task, url)
}

fn connection(uri: &str, local: bool, relay: bool) -> FakeConnection {
    FakeConnection {
        uri: uri.to_owned(),
        local,
        relay,
    }
}

#[tokio::test]
async fn resources_list_the_server_with_its_own_token_and_connections() {
    let config = plex_config_without_2fa();
    let (_fake, servers) = PlexFake::start(config.clone()).await.unwrap();
    let client = plex_logged_in(&servers, &config).await;
    let resources = client.resources().await.unwrap();
    let servers_only: Vec<_> = resources.iter().filter(|r| r.is_server()).collect();
    assert_eq!(servers_only.len(), 1);
    assert_eq!(resources.len(), 2, "a player too");
    let server = servers_only[0];
    assert!(server.access_token.is_some());
    assert_eq!(server.preferred_connections().len(), 1);
}

#[tokio::test]
async fn connect_takes_the_first_connection_in_plex_order_that_answers() {
    let config = plex_config_without_2fa();
    let (fake, servers) = PlexFake::start(config.clone()).await.unwrap();
    let client = plex_logged_in(&servers, &config).await;
    let (_stall, stall_url) = stalling().await;
    // A 401 answer: another account's media server, which does not know this server's token.
    let (_other, other_servers) = PlexFake::start(config.clone()).await.unwrap();
    let unauthorized = other_servers.media_server.url();
    fake.set_connections(vec![
        connection(&servers.media_server.url(), false, true),
        connection(&unauthorized, false, false),
        connection(&stall_url, true, false),
        connection(&refusing(), true, false),
    ]);
    let server = client
        .resources()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.is_server())
        .unwrap();
    let order: Vec<&str> = server
        .preferred_connections()
        .iter()
        .map(|c| c.uri.as_str())
        .collect();
    assert_eq!(
        order[3],
        servers.media_server.url(),
        "relay last: {order:?}"
    );
    assert_eq!(order[2], unauthorized, "remote before relay");

    let probe = plex_of_fake(&other_servers)
        .with_token("not-its-token")
        .request(Method::GET, "/")
        .send()
        .await
        .unwrap();
    assert_eq!(probe.status(), 401, "the 401 connection answers 401");

    let began = Instant::now();
    let bound = client
        .connect_within(&server, Duration::from_millis(500))
        .await
        .unwrap();
    assert!(
        began.elapsed() < Duration::from_secs(3),
        "tried together: {:?}",
        began.elapsed()
    );
    let sections = bound
        .request(Method::GET, "/library/sections")
        .send()
        .await
        .unwrap();
    assert_eq!(
        sections.status(),
        200,
        "bound to the media server with its token"
    );
}

#[tokio::test]
async fn a_working_local_connection_beats_a_working_remote_one() {
    let config = plex_config_without_2fa();
    let (fake, servers) = PlexFake::start(config.clone()).await.unwrap();
    let client = plex_logged_in(&servers, &config).await;
    // The same server under two names: 127.0.0.1 as the remote one, localhost as the local one.
    let remote = servers.media_server.url();
    let local = remote.replace("127.0.0.1", "localhost");
    fake.set_connections(vec![
        connection(&remote, false, false),
        connection(&local, true, false),
    ]);
    let server = client
        .resources()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.is_server())
        .unwrap();
    let bound = client.connect(&server).await.unwrap();
    assert_eq!(
        bound
            .core()
            .server_url(plex_auth::Server::MediaServer)
            .unwrap(),
        local
    );
}

#[tokio::test]
async fn no_answer_is_a_typed_error_naming_every_connection() {
    let config = plex_config_without_2fa();
    let (fake, servers) = PlexFake::start(config.clone()).await.unwrap();
    let client = plex_logged_in(&servers, &config).await;
    let (_stall, stall_url) = stalling().await;
    let refused = refusing();
    fake.set_connections(vec![
        connection(&stall_url, true, false),
        connection(&refused, false, false),
    ]);
    let server = client
        .resources()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.is_server())
        .unwrap();
    let error = client
        .connect_within(&server, Duration::from_millis(300))
        .await
        .unwrap_err();
    let ConnectError::Unreachable { tried, .. } = &error else {
        panic!("{error:?}");
    };
    let uris: Vec<&str> = tried.iter().map(|(uri, _)| uri.as_str()).collect();
    assert_eq!(uris, [stall_url.as_str(), refused.as_str()]);
    assert!(tried[0].1.contains("no answer within 300 ms"), "{tried:?}");

    fake.set_connections(vec![]);
    let server = client
        .resources()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.is_server())
        .unwrap();
    assert!(matches!(
        client.connect(&server).await,
        Err(ConnectError::NoConnections { .. })
    ));
}

/// A resource as plex.tv lists it, reached at `uris` (remote, not relayed).
fn resource(access_token: Option<&str>, owned: bool, uris: &[&str]) -> plex_auth::models::Resource {
    let connections: Vec<_> = uris
        .iter()
        .map(|uri| serde_json::json!({"uri": uri, "local": false, "relay": false}))
        .collect();
    serde_json::from_value(serde_json::json!({
        "name": "Friend's Server",
        "clientIdentifier": "friend-machine",
        "provides": "server",
        "owned": owned,
        "accessToken": access_token,
        "connections": connections,
    }))
    .unwrap()
}

/// The X-Plex-Token `connect()` sent to a media server that answers 200, for `resource` made
/// with `server`'s URL, and `options`.
async fn token_sent(
    access_token: Option<&str>,
    owned: bool,
    options: plex_auth::ConnectOptions,
) -> Option<String> {
    let server = workspace_tests::raw::RawServer::serve(|_, _| {
        workspace_tests::raw::Step::json(200, r#"{"MediaContainer":{}}"#)
    })
    .await
    .unwrap();
    let account = workspace_tests::plex(
        server.url(),
        auth_core::Credentials::api_key("account-token"),
    );
    let resource = resource(access_token, owned, &[server.url()]);
    account.connect_with(&resource, options).await.unwrap();
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    seen[0].header("x-plex-token").map(str::to_owned)
}

#[tokio::test]
async fn a_server_gets_only_the_token_plex_tv_issued_for_it() {
    use plex_auth::ConnectOptions;
    // Its own token, owned or shared: never the account's.
    for owned in [true, false] {
        assert_eq!(
            token_sent(Some("server-token"), owned, ConnectOptions::new())
                .await
                .as_deref(),
            Some("server-token")
        );
    }
    // Shared without a token of its own: no token at all, as python-plexapi connects.
    assert_eq!(token_sent(None, false, ConnectOptions::new()).await, None);
    // Unless the user names it.
    for name in ["Friend's Server", "friend-machine"] {
        assert_eq!(
            token_sent(
                None,
                false,
                ConnectOptions::new().send_account_token_to(name)
            )
            .await
            .as_deref(),
            Some("account-token"),
            "{name}"
        );
    }
    assert_eq!(
        token_sent(
            None,
            false,
            ConnectOptions::new().send_account_token_to("another")
        )
        .await,
        None
    );
    // The account's own server without a token of its own: the account's.
    assert_eq!(
        token_sent(None, true, ConnectOptions::new())
            .await
            .as_deref(),
        Some("account-token")
    );
}

#[tokio::test]
async fn malformed_and_hostile_connections_are_passed_over_one_by_one() {
    let server = workspace_tests::raw::RawServer::serve(|_, _| {
        workspace_tests::raw::Step::json(200, r#"{"MediaContainer":{}}"#)
    })
    .await
    .unwrap();
    let account = workspace_tests::plex(
        server.url(),
        auth_core::Credentials::api_key("account-token"),
    );
    let bad = [
        "not a url",
        "",
        "ftp://127.0.0.1:21",
        "http://intruder:pw@127.0.0.1:1",
        "http://127.0.0.1:1/?token=x",
        "javascript:alert(1)",
    ];
    let mut uris: Vec<&str> = bad.to_vec();
    uris.push(server.url());
    let bound = account
        .connect(&resource(Some("server-token"), true, &uris))
        .await
        .unwrap();
    assert_eq!(
        bound
            .core()
            .server_url(plex_auth::Server::MediaServer)
            .unwrap(),
        server.url()
    );

    let error = account
        .connect(&resource(Some("server-token"), true, &bad))
        .await
        .unwrap_err();
    let ConnectError::Unreachable { tried, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(tried.len(), bad.len(), "{tried:?}");
    for ((uri, why), listed) in tried.iter().zip(bad) {
        assert_eq!(uri, listed);
        assert!(why.contains("base URL"), "{uri}: {why}");
        assert!(!why.contains("pw"), "{why}");
    }
}
