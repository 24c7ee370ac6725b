//! A local, stateful fake of plex.tv's account service and of a Plex Media Server sharing one
//! account, for your own tests (the `testing` feature), served on 127.0.0.1: sign-in with an
//! optional two-factor code, token details, transient tokens, and the media server's library
//! sections. Both refuse requests without `X-Plex-Client-Identifier`. Each [`Server`] keeps a
//! log of the requests and can make token requests fail.
//!
//! [`builder`] gives a client of this crate pointed at the fakes for each of its servers
//! (plex.tv, its client authentication service and the media server), that reaches no host but
//! 127.0.0.1; [`Server::script`] makes any route answer what a test needs (a status, headers, a
//! body, a delay, for the next few requests or always), [`Server::hits`] counts the requests a
//! route got, and [`Server::fail_token_requests`] makes plex.tv's sign-in fail.
//!
//! A function of your own, and its tests: the answer, a 429 with `Retry-After`, a sign-in that
//! fails, and a sign-in with the two-factor code.
//!
//! ```
//! use std::time::Duration;
//!
//! use plex_auth::testing::{self, PlexConfig, PlexFake, Reply, Times};
//! use plex_auth::{ApiErrorKind, Client, ClientIdentity, ErrorMetadata, LoginOutcome, Method, RequestError, RetryPolicy};
//!
//! /// The code under test: the titles of the media server's libraries.
//! async fn library_titles(server: &Client) -> Result<Vec<String>, RequestError> {
//!     let sections: serde_json::Value = server.request(Method::GET, "/library/sections").send().await?.json()?;
//!     let directories = sections["MediaContainer"]["Directory"].as_array().cloned().unwrap_or_default();
//!     Ok(directories.iter().filter_map(|d| d["title"].as_str().map(str::to_owned)).collect())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = PlexConfig { two_factor_code: Some("123456".into()), ..PlexConfig::default() };
//! let (_fake, servers) = PlexFake::start(config.clone()).await?;
//! let identity = ClientIdentity::new("test-install").product("my-app");
//! // Retries off, so that each test sees the first answer.
//! let client = testing::builder(&servers, &identity).retry(RetryPolicy::disabled()).build()?;
//!
//! // A failing sign-in: plex.tv answers 503 once.
//! servers.plex_tv.fail_token_requests(1, 503);
//! let error = client.login(&config.login, config.password.clone()).await.unwrap_err();
//! assert!(matches!(error.kind(), ApiErrorKind::ServerError(_)));
//!
//! // The account has two-factor authentication: the sign-in asks for the code.
//! let LoginOutcome::MfaRequired(pending) = client.login(&config.login, config.password.clone()).await? else {
//!     panic!("the account has two-factor authentication");
//! };
//! let logged_in = pending.complete("123456").await?;
//! let server = logged_in.client.clone(); // the builder pointed it at the fake media server
//! assert_eq!(library_titles(&server).await?, ["Movies", "TV Shows"]);
//!
//! // A 429 with `Retry-After` from the media server, once; it answers on its own after it.
//! let throttled = Reply::empty(429).header("Retry-After", "7");
//! servers.media_server.script("GET", "/library/sections", throttled, Times::Next(1));
//! let error = library_titles(&server).await.unwrap_err();
//! assert!(matches!(error.kind(), ApiErrorKind::TooManyRequests(_)));
//! assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
//! assert_eq!(library_titles(&server).await?.len(), 2);
//! assert_eq!(servers.media_server.hits("GET", "/library/sections"), 3);
//! # Ok(())
//! # }
//! ```

use std::sync::{Arc, MutexGuard};
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use auth_core::ClientBuilder;
use auth_core::testing::{
    Handler, Miss, Request, Routes, Tokens, random_hex, unix_now as unix_seconds,
};
pub use auth_core::testing::{LoggedRequest, Reply, Server, Times};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The fake's account.
#[derive(Debug, Clone)]
pub struct PlexConfig {
    /// The login (e-mail address).
    pub login: String,
    /// The password.
    pub password: String,
    /// The two-factor code the account wants, if it has two-factor authentication.
    pub two_factor_code: Option<String>,
    /// The account's descriptive fields are null where recorded answers null them:
    /// `rememberExpiresAt` (as for Plex Home users), the subscription's `subscribedAt`, and a
    /// service's `token` and `secret` (see `tests/fixtures/plex/sign_in_201_*.json`).
    pub home_user_nulls: bool,
    /// plex.tv's answer to a bad token (`None`: a 401 with Plex's JSON error 1001). plex.tv's
    /// real one is sometimes a 422 with an XML body.
    pub plex_tv_rejected_token_answer: Option<Reply>,
    /// The media server's answer to a bad token (`None`: a 401 with Plex's JSON error 1001).
    /// A real media server answers a 401 with an HTML page.
    pub media_server_rejected_token_answer: Option<Reply>,
    /// How long a PIN lives (`expiresIn`).
    pub pin_lifetime: Duration,
    /// A PIN is approved (as if the user entered it at plex.tv/link) on this poll; `None`: only
    /// when [`PlexFake::approve_pins`] says so.
    pub pin_approved_after_polls: Option<u32>,
    /// How long the Plex tokens of the JWT device flow live (Plex: 7 days).
    pub jwt_lifetime: Duration,
    /// The PIN of the Home's protected managed user ("Kid", see [`PlexFake::home_users`]).
    pub home_user_pin: String,
    /// What is wrong with the Plex JWTs it issues (`None`: nothing; each is signed with its
    /// current signing key, which `/api/v2/auth/keys` publishes).
    pub plex_jwt_fault: Option<PlexJwtFault>,
}

/// A fault of the Plex JWTs the fake issues, for tests of their verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlexJwtFault {
    /// Signed with a key `/api/v2/auth/keys` does not publish.
    UnpublishedKey,
    /// The claims changed after signing.
    BadSignature,
    /// For another client (`aud`).
    WrongAudience,
    /// Issued by another issuer than plex.tv (`iss`).
    WrongIssuer,
    /// Expired already.
    Expired,
    /// Not signed (`alg: none`).
    Unsigned,
}

/// One way to reach the fake's media server, as `/api/v2/resources` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeConnection {
    /// The URI (any server: one that refuses, stalls or answers 401 makes a test of
    /// connection choice).
    pub uri: String,
    /// Whether it is on the server's local network.
    pub local: bool,
    /// Whether it goes through a Plex relay.
    pub relay: bool,
}

impl Default for PlexConfig {
    fn default() -> Self {
        Self {
            login: "user@example.org".into(),
            password: "fake-password".into(),
            two_factor_code: Some("424242".into()),
            home_user_nulls: false,
            plex_tv_rejected_token_answer: None,
            media_server_rejected_token_answer: None,
            pin_lifetime: Duration::from_secs(900),
            pin_approved_after_polls: Some(2),
            jwt_lifetime: Duration::from_secs(7 * 86_400),
            home_user_pin: "1234".into(),
            plex_jwt_fault: None,
        }
    }
}

#[derive(Debug)]
struct FakePin {
    id: i64,
    code: String,
    client_identifier: String,
    expires: SystemTime,
    polls: u32,
    approved: bool,
    token: Option<String>,
    /// The device key the PIN was created with: key id and public key.
    device_key: Option<(String, Vec<u8>)>,
}

#[derive(Debug, Default)]
struct State {
    account_tokens: Tokens,
    transient_tokens: Tokens,
    /// Tokens of the media server, as `/api/v2/resources` hands them out.
    server_tokens: Tokens,
    pins: Vec<FakePin>,
    next_pin: i64,
    /// The connections `/api/v2/resources` lists; by default the media server's own URL.
    connections: Option<Vec<FakeConnection>>,
    media_server_url: String,
    /// Registered device keys: client identifier, key id, public key.
    device_keys: Vec<(String, String, Vec<u8>)>,
    /// Nonces handed out and not used yet.
    nonces: Vec<String>,
    jwt_exchanges: usize,
    /// Pings of `/api/v2/ping` answered 200.
    pings: usize,
    /// Rotations of the signing key (the current key is number `rotations + 1`).
    rotations: u8,
    /// The status pings are answered with instead of 200 ([`PlexFake::fail_pings`]).
    ping_failure: Option<u16>,
}

/// The fake plex.tv and media server.
#[derive(Debug)]
pub struct PlexFake {
    config: PlexConfig,
    state: auth_core::testing::State<State>,
    plex_tv: Routes<PlexFake>,
    media_server: Routes<PlexFake>,
}

/// The two servers of the Plex fake.
#[derive(Debug)]
pub struct PlexServers {
    /// plex.tv; its API lives under `/api/v2`, as plex.tv's does.
    pub plex_tv: Server,
    /// The media server.
    pub media_server: Server,
}

/// A builder of this crate's [`Client`](crate::Client) sending `identity`, pointed at the fakes
/// for every server the crate has ([`Server::PlexTv`](crate::Server::PlexTv) and
/// [`Server::PlexClients`](crate::Server::PlexClients) at the fake plex.tv,
/// [`Server::MediaServer`](crate::Server::MediaServer) at the fake media server), limited to
/// `127.0.0.1` ([`ClientBuilder::only_hosts`]): a request anywhere else, a connection that
/// `/resources` lists included, fails with [`Error::HostNotAllowed`](crate::Error::HostNotAllowed),
/// so a test never reaches plex.tv. Set timeouts, retries and the rest on it, then `build()`.
pub fn builder(
    servers: &PlexServers,
    identity: &crate::ClientIdentity,
) -> ClientBuilder<crate::Client> {
    let plex_tv = format!("{}/api/v2", servers.plex_tv.url());
    identity
        .builder()
        .server_url(crate::Server::PlexTv, &plex_tv)
        .server_url(crate::Server::PlexClients, plex_tv)
        .server_url(crate::Server::MediaServer, servers.media_server.url())
        .only_hosts(["127.0.0.1"])
}

/// The JSON of part `index` of `jwt` (0: the header, 1: the claims); `null` when it is none.
fn jwt_part(jwt: &str, index: usize) -> Value {
    jwt.split('.')
        .nth(index)
        .and_then(|part| URL_SAFE_NO_PAD.decode(part).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(Value::Null)
}

/// The Ed25519 key of `seed`.
fn key_pair(seed: &[u8; 32]) -> ring::signature::Ed25519KeyPair {
    ring::signature::Ed25519KeyPair::from_seed_unchecked(seed)
        .expect("a 32-byte seed is an Ed25519 key")
}

/// A device key as a request's `jwk` gives it: its key id and 32-byte Ed25519 public key, or
/// plex.tv's 400 (the same checks for `/auth/jwk` and a PIN's `jwk`).
fn device_jwk(jwk: &Value) -> Result<(String, Vec<u8>), Reply> {
    let public = jwk["x"]
        .as_str()
        .and_then(|x| URL_SAFE_NO_PAD.decode(x).ok())
        .filter(|bytes| bytes.len() == 32);
    let (Some(kid), Some(public)) = (jwk["kid"].as_str(), public) else {
        return Err(errors(400, 1000, "jwk needs kid and a 32-byte Ed25519 x"));
    };
    if jwk["kty"] != "OKP" || jwk["crv"] != "Ed25519" {
        return Err(errors(400, 1000, "only Ed25519 keys"));
    }
    Ok((kid.to_owned(), public))
}

/// The fake's signing key after `rotations` rotations: its key id and seed.
fn signing_key(rotations: u8) -> (String, [u8; 32]) {
    (
        format!("fake-plex-{}", u16::from(rotations) + 1),
        [0x5a ^ rotations; 32],
    )
}

fn errors(status: u16, code: u32, message: &str) -> Reply {
    Reply::json(
        status,
        json!({"errors": [{"code": code, "message": message, "status": status}]}),
    )
}

impl PlexFake {
    /// Starts plex.tv and a media server.
    pub async fn start(config: PlexConfig) -> std::io::Result<(Arc<PlexFake>, PlexServers)> {
        let fake = Arc::new(PlexFake {
            config,
            state: auth_core::testing::State::default(),
            plex_tv: plex_tv_routes(),
            media_server: media_server_routes(),
        });
        let plex_tv = Server::start(Arc::new(PlexTv(fake.clone()))).await?;
        let media_server = Server::start(Arc::new(MediaServer(fake.clone()))).await?;
        fake.state().media_server_url = media_server.url();
        Ok((
            fake,
            PlexServers {
                plex_tv,
                media_server,
            },
        ))
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }

    /// Approves every pending PIN now, as if the user had entered its code.
    pub fn approve_pins(&self) {
        for pin in &mut self.state().pins {
            pin.approved = true;
        }
    }

    /// Lists `connections` for the media server in `/api/v2/resources`, in this order.
    pub fn set_connections(&self, connections: Vec<FakeConnection>) {
        self.state().connections = Some(connections);
    }

    /// How many signed device JWTs it exchanged for Plex tokens.
    pub fn jwt_exchanges(&self) -> usize {
        self.state().jwt_exchanges
    }

    /// Starts signing Plex JWTs with a new key (published beside the old ones), as plex.tv
    /// rotating its keys would.
    pub fn rotate_signing_key(&self) {
        let mut state = self.state();
        state.rotations = state.rotations.saturating_add(1);
    }

    /// A Plex JWT such as `/api/v2/auth/token` answers, for the client `client_identifier` and
    /// the device key `thumbprint`, signed with the current key (and the configured fault).
    pub fn sign_plex_jwt(&self, client_identifier: &str, thumbprint: &str) -> auth_core::Secret {
        let lifetime = self.config.jwt_lifetime;
        auth_core::Secret::new(self.plex_jwt(client_identifier, thumbprint, lifetime))
    }

    /// A Plex JWT: EdDSA over `header.claims` with the fake's signing key, the claims plex.tv
    /// sets (`iss`, `aud`, `iat`, `exp`, `thumbprint`, `user`), and the configured fault.
    fn plex_jwt(&self, client_identifier: &str, thumbprint: &str, lifetime: Duration) -> String {
        let fault = self.config.plex_jwt_fault;
        let rotations = self.state().rotations;
        let (kid, seed) = match fault {
            Some(PlexJwtFault::UnpublishedKey) => ("fake-plex-unpublished".to_owned(), [0xee; 32]),
            _ => signing_key(rotations),
        };
        let alg = if fault == Some(PlexJwtFault::Unsigned) {
            "none"
        } else {
            "EdDSA"
        };
        let now = unix_seconds();
        let mut claims = json!({
            "iss": "plex.tv", "aud": ["plex.tv", client_identifier], "iat": now,
            "exp": now + lifetime.as_secs(), "thumbprint": thumbprint,
            "user": {"id": 4242, "uuid": "f4ke0000u5er", "username": "fake"},
            "jti": random_hex(),
        });
        match fault {
            Some(PlexJwtFault::WrongAudience) => claims["aud"] = json!(["another-client"]),
            Some(PlexJwtFault::WrongIssuer) => claims["iss"] = json!("evil.example"),
            Some(PlexJwtFault::Expired) => claims["exp"] = json!(now - 60),
            _ => {}
        }
        let header = json!({"kid": kid, "typ": "JWT", "alg": alg});
        let mut jwt = URL_SAFE_NO_PAD.encode(header.to_string());
        jwt.push('.');
        jwt.push_str(&URL_SAFE_NO_PAD.encode(claims.to_string()));
        let signature = key_pair(&seed).sign(jwt.as_bytes());
        if fault == Some(PlexJwtFault::BadSignature) {
            claims["exp"] = json!(now + lifetime.as_secs() * 2);
            let (header, _) = jwt.split_once('.').unwrap_or_default();
            jwt = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
        }
        jwt.push('.');
        jwt.push_str(&URL_SAFE_NO_PAD.encode(signature.as_ref()));
        jwt
    }

    /// `GET /api/v2/auth/keys`: every signing key it has used, newest last.
    fn signing_keys(&self) -> Reply {
        use ring::signature::KeyPair as _;
        let rotations = self.state().rotations;
        let keys: Vec<Value> = (0..=rotations)
            .map(|rotation| {
                let (kid, seed) = signing_key(rotation);
                let public = URL_SAFE_NO_PAD.encode(key_pair(&seed).public_key().as_ref());
                json!({"kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA", "kid": kid,
                       "x": public})
            })
            .collect();
        Reply::json(200, json!({"keys": keys}))
    }

    /// Answers every ping with `status` (and Plex's error body) from now on; `None`: 200 again.
    pub fn fail_pings(&self, status: Option<u16>) {
        self.state().ping_failure = status;
    }

    /// How many pings (`GET /api/v2/ping`) it answered 200.
    pub fn pings(&self) -> usize {
        self.state().pings
    }

    /// Invalidates every account token it issued, as signing out every device would.
    pub fn revoke_account_tokens(&self) {
        self.state().account_tokens.expire_all();
    }

    /// The Home's users, as `GET /api/v2/home/users` lists them: the admin (the fake's account,
    /// `f4ke0000u5er`), a managed user without a PIN ("Guest Room", `9a5e000000000002`) and a
    /// protected managed user whose PIN is [`PlexConfig::home_user_pin`] ("Kid",
    /// `9a5e000000000003`).
    pub fn home_users() -> Value {
        json!([
            {"id": 4242, "uuid": "f4ke0000u5er", "title": "fake", "username": "fake",
             "email": "user@example.org", "friendlyName": "Fake User",
             "thumb": "https://plex.tv/users/fake/avatar", "hasPassword": true,
             "restricted": false, "updatedAt": 1764000000, "admin": true, "guest": false,
             "protected": false},
            {"id": 4243, "uuid": "9a5e000000000002", "title": "Guest Room", "username": null,
             "email": null, "friendlyName": null,
             "thumb": "https://plex.tv/users/9a5e000000000002/avatar", "hasPassword": false,
             "restricted": true, "updatedAt": null, "admin": false, "guest": false,
             "protected": false},
            {"id": 4244, "uuid": "9a5e000000000003", "title": "Kid", "username": null,
             "email": null, "friendlyName": null,
             "thumb": "https://plex.tv/users/9a5e000000000003/avatar", "hasPassword": false,
             "restricted": true, "updatedAt": 1764000000, "admin": false, "guest": false,
             "protected": true}
        ])
    }

    /// `POST /api/v2/home/users/{uuid}/switch`: a new token of that Home user (an account token
    /// like any other here), with its PIN when the user is protected (403, code 1041 without it
    /// or with a wrong one, as plex.tv answers).
    fn switch_home_user(&self, request: &Request, uuid: &str) -> Reply {
        let users = Self::home_users();
        let Some(user) = users
            .as_array()
            .and_then(|users| users.iter().find(|user| user["uuid"] == uuid))
        else {
            return errors(404, 1002, "no such Home user");
        };
        if user["protected"] == true && request.query("pin") != Some(&self.config.home_user_pin) {
            return errors(403, 1041, "Invalid PIN");
        }
        let token = self
            .state()
            .account_tokens
            .issue(random_hex(), Duration::from_secs(86_400 * 365));
        let mut account = user.clone();
        for field in ["admin", "guest", "restricted", "updatedAt", "friendlyName"] {
            if let Some(object) = account.as_object_mut() {
                object.remove(field);
            }
        }
        account["authToken"] = Value::String(token);
        account["home"] = Value::Bool(true);
        account["homeSize"] = json!(3);
        account["profile"] = json!({"autoSelectAudio": true, "defaultAudioLanguages": "en,sv"});
        Reply::json(201, account)
    }

    /// Forgets every registered device key, as revoking the devices at plex.tv would.
    pub fn revoke_device_keys(&self) {
        self.state().device_keys.clear();
    }

    /// `POST /api/v2/auth/jwk`: registers the device's public key under its client identifier,
    /// for a caller with a valid account token.
    fn register_jwk(&self, request: &Request) -> Reply {
        let client_identifier = request
            .header("x-plex-client-identifier")
            .unwrap_or_default()
            .to_owned();
        let mut state = self.state();
        if !state.account_tokens.valid(request.header("x-plex-token")) {
            return errors(401, 1001, "User could not be authenticated");
        }
        let (kid, public) = match device_jwk(&request.json()["jwk"]) {
            Ok(key) => key,
            Err(refused) => return refused,
        };
        if state.device_keys.iter().any(|(_, known, _)| *known == kid) {
            return errors(422, 1000, "key already registered");
        }
        state.device_keys.push((client_identifier, kid, public));
        Reply::empty(201)
    }

    /// `POST /api/v2/auth/token`: checks the device JWT ([`PlexFake::device_jwt_valid`]) with
    /// the registered key it names, and answers a Plex token.
    fn exchange_jwt(&self, request: &Request) -> Reply {
        let rejected = || errors(401, 1001, "the device JWT was not accepted");
        let body = request.json();
        let Some(jwt) = body["jwt"].as_str() else {
            return errors(400, 1000, "jwt is missing");
        };
        let kid = jwt_part(jwt, 0)["kid"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let known = (self.state().device_keys.iter())
            .find(|(_, known, _)| *known == kid)
            .cloned();
        let Some((client_identifier, _, public)) = known else {
            return rejected();
        };
        if !self.device_jwt_valid(jwt, &public, &client_identifier, true) {
            return rejected();
        }
        self.state().jwt_exchanges += 1;
        let token = self.issue_plex_jwt(&client_identifier, &kid);
        Reply::json(200, json!({"auth_token": token}))
    }

    /// A Plex JWT for the device key `kid` of `client_identifier`, valid as an account token.
    fn issue_plex_jwt(&self, client_identifier: &str, kid: &str) -> String {
        let lifetime = self.config.jwt_lifetime;
        let jwt = self.plex_jwt(client_identifier, kid, lifetime);
        self.state().account_tokens.issue(jwt, lifetime)
    }

    /// Whether `jwt` is a device JWT as plex.tv wants one: signed with `public` (verified by
    /// ring, not by the client's library), EdDSA, over a nonce the fake handed out (used up
    /// here when `use_nonce`), `aud` plex.tv, `iss` the device's client identifier, not expired.
    fn device_jwt_valid(
        &self,
        jwt: &str,
        public: &[u8],
        client_identifier: &str,
        use_nonce: bool,
    ) -> bool {
        let Some((signed, signature)) = jwt.rsplit_once('.') else {
            return false;
        };
        let verified = URL_SAFE_NO_PAD.decode(signature).is_ok_and(|signature| {
            ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, public)
                .verify(signed.as_bytes(), &signature)
                .is_ok()
        });
        let (header, claims) = (jwt_part(jwt, 0), jwt_part(jwt, 1));
        let mut state = self.state();
        let nonce = claims["nonce"].as_str().unwrap_or_default();
        let fresh_nonce = state.nonces.iter().position(|known| known == nonce);
        let valid = verified
            && header["alg"] == "EdDSA"
            && fresh_nonce.is_some()
            && claims["aud"] == "plex.tv"
            && claims["iss"].as_str() == Some(client_identifier)
            && claims["exp"]
                .as_u64()
                .is_some_and(|exp| exp > unix_seconds());
        if let (true, true, Some(index)) = (valid, use_nonce, fresh_nonce) {
            state.nonces.swap_remove(index);
        }
        valid
    }

    /// `POST /api/v2/pins`: a PIN tied to the caller's client identifier.
    fn create_pin(&self, request: &Request) -> Reply {
        let client_identifier = request
            .header("x-plex-client-identifier")
            .unwrap_or_default()
            .to_owned();
        let body = request.json();
        let strong = request.query("strong") == Some("true") || body["strong"] == true;
        let device_key = match &body["jwk"] {
            Value::Null => None,
            jwk => match device_jwk(jwk) {
                Ok(key) => Some(key),
                Err(refused) => return refused,
            },
        };
        let code: String = random_hex()
            .to_uppercase()
            .chars()
            .filter(|c| c.is_ascii_alphabetic() || strong)
            .chain(std::iter::repeat('X'))
            .take(if strong { 25 } else { 4 })
            .collect();
        let mut state = self.state();
        state.next_pin += 1;
        let pin = FakePin {
            id: 1_000_000 + state.next_pin,
            code,
            client_identifier,
            expires: SystemTime::now() + self.config.pin_lifetime,
            polls: 0,
            approved: false,
            token: None,
            device_key,
        };
        let answer = self.pin_json(&pin);
        state.pins.push(pin);
        Reply::json(201, answer)
    }

    /// `GET /api/v2/pins/{id}`: the PIN, with a token once approved; 404 when expired or asked
    /// for with another client identifier.
    fn check_pin(&self, request: &Request, id: &str) -> Reply {
        let client_identifier = request
            .header("x-plex-client-identifier")
            .unwrap_or_default();
        let mut state = self.state();
        let now = SystemTime::now();
        state.pins.retain(|pin| pin.expires > now);
        let Some(index) = state
            .pins
            .iter()
            .position(|pin| pin.id.to_string() == id && pin.client_identifier == client_identifier)
        else {
            return errors(404, 1020, "Code not found or expired");
        };
        let approve_on = self.config.pin_approved_after_polls;
        let pin = &mut state.pins[index];
        let pin_id = pin.id;
        let device_key = pin.device_key.clone();
        drop(state);
        // A PIN with a device key is polled with a device JWT signed by that key, every time
        // (its nonce used up only when the poll mints the token: python-plexapi polls with one
        // device JWT throughout).
        if let Some((_, public)) = &device_key {
            let signed = request.query("deviceJWT").unwrap_or_default();
            if !self.device_jwt_valid(signed, public, client_identifier, false) {
                return errors(401, 1001, "the device JWT was not accepted");
            }
        }
        let mut state = self.state();
        let Some(pin) = state.pins.iter_mut().find(|pin| pin.id == pin_id) else {
            return errors(404, 1020, "Code not found or expired");
        };
        pin.polls += 1;
        let approved = pin.approved || approve_on.is_some_and(|polls| pin.polls >= polls);
        let needs_token = approved && pin.token.is_none();
        drop(state);
        let token = match (needs_token, device_key) {
            (false, _) => None,
            (true, None) => Some(
                self.state()
                    .account_tokens
                    .issue(random_hex(), Duration::from_secs(86_400 * 365)),
            ),
            // A Plex JWT, and the key registered from then on, as if posted to /auth/jwk.
            (true, Some((kid, public))) => {
                let signed = request.query("deviceJWT").unwrap_or_default();
                if !self.device_jwt_valid(signed, &public, client_identifier, true) {
                    return errors(401, 1001, "the device JWT was not accepted");
                }
                let mut state = self.state();
                if !state.device_keys.iter().any(|(_, known, _)| *known == kid) {
                    state
                        .device_keys
                        .push((client_identifier.to_owned(), kid.clone(), public));
                }
                drop(state);
                Some(self.issue_plex_jwt(client_identifier, &kid))
            }
        };
        let mut state = self.state();
        let Some(pin) = state.pins.iter_mut().find(|pin| pin.id == pin_id) else {
            return errors(404, 1020, "Code not found or expired");
        };
        if let Some(token) = token {
            pin.token = Some(token);
        }
        let answer = self.pin_json(pin);
        Reply::json(200, answer)
    }

    fn pin_json(&self, pin: &FakePin) -> Value {
        let left = pin
            .expires
            .duration_since(SystemTime::now())
            .unwrap_or_default()
            .as_secs();
        json!({
            "id": pin.id, "code": pin.code, "product": "auth-client", "trusted": false,
            "qr": format!("https://plex.tv/api/v2/pins/qr/{}", pin.code),
            "clientIdentifier": pin.client_identifier, "location": {"code": "NO"},
            "expiresIn": left, "createdAt": "2026-11-29T10:00:00Z",
            "expiresAt": "2026-11-29T10:15:00Z", "authToken": pin.token,
            "newRegistration": null
        })
    }

    /// `GET /api/v2/resources`: the account's media server, with a token of its own.
    fn list_resources(&self) -> Reply {
        let mut state = self.state();
        let token = state.server_tokens.issue(
            format!("server-{}", random_hex()),
            Duration::from_secs(86_400),
        );
        let connections = state.connections.clone().unwrap_or_else(|| {
            vec![FakeConnection {
                uri: state.media_server_url.clone(),
                local: true,
                relay: false,
            }]
        });
        let connections: Vec<Value> = connections
            .iter()
            .map(|connection| {
                let (protocol, rest) = connection.uri.split_once("://").unwrap_or(("http", ""));
                let (address, port) = rest.rsplit_once(':').unwrap_or((rest, "32400"));
                json!({
                    "protocol": protocol, "address": address,
                    "port": port.trim_end_matches('/').parse::<u16>().unwrap_or(32400),
                    "uri": connection.uri, "local": connection.local, "relay": connection.relay,
                    "IPv6": false
                })
            })
            .collect();
        Reply::json(
            200,
            json!([
                {
                    "name": "Fake Server", "product": "Plex Media Server", "productVersion": "1.41.0",
                    "platform": "Linux", "platformVersion": "6.1", "device": "PC",
                    "clientIdentifier": "fake-machine", "createdAt": "2020-01-01T00:00:00Z",
                    "lastSeenAt": "2026-11-29T10:00:00Z", "provides": "server", "ownerId": null,
                    "sourceTitle": null, "publicAddress": "203.0.113.7", "accessToken": token,
                    "owned": true, "home": false, "synced": false, "relay": true, "presence": true,
                    "httpsRequired": false, "publicAddressMatches": true,
                    "dnsRebindingProtection": false, "natLoopbackSupported": false,
                    "connections": connections
                },
                {
                    "name": "Fake Player", "product": "Plex for Linux", "productVersion": "1.0",
                    "platform": "Linux", "clientIdentifier": "fake-player", "provides": "client,player",
                    "owned": true, "presence": false, "connections": []
                }
            ]),
        )
    }

    fn account(&self, token: &str) -> Value {
        let mut account = self.account_as_documented(token);
        if self.config.home_user_nulls {
            account["rememberExpiresAt"] = Value::Null;
            account["subscription"]["subscribedAt"] = Value::Null;
            account["services"] = json!([{"identifier": "community",
                "endpoint": "https://community.plex.tv", "token": null, "secret": null,
                "status": "online"}]);
        }
        account
    }

    fn account_as_documented(&self, token: &str) -> Value {
        json!({
            "adsConsent": null, "adsConsentReminderAt": null, "adsConsentSetAt": null,
            "anonymous": false, "authToken": token, "backupCodesCreated": false, "confirmed": true,
            "country": "NO", "email": self.config.login, "emailOnlyAuth": false,
            "experimentalFeatures": false, "friendlyName": "Fake User", "entitlements": [],
            "guest": false, "hasPassword": true, "home": false, "homeAdmin": false, "homeSize": 1,
            "id": 4242, "joinedAt": 1556281940, "locale": null, "mailingListActive": false,
            "mailingListStatus": "unsubscribed", "maxHomeSize": 15,
            "profile": {"autoSelectAudio": true, "defaultAudioLanguage": null,
                        "defaultSubtitleLanguage": null, "autoSelectSubtitle": 0,
                        "defaultSubtitleAccessibility": 0, "defaultSubtitleForced": 0,
                        "watchedIndicator": 1, "mediaReviewsVisibility": 0},
            "protected": false, "rememberExpiresAt": 1893456000, "restricted": false,
            "scrobbleTypes": "", "services": [],
            "subscription": {"active": false, "status": "Inactive", "features": []},
            "subscriptionDescription": null, "thumb": "https://plex.tv/users/fake/avatar",
            "title": "fake", "twoFactorEnabled": self.config.two_factor_code.is_some(),
            "username": "fake", "uuid": "f4ke0000u5er", "attributionPartner": null
        })
    }

    fn sign_in(&self, request: &Request) -> Reply {
        let login = request.form("login");
        let password = request.form("password");
        if login.as_deref() != Some(self.config.login.as_str())
            || password.as_deref() != Some(self.config.password.as_str())
        {
            return errors(401, 1001, "User could not be authenticated");
        }
        if let Some(code) = &self.config.two_factor_code
            && request.form("verificationCode").as_deref() != Some(code.as_str())
        {
            return errors(401, 1029, "Please enter the verification code");
        }
        let token = self
            .state()
            .account_tokens
            .issue(random_hex(), Duration::from_secs(86_400 * 365));
        let mut account = self.account(&token);
        account["pastSubscriptions"] = json!([]);
        account["trials"] = json!([]);
        Reply::json(201, account)
    }

    fn transient_token(&self, request: &Request) -> Reply {
        if request.query("type") != Some("delegation") || request.query("scope") != Some("all") {
            return errors(400, 1000, "type must be delegation and scope all");
        }
        let token = self.state().transient_tokens.issue(
            format!("transient-{}", random_hex()),
            Duration::from_secs(48 * 3600),
        );
        if request
            .header("accept")
            .is_some_and(|accept| accept.contains("application/json"))
        {
            Reply::json(200, json!({"MediaContainer": {"size": 0, "token": token}}))
        } else {
            Reply::text(
                200,
                "application/xml",
                format!(r#"<MediaContainer size="0" token="{token}"/>"#),
            )
        }
    }

    fn resources(&self, request: &Request) -> Reply {
        let Some(source) = request.query("source").filter(|s| s.contains("://")) else {
            return errors(400, 1000, "source is missing or has no prefix");
        };
        let token = self
            .state()
            .transient_tokens
            .issue(random_hex(), Duration::from_secs(48 * 3600));
        Reply::json(
            200,
            json!({"MediaContainer": {"size": 1, "Device": [{
                "name": "fake-shared-server", "product": "Plex Media Server", "productVersion": "1.40.0",
                "platform": "Linux", "clientIdentifier": source.split("://").nth(1), "provides": "server",
                "accessToken": token,
                "Connection": [{"protocol": "http", "address": "127.0.0.1", "port": 32400,
                                 "uri": "http://127.0.0.1:32400", "local": true, "relay": false}]
            }]}}),
        )
    }
}

/// plex.tv, as the fake serves it.
struct PlexTv(Arc<PlexFake>);

/// The media server, as the fake serves it: its own routes, on a server of its own.
struct MediaServer(Arc<PlexFake>);

impl Handler for PlexTv {
    fn is_token_request(&self, request: &Request) -> bool {
        request.method == "POST" && request.path == "/api/v2/users/signin"
    }

    fn handle(&self, request: &Request) -> Reply {
        self.0.answer(&self.0.plex_tv, request)
    }

    fn route(&self, request: &Request) -> Option<&'static str> {
        self.0.plex_tv.pattern(&request.method, &request.path)
    }
}

impl Handler for MediaServer {
    fn handle(&self, request: &Request) -> Reply {
        self.0.answer(&self.0.media_server, request)
    }

    fn route(&self, request: &Request) -> Option<&'static str> {
        self.0.media_server.pattern(&request.method, &request.path)
    }
}

/// Plex's error body for a request no route answers.
fn missed(_: &Request, miss: Miss) -> Reply {
    match miss {
        Miss::NotFound => errors(404, 1002, "no such resource"),
        Miss::MethodNotAllowed => errors(405, 1000, "method not allowed"),
    }
}

/// plex.tv's routes (under `/api/v2`).
fn plex_tv_routes() -> Routes<PlexFake> {
    Routes::<PlexFake>::new(missed)
        .route("POST", "/api/v2/users/signin", |fake, request, _| {
            fake.sign_in(request)
        })
        .route("GET", "/api/v2/pins/{id}", |fake, request, params| {
            fake.check_pin(request, params.get("id"))
        })
        .route("POST", "/api/v2/pins", |fake, request, _| {
            fake.create_pin(request)
        })
        .route("POST", "/api/v2/auth/jwk", |fake, request, _| {
            fake.register_jwk(request)
        })
        .route("GET", "/api/v2/auth/nonce", |fake, _, _| {
            let nonce = random_hex();
            fake.state().nonces.push(nonce.clone());
            Reply::json(200, json!({"nonce": nonce}))
        })
        .route("POST", "/api/v2/auth/token", |fake, request, _| {
            fake.exchange_jwt(request)
        })
        .route("GET", "/api/v2/auth/keys", |fake, _, _| fake.signing_keys())
        .route("GET", "/api/v2/resources", |fake, request, _| {
            fake.for_account(request, |fake, _| fake.list_resources())
        })
        .route("GET", "/api/v2/home/users", |fake, request, _| {
            fake.for_account(request, |_, _| {
                Reply::json(
                    200,
                    json!({"id": 77, "name": "Fake Home", "guestUserID": null,
                           "guestEnabled": false, "subscription": false,
                           "users": PlexFake::home_users()}),
                )
            })
        })
        .route(
            "POST",
            "/api/v2/home/users/{uuid}/switch",
            |fake, request, params| {
                fake.for_account(request, |fake, _| {
                    fake.switch_home_user(request, params.get("uuid"))
                })
            },
        )
        .route("GET", "/api/v2/ping", |fake, request, _| {
            fake.for_account(request, |fake, _| {
                // No public source records the body (python-plexapi reads its XML text as a
                // boolean), and the client does not read it: none here.
                let mut state = fake.state();
                if let Some(status) = state.ping_failure {
                    return errors(status, 1000, "the ping failed");
                }
                state.pings += 1;
                Reply::empty(200)
            })
        })
        .route("DELETE", "/api/v2/users/signout", |fake, request, _| {
            fake.for_account(request, |fake, token| {
                fake.state().account_tokens.revoke(token);
                Reply::empty(204)
            })
        })
        .route("GET", "/api/v2/user", |fake, request, _| {
            fake.for_account(request, |fake, token| Reply::json(200, fake.account(token)))
        })
}

/// The media server's routes.
fn media_server_routes() -> Routes<PlexFake> {
    Routes::<PlexFake>::new(missed)
        .route("GET", "/", |fake, request, _| {
            fake.for_server(request, |_| {
                Reply::json(
                    200,
                    json!({"MediaContainer": {"size": 0, "friendlyName": "Fake Server", "machineIdentifier": "fake-machine"}}),
                )
            })
        })
        .route("GET", "/library/sections", |fake, request, _| {
            fake.for_server(request, |_| {
                Reply::json(
                    200,
                    json!({"MediaContainer": {"size": 2, "allowSync": false, "title1": "Plex Library", "Directory": [
                        {"key": "1", "type": "movie", "title": "Movies", "agent": "tv.plex.agents.movie", "language": "en-US", "uuid": "2f3f1e1a-0001"},
                        {"key": "2", "type": "show", "title": "TV Shows", "agent": "tv.plex.agents.series", "language": "en-US", "uuid": "2f3f1e1a-0002"}
                    ]}}),
                )
            })
        })
        .route("GET", "/security/token", |fake, request, _| {
            fake.for_server(request, |fake| fake.transient_token(request))
        })
        .route("GET", "/security/resources", |fake, request, _| {
            fake.for_server(request, |fake| fake.resources(request))
        })
}

impl PlexFake {
    /// `routes`' answer to `request`, which every Plex server refuses without a client
    /// identifier.
    fn answer(&self, routes: &Routes<PlexFake>, request: &Request) -> Reply {
        if request.header("x-plex-client-identifier").is_none() {
            return errors(400, 1000, "X-Plex-Client-Identifier is missing");
        }
        routes.answer(self, request)
    }

    /// `answer` for a request with a valid account token (plex.tv's 401 otherwise).
    fn for_account(&self, request: &Request, answer: impl FnOnce(&Self, &str) -> Reply) -> Reply {
        let token = request.header("x-plex-token");
        if !self.state().account_tokens.valid(token) {
            return self
                .config
                .plex_tv_rejected_token_answer
                .clone()
                .unwrap_or_else(|| errors(401, 1001, "User could not be authenticated"));
        }
        answer(self, token.unwrap_or_default())
    }

    /// `answer` for a request with a token the media server accepts: the account's, a
    /// transient one or the server's own (its 401 otherwise).
    fn for_server(&self, request: &Request, answer: impl FnOnce(&Self) -> Reply) -> Reply {
        let token = request.header("x-plex-token");
        let state = self.state();
        let allowed = state.account_tokens.valid(token)
            || state.transient_tokens.valid(token)
            || state.server_tokens.valid(token);
        drop(state);
        if !allowed {
            return self
                .config
                .media_server_rejected_token_answer
                .clone()
                .unwrap_or_else(|| errors(401, 1001, "User could not be authenticated"));
        }
        answer(self)
    }
}
