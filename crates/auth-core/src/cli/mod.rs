//! The `cli` feature: what the vendor crates' command lines share, so that each binary writes
//! only its vendor's logins: the exit codes scripts branch on and the one-line failure
//! ([`Exit`], [`Failure`], [`failure`]), the binaries' [`main`], profiles and their stores
//! ([`Tool`], [`Profile`]), prompts, and the token a command prints ([`Tool::fresh_token`]).
//! It uses the errors, secrets and token stores; nothing here knows a vendor.

use std::fmt;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

mod profiles;
mod prompt;
mod tokens;

pub use profiles::{Profile, StoreKind, Tool};
pub use prompt::{interactive, prompt_line, prompt_secret, require_terminal, secret_or_prompt};
pub use tokens::{RENEW_AHEAD, TOKEN_TIMEOUT, expiry_in_words, obtain, print_token};

use crate::error::{TokenError, TokenErrorKind};

/// What a command ended with: the exit codes a script can branch on, as `gh` has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: done.
    Done = 0,
    /// 1: an error (the vendor refused, the network failed, the input was wrong).
    Error = 1,
    /// 2: cancelled by the user (Ctrl-C, or end of input at a prompt).
    Cancelled = 2,
    /// 4: no usable login: run `login` (nothing stored, or the vendor refused what was).
    LoginNeeded = 4,
}

/// Why a command failed: its exit code and one line for stderr, which never holds a secret.
#[derive(Debug)]
pub struct Failure {
    exit: Exit,
    line: String,
}

impl Failure {
    /// A failure with exit code 1.
    pub fn error(line: impl fmt::Display) -> Self {
        Self::new(Exit::Error, line)
    }

    /// A failure with exit code 4: no usable login.
    pub fn login_needed(line: impl fmt::Display) -> Self {
        Self::new(Exit::LoginNeeded, line)
    }

    /// The user cancelled (exit code 2).
    pub fn cancelled() -> Self {
        Self::new(Exit::Cancelled, "cancelled")
    }

    /// A failure of `exit` saying `line` (folded to one line).
    pub fn new(exit: Exit, line: impl fmt::Display) -> Self {
        let line = line.to_string();
        Self {
            exit,
            line: line.split_whitespace().collect::<Vec<_>>().join(" "),
        }
    }

    /// The exit code.
    pub fn exit(&self) -> Exit {
        self.exit
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line)
    }
}

/// A binary's `main`: runs `command` to its end, or until Ctrl-C (exit code 2), and prints its
/// failure on stderr as one line, `tool: line`. After Ctrl-C the command gets a moment to
/// end by itself (a secret prompt restores the terminal as it returns); a prompt still waiting
/// for input after that is left behind.
pub fn main<F>(tool: &str, command: F) -> ExitCode
where
    F: Future<Output = Result<(), Failure>>,
{
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tell(format_args!("{tool}: cannot start: {error}"));
            return ExitCode::from(Exit::Error as u8);
        }
    };
    let outcome = runtime.block_on(async {
        let mut command = std::pin::pin!(command);
        // Without a signal handler (it could not be installed) only the command ends it.
        let interrupted = async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            outcome = &mut command => outcome,
            () = interrupted => {
                let _ = tokio::time::timeout(Duration::from_millis(300), &mut command).await;
                Err(Failure::cancelled())
            }
        }
    });
    runtime.shutdown_background();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            tell(format_args!("{tool}: {failure}"));
            ExitCode::from(failure.exit as u8)
        }
    }
}

/// A binary's exit when its arguments were not parsed: `printed` is the parser's message
/// written out (help and version on stdout, 0; a usage error on stderr, 1, as exit code 2
/// means cancelled here). For `Err(usage) => cli::usage_exit(usage.print(), usage.use_stderr())`.
pub fn usage_exit(printed: std::io::Result<()>, is_error: bool) -> ExitCode {
    let _ = printed;
    ExitCode::from(if is_error { Exit::Error as u8 } else { 0 })
}

/// Writes `line` and a newline on stderr, for the person at the terminal (what a command
/// asks, what it did, why it failed). A closed stderr loses the line, without a panic.
pub fn tell(line: impl fmt::Display) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{line}");
}

/// Writes `line` and a newline on stdout; a closed stdout (`tool token | true`) is a failure,
/// not a panic.
pub fn out(line: impl fmt::Display) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .map_err(|error| Failure::error(format!("cannot write to stdout: {error}")))
}

/// `error` in one line, with `code` (the vendor's error code, in words) after it. Exit code 4
/// when only a new login mends it: the vendor refused what the stored login obtains tokens
/// with ([`needs_login`]), or answered 401 to the stored token; 1 otherwise.
pub fn failure<E>(error: &E, code: Option<String>) -> Failure
where
    E: crate::ErrorMetadata + std::error::Error + 'static,
{
    let refused = error.status() == Some(reqwest::StatusCode::UNAUTHORIZED);
    let exit = if needs_login(error) || refused {
        Exit::LoginNeeded
    } else {
        Exit::Error
    };
    match code {
        Some(code) => Failure::new(exit, format!("{error} ({code})")),
        None => Failure::new(exit, error),
    }
}

/// The same for `login` itself: always exit code 1, as what was just given was refused.
pub fn login_failure<E>(error: &E, code: Option<String>) -> Failure
where
    E: crate::ErrorMetadata + std::error::Error + 'static,
{
    Failure::new(Exit::Error, failure(error, code))
}

/// Whether `error` is the vendor refusing what a stored login obtains tokens with (or a token
/// request that needs a person), which only a new login mends: exit code 4.
pub fn needs_login(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(error) = next {
        let kind = match error.downcast_ref::<crate::Error>() {
            Some(crate::Error::TokenRefresh(refused)) => Some(refused.kind()),
            _ => error.downcast_ref::<TokenError>().map(TokenError::kind),
        };
        if matches!(
            kind,
            Some(TokenErrorKind::Rejected | TokenErrorKind::InteractionRequired)
        ) {
            return true;
        }
        next = error.source();
    }
    false
}
