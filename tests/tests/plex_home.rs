//! Plex accounts as Plex apps handle them, against the fake: the Home's users and switching to
//! one (with a protected user's PIN), the switched user's token kept and restored, keeping a
//! token alive in the background (and that task's end), and signing out.

use std::time::Duration;

use plex_auth::testing::PlexFake;
use plex_auth::{MemoryTokenStore, PlexCode, Secret, VendorCode};
use workspace_tests::{plex_config_without_2fa, plex_identity, plex_logged_in, plex_of_fake};

/// The keep-alive's state once it has stopped; `None` when it has not within `wait`.
async fn stopped_within(
    keep_alive: &mut plex_auth::KeepAlive,
    wait: Duration,
) -> Option<plex_auth::KeepAliveState> {
    let stopped = async {
        loop {
            match keep_alive.changed().await {
                Some(state) if state.stopped => return state,
                Some(_) => continue,
                None => return keep_alive.state(),
            }
        }
    };
    tokio::time::timeout(wait, stopped).await.ok()
}

#[tokio::test]
async fn a_home_user_is_switched_to_with_its_pin_and_restored_later() {
    let config = plex_config_without_2fa();
    let (_fake, servers) = PlexFake::start(config.clone()).await.unwrap();
    let admin = plex_logged_in(&servers, &config).await;

    let users = admin.home_users().await.unwrap();
    assert_eq!(users.len(), 3);
    let guest_room = users.iter().find(|u| u.title == "Guest Room").unwrap();
    let kid = users.iter().find(|u| u.title == "Kid").unwrap();
    assert_eq!(kid.protected, Some(true));

    // An unprotected user needs no PIN.
    let room = admin.switch_to(guest_room, None).await.unwrap();
    room.client
        .authentication()
        .get_token_details()
        .await
        .unwrap();

    // A protected one: without the PIN, and with a wrong one, plex.tv's 403 with code 1041.
    for pin in [None, Some(Secret::from("0000"))] {
        let refused = admin.switch_to(kid, pin).await.unwrap_err();
        assert_eq!(
            refused.vendor_code(),
            Some(PlexCode::ManagedUserPinRequired)
        );
        assert!(!format!("{refused:?} {refused}").contains("0000"));
    }
    let switched = admin
        .switch_to(kid, Some(Secret::from(config.home_user_pin.as_str())))
        .await
        .unwrap();
    assert_eq!(switched.account.title.as_deref(), Some("Kid"));
    assert_ne!(
        switched.account.auth_token.expose(),
        room.account.auth_token.expose(),
        "each switch is a token of its own"
    );
    assert!(!format!("{switched:?}").contains(switched.account.auth_token.expose()));
    // The admin's own token still works: a switch does not sign it out.
    admin.authentication().get_token_details().await.unwrap();

    // Kept, and restored by a later run as that user.
    let store = MemoryTokenStore::new();
    switched
        .save(&store, "plex-kid", &plex_identity())
        .await
        .unwrap();
    let (identity, token) = plex_identity()
        .restore(&store, "plex-kid")
        .await
        .unwrap()
        .expect("the switched user's token is stored");
    assert_eq!(identity, plex_identity());
    assert_eq!(token.expose(), switched.account.auth_token.expose());
    let restored = plex_of_fake(&servers).with_token(token);
    restored.authentication().get_token_details().await.unwrap();
}

#[tokio::test]
async fn sign_out_ends_the_token_everywhere() {
    let config = plex_config_without_2fa();
    let (_fake, servers) = PlexFake::start(config.clone()).await.unwrap();
    let client = plex_logged_in(&servers, &config).await;
    client.sign_out().await.unwrap();
    let error = client
        .authentication()
        .get_token_details()
        .await
        .unwrap_err();
    assert_eq!(error.vendor_code(), Some(PlexCode::BadCredentials));
}

#[tokio::test]
async fn keep_alive_pings_once_per_interval_and_stops_with_the_client() {
    let config = plex_config_without_2fa();
    let (fake, servers) = PlexFake::start(config.clone()).await.unwrap();
    let client = plex_logged_in(&servers, &config).await;

    // A zero interval is raised to the minimum: no tight loop.
    let mut keep_alive = client.keep_alive(Duration::ZERO).unwrap();
    let first = keep_alive.changed().await.unwrap();
    assert_eq!(
        (first.pings, fake.pings()),
        (1, 1),
        "the first ping is at once"
    );
    let second = tokio::time::timeout(Duration::from_secs(3), keep_alive.changed())
        .await
        .expect("a second ping within the interval and a margin")
        .unwrap();
    assert_eq!(second.pings, 2);
    assert!(second.last_error.is_none() && !second.stopped);

    // Dropping the client (and every clone) ends the task; the handle only reports it.
    drop(client);
    let stopped = stopped_within(&mut keep_alive, Duration::from_secs(3))
        .await
        .expect("the keep-alive stops once the client is gone");
    assert!(stopped.stopped);
    let pings = fake.pings();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(fake.pings(), pings, "no ping after the client was dropped");
}

#[tokio::test]
async fn keep_alive_reports_a_rejected_token_and_stops_pinging_it() {
    let config = plex_config_without_2fa();
    let (fake, servers) = PlexFake::start(config.clone()).await.unwrap();
    let client = plex_logged_in(&servers, &config).await;
    let mut keep_alive = client.keep_alive(Duration::from_millis(200)).unwrap();
    assert_eq!(keep_alive.changed().await.unwrap().pings, 1);

    fake.revoke_account_tokens();
    let state = stopped_within(&mut keep_alive, Duration::from_secs(5))
        .await
        .expect("a rejected token stops the keep-alive");
    let error = state.last_error.expect("the rejection is reported");
    assert_eq!(error.code, Some(PlexCode::BadCredentials));
    assert_eq!(error.status.map(|status| status.as_u16()), Some(401));
    let requests = servers.plex_tv.requests().len();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        servers.plex_tv.requests().len(),
        requests,
        "no more pings of a dead token"
    );
    drop(client);
}

#[tokio::test]
async fn keep_alive_reports_failing_pings_and_still_ends_with_the_client() {
    let config = plex_config_without_2fa();
    let (fake, servers) = PlexFake::start(config.clone()).await.unwrap();
    // A client whose token comes from a JWT device: its credentials hold the token source,
    // which holds a client of the same connection pool.
    let base = plex_of_fake(&servers);
    let legacy = plex_logged_in(&servers, &config).await;
    let legacy = base.with_credentials(legacy.core().credentials().clone());
    let key = plex_auth::DeviceKey::generate(plex_identity().client_identifier).unwrap();
    let device = plex_auth::JwtDevice::register(&legacy, key).await.unwrap();
    drop(legacy);
    let client = base
        .with_token_provider(device)
        .with_retry(plex_auth::RetryPolicy::disabled());
    drop(base);
    fake.fail_pings(Some(503));
    let mut keep_alive = client.keep_alive(Duration::from_secs(1)).unwrap();
    let failed = keep_alive.changed().await.unwrap();
    let failure = failed.last_error.expect("the failure is reported");
    assert_eq!(failure.status.map(|status| status.as_u16()), Some(503));
    assert!(!failed.stopped, "a failing ping does not stop it");
    // The report keeps no part of the request (its credentials would keep the client alive).
    drop(client);
    let stopped = stopped_within(&mut keep_alive, Duration::from_secs(8)).await;
    assert!(stopped.is_some(), "the keep-alive ends with the client");
    assert!(keep_alive.state().stopped);
}

#[test]
fn keep_alive_outside_a_runtime_is_an_error_not_a_panic() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let config = plex_config_without_2fa();
    let (client, _fake, _servers) = runtime.block_on(async {
        let (fake, servers) = PlexFake::start(config.clone()).await.unwrap();
        (plex_logged_in(&servers, &config).await, fake, servers)
    });
    let error = std::thread::spawn(move || client.keep_alive(Duration::from_secs(60)).unwrap_err())
        .join()
        .unwrap();
    assert!(matches!(error, plex_auth::Error::Config(_)), "{error:?}");
}
