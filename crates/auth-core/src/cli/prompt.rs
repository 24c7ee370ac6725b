//! Reading what a person types: a line, or a secret without echo (from stdin when it is not a
//! terminal), and a secret from the environment first.

use std::io::{BufRead, IsTerminal, Write};

use super::Failure;
use crate::secret::Secret;

/// The secret in the environment variable `variable` when it is set and not empty; otherwise
/// asked for with `prompt` ([`prompt_secret`]). Secrets never come as arguments, which shell
/// history and process lists keep.
pub async fn secret_or_prompt(variable: &str, prompt: &str) -> Result<Secret, Failure> {
    match std::env::var(variable) {
        Ok(value) if !value.is_empty() => Ok(Secret::from(value)),
        _ => prompt_secret(prompt).await,
    }
}

/// A failure unless a person can answer a prompt ([`interactive`]): `why` says what needs
/// one (a one-time code, say).
pub fn require_terminal(why: &str) -> Result<(), Failure> {
    if interactive() {
        Ok(())
    } else {
        Err(Failure::error(format!("{why}: run it at a terminal")))
    }
}

/// Whether a person can answer prompts: standard input is a terminal.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal()
}

/// Asks for one line on stderr and reads it from stdin (end of input: cancelled).
pub async fn prompt_line(prompt: &str) -> Result<String, Failure> {
    let prompt = prompt.to_owned();
    blocking(move || {
        let mut stderr = std::io::stderr();
        let _ = write!(stderr, "{prompt}");
        let _ = stderr.flush();
        let mut line = String::new();
        match std::io::stdin().lock().read_line(&mut line) {
            Ok(0) => Err(Failure::cancelled()),
            Ok(_) => Ok(line.trim().to_owned()),
            Err(error) => Err(Failure::error(format!("cannot read the answer: {error}"))),
        }
    })
    .await
}

/// Asks for a secret on the terminal, read without echo; without a terminal, one line of
/// stdin (`printf %s "$TOKEN" | tool login --with-token`). An empty answer is cancelled.
pub async fn prompt_secret(prompt: &str) -> Result<Secret, Failure> {
    let prompt = prompt.to_owned();
    blocking(move || {
        let answer = if interactive() {
            rpassword::prompt_password(&prompt)
        } else {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map(|_| line.trim_end_matches(['\r', '\n']).to_owned())
        };
        match answer {
            Ok(secret) if secret.is_empty() => Err(Failure::cancelled()),
            Ok(secret) => Ok(Secret::from(secret)),
            // Ctrl-D on an empty line, or Ctrl-C (the terminal is restored before either).
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::Interrupted
                ) =>
            {
                Err(Failure::cancelled())
            }
            Err(error) => Err(Failure::error(format!("cannot read the secret: {error}"))),
        }
    })
    .await
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Failure> + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|_| Err(Failure::error("the prompt failed")))
}
