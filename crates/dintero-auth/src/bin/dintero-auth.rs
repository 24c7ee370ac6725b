//! `dintero-auth` (feature `cli`): log in to a Dintero account once (an API client's
//! credentials, and optionally an account user with the code Dintero sends), then print a valid
//! access token whenever a script needs one, as `gh auth` does. Built on the crate's public API
//! only.

use std::process::ExitCode;

use auth_core::cli::{self, Failure, Profile, StoreKind, Tool};
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use dintero_auth::auth_core::{StoredToken, Token};
use dintero_auth::models::{OobChannel, PasswordGrant, RevokeToken};
use dintero_auth::{
    Client, ClientCredentials, Credentials, ErrorMetadata, LoginOutcome, RefreshToken, Server,
    TokenProvider, VendorCode,
};

const TOOL: &str = "dintero-auth";
/// Where the API client's id is read from, when `--client-id` is not given.
const CLIENT_ID: &str = "DINTERO_CLIENT_ID";
/// Where the API client's secret is read from, when it is set.
const CLIENT_SECRET: &str = "DINTERO_CLIENT_SECRET";
/// Where the password of `login --user` is read from, when it is set.
const PASSWORD: &str = "DINTERO_PASSWORD";
/// Another Dintero API than `https://api.dintero.com/v1` (kept with the profile at login).
const API_URL: &str = "DINTERO_BASE_URL";

/// Log in to a Dintero account once; print a valid access token for scripts.
///
/// `curl -H "Authorization: Bearer $(dintero-auth token)" https://api.dintero.com/v1/...`
#[derive(Debug, Parser)]
#[command(name = TOOL, version)]
struct Cli {
    /// The login to use: several sit side by side (test and production accounts, say).
    #[arg(
        long,
        global = true,
        default_value = "default",
        env = "DINTERO_AUTH_PROFILE"
    )]
    profile: String,
    #[command(subcommand)]
    command: Command,
}

/// Where Dintero sends an account user's one-time code.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Channel {
    /// A text message.
    Sms,
    /// An e-mail.
    Email,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Log in with an API client of the account (its secret from $DINTERO_CLIENT_SECRET, or
    /// asked for without echo); with --user, as an account user too (a password from
    /// $DINTERO_PASSWORD or asked for, then the code Dintero sends by SMS or e-mail).
    Login {
        /// The account: `T` and its number for a test account, `P` for production.
        #[arg(long, env = "DINTERO_ACCOUNT_ID")]
        account: String,
        /// The API client's id (or $DINTERO_CLIENT_ID).
        #[arg(long, env = CLIENT_ID)]
        client_id: String,
        /// Log in as this account user (e-mail) with a password, for the user's own tokens.
        #[arg(long)]
        user: Option<String>,
        /// Where the user's one-time code is sent (asked for when not given).
        #[arg(long, value_enum)]
        mfa_channel: Option<Channel>,
        /// Where to keep the token: the OS keyring (macOS, Windows: the default there) or
        /// 0600 files (the default elsewhere).
        #[arg(long, value_parser = ["keyring", "file"])]
        store: Option<String>,
    },
    /// Print a valid access token (renewed first when needed), and nothing else.
    Token {
        /// Print `{"token", "expires_at", "expires_in"}` instead.
        #[arg(long)]
        json: bool,
    },
    /// Who is logged in, until when, and where the token is kept.
    Status,
    /// Forget the login; an account user's refresh token is revoked at Dintero first (access
    /// tokens cannot be revoked: they expire).
    Logout,
    /// Print the completion script of a shell.
    Completion {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// What `login` was given.
struct LoginArgs {
    account: String,
    client_id: String,
    user: Option<String>,
    channel: Option<Channel>,
    store: StoreKind,
}

fn main() -> ExitCode {
    match Cli::try_parse() {
        Ok(cli) => cli::main(TOOL, run(cli)),
        Err(usage) => cli::usage_exit(usage.print(), usage.use_stderr()),
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    if let Command::Completion { shell } = cli.command {
        clap_complete::generate(shell, &mut Cli::command(), TOOL, &mut std::io::stdout());
        return Ok(());
    }
    let tool = Tool::new(TOOL)?;
    match cli.command {
        Command::Login {
            account,
            client_id,
            user,
            mfa_channel,
            store,
        } => {
            let args = LoginArgs {
                account,
                client_id,
                user,
                channel: mfa_channel,
                store: StoreKind::chosen(store.as_deref())?,
            };
            login(&tool, cli.profile, args).await
        }
        Command::Token { json } => {
            let profile = tool.profile(&cli.profile)?;
            cli::print_token(&fresh_token(&tool, &profile).await?, json)
        }
        Command::Status => status(&tool, &tool.profile(&cli.profile)?).await,
        Command::Logout => logout(&tool, &cli.profile).await,
        Command::Completion { .. } => unreachable!("answered above"),
    }
}

fn base_client(profile: &Profile) -> Result<Client, Failure> {
    let built = match profile.settings.get("url") {
        Some(url) => Client::builder().server_url(Server::Api, url).build(),
        None => Client::new(Credentials::None),
    };
    built.map_err(|error| failure(&error))
}

/// The audience of the account's tokens: the account's URL on the API.
fn audience(profile: &Profile) -> Result<String, Failure> {
    let api = profile
        .settings
        .get("url")
        .map_or(Server::Api.spec_url(), String::as_str);
    Ok(format!(
        "{}/accounts/{}",
        api.trim_end_matches('/'),
        profile.setting("account")?
    ))
}

/// The API client's own tokens, from its id and `secret`.
fn api_client(
    base: &Client,
    profile: &Profile,
    secret: dintero_auth::Secret,
) -> Result<ClientCredentials, Failure> {
    Ok(ClientCredentials::new(
        base,
        profile.setting("account")?,
        profile.setting("client_id")?,
        secret,
        audience(profile)?,
    ))
}

async fn login(tool: &Tool, name: String, args: LoginArgs) -> Result<(), Failure> {
    let kind = if args.user.is_some() {
        "password"
    } else {
        "client-credentials"
    };
    let mut profile = Profile::new(&name, args.store, kind)?.with_setting_from_env("url", API_URL);
    profile
        .settings
        .insert("account".to_owned(), args.account.clone());
    profile
        .settings
        .insert("client_id".to_owned(), args.client_id.clone());
    let prompt = format!("Secret of API client {}: ", args.client_id);
    let secret = cli::secret_or_prompt(CLIENT_SECRET, &prompt).await?;
    let base = base_client(&profile)?;
    let credentials = api_client(&base, &profile, secret.clone())?;
    let token = match &args.user {
        None => StoredToken::of(&cli::obtain(&credentials, login_failure).await?),
        Some(user) => {
            let api = base.with_token_provider(credentials);
            let token = user_login(&api, &profile, user, args.channel).await?;
            if token.refresh_token().is_none() {
                cli::tell(format_args!(
                    "Dintero gave no refresh token (the API client may not create them): \
                     `token` works until this one expires."
                ));
            }
            profile.settings.insert("user".to_owned(), user.clone());
            StoredToken::of(&token)
        }
    };
    // The session this login replaces ends at Dintero too.
    if let Ok(earlier) = tool.profile(&name)
        && earlier.login == "password"
        && let Err(failure) = revoke(tool, &earlier).await
    {
        cli::tell(format_args!(
            "{TOOL}: the earlier login's refresh token was not revoked: {failure}"
        ));
    }
    let credential = StoredToken::of(&Token::new(secret));
    tool.save_login(&profile, &token, Some(&credential)).await?;
    let who = args.user.as_deref().unwrap_or("the API client");
    cli::tell(format_args!(
        "Logged in to Dintero account {} as {who} (profile {:?}); the token is kept in {}.",
        args.account,
        profile.name,
        tool.place(&profile)
    ));
    Ok(())
}

/// The account user's login on `api` (a client sending the API client's token), with the
/// one-time code when the user has MFA: the user's token, with its refresh token.
async fn user_login(
    api: &Client,
    profile: &Profile,
    user: &str,
    channel: Option<Channel>,
) -> Result<std::sync::Arc<Token>, Failure> {
    let password = cli::secret_or_prompt(PASSWORD, &format!("Password of {user}: ")).await?;
    let grant = PasswordGrant::new(user, password, audience(profile)?);
    let outcome = api.login(profile.setting("account")?, grant).await;
    let logged_in = match outcome.map_err(|error| login_failure(&error))? {
        LoginOutcome::LoggedIn(client) => client,
        LoginOutcome::MfaRequired(pending) => {
            cli::require_terminal("the user has MFA, and the code Dintero sends is asked for")?;
            let channel = match channel {
                Some(channel) => channel,
                None => loop {
                    let answer = cli::prompt_line("Send the code by sms or email? ").await?;
                    if let Ok(channel) = Channel::from_str(&answer, true) {
                        break channel;
                    }
                },
            };
            let channel = match channel {
                Channel::Sms => OobChannel::Sms,
                Channel::Email => OobChannel::Email,
            };
            let challenge = pending.challenge(channel).await;
            let challenge = challenge.map_err(|error| login_failure(&error))?;
            let code = cli::prompt_line("Code Dintero sent: ").await?;
            let completed = challenge.complete(code).await;
            completed.map_err(|error| login_failure(&error))?
        }
        _ => return Err(Failure::error("Dintero answered the login with neither")),
    };
    logged_in
        .token()
        .await
        .map_err(|error| login_failure(&error))
}

/// The profile's token, renewed first when it is about to expire (and kept again).
async fn fresh_token(tool: &Tool, profile: &Profile) -> Result<StoredToken, Failure> {
    let provider_of = async |kept: Option<StoredToken>| -> Result<Box<dyn TokenProvider>, Failure> {
        let (base, credentials) = api_client_of(tool, profile).await?;
        let provider: Box<dyn TokenProvider> = match profile.login.as_str() {
            "client-credentials" => Box::new(credentials),
            "password" => {
                let refresh_token = kept.and_then(|kept| kept.refresh_token);
                let refresh_token = refresh_token.ok_or_else(|| tool.login_again())?;
                let api = base.with_token_provider(credentials);
                let account = profile.setting("account")?;
                Box::new(RefreshToken::new(&api, account, refresh_token))
            }
            other => return Err(Failure::error(format!("unknown login kind {other:?}"))),
        };
        Ok(provider)
    };
    tool.fresh_token(profile, provider_of, failure).await
}

/// The profile's API client, from its kept secret: the client it is sent through, and its
/// token provider.
async fn api_client_of(
    tool: &Tool,
    profile: &Profile,
) -> Result<(Client, ClientCredentials), Failure> {
    let secret = tool.credential(profile).await?;
    let base = base_client(profile)?;
    let credentials = api_client(&base, profile, secret)?;
    Ok((base, credentials))
}

/// `logout`: the user's refresh token revoked (when the profile has one), then the login
/// forgotten, even when the revocation failed (which is then the command's error).
async fn logout(tool: &Tool, name: &str) -> Result<(), Failure> {
    let profile = tool.profile(name).ok();
    let user = profile
        .as_ref()
        .filter(|profile| profile.login == "password");
    let (done, not_done) = (
        "The user's refresh token is revoked at Dintero.",
        "the refresh token was not revoked",
    );
    let revoke = user.map(|profile| revoke(tool, profile));
    tool.logout_revoking(name, revoke, done, not_done).await
}

/// Revokes the refresh token kept for `profile`, with the API client's token.
async fn revoke(tool: &Tool, profile: &Profile) -> Result<(), Failure> {
    let secrets = tool.store(profile.store);
    let kept = secrets.load(&profile.token_key()).await;
    let Some(refresh_token) = kept
        .map_err(Failure::error)?
        .and_then(|kept| kept.refresh_token)
    else {
        return Ok(());
    };
    let (base, credentials) = api_client_of(tool, profile).await?;
    let api = base.with_token_provider(credentials);
    let body = RevokeToken::new(refresh_token);
    let revoked = api
        .authentication()
        .aid_auths_oauth_revoke_post(profile.setting("account")?, &body)
        .await;
    revoked.map_err(|error| failure(&error))
}

async fn status(tool: &Tool, profile: &Profile) -> Result<(), Failure> {
    let token = fresh_token(tool, profile).await?;
    let who = match profile.settings.get("user") {
        Some(user) => format!("account user {user}"),
        None => format!("API client {}", profile.setting("client_id")?),
    };
    cli::out(format_args!(
        "Dintero account {}, profile {:?}: logged in as {who}",
        profile.setting("account")?,
        profile.name
    ))?;
    if let Some(url) = profile.settings.get("url") {
        cli::out(format_args!("  API: {url}"))?;
    }
    let expiry = cli::expiry_in_words(&token);
    cli::out(format_args!("  access token expires {expiry}"))?;
    cli::out(format_args!("  kept in {}", tool.place(profile)))
}

/// `error` in one line with the vendor's error code (`auth_core::cli::failure`).
fn failure<E: ErrorMetadata + std::error::Error + 'static>(error: &E) -> Failure {
    cli::failure(error, code_of(error))
}

/// A failure of `login` itself (`auth_core::cli::login_failure`).
fn login_failure<E: ErrorMetadata + std::error::Error + 'static>(error: &E) -> Failure {
    cli::login_failure(error, code_of(error))
}

fn code_of(error: &impl ErrorMetadata) -> Option<String> {
    error
        .vendor_code()
        .map(|code| format!("Dintero error code {}", code.as_str()))
}
