#!/usr/bin/env bash
# Tree-ensemble benchmark (issue target): the XGBoost model of 100 trees of
# depth 4 on the 300 German credit test applicants, with the four claims of
# the credit demo (accuracy, recall of bad, demographic parity ratio and
# equalized odds difference between the sexes). Records wall time and peak
# RSS of import, setup, prove (RUNS times) and verify with GNU time, and
# prints a Markdown table. Targets: prove <= 30 s, setup <= 5 min.
#
#   make bench-trees
#   MNIST=1 make bench-trees   # the deep MNIST tree instead (see mnist below)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-2}
OUT=${OUT:-bench/out-trees}
BIN=bin/zkeval
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench: GNU time is needed at /usr/bin/time (Debian package: time)" >&2; exit 3; }
rm -rf "$OUT"; mkdir -p "$OUT"
go build -o "$BIN" ./cmd/zkeval
CLAIMS=(--claim 'accuracy>=0.74' --claim 'recall[class=bad]>=0.5'
        --claim 'demographic_parity_ratio[group=sex,positive=good]>=0.8'
        --claim 'equalized_odds_difference[group=sex]<=0.15')

timed() {
  local name=$1; shift
  "$TIME" -f "%e %M" -o "$OUT/.t" "$@" > "$OUT/$name.out" 2> "$OUT/$name.err" || { echo "bench: $name failed, see $OUT/$name.err" >&2; cat "$OUT/$name.err" >&2; exit 1; }
  echo "$name $(cat "$OUT/.t")" >> "$OUT/times.txt"
}

# The deep decision tree (973 nodes, depth 24) on the first MNIST_N official
# MNIST test images (default all 10,000), one claim: MNIST=1 make bench-trees.
# The whole test set is a circuit of about 6.4M constraints; its Groth16
# setup needs about 12 GiB and, on 2 cores, the better part of an hour:
# check `free -g` first.
mnist() {
  MNIST_N=${MNIST_N:-10000}
  : > "$OUT/times.txt"
  $BIN benchmark import mnist --split test --limit "$MNIST_N" -o "$OUT/mnist.bench" > /dev/null
  timed mnist-import $BIN model import testdata/trees/mnist_dt_973_nodes_depth_24.onnx --benchmark "$OUT/mnist.bench" -o "$OUT/dt.zkm"
  $BIN commit "$OUT/dt.zkm" -o "$OUT/dt.commitment.json" --opening "$OUT/dt.opening.json" > /dev/null
  timed mnist-setup $BIN setup --model "$OUT/dt.zkm" --benchmark "$OUT/mnist.bench" --claim 'accuracy>=0.8' -o "$OUT/dt-keys"
  timed mnist-prove $BIN prove --model "$OUT/dt.zkm" --opening "$OUT/dt.opening.json" --benchmark "$OUT/mnist.bench" \
    --keys "$OUT/dt-keys" --claim 'accuracy>=0.8' -o "$OUT/dt-attestation.json"
  timed mnist-verify $BIN verify "$OUT/dt-attestation.json" --vk "$OUT/dt-keys/verifying.key" --benchmark "$OUT/mnist.bench"
  echo
  echo "MNIST deep tree, $MNIST_N images: $(grep -o '[0-9]* constraints (' "$OUT/mnist-setup.err" | head -1 | cut -d' ' -f1) constraints"
  echo "| step | wall | peak RSS |"
  echo "|---|---:|---:|"
  while read -r name wall rss; do
    printf '| %s | %s s | %s MiB |\n' "$name" "$wall" "$((rss / 1024))"
  done < "$OUT/times.txt"
  grep -h '^claim\|^proof' "$OUT/mnist-prove.out"
}
if [ "${MNIST:-0}" = 1 ]; then mnist; exit 0; fi

: > "$OUT/times.txt"
$BIN benchmark import arff testdata/tabular/credit-g.arff --schema testdata/tabular/credit-g.schema.json -o "$OUT/credit-test.bench" > /dev/null
timed import $BIN model import testdata/trees/credit_g_xgb_100x4.json --benchmark "$OUT/credit-test.bench" -o "$OUT/xgb.zkm"
$BIN commit "$OUT/xgb.zkm" -o "$OUT/xgb.commitment.json" --opening "$OUT/xgb.opening.json" > /dev/null
timed setup $BIN setup --model "$OUT/xgb.zkm" --benchmark "$OUT/credit-test.bench" "${CLAIMS[@]}" -o "$OUT/keys"
for r in $(seq 1 "$RUNS"); do
  timed "prove-$r" $BIN prove --model "$OUT/xgb.zkm" --opening "$OUT/xgb.opening.json" --benchmark "$OUT/credit-test.bench" \
    --keys "$OUT/keys" "${CLAIMS[@]}" -o "$OUT/attestation.json"
done
timed verify $BIN verify "$OUT/attestation.json" --vk "$OUT/keys/verifying.key" --benchmark "$OUT/credit-test.bench"
constraints=$(grep -o '[0-9]* constraints (' "$OUT/setup.err" | head -1 | cut -d' ' -f1)
echo "| step | wall | peak RSS |"
echo "|---|---:|---:|"
while read -r name wall rss; do
  printf '| %s | %s s | %s MiB |\n' "$name" "$wall" "$((rss / 1024))"
done < "$OUT/times.txt"
echo
echo "constraints: $constraints; proof: $(grep -o '[0-9]* bytes' "$OUT/prove-1.out" | head -1)"
grep -h '^claim' "$OUT/prove-1.out"
