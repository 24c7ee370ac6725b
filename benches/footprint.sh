#!/usr/bin/env bash
# Footprint of depending on one vendor crate (default features) against a baseline that depends
# on reqwest (its default TLS), serde_json and tokio: the crates each compiles, the crates ours
# adds beyond the baseline, and the time of a cold debug build of each (fresh target folder).
#
#   bash benches/footprint.sh            (about 2 minutes per build on 2 cores)
#   FOOTPRINT_BUILD=0 bash benches/footprint.sh   (crate counts only)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

project() { # name dependencies...
  local dir="$work/$1"; shift
  mkdir -p "$dir/src"
  {
    printf '[package]\nname = "footprint"\nversion = "0.0.0"\nedition = "2024"\n\n[dependencies]\n'
    printf '%s\n' "$@"
    printf 'tokio = { version = "1", features = ["rt-multi-thread", "macros"] }\n\n[workspace]\n'
  } >"$dir/Cargo.toml"
  printf '#[tokio::main]\nasync fn main() {}\n' >"$dir/src/main.rs"
  echo "$dir"
}
crates() { (cd "$1" && cargo tree -e normal,build --prefix none --format '{p}' 2>/dev/null | sed 's/ (.*//; s/ (\*)//' | sort -u | grep -v '^footprint '); }

baseline=$(project baseline 'reqwest = "0.13"' 'serde_json = "1"')
declare -A projects=(
  [emnify-auth]=$(project emnify "emnify-auth = { path = \"$root/crates/emnify-auth\" }")
  [dintero-auth]=$(project dintero "dintero-auth = { path = \"$root/crates/dintero-auth\" }")
  [plex-auth]=$(project plex "plex-auth = { path = \"$root/crates/plex-auth\" }")
)
crates "$baseline" >"$work/baseline.txt"
echo "baseline (reqwest default TLS + serde_json + tokio): $(wc -l <"$work/baseline.txt") crates"
for name in emnify-auth dintero-auth plex-auth; do
  crates "${projects[$name]}" >"$work/$name.txt"
  extra=$(comm -13 "$work/baseline.txt" "$work/$name.txt")
  echo "$name: $(wc -l <"$work/$name.txt") crates, $(printf '%s\n' "$extra" | grep -c . || true) beyond the baseline: $(echo $extra | sed 's/ v[0-9][^ ]*//g')"
done

[ "${FOOTPRINT_BUILD:-1}" = 0 ] && exit 0
build() { # dir
  local started=$SECONDS
  (cd "$1" && CARGO_TARGET_DIR="$1/target" cargo build --quiet 2>/dev/null)
  echo $((SECONDS - started))
}
base_time=$(build "$baseline")
echo "cold debug build, baseline: ${base_time} s"
for name in emnify-auth dintero-auth plex-auth; do
  t=$(build "${projects[$name]}")
  echo "cold debug build, $name: ${t} s (ratio $(python3 -c "print(f'{$t/$base_time:.2f}')"))"
done
