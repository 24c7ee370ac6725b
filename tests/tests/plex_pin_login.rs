//! Plex's PIN (link code) login against the fake: approved after some polls, expired, timed
//! out by the caller, and tied to the client identifier that created it.

use std::time::{Duration, Instant};

use plex_auth::testing::{PlexConfig, PlexFake};
use plex_auth::{PinLogin, PinOutcome};
use workspace_tests::{plex_identity, plex_of_fake};

#[tokio::test]
async fn a_pin_approved_after_three_polls_logs_in() {
    let config = PlexConfig {
        pin_approved_after_polls: Some(3),
        ..PlexConfig::default()
    };
    let (_fake, servers) = PlexFake::start(config).await.unwrap();
    let client = plex_of_fake(&servers);
    let login = PinLogin::start(&client, &plex_identity())
        .await
        .unwrap()
        .poll_interval(Duration::from_millis(100));
    assert_eq!(login.code().len(), 4);
    assert!(login.auth_url().contains("clientID=test-client-id"));
    assert!(login.auth_url().contains(&format!("code={}", login.code())));

    let PinOutcome::LoggedIn(client) = login.wait().await.unwrap() else {
        panic!("approved on the third poll");
    };
    let account = client.authentication().get_token_details().await.unwrap();
    assert_eq!(account.username, "fake");
    assert!(
        servers
            .plex_tv
            .requests()
            .iter()
            .filter(|r| r.path.starts_with("/api/v2/pins/"))
            .count()
            >= 3
    );
}

#[tokio::test]
async fn a_pin_nobody_approves_expires() {
    let config = PlexConfig {
        pin_approved_after_polls: None,
        pin_lifetime: Duration::from_millis(500),
        ..PlexConfig::default()
    };
    let (_fake, servers) = PlexFake::start(config).await.unwrap();
    let login = PinLogin::start_strong(&plex_of_fake(&servers), &plex_identity())
        .await
        .unwrap()
        .poll_interval(Duration::from_millis(100));
    assert_eq!(login.code().len(), 25);
    assert!(matches!(login.wait().await.unwrap(), PinOutcome::Expired));
}

#[tokio::test]
async fn the_callers_deadline_ends_the_wait_and_approval_is_seen_later() {
    let config = PlexConfig {
        pin_approved_after_polls: None,
        ..PlexConfig::default()
    };
    let (fake, servers) = PlexFake::start(config).await.unwrap();
    let login = PinLogin::start(&plex_of_fake(&servers), &plex_identity())
        .await
        .unwrap()
        .poll_interval(Duration::from_millis(100))
        .deadline(Instant::now() + Duration::from_millis(350));
    assert!(matches!(login.wait().await.unwrap(), PinOutcome::TimedOut));
    assert!(login.check().await.unwrap().is_none());

    fake.approve_pins();
    assert!(login.check().await.unwrap().is_some());
}

#[tokio::test]
async fn cancelling_the_wait_stops_the_polling() {
    let config = PlexConfig {
        pin_approved_after_polls: None,
        ..PlexConfig::default()
    };
    let (_fake, servers) = PlexFake::start(config).await.unwrap();
    let login = PinLogin::start(&plex_of_fake(&servers), &plex_identity())
        .await
        .unwrap()
        .poll_interval(Duration::from_millis(100));
    let waited = tokio::time::timeout(Duration::from_millis(350), login.wait()).await;
    assert!(waited.is_err(), "still waiting when cancelled");
    let polls = || servers.plex_tv.requests().len();
    let after_cancel = polls();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        polls(),
        after_cancel,
        "no poll after the future was dropped"
    );
}

#[tokio::test]
async fn a_pin_polled_with_another_client_identifier_is_not_found() {
    let (_fake, servers) = PlexFake::start(PlexConfig::default()).await.unwrap();
    let login = PinLogin::start(&plex_of_fake(&servers), &plex_identity())
        .await
        .unwrap();
    let stranger = plex_auth::Client::from(
        plex_auth::ClientIdentity::new("someone-else")
            .builder()
            .server_url(
                plex_auth::Server::PlexTv,
                format!("{}/api/v2", servers.plex_tv.url()),
            )
            .build()
            .unwrap(),
    );
    let error = stranger
        .authentication()
        .get_pin(login.pin().id)
        .await
        .unwrap_err();
    assert!(matches!(
        error.documented(),
        Some(plex_auth::errors::GetPinError::NotFound(_))
    ));
}
