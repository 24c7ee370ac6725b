//! TLS through rustls with the ring crypto provider, chosen for each client: nothing is installed
//! process-wide, so an application's own rustls provider (or none) is left as it is.

use std::sync::Arc;

use rustls::pki_types::CertificateDer;

use crate::error::Error;

/// A rustls configuration with ring, the platform's certificate verifier, and `extra_roots`
/// trusted besides the platform's roots. reqwest is built without a provider of its own
/// (`rustls-no-provider`), which keeps aws-lc-rs and its C build out of every user's build.
pub(crate) fn config(extra_roots: &[Vec<u8>]) -> Result<rustls::ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = extra_roots
        .iter()
        .map(|der| CertificateDer::from(der.clone()));
    let verifier =
        rustls_platform_verifier::Verifier::new_with_extra_roots(roots, provider.clone())
            .map_err(|err| Error::Config(format!("cannot load the TLS roots: {err}")))?;
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| Error::Config(format!("cannot configure TLS: {err}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(config)
}
