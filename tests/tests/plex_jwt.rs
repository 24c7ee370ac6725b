//! Plex's JWT device authentication against the fake, which verifies each device JWT's
//! Ed25519 signature with ring (the client signs with ed25519-dalek): the upgrade from a legacy
//! token, renewal before expiry, a device that stays itself across restarts, and rejection.

use std::time::Duration;

use auth_core::{
    ErrorMetadata, FileTokenStore, MemoryTokenStore, TokenErrorKind, TokenProvider, TokenStore,
};
use plex_auth::models::ExchangeJwtRequest;
use plex_auth::testing::{PlexConfig, PlexFake};
use plex_auth::{DeviceKey, JwtDevice};
use workspace_tests::{plex_config_without_2fa, plex_identity, plex_logged_in, plex_of_fake};

#[tokio::test]
async fn a_legacy_token_upgrades_to_jwt_in_one_call() {
    let config = plex_config_without_2fa();
    let (fake, servers) = PlexFake::start(config.clone()).await.unwrap();
    let legacy = plex_logged_in(&servers, &config).await;
    let key = DeviceKey::generate(plex_identity().client_identifier).unwrap();
    let device = JwtDevice::register(&legacy, key.clone()).await.unwrap();

    let client = plex_of_fake(&servers).with_token_provider(device);
    let account = client.authentication().get_token_details().await.unwrap();
    assert_eq!(account.username, "fake");
    assert_eq!(fake.jwt_exchanges(), 1);
    // The same key twice: plex.tv's documented refusal.
    let again = JwtDevice::register(&legacy, key).await.unwrap_err();
    assert!(matches!(
        again.documented(),
        Some(plex_auth::errors::RegisterJwkError::UnprocessableEntity(_))
    ));
}

#[tokio::test]
async fn a_tampered_or_unknown_signature_is_rejected() {
    let config = plex_config_without_2fa();
    let (_fake, servers) = PlexFake::start(config.clone()).await.unwrap();
    let legacy = plex_logged_in(&servers, &config).await;
    let key = DeviceKey::generate(plex_identity().client_identifier).unwrap();
    JwtDevice::register(&legacy, key.clone()).await.unwrap();

    let api = plex_of_fake(&servers);
    let nonce = api.authentication().get_nonce().await.unwrap().nonce;
    let signed = key.sign(&nonce, &["username".to_owned()]);
    let mut tampered = signed.expose().to_owned();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let error = api
        .authentication()
        .exchange_jwt(&ExchangeJwtRequest::new(tampered))
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    // The untampered one passes, once: the nonce is spent after.
    api.authentication()
        .exchange_jwt(&ExchangeJwtRequest::new(signed.clone()))
        .await
        .unwrap();
    assert!(
        api.authentication()
            .exchange_jwt(&ExchangeJwtRequest::new(signed))
            .await
            .is_err()
    );

    // A key plex.tv never registered is refused, as a token error of kind Rejected.
    let stranger = JwtDevice::new(&api, DeviceKey::generate("stranger").unwrap());
    let error = stranger.fetch().await.unwrap_err();
    assert_eq!(error.kind(), TokenErrorKind::Rejected);
}

#[tokio::test(start_paused = true)]
async fn the_token_is_renewed_before_it_expires() {
    let config = PlexConfig {
        jwt_lifetime: Duration::from_secs(2),
        ..plex_config_without_2fa()
    };
    let (fake, servers) = PlexFake::start(config.clone()).await.unwrap();
    let legacy = plex_logged_in(&servers, &config).await;
    let key = DeviceKey::generate(plex_identity().client_identifier).unwrap();
    let device = JwtDevice::register(&legacy, key).await.unwrap();
    let client = plex_of_fake(&servers).with_token_provider(device);

    client.authentication().get_token_details().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    client.authentication().get_token_details().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        fake.jwt_exchanges(),
        2,
        "renewed half-way through its lifetime"
    );

    // Revoked: once the last token has expired, no new one comes.
    fake.revoke_device_keys();
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let error = client
        .authentication()
        .get_token_details()
        .await
        .unwrap_err();
    let auth_core::ApiErrorKind::Other(auth_core::Error::TokenRefresh(refresh)) = error.kind()
    else {
        panic!("{error:?}");
    };
    assert_eq!(refresh.kind(), TokenErrorKind::Rejected);
}

#[tokio::test]
async fn the_device_stays_itself_across_restarts() {
    let config = plex_config_without_2fa();
    let (fake, servers) = PlexFake::start(config.clone()).await.unwrap();
    let dir = std::env::temp_dir().join(format!("plex-device-{}", std::process::id()));
    let store = FileTokenStore::new(&dir);
    let client_id = plex_identity().client_identifier;

    // First run: a new key, registered with the legacy token, a Plex JWT kept too.
    let key = DeviceKey::load_or_generate(&store, "device-key", client_id.clone())
        .await
        .unwrap();
    let legacy = plex_logged_in(&servers, &config).await;
    let device = JwtDevice::register(&legacy, key.clone()).await.unwrap();
    plex_of_fake(&servers)
        .with_token_provider(device.stored_in(store.clone(), "plex-jwt"))
        .authentication()
        .get_token_details()
        .await
        .unwrap();

    // Second run: the same key, and the stored token without an exchange.
    let again = DeviceKey::load_or_generate(&store, "device-key", "another-id")
        .await
        .unwrap();
    assert_eq!(
        (again.key_id(), again.client_identifier()),
        (key.key_id(), key.client_identifier())
    );
    assert_eq!(again.jwk(), key.jwk());
    let device = JwtDevice::new(&plex_of_fake(&servers), again);
    plex_of_fake(&servers)
        .with_token_provider(device.stored_in(store.clone(), "plex-jwt"))
        .authentication()
        .get_token_details()
        .await
        .unwrap();
    assert_eq!(fake.jwt_exchanges(), 1);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(store.path_of("device-key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The key never shows.
    let seed = store
        .load("device-key")
        .await
        .unwrap()
        .unwrap()
        .access_token;
    let secret_part = seed.expose().split_once('.').unwrap().1.to_owned();
    assert!(!format!("{key:?}").contains(&secret_part));
    assert!(
        !format!(
            "{device:?}",
            device = JwtDevice::new(&plex_of_fake(&servers), key)
        )
        .contains(&secret_part)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_corrupt_stored_key_is_a_typed_error() {
    let store = MemoryTokenStore::new();
    let bogus = auth_core::StoredToken::of(&auth_core::Token::new("no-dot-here"))
        .with_client_identifier("id");
    store.save("device-key", &bogus).await.unwrap();
    let error = DeviceKey::load(&store, "device-key").await.unwrap_err();
    assert!(matches!(error, plex_auth::DeviceKeyError::Corrupt { .. }));
    assert!(!error.to_string().contains("no-dot-here"));
}

/// A device registered on a fake whose Plex JWTs have `fault`: the client of that device.
async fn device_with(
    fault: Option<plex_auth::testing::PlexJwtFault>,
) -> (
    std::sync::Arc<PlexFake>,
    plex_auth::testing::PlexServers,
    JwtDevice,
) {
    let config = PlexConfig {
        plex_jwt_fault: fault,
        ..plex_config_without_2fa()
    };
    let (fake, servers) = PlexFake::start(config.clone()).await.unwrap();
    let legacy = plex_logged_in(&servers, &config).await;
    let key = DeviceKey::generate(plex_identity().client_identifier).unwrap();
    let device = JwtDevice::register(&legacy, key).await.unwrap();
    (fake, servers, device)
}

/// How many requests the fake plex.tv got for `path`.
fn requests_to(servers: &plex_auth::testing::PlexServers, path: &str) -> usize {
    (servers.plex_tv.requests().iter())
        .filter(|request| request.path == path)
        .count()
}

/// A PIN login with a new device key (`strong` or not) on a fake with `config`.
async fn device_pin(
    config: PlexConfig,
    strong: bool,
) -> (
    std::sync::Arc<PlexFake>,
    plex_auth::testing::PlexServers,
    plex_auth::Client,
    DeviceKey,
    plex_auth::PinLogin,
) {
    let (fake, servers) = PlexFake::start(config).await.unwrap();
    let client = plex_of_fake(&servers);
    let key = DeviceKey::generate(plex_identity().client_identifier).unwrap();
    let login = plex_auth::PinLogin::start_with_key(&client, &plex_identity(), &key, strong)
        .await
        .unwrap()
        .poll_interval(Duration::from_millis(100));
    (fake, servers, client, key, login)
}

#[tokio::test]
async fn every_plex_jwt_is_verified_before_it_is_used() {
    use plex_auth::JwtVerifyError as Why;
    use plex_auth::testing::PlexJwtFault as Fault;
    for (fault, rejected) in [
        (Fault::UnpublishedKey, "UnknownKey"),
        (Fault::BadSignature, "Signature"),
        (Fault::WrongAudience, "Audience"),
        (Fault::WrongIssuer, "Issuer"),
        (Fault::Expired, "Expired"),
        (Fault::Unsigned, "Algorithm"),
    ] {
        let (fake, _servers, device) = device_with(Some(fault)).await;
        let error = device.fetch().await.unwrap_err();
        assert_eq!(
            fake.jwt_exchanges(),
            1,
            "{fault:?}: plex.tv answered a token"
        );
        let why = std::error::Error::source(&error)
            .and_then(|cause| cause.downcast_ref::<Why>())
            .unwrap_or_else(|| panic!("{fault:?}: {error:?}"));
        assert_eq!(format!("{why:?}"), rejected, "{fault:?}");
        let expected_kind = if fault == Fault::UnpublishedKey {
            TokenErrorKind::Unavailable
        } else {
            TokenErrorKind::Rejected
        };
        assert_eq!(error.kind(), expected_kind, "{fault:?}");
        assert!(
            !format!("{error:?} {error}").contains("eyJ"),
            "no token in the error"
        );
    }
    // Without a fault, the verified `exp` is the lifetime: 7 days.
    let (_fake, _servers, device) = device_with(None).await;
    let token = device.fetch().await.unwrap();
    let left = token.expires_in().unwrap();
    assert!(left > Duration::from_secs(7 * 86_400 - 60) && left <= Duration::from_secs(7 * 86_400));
}

#[tokio::test]
async fn a_rotated_plex_key_is_fetched_once_and_made_up_ones_cannot_storm() {
    let (fake, servers, device) = device_with(None).await;
    let keys_fetched = || requests_to(&servers, "/api/v2/auth/keys");
    device.fetch().await.unwrap();
    device.fetch().await.unwrap();
    assert_eq!(keys_fetched(), 1, "the keys are cached");
    fake.rotate_signing_key();
    device.fetch().await.unwrap();
    assert_eq!(keys_fetched(), 2, "a new key id: the keys once more");
    device.fetch().await.unwrap();
    assert_eq!(keys_fetched(), 2);

    // Tokens naming keys plex.tv does not publish: one more fetch at most, however many come.
    let keys = plex_auth::PlexKeys::new(&plex_of_fake(&servers));
    let client_identifier = plex_identity().client_identifier;
    let good = fake.sign_plex_jwt(&client_identifier, "any-device");
    keys.verify(&good, &client_identifier).await.unwrap();
    let before = keys_fetched();
    fake.rotate_signing_key();
    for _ in 0..20 {
        let rotated = fake.sign_plex_jwt(&client_identifier, "any-device");
        let _ = keys.verify(&rotated, &client_identifier).await;
        fake.rotate_signing_key();
    }
    assert_eq!(keys_fetched(), before + 1, "refetches are spaced");
}

#[tokio::test]
async fn a_pin_with_the_device_key_logs_in_to_a_jwt_with_no_legacy_token() {
    let config = PlexConfig {
        pin_approved_after_polls: Some(3),
        ..plex_config_without_2fa()
    };
    let (fake, servers, client, key, login) = device_pin(config, false).await;
    assert_eq!(login.code().len(), 4);
    let plex_auth::PinOutcome::LoggedIn(logged_in) = login.wait().await.unwrap() else {
        panic!("the fake links the PIN on the third poll");
    };
    // The linked PIN carries a Plex JWT, verified and issued to this key.
    let token = logged_in.account.auth_token.clone();
    let claims = plex_auth::PlexKeys::new(&client)
        .verify_for(&token, &key)
        .await
        .unwrap();
    assert_eq!(claims.thumbprint, key.key_id());
    let nonces = requests_to(&servers, "/api/v2/auth/nonce");
    assert_eq!(nonces, 1, "three polls, one device JWT");
    // The key was registered with the PIN: from now on tokens come from the key alone.
    let device = client.with_token_provider(JwtDevice::new(&client, key));
    device.authentication().get_token_details().await.unwrap();
    assert_eq!(fake.jwt_exchanges(), 1);
}

#[tokio::test]
async fn a_device_pin_whose_jwt_does_not_verify_is_an_error_not_a_login() {
    let config = PlexConfig {
        pin_approved_after_polls: Some(1),
        plex_jwt_fault: Some(plex_auth::testing::PlexJwtFault::BadSignature),
        ..plex_config_without_2fa()
    };
    let (_fake, _servers, _client, _key, login) = device_pin(config, true).await;
    assert!(login.code().len() > 4, "a strong code");
    let error = login.wait().await.unwrap_err();
    assert!(
        matches!(
            error,
            plex_auth::PinWaitError::Verify(plex_auth::JwtVerifyError::Signature)
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_failing_key_endpoint_is_not_asked_again_for_every_token() {
    let server = httpmock::MockServer::start_async().await;
    let keys = server
        .mock_async(|when, then| {
            when.method(httpmock::Method::GET).path("/api/v2/auth/keys");
            then.status(503).body("unavailable");
        })
        .await;
    let (fake, _servers) = PlexFake::start(plex_config_without_2fa()).await.unwrap();
    let client = workspace_tests::plex(&server.base_url(), auth_core::Credentials::None)
        .with_retry(plex_auth::RetryPolicy::disabled());
    let verifier = plex_auth::PlexKeys::new(&client);
    let client_identifier = plex_identity().client_identifier;
    let token = fake.sign_plex_jwt(&client_identifier, "a-device");
    let first = verifier
        .verify(&token, &client_identifier)
        .await
        .unwrap_err();
    assert!(
        matches!(first, plex_auth::JwtVerifyError::Keys(_)),
        "{first:?}"
    );
    for _ in 0..20 {
        let again = verifier
            .verify(&token, &client_identifier)
            .await
            .unwrap_err();
        assert!(
            matches!(again, plex_auth::JwtVerifyError::KeysUnavailable),
            "{again:?}"
        );
    }
    keys.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_device_pin_with_another_installations_key_is_refused_before_any_request() {
    let (_fake, servers) = PlexFake::start(plex_config_without_2fa()).await.unwrap();
    let key = DeviceKey::generate("another-installation").unwrap();
    let error =
        plex_auth::PinLogin::start_with_key(&plex_of_fake(&servers), &plex_identity(), &key, false)
            .await
            .unwrap_err();
    assert!(
        matches!(
            error.kind(),
            plex_auth::ApiErrorKind::Other(plex_auth::Error::InvalidRequest(_))
        ),
        "{error:?}"
    );
    assert!(servers.plex_tv.requests().is_empty());
}

#[tokio::test(start_paused = true)]
async fn plex_keys_a_day_old_are_fetched_again() {
    let (fake, servers) = PlexFake::start(plex_config_without_2fa()).await.unwrap();
    let keys_fetched = || requests_to(&servers, "/api/v2/auth/keys");
    let verifier = plex_auth::PlexKeys::new(&plex_of_fake(&servers));
    let client_identifier = plex_identity().client_identifier;
    let token = fake.sign_plex_jwt(&client_identifier, "a-device");
    verifier.verify(&token, &client_identifier).await.unwrap();
    tokio::time::advance(Duration::from_secs(23 * 3600)).await;
    verifier.verify(&token, &client_identifier).await.unwrap();
    assert_eq!(keys_fetched(), 1, "cached within the day");
    tokio::time::advance(Duration::from_secs(2 * 3600)).await;
    verifier.verify(&token, &client_identifier).await.unwrap();
    assert_eq!(keys_fetched(), 2, "fetched again after a day");
}
