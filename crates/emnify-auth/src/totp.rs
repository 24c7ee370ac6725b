//! TOTP codes (RFC 6238) of emnify MFA keys: SHA-1, six digits, 30-second steps (feature
//! `totp`).

use std::time::{SystemTime, UNIX_EPOCH};

use auth_core::Secret;
use totp_rs::{Algorithm, TOTP};

/// Digits of an emnify code.
pub const DIGITS: usize = 6;
/// Seconds per step.
pub const STEP: u64 = 30;

/// A key secret that is not Base32.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the MFA key's secret is not valid Base32")]
pub struct TotpError;

/// The code of `secret` (Base32, as emnify returns it) at `unix_time` seconds.
///
/// ```
/// use auth_core::Secret;
/// // RFC 6238's SHA-1 seed, "12345678901234567890", in Base32:
/// let secret = Secret::new("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
/// assert_eq!(emnify_auth::totp::code_at(&secret, 59).unwrap(), "287082");
/// ```
pub fn code_at(secret: &Secret, unix_time: u64) -> Result<String, TotpError> {
    let bytes = totp_rs::Secret::Encoded(secret.expose().replace(' ', "").to_ascii_uppercase())
        .to_bytes()
        .map_err(|_| TotpError)?;
    Ok(generate(bytes, DIGITS, unix_time))
}

/// The code of `secret` now.
pub fn code_now(secret: &Secret) -> Result<String, TotpError> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    code_at(secret, now)
}

fn generate(secret: Vec<u8>, digits: usize, unix_time: u64) -> String {
    TOTP::new_unchecked(Algorithm::SHA1, digits, 1, STEP, secret).generate(unix_time)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B, SHA-1 rows (eight digits).
    #[test]
    fn matches_the_rfc_6238_vectors() {
        let seed = b"12345678901234567890".to_vec();
        for (time, expected) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(generate(seed.clone(), 8, time), expected, "at {time}");
        }
    }

    #[test]
    fn reads_base32_secrets_and_rejects_others() {
        let secret = Secret::new("gezd gnbv gy3t qojq gezd gnbv gy3t qojq");
        assert_eq!(code_at(&secret, 1_111_111_109).unwrap(), "081804");
        assert_eq!(code_at(&Secret::new("not base32!"), 0), Err(TotpError));
    }
}
