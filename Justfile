# Two commands matter: `just demo` (convert a sample image) and `just test` (everything CI runs).
set shell := ["bash", "-euo", "pipefail", "-c"]

# Crates that must stay pure Rust and build for wasm32-wasip2 (engines run as components).
wasm_crates := "-p blockio -p zfile -p tarwrap -p lsmt -p gzindex -p tarstream -p ociapply -p ext4 -p layer -p overlaybd"

default: test

# Install the tools the build and tests use (Debian packages, the wasm target, just).
setup:
    bash .ci/setup

# Make the project's sample image, convert it to overlaybd and TurboOCI with `convertor`, check
# and print the result.
demo: setup engines
    cargo build -p convertor --bin convertor
    cargo build -p convertor-tests --bin demo
    CONVERTOR=target/debug/convertor target/debug/demo target/demo

# Components the tests load, built once (release, wasm32-wasip2) and handed over by path.
wasm_dir := justfile_directory() / "target/wasm32-wasip2/release"
export ENGINE_WASM_DIR := wasm_dir
export OVERLAYBD_WASM := wasm_dir / "overlaybd_engine.wasm"
export TURBOOCI_WASM := wasm_dir / "turbooci_engine.wasm"
export RECOMPRESS_WASM := wasm_dir / "recompress_engine.wasm"
export HOSTILE_WASM := wasm_dir / "hostile_engine.wasm"

# Build, run every test, check the wasm build of the engine crates, then a short fuzz run.
test: setup engines wasm-check
    cargo build --workspace --all-targets
    cargo test --workspace --no-fail-fast
    just fuzz 10

# The engine crates must keep building for wasm32-wasip2 (same profile as the components).
wasm-check:
    cargo build --release --target wasm32-wasip2 {{wasm_crates}}

# Build the engine components (release, wasm32-wasip2) into target/wasm32-wasip2/release: the
# built-in engines, the sample engine, and the test engines (hostile, ABI and capability
# fixtures) the runtime, pipeline and bench tests load.
engines:
    cargo build --release --target wasm32-wasip2 -p overlaybd-engine -p turbooci-engine -p recompress-engine -p bench-engine
    cargo build --release --target wasm32-wasip2 --manifest-path host/runtime/tests/engines/Cargo.toml --workspace --target-dir target

# Run every fuzz target for SECONDS each (cargo-fuzz; libFuzzer needs RUSTC_BOOTSTRAP on stable).
fuzz SECONDS="60":
    command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
    for dir in engines/*/fuzz; do \
      for target in $(ls "$dir/fuzz_targets" | sed 's/\.rs$//'); do \
        echo "== fuzz ${dir%/fuzz} $target ({{SECONDS}} s)"; \
        (cd "${dir%/fuzz}" && RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="{{justfile_directory()}}/target/fuzz" \
          cargo fuzz run "$target" -- -max_total_time={{SECONDS}} -rss_limit_mb=2048 2>&1 | tail -2); \
      done; \
    done

# Throughput, peak memory and the ratio to a bare codec pass; IMAGE is an OCI layout[:tag]
# (default: the Debian rootfs-large image, built on first use; needs root and a Debian mirror).
bench IMAGE="": engines
    cargo build --release -p convertor-tests --bin bench -p convertor --bin convertor
    image="{{IMAGE}}"; \
    if [ -z "$image" ]; then \
      [ -f target/bench/rootfs-large/index.json ] || DEB_CACHE="$PWD/target/bench/debs" \
        bash ../shared/bench/make-rootfs-image.sh target/bench/rootfs-large --variant large; \
      image=target/bench/rootfs-large:latest; \
    fi; \
    target/release/bench "$image"

# End-to-end time of IMAGE (an OCI layout, tag latest) through a loopback docker-registry (copy
# in, convert both formats, push) against the same conversion of the layout; PROFILE=debug
# measures the dev build instead of a release one.
bench-registry IMAGE="target/bench/rootfs-large" PROFILE="release": engines
    cargo build {{ if PROFILE == "release" { "--release" } else { "" } }} -p convertor --bin convertor
    bash tests/bench-registry.sh "{{IMAGE}}" "target/{{PROFILE}}/convertor"
