//! Property tests, with a bounded number of cases so that they run in CI:
//! - no response or error decoder panics, whatever the bytes or the JSON;
//! - no path parameter changes the number of path segments or adds a query or fragment.

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::Value;
use url::Url;

fn config() -> Config {
    Config {
        cases: 512,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Field names of the models, so that generated JSON reaches past the first field.
const KEYS: &[&str] = &[
    "auth_token",
    "refresh_token",
    "mfa_token",
    "id",
    "status",
    "type",
    "description",
    "secret_key",
    "error_code",
    "error_token",
    "message",
    "errors",
    "error",
    "code",
    "access_token",
    "token_type",
    "expires_in",
    "oob_code",
    "binding_method",
    "challenge_type",
    "MediaContainer",
    "token",
    "Device",
    "Connection",
    "uri",
    "port",
    "authToken",
    "profile",
    "services",
    "subscription",
    "autoSelectSubtitle",
    "mailingListStatus",
    "pastSubscriptions",
    "trials",
    "billing",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..8).prop_map(|pairs| {
                Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn decoders_never_panic_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        workspace_tests::decode_every_response(&bytes);
    }

    #[test]
    fn decoders_never_panic_on_arbitrary_json(value in json_value()) {
        workspace_tests::decode_every_response(value.to_string().as_bytes());
    }

    #[test]
    fn a_path_parameter_stays_one_segment(value in prop_oneof![
        ".*",
        "[/?#%. a-z\\u{e9}\\u{1F600}]{0,8}",
        Just("..".to_owned()),
        Just(".".to_owned()),
        Just(String::new()),
    ]) {
        match auth_core::encode_path(&value) {
            Ok(segment) => {
                let url = Url::parse(&format!("http://127.0.0.1:1/base/{segment}/tail")).unwrap();
                let segments: Vec<&str> = url.path_segments().unwrap().collect();
                prop_assert_eq!(segments.len(), 3, "{:?} → {}", value, url);
                prop_assert_eq!(url.query(), None);
                prop_assert_eq!(url.fragment(), None);
                let decoded = percent_encoding::percent_decode_str(segments[1]).decode_utf8().unwrap();
                prop_assert_eq!(decoded, value);
            }
            Err(_) => prop_assert!(matches!(value.as_str(), "" | "." | "..")),
        }
    }
}
