#!/usr/bin/env bash
# Gas and bytecode size of on-chain verification: proves "accuracy >= 0.95"
# for the 784-56-10 MNIST MLP on the first N official MNIST test images with
# `zkeval prove --target solidity`, checks it with `zkeval verify`, exports
# the verifier contract (`zkeval export solidity`) and the calldata
# (`zkeval export calldata`), then runs the EVM test of evm/evmtest with
# that attestation, which compiles the contract with the pinned solc, calls
# it on go-ethereum's simulated backend and writes bench/solidity-results.md
# (included in BENCHMARKS.md by bench/report).
#
#   bash bench/solidity.sh          # N=100: setup takes a few minutes
#   N=1000 bash bench/solidity.sh   # the same gas: it does not depend on N
#
# Needs node and npm (it runs `npm ci` in evm/evmtest).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100}
OUT=${OUT:-bench/out/solidity}
MODEL=${MODEL:-testdata/models/mnist_mlp_784_56_10.onnx}
BIN=bin/zkeval
rm -rf "$OUT"; mkdir -p "$OUT"
go build -o "$BIN" ./cmd/zkeval
B="$OUT/mnist-test-$N.bench"
$BIN benchmark import mnist --split test --limit "$N" -o "$B" > /dev/null
$BIN model import "$MODEL" --benchmark "$B" -o "$OUT/mlp.zkm" > /dev/null
$BIN commit "$OUT/mlp.zkm" -o "$OUT/mlp.commitment.json" --opening "$OUT/mlp.opening.json" > /dev/null
$BIN setup --model "$OUT/mlp.zkm" --benchmark "$B" -o "$OUT/keys" -q > /dev/null
$BIN prove --model "$OUT/mlp.zkm" --opening "$OUT/mlp.opening.json" --benchmark "$B" --keys "$OUT/keys" \
  --claim "accuracy >= 0.95" --target solidity -o "$OUT/attestation.json" -q
$BIN verify "$OUT/attestation.json" --vk "$OUT/keys/verifying.key" --benchmark "$B" 2> /dev/null
$BIN export solidity --vk "$OUT/keys/verifying.key" -o "$OUT/Verifier.sol"
$BIN export calldata "$OUT/attestation.json" --vk "$OUT/keys/verifying.key" > "$OUT/calldata.hex" 2> /dev/null
root=$PWD
(cd evm/evmtest && npm ci --no-audit --no-fund > /dev/null &&
  CI=1 ZKEVAL_EVM_ATTESTATION="$root/$OUT/attestation.json" ZKEVAL_EVM_VK="$root/$OUT/keys/verifying.key" \
  ZKEVAL_EVM_REPORT="$root/bench/solidity-results.md" go test -count=1 -run TestVerifierContract -v . | grep -E 'gas|^(ok|FAIL|---)')
echo "bench: wrote bench/solidity-results.md" >&2
