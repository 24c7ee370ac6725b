//! `cargo bench -p xtask`: the time of a full `cargo xtask codegen` (the three specs and the
//! generator's fixtures parsed, lowered, emitted and formatted, in memory; nothing is written).

fn main() {
    divan::main();
}

#[divan::bench(sample_count = 20, sample_size = 1)]
fn full_codegen(bencher: divan::Bencher) {
    let root = xtask::workspace_root();
    bencher.bench_local(|| xtask::codegen::generate(&root).expect("the specs generate"));
}
