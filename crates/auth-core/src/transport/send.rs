//! The send loop: builds each attempt's HTTP request (URL, headers, body, credentials), sends it
//! under the attempt and total deadlines, waits for a token when the credentials need one,
//! replays once after a 401, and retries as the one retry decision allows.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use reqwest::header::{ACCEPT, CONTENT_TYPE, COOKIE, HeaderValue};
use url::Url;

use crate::error::Repeat;
use crate::error::{Error, TimeoutKind};
use crate::token::Token;
use crate::transport::client::{Client, request_url};
use crate::transport::credentials::{Applied, cookie_header};
use crate::transport::request::OperationRequest;
use crate::transport::response::{Response, Sent};

impl Client {
    /// Sends `request` and reads the response body, up to the client's limit.
    ///
    /// Failed attempts are retried as the [`RetryPolicy`](crate::RetryPolicy) says, each attempt
    /// and the whole call bounded by the [`Timeouts`](crate::Timeouts) (the wait for a token
    /// included). With [`Credentials::BearerSource`](crate::Credentials::BearerSource), a 401 answer invalidates the token and the request is sent
    /// once more with a fresh one: a 401 means the server did not act on the request, so sending
    /// it again is safe whatever its method.
    pub(crate) async fn send(&self, request: OperationRequest) -> Result<Response, Error> {
        let call = self.send_with_retries(&request);
        #[cfg(feature = "tracing")]
        let call = {
            use tracing::Instrument as _;
            let operation = &request.operation;
            call.instrument(tracing::info_span!(
                "auth_core::request",
                api = operation.api,
                operation = operation.id,
                method = %operation.method,
                path = operation.path,
                status = tracing::field::Empty,
                attempt = tracing::field::Empty,
            ))
        };
        call.await
    }

    async fn send_with_retries(&self, request: &OperationRequest) -> Result<Response, Error> {
        // One deadline for the whole call; each attempt runs under one timer, set to whichever
        // of its own limit and the call's comes first.
        let deadline = self.call_deadline();
        let source = self.credentials.source_for(request.operation.security);
        let mut token: Option<Arc<Token>> = None;
        let mut replayed = false;
        let mut attempt = 1;
        // One loop, and one place that awaits an attempt, keeps the call's future small.
        loop {
            if let Some(source) = source {
                token = Some(source.token_until(deadline).await?);
            }
            #[cfg(feature = "tracing")]
            tracing::Span::current().record("attempt", attempt);
            let result = self.attempt(request, token.as_ref(), deadline).await;
            if let (Some(source), Some(rejected), Ok(response)) = (source, &token, &result)
                && response.status() == reqwest::StatusCode::UNAUTHORIZED
                && !replayed
            {
                // The server did not act on a request it answered 401: refresh the token and
                // send the request once more, whatever its method.
                source.invalidate(rejected);
                replayed = true;
                continue;
            }
            #[cfg(feature = "tracing")]
            if let Ok(response) = &result {
                tracing::Span::current().record("status", response.status().as_u16());
            }
            let repeat = repeat_of(&result);
            let Some(wait) =
                self.retry
                    .wait_before_retry(repeat, request.operation.idempotent, attempt)
            else {
                return result;
            };
            if deadline.is_some_and(|deadline| later(wait).is_none_or(|end| end >= deadline)) {
                // No time left for another attempt: the last answer stands.
                return result;
            }
            #[cfg(feature = "tracing")]
            tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, "retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn attempt(
        &self,
        request: &OperationRequest,
        token: Option<&Arc<Token>>,
        deadline: Option<Instant>,
    ) -> Result<Response, Error> {
        let http_request = self.build(request, token.map(Arc::as_ref))?;
        let sent = Sent {
            credentials: Arc::clone(&self.credentials),
            token: token.cloned(),
            body: request.body.as_ref().map(|body| body.bytes.clone()),
            secrets: request.secrets.clone(),
        };
        // Boxed: reqwest's future is large, and keeping it out of the call's own future keeps
        // that small (measured: fewer bytes moved and allocations on malloc's fast path).
        let exchange = Box::pin(async {
            let response = http_request.send().await.map_err(Error::from_reqwest)?;
            self.read(response, &sent).await
        });
        let attempt_deadline = self.timeouts.attempt.and_then(later);
        let (limit, kind) = match (attempt_deadline, deadline) {
            (Some(attempt), Some(total)) if total <= attempt => (total, TimeoutKind::Total),
            (Some(attempt), _) => (attempt, TimeoutKind::Attempt),
            (None, Some(total)) => (total, TimeoutKind::Total),
            (None, None) => return exchange.await,
        };
        tokio::time::timeout_at(limit, exchange)
            .await
            .unwrap_or(Err(Error::Timeout(kind)))
    }

    fn build(
        &self,
        request: &OperationRequest,
        token: Option<&Token>,
    ) -> Result<reqwest::RequestBuilder, Error> {
        let operation = &*request.operation;
        let (base, parsed) = self.base(operation.server)?;
        let applied = if operation.security.is_empty() {
            Vec::new()
        } else {
            self.credentials
                .applied(operation.id, operation.security, token)?
        };
        let unbuildable = |why: &dyn std::fmt::Display| {
            Error::InvalidRequest(format!("cannot build the URL of {}: {why}", operation.id))
        };
        // Only a `/`-led path is a path: anything else would be read as part of the authority.
        if !(request.path.is_empty() || request.path.starts_with('/')) {
            return Err(unbuildable(&"its path does not start with `/`"));
        }
        let parsed_now;
        let base = match parsed {
            Some(parsed) => parsed,
            None => {
                parsed_now = Url::parse(base).map_err(|err| unbuildable(&err))?;
                &parsed_now
            }
        };
        let mut url = request_url(base, &request.path);
        let query_keys = applied.iter().filter_map(|applied| match applied {
            Applied::Query(name, key) => Some((*name, key.expose())),
            _ => None,
        });
        let mut query_keys = query_keys.peekable();
        if !request.query.is_empty() || query_keys.peek().is_some() {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in &request.query {
                pairs.append_pair(name, value);
            }
            for (name, key) in query_keys {
                pairs.append_pair(name, key);
            }
        }
        let mut builder = self.shared.http.request(operation.method.clone(), url);
        let mut cookies: Vec<(&str, &str)> = Vec::new();
        for (name, value) in &request.headers {
            if name == crate::transport::request::COOKIE {
                cookies.push(value.split_once('=').unwrap_or((value, "")));
                continue;
            }
            let value = HeaderValue::try_from(value.as_str()).map_err(|_| {
                Error::InvalidRequest(format!("header {name} has a value that is not allowed"))
            })?;
            builder = builder.header(&**name, value);
        }
        if let Some(accept) = request.accept {
            builder = builder.header(ACCEPT, accept);
        }
        if let Some(body) = &request.body {
            builder = builder
                .header(CONTENT_TYPE, body.content_type)
                .body(body.bytes.clone());
        }
        let mut secret_cookie = false;
        for applied in &applied {
            match applied {
                Applied::Header(name, value) => builder = builder.header(name, value.clone()),
                Applied::Cookie(name, key) => {
                    cookies.push((name, key.expose()));
                    secret_cookie = true;
                }
                Applied::Query(..) => {}
            }
        }
        if let Some(cookie) = cookie_header(&cookies, secret_cookie)? {
            builder = builder.header(COOKIE, cookie);
        }
        Ok(builder)
    }
}

/// What an attempt's outcome allows, for the one retry decision.
fn repeat_of(result: &Result<Response, Error>) -> Repeat {
    match result {
        Ok(response) => Repeat::of_answer(response.status(), response.headers()),
        Err(error) => Repeat::of_error(error),
    }
}

impl Client {
    /// When a call that starts now must end: its total timeout from now, if it has one (and the
    /// clock can hold it).
    pub(crate) fn call_deadline(&self) -> Option<Instant> {
        self.timeouts.total.and_then(later)
    }
}

/// The instant `wait` from now; `None` when that is past what the clock can hold.
fn later(wait: Duration) -> Option<Instant> {
    Instant::now().checked_add(wait)
}
