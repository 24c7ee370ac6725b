//! `cargo bench -p xtask`: the time of a full `cargo xtask codegen` (three specs parsed,
//! lowered, emitted and formatted, in memory), median of 9 runs.

use std::hint::black_box;
use std::time::{Duration, Instant};

fn main() {
    let root = xtask::workspace_root();
    let mut runs: Vec<Duration> = (0..9)
        .map(|_| {
            let started = Instant::now();
            black_box(xtask::codegen::generate(&root).expect("the specs generate"));
            started.elapsed()
        })
        .collect();
    runs.sort();
    println!(
        "full codegen (3 specs, in memory): {:.1} ms (median of 9; fastest {:.1} ms)",
        runs[4].as_secs_f64() * 1e3,
        runs[0].as_secs_f64() * 1e3
    );
}
