//! What the three walk-throughs share: numbered steps on stdout, and a fresh directory for the
//! token store of each run.

use std::path::PathBuf;

/// Prints step `number` of the walk-through.
pub fn step(number: u32, what: &str) {
    println!("{number}. {what}");
}

/// A directory of its own for this run's token store (the README's `/var/lib/my-service/...`).
pub fn state_dir(vendor: &str) -> PathBuf {
    std::env::temp_dir().join(format!("newcomer-{vendor}-{}", std::process::id()))
}
