#!/usr/bin/env bash
# Builds dlc's libFuzzer targets (tests/fuzz/) in a separate ASan + UBSan build
# with clang-14 and runs each for a bounded time. Prints executions per second
# per target and exits non-zero when a fuzzer finds a crash, a leak, a timeout
# or an out-of-memory; the offending inputs are kept in build-fuzz/crashes/.
#
#   FUZZ_SECONDS=60   seconds per target (default 60)
#   FUZZ_TARGETS="FuzzDlg FuzzOnnx"   which targets to run
#   FUZZ_BUILD_DIR=build-fuzz          build folder (relative to the repo root)
#   FUZZ_JOBS=2                        ninja parallelism
#
# Reproduce a saved crash: build-fuzz/tests/fuzz/FuzzDlg build-fuzz/crashes/FuzzDlg-crash-...
# Minimize it:             build-fuzz/tests/fuzz/FuzzDlg -minimize_crash=1 -runs=10000 FILE
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
build="${FUZZ_BUILD_DIR:-build-fuzz}"
seconds="${FUZZ_SECONDS:-60}"
targets="${FUZZ_TARGETS:-FuzzDlg FuzzOnnx}"
jobs="${FUZZ_JOBS:-2}"
onnx_data=/usr/share/libonnx-testdata/data/node

cc="$(command -v clang-14 || true)"
cxx="$(command -v clang++-14 || true)"
if [[ -z "$cc" || -z "$cxx" ]]; then
  echo "run_fuzzers.sh: clang-14 not found (apt-get install clang-14 libclang-rt-14-dev)" >&2
  exit 2
fi

gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
mkdir -p "$build"
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  CC="$cc" CXX="$cxx" cmake -S . -B "$build" "${gen[@]}" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDLC_FUZZ=ON -DDLC_TESTS=OFF >"$build/configure.log" 2>&1 \
    || { cat "$build/configure.log" >&2; echo "run_fuzzers.sh: configure failed" >&2; exit 2; }
fi
# shellcheck disable=SC2086
cmake --build "$build" -j "$jobs" --target $targets || {
  echo "run_fuzzers.sh: build failed" >&2
  exit 2
}

crashes="$build/crashes"
mkdir -p "$crashes"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
sym="$(command -v llvm-symbolizer-14 || echo /usr/lib/llvm-14/bin/llvm-symbolizer)"
[[ -x "$sym" ]] && export ASAN_SYMBOLIZER_PATH="$sym"

# Working corpora live in the build folder; seeds are copied in fresh, so the
# source tree never changes.
seed_dlg() {
  local dir="$1"
  mkdir -p "$dir"
  cp tests/fuzz/dlg-corpus/*.dlg "$dir"/ 2>/dev/null
  local f
  for f in models/*.dlg; do
    [[ -f "$f" ]] && cp "$f" "$dir/model-$(basename "$f")"
  done
}
seed_onnx() {
  local dir="$1" t
  mkdir -p "$dir"
  [[ -d "$onnx_data" ]] || return 0
  for t in test_add test_relu test_conv_with_strides_padding test_gemm_default_no_bias \
           test_maxpool_2d_pads test_softmax_axis_1 test_reshape_reordered_all_dims \
           test_batchnorm_example test_concat_2d_axis_0 test_transpose_default \
           test_slice test_gather_0 test_matmul_2d test_cast_FLOAT_to_DOUBLE; do
    [[ -f "$onnx_data/$t/model.onnx" ]] && cp "$onnx_data/$t/model.onnx" "$dir/$t.onnx"
  done
  for f in models/*.onnx; do
    [[ -f "$f" ]] && cp "$f" "$dir/model-$(basename "$f")"
  done
  return 0
}

status=0
summary=()
for t in $targets; do
  exe="$build/tests/fuzz/$t"
  corpus="$build/corpus/$t"
  extra=()
  case "$t" in
    FuzzDlg) seed_dlg "$corpus"; extra=(-dict=tests/fuzz/dlg.dict -max_len=8192) ;;
    FuzzOnnx) seed_onnx "$corpus"; extra=(-max_len=65536) ;;
    *) mkdir -p "$corpus" ;;
  esac
  log="$build/$t.log"
  echo "== $t: fuzzing for ${seconds}s (log: $log)"
  "$exe" "$corpus" "${extra[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$crashes/$t-" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
  line="$t: ${execs:-?} executions, ${eps:-?} exec/s, ${cov:-cov: ?}"
  if [[ $rc -ne 0 ]]; then
    status=1
    artifact=$(grep -oE "Test unit written to [^ ]+" "$log" | tail -1 | sed 's/Test unit written to //')
    line="$line, FOUND A PROBLEM (exit $rc): ${artifact:-see $log}"
    echo "-- $t: fuzzer exited $rc; the report:"
    grep -E -m1 -A30 "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|internal error:|==[0-9]+==ERROR|imported graph|printed graph|print -> parse" "$log" | head -60
  fi
  summary+=("$line")
done

echo "== fuzz summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
if [[ $status -ne 0 ]]; then
  echo "run_fuzzers.sh: crashes found; inputs in $crashes/"
fi
exit $status
