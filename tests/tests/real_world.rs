//! The flows against the fakes in their real-world mode, which answer with the shapes recorded
//! in `tests/fixtures/` (see `tests/fixtures/SOURCES.md`): Plex's 422 with XML and HTML 401s and
//! null account fields, Dintero's top-level `mfa_token` and token answers without `token_type`,
//! emnify's 401 with a JSON message and 422 with an empty HTML body.

use auth_core::{Credentials, ErrorMetadata};
use dintero_auth::models::{OobChannel, PasswordGrant};
use workspace_tests::emnify;
use workspace_tests::fakes::Reply;
use workspace_tests::fakes::dintero::{DinteroConfig, DinteroFake};
use workspace_tests::fakes::emnify::{EmnifyConfig, EmnifyFake};
use workspace_tests::fakes::plex::{PlexConfig, PlexFake};

#[tokio::test]
async fn plex_real_world_answers_are_typed() {
    use plex_auth::errors::{GetTokenDetailsError, GetTransientTokenError};
    use plex_auth::models::{TransientTokenScope, TransientTokenType};
    let config = PlexConfig {
        home_user_nulls: true,
        plex_tv_rejected_token_answer: Some(Reply::text(
            422,
            "application/xml",
            include_str!("../fixtures/plex/get_token_details_422_invalid_token.xml").to_owned(),
        )),
        media_server_rejected_token_answer: Some(Reply::text(
            401,
            "text/html",
            include_str!("../fixtures/plex/media_server_401.html").to_owned(),
        )),
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
    // The account decodes with its recorded nulls.
    let me = logged_in
        .client
        .authentication()
        .get_token_details()
        .await
        .unwrap();
    assert_eq!(me.remember_expires_at, None);
    assert_eq!(me.subscription.unwrap().subscribed_at, None);
    let services = me.services.unwrap();
    assert_eq!((&services[0].token, &services[0].secret), (&None, &None));

    // plex.tv: a rejected token is a 422 with XML, typed.
    let stranger = client.with_token("not-a-token");
    let error = stranger
        .authentication()
        .get_token_details()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error.documented(),
            Some(GetTokenDetailsError::UnprocessableEntity(None))
        ),
        "{error:?}"
    );
    // The media server: a 401 with HTML, typed.
    let error = stranger
        .authentication()
        .get_transient_token(TransientTokenType::Delegation, TransientTokenScope::All)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error.documented(),
            Some(GetTransientTokenError::Unauthorized { .. })
        ),
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
    let grant = PasswordGrant::new(config.username, config.password, "https://aud");
    let dintero_auth::LoginOutcome::MfaRequired(required) =
        client.login(&config.account_id, grant).await.unwrap()
    else {
        panic!("an mfa_required with its token at the top level is still MfaRequired");
    };
    let challenge = required.challenge(OobChannel::Sms).await.unwrap();
    // The access token came without `token_type`, and still decoded, with its 600 s lifetime.
    let logged_in = challenge
        .complete(fake.last_binding_code().unwrap())
        .await
        .unwrap();
    let auth_core::Credentials::BearerSource(source) = logged_in.core().credentials() else {
        panic!("a logged-in client keeps its token valid");
    };
    let left = source.token().await.unwrap().expires_in().unwrap();
    assert!((590..=600).contains(&left.as_secs()), "expires in {left:?}");
}

#[tokio::test]
async fn emnify_real_world_401_message_and_empty_422() {
    use emnify_auth::errors::{PostMfaError, UserMfaTypeGetError};
    let config = EmnifyConfig {
        rejected_token_answer: Some(Reply::text(
            401,
            "application/json",
            include_str!("../fixtures/emnify/unauthorized_401_token_segments.json").to_owned(),
        )),
        wrong_password_answer: Some(Reply::text(
            422,
            "text/html; charset=UTF-8",
            include_str!("../fixtures/emnify/unprocessable_422_empty.html").to_owned(),
        )),
        ..EmnifyConfig::default()
    };
    let (_fake, server) = EmnifyFake::start(config.clone()).await.unwrap();
    let stranger = emnify(&server.url(), Credentials::bearer("not-a-token"));
    let error = stranger
        .authentication()
        .user_mfa_type_get()
        .await
        .unwrap_err();
    let Some(UserMfaTypeGetError::Unauthorized(Some(rejected))) = error.documented() else {
        panic!("{error:?}");
    };
    assert_eq!(
        rejected.message.as_deref(),
        Some("token contains an invalid number of segments")
    );

    let client = workspace_tests::emnify_logged_in(&server.url(), &config).await;
    let refused = client.create_mfa_key("wrong-password").await.unwrap_err();
    assert!(
        matches!(
            refused.documented(),
            Some(PostMfaError::UnprocessableEntity(None))
        ),
        "{refused:?}"
    );
}
