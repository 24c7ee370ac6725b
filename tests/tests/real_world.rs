//! The flows against the fakes in their real-world mode, which answer with the shapes recorded
//! in `tests/fixtures/` (see `tests/fixtures/SOURCES.md`): Plex's 422 with XML and HTML 401s and
//! null account fields, Dintero's top-level `mfa_token` and token answers without `token_type`,
//! emnify's 401 with a JSON message and 422 with an empty HTML body.

use auth_core::{Credentials, ErrorMetadata};
use dintero_auth::TokenOutcome;
use dintero_auth::models::{OobChannel, Password};
use emnify_auth::{Login, LoginOutcome};
use workspace_tests::emnify;
use workspace_tests::fakes::dintero::{DinteroConfig, DinteroFake};
use workspace_tests::fakes::emnify::{EmnifyConfig, EmnifyFake};
use workspace_tests::fakes::plex::{PlexConfig, PlexFake};

#[tokio::test]
async fn plex_real_world_answers_are_typed() {
    use plex_auth::errors::{GetTokenDetailsError, GetTransientTokenError};
    use plex_auth::models::{TransientTokenScope, TransientTokenType};
    let config = PlexConfig {
        real_world: true,
        ..PlexConfig::default()
    };
    let (_fake, servers) = PlexFake::start(config.clone()).await.unwrap();
    let client = workspace_tests::plex_of_fake(&servers);

    // Two-factor: code 1029 is the MfaRequired outcome.
    let plex_auth::LoginOutcome::MfaRequired(pending) = client
        .login(&config.login, config.password.clone())
        .await
        .unwrap()
    else {
        panic!("the account has two-factor authentication");
    };
    let logged_in = pending
        .complete(config.two_factor_code.as_deref().unwrap())
        .await
        .unwrap();
    // The account decodes with `rememberExpiresAt: null`.
    let me = logged_in
        .client
        .authentication()
        .get_token_details()
        .await
        .unwrap();
    assert_eq!(me.remember_expires_at, None);

    // plex.tv: a rejected token is a 422 with XML, typed.
    let stranger = client.with_token("not-a-token");
    let error = stranger
        .authentication()
        .get_token_details()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, GetTokenDetailsError::UnprocessableEntity(e) if e.body.is_none()),
        "{error:?}"
    );
    // The media server: a 401 with HTML, typed.
    let error = stranger
        .authentication()
        .get_transient_token(TransientTokenType::Delegation, TransientTokenScope::All)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, GetTransientTokenError::Unauthorized(_)),
        "{error:?}"
    );
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
}

#[tokio::test]
async fn dintero_real_world_mfa_token_at_the_top_level_and_no_token_type() {
    let config = DinteroConfig {
        real_world: true,
        ..DinteroConfig::default()
    };
    let (fake, server) = DinteroFake::start(config.clone()).await.unwrap();
    let client = workspace_tests::dintero_of_fake(&server.url(), &config);
    let grant = Password::new(config.username, config.password, "https://aud").into();
    let TokenOutcome::MfaRequired(required) = client
        .request_token(&config.account_id, &grant)
        .await
        .unwrap()
    else {
        panic!("an mfa_required with its token at the top level is still MfaRequired");
    };
    let challenge = required.challenge(OobChannel::Sms).await.unwrap();
    let token = challenge
        .complete(fake.last_binding_code().unwrap())
        .await
        .unwrap();
    assert_eq!(token.token_type, None);
    assert_eq!(token.expires_in, 600);
}

#[tokio::test]
async fn emnify_real_world_401_message_and_empty_422() {
    use emnify_auth::errors::{PostMfaError, UserMfaTypeGetError};
    let config = EmnifyConfig {
        real_world: true,
        ..EmnifyConfig::default()
    };
    let (_fake, server) = EmnifyFake::start(config.clone()).await.unwrap();
    let stranger = emnify(&server.url(), Credentials::bearer("not-a-token"));
    let error = stranger
        .authentication()
        .user_mfa_type_get()
        .await
        .unwrap_err();
    let UserMfaTypeGetError::Unauthorized(rejected) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(
        rejected.body.as_ref().unwrap().message.as_deref(),
        Some("token contains an invalid number of segments")
    );

    let base = emnify(&server.url(), Credentials::None);
    let login = Login::password(config.username.clone(), config.password.clone());
    let LoginOutcome::LoggedIn(client) = base.login(login).await.unwrap() else {
        panic!("no MFA yet");
    };
    let refused = client.create_mfa_key("wrong-password").await.unwrap_err();
    assert!(
        matches!(&refused, PostMfaError::UnprocessableEntity(e) if e.body.is_none()),
        "{refused:?}"
    );
}
