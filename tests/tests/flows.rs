//! The login, refresh and MFA flows of each vendor, end to end against the local fakes.

use std::time::Duration;

use auth_core::{Credentials, ErrorMetadata, Secret};
use dintero_auth::RecoveryOutcome;
use dintero_auth::errors::AidAuthsOauthTokenPostError;
use dintero_auth::models::{MfaRecovery, OobChannel, PasswordGrant};
use emnify_auth::errors::AuthenticateError;
use emnify_auth::{ApplicationToken, LoginOutcome, PasswordLogin};
use workspace_tests::fakes::dintero::{DinteroConfig, DinteroFake};
use workspace_tests::fakes::emnify::{EmnifyConfig, EmnifyFake};
use workspace_tests::fakes::plex::{PlexConfig, PlexFake};
use workspace_tests::{dintero, emnify};

fn logged_in(outcome: LoginOutcome) -> emnify_auth::Client {
    match outcome {
        LoginOutcome::LoggedIn(client) => client,
        other => panic!("expected a login, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn emnify_mfa_enrolment_then_mfa_login_then_trusted_device() {
    let config = EmnifyConfig::default();
    let (fake, server) = EmnifyFake::start(config.clone()).await.unwrap();
    let base = emnify(&server.url(), Credentials::None);
    let login = || base.login(config.username.clone(), config.password.clone());
    let client = logged_in(login().await.unwrap());

    let enrollment = client
        .create_mfa_key(config.password.clone())
        .await
        .unwrap();
    assert_eq!(
        Some(enrollment.key.secret_key.clone()),
        fake.key_secret(enrollment.key.id)
    );
    let wrong = enrollment.activate(&client, "000000").await;
    assert!(wrong.is_err());
    let code = enrollment.current_code().unwrap();
    enrollment.activate(&client, &code).await.unwrap();

    // MFA is on: the password alone is not enough.
    let LoginOutcome::MfaRequired(pending) = login().await.unwrap() else {
        panic!("expected MFA to be required");
    };
    let rejected = pending.complete("000000").await.unwrap_err();
    assert!(
        matches!(rejected.documented(), Some(AuthenticateError::Unauthorized)),
        "{rejected:?}"
    );

    let LoginOutcome::MfaRequired(pending) = login().await.unwrap() else {
        panic!("expected MFA to be required");
    };
    let fingerprint = Secret::new("device-fingerprint-1");
    let client = pending
        .trust_device(fingerprint.clone())
        .complete(&enrollment.current_code().unwrap())
        .await
        .unwrap();
    let devices = client
        .authentication()
        .user_mfa_trusted_device_by_user_id_get(config.user_id)
        .await
        .unwrap();
    assert_eq!(devices.len(), 1);

    // The trusted device logs in without a code.
    let trusted = PasswordLogin::new(&base, config.username.clone(), config.password.clone())
        .trust_device(fingerprint);
    logged_in(trusted.login().await.unwrap());
}

#[tokio::test(start_paused = true)]
async fn emnify_expired_token_is_refreshed_then_relogged_in() {
    let config = EmnifyConfig::default();
    let (fake, server) = EmnifyFake::start(config.clone()).await.unwrap();
    let base = emnify(&server.url(), Credentials::None);
    let client = logged_in(base.login(config.username, config.password).await.unwrap());
    client.authentication().user_mfa_type_get().await.unwrap();
    assert_eq!((fake.refreshes(), fake.logins()), (0, 1));

    fake.expire_auth_tokens();
    client.authentication().user_mfa_type_get().await.unwrap();
    assert_eq!(
        (fake.refreshes(), fake.logins(), fake.rejected()),
        (1, 1, 1)
    );

    fake.expire_auth_tokens();
    fake.expire_refresh_tokens();
    client.authentication().user_mfa_type_get().await.unwrap();
    assert_eq!(
        (fake.refreshes(), fake.logins(), fake.rejected()),
        (1, 2, 2)
    );
}

#[tokio::test(start_paused = true)]
async fn emnify_token_near_expiry_is_refreshed_before_the_call() {
    let config = EmnifyConfig {
        token_lifetime: Duration::from_secs(2),
        ..EmnifyConfig::default()
    };
    let (fake, server) = EmnifyFake::start(config.clone()).await.unwrap();
    let base = emnify(&server.url(), Credentials::None);
    let client = base.with_token_provider(ApplicationToken::new(&base, config.application_token));
    client.authentication().user_mfa_status_get().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    client.authentication().user_mfa_status_get().await.unwrap();
    // An application login has no refresh token: the client logged in again, ahead of expiry,
    // so the server never had to reject the old token.
    assert_eq!((fake.logins(), fake.rejected()), (2, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_requests_on_an_expired_token_cause_one_refresh() {
    let config = DinteroConfig::default();
    let (fake, server) = DinteroFake::start(config.clone()).await.unwrap();
    let client = workspace_tests::dintero_of_fake(&server.url(), &config);
    let recovery = MfaRecovery::new(config.username, "https://aud");
    client
        .recover_mfa(&config.account_id, &recovery)
        .await
        .unwrap();
    assert_eq!(fake.token_requests(), 1);

    fake.expire_access_tokens();
    let calls: Vec<_> = (0..1000)
        .map(|_| {
            let client = client.clone();
            let recovery = recovery.clone();
            let account = config.account_id.clone();
            tokio::spawn(async move { client.recover_mfa(&account, &recovery).await })
        })
        .collect();
    for call in calls {
        let outcome = call.await.unwrap().unwrap();
        assert!(matches!(outcome, RecoveryOutcome::MfaRequired(_)));
    }
    assert_eq!(fake.token_requests(), 2, "exactly one refresh");
}

#[tokio::test(start_paused = true)]
async fn dintero_password_login_with_mfa_out_of_band() {
    let config = DinteroConfig::default();
    let (fake, server) = DinteroFake::start(config.clone()).await.unwrap();
    let client = workspace_tests::dintero_of_fake(&server.url(), &config);
    let grant = PasswordGrant::new(config.username, config.password, "https://aud");
    let dintero_auth::LoginOutcome::MfaRequired(required) =
        client.login(&config.account_id, grant).await.unwrap()
    else {
        panic!("the fake's user has MFA");
    };
    let challenge = required.challenge(OobChannel::Email).await.unwrap();
    let wrong = challenge.complete("000000").await.unwrap_err();
    assert!(
        matches!(
            wrong.documented(),
            Some(AidAuthsOauthTokenPostError::Forbidden { .. })
        ),
        "{wrong:?}"
    );

    let challenge = required.challenge(OobChannel::Sms).await.unwrap();
    let code = fake.last_binding_code().unwrap();
    let logged_in = challenge.complete(code).await.unwrap();
    // The logged-in client sends the mfa_oob grant's access token, and keeps it valid.
    let token = logged_in.bearer_token().await.unwrap();
    assert!(
        fake.issued(token.expose()),
        "an access token the fake issued"
    );
}

#[tokio::test(start_paused = true)]
async fn dintero_account_user_token_from_the_users_own_jwt() {
    let config = DinteroConfig {
        user_has_mfa: false,
        ..DinteroConfig::default()
    };
    let (fake, server) = DinteroFake::start(config.clone()).await.unwrap();
    let client = workspace_tests::dintero_of_fake(&server.url(), &config);
    let grant = PasswordGrant::new(config.username, config.password, "https://aud");
    let dintero_auth::LoginOutcome::LoggedIn(user) =
        client.login(&config.account_id, grant).await.unwrap()
    else {
        panic!("the user has no MFA");
    };
    let user_jwt = user.bearer_token().await.unwrap();

    let base = dintero(&server.url(), Credentials::None);
    let account_user = base.with_token_provider(dintero_auth::AccountUserToken::new(
        &base,
        config.account_id.clone(),
        user_jwt.clone(),
    ));
    let token = account_user.bearer_token().await.unwrap();
    assert!(fake.issued(token.expose()));
    assert_ne!(token.expose(), user_jwt.expose(), "a token of its own");

    // The client's own token is no account user's: Dintero's refusal is a typed token error.
    let client_jwt = client.bearer_token().await.unwrap();
    let not_a_user = base.with_token_provider(dintero_auth::AccountUserToken::new(
        &base,
        config.account_id.clone(),
        client_jwt,
    ));
    let error = not_a_user.bearer_token().await.unwrap_err();
    let auth_core::Error::TokenRefresh(refused) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(refused.kind(), auth_core::TokenErrorKind::Rejected);
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(403));
}

#[tokio::test(start_paused = true)]
async fn dintero_recovery_leads_to_the_next_challenge() {
    let config = DinteroConfig::default();
    let (_fake, server) = DinteroFake::start(config.clone()).await.unwrap();
    let client = workspace_tests::dintero_of_fake(&server.url(), &config);
    let recovery = MfaRecovery::new(config.username, "https://aud");
    let RecoveryOutcome::MfaRequired(required) = client
        .recover_mfa(&config.account_id, &recovery)
        .await
        .unwrap()
    else {
        panic!("a recovery that goes on answers mfa_required");
    };
    required.challenge(OobChannel::Sms).await.unwrap();
    let unknown = MfaRecovery::new("nobody", "https://aud");
    assert!(
        client
            .recover_mfa(&config.account_id, &unknown)
            .await
            .is_err()
    );
}

/// The README's Dintero login, step by step: the user's password grant goes on a client whose
/// bearer is the API client's own token; on a client with only its Basic credentials the token
/// endpoint refuses it (what the README once showed).
#[tokio::test(start_paused = true)]
async fn dintero_login_as_the_readme_writes_it() {
    let config = DinteroConfig::default();
    let (_fake, server) = DinteroFake::start(config.clone()).await.unwrap();
    let grant = || {
        PasswordGrant::new(
            config.username.clone(),
            config.password.clone(),
            "https://aud",
        )
    };

    let base = dintero(&server.url(), Credentials::None);
    let client = base.with_token_provider(dintero_auth::ClientCredentials::new(
        &base,
        config.account_id.clone(),
        config.client_id.clone(),
        config.client_secret.clone(),
        "https://aud",
    ));
    let outcome = client.login(&config.account_id, grant()).await.unwrap();
    assert!(
        matches!(
            outcome,
            dintero_auth::LoginOutcome::LoggedIn(_) | dintero_auth::LoginOutcome::MfaRequired(_)
        ),
        "{outcome:?}"
    );

    let basic_only = dintero(
        &server.url(),
        Credentials::basic(config.client_id.clone(), config.client_secret.clone()),
    );
    let refused = basic_only
        .login(&config.account_id, grant())
        .await
        .unwrap_err();
    assert_eq!(
        refused.status().map(|status| status.as_u16()),
        Some(401),
        "{refused}"
    );
}

#[tokio::test(start_paused = true)]
async fn dintero_wrong_client_secret_is_unauthorized() {
    let config = DinteroConfig::default();
    let (_fake, server) = DinteroFake::start(config.clone()).await.unwrap();
    let client = dintero(&server.url(), Credentials::basic(config.client_id, "wrong"));
    let grant = dintero_auth::models::ClientCredentialsGrant::new("https://aud").into();
    let error = client
        .authentication()
        .aid_auths_oauth_token_post(&config.account_id, &grant)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error.documented(),
            Some(AidAuthsOauthTokenPostError::Unauthorized { .. })
        ),
        "{error:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn plex_sign_in_needs_the_two_factor_code_then_its_token_works() {
    let config = PlexConfig::default();
    let (_fake, servers) = PlexFake::start(config.clone()).await.unwrap();
    let client = workspace_tests::plex_of_fake(&servers);

    // The account has two-factor authentication: Plex's code 1029 is a typed outcome.
    let outcome = client
        .login(&config.login, config.password.clone())
        .await
        .unwrap();
    let plex_auth::LoginOutcome::MfaRequired(pending) = outcome else {
        panic!("expected the two-factor step, got {outcome:?}");
    };
    let plex_auth::LoggedIn {
        client: signed_in,
        account,
        ..
    } = pending
        .complete(config.two_factor_code.as_deref().unwrap())
        .await
        .unwrap();
    let details = signed_in
        .authentication()
        .get_token_details()
        .await
        .unwrap();
    assert_eq!(details.auth_token, account.auth_token);
    let transient = signed_in
        .authentication()
        .get_transient_token(
            plex_auth::models::TransientTokenType::Delegation,
            plex_auth::models::TransientTokenScope::All,
        )
        .await
        .unwrap();
    assert!(
        transient
            .media_container
            .token
            .expose()
            .starts_with("transient-")
    );

    // A transient token works on the media server but not on plex.tv.
    let delegated = client.with_token(transient.media_container.token);
    delegated
        .authentication()
        .get_source_connection_information("server://abc")
        .await
        .unwrap();
    assert!(
        delegated
            .authentication()
            .get_token_details()
            .await
            .is_err()
    );
}

#[tokio::test(start_paused = true)]
async fn an_interactive_login_is_bounded_by_the_clients_own_timeouts() {
    use workspace_tests::raw::{RawServer, Step};
    let server = RawServer::start(vec![Step::Hang]).await.unwrap();
    let timeouts = auth_core::Timeouts {
        attempt: Some(Duration::from_millis(200)),
        total: Some(Duration::from_millis(300)),
    };
    let base = emnify(server.url(), Credentials::None).with_timeouts(timeouts);
    let started = tokio::time::Instant::now();
    let error = base.login("user", "password").await.unwrap_err();
    assert!(
        matches!(
            error.kind(),
            auth_core::ApiErrorKind::Other(auth_core::Error::Timeout(_))
        ),
        "{error:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}
