//! A local, stateful fake of emnify's API for your own tests (the `testing` feature), served on
//! 127.0.0.1 on a free port: application-token and password logins, refresh tokens, auth tokens
//! that really expire (and are refused once they have), MFA keys checked with real TOTP codes,
//! trusted devices, application tokens (created ones log in until they are revoked), and the
//! account's endpoints at `GET /api/v1/endpoint`. Its [`Server`] keeps a
//! log of the requests and can make token requests fail.
//!
//! [`builder`] gives a client of this crate pointed at the fake, that reaches no host but
//! 127.0.0.1; [`Server::script`] makes any route answer what a test needs (a status, headers, a
//! body, a delay, for the next few requests or always), [`Server::hits`] counts the requests a
//! route got, and [`Server::fail_token_requests`] makes the token endpoint fail.
//!
//! A function of your own, and its tests: the answer, a 429 with `Retry-After`, a token
//! endpoint that fails, and a login with MFA.
//!
//! ```
//! use std::time::Duration;
//!
//! use emnify_auth::testing::{self, EmnifyConfig, EmnifyFake, Reply, Times};
//! use emnify_auth::{
//!     ApiErrorKind, ApplicationToken, Client, Error, ErrorMetadata, LoginOutcome, Method,
//!     RequestError, RetryPolicy, TokenErrorKind,
//! };
//!
//! /// The code under test: how many endpoints the account has.
//! async fn count_endpoints(client: &Client) -> Result<usize, RequestError> {
//!     let endpoints: Vec<serde_json::Value> =
//!         client.request(Method::GET, "/api/v1/endpoint").send().await?.json()?;
//!     Ok(endpoints.len())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = EmnifyConfig::default();
//! let (fake, server) = EmnifyFake::start(config.clone()).await?;
//! // Retries off, so that each test sees the first answer.
//! let base = testing::builder(&server).retry(RetryPolicy::disabled()).build()?;
//! let service = base.with_token_provider(ApplicationToken::new(&base, config.application_token.clone()));
//! assert_eq!(count_endpoints(&service).await?, 2);
//!
//! // A 429 with `Retry-After`, once; the route answers on its own again after it.
//! let throttled = Reply::json(429, serde_json::json!({"message": "slow down"})).header("Retry-After", "7");
//! server.script("GET", "/api/v1/endpoint", throttled, Times::Next(1));
//! let error = count_endpoints(&service).await.unwrap_err();
//! assert!(matches!(error.kind(), ApiErrorKind::TooManyRequests(_)));
//! assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
//! assert_eq!(count_endpoints(&service).await?, 2);
//! assert_eq!(server.hits("GET", "/api/v1/endpoint"), 3);
//!
//! // A failing token endpoint: a new client's first token request gets a 503.
//! server.fail_token_requests(1, 503);
//! let fresh = base.with_token_provider(ApplicationToken::new(&base, config.application_token.clone()));
//! let error = count_endpoints(&fresh).await.unwrap_err();
//! let ApiErrorKind::Other(Error::TokenRefresh(cause)) = error.kind() else { panic!("{error}") };
//! assert_eq!(cause.kind(), TokenErrorKind::Unavailable);
//!
//! // A user with MFA: the login asks for the code of the key's secret.
//! let secret = fake.enable_mfa();
//! let LoginOutcome::MfaRequired(pending) = base.login(config.username, config.password).await? else {
//!     panic!("MFA is on");
//! };
//! let user = pending.complete(emnify_auth::totp::code_now(&secret)?).await?;
//! assert_eq!(count_endpoints(&user).await?, 2);
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;
use std::time::Duration;

use auth_core::Secret;
use serde_json::{Value, json};

use auth_core::ClientBuilder;
use auth_core::testing::{
    Handler, Miss, Params, Request, Routes, Tokens, jwt, random_base32, random_hex, unix_now,
};
pub use auth_core::testing::{LoggedRequest, Reply, Server, Times};

/// A builder of this crate's [`Client`](crate::Client) pointed at the fake `server` for every
/// server the crate has ([`Server::Api`](crate::Server::Api)), limited to `127.0.0.1`
/// ([`ClientBuilder::only_hosts`]): a request anywhere else fails with
/// [`Error::HostNotAllowed`](crate::Error::HostNotAllowed), so a test never reaches emnify.
/// Set timeouts, retries and the rest on it, then `build()`.
pub fn builder(server: &Server) -> ClientBuilder<crate::Client> {
    crate::Client::builder()
        .server_url(crate::Server::Api, server.url())
        .only_hosts(["127.0.0.1"])
}

/// The fake's account and token lifetime.
#[derive(Debug, Clone)]
pub struct EmnifyConfig {
    /// The application token it accepts.
    pub application_token: String,
    /// The user's id.
    pub user_id: i64,
    /// The user's login.
    pub username: String,
    /// The user's password.
    pub password: String,
    /// How long auth tokens live (the JWT `exp` says the same).
    pub token_lifetime: Duration,
    /// How far the vendor's clock is off ours, in seconds (negative: behind); its JWTs' `iat`
    /// and `exp` are in its time.
    pub clock_offset: i64,
    /// The answer to a request with a missing, wrong or expired auth token (`None`: an empty
    /// 401). emnify's real one is a 401 with a JSON `message`.
    pub rejected_token_answer: Option<Reply>,
    /// The answer to an MFA key request with a wrong password (`None`: a 422 with emnify's
    /// documented JSON error). emnify's real one is a 422 with an empty `text/html` body.
    pub wrong_password_answer: Option<Reply>,
}

impl Default for EmnifyConfig {
    fn default() -> Self {
        Self {
            application_token: "fake-application-token".into(),
            user_id: 1,
            username: "user@example.org".into(),
            password: "fake-password".into(),
            token_lifetime: Duration::from_secs(600),
            clock_offset: 0,
            rejected_token_answer: None,
            wrong_password_answer: None,
        }
    }
}

#[derive(Debug)]
struct Key {
    id: i64,
    secret: String,
    active: bool,
}

#[derive(Debug)]
struct Device {
    id: i64,
    fingerprint: String,
}

/// An application token of the organisation: logins take it while it is active.
#[derive(Debug)]
struct AppToken {
    id: i64,
    token: String,
    description: Option<String>,
    ip: Option<String>,
    expiry_date: Option<String>,
    revoked: bool,
}

impl AppToken {
    /// What emnify lists of it (never the token).
    fn listed(&self) -> Value {
        let (status, description) = if self.revoked {
            (1, "Revoked")
        } else {
            (0, "Activated")
        };
        let mut listed = json!({
            "id": self.id,
            "description": self.description,
            "created": "2026-11-22T00:00:00.000Z",
            "status": {"id": status, "description": description},
            "creator": {"id": 1, "name": "Fake User"},
        });
        if let Some(ip) = &self.ip {
            listed["ip"] = json!(ip);
        }
        if let Some(expiry_date) = &self.expiry_date {
            listed["expiry_date"] = json!(expiry_date);
        }
        listed
    }
}

/// Whether `ip` is an IPv4 or IPv6 range in CIDR notation (`10.0.0.0/8`).
fn is_cidr(ip: &str) -> bool {
    let Some((address, prefix)) = ip.split_once('/') else {
        return false;
    };
    match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => prefix.parse::<u8>().is_ok_and(|p| p <= 32),
        Ok(std::net::IpAddr::V6(_)) => prefix.parse::<u8>().is_ok_and(|p| p <= 128),
        Err(_) => false,
    }
}

#[derive(Debug, Default)]
struct State {
    next_id: i64,
    auth_tokens: Tokens,
    refresh_tokens: Tokens,
    mfa_tokens: Tokens,
    keys: Vec<Key>,
    devices: Vec<Device>,
    app_tokens: Vec<AppToken>,
    refreshes: usize,
    logins: usize,
    rejected: usize,
}

impl State {
    /// A fresh id (keys, trusted devices and application tokens share one sequence).
    fn allocate_id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// A new TOTP key of the user: its id and Base32 secret.
    fn add_key(&mut self, active: bool) -> (i64, String) {
        let id = self.allocate_id();
        let secret = random_base32();
        self.keys.push(Key {
            id,
            secret: secret.clone(),
            active,
        });
        (id, secret)
    }
}

/// The fake emnify API.
#[derive(Debug)]
pub struct EmnifyFake {
    config: EmnifyConfig,
    state: auth_core::testing::State<State>,
    routes: Routes<EmnifyFake>,
}

impl EmnifyFake {
    /// Starts the fake; its base URL is the server's URL.
    pub async fn start(config: EmnifyConfig) -> std::io::Result<(Arc<EmnifyFake>, Server)> {
        let fake = Arc::new(EmnifyFake {
            routes: routes(),
            state: auth_core::testing::State::new(State {
                next_id: 100,
                // The configured token is the organisation's first.
                app_tokens: vec![AppToken {
                    id: 1,
                    token: config.application_token.clone(),
                    description: Some("the configured token".into()),
                    ip: None,
                    expiry_date: None,
                    revoked: false,
                }],
                ..State::default()
            }),
            config,
        });
        let server = Server::start(fake.clone()).await?;
        Ok((fake, server))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock()
    }

    /// How many refresh-token exchanges it served.
    pub fn refreshes(&self) -> usize {
        self.state().refreshes
    }

    /// How many logins (application token or password) it served.
    pub fn logins(&self) -> usize {
        self.state().logins
    }

    /// How many requests it answered 401 because of a missing, wrong or expired auth token.
    pub fn rejected(&self) -> usize {
        self.state().rejected
    }

    /// Makes every auth token expire now.
    pub fn expire_auth_tokens(&self) {
        self.state().auth_tokens.expire_all();
    }

    /// Makes every refresh token invalid.
    pub fn expire_refresh_tokens(&self) {
        self.state().refresh_tokens.expire_all();
    }

    /// Switches on MFA for the user, as if they had enrolled and activated a TOTP key: logins
    /// then ask for a code. Returns the key's secret, from which
    /// [`totp::code_at`](crate::totp::code_at) computes the codes the fake accepts.
    pub fn enable_mfa(&self) -> Secret {
        let (_, secret) = self.state().add_key(true);
        Secret::new(secret)
    }

    /// The secret of the user's MFA key `id`, as a user's authenticator app holds it.
    pub fn key_secret(&self, id: i64) -> Option<Secret> {
        let state = self.state();
        state
            .keys
            .iter()
            .find(|k| k.id == id)
            .map(|k| Secret::new(k.secret.clone()))
    }

    fn issue(&self, state: &mut State, with_refresh: bool) -> Value {
        let lifetime = self.config.token_lifetime;
        let auth = state.auth_tokens.issue(
            jwt(
                &self.config.user_id.to_string(),
                lifetime,
                self.config.clock_offset,
            ),
            lifetime,
        );
        if with_refresh {
            let refresh = state
                .refresh_tokens
                .issue(random_hex(), Duration::from_secs(86_400));
            json!({"auth_token": auth, "refresh_token": refresh})
        } else {
            json!({"auth_token": auth})
        }
    }

    fn code_matches(key: &Key, code: &str) -> bool {
        let secret = Secret::new(key.secret.clone());
        let now = unix_now();
        [now.saturating_sub(30), now, now + 30]
            .iter()
            .any(|&t| crate::totp::code_at(&secret, t).is_ok_and(|expected| expected == code))
    }

    fn authenticate(&self, body: &Value) -> Reply {
        let mut state = self.state();
        let text = |name: &str| body.get(name).and_then(Value::as_str);
        if let Some(token) = text("application_token") {
            if !state
                .app_tokens
                .iter()
                .any(|t| t.token == token && !t.revoked)
            {
                return Reply::empty(401);
            }
            state.logins += 1;
            return Reply::json(200, self.issue(&mut state, false));
        }
        if let Some(refresh) = text("refresh_token") {
            if !state.refresh_tokens.valid(Some(refresh)) {
                return Reply::empty(401);
            }
            state.refreshes += 1;
            return Reply::json(200, self.issue(&mut state, false));
        }
        if let (Some(mfa_token), Some(code)) = (text("mfa_token"), text("code")) {
            let active = state.keys.iter().find(|k| k.active);
            let accepted = state.mfa_tokens.valid(Some(mfa_token))
                && active.is_some_and(|key| Self::code_matches(key, code));
            if !accepted {
                return Reply::empty(401);
            }
            state.mfa_tokens.revoke(mfa_token);
            if let Some(fingerprint) = text("fingerprint") {
                let id = state.allocate_id();
                state.devices.push(Device {
                    id,
                    fingerprint: fingerprint.to_owned(),
                });
            }
            state.logins += 1;
            return Reply::json(200, self.issue(&mut state, true));
        }
        if let (Some(username), Some(password)) = (text("username"), text("password")) {
            if username != self.config.username || password != self.config.password {
                return Reply::empty(401);
            }
            let trusted = text("fingerprint")
                .is_some_and(|f| state.devices.iter().any(|d| d.fingerprint == f));
            if state.keys.iter().any(|k| k.active) && !trusted {
                let mfa_token = state
                    .mfa_tokens
                    .issue(random_hex(), Duration::from_secs(300));
                return Reply::json(200, json!({"mfa_token": mfa_token}));
            }
            state.logins += 1;
            return Reply::json(200, self.issue(&mut state, true));
        }
        Reply::json(
            422,
            json!({"error_code": 1400, "error_token": "InputValidationFailed", "message": "no credentials"}),
        )
    }

    /// Whether the route's `{user_id}` is another user than the fake's.
    fn is_other_user(&self, params: &Params) -> bool {
        params.get("user_id") != self.config.user_id.to_string()
    }

    fn not_found(what: &str) -> Reply {
        Reply::json(
            404,
            json!({"error_code": 1401, "error_token": "InvalidReference", "message": format!("{what} not found")}),
        )
    }
}

impl Handler for EmnifyFake {
    fn is_token_request(&self, request: &Request) -> bool {
        request.method == "POST" && request.path == "/api/v1/authenticate"
    }

    fn handle(&self, request: &Request) -> Reply {
        self.routes.answer(self, request)
    }

    fn route(&self, request: &Request) -> Option<&'static str> {
        self.routes.pattern(&request.method, &request.path)
    }
}

/// `route`, for a request with a valid auth token (emnify's 401, or the configured answer,
/// otherwise).
fn secured(
    route: impl Fn(&EmnifyFake, &Request, &Params) -> Reply + Send + Sync + 'static,
) -> impl Fn(&EmnifyFake, &Request, &Params) -> Reply + Send + Sync + 'static {
    move |fake, request, params| {
        let mut state = fake.state();
        if !state.auth_tokens.valid(request.bearer()) {
            state.rejected += 1;
            return fake
                .config
                .rejected_token_answer
                .clone()
                .unwrap_or_else(|| Reply::empty(401));
        }
        drop(state);
        route(fake, request, params)
    }
}

/// The fake's routes: `/api/v1/authenticate`, and the rest of `/api/v1` behind a valid token.
fn routes() -> Routes<EmnifyFake> {
    Routes::<EmnifyFake>::new(|request, miss| match miss {
        Miss::NotFound if request.path.starts_with("/api/v1/user/") => {
            EmnifyFake::not_found("User")
        }
        Miss::NotFound if !request.path.starts_with("/api/v1/") => Reply::empty(404),
        _ => Reply::empty(405),
    })
    .route("POST", "/api/v1/authenticate", |fake, request, _| {
        fake.authenticate(&request.json())
    })
    .route(
        "POST",
        "/api/v1/user/mfa",
        secured(|fake: &EmnifyFake, request: &Request, _: &Params| {
                let state = &mut *fake.state();
                let body = request.json();
                if body["password"].as_str() != Some(fake.config.password.as_str()) {
                    if let Some(answer) = &fake.config.wrong_password_answer {
                        return answer.clone();
                    }
                    return Reply::json(
                        422,
                        json!({"error_code": 1002, "error_token": "Failed", "message": "Invalid password"}),
                    );
                }
                if state.keys.iter().any(|k| k.active) {
                    return Reply::json(
                        409,
                        json!({"error_code": 1405, "error_token": "Duplicated", "message": "MFA already activated"}),
                    );
                }
                let (id, secret) = state.add_key(false);
                Reply::json(
                    200,
                    json!({
                        "id": id,
                        "status": {"id": 0, "description": "Activation Pending"},
                        "type": {"id": 0, "description": "Time-Based One-Time Password"},
                        "secret_key": secret,
                        "otpauth": format!("otpauth://totp/emnify:{}?secret={secret}&issuer=emnify", fake.config.username),
                        "creation_date": "2026-11-22T00:00:00.000Z"
                    }),
                )
            }),
    )
    .route(
        "PATCH",
        "/api/v1/user/mfa/{key_id}",
        secured(|fake: &EmnifyFake, request: &Request, params: &Params| {
                let key_id = &params.get("key_id");
                let state = &mut *fake.state();
                let Some(key) = state.keys.iter_mut().find(|k| k.id.to_string() == *key_id) else {
                    return EmnifyFake::not_found("MFA key");
                };
                let body = request.json();
                if key.active {
                    return Reply::json(
                        409,
                        json!({"error_code": 1405, "error_token": "Duplicated", "message": "MFA already activated"}),
                    );
                }
                let code = body["code"].as_str().unwrap_or_default();
                if body["status"]["id"] != json!(1) || !EmnifyFake::code_matches(key, code) {
                    return Reply::json(
                        422,
                        json!({"error_code": 1400, "error_token": "InputValidationFailed", "message": "MFA key validation error: Code did not match!"}),
                    );
                }
                key.active = true;
                Reply::empty(204)
            }),
    )
    .route(
        "GET",
        "/api/v1/user/mfa/status",
        secured(|_: &EmnifyFake, _: &Request, _: &Params| {

                Reply::json(
                200,
                json!([{"id": 0, "description": "Activation Pending"}, {"id": 1, "description": "Active"}]),
            )
            }),
    )
    .route(
        "GET",
        "/api/v1/user/mfa/type",
        secured(|_: &EmnifyFake, _: &Request, _: &Params| {

                Reply::json(
                200,
                json!([{"id": 0, "description": "Time-Based One-Time Password"}]),
            )
            }),
    )
    .route(
        "DELETE",
        "/api/v1/user/{user_id}/mfa/{key_id}",
        secured(|fake: &EmnifyFake, _: &Request, params: &Params| {
                let key_id = &params.get("key_id");
                if fake.is_other_user(params) {
                    return EmnifyFake::not_found("User");
                }
                let state = &mut *fake.state();
                let before = state.keys.len();
                state.keys.retain(|k| k.id.to_string() != *key_id);
                if state.keys.len() == before {
                    return EmnifyFake::not_found("MFA key");
                }
                Reply::empty(204)
            }),
    )
    .route(
        "GET",
        "/api/v1/user/{user_id}/mfa/trusted_device",
        secured(|fake: &EmnifyFake, _: &Request, params: &Params| {
                if fake.is_other_user(params) {
                    return EmnifyFake::not_found("User");
                }
                let state = &mut *fake.state();
                let devices: Vec<Value> = state
                    .devices
                    .iter()
                    .map(|d| json!({"id": d.id, "operating_system": "Linux", "browser": "auth-client", "activation_date": "2026-11-22T00:00:00.000Z"}))
                    .collect();
                Reply::json(200, Value::Array(devices))
            }),
    )
    .route(
        "DELETE",
        "/api/v1/user/{user_id}/mfa/trusted_device/{device_id}",
        secured(|fake: &EmnifyFake, _: &Request, params: &Params| {
                let device_id = &params.get("device_id");
                if fake.is_other_user(params) {
                    return EmnifyFake::not_found("User");
                }
                let state = &mut *fake.state();
                let before = state.devices.len();
                state.devices.retain(|d| d.id.to_string() != *device_id);
                if state.devices.len() == before {
                    return EmnifyFake::not_found("Trusted device");
                }
                Reply::empty(204)
            }),
    )
    .route(
        "GET",
        "/api/v1/application_token",
        secured(|fake: &EmnifyFake, _: &Request, _: &Params| {
                let state = &mut *fake.state();
                Reply::json(
                200,
                Value::Array(state.app_tokens.iter().map(AppToken::listed).collect()),
            )
            }),
    )
    .route(
        "POST",
        "/api/v1/application_token",
        secured(|fake: &EmnifyFake, request: &Request, _: &Params| {
                let state = &mut *fake.state();
                let body = request.json();
                let text = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_owned);
                let ip = text("ip");
                if ip.as_deref().is_some_and(|ip| !is_cidr(ip)) {
                    return Reply::json(
                        422,
                        json!({"error_code": 1403, "error_token": "InvalidFormat", "message": "Application Token - IP has invalid format: Expecting IP Address in CIDR Notation."}),
                    );
                }
                let id = state.allocate_id();
                let token = random_hex();
                state.app_tokens.push(AppToken {
                    id,
                    token: token.clone(),
                    description: text("description"),
                    ip,
                    expiry_date: text("expiry_date"),
                    revoked: false,
                });
                Reply::json(200, json!({"application_token": token}))
            }),
    )
    .route(
        "PATCH",
        "/api/v1/application_token/{id}",
        secured(|fake: &EmnifyFake, request: &Request, params: &Params| {
                let id = &params.get("id");
                let state = &mut *fake.state();
                let body = request.json();
                let Some(token) = state
                    .app_tokens
                    .iter_mut()
                    .find(|t| t.id.to_string() == *id)
                else {
                    return EmnifyFake::not_found("Application token");
                };
                if let Some(description) = body.get("description").and_then(Value::as_str) {
                    token.description = Some(description.to_owned());
                }
                match body["status"]["id"].as_i64() {
                    Some(0) => token.revoked = false,
                    Some(1) => token.revoked = true,
                    _ => {}
                }
                Reply::empty(204)
            }),
    )
    // The rest of the API, as far as the examples need it: the account's endpoints
    // (devices), paged with `page` and `per_page` as emnify's API does.
    .route(
        "GET",
        "/api/v1/endpoint",
        secured(|_: &EmnifyFake, request: &Request, _: &Params| {

                let per_page = request
                    .query("per_page")
                    .and_then(|n| n.parse::<usize>().ok())
                    .unwrap_or(1000);
                let endpoints: Vec<Value> = [(11, "Tracker 1"), (12, "Tracker 2")]
                    .into_iter()
                    .take(per_page)
                    .map(|(id, name)| json!({"id": id, "name": name, "tags": null, "status": {"id": 0, "description": "Enabled"}, "ip_address": format!("10.192.0.{id}")}))
                    .collect();
                Reply::json(200, Value::Array(endpoints))
            }),
    )
}
