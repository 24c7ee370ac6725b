//! The `middleware` feature: [`TokenMiddleware`], a `reqwest-middleware` middleware that puts a
//! vendor client's token on requests to that vendor's origins (and on no others), refreshed by
//! the client's token source, sends them through the vendor client's own transport (whose
//! redirects never leave the origin), and sends a request once more after a 401.

use std::fmt;
use std::sync::Arc;

use http::Extensions;
use reqwest::header::COOKIE;
use reqwest::{Request, Response, StatusCode};
use reqwest_middleware::{Middleware, Next};
use url::{Origin, Url};

use crate::authorized::Api;
use crate::error::Error;
use crate::token::Token;
use crate::transport::client::Client;
use crate::transport::credentials::{Applied, cookie_header};

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
///
/// Needs the feature `middleware`.
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
        match self.source() {
            Some(source) => source
                .token_until(self.client.call_deadline())
                .await
                .map(Some),
            None => Ok(None),
        }
    }

    /// The token source the API's schemes take a token from, if the credentials have one.
    fn source(&self) -> Option<&crate::TokenSource> {
        self.client.credentials().source_for(self.api.security)
    }

    /// Puts the credentials on `request` as the first of the API's schemes they fit.
    fn authorize(&self, request: &mut Request, token: Option<&Token>) -> Result<(), Error> {
        let applied =
            self.client
                .credentials()
                .applied("token_middleware", self.api.security, token)?;
        let mut cookies = Vec::new();
        for applied in applied {
            match applied {
                Applied::Header(name, value) => {
                    request.headers_mut().insert(name, value);
                }
                Applied::Query(name, key) => {
                    request
                        .url_mut()
                        .query_pairs_mut()
                        .append_pair(name, key.expose());
                }
                Applied::Cookie(name, key) => cookies.push((name, key)),
            }
        }
        let mut all: Vec<(String, String)> = request
            .headers()
            .get_all(COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|text| text.split("; "))
            .filter_map(|pair| pair.split_once('='))
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        if cookies.is_empty() {
            return Ok(());
        }
        all.extend(
            cookies
                .iter()
                .map(|(name, key)| ((*name).to_owned(), key.expose().to_owned())),
        );
        let pairs: Vec<(&str, &str)> = all.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        if let Some(cookie) = cookie_header(&pairs, true)? {
            request.headers_mut().insert(COOKIE, cookie);
        }
        Ok(())
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
        let (Some(source), Some(rejected), Some(mut replay)) = (self.source(), token, replay)
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
