#!/usr/bin/env bash
# Speed and memory benchmark of zkeval on the 784-56-10 MNIST MLP: for each
# benchmark size in SIZES (default: the first 1,000 images and the whole
# official test set), compile, setup, prove (RUNS times) and verify (VRUNS
# times), recording wall time and peak RSS of every phase with GNU time, and
# write BENCHMARKS.md. Heavy: the 10,000-image setup takes tens of minutes.
#
#   make bench                      # both sizes
#   SIZES=1000 RUNS=3 make bench    # only the 1,000-image circuit
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"1000 10000"}
RUNS=${RUNS:-3}
VRUNS=${VRUNS:-5}
OUT=${OUT:-bench/out}
MODEL=${MODEL:-testdata/models/mnist_mlp_784_56_10.onnx}
BIN=bin/zkeval
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench: GNU time is needed at /usr/bin/time (Debian package: time)" >&2; exit 3; }
rm -rf "$OUT"; mkdir -p "$OUT"
go build -o "$BIN" ./cmd/zkeval

# timed NAME CMD...: runs CMD under GNU time, appends "NAME wall_s rss_kib" to $OUT/times.txt.
timed() {
  local name=$1; shift
  "$TIME" -f "%e %M" -o "$OUT/.t" "$@" > "$OUT/$name.out" 2> "$OUT/$name.err" || { echo "bench: $name failed, see $OUT/$name.err" >&2; cat "$OUT/$name.err" >&2; exit 1; }
  echo "$name $(cat "$OUT/.t")" >> "$OUT/times.txt"
}

: > "$OUT/times.txt"
$BIN benchmark import mnist --split test -o "$OUT/mnist-test-10000.bench" > /dev/null
timed import $BIN model import "$MODEL" --benchmark "$OUT/mnist-test-10000.bench" -o "$OUT/mlp.zkm"
$BIN commit "$OUT/mlp.zkm" -o "$OUT/mlp.commitment.json" --opening "$OUT/mlp.opening.json" > /dev/null
for n in $SIZES; do
  b="$OUT/mnist-test-$n.bench"
  [ -f "$b" ] || $BIN benchmark import mnist --split test --limit "$n" -o "$b" > /dev/null
  timed "setup-$n" $BIN setup --model "$OUT/mlp.zkm" --benchmark "$b" -o "$OUT/keys-$n"
  timed "circuit-$n" $BIN circuit --model "$OUT/mlp.zkm" --benchmark "$b" --json
  for r in $(seq 1 "$RUNS"); do
    # The first run also writes a CPU profile (sampling at 100 Hz costs
    # well under 1% of the run), which the report breaks down.
    prof=()
    [ "$r" = 1 ] && prof=(--cpuprofile "$OUT/prove-$n.pprof")
    timed "prove-$n-$r" $BIN prove --model "$OUT/mlp.zkm" --opening "$OUT/mlp.opening.json" --benchmark "$b" \
      --keys "$OUT/keys-$n" --claim "accuracy >= 0.95" -o "$OUT/attestation-$n.json" "${prof[@]}"
  done
  for r in $(seq 1 "$VRUNS"); do
    timed "verify-$n-$r" $BIN verify "$OUT/attestation-$n.json" --vk "$OUT/keys-$n/verifying.key" --json
  done
done
go test -run XXX -bench BenchmarkVerify -benchtime 200x -count 5 ./verifier | grep '^Benchmark' > "$OUT/verify-bench.txt"
go run ./bench/report -out "$OUT" -sizes "$SIZES" -runs "$RUNS" -vruns "$VRUNS" -note "${BENCH_NOTE:-}" > BENCHMARKS.md
echo "bench: wrote BENCHMARKS.md" >&2
