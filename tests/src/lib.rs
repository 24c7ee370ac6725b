//! Helpers shared by the workspace tests: clients of each vendor crate pointed at a local server.

#![deny(missing_docs)]

use auth_core::Credentials;

/// An emnify client whose API is at `base_url` (a local server).
pub fn emnify(base_url: &str, credentials: Credentials) -> emnify_auth::Client {
    emnify_auth::Client::builder()
        .server_url(emnify_auth::Server::Api, base_url)
        .credentials(credentials)
        .build()
        .expect("a local base URL is valid")
}

/// An emnify client of the fake at `url`, logged in as the fake's user (who has no MFA).
pub async fn emnify_logged_in(
    url: &str,
    config: &fakes::emnify::EmnifyConfig,
) -> emnify_auth::Client {
    let base = emnify(url, Credentials::None);
    match base
        .login(config.username.clone(), config.password.clone())
        .await
        .expect("the fake's user logs in")
    {
        emnify_auth::LoginOutcome::LoggedIn(client) => client,
        other => panic!("expected a login, got {other:?}"),
    }
}

/// A Dintero client whose API is at `base_url` (a local server).
pub fn dintero(base_url: &str, credentials: Credentials) -> dintero_auth::Client {
    dintero_auth::Client::builder()
        .server_url(dintero_auth::Server::Api, base_url)
        .credentials(credentials)
        .build()
        .expect("a local base URL is valid")
}

/// A Dintero client of the fake at `url` whose bearer token comes from the fake's client
/// credentials (audience `https://aud`).
pub fn dintero_of_fake(url: &str, config: &fakes::dintero::DinteroConfig) -> dintero_auth::Client {
    let client = dintero(url, Credentials::None);
    client.with_token_provider(dintero_auth::ClientCredentials::new(
        &client,
        config.account_id.clone(),
        config.client_id.clone(),
        config.client_secret.clone(),
        "https://aud",
    ))
}

/// The identity the Plex tests send.
pub fn plex_identity() -> plex_auth::ClientIdentity {
    plex_auth::ClientIdentity::new("test-client-id")
        .product("auth-client tests")
        .version("1.0")
        .platform("Linux")
        .device("ci")
}

/// A Plex client whose plex.tv and media server are both at `base_url` (a local server).
pub fn plex(base_url: &str, credentials: Credentials) -> plex_auth::Client {
    plex_identity()
        .builder()
        .server_url(plex_auth::Server::PlexTv, format!("{base_url}/api/v2"))
        .server_url(plex_auth::Server::PlexClients, format!("{base_url}/api/v2"))
        .server_url(plex_auth::Server::MediaServer, base_url)
        .credentials(credentials)
        .build()
        .expect("a local base URL is valid")
}

/// A Plex client of the fake's plex.tv and media server, with no token yet.
pub fn plex_of_fake(servers: &fakes::plex::PlexServers) -> plex_auth::Client {
    plex_identity()
        .builder()
        .server_url(
            plex_auth::Server::PlexTv,
            format!("{}/api/v2", servers.plex_tv.url()),
        )
        .server_url(
            plex_auth::Server::PlexClients,
            format!("{}/api/v2", servers.plex_tv.url()),
        )
        .build()
        .expect("a local base URL is valid")
        .with_media_server(&servers.media_server.url())
        .expect("a local base URL is valid")
}

/// The Plex fake's configuration without two-factor authentication.
pub fn plex_config_without_2fa() -> fakes::plex::PlexConfig {
    fakes::plex::PlexConfig {
        two_factor_code: None,
        ..fakes::plex::PlexConfig::default()
    }
}

/// A Plex client of the fakes, signed in with `config`'s login (which must not ask for a
/// two-factor code): it sends the account's (legacy) token.
pub async fn plex_logged_in(
    servers: &fakes::plex::PlexServers,
    config: &fakes::plex::PlexConfig,
) -> plex_auth::Client {
    match plex_of_fake(servers)
        .login(&config.login, config.password.clone())
        .await
        .expect("the fake's account signs in")
    {
        plex_auth::LoginOutcome::LoggedIn(logged_in) => logged_in.client,
        other => panic!("expected a login, got {other:?}"),
    }
}

/// Decodes `bytes` as every response and error body type of the three crates (and prints what
/// decodes). Decoding may fail; it must never panic. The property tests and the fuzz target call it.
pub fn decode_every_response(bytes: &[u8]) {
    fn decode<T: serde::de::DeserializeOwned + std::fmt::Debug>(bytes: &[u8]) {
        if let Ok(value) = serde_json::from_slice::<T>(bytes) {
            let _ = format!("{value:?}");
        }
    }
    use dintero_auth::models as d;
    use emnify_auth::models as e;
    use plex_auth::models as p;
    decode::<e::AuthenticationResponse>(bytes);
    decode::<e::CreateMfaKeyResponse>(bytes);
    decode::<Vec<e::MfaKeyStatus>>(bytes);
    decode::<Vec<e::MfaKeyType>>(bytes);
    decode::<Vec<e::TrustedDevice>>(bytes);
    decode::<e::ErrorResponse>(bytes);
    decode::<d::ChallengeResponse>(bytes);
    decode::<d::RecoveryChallengeResponse>(bytes);
    decode::<d::AccessToken>(bytes);
    decode::<d::ErrorResponse>(bytes);
    decode::<p::TransientToken>(bytes);
    decode::<p::SourceConnectionInformation>(bytes);
    decode::<p::UserPlexAccount>(bytes);
    decode::<p::ErrorResponse>(bytes);
}

pub mod canary;
/// The vendors' fakes, from the crates' `testing` features (the kit users get).
pub mod fakes {
    pub use auth_core::testing::*;
    pub use dintero_auth::testing as dintero;
    pub use emnify_auth::testing as emnify;
    pub use plex_auth::testing as plex;
}
pub mod raw;
pub mod tour;

/// The workspace README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct WorkspaceReadmeDoctests;
