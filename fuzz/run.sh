#!/usr/bin/env bash
# Fuzz every target for SECONDS each (default 60) on the nightly toolchain,
# without cargo-fuzz: the same instrumentation flags, built once.
#   fuzz/run.sh 600          # the 10-minute campaign per target
#   fuzz/run.sh --ci         # what .ci/run does: 20,000 runs per target (fewer
#                            # for the slow ones, below) with a fixed
#                            # seed, so the same inputs every time
#   fuzz/run.sh 600 abe_policy merkle_proof   # only these targets
# A unit taking over 60 s of wall-clock time counts as a hang (generous: on a
# loaded machine a nice'd fuzzer can stall for seconds; the slowest inputs
# take milliseconds). Seeds come from fuzz/corpus/<target> (read only); new inputs go to a
# scratch corpus under fuzz/corpus-tmp/; crashes to fuzz/artifacts/<target>/.
# A crash fails the script: minimise it (`<binary> -minimize_crash=1 <file>`),
# fix the crate, and copy the input to fuzz/regressions/<target>/ so that
# `cargo test` (tests/fuzz_regressions.rs) replays it on stable.
set -euo pipefail
cd "$(dirname "$0")"
mode="${1:-}"
if [ "$mode" = "--ci" ]; then
    limit=(-runs=20000 -seed=1)
else
    limit=(-max_total_time="${1:-60}")
fi
triple="$(rustc +nightly -vV | sed -n 's/^host: //p')"
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
 -Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
cargo +nightly build --release --bins --locked --target "$triple"
bin="target/$triple/release"
status=0
shift || true
if [ $# -gt 0 ]; then
    targets=("$@")
else
    targets=()
    for src in fuzz_targets/*.rs; do targets+=("$(basename "$src" .rs)"); done
fi
for t in "${targets[@]}"; do
    if [ ! -f "fuzz_targets/$t.rs" ]; then
        echo "!! no such target: $t (see fuzz/fuzz_targets/)"
        exit 2
    fi
    mkdir -p "corpus-tmp/$t" "artifacts/$t"
    args=("${limit[@]}")
    if [ "$mode" = --ci ]; then
        case "$t" in
            # These sign or execute a whole block per input: ~100-300 inputs/s.
            market_sequence | pbft_signed) args=(-runs=1000 -seed=1) ;;
            evm_bytecode) args=(-runs=5000 -seed=1) ;;
        esac
    fi
    echo "== $t: ${args[*]}"
    if ! "$bin/$t" "${args[@]}" -rss_limit_mb=2048 -timeout=60 \
        -artifact_prefix="artifacts/$t/" -print_final_stats=1 \
        "corpus-tmp/$t" "corpus/$t" 2>"artifacts/$t/log.txt"; then
        echo "!! $t found a crash: see fuzz/artifacts/$t/"
        status=1
    fi
    grep -E "^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added|stat::peak_rss_mb)|cov: .*ft:" "artifacts/$t/log.txt" | tail -5 || true
done
exit $status
