# Shared by script/run and script/test: installs what is missing, from the package registries only.
# shellcheck shell=bash

DNAVAULT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DNAVAULT_ROOT
export PATH="$DNAVAULT_ROOT/node_modules/.bin:$PATH"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The Foundry binaries, solc-js and the Solidity libraries, pinned by package-lock.json.
ensure_node_toolchain() {
  command -v npm >/dev/null || die "npm is missing: install Node.js 20 or later"
  local stamp="$DNAVAULT_ROOT/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$DNAVAULT_ROOT/package-lock.json" -nt "$stamp" ]; then
    say "installing the pinned toolchain (npm ci)"
    (cd "$DNAVAULT_ROOT" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  fi
  forge --version >/dev/null || die "forge does not run from node_modules"
  anvil --version >/dev/null || die "anvil does not run from node_modules"
}

ensure_rust_toolchain() {
  command -v cargo >/dev/null || die "cargo is missing: install Rust with rustup"
  cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
  cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
}

# Debian packages the tests use: the PostgreSQL server (tests start their own throwaway clusters);
# bcftools, tabix and plink2, the peers the genome analyses are checked against; and Chromium, which the
# website's browser tests drive (with npm's playwright-core; about 1 min and 300 MB to install).
ensure_debian_packages() {
  local missing=()
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
  command -v bcftools >/dev/null || missing+=(bcftools)
  command -v tabix >/dev/null || missing+=(tabix)
  command -v plink2 >/dev/null || missing+=(plink2)
  command -v chromium >/dev/null || missing+=(chromium)
  # The load test's second process (tests/e2e/load.rs).
  command -v wrk >/dev/null || missing+=(wrk)
  # The native bindings' Kotlin test runs on the JVM with JNA.
  command -v javac >/dev/null || missing+=(default-jdk-headless)
  [ -f /usr/share/java/jna.jar ] || missing+=(libjna-java)
  apt_install "${missing[@]}"
}

# What script/run needs from Debian: bcftools, the analysis tool its story installs in the vault.
ensure_story_packages() {
  command -v bcftools >/dev/null || apt_install bcftools
}

# Installs Debian packages with apt-get (nothing when none is named).
apt_install() {
  [ $# -eq 0 ] && return
  say "installing Debian packages: $*"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@"
}

# schemathesis (PyPI), pinned in script/schemathesis/requirements.txt, in a virtualenv under target/: the
# end-to-end tests run it against the vault's and the website's OpenAPI descriptions (DNAVAULT_SCHEMATHESIS).
ensure_schemathesis() {
  local venv="$DNAVAULT_ROOT/target/python/schemathesis" requirements="$DNAVAULT_ROOT/script/schemathesis/requirements.txt"
  if [ ! -x "$venv/bin/schemathesis" ] || [ "$requirements" -nt "$venv/.installed" ]; then
    say "installing schemathesis from PyPI into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    touch "$venv/.installed"
  fi
  export DNAVAULT_SCHEMATHESIS="$venv/bin/schemathesis"
}

# Ledger's ERC-7730 clear-signing tool (PyPI), pinned in script/erc7730/requirements.txt, in a virtualenv
# under target/. It declares Python 3.12; script/erc7730/run.py says why 3.11 runs it.
ensure_erc7730() {
  local venv="$DNAVAULT_ROOT/target/python/erc7730" requirements="$DNAVAULT_ROOT/script/erc7730/requirements.txt"
  ERC7730_PYTHON="$venv/bin/python"
  if [ ! -x "$ERC7730_PYTHON" ] || [ "$requirements" -nt "$venv/.installed" ]; then
    say "installing Ledger's erc7730 tool from PyPI into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --ignore-requires-python -r "$requirements"
    touch "$venv/.installed"
  fi
}

# The wasm toolchain the phone authenticator's core is built with (../shared/notes/wasm-and-phone.md):
# Debian's rustc-web with its matching standard-library source (rust-web-src), unpacked under target/
# (never installed over rustup's), run by rustup's cargo with -Zbuild-std; clang for ring's C code; and
# wasm-bindgen-cli from crates.io at the wasm-bindgen crate's exact version in Cargo.lock. Cold: under a
# minute of downloads and about 3 min to build wasm-bindgen-cli. Exports what `cargo` needs to target wasm32.
ensure_wasm_toolchain() {
  local dir="$DNAVAULT_ROOT/target/wasm-toolchain" sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  if [ ! -x "$dir/root/usr/bin/rustc" ]; then
    say "unpacking Debian's rustc-web and rust-web-src into $dir/root"
    rm -rf "$dir/debs" "$dir/root" && mkdir -p "$dir/debs" "$dir/root"
    "${sudo[@]}" apt-get update -qq
    # The security suite serves the newest pair; compiler and source always come together.
    (cd "$dir/debs" && apt-get download -qq rustc-web libstd-rust-web-1.96 libstd-rust-web-dev rust-web-src \
      rust-web-llvm libllvm22 lld-22 2>/dev/null ||
      apt-get download -qq rustc-web libstd-rust-web-dev rust-web-src rust-web-llvm)
    for deb in "$dir"/debs/*.deb; do dpkg -x "$deb" "$dir/root"; done
  fi
  command -v clang-16 >/dev/null && command -v llvm-ar-16 >/dev/null || {
    say "installing clang-16 and llvm-16 (ring's C code for wasm)"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends clang-16 llvm-16
  }
  local bindgen_version
  bindgen_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' \
    "$DNAVAULT_ROOT/Cargo.lock")"
  [ -n "$bindgen_version" ] || die "Cargo.lock names no wasm-bindgen version"
  if [ "$("$dir/cargo/bin/wasm-bindgen" --version 2>/dev/null)" != "wasm-bindgen $bindgen_version" ]; then
    say "building wasm-bindgen-cli $bindgen_version from crates.io (about 3 min)"
    # Not --locked: its lock file names a webpki-roots release crates.io no longer serves.
    cargo install --quiet --root "$dir/cargo" wasm-bindgen-cli --version "=$bindgen_version" ||
      die "wasm-bindgen-cli $bindgen_version did not build"
  fi
  export PATH="$dir/cargo/bin:$PATH"
  export DNAVAULT_WASM_RUSTC="$dir/root/usr/bin/rustc" DNAVAULT_WASM_LIBS="$dir/root/usr/lib/x86_64-linux-gnu"
}

# cargo aimed at wasm32 with the toolchain ensure_wasm_toolchain unpacked (its own target dir, so native
# builds keep their cache): `wasm_cargo build -p CRATE --release`.
wasm_cargo() {
  local verb="$1"; shift
  LD_LIBRARY_PATH="$DNAVAULT_WASM_LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    RUSTC="$DNAVAULT_WASM_RUSTC" RUSTDOC="${DNAVAULT_WASM_RUSTC%rustc}rustdoc" RUSTC_BOOTSTRAP=1 \
    RUSTFLAGS='--cfg getrandom_backend="wasm_js"' \
    CC_wasm32_unknown_unknown=clang-16 AR_wasm32_unknown_unknown=llvm-ar-16 \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="${DNAVAULT_WASM_RUSTC%rustc}rust-lld" \
    cargo "$verb" --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort \
    --target-dir "$DNAVAULT_ROOT/target/wasm" "$@"
}
