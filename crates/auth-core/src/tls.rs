//! The rustls crypto provider.

/// Makes ring the process's rustls crypto provider unless the application installed one first.
/// reqwest is built without a provider of its own (`rustls-no-provider`), which keeps aws-lc-rs and
/// its C build out of every user's build.
pub(crate) fn install_default_provider() {
    // An `Err` means a provider is installed already, which is all we need.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
