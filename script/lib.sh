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
  [ ${#missing[@]} -eq 0 ] && return
  say "installing Debian packages: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
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
