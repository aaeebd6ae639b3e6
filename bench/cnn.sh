#!/usr/bin/env bash
# CNN benchmark (issue 13): the LeNet-5 of testdata/cnn on the official MNIST
# test set and the small Fashion-MNIST CNN on the official Fashion-MNIST
# test set (Debian package dataset-fashion-mnist). For each model: import
# against the whole 10,000-image test set (float and quantized accuracy),
# then the constraint breakdown per gadget, setup, prove (RUNS times) and
# verify of one proof over the first N test images, with wall time and peak
# RSS from GNU time; prints a Markdown table per model.
#
# The whole test set in one attestation needs the shard circuit (setup
# --shard-size; docs/cnn.md, "Shards: the whole test set"): at about 75-95k
# constraints per LeNet image a single proof holds at most about 2,800
# images (2^28 constraints), and setup at that size does not fit this
# machine. This script measures one proof of the evaluation circuit; N
# defaults to 10.
#
#   make bench-cnn [CNN_N=10] [RUNS=1]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10}
RUNS=${RUNS:-1}
OUT=${OUT:-bench/out-cnn}
BIN=bin/zkeval
TIME=/usr/bin/time
FASHION=${FASHION:-/usr/share/datasets/fashion-mnist}
[ -x "$TIME" ] || { echo "bench: GNU time is needed at /usr/bin/time (Debian package: time)" >&2; exit 3; }
[ -f "$FASHION/t10k-images-idx3-ubyte.gz" ] || { echo "bench: Fashion-MNIST not found in $FASHION (Debian package dataset-fashion-mnist)" >&2; exit 3; }
rm -rf "$OUT"; mkdir -p "$OUT"
go build -o "$BIN" ./cmd/zkeval

timed() {
  local name=$1; shift
  "$TIME" -f "%e %M" -o "$OUT/.t" "$@" > "$OUT/$name.out" 2> "$OUT/$name.err" || { echo "bench: $name failed, see $OUT/$name.err" >&2; cat "$OUT/$name.err" >&2; exit 1; }
  echo "$name $(cat "$OUT/.t")" >> "$OUT/$MODEL.times"
}

run() {
  MODEL=$1 ONNX=$2 IMAGES=$3 LABELS=$4 CLAIM=$5
  : > "$OUT/$MODEL.times"
  $BIN benchmark import mnist --images "$IMAGES" --labels "$LABELS" -o "$OUT/$MODEL-test.bench" > /dev/null
  $BIN benchmark import mnist --images "$IMAGES" --labels "$LABELS" --limit "$N" -o "$OUT/$MODEL-test-$N.bench" > /dev/null
  timed import $BIN model import "$ONNX" --benchmark "$OUT/$MODEL-test.bench" -o "$OUT/$MODEL.zkm"
  $BIN commit "$OUT/$MODEL.zkm" -o "$OUT/$MODEL.commitment.json" --opening "$OUT/$MODEL.opening.json" > /dev/null
  timed circuit $BIN circuit --model "$OUT/$MODEL.zkm" --benchmark "$OUT/$MODEL-test-$N.bench" --claim "$CLAIM"
  timed setup $BIN setup --model "$OUT/$MODEL.zkm" --benchmark "$OUT/$MODEL-test-$N.bench" --claim "$CLAIM" -o "$OUT/$MODEL-keys"
  for r in $(seq 1 "$RUNS"); do
    timed "prove-$r" $BIN prove --model "$OUT/$MODEL.zkm" --opening "$OUT/$MODEL.opening.json" --benchmark "$OUT/$MODEL-test-$N.bench" \
      --keys "$OUT/$MODEL-keys" --claim "$CLAIM" -o "$OUT/$MODEL-attestation.json"
  done
  timed verify $BIN verify "$OUT/$MODEL-attestation.json" --vk "$OUT/$MODEL-keys/verifying.key" --benchmark "$OUT/$MODEL-test-$N.bench"
  echo "## $MODEL ($N images in the proof)"
  echo
  grep -E '^(float|quantized|agreement|scale) ' "$OUT/import.out" || true
  echo
  echo "| step | wall | peak RSS |"
  echo "|---|---:|---:|"
  while read -r name wall rss; do
    printf '| %s | %s s | %s MiB |\n' "$name" "$wall" "$((rss / 1024))"
  done < "$OUT/$MODEL.times"
  echo
  sed -n '/constraints by gadget/,$p' "$OUT/circuit.out"
  echo
}

run lenet5 testdata/cnn/mnist_lenet5.onnx benchmark/mnistdata/t10k-images-idx3-ubyte.gz benchmark/mnistdata/t10k-labels-idx1-ubyte.gz 'accuracy >= 0.9'
run fashion testdata/cnn/fashion_cnn.onnx "$FASHION/t10k-images-idx3-ubyte.gz" "$FASHION/t10k-labels-idx1-ubyte.gz" 'accuracy >= 0.8'
