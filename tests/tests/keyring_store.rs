//! `KeyringTokenStore` on this machine's OS credential store (on Linux the kernel's keyutils
//! session keyring, which needs no daemon): round trip, clear, and a provider kept in it. Where
//! the platform denies its store (a sandbox that blocks the keyring system calls), the tests say
//! so and pass.

use std::time::Duration;

use auth_core::{Credentials, KeyringTokenStore, StoredToken, Token, TokenProvider, TokenStore};
use emnify_auth::ApplicationToken;
use workspace_tests::emnify;
use workspace_tests::fakes::emnify::{EmnifyConfig, EmnifyFake};

/// A service name no other test run uses.
fn service() -> String {
    format!("auth-client-test-{}", std::process::id())
}

/// Whether the platform lets this process use its credential store at all.
async fn platform_store_available() -> bool {
    let store = KeyringTokenStore::new(service());
    let probe = StoredToken::of(&Token::new("probe"));
    match store.save("probe", &probe).await {
        Ok(()) => store.clear("probe").await.is_ok(),
        Err(error)
            if error.to_string().contains("secure storage failure")
                || error.to_string().contains("access platform secure storage") =>
        {
            eprintln!("skipped: the platform's credential store is not available here: {error}");
            false
        }
        Err(error) => panic!("{error}"),
    }
}

#[tokio::test]
async fn a_token_round_trips_through_the_os_store() {
    if !platform_store_available().await {
        return;
    }
    let store = KeyringTokenStore::new(service());
    let token = Token::expiring_in("secret-access", Duration::from_secs(600))
        .with_refresh_token("secret-refresh");
    store
        .save("round-trip", &StoredToken::of(&token))
        .await
        .unwrap();
    let loaded = store.load("round-trip").await.unwrap().unwrap();
    assert_eq!(loaded.access_token.expose(), "secret-access");
    assert_eq!(loaded.refresh_token.unwrap().expose(), "secret-refresh");

    store.clear("round-trip").await.unwrap();
    assert!(store.load("round-trip").await.unwrap().is_none());
    store.clear("round-trip").await.unwrap();
}

#[tokio::test]
async fn two_processes_one_after_another_make_one_token_request() {
    if !platform_store_available().await {
        return;
    }
    let config = EmnifyConfig::default();
    let (fake, server) = EmnifyFake::start(config.clone()).await.unwrap();
    let base = emnify(&server.url(), Credentials::None);
    for _ in 0..2 {
        let provider = ApplicationToken::new(&base, config.application_token.clone())
            .stored_in(KeyringTokenStore::new(service()), "provider");
        base.with_token_provider(provider)
            .bearer_token()
            .await
            .unwrap();
    }
    assert_eq!(fake.logins(), 1);
    KeyringTokenStore::new(service())
        .clear("provider")
        .await
        .unwrap();
}
