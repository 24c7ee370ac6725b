//! The smoke test `cargo xtask new-vendor` writes into a new crate (`tests/smoke.rs`): one
//! operation of the spec called against a local httpmock server, so that the crate's
//! `cargo test` proves from the start that a request reaches the server its client names, with
//! its method, path and credentials, and that the answer comes back as a typed error.
//!
//! The file is written once and then belongs to the crate's authors; it is not regenerated.

use super::emit::ident_text;
use super::ir::{Api, Operation, ParamLocation, Security, Ty};

/// The operation chosen for the smoke test, ready to be written for a crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmokeTest {
    /// `client.<group>().<method>(<args>)`, without the receiver.
    call: String,
    /// `GET /things/{id}`, for the test's name and docs.
    label: String,
    /// The operation's method name (the test's name).
    name: String,
    /// httpmock's method constant.
    method: String,
    /// The path the request must reach (path parameters filled with the test's values).
    path: String,
    /// The `Server` variant the operation is sent to.
    server: String,
    /// The credentials the client is built with, as an expression of `Credentials`.
    credentials: &'static str,
    /// The mock's matchers beyond method and path.
    matchers: Vec<Matcher>,
}

/// A matcher of the mock beyond method and path: httpmock's method (`header`, `query_param`),
/// the name and the value.
type Matcher = (&'static str, String, String);

/// What the test answers: a status no spec documents, so that every operation reads it as an
/// error with that status, whatever its documented responses are.
const STATUS: u16 = 418;

impl SmokeTest {
    /// The first operation (in the order of the generated code) whose every argument the test
    /// can write, preferring ones without security; `None` for a spec without one.
    pub(super) fn choose(api: &Api) -> Option<SmokeTest> {
        let operations = api.groups.iter().flat_map(|group| {
            group
                .operations
                .iter()
                .map(move |operation| (group.accessor.as_str(), operation))
        });
        let mut best: Option<(u8, SmokeTest)> = None;
        for (accessor, operation) in operations {
            let Some((rank, test)) = Self::of(accessor, operation) else {
                continue;
            };
            if best.as_ref().is_none_or(|(best, _)| rank < *best) {
                best = Some((rank, test));
            }
        }
        best.map(|(_, test)| test)
    }

    /// The test of `operation`, ranked (0 best), if the test can write all its arguments.
    fn of(accessor: &str, operation: &Operation) -> Option<(u8, SmokeTest)> {
        let (rank, credentials, mut matchers) = credentials(&operation.security)?;
        let mut args = Vec::new();
        let mut path = operation.path.clone();
        for param in &operation.params {
            if !param.required {
                args.push("None".to_owned());
                continue;
            }
            let (arg, text) = match &param.ty {
                Ty::String => ("\"smoke\"", "smoke"),
                Ty::I32 | Ty::I64 => ("1", "1"),
                Ty::Bool => ("true", "true"),
                _ => return None,
            };
            args.push(arg.to_owned());
            match param.location {
                ParamLocation::Path => path = path.replace(&format!("{{{}}}", param.wire), text),
                ParamLocation::Query => {
                    matchers.push(("query_param", param.wire.clone(), text.to_owned()))
                }
                ParamLocation::Header => {
                    matchers.push(("header", param.wire.to_ascii_lowercase(), text.to_owned()))
                }
                ParamLocation::Cookie => return None,
            }
        }
        match &operation.body {
            Some(body) if body.required => return None,
            Some(_) => args.push("None".to_owned()),
            None => {}
        }
        // A path the mock must match exactly: no template left, nothing to encode.
        if path.contains(['{', '}', '?', '#', '%', ' ', '"', '\\']) {
            return None;
        }
        let call = format!(
            "{}().{}({})",
            ident_text(accessor),
            ident_text(&operation.name),
            args.join(", ")
        );
        Some((
            rank,
            SmokeTest {
                call,
                label: format!("{} {}", operation.method, operation.path),
                name: operation.name.clone(),
                method: operation.method.clone(),
                path,
                server: ident_text(&operation.server),
                credentials,
                matchers,
            },
        ))
    }

    /// The text of `tests/smoke.rs` for the crate whose library is `crate_module`.
    pub fn render(&self, crate_module: &str) -> String {
        let mut matchers = String::new();
        for (matcher, name, value) in &self.matchers {
            matchers.push_str(&format!(
                "\n                .{matcher}({name:?}, {value:?})"
            ));
        }
        format!(
            r#"//! A smoke test written by `cargo xtask new-vendor`: `{label}` against a local mock server.
//! The request reaches the server the client is given, with its method, path and credentials,
//! and an answer the spec does not document comes back as an error with its status. Yours to
//! change: it is not regenerated.

use {crate_module}::{{Client, Credentials, ErrorMetadata, RetryPolicy, Server}};
use httpmock::prelude::*;

#[tokio::test]
async fn {name}_reaches_the_server() {{
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {{
            when.method({method})
                .path({path:?}){matchers};
            then.status({STATUS});
        }})
        .await;
    let client = Client::builder()
        .server_url(Server::{server}, server.base_url())
        .credentials({credentials})
        .retry(RetryPolicy::disabled())
        .build()
        .expect("a local base URL is valid");

    let error = client
        .{call}
        .await
        .expect_err("the mock answers {STATUS}");

    mock.assert_async().await;
    assert_eq!(error.status().map(|status| status.as_u16()), Some({STATUS}), "{{error}}");
}}
"#,
            label = self.label,
            name = self.name.trim_start_matches("r#"),
            method = self.method,
            path = self.path,
            server = self.server,
            credentials = self.credentials,
            call = self.call,
        )
    }
}

/// The credentials a test gives an operation with these security requirements (any one of
/// them), with the operation's rank (no security first) and what the mock checks; `None` when
/// the test cannot satisfy any.
fn credentials(security: &[Security]) -> Option<(u8, &'static str, Vec<Matcher>)> {
    if security.is_empty() || security.contains(&Security::Anonymous) {
        return Some((0, "Credentials::None", Vec::new()));
    }
    security.iter().find_map(|scheme| match scheme {
        Security::Bearer => Some((
            1,
            "Credentials::bearer(\"smoke-token\")",
            vec![(
                "header",
                "authorization".to_owned(),
                "Bearer smoke-token".to_owned(),
            )],
        )),
        Security::ApiKeyHeader(name) => Some((
            1,
            "Credentials::api_key(\"smoke-key\")",
            vec![("header", name.to_ascii_lowercase(), "smoke-key".to_owned())],
        )),
        Security::ApiKeyQuery(name) => Some((
            1,
            "Credentials::api_key(\"smoke-key\")",
            vec![("query_param", name.clone(), "smoke-key".to_owned())],
        )),
        _ => None,
    })
}
