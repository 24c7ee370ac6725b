//! `emnify-auth` (feature `cli`): log in to emnify once, then print a valid auth token whenever a
//! script needs one, as `gh auth` does. Built on the crate's public API only.

use std::process::ExitCode;

use auth_core::cli::{self, Failure, Profile, StoreKind, Tool};
use clap::{CommandFactory, Parser, Subcommand};
use emnify_auth::auth_core::{StoredToken, Token};
use emnify_auth::{
    ApplicationToken, Client, Credentials, ErrorMetadata, LoginOutcome, RefreshToken, Server,
    TokenProvider, VendorCode,
};

const TOOL: &str = "emnify-auth";
/// Where the application token is read from, when it is set.
const APPLICATION_TOKEN: &str = "EMNIFY_APPLICATION_TOKEN";
/// Where the password of `login --user` is read from, when it is set.
const PASSWORD: &str = "EMNIFY_PASSWORD";
/// Another emnify API than `https://cdn.emnify.net` (kept with the profile at login).
const API_URL: &str = "EMNIFY_BASE_URL";

/// Log in to emnify once; print a valid auth token for scripts.
///
/// `curl -H "Authorization: Bearer $(emnify-auth token)" https://cdn.emnify.net/api/v1/endpoint`
#[derive(Debug, Parser)]
#[command(name = TOOL, version)]
struct Cli {
    /// The login to use: several sit side by side (accounts, environments).
    #[arg(
        long,
        global = true,
        default_value = "default",
        env = "EMNIFY_AUTH_PROFILE"
    )]
    profile: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Log in: with an application token from $EMNIFY_APPLICATION_TOKEN, or asked for (without
    /// echo; read from stdin when it is not a terminal); with --user, a password
    /// ($EMNIFY_PASSWORD or asked for) and the one-time code when the user has MFA.
    Login {
        /// Log in as this user with a password, instead of an application token.
        #[arg(long)]
        user: Option<String>,
        /// Where to keep the token: the OS keyring (macOS, Windows: the default there) or
        /// 0600 files (the default elsewhere).
        #[arg(long, value_parser = ["keyring", "file"])]
        store: Option<String>,
    },
    /// Print a valid auth token (renewed first when needed), and nothing else.
    Token {
        /// Print `{"token", "expires_at", "expires_in"}` instead.
        #[arg(long)]
        json: bool,
    },
    /// Who is logged in, until when, and where the token is kept.
    Status,
    /// Forget the login (emnify has no operation that revokes an auth token: it expires).
    Logout,
    /// Print the completion script of a shell.
    Completion {
        /// The shell.
        shell: clap_complete::Shell,
    },
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
        Command::Login { user, store } => {
            let store = StoreKind::chosen(store.as_deref())?;
            login(&tool, cli.profile, user, store).await
        }
        Command::Token { json } => {
            let profile = tool.profile(&cli.profile)?;
            cli::print_token(&fresh_token(&tool, &profile).await?, json)
        }
        Command::Status => status(&tool, &tool.profile(&cli.profile)?).await,
        Command::Logout => tool.logout(&cli.profile).await,
        Command::Completion { .. } => unreachable!("answered above"),
    }
}

fn client(profile: &Profile) -> Result<Client, Failure> {
    let built = match profile.settings.get("url") {
        Some(url) => Client::builder().server_url(Server::Api, url).build(),
        None => Client::new(Credentials::None),
    };
    built.map_err(|error| failure(&error))
}

async fn login(
    tool: &Tool,
    name: String,
    user: Option<String>,
    store: StoreKind,
) -> Result<(), Failure> {
    let kind = if user.is_some() {
        "password"
    } else {
        "application-token"
    };
    let mut profile = Profile::new(&name, store, kind)?.with_setting_from_env("url", API_URL);
    let client = client(&profile)?;
    let (who, token, credential) = match user {
        None => {
            let prompt = "Paste an application token of the emnify portal: ";
            let application_token = cli::secret_or_prompt(APPLICATION_TOKEN, prompt).await?;
            let provider = ApplicationToken::new(&client, application_token.clone());
            let token = cli::obtain(&provider, login_failure).await?;
            let credential = StoredToken::of(&Token::new(application_token));
            (
                "an application token".to_owned(),
                StoredToken::of(&token),
                Some(credential),
            )
        }
        Some(user) => {
            let prompt = format!("Password of {user}: ");
            let password = cli::secret_or_prompt(PASSWORD, &prompt).await?;
            let outcome = client.login(user.clone(), password).await;
            let logged_in = match outcome.map_err(|error| login_failure(&error))? {
                LoginOutcome::LoggedIn(client) => client,
                LoginOutcome::MfaRequired(pending) => {
                    cli::require_terminal("the user has MFA, and the one-time code is asked for")?;
                    let code = cli::prompt_line("One-time code of your MFA key: ").await?;
                    let completed = pending.complete(code).await;
                    completed.map_err(|error| login_failure(&error))?
                }
                _ => return Err(Failure::error("emnify answered the login with neither")),
            };
            let token = logged_in.token().await;
            let token = token.map_err(|error| login_failure(&error))?;
            profile.settings.insert("user".to_owned(), user.clone());
            (user, StoredToken::of(&token), None)
        }
    };
    tool.save_login(&profile, &token, credential.as_ref())
        .await?;
    cli::tell(format_args!(
        "Logged in to emnify with {who} (profile {:?}); the token is kept in {}.",
        profile.name,
        tool.place(&profile)
    ));
    Ok(())
}

/// The profile's token, renewed first when it is about to expire (and kept again).
async fn fresh_token(tool: &Tool, profile: &Profile) -> Result<StoredToken, Failure> {
    let client = client(profile)?;
    let provider_of = async |kept: Option<StoredToken>| -> Result<Box<dyn TokenProvider>, Failure> {
        let provider: Box<dyn TokenProvider> = match profile.login.as_str() {
            "application-token" => {
                let application_token = tool.credential(profile).await?;
                Box::new(ApplicationToken::new(&client, application_token))
            }
            "password" => {
                let refresh_token = kept.and_then(|kept| kept.refresh_token);
                let refresh_token = refresh_token.ok_or_else(|| tool.login_again())?;
                Box::new(RefreshToken::new(&client, refresh_token))
            }
            other => return Err(Failure::error(format!("unknown login kind {other:?}"))),
        };
        Ok(provider)
    };
    tool.fresh_token(profile, provider_of, failure).await
}

async fn status(tool: &Tool, profile: &Profile) -> Result<(), Failure> {
    let who = match profile.settings.get("user") {
        Some(user) => format!("user {user} (password login)"),
        None => "an application token".to_owned(),
    };
    let token = fresh_token(tool, profile).await?;
    cli::out(format_args!(
        "emnify, profile {:?}: logged in with {who}",
        profile.name
    ))?;
    if let Some(url) = profile.settings.get("url") {
        cli::out(format_args!("  API: {url}"))?;
    }
    cli::out(format_args!(
        "  auth token expires {}",
        cli::expiry_in_words(&token)
    ))?;
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
        .map(|code| format!("emnify error code {}", code.number()))
}
