//! A credential reaches only the origin it belongs to: every entry point that sends one, against
//! a hostile server that answers its first request with a redirect (301, 302, 303, 307, 308) to
//! a place that differs from it in host, port, scheme or user-info. No request that reaches the
//! other place may carry the credential; with this workspace's redirect policy none reaches it
//! at all (the 3xx comes back to the caller).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use auth_core::{Credentials, FetchFuture, SpecServer, Token, TokenProvider};
use plex_auth::{DeviceKey, JwtDevice, PinLogin};
use reqwest_middleware::ClientBuilder;
use workspace_tests::raw::{RawServer, Seen, Step};
use workspace_tests::{dintero, emnify, plex, plex_identity};

/// The secret every entry point sends (its Basic form is checked too).
const SECRET: &str = "canary-credential-7f3a";

/// Where a redirect sends the client, as it differs from the origin.
#[derive(Debug, Clone, Copy)]
enum Elsewhere {
    /// `localhost` instead of `127.0.0.1`, same port: the same listener, another host.
    Host,
    /// Another server on another port.
    Port,
    /// `https` on the same host and port.
    Scheme,
    /// The same origin with user-info in the URL.
    UserInfo,
}

const STATUSES: [u16; 5] = [301, 302, 303, 307, 308];
const ELSEWHERE: [Elsewhere; 4] = [
    Elsewhere::Host,
    Elsewhere::Port,
    Elsewhere::Scheme,
    Elsewhere::UserInfo,
];

type Call = Pin<Box<dyn Future<Output = ()> + Send>>;

/// An entry point: what it is, and the call it makes against a server at a base URL.
struct Entry {
    name: &'static str,
    call: fn(String) -> Call,
}

/// A provider of the test's secret, so that the token comes from a token source.
fn secret_provider() -> impl TokenProvider {
    || -> FetchFuture<'static> { Box::pin(async { Ok(Token::new(SECRET)) }) }
}

/// The user's own reqwest client in a `reqwest-middleware` stack: reqwest's default policy
/// follows every redirect.
fn users_stack(middleware: auth_core::TokenMiddleware) -> reqwest_middleware::ClientWithMiddleware {
    ClientBuilder::new(reqwest::Client::new())
        .with(middleware)
        .build()
}

/// A server of a spec whose API key goes in a header of its own.
#[derive(Clone, Copy)]
struct KeyedServer;

impl SpecServer for KeyedServer {
    fn spec_url(self) -> &'static str {
        "https://keyed.example.com"
    }
}

static KEYED_API: auth_core::__private::Api = auth_core::__private::Api {
    name: "keyed",
    security: &[auth_core::__private::Security::ApiKeyHeader("X-Api-Key")],
    servers: &["https://keyed.example.com"],
};

fn entries() -> Vec<Entry> {
    vec![
        Entry {
            name: "generated operation, bearer (emnify)",
            call: |base| {
                Box::pin(async move {
                    let client = emnify(&base, Credentials::bearer(SECRET));
                    let _ = client.authentication().user_mfa_type_get().await;
                })
            },
        },
        Entry {
            name: "generated operation, X-Plex-Token (Plex)",
            call: |base| {
                Box::pin(async move {
                    let client = plex(&base, Credentials::api_key(SECRET));
                    let _ = client.authentication().get_token_details().await;
                })
            },
        },
        Entry {
            name: "token request, Basic (Dintero client credentials)",
            call: |base| {
                Box::pin(async move {
                    let client = dintero(&base, Credentials::None);
                    let client = client.with_token_provider(dintero_auth::ClientCredentials::new(
                        &client,
                        "T00000000",
                        "client-id",
                        SECRET,
                        "https://aud",
                    ));
                    let _ = client.core().bearer_token().await;
                })
            },
        },
        Entry {
            name: "request(), bearer from a token source (emnify)",
            call: |base| {
                Box::pin(async move {
                    let client =
                        emnify(&base, Credentials::None).with_token_provider(secret_provider());
                    let _ = client
                        .request(auth_core::Method::POST, "/api/v1/anything")
                        .json(&serde_json::json!({"n": 1}))
                        .send()
                        .await;
                })
            },
        },
        Entry {
            name: "request_to(), X-Plex-Token (Plex)",
            call: |base| {
                Box::pin(async move {
                    let client = plex(&base, Credentials::api_key(SECRET));
                    let _ = client
                        .request_to(plex_auth::Server::PlexTv, auth_core::Method::GET, "/user")
                        .send()
                        .await;
                })
            },
        },
        Entry {
            name: "request(), API key in X-Api-Key",
            call: |base| {
                Box::pin(async move {
                    let core = auth_core::Client::builder()
                        .server_url(KeyedServer, base)
                        .credentials(Credentials::api_key(SECRET))
                        .build()
                        .unwrap();
                    let _ = auth_core::__private::request(
                        &core,
                        &KEYED_API,
                        KeyedServer.spec_url(),
                        auth_core::Method::GET,
                        "/things",
                    )
                    .send()
                    .await;
                })
            },
        },
        Entry {
            name: "token_middleware(), bearer from a token source (emnify)",
            call: |base| {
                Box::pin(async move {
                    let client =
                        emnify(&base, Credentials::None).with_token_provider(secret_provider());
                    let stack = users_stack(client.token_middleware());
                    let _ = stack.get(format!("{base}/api/v1/endpoint")).send().await;
                })
            },
        },
        Entry {
            name: "token_middleware(), X-Plex-Token (Plex)",
            call: |base| {
                Box::pin(async move {
                    let client = plex(&base, Credentials::None).with_token(SECRET);
                    let stack = users_stack(client.token_middleware());
                    let _ = stack.get(format!("{base}/library/sections")).send().await;
                })
            },
        },
        Entry {
            name: "connect(), the resource's own token (Plex)",
            call: |base| {
                Box::pin(async move {
                    let resource: plex_auth::models::Resource =
                        serde_json::from_value(serde_json::json!({
                            "name": "hostile",
                            "clientIdentifier": "hostile-id",
                            "provides": "server",
                            "owned": true,
                            "accessToken": SECRET,
                            "connections": [{"uri": base, "local": false, "relay": false}],
                        }))
                        .unwrap();
                    let client = plex(&base, Credentials::api_key("the-account-token"));
                    let _ = client
                        .connect_within(&resource, Duration::from_secs(2))
                        .await;
                })
            },
        },
        Entry {
            name: "JWT device registration, X-Plex-Token (Plex)",
            call: |base| {
                Box::pin(async move {
                    let client = plex(&base, Credentials::api_key(SECRET));
                    let key = DeviceKey::generate("test-client-id").unwrap();
                    let _ = JwtDevice::register(&client, key).await;
                })
            },
        },
        Entry {
            name: "JWT device token, a signed JWT in the body (Plex)",
            call: |base| {
                Box::pin(async move {
                    let client = plex(&base, Credentials::None);
                    let device = JwtDevice::new(&client, DeviceKey::generate("id").unwrap());
                    let _ = device.fetch().await;
                })
            },
        },
        Entry {
            name: "PIN login, start and wait (Plex)",
            call: |base| {
                Box::pin(async move {
                    let client = plex(&base, Credentials::None);
                    if let Ok(login) = PinLogin::start(&client, &plex_identity()).await {
                        let _ = login
                            .deadline(std::time::Instant::now() + Duration::from_millis(300))
                            .wait()
                            .await;
                    }
                })
            },
        },
    ]
}

/// Whether `seen` carries the secret anywhere: a header (Basic-encoded too) or the body.
fn carries_secret(seen: &Seen) -> bool {
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("client-id:{SECRET}"));
    seen.headers
        .iter()
        .any(|(_, value)| value.contains(SECRET) || value.contains(&basic))
        || String::from_utf8_lossy(&seen.body).contains(SECRET)
}

/// The redirect target of `elsewhere` from the origin at `port`, with `other_port` for
/// [`Elsewhere::Port`].
fn target(elsewhere: Elsewhere, port: u16, other_port: u16) -> String {
    match elsewhere {
        Elsewhere::Host => format!("http://localhost:{port}/landed"),
        Elsewhere::Port => format!("http://127.0.0.1:{other_port}/landed"),
        Elsewhere::Scheme => format!("https://127.0.0.1:{port}/landed"),
        Elsewhere::UserInfo => format!("http://intruder:pw@127.0.0.1:{port}/landed"),
    }
}

/// Runs `entry` against every redirect status and every kind of elsewhere; the number of cases.
async fn check(entry: &Entry) -> usize {
    let mut cases = 0;
    for status in STATUSES {
        for elsewhere in ELSEWHERE {
            let other = RawServer::serve(|_, _| Step::json(200, "{}"))
                .await
                .unwrap();
            let other_port = other.port();
            // The origin redirects its first request; any later one (a followed redirect) gets
            // a 200.
            let origin = RawServer::serve(move |index, seen| {
                if index > 0 {
                    return Step::json(200, "{}");
                }
                let port = seen
                    .header("host")
                    .and_then(|host| host.rsplit_once(':'))
                    .and_then(|(_, port)| port.parse().ok())
                    .unwrap_or(0);
                Step::with(
                    status,
                    &[("location", &target(elsewhere, port, other_port))],
                    "",
                )
            })
            .await
            .unwrap();
            (entry.call)(origin.url().to_owned()).await;

            let case = format!("{} × {status} × {elsewhere:?}", entry.name);
            let first = origin.seen();
            assert!(!first.is_empty(), "{case}: the entry point sent nothing");
            // Whatever was sent after the redirect, and whatever reached the other server,
            // carries no credential.
            for seen in first.iter().skip(1).chain(other.seen().iter()) {
                assert!(
                    !carries_secret(seen),
                    "{case}: credential sent on: {seen:?}"
                );
            }
            // And the redirect was not followed: one connection to the origin (an https hop
            // would be a second one, even if no HTTP request came of it), none elsewhere.
            assert_eq!(origin.connections(), 1, "{case}: the redirect was followed");
            assert_eq!(
                other.connections(),
                0,
                "{case}: the other origin was reached"
            );
            cases += 1;
        }
    }
    cases
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_credential_follows_a_redirect_to_another_origin() {
    // The entry points side by side, each through its 20 cases.
    let checks: Vec<_> = entries()
        .into_iter()
        .map(|entry| tokio::spawn(async move { check(&entry).await }))
        .collect();
    let mut cases = 0;
    for check in checks {
        cases += check.await.unwrap();
    }
    assert_eq!(cases, 12 * 5 * 4);
}

#[tokio::test]
async fn a_redirect_within_the_origin_keeps_its_credential_for_every_kind() {
    // Bearer, X-Plex-Token and X-Api-Key, each redirected once within the origin (307: the
    // method and body are kept) and answered there.
    for entry in [0usize, 1, 5] {
        let origin = RawServer::serve(|index, _| {
            if index == 0 {
                Step::with(307, &[("location", "/moved")], "")
            } else {
                Step::json(200, "[]")
            }
        })
        .await
        .unwrap();
        (entries()[entry].call)(origin.url().to_owned()).await;
        let seen = origin.seen();
        assert_eq!(seen.len(), 2, "{}: followed once", entries()[entry].name);
        assert_eq!(seen[1].target, "/moved");
        assert!(carries_secret(&seen[1]), "{}", entries()[entry].name);
    }
}
