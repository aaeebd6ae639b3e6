#!/usr/bin/env bash
# Time, peak memory and file sizes of a multi-party ceremony (zkeval
# ceremony) for one model and benchmark, each participant signing with a key
# of its own (zkeval keygen): init, each phase-1 contribution,
# closing phase 1 (phase2, which runs gnark's Phase2.Initialize and saves the
# seal state), each phase-2 contribution, seal (from the seal state) and
# verify, each under GNU time. Prints a table
# and writes "STEP wall_s peak_rss_kib user_s sys_s" lines to OUT/times.txt
# (on a shared machine the CPU times, user + sys, are the steadier figure) and
# "FILE bytes" lines to OUT/sizes.txt; each step's progress lines (with
# the time of every sub-step) are in OUT/STEP.err.
#
#   bench/ceremony.sh MODEL.zkm FILE.bench [OUT]
#   P1=3 P2=3 bench/ceremony.sh demo/mlp.zkm demo/mnist-test-1000.bench
#
# Heavy for large circuits: a phase-1 contribution and the phase-1 beacon
# each cost about 5·N scalar multiplications on one core, and phase2, seal
# and verify each rerun Phase2.Initialize (O(N log N) group operations plus
# one per constraint term with a non-trivial coefficient). To estimate
# that step's CPU time for a circuit without running it:
#   go run ./bench/phase2cost --model MODEL.zkm --benchmark FILE.bench
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:?usage: bench/ceremony.sh MODEL.zkm FILE.bench [OUT]}
BENCH=${2:?usage: bench/ceremony.sh MODEL.zkm FILE.bench [OUT]}
OUT=${3:-bench/out/ceremony}
P1=${P1:-3}
P2=${P2:-3}
BIN=${BIN:-bin/zkeval}
TIME=/usr/bin/time
BEACON1=${BEACON1:-$(printf '5a%.0s' $(seq 32))}
BEACON2=${BEACON2:-$(printf 'a5%.0s' $(seq 32))}
[ -x "$TIME" ] || { echo "bench: GNU time is needed at /usr/bin/time (Debian package: time)" >&2; exit 3; }
[ -n "${NOBUILD:-}" ] || go build -o "$BIN" ./cmd/zkeval
rm -rf "$OUT"; mkdir -p "$OUT"
DIR="$OUT/transcript"
KEYS="$OUT/keys"

# timed NAME CMD...: runs CMD under GNU time, appends "NAME wall_s rss_kib
# user_s sys_s" to $OUT/times.txt and prints it.
timed() {
  local name=$1; shift
  "$TIME" -f "%e %M %U %S" -o "$OUT/.t" "$@" > "$OUT/$name.out" 2> "$OUT/$name.err" || { echo "bench: $name failed, see $OUT/$name.err" >&2; tail -5 "$OUT/$name.err" >&2; exit 1; }
  read -r wall rss user sys < "$OUT/.t"
  echo "$name $wall $rss $user $sys" >> "$OUT/times.txt"
  printf '%-24s %9.1f s %9.1f s %9.0f MiB\n' "$name" "$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" "$((rss / 1024))"
}

: > "$OUT/times.txt"
printf '%-24s %11s %11s %13s\n' step wall CPU "peak RSS"
# Each participant signs their contributions with their own key.
TRUST=()
for i in $(seq 1 "$(( P1 > P2 ? P1 : P2 ))"); do
  $BIN keygen -o "$OUT/participant-$i" > /dev/null
  TRUST+=(--participant "participant $i=$OUT/participant-$i.pub")
done
timed init $BIN ceremony init --model "$MODEL" --benchmark "$BENCH" -o "$DIR"
for i in $(seq 1 "$P1"); do
  timed "phase1-contribute-$i" $BIN ceremony contribute "$DIR" --name "participant $i" --key "$OUT/participant-$i.key" --phase 1
done
timed phase2-start $BIN ceremony phase2 "$DIR" --beacon "$BEACON1" --beacon-source "bench: not a public beacon" --benchmark "$BENCH" --save-seal-state "$OUT/seal.state"
for i in $(seq 1 "$P2"); do
  timed "phase2-contribute-$i" $BIN ceremony contribute "$DIR" --name "participant $i" --key "$OUT/participant-$i.key" --phase 2
done
timed seal $BIN ceremony seal "$DIR" --beacon "$BEACON2" --beacon-source "bench: not a public beacon" --benchmark "$BENCH" -o "$KEYS" --seal-state "$OUT/seal.state"
# verify recomputes everything phase2-start did (phase 1, Phase2.Initialize)
# and more, trusting every participant's key; SKIP_VERIFY=1 leaves it out of
# long runs.
[ -n "${SKIP_VERIFY:-}" ] || timed verify $BIN ceremony verify "$DIR" --benchmark "$BENCH" --beacon "$BEACON2" --keys "$KEYS" "${TRUST[@]}"

: > "$OUT/sizes.txt"
for f in "$DIR"/* "$KEYS"/* "$OUT/seal.state"; do
  echo "${f#"$OUT"/} $(stat -c %s "$f")" >> "$OUT/sizes.txt"
done
echo
awk '{ printf "%-48s %12.1f MiB\n", $1, $2 / 1048576 }' "$OUT/sizes.txt"
printf '%-48s %12s\n' "transcript total" "$(du -sh "$DIR" | cut -f1)"
