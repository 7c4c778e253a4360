#!/usr/bin/env bash
# Runs every padlock check: installs the real TLS peers the interop tests drive (tests never
# skip a missing peer), then cargo fmt --check, clippy -D warnings and cargo test --workspace.
# README's second command; .ci/run calls it (as root, CI=true, no stdin, fresh clone).
#
# Every step runs even if an earlier one failed, so one run shows everything that is wrong.
# The last line printed is always "N passed, M failed": the tests cargo counted, plus one
# failure for each step that failed outside the tests (install, fmt, clippy, a build error).
# The exit status is 0 only when M is 0.
set -uo pipefail
cd "$(dirname "$0")/.."

failed_steps=()

step() { echo "== $*"; }

# --- peers -----------------------------------------------------------------------------------
# Debian packages providing each command the interop tests run (chromium and certutil: the
# `padlock ca install` test loads padlock serve's page in headless Chromium).
declare -A package_of=([openssl]=openssl [gnutls-cli]=gnutls-bin [gnutls-serv]=gnutls-bin [curl]=curl
  [chromium]=chromium [certutil]=libnss3-tools)
missing=()
for tool in openssl gnutls-cli gnutls-serv curl chromium certutil; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${package_of[$tool]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
  step "installing TLS peers: $packages"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo -n)
  fi
  # shellcheck disable=SC2086 # $packages is a list of words
  if ! { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages; } </dev/null; then
    echo "!! could not install $packages; the interop tests will fail and say which peer is missing"
    failed_steps+=("install peers")
  fi
fi
echo "   $(openssl version 2>&1 | head -n 1)"
echo "   $(gnutls-cli --version 2>&1 | head -n 1)"
echo "   $(curl --version 2>&1 | head -n 1)"
echo "   $(chromium --version 2>&1 | head -n 1)"

# --- toolchain components --------------------------------------------------------------------
for component in rustfmt clippy; do
  sub=${component/rustfmt/fmt}
  if ! cargo "$sub" --version >/dev/null 2>&1 && command -v rustup >/dev/null 2>&1; then
    step "installing toolchain component $component"
    rustup component add "$component" </dev/null || true
  fi
done

# --- checks ----------------------------------------------------------------------------------
step "cargo fmt --check"
cargo fmt --all -- --check || failed_steps+=("cargo fmt --check")

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings || failed_steps+=("cargo clippy")

step "cargo test --workspace"
log=$(mktemp -t padlock-test.XXXXXX)
trap 'rm -f "$log"' EXIT
cargo test --workspace --no-fail-fast 2>&1 </dev/null | tee "$log"
test_status=${PIPESTATUS[0]}

# --- summary ---------------------------------------------------------------------------------
# Sum every "test result: ok. 12 passed; 0 failed; ..." line (unit, integration and doc tests).
read -r passed failed < <(awk '
  /^test result:/ {
    for (i = 1; i <= NF; i++) {
      if ($(i + 1) ~ /^passed;?$/) p += $i
      if ($(i + 1) ~ /^failed;?$/) f += $i
    }
  }
  END { print p + 0, f + 0 }' "$log")
if [ "$test_status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # cargo test failed without a failing test: a build error or a crashed test binary.
  failed_steps+=("cargo test (exit $test_status, no test reported failing: build error?)")
fi

if [ ${#failed_steps[@]} -gt 0 ]; then
  for s in "${failed_steps[@]}"; do echo "!! step failed: $s"; done
fi
failed=$((failed + ${#failed_steps[@]}))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
