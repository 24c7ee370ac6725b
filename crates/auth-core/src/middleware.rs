//! The `middleware` feature: [`TokenMiddleware`], a `reqwest-middleware` middleware that puts a
//! vendor client's token on requests to that vendor's origins (and on no others), refreshed by
//! the client's token source, sends them through the vendor client's own transport (whose
//! redirects never leave the origin), and sends a request once more after a 401.

use std::fmt;
use std::sync::Arc;

use http::Extensions;
use reqwest::{Request, Response, StatusCode};
use reqwest_middleware::{Middleware, Next};
use url::{Origin, Url};

use crate::authorized::Api;
use crate::client::Client;
use crate::credentials::Credentials;
use crate::error::Error;
use crate::request::Security;
use crate::token::Token;

/// A [`reqwest_middleware::Middleware`] that authorizes requests to one vendor with a vendor
/// client's credentials: made by the vendor clients' `token_middleware()`.
///
/// - Only requests to the vendor's origins (scheme, host and port of the client's servers, as
///   configured) get the token; requests to any other origin pass on down the stack untouched.
/// - A request it authorizes is sent by the vendor client's own connection pool, not by the
///   stack's inner `reqwest::Client`: that client's redirect policy (reqwest's default follows
///   any redirect, and keeps headers such as `X-Plex-Token` on the way) is not ours to trust
///   with a credential. The vendor client follows redirects within the origin only; one to
///   another origin comes back as the 3xx it is. So add this middleware last: middlewares
///   added after it do not see the vendor's requests.
/// - The token comes from the client's token source, refreshed before it expires, one refresh
///   for all concurrent requests; the wait is bounded by the client's total timeout.
/// - After a 401 the token is refreshed and the request sent once more, when its body can be
///   cloned (a streamed body cannot be sent twice); concurrent 401s cause one refresh.
///
/// Retries, timeouts and body limits stay the business of the `reqwest-middleware` stack it is
/// added to.
pub struct TokenMiddleware {
    client: Client,
    api: &'static Api,
    origins: Vec<Origin>,
}

impl fmt::Debug for TokenMiddleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenMiddleware")
            .field("api", &self.api.name)
            .field(
                "origins",
                &self
                    .origins
                    .iter()
                    .map(Origin::ascii_serialization)
                    .collect::<Vec<_>>(),
            )
            .field("credentials", self.client.credentials())
            .finish()
    }
}

impl TokenMiddleware {
    /// The middleware of `client` for `api`: the origins of the API's servers as `client`
    /// sends to them (a server without a URL, such as a template that is not configured, adds
    /// none).
    pub(crate) fn new(client: &Client, api: &'static Api) -> Self {
        let mut origins: Vec<Origin> = Vec::new();
        for server in api.servers {
            let Ok(base) = client.base_url(server) else {
                continue;
            };
            if let Ok(url) = Url::parse(base) {
                let origin = url.origin();
                if origin.is_tuple() && !origins.contains(&origin) {
                    origins.push(origin);
                }
            }
        }
        Self {
            client: client.clone(),
            api,
            origins,
        }
    }

    /// Whether requests to `url` get the token.
    pub fn covers(&self, url: &Url) -> bool {
        self.origins.contains(&url.origin())
    }

    /// The token to send now (for a token source), or `None` for fixed credentials.
    async fn token(&self) -> Result<Option<Arc<Token>>, Error> {
        match self.client.credentials() {
            Credentials::BearerSource(source) | Credentials::ApiKeySource(source) => source
                .token_until(self.client.call_deadline())
                .await
                .map(Some),
            _ => Ok(None),
        }
    }

    /// Puts the credentials on `request` as the first of the API's schemes they fit.
    fn authorize(&self, request: &mut Request, token: Option<&Token>) -> Result<(), Error> {
        for scheme in self.api.security {
            if let Some((name, value)) =
                self.client
                    .credentials()
                    .header(scheme, token, "token_middleware")?
            {
                request.headers_mut().insert(name, value);
                return Ok(());
            }
        }
        Err(Error::MissingCredentials {
            operation: "token_middleware",
            accepted: self
                .api
                .security
                .iter()
                .map(Security::to_string)
                .collect::<Vec<_>>()
                .join(" or "),
        })
    }
}

impl TokenMiddleware {
    /// Sends an authorized request through the vendor client's transport.
    async fn execute(&self, request: Request) -> reqwest_middleware::Result<Response> {
        self.client
            .shared
            .http
            .execute(request)
            .await
            .map_err(reqwest_middleware::Error::Reqwest)
    }
}

fn failed(error: Error) -> reqwest_middleware::Error {
    reqwest_middleware::Error::middleware(error)
}

#[async_trait::async_trait]
impl Middleware for TokenMiddleware {
    async fn handle(
        &self,
        mut request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        if !self.covers(request.url()) {
            return next.run(request, extensions).await;
        }
        let token = self.token().await.map_err(failed)?;
        self.authorize(&mut request, token.as_deref())
            .map_err(failed)?;
        let replay = token.as_ref().and_then(|_| request.try_clone());
        let response = self.execute(request).await?;
        let (
            Credentials::BearerSource(source) | Credentials::ApiKeySource(source),
            Some(rejected),
            Some(mut replay),
        ) = (self.client.credentials(), token, replay)
        else {
            return Ok(response);
        };
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        // The server did not act on a request it answered 401: refresh the token (one refresh
        // for every request that met the same 401) and send the request once more.
        source.invalidate(&rejected);
        let fresh = source
            .token_until(self.client.call_deadline())
            .await
            .map_err(failed)?;
        self.authorize(&mut replay, Some(&fresh)).map_err(failed)?;
        self.execute(replay).await
    }
}
