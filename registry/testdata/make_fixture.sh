#!/usr/bin/env bash
# Makes the registry's test attestations: the 12-5-3 ONNX MLP of
# testdata/onnx on the 6 samples of t.csv (the tiny benchmark of
# cmd/zkeval's json_tiny script), single-party keys, two claims.
# att.json claims accuracy >= 0, att2.json accuracy >= 0.5; vk.key is their
# verifying key; att_hidden.json and vk_hidden.key hold a hidden claim. A
# rerun makes new keys (setup is random): commit every file it writes.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/zkeval" ../../cmd/zkeval
z="$tmp/zkeval"
$z benchmark import csv t.csv --name tiny -o "$tmp/t.bench"
$z model import ../../testdata/onnx/mlp_opset13.onnx --benchmark "$tmp/t.bench" -o "$tmp/t.zkm"
$z commit "$tmp/t.zkm" -o "$tmp/c.json" --opening "$tmp/o.json"
$z setup --model "$tmp/t.zkm" --benchmark "$tmp/t.bench" -o "$tmp/keys"
$z prove --model "$tmp/t.zkm" --opening "$tmp/o.json" --benchmark "$tmp/t.bench" --keys "$tmp/keys" --claim 'accuracy >= 0' -o att.json
$z prove --model "$tmp/t.zkm" --opening "$tmp/o.json" --benchmark "$tmp/t.bench" --keys "$tmp/keys" --claim 'accuracy >= 0.5' -o att2.json
cp "$tmp/keys/verifying.key" vk.key
# att_hidden.json: the same model with a hidden claim (its own keys: the
# claim's shape differs), accuracy >= 0.25 with the value kept secret.
$z setup --model "$tmp/t.zkm" --benchmark "$tmp/t.bench" --hidden-claim 'accuracy >= 0' -o "$tmp/hkeys"
$z prove --model "$tmp/t.zkm" --opening "$tmp/o.json" --benchmark "$tmp/t.bench" --keys "$tmp/hkeys" --hidden-claim 'accuracy >= 0.25' -o att_hidden.json
cp "$tmp/hkeys/verifying.key" vk_hidden.key
