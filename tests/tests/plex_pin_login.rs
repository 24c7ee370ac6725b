//! Plex's PIN (link code) login against the fake: approved after some polls, expired, timed
//! out by the caller, and tied to the client identifier that created it.

use std::time::Duration;

use tokio::time::Instant;

use plex_auth::testing::{PlexConfig, PlexFake};
use plex_auth::{PinLogin, PinOutcome};
use workspace_tests::raw::{RawServer, Step};
use workspace_tests::{plex_identity, plex_of_fake};

#[tokio::test(start_paused = true)]
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

    let PinOutcome::LoggedIn(logged_in) = login.wait().await.unwrap() else {
        panic!("approved on the third poll");
    };
    // The same `LoggedIn` as a sign-in: the account came with it, and the client works.
    assert_eq!(logged_in.account.username, "fake");
    let account = logged_in
        .client
        .authentication()
        .get_token_details()
        .await
        .unwrap();
    assert_eq!(account, logged_in.account);
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

#[tokio::test(start_paused = true)]
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

#[tokio::test(start_paused = true)]
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

#[tokio::test(start_paused = true)]
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

#[tokio::test(start_paused = true)]
async fn a_pin_polled_with_another_client_identifier_is_not_found() {
    let (_fake, servers) = PlexFake::start(PlexConfig::default()).await.unwrap();
    let login = PinLogin::start(&plex_of_fake(&servers), &plex_identity())
        .await
        .unwrap();
    let stranger =
        plex_auth::testing::builder(&servers, &plex_auth::ClientIdentity::new("someone-else"))
            .build()
            .unwrap();
    let error = stranger
        .authentication()
        .get_pin(login.pin().id, None)
        .await
        .unwrap_err();
    assert!(matches!(
        error.documented(),
        Some(plex_auth::errors::GetPinError::NotFound(_))
    ));
}

/// A hostile plex.tv: its first request creates a PIN (living `lifetime_secs`), and it answers
/// the n-th poll after it with `polls[n]` (the last repeats).
async fn hostile_plex_tv(lifetime_secs: u64, polls: Vec<Step>) -> RawServer {
    // The account of the approved PIN's token: a recorded answer.
    let account = Step::json(
        200,
        include_str!("../fixtures/plex/get_token_details_200_plexpass.json"),
    );
    plex_tv_answering(lifetime_secs, polls, account).await
}

/// A plex.tv that creates a PIN living `lifetime_secs`, answers its polls with `polls` in turn
/// (the last one again and again), and the account's read with `account`.
async fn plex_tv_answering(lifetime_secs: u64, polls: Vec<Step>, account: Step) -> RawServer {
    RawServer::serve(move |index, seen| {
        if seen.method == "POST" {
            return Step::json(201, &pin_json(lifetime_secs, None));
        }
        if seen.target.ends_with("/user") {
            return account.clone();
        }
        polls[(index - 1).min(polls.len() - 1)].clone()
    })
    .await
    .unwrap()
}

fn pin_json(lifetime_secs: u64, token: Option<&str>) -> String {
    serde_json::json!({
        "id": 1001, "code": "ABCD", "product": "auth-client", "trusted": false,
        "clientIdentifier": "test-client-id", "expiresIn": lifetime_secs,
        "createdAt": "2026-11-29T10:00:00Z", "expiresAt": "2026-11-29T10:15:00Z",
        "authToken": token
    })
    .to_string()
}

/// A client of a plex.tv at `url`.
fn plex_tv_at(url: &str) -> plex_auth::Client {
    workspace_tests::plex(url, auth_core::Credentials::None)
}

#[tokio::test(start_paused = true)]
async fn the_deadline_holds_whatever_plex_tv_answers() {
    for (what, answer) in [
        (
            "a 429 asking for an hour",
            Step::with(429, &[("retry-after", "3600")], ""),
        ),
        (
            "a 503 asking for 20 s (within the client's own Retry-After limit)",
            Step::with(503, &[("retry-after", "20")], ""),
        ),
        ("a poll that never answers", Step::Hang),
        ("a 500, again and again", Step::with(500, &[], "")),
    ] {
        let server = hostile_plex_tv(900, vec![answer]).await;
        let login = PinLogin::start(&plex_tv_at(server.url()), &plex_identity())
            .await
            .unwrap()
            .poll_interval(Duration::from_millis(100));
        let began = Instant::now();
        let login = login.deadline(began + Duration::from_millis(600));
        let outcome = login.wait().await;
        let waited = began.elapsed();
        assert!(
            matches!(outcome, Ok(PinOutcome::TimedOut)),
            "{what}: {outcome:?}"
        );
        // On the paused clock: the deadline to the millisecond, whatever plex.tv asked for.
        assert_eq!(waited, Duration::from_millis(600), "{what}");
    }
}

#[tokio::test(start_paused = true)]
async fn transient_failures_and_an_edge_404_do_not_end_the_login() {
    let server = hostile_plex_tv(
        900,
        vec![
            Step::with(500, &[], "<html>oops</html>"),
            // plex.tv's edge in an outage: a 404 with no body, no Plex code, no request id.
            Step::with(404, &[], ""),
            Step::with(502, &[], ""),
            Step::json(200, &pin_json(900, None)),
            Step::json(200, &pin_json(900, Some("the-account-token"))),
        ],
    )
    .await;
    let login = PinLogin::start(&plex_tv_at(server.url()), &plex_identity())
        .await
        .unwrap()
        .poll_interval(Duration::from_millis(100))
        .deadline(Instant::now() + Duration::from_secs(10));
    let outcome = login.wait().await.unwrap();
    assert!(matches!(outcome, PinOutcome::LoggedIn(_)), "{outcome:?}");
}

#[tokio::test(start_paused = true)]
async fn only_plex_tvs_code_1020_says_the_pin_expired() {
    let server = hostile_plex_tv(
        900,
        vec![Step::json(
            404,
            r#"{"errors":[{"code":1020,"message":"Code not found or expired"}]}"#,
        )],
    )
    .await;
    let login = PinLogin::start(&plex_tv_at(server.url()), &plex_identity())
        .await
        .unwrap()
        .poll_interval(Duration::from_millis(100));
    assert!(matches!(login.wait().await.unwrap(), PinOutcome::Expired));

    // A 400 (a request plex.tv refuses) is an error, not an expiry.
    let server = hostile_plex_tv(
        900,
        vec![Step::json(
            400,
            r#"{"errors":[{"code":1000,"message":"X-Plex-Client-Identifier is missing","status":400}]}"#,
        )],
    )
    .await;
    let login = PinLogin::start(&plex_tv_at(server.url()), &plex_identity())
        .await
        .unwrap();
    assert!(login.wait().await.is_err());
}

/// An approved PIN whose account cannot be read loses nothing: the error holds the token.
#[tokio::test(start_paused = true)]
async fn an_account_that_cannot_be_read_keeps_the_approved_token() {
    let approved = Step::json(200, &pin_json(900, Some("the-account-token")));
    let server = plex_tv_answering(900, vec![approved], Step::with(500, &[], "")).await;
    let client = plex_tv_at(server.url()).with_retry(auth_core::RetryPolicy::disabled());
    let login = PinLogin::start(&client, &plex_identity()).await.unwrap();
    match login.wait().await {
        Err(plex_auth::PinWaitError::Account { token, error }) => {
            assert_eq!(token.expose(), "the-account-token");
            assert_eq!(
                auth_core::ErrorMetadata::status(&error).map(|s| s.as_u16()),
                Some(500)
            );
            let failure = plex_auth::PinWaitError::Account { token, error };
            let shown = format!("{failure:?} {failure}");
            assert!(!shown.contains("the-account-token"), "{shown}");
        }
        other => panic!("{other:?}"),
    }
}

/// The account's read after the approval keeps to the deadline too, and keeps the token.
#[tokio::test(start_paused = true)]
async fn the_account_read_ends_at_the_deadline_with_the_token() {
    let approved = Step::json(200, &pin_json(900, Some("the-account-token")));
    let server = plex_tv_answering(900, vec![approved], Step::Hang).await;
    let began = Instant::now();
    let login = PinLogin::start(&plex_tv_at(server.url()), &plex_identity())
        .await
        .unwrap()
        .deadline(began + Duration::from_millis(600));
    match login.wait().await {
        Err(plex_auth::PinWaitError::Account { token, .. }) => {
            assert_eq!(token.expose(), "the-account-token");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(began.elapsed(), Duration::from_millis(600));
}
