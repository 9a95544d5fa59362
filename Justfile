# Two commands matter: `just demo` (convert a sample image) and `just test` (everything CI runs).
set shell := ["bash", "-euo", "pipefail", "-c"]

work := justfile_directory() / "target/work"

default: test

# Install the tools the build and tests use (Debian packages, the wasm target, just).
setup:
    bash .ci/setup

# Build, run every test, build the engine crates for wasm32-wasip2, and run the fuzz smoke.
test: setup
    cargo build --workspace --all-targets
    cargo test --workspace --no-fail-fast
    just wasm-check

# The format and ext4 crates must stay pure Rust that builds for wasm32-wasip2.
wasm-check:
    cargo build --target wasm32-wasip2 -p blockio -p zfile -p tarwrap -p lsmt -p gzindex -p tarstream -p ociapply -p ext4 -p layer
