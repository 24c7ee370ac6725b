//! The tour: every operation of every vendor through the public client API, MFA flows included,
//! against the local fakes, or against the servers that environment variables name.

use std::env;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use auth_core::{Credentials, ErrorMetadata, Secret};
use dintero_auth::RecoveryOutcome;
use dintero_auth::models::{MfaRecovery, OobChannel, PasswordGrant};
use emnify_auth::models::{CreateApplicationTokenRequest, IdRef, UpdateApplicationTokenRequest};
use emnify_auth::{ApplicationToken, LoginOutcome};
use plex_auth::ClientIdentity;
use plex_auth::models::{TransientTokenScope, TransientTokenType};

use crate::fakes::dintero::{DinteroConfig, DinteroFake};
use crate::fakes::emnify::{EmnifyConfig, EmnifyFake};
use crate::fakes::plex::{PlexConfig, PlexFake};
use crate::fakes::{Server, unix_now};

pub mod shell;

/// One step of the tour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// `emnify`, `dintero` or `plex`.
    pub vendor: &'static str,
    /// The operation's method name.
    pub operation: &'static str,
    /// The HTTP status, when a response came.
    pub status: Option<u16>,
    /// What happened.
    pub outcome: String,
    /// Whether the step did what it should.
    pub ok: bool,
}

impl fmt::Display for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.status.map_or("-".to_owned(), |s| s.to_string());
        let mark = if self.ok { "ok  " } else { "FAIL" };
        write!(
            f,
            "{mark} {:<8} {:<58} {:>6}  {}",
            self.vendor, self.operation, status, self.outcome
        )
    }
}

/// The rows of a tour.
#[derive(Debug, Default)]
pub struct Report {
    /// The rows, in order.
    pub rows: Vec<Row>,
}

impl Report {
    fn push(
        &mut self,
        vendor: &'static str,
        operation: &'static str,
        status: u16,
        outcome: String,
    ) {
        self.rows.push(Row {
            vendor,
            operation,
            status: Some(status),
            outcome,
            ok: true,
        });
    }

    fn fail(
        &mut self,
        vendor: &'static str,
        operation: &'static str,
        error: &(impl std::error::Error + ErrorMetadata),
    ) {
        let status = error.status().map(|s| s.as_u16());
        self.rows.push(Row {
            vendor,
            operation,
            status,
            outcome: format!("error: {error}"),
            ok: false,
        });
    }

    fn skip(&mut self, vendor: &'static str, operation: &'static str, why: &str) {
        self.rows.push(Row {
            vendor,
            operation,
            status: None,
            outcome: format!("skipped: {why}"),
            ok: true,
        });
    }

    /// Whether every step succeeded.
    pub fn ok(&self) -> bool {
        self.rows.iter().all(|row| row.ok)
    }

    /// The distinct operations that succeeded, per vendor.
    pub fn succeeded(&self) -> Vec<(&'static str, &'static str)> {
        let mut seen: Vec<(&'static str, &'static str)> = Vec::new();
        for row in self.rows.iter().filter(|r| r.ok && r.status.is_some()) {
            if !seen.contains(&(row.vendor, row.operation)) {
                seen.push((row.vendor, row.operation));
            }
        }
        seen
    }
}

/// Runs `step`; records its success row or its failure, and gives its value on success.
async fn step<T, E, F>(
    report: &mut Report,
    vendor: &'static str,
    operation: &'static str,
    future: F,
    describe: impl FnOnce(&T) -> (u16, String),
) -> Option<T>
where
    E: std::error::Error + ErrorMetadata,
    F: Future<Output = Result<T, E>>,
{
    match future.await {
        Ok(value) => {
            let (status, outcome) = describe(&value);
            report.push(vendor, operation, status, outcome);
            Some(value)
        }
        Err(error) => {
            report.fail(vendor, operation, &error);
            None
        }
    }
}

fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.is_empty())
}

/// The fakes the tour started, kept alive while it runs.
#[derive(Debug, Default)]
pub struct Fakes {
    emnify: Option<(Arc<EmnifyFake>, Server)>,
    dintero: Option<(Arc<DinteroFake>, Server)>,
    plex: Option<crate::fakes::plex::PlexServers>,
}

/// Runs the tour: each vendor against the server its environment variables name, or against a
/// fake started for it.
pub async fn run() -> std::io::Result<Report> {
    let mut fakes = Fakes::default();
    let mut report = Report::default();
    emnify_tour(&mut report, &mut fakes).await?;
    dintero_tour(&mut report, &mut fakes).await?;
    plex_tour(&mut report, &mut fakes).await?;
    Ok(report)
}

/// List the organisation's application tokens, create one (limited to an IP range), log in with
/// it, and revoke it again.
async fn application_tokens_tour(
    report: &mut Report,
    base: &emnify_auth::Client,
    app: &emnify_auth::Client,
) {
    const V: &str = "emnify";
    let tokens = app.application_tokens();
    step(
        report,
        V,
        "application_token_get",
        tokens.application_token_get(),
        |listed| (200, format!("{} application token(s)", listed.len())),
    )
    .await;
    let request = CreateApplicationTokenRequest::new()
        .with_description(format!("auth-client tour {}", unix_now()))
        .with_ip("0.0.0.0/0");
    let Some(created) = step(
        report,
        V,
        "application_token_post",
        tokens.application_token_post(&request),
        |_| (200, "new application token (a Secret), any IP".into()),
    )
    .await
    else {
        return;
    };
    let fresh = base.with_token_provider(ApplicationToken::new(base, created.application_token));
    step(report, V, "authenticate", fresh.bearer_token(), |_| {
        (200, "the new application token → auth token".into())
    })
    .await;
    let description = request.description.clone().unwrap_or_default();
    let Some(listed) = step(
        report,
        V,
        "application_token_get",
        tokens.application_token_get(),
        |listed| (200, format!("{} application token(s)", listed.len())),
    )
    .await
    else {
        return;
    };
    let Some(id) = listed
        .iter()
        .find(|t| t.description.as_deref() == Some(description.as_str()))
        .map(|t| t.id)
    else {
        report.skip(
            V,
            "application_token_by_id_patch",
            "the new token is not listed",
        );
        return;
    };
    let revoke = UpdateApplicationTokenRequest::new().with_status(IdRef::new(1));
    step(
        report,
        V,
        "application_token_by_id_patch",
        tokens.application_token_by_id_patch(id, &revoke),
        |_| (204, format!("application token {id} revoked")),
    )
    .await;
}

async fn emnify_tour(report: &mut Report, fakes: &mut Fakes) -> std::io::Result<()> {
    const V: &str = "emnify";
    let config = EmnifyConfig::default();
    let (base_url, application_token, user) = match var("EMNIFY_BASE_URL") {
        Some(url) => (
            url,
            var("EMNIFY_APPLICATION_TOKEN").unwrap_or_default(),
            var("EMNIFY_USERNAME").zip(var("EMNIFY_PASSWORD")),
        ),
        None => {
            let (fake, server) = EmnifyFake::start(config.clone()).await?;
            let url = server.url();
            fakes.emnify = Some((fake, server));
            (
                url,
                config.application_token.clone(),
                Some((config.username.clone(), config.password.clone())),
            )
        }
    };
    let user_id: i64 = var("EMNIFY_USER_ID")
        .and_then(|id| id.parse().ok())
        .unwrap_or(config.user_id);
    let base = crate::emnify(&base_url, Credentials::None);

    let app = base.with_token_provider(ApplicationToken::new(&base, application_token));
    let token = step(report, V, "authenticate", app.bearer_token(), |_| {
        (200, "application token → auth token".into())
    })
    .await;
    if token.is_some() {
        step(
            report,
            V,
            "user_mfa_type_get",
            app.authentication().user_mfa_type_get(),
            |types| (200, format!("{} key type(s)", types.len())),
        )
        .await;
        step(
            report,
            V,
            "user_mfa_status_get",
            app.authentication().user_mfa_status_get(),
            |statuses| (200, format!("{} key status(es)", statuses.len())),
        )
        .await;
        application_tokens_tour(report, &base, &app).await;
    }

    let Some((username, password)) = user else {
        for operation in [
            "post_mfa",
            "user_mfa_by_id_patch",
            "user_mfa_trusted_device_by_user_id_get",
            "user_mfa_trusted_device_by_user_id_and_device_id_delete",
            "user_mfa_by_user_id_and_key_id_delete",
        ] {
            report.skip(V, operation, "set EMNIFY_USERNAME and EMNIFY_PASSWORD");
        }
        return Ok(());
    };
    let Some(LoginOutcome::LoggedIn(user_client)) = step(
        report,
        V,
        "authenticate",
        base.login(username.clone(), password.clone()),
        |outcome| {
            let text = match outcome {
                LoginOutcome::LoggedIn(_) => "user/password → auth + refresh token",
                _ => "user/password → MFA required",
            };
            (200, text.into())
        },
    )
    .await
    else {
        return Ok(());
    };

    let Some(enrollment) = step(
        report,
        V,
        "post_mfa",
        user_client.create_mfa_key(password.clone()),
        |e| {
            (
                200,
                format!("TOTP key {} created, activation pending", e.key.id),
            )
        },
    )
    .await
    else {
        return Ok(());
    };
    let code = enrollment.current_code().unwrap_or_default();
    step(
        report,
        V,
        "user_mfa_by_id_patch",
        enrollment.activate(&user_client, &code),
        |_| {
            (
                204,
                format!(
                    "key {} active (TOTP code from its secret)",
                    enrollment.key.id
                ),
            )
        },
    )
    .await;

    // With MFA active, a password login asks for a one-time code; finishing it with a
    // fingerprint makes this device trusted.
    let pending = step(
        report,
        V,
        "authenticate",
        base.login(username.clone(), password.clone()),
        |outcome| match outcome {
            LoginOutcome::MfaRequired(_) => {
                (200, "user/password → mfa_token (MFA required)".into())
            }
            _ => (200, "user/password → logged in without MFA".into()),
        },
    )
    .await;
    let mut mfa_client = user_client.clone();
    if let Some(LoginOutcome::MfaRequired(pending)) = pending {
        let code = enrollment.current_code().unwrap_or_default();
        let fingerprint = Secret::new(format!("tour-device-{}", unix_now()));
        if let Some(client) = step(
            report,
            V,
            "authenticate",
            pending.trust_device(fingerprint).complete(&code),
            |_| {
                (
                    200,
                    "mfa_token + TOTP code + fingerprint → tokens, device trusted".into(),
                )
            },
        )
        .await
        {
            mfa_client = client;
        }
    }
    if let Some((fake, _)) = &fakes.emnify {
        fake.expire_auth_tokens();
        let before = fake.refreshes();
        step(
            report,
            V,
            "user_mfa_type_get",
            mfa_client.authentication().user_mfa_type_get(),
            |_| {
                (
                    200,
                    format!(
                        "expired token → 401 → refreshed ({} refresh) → replayed",
                        fake.refreshes() - before
                    ),
                )
            },
        )
        .await;
    }

    let devices = step(
        report,
        V,
        "user_mfa_trusted_device_by_user_id_get",
        mfa_client
            .authentication()
            .user_mfa_trusted_device_by_user_id_get(user_id),
        |devices| (200, format!("{} trusted device(s)", devices.len())),
    )
    .await
    .unwrap_or_default();
    match devices.last() {
        Some(device) => {
            step(
                report,
                V,
                "user_mfa_trusted_device_by_user_id_and_device_id_delete",
                mfa_client
                    .authentication()
                    .user_mfa_trusted_device_by_user_id_and_device_id_delete(user_id, device.id),
                |_| (204, format!("device {} no longer trusted", device.id)),
            )
            .await;
        }
        None => report.skip(
            V,
            "user_mfa_trusted_device_by_user_id_and_device_id_delete",
            "no trusted device",
        ),
    }
    step(
        report,
        V,
        "user_mfa_by_user_id_and_key_id_delete",
        mfa_client
            .authentication()
            .user_mfa_by_user_id_and_key_id_delete(user_id, enrollment.key.id),
        |_| (204, format!("key {} deleted", enrollment.key.id)),
    )
    .await;
    Ok(())
}

async fn dintero_tour(report: &mut Report, fakes: &mut Fakes) -> std::io::Result<()> {
    const V: &str = "dintero";
    const TOKEN: &str = "aid_auths_oauth_token_post";
    let config = DinteroConfig::default();
    let (base_url, account, client_id, client_secret, user) = match var("DINTERO_BASE_URL") {
        Some(url) => (
            url,
            var("DINTERO_ACCOUNT_ID").unwrap_or_default(),
            var("DINTERO_CLIENT_ID").unwrap_or_default(),
            var("DINTERO_CLIENT_SECRET").unwrap_or_default(),
            var("DINTERO_USERNAME").zip(var("DINTERO_PASSWORD")),
        ),
        None => {
            let (fake, server) = DinteroFake::start(config.clone()).await?;
            let url = server.url();
            fakes.dintero = Some((fake, server));
            (
                url,
                config.account_id.clone(),
                config.client_id.clone(),
                config.client_secret.clone(),
                Some((config.username.clone(), config.password.clone())),
            )
        }
    };
    let audience = format!("https://api.dintero.com/v1/accounts/{account}");
    let base = crate::dintero(&base_url, Credentials::None);
    let basic = base.with_credentials(Credentials::basic(client_id.clone(), client_secret.clone()));
    let grant = dintero_auth::models::ClientCredentialsGrant::new(audience.clone()).into();
    step(
        report,
        V,
        TOKEN,
        basic
            .authentication()
            .aid_auths_oauth_token_post(&account, &grant),
        |token| {
            (
                200,
                format!(
                    "client_credentials (Basic) → token for {} s",
                    token.expires_in
                ),
            )
        },
    )
    .await;

    // Every further call carries a cached client-credentials token.
    let bearer = base.with_token_provider(dintero_auth::ClientCredentials::new(
        &base,
        account.clone(),
        client_id,
        client_secret,
        audience.clone(),
    ));
    // A partner account trades its token for one of a sub-account.
    let sub_account = match &fakes.dintero {
        Some(_) => Some("T12300001".to_owned()),
        None => var("DINTERO_SUB_ACCOUNT"),
    };
    match sub_account {
        Some(sub_account) => {
            let exchange = dintero_auth::models::ExchangeToken::new(sub_account.clone());
            step(
                report,
                V,
                "aid_auths_oauth_exchange_token_post",
                bearer
                    .authentication()
                    .aid_auths_oauth_exchange_token_post(&account, &exchange),
                |token| {
                    (
                        200,
                        format!(
                            "partner token → token of {sub_account} for {} s",
                            token.expires_in
                        ),
                    )
                },
            )
            .await;
        }
        None => report.skip(
            V,
            "aid_auths_oauth_exchange_token_post",
            "set DINTERO_SUB_ACCOUNT (the account must be a partner)",
        ),
    }
    let Some((username, password)) = user else {
        for operation in [
            "aid_auth_mfa_challenge_post",
            "aid_auth_mfa_recovery_post",
            REVOKE,
        ] {
            report.skip(V, operation, "set DINTERO_USERNAME and DINTERO_PASSWORD");
        }
        return Ok(());
    };
    let grant = PasswordGrant::new(username.clone(), password, audience.clone());
    let outcome = step(
        report,
        V,
        TOKEN,
        bearer.login(account.clone(), grant),
        |outcome| match outcome {
            dintero_auth::LoginOutcome::LoggedIn(_) => (200, "password → token".into()),
            _ => (403, "password → mfa_required (typed outcome)".into()),
        },
    )
    .await;
    if let Some(dintero_auth::LoginOutcome::MfaRequired(pending)) = outcome
        && let Some(challenge) = step(
            report,
            V,
            "aid_auth_mfa_challenge_post",
            pending.challenge(OobChannel::Sms),
            |_| (200, "oob challenge sent by SMS".into()),
        )
        .await
    {
        let binding_code = match &fakes.dintero {
            Some((fake, _)) => fake.last_binding_code(),
            None => var("DINTERO_BINDING_CODE"),
        };
        match binding_code {
            Some(code) => {
                let user = step(report, V, TOKEN, challenge.complete(code), |_| {
                    (200, "mfa_oob (oob_code + binding code) → logged in".into())
                })
                .await;
                if let Some(user) = user {
                    account_user_token(report, &base, &account, &user).await;
                    revoke_refresh_token(report, &bearer, &account, &user).await;
                }
            }
            None => {
                report.skip(V, TOKEN, "set DINTERO_BINDING_CODE to complete mfa_oob");
                report.skip(V, REVOKE, "needs the user's login (DINTERO_BINDING_CODE)");
            }
        }
    }

    let recovery = MfaRecovery::new(username, audience).with_oob_channel(OobChannel::Email);
    step(
        report,
        V,
        "aid_auth_mfa_recovery_post",
        bearer.recover_mfa(&account, &recovery),
        |outcome| match outcome {
            RecoveryOutcome::MfaRequired(_) => {
                (403, "mfa_required → next challenge (typed outcome)".into())
            }
            _ => (200, "recovery challenge sent".into()),
        },
    )
    .await;
    Ok(())
}

/// The revocation of refresh tokens, in the tour.
const REVOKE: &str = "aid_auths_oauth_revoke_post";

/// The user's session ends: the API client revokes the refresh token the user's login got.
async fn revoke_refresh_token(
    report: &mut Report,
    bearer: &dintero_auth::Client,
    account: &str,
    user: &dintero_auth::Client,
) {
    let refresh_token = match user.token().await {
        Ok(token) => token.refresh_token().cloned(),
        Err(_) => None,
    };
    let Some(refresh_token) = refresh_token else {
        report.skip("dintero", REVOKE, "the login gave no refresh token");
        return;
    };
    let body = dintero_auth::models::RevokeToken::new(refresh_token);
    step(
        report,
        "dintero",
        REVOKE,
        bearer
            .authentication()
            .aid_auths_oauth_revoke_post(account, &body),
        |_| (200, "the user's refresh token revoked".into()),
    )
    .await;
}

/// The `account_user_token` grant: the logged-in user's own token as the bearer.
async fn account_user_token(
    report: &mut Report,
    base: &dintero_auth::Client,
    account: &str,
    user: &dintero_auth::Client,
) {
    let Ok(user_jwt) = user.core().bearer_token().await else {
        return;
    };
    let grant = dintero_auth::models::AccountUserTokenGrant::new().into();
    step(
        report,
        "dintero",
        "aid_auths_oauth_token_post",
        base.with_credentials(Credentials::bearer(user_jwt))
            .authentication()
            .aid_auths_oauth_token_post(account, &grant),
        |token| {
            (
                200,
                format!(
                    "account_user_token (the user's JWT) → token for {} s",
                    token.expires_in
                ),
            )
        },
    )
    .await;
}

async fn plex_tour(report: &mut Report, fakes: &mut Fakes) -> std::io::Result<()> {
    const V: &str = "plex";
    let config = PlexConfig::default();
    let (plex_tv, media_server, login, password, code) =
        match (var("PLEX_TV_BASE_URL"), var("PLEX_SERVER_URL")) {
            (Some(tv), Some(server)) => (
                tv,
                server,
                var("PLEX_LOGIN").unwrap_or_default(),
                var("PLEX_PASSWORD").unwrap_or_default(),
                var("PLEX_2FA_CODE"),
            ),
            _ => {
                let (_, servers) = PlexFake::start(config.clone()).await?;
                let urls = (
                    format!("{}/api/v2", servers.plex_tv.url()),
                    servers.media_server.url(),
                );
                fakes.plex = Some(servers);
                (
                    urls.0,
                    urls.1,
                    config.login.clone(),
                    config.password.clone(),
                    config.two_factor_code.clone(),
                )
            }
        };
    let identity = ClientIdentity::new(format!("auth-client-tour-{}", unix_now()))
        .product("auth-client tour")
        .version(env!("CARGO_PKG_VERSION"))
        .platform(std::env::consts::OS)
        .device("tour");
    // The fake serves plex.tv's client-authentication API beside its account API.
    let plex_clients = match &fakes.plex {
        Some(_) => plex_tv.clone(),
        None => plex_auth::Server::PlexClients.spec_url().to_owned(),
    };
    let client = identity
        .builder()
        .server_url(plex_auth::Server::PlexTv, plex_tv)
        .server_url(plex_auth::Server::PlexClients, plex_clients)
        .build()
        .map_err(std::io::Error::other)?
        .with_media_server(&media_server)
        .map_err(std::io::Error::other)?;

    let signed_in = match var("PLEX_TOKEN") {
        Some(token) => {
            report.skip(V, "post_users_sign_in_data", "PLEX_TOKEN given");
            Some(client.with_token(token))
        }
        None => step(
            report,
            V,
            "post_users_sign_in_data",
            plex_login(&client, &login, password.into(), code.as_deref()),
            |logged_in| {
                (
                    201,
                    format!(
                        "signed in as {} (after the two-factor step)",
                        logged_in.account.username
                    ),
                )
            },
        )
        .await
        .map(|logged_in| logged_in.client),
    };
    let Some(client) = signed_in else {
        return Ok(());
    };
    step(
        report,
        V,
        "get_token_details",
        client.authentication().get_token_details(),
        |account| (200, format!("token belongs to account {}", account.id)),
    )
    .await;
    step(
        report,
        V,
        "get_transient_token",
        client
            .authentication()
            .get_transient_token(TransientTokenType::Delegation, TransientTokenScope::All),
        |_| (200, "transient delegation token (JSON asked for)".into()),
    )
    .await;
    let source = var("PLEX_SOURCE").unwrap_or_else(|| "server://fake-shared-server".into());
    step(
        report,
        V,
        "get_source_connection_information",
        client
            .authentication()
            .get_source_connection_information(&source),
        |info| {
            let devices = info.media_container.device.as_ref().map_or(0, Vec::len);
            (200, format!("{devices} device(s) for {source}"))
        },
    )
    .await;
    plex_servers_tour(report, &client).await;
    plex_home_tour(report, &client, &config, fakes.plex.is_some()).await;
    if fakes.plex.is_some() {
        plex_pin_tour(report, &client, &identity).await;
        plex_jwt_tour(report, &client, &identity).await;
    } else {
        // Against plex.tv these need a person (the PIN), or would turn this client's legacy
        // token into a JWT device for good.
        for operation in ["create_pin", "get_pin"] {
            report.skip(V, operation, "needs a person to enter the code");
        }
        for operation in ["register_jwk", "get_nonce", "exchange_jwt", "get_plex_keys"] {
            report.skip(V, operation, "would make this client a JWT device");
        }
    }
    Ok(())
}

/// The account's servers, and `connect()` to the first connection that answers.
async fn plex_servers_tour(report: &mut Report, client: &plex_auth::Client) {
    const V: &str = "plex";
    let Some(resources) = step(
        report,
        V,
        "get_resources",
        client.resources(),
        |resources| {
            let servers = resources.iter().filter(|r| r.is_server()).count();
            (
                200,
                format!("{} resource(s), {servers} server(s)", resources.len()),
            )
        },
    )
    .await
    else {
        return;
    };
    let Some(server) = resources.iter().find(|r| r.is_server()) else {
        return;
    };
    let outcome = client.connect(server).await;
    report.rows.push(Row {
        vendor: V,
        operation: "get_resources",
        status: outcome.is_ok().then_some(200),
        ok: outcome.is_ok(),
        outcome: match outcome {
            Ok(bound) => format!(
                "connect(): {} at {}",
                server.name,
                bound
                    .core()
                    .server_url(plex_auth::Server::MediaServer)
                    .unwrap_or("?")
            ),
            Err(error) => format!("connect() failed: {error}"),
        },
    });
}

/// The Home's users and a switch to one (a protected one with its PIN: `PLEX_HOME_PIN` against
/// plex.tv, the fake's otherwise), a keep-alive ping, and signing the switched user's new token
/// out (against plex.tv too: the token is the one the switch just made).
async fn plex_home_tour(
    report: &mut Report,
    client: &plex_auth::Client,
    config: &PlexConfig,
    fake: bool,
) {
    const V: &str = "plex";
    let keep_alive = client.keep_alive(plex_auth::DEFAULT_KEEP_ALIVE_INTERVAL);
    match keep_alive {
        Ok(mut keep_alive) => {
            let state = keep_alive
                .changed()
                .await
                .unwrap_or_else(|| keep_alive.state());
            let ok = state.pings == 1;
            report.rows.push(Row {
                vendor: V,
                operation: "ping_token",
                status: ok.then_some(200),
                ok,
                outcome: match &state.last_error {
                    None => "keep_alive(): the first ping, the next in a day".into(),
                    Some(failure) => format!("keep_alive() failed: {}", failure.message),
                },
            });
            keep_alive.stop();
        }
        Err(error) => report.fail(V, "ping_token", &error),
    }
    let Some(users) = step(report, V, "get_home_users", client.home_users(), |users| {
        let protected = users.iter().filter(|u| u.protected == Some(true)).count();
        (
            200,
            format!("{} Home user(s), {protected} with a PIN", users.len()),
        )
    })
    .await
    else {
        return;
    };
    let pin = if fake {
        Some(config.home_user_pin.clone())
    } else {
        var("PLEX_HOME_PIN")
    };
    // A protected user when there is a PIN (the fake's "Kid"), an unprotected one otherwise.
    let others = || users.iter().filter(|user| user.admin != Some(true));
    let user = others()
        .find(|user| pin.is_some() == (user.protected == Some(true)))
        .or_else(|| others().find(|user| user.protected != Some(true)));
    let Some(user) = user else {
        report.skip(V, "switch_home_user", "no Home user to switch to");
        report.skip(V, "sign_out", "no switched user's token to sign out");
        return;
    };
    let pin = (user.protected == Some(true))
        .then(|| pin.map(Secret::from))
        .flatten();
    let Some(switched) = step(
        report,
        V,
        "switch_home_user",
        client.switch_to(user, pin),
        |switched| {
            let name = switched.account.title.as_deref().unwrap_or("?");
            (201, format!("switch_to(): a token of {name}"))
        },
    )
    .await
    else {
        return;
    };
    step(report, V, "sign_out", switched.client.sign_out(), |()| {
        (204, "the switched user's new token signed out".into())
    })
    .await;
}

/// A PIN login, approved by the fake after its second poll.
async fn plex_pin_tour(report: &mut Report, client: &plex_auth::Client, identity: &ClientIdentity) {
    let start = plex_auth::PinLogin::start(client, identity);
    let created = |login: &plex_auth::PinLogin| {
        format!("code {} to enter at {}", login.code(), plex_auth::LINK_URL)
    };
    pin_steps(
        report,
        start,
        created,
        "approved: a client with the token of",
    )
    .await;
}

/// A PIN login as the tour walks it: `create_pin`, the PIN `start` makes (`created` says what it
/// is), then `get_pin`, polled until the fake approves it (`linked` and the account's name say
/// what came of it); a PIN that ends without a token fails the step.
async fn pin_steps(
    report: &mut Report,
    start: impl Future<Output = Result<plex_auth::PinLogin, plex_auth::PinStartError>>,
    created: impl FnOnce(&plex_auth::PinLogin) -> String,
    linked: &str,
) {
    const V: &str = "plex";
    let Some(login) = step(report, V, "create_pin", start, |login| {
        (201, created(login))
    })
    .await
    else {
        return;
    };
    let login = login.poll_interval(std::time::Duration::from_millis(100));
    let outcome = login.wait().await;
    let ok = matches!(outcome, Ok(plex_auth::PinOutcome::LoggedIn(_)));
    report.rows.push(Row {
        vendor: V,
        operation: "get_pin",
        status: ok.then_some(200),
        ok,
        outcome: match outcome {
            Ok(plex_auth::PinOutcome::LoggedIn(logged_in)) => {
                format!("{linked} {}", logged_in.account.username)
            }
            Ok(other) => format!("ended without a token: {other:?}"),
            Err(error) => format!("failed: {error}"),
        },
    });
}

/// The JWT device flow: the legacy token registers a new device key, then nonces signed with it
/// become 7-day Plex tokens, renewed by the client's token source.
async fn plex_jwt_tour(report: &mut Report, client: &plex_auth::Client, identity: &ClientIdentity) {
    const V: &str = "plex";
    let Ok(key) = plex_auth::DeviceKey::generate(identity.client_identifier.clone()) else {
        return;
    };
    let Some(device) = step(
        report,
        V,
        "register_jwk",
        plex_auth::JwtDevice::register(client, key.clone()),
        |device| {
            (
                201,
                format!("device key {} registered", device.key().key_id()),
            )
        },
    )
    .await
    else {
        return;
    };
    let api = client.with_credentials(Credentials::None);
    let Some(nonce) = step(
        report,
        V,
        "get_nonce",
        api.authentication().get_nonce(),
        |_| (200, "a nonce to sign".into()),
    )
    .await
    else {
        return;
    };
    let signed = key.sign(&nonce.nonce, &["username".to_owned()]);
    step(
        report,
        V,
        "exchange_jwt",
        api.authentication()
            .exchange_jwt(&plex_auth::models::ExchangeJwtRequest::new(signed)),
        |_| (200, "the signed nonce became a 7-day Plex token".into()),
    )
    .await;
    step(
        report,
        V,
        "get_plex_keys",
        api.authentication().get_plex_keys(),
        |set| (200, format!("{} plex.tv signing key(s)", set.keys.len())),
    )
    .await;
    let jwt_client = client.with_token_provider(device);
    step(
        report,
        V,
        "get_token_details",
        jwt_client.authentication().get_token_details(),
        |account| {
            (
                200,
                format!("with a JWT from the device key: account {}", account.id),
            )
        },
    )
    .await;
    // A first login that registers a new key with the PIN: a Plex JWT at once, verified.
    let Ok(new_key) = plex_auth::DeviceKey::generate(identity.client_identifier.clone()) else {
        return;
    };
    let start = plex_auth::PinLogin::start_with_key(client, identity, &new_key, false);
    let created =
        |login: &plex_auth::PinLogin| format!("a PIN with the device key: {}", login.code());
    let linked = "polled with a device JWT: a verified Plex JWT for";
    pin_steps(report, start, created, linked).await;
}

/// A Plex login that answers the two-factor step with `code` when the account asks for one.
async fn plex_login(
    client: &plex_auth::Client,
    login: &str,
    password: Secret,
    code: Option<&str>,
) -> Result<plex_auth::LoggedIn, plex_auth::LoginError> {
    match client.login(login, password).await? {
        plex_auth::LoginOutcome::LoggedIn(logged_in) => Ok(*logged_in),
        plex_auth::LoginOutcome::MfaRequired(pending) => {
            pending.complete(code.unwrap_or_default()).await
        }
        other => unreachable!("a login outcome this tour does not know: {other:?}"),
    }
}
