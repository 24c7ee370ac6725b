//! `emnify-auth` (feature `cli`): log in to emnify once, then print a valid auth token whenever a
//! script needs one, as `gh auth` does. Built on the crate's public API only.

use std::process::ExitCode;

use auth_core::cli::{self, Exit, Failure, Profile, StoreKind, Tool};
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
        // Help and version on stdout (0); a usage error on stderr is an error (1), as exit
        // code 2 means cancelled here.
        Err(usage) => {
            let _ = usage.print();
            ExitCode::from(if usage.use_stderr() {
                Exit::Error as u8
            } else {
                0
            })
        }
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
            cli::print_token(&fresh_token(&tool, &profile).await?, json);
            Ok(())
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
    let mut profile = Profile {
        name,
        store,
        login: if user.is_some() {
            "password"
        } else {
            "application-token"
        }
        .to_owned(),
        settings: Default::default(),
    };
    if let Ok(url) = std::env::var(API_URL) {
        profile.settings.insert("url".to_owned(), url);
    }
    let client = client(&profile)?;
    let secrets = tool.store(store);
    // A token of an earlier login of this profile is not this login's.
    secrets
        .clear(&profile.token_key())
        .await
        .map_err(Failure::error)?;
    let who = match user {
        None => {
            let application_token = match cli::secret_from_env(APPLICATION_TOKEN) {
                Some(token) => token,
                None => {
                    cli::prompt_secret("Paste an application token of the emnify portal: ").await?
                }
            };
            let provider = ApplicationToken::new(&client, application_token.clone());
            let token = cli::obtain(&provider, login_failure).await?;
            secrets
                .save(&profile.token_key(), &StoredToken::of(&token))
                .await
                .map_err(Failure::error)?;
            let credential = StoredToken::of(&Token::new(application_token));
            secrets
                .save(&profile.credential_key(), &credential)
                .await
                .map_err(Failure::error)?;
            "an application token".to_owned()
        }
        Some(user) => {
            let password = match cli::secret_from_env(PASSWORD) {
                Some(password) => password,
                None => cli::prompt_secret(&format!("Password of {user}: ")).await?,
            };
            let logged_in = match client
                .login(user.clone(), password)
                .await
                .map_err(|error| login_failure(&error))?
            {
                LoginOutcome::LoggedIn(client) => client,
                LoginOutcome::MfaRequired(pending) => {
                    if !cli::interactive() {
                        return Err(Failure::error(
                            "the user has MFA: log in at a terminal to give the one-time code",
                        ));
                    }
                    let code = cli::prompt_line("One-time code of your MFA key: ").await?;
                    pending
                        .complete(code)
                        .await
                        .map_err(|error| login_failure(&error))?
                }
                _ => return Err(Failure::error("emnify answered the login with neither")),
            };
            let token = logged_in.token().await.map_err(|error| failure(&error))?;
            secrets
                .save(&profile.token_key(), &StoredToken::of(&token))
                .await
                .map_err(Failure::error)?;
            profile.settings.insert("user".to_owned(), user.clone());
            user
        }
    };
    tool.save_profile(&profile)?;
    eprintln!(
        "Logged in to emnify with {who} (profile {:?}); the token is kept in {}.",
        profile.name,
        tool.place(&profile)
    );
    Ok(())
}

/// The profile's token, renewed first when it is about to expire (and kept again).
async fn fresh_token(tool: &Tool, profile: &Profile) -> Result<StoredToken, Failure> {
    let client = client(profile)?;
    let secrets = tool.store(profile.store);
    let relogin = || Failure::login_needed(format!("run `{TOOL} login` again"));
    let (key, provider): (_, Box<dyn TokenProvider>) = match profile.login.as_str() {
        "application-token" => {
            let credential = secrets.load(&profile.credential_key()).await;
            let credential = credential.map_err(Failure::error)?.ok_or_else(relogin)?;
            let provider = ApplicationToken::new(&client, credential.access_token);
            (profile.token_key(), Box::new(provider))
        }
        "password" => {
            let stored = secrets.load(&profile.token_key()).await;
            let stored = stored.map_err(Failure::error)?.ok_or_else(relogin)?;
            let refresh_token = stored.refresh_token.ok_or_else(relogin)?;
            let provider = RefreshToken::new(&client, refresh_token);
            (profile.token_key(), Box::new(provider))
        }
        other => return Err(Failure::error(format!("unknown login kind {other:?}"))),
    };
    cli::fresh_token(&*secrets, &key, &*provider, failure).await
}

async fn status(tool: &Tool, profile: &Profile) -> Result<(), Failure> {
    let who = match profile.settings.get("user") {
        Some(user) => format!("user {user} (password login)"),
        None => "an application token".to_owned(),
    };
    let token = fresh_token(tool, profile).await?;
    println!("emnify, profile {:?}: logged in with {who}", profile.name);
    if let Some(url) = profile.settings.get("url") {
        println!("  API: {url}");
    }
    println!("  auth token expires {}", cli::expiry_in_words(&token));
    println!("  kept in {}", tool.place(profile));
    Ok(())
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
