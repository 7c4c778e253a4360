#!/usr/bin/env bash
# Runs every padlock check: installs the real TLS peers the interop tests drive (tests never
# skip a missing peer), then cargo fmt --check, clippy -D warnings, cargo test --workspace,
# and each cargo-fuzz target for a bounded time (PADLOCK_FUZZ_SECONDS each, default 20).
# README's second command; .ci/run calls it (as root, CI=true, no stdin, fresh clone).
#
# Every step runs even if an earlier one failed, so one run shows everything that is wrong.
# The last line printed is always "N passed, M failed": the tests cargo counted plus each fuzz
# target that ran clean, and one failure for each step that failed outside the tests
# (install, fmt, clippy, a build error, a fuzz target that found a crash).
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
# fuzz/ is its own workspace (nightly only); rustfmt checks its sources without building it.
rustfmt --check --edition 2021 fuzz/src/*.rs fuzz/fuzz_targets/*.rs fuzz/examples/*.rs ||
  failed_steps+=("rustfmt --check fuzz/")

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings || failed_steps+=("cargo clippy")

step "cargo test --workspace"
# The serve load test holds 2,000 connections open, each a descriptor in the test and in the
# server it starts: raise the soft limit as far as the hard one allows.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "   open files: $(ulimit -n)"
log=$(mktemp -t padlock-test.XXXXXX)
trap 'rm -f "$log"' EXIT
cargo test --workspace --no-fail-fast 2>&1 </dev/null | tee "$log"
test_status=${PIPESTATUS[0]}

# --- fuzzing ---------------------------------------------------------------------------------
# cargo-fuzz wants a nightly toolchain (for AddressSanitizer). This machine kind has only the
# stable one, and none can be fetched, so without nightly the targets run on stable with
# RUSTC_BOOTSTRAP=1 and no sanitizer: still coverage-guided, and a panic (padlock forbids
# unsafe code, so a panic is the failure that matters) is still a crash. Never skipped; every
# missing piece (cargo-fuzz itself, a build error, a crash) is a failure.
fuzz_seconds=${PADLOCK_FUZZ_SECONDS:-20}
fuzz_passed=0
if cargo +nightly --version >/dev/null 2>&1; then
  fuzz_cargo=(cargo +nightly)
  fuzz_opts=()
else
  echo "== no nightly toolchain: fuzzing on stable (RUSTC_BOOTSTRAP=1), without a sanitizer"
  fuzz_cargo=(env RUSTC_BOOTSTRAP=1 cargo)
  fuzz_opts=(--sanitizer none)
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  step "installing cargo-fuzz"
  cargo install cargo-fuzz --locked </dev/null || failed_steps+=("install cargo-fuzz")
fi
if command -v cargo-fuzz >/dev/null 2>&1; then
  step "cargo fuzz build ${fuzz_opts[*]}"
  if (cd fuzz && "${fuzz_cargo[@]}" fuzz build "${fuzz_opts[@]}") </dev/null; then
    for target in $(cd fuzz && "${fuzz_cargo[@]}" fuzz list); do
      step "cargo fuzz run $target (${fuzz_seconds} s)"
      # Seeds from real handshakes live in fuzz/seeds (committed); the corpus grows in
      # fuzz/corpus (ignored by git) and is kept between runs.
      corpus=fuzz/corpus/$target
      mkdir -p "$corpus"
      if [ -d "fuzz/seeds/$target" ]; then
        cp -n "fuzz/seeds/$target"/* "$corpus"/ 2>/dev/null || true
      fi
      # -timeout: an input that takes 10 s is a hang, reported like a crash.
      # Progress lines (NEW, REDUCE, pulse) are dropped; crashes and the final stats stay.
      (cd fuzz && "${fuzz_cargo[@]}" fuzz run "${fuzz_opts[@]}" "$target" -- \
        -max_total_time="$fuzz_seconds" -timeout=10 -print_final_stats=1) </dev/null 2>&1 |
        grep -vE '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)'
      if [ "${PIPESTATUS[0]}" -eq 0 ]; then
        fuzz_passed=$((fuzz_passed + 1))
      else
        failed_steps+=("cargo fuzz run $target (the crashing input is in fuzz/artifacts/$target)")
      fi
    done
  else
    failed_steps+=("cargo fuzz build")
  fi
fi

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
passed=$((passed + fuzz_passed))
failed=$((failed + ${#failed_steps[@]}))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
