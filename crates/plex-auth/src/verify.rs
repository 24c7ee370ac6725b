//! Verifying the JWTs plex.tv gives (feature `jwt`): the key they name among the keys plex.tv
//! publishes (cached for a day, fetched again when a token names one the cache does not have),
//! the EdDSA signature, the issuer, the audience and the expiry, as python-plexapi's
//! `decodePlexJWT` checks them, instead of reading `exp` on trust.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_core::{ApiError, Secret};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, VerifyingKey};
use serde_json::Value;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::Client;
use crate::errors::GetPlexKeysError;

/// The issuer of plex.tv's JWTs.
const ISSUER: &str = "plex.tv";

/// The longest token read: a Plex JWT is well under 2 KiB.
const LONGEST_TOKEN: usize = 16 * 1024;

/// How soon after fetching the keys for an unknown key id they may be fetched again for another:
/// a rotation is one fetch, and no run of tokens naming made-up ids can make it storm plex.tv.
///
/// Needs the feature `jwt`.
pub const KEYS_REFETCH_SPACING: Duration = Duration::from_secs(300);

/// How old the cached keys may grow before a verification fetches them again.
const KEYS_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// How long after a failed fetch of plex.tv's keys no verification asks for them again.
const FAILED_FETCH_SPACING: Duration = Duration::from_secs(10);

/// Why a Plex JWT was not accepted. It never shows the token, nor the values the token claims.
///
/// Needs the feature `jwt`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JwtVerifyError {
    /// It is not a JWT (three base64url parts, a JSON header and claims), or is too long.
    #[error("the Plex token is not a well-formed JWT")]
    Malformed,
    /// Its header names another algorithm than EdDSA (`none` among them).
    #[error("the Plex token is not signed with EdDSA")]
    Algorithm,
    /// Its header names a key that plex.tv does not publish (after fetching the keys again, when
    /// that was allowed: see [`KEYS_REFETCH_SPACING`]).
    #[error("the Plex token is signed with a key plex.tv does not publish")]
    UnknownKey,
    /// The signature does not verify with the key it names.
    #[error("the Plex token's signature does not verify")]
    Signature,
    /// `iss` is missing or not `plex.tv`.
    #[error("the Plex token was not issued by plex.tv")]
    Issuer,
    /// `aud` is missing or names neither `plex.tv` nor this client's identifier.
    #[error("the Plex token is not meant for this client")]
    Audience,
    /// `exp` is missing or past.
    #[error("the Plex token has expired")]
    Expired,
    /// It was issued to another device key than the one it was obtained with (`thumbprint`).
    #[error("the Plex token was issued to another device key")]
    OtherDevice,
    /// A claim plex.tv always sets (`iat`, `thumbprint`) is missing or of the wrong type (or
    /// `iat` comes after `exp`).
    #[error("the Plex token lacks its {0} claim")]
    MissingClaim(&'static str),
    /// plex.tv's keys could not be fetched.
    #[error("could not fetch plex.tv's signing keys")]
    Keys(#[source] ApiError<GetPlexKeysError>),
    /// plex.tv's keys could not be fetched moments ago, and are not asked for again so soon (a
    /// pause of some seconds, so that verifications do not storm a failing plex.tv).
    #[error("plex.tv's signing keys could not be fetched moments ago")]
    KeysUnavailable,
}

/// What a verified Plex JWT says, beyond its signature.
///
/// Needs the feature `jwt`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlexClaims {
    /// When it expires (`exp`).
    pub expires_at: SystemTime,
    /// When it was issued (`iat`).
    pub issued_at: SystemTime,
    /// The id of the device key it was issued to (`thumbprint`).
    pub thumbprint: String,
    /// Who it is for (`aud`): `plex.tv` and the client identifier.
    pub audience: Vec<String>,
}

/// plex.tv's signing keys (`GET /auth/keys`), cached: verifies the JWTs plex.tv gives.
///
/// ```
/// use plex_auth::{ClientIdentity, PlexKeys};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use plex_auth::testing::{builder, PlexConfig, PlexFake};
/// # let (fake, servers) = PlexFake::start(PlexConfig::default()).await?;
/// let identity = ClientIdentity::new("my-install-id");
/// let client = plex_auth::Client::new(&identity)?;
/// # let client = builder(&servers, &identity).build()?;
/// let keys = PlexKeys::new(&client);
/// # let plex_jwt = fake.sign_plex_jwt("my-install-id", "a-device-key-id");
/// let claims = keys.verify(&plex_jwt, "my-install-id").await?;
/// println!("valid until {:?}, for device key {}", claims.expires_at, claims.thumbprint);
/// # Ok(())
/// # }
/// ```
///
/// Needs the feature `jwt`.
pub struct PlexKeys {
    client: Client,
    cache: Mutex<KeyCache>,
}

#[derive(Default)]
struct KeyCache {
    /// Key id and key, as last fetched; `None` before the first fetch.
    keys: Option<Vec<(String, VerifyingKey)>>,
    /// When the keys were last fetched because a token named an id they lacked.
    refetched_at: Option<Instant>,
    /// When a fetch last failed, if the last one did.
    failed_at: Option<Instant>,
    /// When the keys were last fetched.
    fetched_at: Option<Instant>,
}

impl KeyCache {
    /// Whether a fetch failed moments ago ([`FAILED_FETCH_SPACING`]).
    fn failed_lately(&self) -> bool {
        self.failed_at
            .is_some_and(|at| at.elapsed() < FAILED_FETCH_SPACING)
    }
}

impl fmt::Debug for PlexKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlexKeys").finish_non_exhaustive()
    }
}

impl PlexKeys {
    /// plex.tv's keys, fetched through `client`'s connection pool (its credentials are not
    /// sent) when first needed.
    pub fn new(client: &Client) -> Self {
        Self {
            client: client.with_credentials(auth_core::Credentials::None),
            cache: Mutex::new(KeyCache::default()),
        }
    }

    /// Verifies `token`, a JWT plex.tv gave the client `client_identifier`: its key among
    /// plex.tv's (fetched again once for a key id the cache lacks, a rotation), its EdDSA
    /// signature, `iss` (`plex.tv`), `aud` (`plex.tv` or `client_identifier`, as python-plexapi
    /// accepts it), `exp` (not past), and that `iat` and `thumbprint` are there. The audience
    /// does not tie a token to one device: [`PlexKeys::verify_for`] does, with its key.
    pub async fn verify(
        &self,
        token: &Secret,
        client_identifier: &str,
    ) -> Result<PlexClaims, JwtVerifyError> {
        let jwt = Jwt::parse(token.expose())?;
        let key = self.key(&jwt.kid).await?;
        let signature =
            Signature::from_slice(&jwt.signature).map_err(|_| JwtVerifyError::Signature)?;
        key.verify_strict(jwt.signed.as_bytes(), &signature)
            .map_err(|_| JwtVerifyError::Signature)?;
        jwt.claims(client_identifier, SystemTime::now())
    }

    /// [`PlexKeys::verify`] for a token obtained with `key`: also that plex.tv issued it to that
    /// key (`thumbprint`), as python-plexapi's `verifyJWT` checks.
    pub async fn verify_for(
        &self,
        token: &Secret,
        key: &crate::DeviceKey,
    ) -> Result<PlexClaims, JwtVerifyError> {
        let claims = self.verify(token, key.client_identifier()).await?;
        if claims.thumbprint != key.key_id() {
            return Err(JwtVerifyError::OtherDevice);
        }
        Ok(claims)
    }

    /// The key `kid`, from the cache or plex.tv.
    async fn key(&self, kid: &str) -> Result<VerifyingKey, JwtVerifyError> {
        let mut cache = self.cache.lock().await;
        let find = |cache: &KeyCache| {
            let keys = cache.keys.as_deref()?;
            keys.iter().find(|(id, _)| id == kid).map(|(_, key)| *key)
        };
        let stale = cache
            .fetched_at
            .is_some_and(|at| at.elapsed() >= KEYS_MAX_AGE);
        if stale && !cache.failed_lately() {
            // Keys a day old are fetched again, so that a key plex.tv withdrew stops being
            // trusted; while plex.tv cannot say, the keys it last said are kept.
            let _ = self.refresh(&mut cache).await;
        }
        if let Some(key) = find(&cache) {
            return Ok(key);
        }
        if cache.failed_lately() {
            return Err(JwtVerifyError::KeysUnavailable);
        }
        if cache.keys.is_some() {
            // An id the keys lack: fetch them again (a rotation), once per spacing, counted
            // from the attempt, whatever its outcome.
            if (cache.refetched_at).is_some_and(|at| at.elapsed() < KEYS_REFETCH_SPACING) {
                return Err(JwtVerifyError::UnknownKey);
            }
            cache.refetched_at = Some(Instant::now());
        }
        self.refresh(&mut cache).await?;
        find(&cache).ok_or(JwtVerifyError::UnknownKey)
    }

    /// Fetches the keys into `cache`, and records when it did, or when it failed (the keys it
    /// had are kept then).
    async fn refresh(&self, cache: &mut KeyCache) -> Result<(), JwtVerifyError> {
        match self.fetch().await {
            Ok(keys) => {
                cache.keys = Some(keys);
                cache.fetched_at = Some(Instant::now());
                cache.failed_at = None;
                Ok(())
            }
            Err(error) => {
                cache.failed_at = Some(Instant::now());
                Err(error)
            }
        }
    }

    /// plex.tv's Ed25519 keys (others, and malformed ones, left out).
    async fn fetch(&self) -> Result<Vec<(String, VerifyingKey)>, JwtVerifyError> {
        let set = self
            .client
            .authentication()
            .get_plex_keys()
            .await
            .map_err(JwtVerifyError::Keys)?;
        Ok(set
            .keys
            .into_iter()
            .filter(|jwk| jwk.kty == "OKP" && jwk.crv == "Ed25519")
            .filter_map(|jwk| {
                let x: [u8; 32] = URL_SAFE_NO_PAD.decode(&jwk.x).ok()?.try_into().ok()?;
                Some((jwk.kid?, VerifyingKey::from_bytes(&x).ok()?))
            })
            .collect())
    }
}

/// A JWT taken apart, not verified yet.
struct Jwt {
    kid: String,
    claims: Value,
    /// `header.payload`, what the signature is over.
    signed: String,
    signature: Vec<u8>,
}

impl Jwt {
    fn parse(token: &str) -> Result<Self, JwtVerifyError> {
        if token.len() > LONGEST_TOKEN {
            return Err(JwtVerifyError::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwtVerifyError::Malformed);
        };
        let json = |part: &str| -> Result<Value, JwtVerifyError> {
            let bytes = URL_SAFE_NO_PAD
                .decode(part)
                .map_err(|_| JwtVerifyError::Malformed)?;
            serde_json::from_slice(&bytes).map_err(|_| JwtVerifyError::Malformed)
        };
        let header = json(header)?;
        if header["alg"] != "EdDSA" {
            return Err(JwtVerifyError::Algorithm);
        }
        let kid = header["kid"]
            .as_str()
            .ok_or(JwtVerifyError::UnknownKey)?
            .to_owned();
        Ok(Self {
            kid,
            claims: json(payload)?,
            signed: token[..token.len() - signature.len() - 1].to_owned(),
            signature: URL_SAFE_NO_PAD
                .decode(signature)
                .map_err(|_| JwtVerifyError::Malformed)?,
        })
    }

    /// The claims, checked at `now`.
    fn claims(
        &self,
        client_identifier: &str,
        now: SystemTime,
    ) -> Result<PlexClaims, JwtVerifyError> {
        let claims = &self.claims;
        if claims["iss"] != ISSUER {
            return Err(JwtVerifyError::Issuer);
        }
        let audience: Vec<String> = match &claims["aud"] {
            Value::String(one) => vec![one.clone()],
            Value::Array(many) => many
                .iter()
                .filter_map(|aud| aud.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        if !audience
            .iter()
            .any(|aud| aud == ISSUER || aud == client_identifier)
        {
            return Err(JwtVerifyError::Audience);
        }
        let instant = |name| {
            claims[name]
                .as_u64()
                .and_then(|seconds| UNIX_EPOCH.checked_add(Duration::from_secs(seconds)))
        };
        let expires_at = instant("exp").ok_or(JwtVerifyError::Expired)?;
        if expires_at <= now {
            return Err(JwtVerifyError::Expired);
        }
        let issued_at = instant("iat")
            .filter(|issued_at| *issued_at <= expires_at)
            .ok_or(JwtVerifyError::MissingClaim("iat"))?;
        let thumbprint = claims["thumbprint"]
            .as_str()
            .ok_or(JwtVerifyError::MissingClaim("thumbprint"))?
            .to_owned();
        Ok(PlexClaims {
            expires_at,
            issued_at,
            thumbprint,
            audience,
        })
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::{Signer as _, SigningKey};
    use serde_json::json;

    use super::*;

    fn sign(key: &SigningKey, header: Value, claims: Value) -> String {
        let mut jwt = URL_SAFE_NO_PAD.encode(header.to_string());
        jwt.push('.');
        jwt.push_str(&URL_SAFE_NO_PAD.encode(claims.to_string()));
        let signature = key.sign(jwt.as_bytes());
        jwt.push('.');
        jwt.push_str(&URL_SAFE_NO_PAD.encode(signature.to_bytes()));
        jwt
    }

    fn claims(now: u64) -> Value {
        json!({"iss": "plex.tv", "aud": ["plex.tv", "my-client"], "iat": now, "exp": now + 600,
               "thumbprint": "device-kid", "user": {"username": "someone"}})
    }

    fn now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    #[test]
    fn the_claims_are_checked_one_by_one() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let header = json!({"alg": "EdDSA", "kid": "k1", "typ": "JWT"});
        let at = SystemTime::now();
        let check = |claims: Value| {
            Jwt::parse(&sign(&key, header.clone(), claims))
                .and_then(|jwt| jwt.claims("my-client", at))
        };
        let good = check(claims(now())).unwrap();
        assert_eq!(good.thumbprint, "device-kid");
        let mut wrong = claims(now());
        wrong["iss"] = json!("evil.example");
        assert!(matches!(check(wrong), Err(JwtVerifyError::Issuer)));
        let mut wrong = claims(now());
        wrong["aud"] = json!("someone-else");
        assert!(matches!(check(wrong), Err(JwtVerifyError::Audience)));
        let mut one = claims(now());
        one["aud"] = json!("my-client");
        assert!(check(one).is_ok(), "aud may be one string");
        let mut wrong = claims(now());
        wrong["exp"] = json!(now() - 1);
        assert!(matches!(check(wrong), Err(JwtVerifyError::Expired)));
        let mut wrong = claims(now());
        wrong["exp"] = json!("tomorrow");
        assert!(matches!(check(wrong), Err(JwtVerifyError::Expired)));
        let mut wrong = claims(now());
        wrong.as_object_mut().unwrap().remove("thumbprint");
        assert!(matches!(
            check(wrong),
            Err(JwtVerifyError::MissingClaim("thumbprint"))
        ));
        let mut backwards = claims(now());
        backwards["iat"] = json!(now() + 3600);
        assert!(matches!(
            check(backwards),
            Err(JwtVerifyError::MissingClaim("iat"))
        ));
        let mut huge = claims(now());
        huge["exp"] = json!(u64::MAX);
        assert!(
            check(huge).is_err(),
            "an exp past what the clock holds is refused, not a panic"
        );
    }

    #[test]
    fn only_eddsa_jwts_of_three_parts_are_read() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let none = sign(&key, json!({"alg": "none", "kid": "k1"}), claims(now()));
        assert!(matches!(Jwt::parse(&none), Err(JwtVerifyError::Algorithm)));
        let hs = sign(&key, json!({"alg": "HS256", "kid": "k1"}), claims(now()));
        assert!(matches!(Jwt::parse(&hs), Err(JwtVerifyError::Algorithm)));
        for malformed in [
            "",
            "a.b",
            "a.b.c.d",
            "!!.!!.!!",
            &"a".repeat(LONGEST_TOKEN + 1),
        ] {
            assert!(
                matches!(Jwt::parse(malformed), Err(JwtVerifyError::Malformed)),
                "{malformed:.20}"
            );
        }
        let good = sign(&key, json!({"alg": "EdDSA", "kid": "k1"}), claims(now()));
        let jwt = Jwt::parse(&good).unwrap();
        let signature = Signature::from_slice(&jwt.signature).unwrap();
        key.verifying_key()
            .verify_strict(jwt.signed.as_bytes(), &signature)
            .unwrap();
    }
}
