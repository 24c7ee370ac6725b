//! Canary tests: secrets never reach `Debug`, `Display` or error messages
//! (`tracing` output is checked in `trace_spans.rs`, alone in its process).
//!
//! Every model of every spec is filled from its schema, with a canary in each secret field
//! (`format: password`) and plain text elsewhere; every client configuration holds canary
//! credentials; every kind of error is produced from responses that carry canaries. None of the
//! printed forms may contain a canary.

use std::collections::BTreeSet;

use auth_core::{Credentials, Token, TokenSource};
use httpmock::prelude::*;
use openapiv3::{
    OpenAPI, ReferenceOr, Schema, SchemaKind, StringFormat, Type, VariantOrUnknownOrEmpty,
};
use serde_json::{Map, Value, json};
use workspace_tests::canary::{CANARY, assert_clean};

/// The field and header names the issue lists as secrets; each must be `format: password`.
const SECRET_NAMES: &[&str] = &[
    "password",
    "application_token",
    "auth_token",
    "refresh_token",
    "mfa_token",
    "secret_key",
    "otpauth",
    "access_token",
    "client_secret",
    "oob_code",
    "binding_code",
    "authToken",
];

fn spec(vendor: &str) -> OpenAPI {
    let path = format!("{}/../openapi/{vendor}.yaml", env!("CARGO_MANIFEST_DIR"));
    serde_yaml_ng::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn component<'a>(spec: &'a OpenAPI, reference: &str) -> &'a Schema {
    let key = reference.trim_start_matches("#/components/schemas/");
    spec.components.as_ref().unwrap().schemas[key]
        .as_item()
        .unwrap()
}

/// A JSON value for `schema`: canaries in secret strings, plain values elsewhere, every
/// property present.
fn sample(spec: &OpenAPI, schema: &Schema) -> Value {
    let resolve = |r: &ReferenceOr<Schema>| match r {
        ReferenceOr::Reference { reference } => sample(spec, component(spec, reference)),
        ReferenceOr::Item(schema) => sample(spec, schema),
    };
    let resolve_boxed = |r: &ReferenceOr<Box<Schema>>| match r {
        ReferenceOr::Reference { reference } => sample(spec, component(spec, reference)),
        ReferenceOr::Item(schema) => sample(spec, schema),
    };
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) => match (s.enumeration.first(), &s.format) {
            (Some(Some(value)), _) => json!(value),
            (_, VariantOrUnknownOrEmpty::Item(StringFormat::Password)) => json!(CANARY),
            _ => json!("visible text"),
        },
        SchemaKind::Type(Type::Integer(i)) => {
            json!(i.enumeration.first().copied().flatten().unwrap_or(1))
        }
        SchemaKind::Type(Type::Number(_)) => json!(1.5),
        SchemaKind::Type(Type::Boolean(_)) => json!(true),
        SchemaKind::Type(Type::Array(a)) => json!([resolve_boxed(a.items.as_ref().unwrap())]),
        SchemaKind::Type(Type::Object(o)) => Value::Object(
            o.properties
                .iter()
                .map(|(name, schema)| (name.clone(), resolve_boxed(schema)))
                .collect::<Map<_, _>>(),
        ),
        SchemaKind::AllOf { all_of } => {
            let mut merged = Map::new();
            for member in all_of {
                if let Value::Object(fields) = resolve(member) {
                    merged.extend(fields);
                }
            }
            Value::Object(merged)
        }
        SchemaKind::OneOf { one_of } => resolve(&one_of[0]),
        other => panic!("no sample for {other:?}"),
    }
}

/// Every property named in `SECRET_NAMES` anywhere in the spec.
fn secret_properties_are_passwords(vendor: &str, spec: &OpenAPI) {
    fn walk(vendor: &str, name: &str, schema: &Schema) {
        if let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind {
            for (property, schema) in &object.properties {
                let ReferenceOr::Item(schema) = schema else {
                    continue;
                };
                if SECRET_NAMES.contains(&property.as_str()) {
                    assert!(
                        matches!(
                            &schema.schema_kind,
                            SchemaKind::Type(Type::String(s)) if s.format == VariantOrUnknownOrEmpty::Item(StringFormat::Password)
                        ),
                        "{vendor}: {name}.{property} is a secret but not format: password"
                    );
                }
            }
        }
        if let SchemaKind::AllOf { all_of } = &schema.schema_kind {
            for member in all_of {
                if let ReferenceOr::Item(member) = member {
                    walk(vendor, name, member);
                }
            }
        }
    }
    for (name, schema) in &spec.components.as_ref().unwrap().schemas {
        walk(vendor, name, schema.as_item().unwrap());
    }
}

type Printer = fn(Value) -> Result<String, String>;

macro_rules! printers {
    ($module:path; $($name:ident),* $(,)?) => {{
        use $module as models;
        let table: Vec<(&str, Printer)> = vec![$(
            (stringify!($name), |value| {
                serde_json::from_value::<models::$name>(value)
                    .map(|model| format!("{model:?}"))
                    .map_err(|error| error.to_string())
            }),
        )*];
        table
    }};
}

fn check_models(vendor: &str, table: Vec<(&str, Printer)>) {
    let spec = spec(vendor);
    secret_properties_are_passwords(vendor, &spec);
    let schemas = &spec.components.as_ref().unwrap().schemas;
    let listed: BTreeSet<&str> = table.iter().map(|(name, _)| *name).collect();
    let titles: BTreeSet<String> = schemas
        .values()
        .map(|s| s.as_item().unwrap().schema_data.title.clone().unwrap())
        .collect();
    let titles: BTreeSet<&str> = titles.iter().map(String::as_str).collect();
    assert_eq!(
        listed, titles,
        "{vendor}: the canary table must list every model"
    );
    let mut canaries = 0;
    for schema in schemas.values() {
        let schema = schema.as_item().unwrap();
        let title = schema.schema_data.title.as_deref().unwrap();
        let value = sample(&spec, schema);
        canaries += value.to_string().matches(CANARY).count();
        let print = table.iter().find(|(name, _)| *name == title).unwrap().1;
        let printed = print(value).unwrap_or_else(|e| panic!("{vendor} {title}: {e}"));
        assert_clean(&format!("{vendor} {title} Debug"), &printed);
    }
    assert!(canaries > 0, "{vendor}: the samples carry canaries");
}

#[test]
fn emnify_models_redact_secrets() {
    check_models(
        "emnify",
        printers!(emnify_auth::models;
            Authentication, ApplicationTokenAuthentication, UserAuthentication,
            RefreshTokenAuthentication, MfaCodeAuthentication, AuthenticationResponse,
            AuthenticationTokens, MfaRequired, IdRef, CreateMfaKeyRequest, CreateMfaKeyResponse,
            ActivateMfaKeyRequest, MfaKeyStatus, MfaKeyType, TrustedDevice, ErrorMessage, ErrorResponse, ErrorDetail,
            ApplicationTokenDetails, ApplicationTokenStatus, ApplicationTokenCreator,
            CreateApplicationTokenRequest, CreatedApplicationToken, UpdateApplicationTokenRequest,
        ),
    );
}

#[test]
fn dintero_models_redact_secrets() {
    check_models(
        "dintero",
        printers!(dintero_auth::models;
            ChallengeType, OobChannel, BindingMethod, Challenge, AuthChallenge, MfaRecovery,
            ChallengeResponse, RecoveryChallengeResponse, AuthToken, AccountUserTokenGrant, AuthorizationCodeGrant, IdentType,
            ClientCredentialsGrant, MfaOobGrant, PasswordGrant, RefreshTokenGrant, ExchangeToken, RevokeToken, AccessToken, TokenType, ErrorResponse,
            ErrorDetail,
        ),
    );
}

#[test]
fn plex_models_redact_secrets() {
    check_models(
        "plex",
        printers!(plex_auth::models;
            ErrorResponse, ErrorDetail, TransientTokenType, TransientTokenScope, TransientToken,
            TransientTokenContainer, SourceConnectionInformation, SourceContainer, SourceDevice,
            SourceConnection, SignInRequest, MailingListStatus, ServiceStatus, SubscriptionStatus,
            PastSubscriptionState, AutoSelectSubtitleMode, SubtitleAccessibilityMode,
            SubtitleForcedMode, Toggle, UserProfile, Service, Subscription, UserPlexAccount,
            PastSubscription, Billing, Pin, Resource, ResourceConnection,
            Jwk, RegisterJwkRequest, Nonce, ExchangeJwtRequest, PlexJwtToken, JwkSet, Home, HomeUser,
            HomeUserAccount, PinRequest,
        ),
    );
}

#[test]
fn client_configurations_redact_credentials() {
    let source = TokenSource::new(|| -> auth_core::FetchFuture<'static> {
        Box::pin(async { Ok(Token::new(CANARY)) })
    });
    source.seed(Token::new(CANARY));
    let all = [
        Credentials::bearer(CANARY),
        Credentials::api_key(CANARY),
        Credentials::basic("client-id", CANARY),
        Credentials::BearerSource(source.clone()),
    ];
    for credentials in all {
        assert_clean("Credentials", &format!("{credentials:?}"));
        let builder = auth_core::Client::builder()
            .credentials(credentials)
            .header("X-Plex-Token", CANARY);
        assert_clean("ClientBuilder", &format!("{builder:?}"));
        let client = builder.build().unwrap();
        assert_clean("Client", &format!("{client:?}"));
        let emnify = emnify_auth::Client::from(client.clone());
        assert_clean("emnify Client", &format!("{emnify:?}"));
    }
    assert_clean("TokenSource", &format!("{source:?}"));
    assert_clean("Token", &format!("{:?}", Token::from_jwt(CANARY)));
    let base = emnify_auth::Client::new(Credentials::None).unwrap();
    let login = emnify_auth::PasswordLogin::new(&base, "user", CANARY).trust_device(CANARY);
    assert_clean("PasswordLogin", &format!("{login:?}"));
    assert_clean(
        "ApplicationToken",
        &format!("{:?}", emnify_auth::ApplicationToken::new(&base, CANARY)),
    );
    assert_clean(
        "RefreshToken",
        &format!("{:?}", emnify_auth::RefreshToken::new(&base, CANARY)),
    );
    let dintero = dintero_auth::Client::new(Credentials::None).unwrap();
    let credentials = dintero_auth::ClientCredentials::new(&dintero, "T1", "id", CANARY, "aud");
    assert_clean("ClientCredentials", &format!("{credentials:?}"));
}

#[tokio::test]
async fn errors_never_print_secrets() {
    let server = MockServer::start_async().await;
    // A 403 whose documented body carries a secret.
    server
        .mock_async(|when, then| {
            when.method(POST).path("/accounts/T1/auth/token");
            then.status(403).json_body(
                json!({"error": {"code": "mfa_required", "message": "m", "mfa_token": CANARY}}),
            );
        })
        .await;
    // An undocumented status whose body echoes a secret.
    server
        .mock_async(|when, then| {
            when.method(POST).path("/accounts/T1/auth/mfa/challenge");
            then.status(418).body(format!("{{\"echo\": \"{CANARY}\"}}"));
        })
        .await;
    // A success body that does not decode, a secret in the wrong place.
    server
        .mock_async(|when, then| {
            when.method(POST).path("/accounts/T1/auth/mfa/recovery");
            then.status(200).json_body(
                json!({"challenge_type": 7, "oob_code": CANARY, "binding_method": [CANARY]}),
            );
        })
        .await;
    let client = workspace_tests::dintero(&server.base_url(), Credentials::bearer(CANARY));
    let mut printed = Vec::new();

    let grant = dintero_auth::models::RefreshTokenGrant::new(CANARY).into();
    let error = client
        .authentication()
        .aid_auths_oauth_token_post("T1", &grant)
        .await
        .unwrap_err();
    printed.push(format!("{error:?} {error}"));

    let challenge = dintero_auth::models::AuthChallenge::new(CANARY);
    let error = client
        .challenge()
        .aid_auth_mfa_challenge_post("T1", &challenge)
        .await
        .unwrap_err();
    printed.push(format!("{error:?} {error}"));

    let recovery = dintero_auth::models::MfaRecovery::new("u", "a");
    let error = client
        .challenge()
        .aid_auth_mfa_recovery_post("T1", &recovery)
        .await
        .unwrap_err();
    assert!(matches!(
        error.kind(),
        auth_core::ApiErrorKind::Other(auth_core::Error::Decode { .. })
    ));
    printed.push(format!("{error:?} {error}"));

    // Errors raised before sending: a header value that is not allowed, missing credentials.
    let identity = plex_auth::ClientIdentity::new(format!("{CANARY}\n"));
    let core = identity.builder().build();
    printed.push(format!("{:?}", core.as_ref().err()));
    let plex = workspace_tests::plex_identity().builder().build().unwrap();
    let error = plex.authentication().get_token_details().await.unwrap_err();
    printed.push(format!("{error:?} {error}"));

    // A token that cannot be refreshed.
    let failing = TokenSource::new(|| -> auth_core::FetchFuture<'static> {
        Box::pin(async {
            Err(auth_core::TokenError::new(
                auth_core::TokenErrorKind::Rejected,
                "refresh refused",
            ))
        })
    });
    let refreshing = client.with_credentials(Credentials::BearerSource(failing));
    let error = refreshing
        .challenge()
        .aid_auth_mfa_challenge_post("T1", &challenge)
        .await
        .unwrap_err();
    printed.push(format!("{error:?} {error}"));

    for text in printed {
        assert_clean("error", &text);
    }
}

/// Every `auth_core::Error` variant and every configuration-carrying type, made from inputs and
/// answers that carry the canary where vendors really echo secrets: in secret-named fields, in
/// prose, as JWTs, in URLs. None of `Display` and `Debug` may show it.
#[tokio::test]
async fn nothing_secret_in_any_output_every_error_variant_and_configuration() {
    use auth_core::{Error, TimeoutKind, TokenPolicy};

    let mut printed: Vec<(String, String)> = Vec::new();
    let mut print = |what: &str, text: String| printed.push((what.to_owned(), text));

    // Configuration: URLs with user-info and a query, header values, policies.
    let url = format!("https://user:{CANARY}@api.example.com/v1?key={CANARY}");
    let builder = auth_core::Client::builder()
        .server_url(emnify_auth::Server::Api, url.clone())
        .credentials(Credentials::basic("id", CANARY))
        .header("x-api-key", CANARY)
        .token_policy(TokenPolicy::default());
    print("ClientBuilder", format!("{builder:?}"));
    let error = builder.build().unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error:?}");
    print("Config error", format!("{error:?} {error}"));
    let client = auth_core::Client::builder().build().unwrap();
    let error = client
        .with_server_url(emnify_auth::Server::Api, &url)
        .unwrap_err();
    print("Config error", format!("{error:?} {error}"));

    let server = MockServer::start_async().await;
    // A login whose password the vendor echoes in prose (the client holds no credential).
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/authenticate")
                .json_body_includes(json!({"username": "echo-404"}).to_string());
            then.status(404).json_body(
                json!({"error_code": 1, "error_token": "NotFound", "message": format!("no user with password {CANARY}")}),
            );
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/authenticate")
                .json_body_includes(json!({"username": "echo-500"}).to_string());
            then.status(500).body(format!(
                "<p>login failed: password={CANARY}; token eyJhbGciOi.{CANARY}.sig</p>"
            ));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/authenticate")
                .json_body_includes(json!({"username": "echo-200"}).to_string());
            then.status(200)
                .body(format!("{{\"unexpected\": \"{CANARY}\"}}"));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/authenticate")
                .json_body_includes(json!({"username": "echo-huge"}).to_string());
            then.status(500)
                .body(format!("{CANARY} {}", "x".repeat(64 * 1024)));
        })
        .await;
    let emnify = workspace_tests::emnify(&server.base_url(), Credentials::None);
    for (user, limit) in [
        ("echo-404", None),
        ("echo-500", None),
        ("echo-200", None),
        ("echo-huge", Some(1024)),
    ] {
        let client = match limit {
            Some(limit) => emnify_auth::Client::builder()
                .server_url(emnify_auth::Server::Api, server.base_url())
                .max_body_bytes(limit)
                .build()
                .unwrap(),
            None => emnify.clone(),
        };
        let body = emnify_auth::models::UserAuthentication::new(user, CANARY).into();
        let error = client
            .authentication()
            .authenticate(&body)
            .await
            .unwrap_err();
        print(user, format!("{error:?} {error}"));
    }

    // Credentials and header values that cannot be sent.
    let bad = workspace_tests::emnify(
        &server.base_url(),
        Credentials::bearer(format!("{CANARY}\n")),
    );
    let error = bad.authentication().user_mfa_type_get().await.unwrap_err();
    print("InvalidCredentials", format!("{error:?} {error}"));
    let missing = workspace_tests::emnify(&server.base_url(), Credentials::None);
    let error = missing
        .authentication()
        .user_mfa_type_get()
        .await
        .unwrap_err();
    print("MissingCredentials", format!("{error:?} {error}"));

    // A connection refused, a missing server URL.
    let refused = workspace_tests::emnify("http://127.0.0.1:9", Credentials::bearer(CANARY));
    let error = refused
        .with_retry(auth_core::RetryPolicy::disabled())
        .authentication()
        .user_mfa_type_get()
        .await
        .unwrap_err();
    print("Transport", format!("{error:?} {error}"));
    let plex = workspace_tests::plex_identity()
        .builder()
        .credentials(Credentials::api_key(CANARY))
        .build()
        .unwrap();
    let error = plex
        .authentication()
        .get_transient_token(
            plex_auth::models::TransientTokenType::Delegation,
            plex_auth::models::TransientTokenScope::All,
        )
        .await
        .unwrap_err();
    print("MissingServerUrl", format!("{error:?} {error}"));
    let confined = emnify_auth::Client::builder()
        .credentials(Credentials::bearer(CANARY))
        .only_hosts(["127.0.0.1"])
        .build()
        .unwrap();
    let error = confined
        .authentication()
        .user_mfa_type_get()
        .await
        .unwrap_err();
    print("HostNotAllowed", format!("{error:?} {error}"));

    // Token refresh failures: an echoed secret inside the shared cause, and both timeouts.
    let echoing = TokenSource::new(|| -> auth_core::FetchFuture<'static> {
        Box::pin(async {
            let cause = std::io::Error::other("refused");
            Err(auth_core::TokenError::new(
                auth_core::TokenErrorKind::Unavailable,
                cause,
            ))
        })
    });
    let error = emnify
        .with_credentials(Credentials::BearerSource(echoing))
        .authentication()
        .user_mfa_type_get()
        .await
        .unwrap_err();
    print("TokenRefresh", format!("{error:?} {error}"));
    for kind in [TimeoutKind::Token, TimeoutKind::TokenRequest] {
        let error = Error::TokenRefresh(auth_core::TokenError::new(
            auth_core::TokenErrorKind::TimedOut,
            Error::Timeout(kind),
        ));
        print("Timeout", format!("{error:?} {error}"));
    }

    for (what, text) in printed {
        assert_clean(what.as_str(), &text);
    }
}

#[tokio::test]
async fn a_decode_error_names_the_field_and_the_type_but_never_the_value() {
    let server = MockServer::start_async().await;
    // A numeric token where a string belongs: serde's own message would print the number.
    server
        .mock_async(|when, then| {
            when.method(POST).path("/accounts/T1/auth/mfa/recovery");
            then.status(200)
                .json_body(json!({"challenge_type": "oob", "oob_code": 987_654_321_987_u64}));
        })
        .await;
    let client = workspace_tests::dintero(&server.base_url(), Credentials::bearer("b"));
    let recovery = dintero_auth::models::MfaRecovery::new("u", "a");
    let error = client
        .challenge()
        .aid_auth_mfa_recovery_post("T1", &recovery)
        .await
        .unwrap_err();
    let auth_core::ApiErrorKind::Other(auth_core::Error::Decode { path, message, .. }) =
        error.kind()
    else {
        panic!("{error:?}");
    };
    assert_eq!(path, "oob_code");
    assert!(message.contains("expected a string"), "{message}");
    for shown in [format!("{error}"), format!("{error:?}"), message.clone()] {
        assert!(!shown.contains("987654321987"), "{shown}");
    }
}
