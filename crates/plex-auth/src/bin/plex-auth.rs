//! `plex-auth` (feature `cli`): log in to Plex once (a PIN approved at plex.tv/link, or a
//! password and the two-factor code), then print the account's token, or a server's, whenever
//! a script needs one, as `gh auth` does. Built on the crate's public API only.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use auth_core::cli::{self, Failure, Profile, StoreKind, Tool};
use clap::{CommandFactory, Parser, Subcommand};
use plex_auth::auth_core::{StoredToken, Token};
use plex_auth::{
    Client, ClientIdentity, ErrorMetadata, LINK_URL, LoggedIn, LoginOutcome, PinLogin, PinOutcome,
    Secret, Server, VendorCode,
};

const TOOL: &str = "plex-auth";
/// Where the token of a non-interactive login is read from, when it is set.
const TOKEN: &str = "PLEX_TOKEN";
/// Where the password of `login --user` is read from, when it is set.
const PASSWORD: &str = "PLEX_PASSWORD";
/// Another plex.tv API than `https://plex.tv/api/v2`, for plex.tv's and its client
/// authentication service's operations (kept with the profile at login).
const PLEX_TV_BASE_URL: &str = "PLEX_TV_BASE_URL";
/// How long `servers` waits for each connection of a server.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Log in to Plex once; print the account's token, or a server's, for scripts.
///
/// `curl -H "X-Plex-Token: $(plex-auth token --server NAME)" https://...`
#[derive(Debug, Parser)]
#[command(name = TOOL, version)]
struct Cli {
    /// The login to use: several sit side by side (accounts, Plex Home users).
    #[arg(
        long,
        global = true,
        default_value = "default",
        env = "PLEX_AUTH_PROFILE"
    )]
    profile: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Log in: with a PIN you approve at plex.tv/link (its link and QR code shown), with the
    /// token in $PLEX_TOKEN, or with --user, a password ($PLEX_PASSWORD or asked for without
    /// echo) and the two-factor code when the account has one.
    Login {
        /// Sign in as this account (e-mail or user name) with a password, instead of a PIN.
        #[arg(long)]
        user: Option<String>,
        /// Where to keep the token: the OS keyring (macOS, Windows: the default there) or
        /// 0600 files (the default elsewhere).
        #[arg(long, value_parser = ["keyring", "file"])]
        store: Option<String>,
    },
    /// Print the account's token, or with --server that server's access token, and nothing else.
    Token {
        /// The media server (its name, as `servers` lists it) whose token to print.
        #[arg(long)]
        server: Option<String>,
        /// Print `{"token", "expires_at", "expires_in"}` instead (Plex gives account tokens
        /// no expiry: `null`).
        #[arg(long)]
        json: bool,
    },
    /// The account's media servers, each with the connection that answers first.
    Servers,
    /// Who is logged in, and where the token is kept.
    Status,
    /// Forget the login and sign its token out at plex.tv (a token given in PLEX_TOKEN is
    /// only forgotten: other programs may use it).
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
        Command::Token { server, json } => {
            let (_, client, token) = logged_in(&tool, &cli.profile).await?;
            let token = match server {
                None => token,
                Some(name) => {
                    let server = server_named(&client, &name).await?;
                    let Some(access_token) = server.access_token else {
                        return Err(Failure::error(format!(
                            "plex.tv gives no access token of {name:?}: use the account's"
                        )));
                    };
                    StoredToken::of(&Token::new(access_token))
                }
            };
            cli::print_token(&token, json)
        }
        Command::Servers => {
            let (_, client, _) = logged_in(&tool, &cli.profile).await?;
            let resources = client.resources().await.map_err(|error| failure(&error))?;
            for server in resources.iter().filter(|resource| resource.is_server()) {
                let reached = client.connect_within(server, CONNECT_TIMEOUT).await;
                let connection = match reached {
                    Ok(connected) => connected
                        .core()
                        .server_url(Server::MediaServer)
                        .map_or_else(|_| "?".to_owned(), str::to_owned),
                    Err(_) => "unreachable".to_owned(),
                };
                cli::out(format_args!("{}\t{connection}", server.name))?;
            }
            Ok(())
        }
        Command::Status => {
            let (profile, client, _) = logged_in(&tool, &cli.profile).await?;
            let details = client.authentication().get_token_details().await;
            let account = details.map_err(|error| failure(&error))?;
            cli::out(format_args!(
                "Plex, profile {:?}: logged in as {} ({})",
                profile.name, account.username, account.email
            ))?;
            cli::out("  token: no expiry (valid until the device is signed out)")?;
            cli::out(format_args!("  kept in {}", tool.place(&profile)))
        }
        Command::Logout => logout(&tool, &cli.profile).await,
        Command::Completion { .. } => unreachable!("answered above"),
    }
}

/// This installation's identity at plex.tv: the profile's client identifier (Plex ties the
/// token to it).
fn identity(profile: &Profile) -> Result<ClientIdentity, Failure> {
    Ok(ClientIdentity::new(profile.setting("client_identifier")?)
        .product(TOOL)
        .version(env!("CARGO_PKG_VERSION")))
}

fn client(profile: &Profile, identity: &ClientIdentity) -> Result<Client, Failure> {
    let mut builder = identity.builder();
    if let Some(api) = profile.settings.get("url") {
        builder = builder
            .server_url(Server::PlexTv, api)
            .server_url(Server::PlexClients, api);
    }
    builder.build().map_err(|error| failure(&error))
}

/// The profile, a client sending its token, and the token.
async fn logged_in(tool: &Tool, name: &str) -> Result<(Profile, Client, StoredToken), Failure> {
    let profile = tool.profile(name)?;
    let identity = identity(&profile)?;
    let stored = tool.store(profile.store).load(&profile.token_key()).await;
    let stored = stored
        .map_err(Failure::error)?
        .ok_or_else(|| Failure::login_needed(format!("run `{TOOL} login` again")))?;
    let client = client(&profile, &identity)?.with_token(stored.access_token.clone());
    Ok((profile, client, stored))
}

/// Forgets the login of profile `name`, and signs its token out at plex.tv when this tool made
/// it (a PIN or a password login).
async fn logout(tool: &Tool, name: &str) -> Result<(), Failure> {
    let own = tool
        .profile(name)
        .is_ok_and(|profile| profile.login != "token");
    let sign_out = own.then(|| sign_out(tool, name));
    let (done, not_done) = (
        "The token is signed out at plex.tv.",
        "the token was not signed out at plex.tv",
    );
    tool.logout_revoking(name, sign_out, done, not_done).await
}

async fn sign_out(tool: &Tool, name: &str) -> Result<(), Failure> {
    let (_, client, _) = logged_in(tool, name).await?;
    client.sign_out().await.map_err(|error| failure(&error))
}

async fn server_named(client: &Client, name: &str) -> Result<plex_auth::models::Resource, Failure> {
    let resources = client.resources().await.map_err(|error| failure(&error))?;
    let servers: Vec<_> = resources.into_iter().filter(|r| r.is_server()).collect();
    let names: Vec<String> = servers.iter().map(|server| server.name.clone()).collect();
    servers
        .into_iter()
        .find(|server| server.name == name)
        .ok_or_else(|| {
            Failure::error(format!(
                "no server named {name:?} (the account's: {})",
                names.join(", ")
            ))
        })
}

async fn login(
    tool: &Tool,
    name: String,
    user: Option<String>,
    store: StoreKind,
) -> Result<(), Failure> {
    // The installation keeps its client identifier across logins: plex.tv lists each one as
    // a device of the account.
    let client_identifier = tool
        .profile(&name)
        .ok()
        .and_then(|earlier| earlier.settings.get("client_identifier").cloned())
        .unwrap_or_else(new_client_identifier);
    let mut profile =
        Profile::new(&name, store, "pin")?.with_setting_from_env("url", PLEX_TV_BASE_URL);
    profile
        .settings
        .insert("client_identifier".to_owned(), client_identifier);
    let identity = identity(&profile)?;
    let client = client(&profile, &identity)?;
    // `--user` says how to log in; otherwise a token in the environment, otherwise a PIN.
    let (token, username) = match (user, std::env::var(TOKEN)) {
        (None, Ok(token)) if !token.is_empty() => {
            profile.login = "token".to_owned();
            let client = client.with_token(token.clone());
            let details = client.authentication().get_token_details().await;
            let account = details.map_err(|error| login_failure(&error))?;
            (Secret::from(token), account.username)
        }
        (user, _) => {
            let logged_in = match user {
                Some(user) => {
                    profile.login = "password".to_owned();
                    password_login(&client, &user).await?
                }
                None => pin_login(&client, &identity).await?,
            };
            (logged_in.account.auth_token, logged_in.account.username)
        }
    };
    // What `LoggedIn::save` keeps: the token, tied to this installation's identifier.
    let stored = StoredToken::of(&Token::new(token))
        .with_client_identifier(identity.client_identifier.clone());
    tool.save_login(&profile, &stored, None).await?;
    cli::tell(format_args!(
        "Logged in to Plex as {username} (profile {:?}); the token is kept in {}.",
        profile.name,
        tool.place(&profile)
    ));
    Ok(())
}

async fn password_login(client: &Client, user: &str) -> Result<LoggedIn, Failure> {
    let password = cli::secret_or_prompt(PASSWORD, &format!("Password of {user}: ")).await?;
    let outcome = client.login(user, password).await;
    match outcome.map_err(|error| login_failure(&error))? {
        LoginOutcome::LoggedIn(logged_in) => Ok(*logged_in),
        LoginOutcome::MfaRequired(pending) => {
            cli::require_terminal("the account has two-factor authentication")?;
            let code = cli::prompt_line("Two-factor code: ").await?;
            let completed = pending.complete(code).await;
            completed.map_err(|error| login_failure(&error))
        }
        _ => Err(Failure::error("plex.tv answered the sign-in with neither")),
    }
}

async fn pin_login(client: &Client, identity: &ClientIdentity) -> Result<LoggedIn, Failure> {
    let pin = PinLogin::start(client, identity).await;
    let pin = pin.map_err(|error| login_failure(&error))?;
    cli::tell(format_args!(
        "Open {LINK_URL} and enter the code {}, or open this page:\n  {}",
        pin.code(),
        pin.auth_url()
    ));
    let terminal = std::io::stderr().is_terminal()
        && std::env::var("TERM").is_ok_and(|term| !term.is_empty() && term != "dumb");
    if terminal && let Ok(code) = qrcode::QrCode::new(pin.auth_url()) {
        let picture = code
            .render::<qrcode::render::unicode::Dense1x2>()
            .quiet_zone(true)
            .build();
        cli::tell(picture);
    }
    cli::tell(format_args!(
        "Waiting for the approval (Ctrl-C to cancel)..."
    ));
    match pin.wait().await.map_err(|error| login_failure(&error))? {
        PinOutcome::LoggedIn(logged_in) => Ok(*logged_in),
        PinOutcome::Expired => Err(Failure::error("the code expired: log in again")),
        PinOutcome::TimedOut => Err(Failure::error("gave up waiting for the approval")),
        _ => Err(Failure::error("the PIN login ended another way")),
    }
}

/// A new client identifier for this installation (not a secret: plex.tv shows it among the
/// account's devices).
fn new_client_identifier() -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    let first = RandomState::new().hash_one((nanos, std::process::id()));
    let second = RandomState::new().hash_one(first);
    format!("{TOOL}-{first:016x}{second:016x}")
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
        .map(|code| format!("Plex error code {}", code.number()))
}
