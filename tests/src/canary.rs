//! A secret value the canary tests plant everywhere, and the check that printed text never
//! contains it.

/// Planted in every secret field, header and credential; it must never be printed.
pub const CANARY: &str = "canary-5ecret-7f3a";

/// Panics, naming `what`, when `printed` contains [`CANARY`].
pub fn assert_clean(what: &str, printed: &str) {
    assert!(
        !printed.contains(CANARY),
        "{what} printed a secret: {printed}"
    );
}
