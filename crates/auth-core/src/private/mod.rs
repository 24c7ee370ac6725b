//! What the generated operations of the vendor crates are written against: requests, responses,
//! the send call (this file) and the helpers the generated code calls (`support`). It uses the
//! rest of the crate; nothing uses it.
//!
//! **No stability promise**: this module is for code that `cargo xtask codegen` writes, and may
//! change in any release. Use the vendor crates' operations instead.

pub use crate::authorized::Api;
pub use crate::transport::request::{Operation, OperationRequest, Security};
pub use crate::transport::response::Response;
pub use support::{concat, header_value, json_text, string_enum, tolerant, tolerant_items};

use std::future::Future;

mod support;

use crate::authorized::AuthorizedRequest;
use crate::error::Error;
use crate::error::{ApiError, ApiErrorKind};
use crate::transport::client::Client;

/// Sends `request` with `client`: its credentials, retries, timeouts and token refresh applied.
/// (The client's own future, not one wrapped around it: nothing is added per request.)
pub fn send(
    client: &Client,
    request: OperationRequest,
) -> impl Future<Output = Result<Response, Error>> + '_ {
    client.send(request)
}

/// The result of a call of `operation`, its error named after the operation.
pub fn finish<T, E>(
    operation: &'static Operation,
    result: Result<T, ApiErrorKind<E>>,
) -> Result<T, ApiError<E>> {
    result.map_err(|kind| ApiError::new(operation.api, operation.name, kind))
}

/// A request of `api` to any endpoint, at `path` on the server the spec writes as `server`.
pub fn request(
    client: &Client,
    api: &'static Api,
    server: &'static str,
    method: crate::Method,
    path: &str,
) -> AuthorizedRequest {
    AuthorizedRequest::new(client, api, server, method, path)
}

/// The `reqwest-middleware` middleware of `client` for `api` (feature `middleware`).
#[cfg(feature = "middleware")]
pub fn token_middleware(client: &Client, api: &'static Api) -> crate::TokenMiddleware {
    crate::authorized::middleware::TokenMiddleware::new(client, api)
}

/// `client` sending tokens from `provider` as the API key its operations' specs name (Plex's
/// `X-Plex-Token`), kept valid as bearer tokens from a provider are.
pub fn api_key_provider(client: &Client, provider: impl crate::TokenProvider + 'static) -> Client {
    client.with_credentials(crate::Credentials::ApiKeySource(
        crate::TokenSource::with_policy(provider, client.token_policy()),
    ))
}
