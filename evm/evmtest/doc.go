// Package evmtest runs zkeval's Solidity verifier contract (zkeval export
// solidity) on an in-process EVM, go-ethereum's simulated backend: it
// compiles the contract with solc-js (the npm package pinned in
// package.json), deploys it, and calls it with real attestations' calldata
// (zkeval export calldata).
//
// It is a module of its own, with a replace directive to the main module,
// so that go-ethereum never enters zkeval's build. .ci/run installs solc
// with `npm ci` here and runs `go test ./...` here after `make test`. By
// hand:
//
//	cd evm/evmtest && npm ci && go test -count=1 -v ./...
//
// Without node or the npm package the test skips and says why, unless the
// environment variable CI is set, where it fails.
//
// ZKEVAL_EVM_REPORT=FILE writes the measured gas and bytecode sizes as a
// Markdown section (bench/solidity-results.md, which bench/report includes
// in BENCHMARKS.md). ZKEVAL_EVM_ATTESTATION=FILE with ZKEVAL_EVM_VK=FILE
// also measures a given attestation (for example the one `make demo`
// proves with --target solidity) against the contract of its key.
package evmtest
