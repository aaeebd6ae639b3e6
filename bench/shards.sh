#!/usr/bin/env bash
# Sharded proving benchmark on the 784-56-10 MNIST MLP (MODEL: another
# ONNX model, e.g. testdata/cnn/mnist_lenet5.onnx): the first N images
# of the official test set (default all 10,000) in shards of SIZE (default
# 1,000). Records, with GNU time: setup --shard-size once (wall, peak RSS,
# CPU), each shard's prove (wall, peak RSS, CPU), the local runner with 1 and
# 2 workers (wall), combine, and verify of the combined attestation (the
# in-process time verify reports and the whole command), then writes
# bench/out-shards/report.md. Heavy at the defaults; for a smaller run:
#
#   N=100 SIZE=10 bash bench/shards.sh
#
# PROVE_SHARDS=K proves only the first K shards one by one (no runner,
# combine or verify of the whole set: per-shard figures to extrapolate from):
#
#   MODEL=testdata/cnn/mnist_lenet5.onnx SIZE=100 PROVE_SHARDS=2 CLAIM='accuracy >= 0.9' bash bench/shards.sh
#
# RUNNER=1 proves every shard once, with the local runner in one process
# (keys loaded once), then combines and verifies: the whole-test-set run.
# With RESUME=1 an existing OUT is kept (benchmark, model, opening, keys and
# the shard files already proven; the runner gets --resume), so a run cut
# short goes on where it stopped; its times are those of the last part.
# IMAGES and LABELS (IDX files) import another MNIST-format test set, such
# as Fashion-MNIST's (BENCH_NAME and CLASSES name it and its classes):
#
#   MODEL=testdata/cnn/fashion_cnn.onnx SIZE=66 RUNNER=1 RESUME=1 CLAIM='accuracy >= 0.85' \
#     BENCH_NAME=fashion-mnist CLASSES='T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot' \
#     IMAGES=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz \
#     LABELS=/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz bash bench/shards.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000}
SIZE=${SIZE:-1000}
VRUNS=${VRUNS:-5}
WORKERS=${WORKERS:-"1 2"}
OUT=${OUT:-bench/out-shards}
MODEL=${MODEL:-testdata/models/mnist_mlp_784_56_10.onnx}
CLAIM=${CLAIM:-accuracy >= 0.95}
BIN=${BIN:-bin/zkeval}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench: GNU time is needed at /usr/bin/time (Debian package: time)" >&2; exit 3; }
RUNNER=${RUNNER:-0}
RESUME=${RESUME:-0}
[ "$RESUME" = 1 ] || rm -rf "$OUT"
mkdir -p "$OUT"
go build -o "$BIN" ./cmd/zkeval

# timed NAME CMD...: runs CMD under GNU time; appends "NAME wall_s rss_kib cpu_s".
timed() {
  local name=$1; shift
  "$TIME" -f "%e %M %U %S" -o "$OUT/.t" "$@" > "$OUT/$name.out" 2> "$OUT/$name.err" || { echo "bench: $name failed, see $OUT/$name.err" >&2; tail "$OUT/$name.err" >&2; exit 1; }
  read -r wall rss usr sys < "$OUT/.t"
  echo "$name $wall $rss $(echo "$usr + $sys" | bc)" >> "$OUT/times.txt"
}

[ "$RESUME" = 1 ] && [ -f "$OUT/times.txt" ] || : > "$OUT/times.txt"
b="$OUT/test-$N.bench"
if [ "$RESUME" = 1 ] && [ -f "$OUT/keys/verifying.key" ]; then
  echo "bench: RESUME=1: keeping $OUT (benchmark, model, opening, keys, shard files)" >&2
else
  if [ -n "${IMAGES:-}" ]; then
    named=(); [ -z "${BENCH_NAME:-}" ] || named+=(--name "$BENCH_NAME"); [ -z "${CLASSES:-}" ] || named+=(--classes "$CLASSES")
    $BIN benchmark import mnist --images "$IMAGES" --labels "$LABELS" "${named[@]}" --limit "$N" -o "$b" > /dev/null
  else
    $BIN benchmark import mnist --split test --limit "$N" -o "$b" > /dev/null
  fi
  $BIN model import "$MODEL" --benchmark "$b" -o "$OUT/model.zkm" > /dev/null 2>&1
  $BIN commit "$OUT/model.zkm" -o "$OUT/model.commitment.json" --opening "$OUT/model.opening.json" > /dev/null
  timed setup $BIN setup --model "$OUT/model.zkm" --benchmark "$b" --shard-size "$SIZE" -o "$OUT/keys" --json
fi
shards=$(( (N + SIZE - 1) / SIZE ))
proven=${PROVE_SHARDS:-$shards}
if [ "$proven" -lt "$shards" ]; then WORKERS=""; VRUNS=0; fi
prove=($BIN prove --model "$OUT/model.zkm" --opening "$OUT/model.opening.json" --benchmark "$b" --keys "$OUT/keys" --claim "$CLAIM")
if [ "$RUNNER" = 1 ]; then
  WORKERS=""
  resume=(); [ "$RESUME" = 1 ] && resume=(--resume)
  timed runner "${prove[@]}" --shards all "${resume[@]}" -o "$OUT/shards"
else
  for i in $(seq 0 $((proven - 1))); do
    timed "prove-$i" "${prove[@]}" --shard "$i" -o "$OUT/shards"
  done
fi
for w in $WORKERS; do
  timed "runner-$w" "${prove[@]}" --shards all --parallel "$w" -o "$OUT/shards-runner-$w"
done
[ "$proven" -lt "$shards" ] || timed combine $BIN combine "$OUT/shards" --benchmark "$b" -o "$OUT/attestation.json" --force
for r in $(seq 1 "$VRUNS"); do
  timed "verify-$r" $BIN verify "$OUT/attestation.json" --vk "$OUT/keys/verifying.key" --json
  timed "verify-bench-$r" $BIN verify "$OUT/attestation.json" --vk "$OUT/keys/verifying.key" --benchmark "$b" --json
done

{
  echo "# Sharded proving: $(basename "$MODEL"), first $N test images of ${IMAGES:-MNIST}, $shards shards of $SIZE ($proven proven here)"
  echo
  echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($(uptime | sed 's/.*load average/load average/')), commit $(git rev-parse --short HEAD)."
  echo
  cons=$(grep -o '"constraints": [0-9]*' "$OUT/setup.out" | head -1 | grep -o '[0-9]*')
  echo "Shard circuit: $cons constraints ($(echo "scale=1; $cons / $SIZE" | bc) per slot)."
  echo
  echo "| step | wall s | peak RSS MiB | CPU s |"
  echo "|---|---:|---:|---:|"
  total=0
  while read -r name wall rss cpu; do
    printf '| %s | %s | %d | %s |\n' "$name" "$wall" $((rss / 1024)) "$cpu"
    case $name in prove-*) total=$(echo "$total + $cpu" | bc) ;; esac
  done < "$OUT/times.txt"
  echo
  echo "Total CPU of the $proven shard proofs: $total s."
  echo
  echo "verify in process (the seconds verify --json reports), without and with --benchmark:"
  for r in $(seq 1 "$VRUNS"); do
    printf '%s ' "$(grep -o '"seconds": [0-9.e-]*' "$OUT/verify-$r.out" | grep -o '[0-9.e-]*$')"
  done
  echo
  for r in $(seq 1 "$VRUNS"); do
    printf '%s ' "$(grep -o '"seconds": [0-9.e-]*' "$OUT/verify-bench-$r.out" | grep -o '[0-9.e-]*$')"
  done
  echo
} > "$OUT/report.md"
cat "$OUT/report.md"
