//! A local, stateful fake of plex.tv's account service and of a Plex Media Server sharing one
//! account, for your own tests (the `testing` feature), served on 127.0.0.1: sign-in with an
//! optional two-factor code, token details, transient tokens, and the media server's library
//! sections. Both refuse requests without `X-Plex-Client-Identifier`. Each [`Server`] keeps a
//! log of the requests and can make token requests fail.
//!
//! ```
//! use plex_auth::testing::{PlexConfig, PlexFake};
//! use plex_auth::{Client, ClientIdentity, LoginOutcome, Method, Server};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = PlexConfig { two_factor_code: None, ..PlexConfig::default() };
//! let (_fake, servers) = PlexFake::start(config.clone()).await?;
//! let client = Client::from(
//!     ClientIdentity::new("test-install")
//!         .builder()
//!         .server_url(Server::PlexTv, format!("{}/api/v2", servers.plex_tv.url()))
//!         .server_url(Server::MediaServer, servers.media_server.url())
//!         .build()?,
//! );
//! let LoginOutcome::LoggedIn(logged_in) = client.login(&config.login, config.password.clone()).await?
//! else {
//!     panic!("no two-factor code configured");
//! };
//! let sections = logged_in.client.request(Method::GET, "/library/sections").send().await?;
//! assert_eq!(sections.status(), 200);
//! # Ok(())
//! # }
//! ```

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::{Value, json};

use auth_core::testing::{Handler, Reply, Request, Server, Tokens, random_hex};

/// The fake's account.
#[derive(Debug, Clone)]
pub struct PlexConfig {
    /// The login (e-mail address).
    pub login: String,
    /// The password.
    pub password: String,
    /// The two-factor code the account wants, if it has two-factor authentication.
    pub two_factor_code: Option<String>,
    /// The account's `rememberExpiresAt` is null, as for Plex Home users.
    pub home_user_nulls: bool,
    /// plex.tv's answer to a bad token (`None`: a 401 with Plex's JSON error 1001). plex.tv's
    /// real one is sometimes a 422 with an XML body.
    pub plex_tv_rejected_token_answer: Option<Reply>,
    /// The media server's answer to a bad token (`None`: a 401 with Plex's JSON error 1001).
    /// A real media server answers a 401 with an HTML page.
    pub media_server_rejected_token_answer: Option<Reply>,
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
        }
    }
}

#[derive(Debug, Default)]
struct State {
    account_tokens: Tokens,
    transient_tokens: Tokens,
}

/// The fake plex.tv and media server.
#[derive(Debug)]
pub struct PlexFake {
    config: PlexConfig,
    state: Mutex<State>,
}

/// The two servers of the Plex fake.
#[derive(Debug)]
pub struct PlexServers {
    /// plex.tv; its API lives under `/api/v2`, as plex.tv's does.
    pub plex_tv: Server,
    /// The media server.
    pub media_server: Server,
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
            state: Mutex::new(State::default()),
        });
        let plex_tv = Server::start(fake.clone()).await?;
        let media_server = Server::start(fake.clone()).await?;
        Ok((
            fake,
            PlexServers {
                plex_tv,
                media_server,
            },
        ))
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn account(&self, token: &str) -> Value {
        let mut account = self.account_as_documented(token);
        if self.config.home_user_nulls {
            account["rememberExpiresAt"] = Value::Null;
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

impl Handler for PlexFake {
    fn is_token_request(&self, request: &Request) -> bool {
        request.method == "POST" && request.path == "/api/v2/users/signin"
    }

    fn handle(&self, request: &Request) -> Reply {
        if request.header("x-plex-client-identifier").is_none() {
            return errors(400, 1000, "X-Plex-Client-Identifier is missing");
        }
        let path = request.path.as_str();
        if (request.method.as_str(), path) == ("POST", "/api/v2/users/signin") {
            return self.sign_in(request);
        }
        let token = request.header("x-plex-token");
        let state = self.state();
        let account = state.account_tokens.valid(token);
        let allowed = account || state.transient_tokens.valid(token);
        drop(state);
        match (request.method.as_str(), path) {
            ("GET", "/api/v2/user") if account => {
                Reply::json(200, self.account(token.unwrap_or_default()))
            }
            ("GET", "/library/sections") if allowed => Reply::json(
                200,
                json!({"MediaContainer": {"size": 2, "allowSync": false, "title1": "Plex Library", "Directory": [
                    {"key": "1", "type": "movie", "title": "Movies", "agent": "tv.plex.agents.movie", "language": "en-US", "uuid": "2f3f1e1a-0001"},
                    {"key": "2", "type": "show", "title": "TV Shows", "agent": "tv.plex.agents.series", "language": "en-US", "uuid": "2f3f1e1a-0002"}
                ]}}),
            ),
            ("GET", "/security/token") if allowed => self.transient_token(request),
            ("GET", "/security/resources") if allowed => self.resources(request),
            ("GET", "/api/v2/user") => self
                .config
                .plex_tv_rejected_token_answer
                .clone()
                .unwrap_or_else(|| errors(401, 1001, "User could not be authenticated")),
            ("GET", "/security/token" | "/security/resources" | "/library/sections") => self
                .config
                .media_server_rejected_token_answer
                .clone()
                .unwrap_or_else(|| errors(401, 1001, "User could not be authenticated")),
            _ => errors(404, 1002, "no such resource"),
        }
    }
}
