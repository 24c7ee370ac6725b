//! A local, stateful fake of Dintero's API for your own tests (the `testing` feature), served on
//! 127.0.0.1 on a free port: client-credentials, password, refresh-token and account-user-token
//! grants, access tokens that really expire, refresh tokens that can be revoked, the MFA
//! out-of-band challenge and recovery, and
//! checkout sessions at `POST /sessions-profile` (of [`Server::Checkout`](crate::Server::Checkout),
//! served at the same URL).
//!
//! [`builder`] gives a client of this crate pointed at the fake for both of its servers, that
//! reaches no host but 127.0.0.1; [`Server::script`] makes any route answer what a test needs
//! (a status, headers, a body, a delay, for the next few requests or always), [`Server::hits`]
//! counts the requests a route got, and [`Server::fail_token_requests`] makes the token
//! endpoint fail.
//!
//! A function of your own, and its tests: the answer, a 429 with `Retry-After`, a token
//! endpoint that fails, and a user's login with MFA.
//!
//! ```
//! use std::time::Duration;
//!
//! use dintero_auth::models::{OobChannel, PasswordGrant};
//! use dintero_auth::testing::{self, DinteroConfig, DinteroFake, Reply, Times};
//! use dintero_auth::{
//!     ApiErrorKind, Client, ClientCredentials, Error, ErrorMetadata, LoginOutcome, Method,
//!     RequestError, RetryPolicy, Server, TokenErrorKind,
//! };
//!
//! /// The code under test: a checkout session's URL for an amount in øre.
//! async fn checkout_url(client: &Client, amount: u64) -> Result<String, RequestError> {
//!     let order = serde_json::json!({"order": {"amount": amount, "currency": "NOK"}, "profile_id": "default"});
//!     let session: serde_json::Value = client
//!         .request_to(Server::Checkout, Method::POST, "/sessions-profile")
//!         .json(&order)
//!         .send()
//!         .await?
//!         .json()?;
//!     Ok(session["url"].as_str().unwrap_or_default().to_owned())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = DinteroConfig::default();
//! let (fake, server) = DinteroFake::start(config.clone()).await?;
//! // Retries off, so that each test sees the first answer.
//! let base = testing::builder(&server).retry(RetryPolicy::disabled()).build()?;
//! let audience = format!("https://api.dintero.com/v1/accounts/{}", config.account_id);
//! let api_client = |base: &Client| {
//!     let (id, secret) = (config.client_id.clone(), config.client_secret.clone());
//!     base.with_token_provider(ClientCredentials::new(base, &config.account_id, id, secret, &audience))
//! };
//! let client = api_client(&base);
//! assert!(checkout_url(&client, 29990).await?.starts_with("http"));
//!
//! // A 429 with `Retry-After`, once; the route answers on its own again after it.
//! let throttled = Reply::json(429, serde_json::json!({"error": {"message": "slow down"}})).header("Retry-After", "7");
//! server.script("POST", "/sessions-profile", throttled, Times::Next(1));
//! let error = checkout_url(&client, 29990).await.unwrap_err();
//! assert!(matches!(error.kind(), ApiErrorKind::TooManyRequests(_)));
//! assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
//! assert!(checkout_url(&client, 29990).await.is_ok());
//! assert_eq!(server.hits("POST", "/sessions-profile"), 3);
//!
//! // A failing token endpoint: a new client's first token request gets a 503.
//! server.fail_token_requests(1, 503);
//! let error = checkout_url(&api_client(&base), 29990).await.unwrap_err();
//! let ApiErrorKind::Other(Error::TokenRefresh(cause)) = error.kind() else { panic!("{error}") };
//! assert_eq!(cause.kind(), TokenErrorKind::Unavailable);
//!
//! // A user with MFA (the fake's is): the code comes by SMS, here from the fake.
//! let grant = PasswordGrant::new(config.username.clone(), config.password.clone(), &audience);
//! let LoginOutcome::MfaRequired(pending) = client.login(&config.account_id, grant).await? else {
//!     panic!("the fake's user has MFA");
//! };
//! let challenge = pending.challenge(OobChannel::Sms).await?;
//! let user = challenge.complete(fake.last_binding_code().unwrap_or_default()).await?;
//! assert!(checkout_url(&user, 100).await?.starts_with("http"));
//! # Ok(())
//! # }
//! ```

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, MutexGuard};
use std::time::Duration;

use serde_json::{Value, json};

use auth_core::ClientBuilder;
use auth_core::testing::{
    Handler, Miss, Params, Request, Routes, Tokens, jwt, random_digits, random_hex,
};
pub use auth_core::testing::{LoggedRequest, Reply, Server, Times};

/// A builder of this crate's [`Client`](crate::Client) pointed at the fake `server` for every
/// server the crate has ([`Server::Api`](crate::Server::Api) and
/// [`Server::Checkout`](crate::Server::Checkout)), limited to `127.0.0.1`
/// ([`ClientBuilder::only_hosts`]): a request anywhere else fails with
/// [`Error::HostNotAllowed`](crate::Error::HostNotAllowed), so a test never reaches Dintero.
/// Set timeouts, retries and the rest on it, then `build()`.
pub fn builder(server: &Server) -> ClientBuilder<crate::Client> {
    crate::Client::builder()
        .server_url(crate::Server::Api, server.url())
        .server_url(crate::Server::Checkout, server.url())
        .only_hosts(["127.0.0.1"])
}

/// The fake's account, client, user and token lifetime.
#[derive(Debug, Clone)]
pub struct DinteroConfig {
    /// The account id.
    pub account_id: String,
    /// The OAuth client id.
    pub client_id: String,
    /// The OAuth client secret.
    pub client_secret: String,
    /// The user's name.
    pub username: String,
    /// The user's password.
    pub password: String,
    /// Whether the user has MFA enabled.
    pub user_has_mfa: bool,
    /// How long access tokens live (`expires_in`).
    pub token_lifetime: Duration,
    /// How far the vendor's clock is off ours, in seconds (negative: behind); its JWTs' `iat`
    /// and `exp` are in its time.
    pub clock_offset: i64,
    /// Answer in the shapes Dintero's documentation also shows: the `mfa_required` error's
    /// `mfa_token` at the top level of the body instead of inside `error`, and token answers
    /// without `token_type`.
    pub real_world: bool,
}

impl Default for DinteroConfig {
    fn default() -> Self {
        Self {
            account_id: "T00000000".into(),
            client_id: "fake-client-id".into(),
            client_secret: "fake-client-secret".into(),
            username: "user@example.org".into(),
            password: "fake-password".into(),
            user_has_mfa: true,
            token_lifetime: Duration::from_secs(600),
            clock_offset: 0,
            real_world: false,
        }
    }
}

#[derive(Debug, Default)]
struct State {
    access_tokens: Tokens,
    /// The access tokens issued to the account user (not to the client itself).
    user_tokens: HashSet<String>,
    refresh_tokens: Tokens,
    mfa_tokens: Tokens,
    /// oob_code → (mfa_token, binding_code)
    challenges: HashMap<String, (String, String)>,
    last_binding_code: Option<String>,
    token_requests: usize,
}

/// The fake Dintero API.
#[derive(Debug)]
pub struct DinteroFake {
    config: DinteroConfig,
    state: auth_core::testing::State<State>,
    routes: Routes<DinteroFake>,
}

/// Whom an access token is issued to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grantee {
    /// The OAuth client itself (client credentials, a partner's exchange).
    Client,
    /// The account user (password, MFA, refresh token, account user token).
    User,
}

fn error(status: u16, code: &str, message: &str) -> Reply {
    Reply::json(status, json!({"error": {"code": code, "message": message}}))
}

impl DinteroFake {
    /// Starts the fake; its base URL is the server's URL.
    pub async fn start(config: DinteroConfig) -> std::io::Result<(Arc<DinteroFake>, Server)> {
        let fake = Arc::new(DinteroFake {
            config,
            state: auth_core::testing::State::default(),
            routes: routes(),
        });
        let server = Server::start(fake.clone()).await?;
        Ok((fake, server))
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }

    /// How many token requests it served.
    pub fn token_requests(&self) -> usize {
        self.state().token_requests
    }

    /// The code the last challenge "sent" to the user's phone or mailbox.
    pub fn last_binding_code(&self) -> Option<String> {
        self.state().last_binding_code.clone()
    }

    /// Whether `token` is an access token it issued and that is still valid.
    pub fn issued(&self, token: &str) -> bool {
        self.state().access_tokens.valid(Some(token))
    }

    /// Makes every access token expire now.
    pub fn expire_access_tokens(&self) {
        self.state().access_tokens.expire_all();
    }

    fn mfa_required(&self, state: &mut State) -> Reply {
        let mfa_token = state
            .mfa_tokens
            .issue(random_hex(), Duration::from_secs(300));
        if self.config.real_world {
            return Reply::json(
                403,
                json!({"error": {"code": "mfa_required", "message": "a second factor is required"}, "mfa_token": mfa_token}),
            );
        }
        Reply::json(
            403,
            json!({"error": {"code": "mfa_required", "message": "a second factor is required", "mfa_token": mfa_token}}),
        )
    }

    /// An access token for `grantee`, with a refresh token when `with_refresh`.
    fn token(&self, state: &mut State, grantee: Grantee, with_refresh: bool) -> Reply {
        let lifetime = self.config.token_lifetime;
        let access = state.access_tokens.issue(
            jwt(&self.config.account_id, lifetime, self.config.clock_offset),
            lifetime,
        );
        if grantee == Grantee::User {
            state.user_tokens.insert(access.clone());
        }
        let mut body = json!({"access_token": access, "token_type": "Bearer", "expires_in": lifetime.as_secs()});
        if self.config.real_world {
            body.as_object_mut()
                .map(|fields| fields.remove("token_type"));
        }
        if with_refresh {
            body["refresh_token"] = json!(
                state
                    .refresh_tokens
                    .issue(random_hex(), Duration::from_secs(86_400))
            );
        }
        Reply::json(200, body)
    }

    /// A partner's token (the account is the partner) for one of its sub-accounts.
    fn exchange(&self, request: &Request) -> Reply {
        let body = request.json();
        let Some(sub_account) = body["account_id"].as_str() else {
            return error(400, "invalid_request", "account_id is required");
        };
        if sub_account.len() != 9 || sub_account == self.config.account_id {
            return error(400, "invalid_request", "not a sub-account");
        }
        let mut state = self.state();
        state.token_requests += 1;
        self.token(&mut state, Grantee::Client, false)
    }

    /// Forgets a refresh token. An unknown one is no error (as OAuth's revocation, RFC 7009,
    /// answers it): the caller's aim, that it cannot be used, holds.
    fn revoke(&self, request: &Request) -> Reply {
        let body = request.json();
        let Some(token) = body["token"].as_str() else {
            return error(400, "invalid_request", "token is required");
        };
        self.state().refresh_tokens.revoke(token);
        Reply::json(200, json!({}))
    }

    fn grant(&self, request: &Request) -> Reply {
        let mut state = self.state();
        state.token_requests += 1;
        let body = request.json();
        let text = |name: &str| body.get(name).and_then(Value::as_str).unwrap_or_default();
        let grant_type = text("grant_type");
        if grant_type == "client_credentials" {
            let expected = (
                self.config.client_id.clone(),
                self.config.client_secret.clone(),
            );
            if request.basic() != Some(expected) {
                return error(401, "unauthorized", "invalid client credentials");
            }
            return self.token(&mut state, Grantee::Client, false);
        }
        if !state.access_tokens.valid(request.bearer()) {
            return error(401, "unauthorized", "invalid or expired JWT");
        }
        match grant_type {
            "password" => {
                if text("username") != self.config.username
                    || text("password") != self.config.password
                {
                    return error(403, "invalid_grant", "wrong user name or password");
                }
                if self.config.user_has_mfa {
                    return self.mfa_required(&mut state);
                }
                self.token(&mut state, Grantee::User, true)
            }
            "refresh_token" => {
                if !state.refresh_tokens.valid(Some(text("refresh_token"))) {
                    return error(403, "invalid_grant", "unknown refresh token");
                }
                self.token(&mut state, Grantee::User, false)
            }
            "account_user_token" => {
                if !request
                    .bearer()
                    .is_some_and(|jwt| state.user_tokens.contains(jwt))
                {
                    return error(403, "invalid_grant", "the bearer is not an account user");
                }
                self.token(&mut state, Grantee::User, false)
            }
            "mfa_oob" => {
                let expected = state.challenges.get(text("oob_code")).cloned();
                let accepted = expected.is_some_and(|(mfa_token, binding_code)| {
                    mfa_token == text("mfa_token")
                        && binding_code == text("binding_code")
                        && state.mfa_tokens.valid(Some(&mfa_token))
                });
                if !accepted {
                    return error(403, "invalid_grant", "the challenge was not completed");
                }
                state.challenges.remove(text("oob_code"));
                self.token(&mut state, Grantee::User, true)
            }
            _ => error(
                400,
                "unsupported_grant_type",
                "the fake does not issue this grant",
            ),
        }
    }

    fn challenge(&self, request: &Request) -> Reply {
        let mut state = self.state();
        let body = request.json();
        let mfa_token = body["mfa_token"].as_str().unwrap_or_default().to_owned();
        if body["challenge_type"] != json!("oob") || !state.mfa_tokens.valid(Some(&mfa_token)) {
            return error(
                400,
                "invalid_request",
                "unknown mfa_token or challenge type",
            );
        }
        let oob_code = random_hex();
        let binding_code = random_digits(6);
        state
            .challenges
            .insert(oob_code.clone(), (mfa_token, binding_code.clone()));
        state.last_binding_code = Some(binding_code);
        Reply::json(
            200,
            json!({"challenge_type": "oob", "binding_method": "prompt", "oob_code": oob_code}),
        )
    }

    fn recovery(&self, request: &Request) -> Reply {
        let mut state = self.state();
        let body = request.json();
        if body["username"].as_str() != Some(self.config.username.as_str()) {
            return error(404, "not_found", "no such user");
        }
        self.mfa_required(&mut state)
    }
}

impl DinteroFake {
    /// `POST /v1/sessions-profile` of the Checkout API: a session for the order, with the URL
    /// to send the customer to.
    fn create_session(&self, request: &Request) -> Reply {
        if request.method != "POST" {
            return error(405, "method_not_allowed", "POST only");
        }
        if !self.state().access_tokens.valid(request.bearer()) {
            return error(401, "unauthorized", "invalid or expired JWT");
        }
        let body = request.json();
        if !body["order"]["amount"].is_u64() || body["profile_id"].as_str().is_none() {
            return error(
                400,
                "bad_request",
                "order.amount and profile_id are required",
            );
        }
        let id = format!("{}.{}", self.config.account_id, random_hex());
        Reply::json(
            200,
            json!({"id": id, "url": format!("https://checkout.dintero.com/v1/view/{id}")}),
        )
    }
}

impl Handler for DinteroFake {
    fn is_token_request(&self, request: &Request) -> bool {
        request.method == "POST" && request.path.ends_with("/auth/token")
    }

    fn handle(&self, request: &Request) -> Reply {
        self.routes.answer(self, request)
    }

    fn route(&self, request: &Request) -> Option<&'static str> {
        self.routes.pattern(&request.method, &request.path)
    }
}

/// The fake's routes: Dintero's error bodies for the rest.
fn routes() -> Routes<DinteroFake> {
    Routes::<DinteroFake>::new(|_, miss| match miss {
        Miss::NotFound => error(404, "not_found", "no such resource"),
        Miss::MethodNotAllowed => error(405, "method_not_allowed", "POST only"),
    })
    .route("POST", "/sessions-profile", |fake, request, _| {
        fake.create_session(request)
    })
    .route(
        "POST",
        "/accounts/{account}/auth/token",
        |fake, request, params| fake.in_account(params, |fake| fake.grant(request)),
    )
    .route(
        "POST",
        "/accounts/{account}/auth/mfa/challenge",
        |fake, request, params| fake.secured(request, params, DinteroFake::challenge),
    )
    .route(
        "POST",
        "/accounts/{account}/auth/exchange_token",
        |fake, request, params| fake.secured(request, params, DinteroFake::exchange),
    )
    .route(
        "POST",
        "/accounts/{account}/auth/revoke",
        |fake, request, params| fake.secured(request, params, DinteroFake::revoke),
    )
    .route(
        "POST",
        "/accounts/{account}/auth/mfa/recovery",
        |fake, request, params| fake.secured(request, params, DinteroFake::recovery),
    )
}

impl DinteroFake {
    /// `answer` of the fake's own account; a 404 for any other.
    fn in_account(&self, params: &Params, answer: impl FnOnce(&Self) -> Reply) -> Reply {
        if params.get("account") != self.config.account_id {
            return error(404, "not_found", "no such account");
        }
        answer(self)
    }

    /// `answer` of the fake's own account, for a request with a valid access token.
    fn secured(
        &self,
        request: &Request,
        params: &Params,
        answer: fn(&Self, &Request) -> Reply,
    ) -> Reply {
        self.in_account(params, |fake| {
            if !fake.state().access_tokens.valid(request.bearer()) {
                return error(401, "unauthorized", "invalid or expired JWT");
            }
            answer(fake, request)
        })
    }
}
