//! JWT device authentication (feature `jwt`): the device's Ed25519 key ([`DeviceKey`]), kept in
//! a token store so that the device stays the same device; [`JwtDevice`], the token provider
//! that signs plex.tv's nonces with it for 7-day Plex tokens; and the signed polls of a PIN
//! created with the key.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use auth_core::{
    ApiError, FetchFuture, Secret, StoredToken, Token, TokenError, TokenErrorKind, TokenProvider,
    TokenStore, TokenStoreError,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer as _, SigningKey};

use crate::errors::RegisterJwkError;
use crate::models::{ExchangeJwtRequest, Jwk, RegisterJwkRequest};
use crate::verify::{JwtVerifyError, PlexKeys};
use crate::{Client, PinWaitError};

/// The scopes a device asks for unless told otherwise (python-plexapi's `MyPlexJWTLogin`
/// default, as the JWT documentation lists them).
///
/// Needs the feature `jwt`.
pub const DEFAULT_SCOPES: &[&str] = &[
    "username",
    "email",
    "friendly_name",
    "restricted",
    "anonymous",
    "joinedAt",
];

/// [`DEFAULT_SCOPES`], owned.
fn default_scopes() -> Vec<String> {
    DEFAULT_SCOPES
        .iter()
        .map(|scope| (*scope).to_owned())
        .collect()
}

/// How long a signed device JWT is valid: five minutes, as python-plexapi signs them.
const DEVICE_JWT_SECONDS: u64 = 300;

/// Why a stored device key could not be read.
///
/// Needs the feature `jwt`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceKeyError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] TokenStoreError),
    /// What the store holds under the key is not a device key (its text is not shown).
    #[error("the store holds no valid device key under {key:?}")]
    Corrupt {
        /// The store's key.
        key: String,
    },
    /// The operating system gave no randomness for a new key.
    #[error("no randomness for a new device key: {0}")]
    Randomness(String),
}

/// The device's identity for JWT authentication: its client identifier, the id of its key, and
/// the Ed25519 key itself. `Debug` shows the identifier and the key id, never the key.
///
/// Needs the feature `jwt`.
#[derive(Clone)]
pub struct DeviceKey {
    client_identifier: String,
    key_id: String,
    signing: SigningKey,
}

impl fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceKey")
            .field("client_identifier", &self.client_identifier)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

impl DeviceKey {
    /// A new key for the device `client_identifier`, from the operating system's randomness.
    pub fn generate(client_identifier: impl Into<String>) -> Result<Self, DeviceKeyError> {
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed)
            .map_err(|error| DeviceKeyError::Randomness(error.to_string()))?;
        let signing = SigningKey::from_bytes(&seed);
        seed.fill(0);
        let mut id = [0u8; 16];
        getrandom::getrandom(&mut id)
            .map_err(|error| DeviceKeyError::Randomness(error.to_string()))?;
        Ok(Self {
            client_identifier: client_identifier.into(),
            key_id: id.iter().map(|b| format!("{b:02x}")).collect(),
            signing,
        })
    }

    /// The device's client identifier (send it as `X-Plex-Client-Identifier`).
    pub fn client_identifier(&self) -> &str {
        &self.client_identifier
    }

    /// The key's id (`kid`).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The public key as the JWK plex.tv registers.
    pub fn jwk(&self) -> Jwk {
        let public = self.signing.verifying_key();
        Jwk::new("OKP", "Ed25519", URL_SAFE_NO_PAD.encode(public.as_bytes()))
            .with_kid(self.key_id.clone())
            .with_use("sig")
            .with_alg("EdDSA")
    }

    /// The key in `store` under `key`, if one is there.
    pub async fn load(store: &impl TokenStore, key: &str) -> Result<Option<Self>, DeviceKeyError> {
        let Some(stored) = store.load(key).await? else {
            return Ok(None);
        };
        let corrupt = || DeviceKeyError::Corrupt {
            key: key.to_owned(),
        };
        let client_identifier = stored.client_identifier.ok_or_else(corrupt)?;
        let (key_id, seed) = stored
            .access_token
            .expose()
            .split_once('.')
            .ok_or_else(corrupt)?;
        let mut bytes = [0u8; 32];
        match URL_SAFE_NO_PAD.decode(seed) {
            Ok(decoded) if decoded.len() == 32 => bytes.copy_from_slice(&decoded),
            _ => return Err(corrupt()),
        }
        let signing = SigningKey::from_bytes(&bytes);
        bytes.fill(0);
        Ok(Some(Self {
            client_identifier,
            key_id: key_id.to_owned(),
            signing,
        }))
    }

    /// Keeps the key in `store` under `key` (a [`FileTokenStore`](auth_core::FileTokenStore)
    /// writes it 0600, atomically; a keyring keeps it in the OS store).
    pub async fn save(&self, store: &impl TokenStore, key: &str) -> Result<(), TokenStoreError> {
        let mut text = self.key_id.clone();
        text.push('.');
        text.push_str(&URL_SAFE_NO_PAD.encode(self.signing.to_bytes()));
        let stored = StoredToken::of(&Token::new(Secret::new(text)))
            .with_client_identifier(self.client_identifier.clone());
        store.save(key, &stored).await
    }

    /// The key in `store` under `key`, or a new one for `client_identifier`, saved there.
    pub async fn load_or_generate(
        store: &impl TokenStore,
        key: &str,
        client_identifier: impl Into<String>,
    ) -> Result<Self, DeviceKeyError> {
        if let Some(existing) = Self::load(store, key).await? {
            return Ok(existing);
        }
        let generated = Self::generate(client_identifier)?;
        generated.save(store, key).await?;
        Ok(generated)
    }

    /// A device JWT over `nonce` for `scopes`, signed with the key (EdDSA).
    pub fn sign(&self, nonce: &str, scopes: &[String]) -> Secret {
        let header = serde_json::json!({"alg": "EdDSA", "typ": "JWT", "kid": self.key_id});
        let now = unix_now();
        let claims = serde_json::json!({
            "nonce": nonce,
            "scope": scopes.join(","),
            "aud": "plex.tv",
            "iss": self.client_identifier,
            "iat": now,
            "exp": now.saturating_add(DEVICE_JWT_SECONDS),
        });
        let mut jwt = URL_SAFE_NO_PAD.encode(header.to_string());
        jwt.push('.');
        jwt.push_str(&URL_SAFE_NO_PAD.encode(claims.to_string()));
        let signature = self.signing.sign(jwt.as_bytes());
        jwt.push('.');
        jwt.push_str(&URL_SAFE_NO_PAD.encode(signature.to_bytes()));
        Secret::new(jwt)
    }
}

/// Plex tokens obtained with a registered [`DeviceKey`]: each fetch asks plex.tv for a nonce,
/// signs it, and trades the signed JWT for a Plex token that expires after 7 days, verified
/// against plex.tv's keys ([`PlexKeys`]) and issued to this device key; a token source renews it
/// before then. Use it with `client.with_token_provider(device)` on a client
/// that sends the key's client identifier.
///
/// ```
/// use plex_auth::{Client, ClientIdentity, DeviceKey, FileTokenStore, JwtDevice, TokenProvider};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # // The hidden lines run this against the crate's local fakes (`plex_auth::testing`).
/// # use plex_auth::testing::{builder, PlexConfig, PlexFake};
/// # let (_fake, servers) = PlexFake::start(PlexConfig { password: "password".into(), two_factor_code: Some("123456".into()), ..Default::default() }).await?;
/// # let state = std::env::temp_dir().join(format!("plex-doc-{}-{}", std::process::id(), line!()));
/// let store = FileTokenStore::new("/var/lib/my-app/plex");
/// # let store = FileTokenStore::new(&state);
/// let key = DeviceKey::load_or_generate(&store, "device-key", "my-install-id").await?;
/// let identity = ClientIdentity::new(key.client_identifier()).product("my-app");
/// let client = Client::new(&identity)?;
/// # let client = builder(&servers, &identity).build()?;
/// # let plex_auth::LoginOutcome::MfaRequired(pending) = client.login("user@example.org", "password").await? else { unreachable!() };
/// # let legacy_token = pending.complete("123456").await?.account.auth_token;
/// // Once, with the legacy token of a login (PIN or sign-in): register the key, switch to JWTs.
/// let device = JwtDevice::register(&client.with_token(legacy_token), key).await?;
/// let client = client.with_token_provider(device.stored_in(store, "plex-jwt"));
/// let account = client.authentication().get_token_details().await?;
/// println!("{} on a 7-day JWT", account.username);
/// # std::fs::remove_dir_all(&state)?;
/// # Ok(())
/// # }
/// ```
///
/// Needs the feature `jwt`.
pub struct JwtDevice {
    client: Client,
    key: DeviceKey,
    scopes: Vec<String>,
    keys: PlexKeys,
}

impl fmt::Debug for JwtDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtDevice")
            .field("key", &self.key)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

impl JwtDevice {
    /// The device of `key`, already registered with plex.tv, obtaining tokens through
    /// `client`'s connection pool (its credentials are not sent).
    pub fn new(client: &Client, key: DeviceKey) -> Self {
        Self {
            client: client.with_credentials(auth_core::Credentials::None),
            key,
            scopes: default_scopes(),
            keys: PlexKeys::new(client),
        }
    }

    /// Registers `key` with plex.tv through `client` (which sends a valid token, the legacy
    /// token of a login, say, and the key's client identifier): the upgrade from the legacy
    /// token to JWT authentication, in one call.
    pub async fn register(
        client: &Client,
        key: DeviceKey,
    ) -> Result<Self, ApiError<RegisterJwkError>> {
        client
            .authentication()
            .register_jwk(&RegisterJwkRequest::new(key.jwk()))
            .await?;
        Ok(Self::new(client, key))
    }

    /// The same device asking for `scopes` instead of [`DEFAULT_SCOPES`].
    #[must_use]
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The device's key.
    pub fn key(&self) -> &DeviceKey {
        &self.key
    }
}

impl TokenProvider for JwtDevice {
    fn fetch(&self) -> FetchFuture<'_> {
        Box::pin(async move {
            let api = self.client.authentication();
            let nonce = api.get_nonce().await.map_err(TokenError::from)?;
            let signed = self.key.sign(&nonce.nonce, &self.scopes);
            let token = api
                .exchange_jwt(&ExchangeJwtRequest::new(signed))
                .await
                .map_err(TokenError::from)?;
            // Verified against plex.tv's published keys, for this device: only then is its `exp`
            // the token's lifetime.
            let claims = self
                .keys
                .verify_for(&token.auth_token, &self.key)
                .await
                .map_err(|error| {
                    let kind = match &error {
                        JwtVerifyError::Keys(_)
                        | JwtVerifyError::KeysUnavailable
                        | JwtVerifyError::UnknownKey => TokenErrorKind::Unavailable,
                        _ => TokenErrorKind::Rejected,
                    };
                    TokenError::new(kind, error)
                })?;
            let lifetime = claims
                .expires_at
                .duration_since(SystemTime::now())
                .unwrap_or_default();
            Ok(Token::expiring_in(token.auth_token, lifetime))
        })
    }
}

/// How long a device JWT that polls a PIN is used: a minute short of its five, so that it is
/// made again (over a new nonce) before plex.tv would refuse it.
const PIN_DEVICE_JWT_REUSE: Duration = Duration::from_secs(DEVICE_JWT_SECONDS - 60);

/// What polling a PIN created with a device key needs ([`PinLogin::start_with_key`]): the key,
/// the device JWT it signs over a nonce (made again as it nears its end), and plex.tv's keys, to
/// verify the Plex JWT the linked PIN carries.
///
/// [`PinLogin::start_with_key`]: crate::PinLogin::start_with_key
pub(crate) struct PinDevice {
    key: DeviceKey,
    scopes: Vec<String>,
    keys: PlexKeys,
    signed: tokio::sync::Mutex<Option<(Secret, Instant)>>,
}

impl fmt::Debug for PinDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinDevice")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl PinDevice {
    pub(crate) fn new(client: &Client, key: DeviceKey) -> Self {
        Self {
            key,
            scopes: default_scopes(),
            keys: PlexKeys::new(client),
            signed: tokio::sync::Mutex::new(None),
        }
    }

    /// One poll of PIN `pin_id` through `client`, with a device JWT: the linked PIN's Plex JWT,
    /// verified, or `None` while it is not linked.
    pub(crate) async fn poll(
        &self,
        client: &Client,
        pin_id: i64,
    ) -> Result<Option<Secret>, PinWaitError> {
        let device_jwt = self.device_jwt(client).await?;
        let pin = client
            .authentication()
            .get_pin(pin_id, Some(&device_jwt))
            .await?;
        let Some(token) = pin.auth_token.filter(|token| !token.is_empty()) else {
            return Ok(None);
        };
        self.keys
            .verify_for(&token, &self.key)
            .await
            .map_err(PinWaitError::Verify)?;
        Ok(Some(token))
    }

    /// The device JWT to poll with: the last one while it is fresh, else one over a new nonce.
    async fn device_jwt(&self, client: &Client) -> Result<Secret, PinWaitError> {
        let mut signed = self.signed.lock().await;
        if let Some((jwt, at)) = &*signed
            && at.elapsed() < PIN_DEVICE_JWT_REUSE
        {
            return Ok(jwt.clone());
        }
        let nonce = client
            .authentication()
            .get_nonce()
            .await
            .map_err(PinWaitError::Nonce)?;
        let jwt = self.key.sign(&nonce.nonce, &self.scopes);
        *signed = Some((jwt.clone(), Instant::now()));
        Ok(jwt)
    }
}
