# zkeval build, test, demo and benchmark targets. Needs Go 1.26; no Python.
GO      ?= go
BIN     := bin/zkeval
DEMO    ?= demo
N       ?= 1000
MODEL   ?= testdata/models/mnist_mlp_784_56_10.onnx
CLAIM   ?= accuracy >= 0.95
# The German credit case: claims without spaces around the comparison, so
# that make can iterate over them.
# The German credit model: the MLP by default; the XGBoost model of 100
# trees of depth 4 (CREDIT_MODEL=testdata/trees/credit_g_xgb_100x4.json)
# proves the same claims but adds about 5 minutes of setup (1.2M
# constraints; see bench/extra-results.md).
CREDIT_MODEL ?= testdata/tabular/credit_g_mlp_58_16_2.onnx
CREDIT_CLAIMS ?= accuracy>=0.74 recall[class=bad]>=0.5 demographic_parity_ratio[group=sex,positive=good]>=0.8 equalized_odds_difference[group=sex]<=0.15

.PHONY: all build test demo bench bench-trees bench-shards bench-log bench-cnn test-cnn shards fuzz vet clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/zkeval

# The whole test suite; heavy runs live behind `make bench`. The EVM test
# of the Solidity verifier is a Go module of its own (evm/evmtest) and
# installs solc from npm. The registry's web page is tested in headless
# Chromium and the Fashion-MNIST tests its files, which .ci/install-test-deps.sh
# installs (Debian's chromium and dataset-fashion-mnist).
test:
	bash .ci/install-test-deps.sh
	$(GO) test -count=1 -timeout 30m ./...
	bash evm/evmtest/run.sh

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)

# The main job on real input: the 784-56-10 MLP trained on MNIST, proven on
# the first $(N) images of the official MNIST test set.
demo: build
	@rm -rf $(DEMO) && mkdir -p $(DEMO)
	$(BIN) benchmark import mnist --split test --limit $(N) -o $(DEMO)/mnist-test-$(N).bench
	$(BIN) model import $(MODEL) --benchmark $(DEMO)/mnist-test-$(N).bench -o $(DEMO)/mlp.zkm
	$(BIN) commit $(DEMO)/mlp.zkm -o $(DEMO)/mlp.commitment.json --opening $(DEMO)/mlp.opening.json
	$(BIN) setup --model $(DEMO)/mlp.zkm --benchmark $(DEMO)/mnist-test-$(N).bench -o $(DEMO)/keys
	$(BIN) prove --model $(DEMO)/mlp.zkm --opening $(DEMO)/mlp.opening.json --benchmark $(DEMO)/mnist-test-$(N).bench \
		--keys $(DEMO)/keys --claim "$(CLAIM)" -o $(DEMO)/attestation.json
	$(BIN) verify $(DEMO)/attestation.json --vk $(DEMO)/keys/verifying.key --benchmark $(DEMO)/mnist-test-$(N).bench
	@echo
	@echo "== German credit: accuracy and fairness between the sexes, in one proof =="
	$(BIN) benchmark import arff testdata/tabular/credit-g.arff --schema testdata/tabular/credit-g.schema.json -o $(DEMO)/credit-test.bench
	$(BIN) model import $(CREDIT_MODEL) --benchmark $(DEMO)/credit-test.bench -o $(DEMO)/credit.zkm
	$(BIN) commit $(DEMO)/credit.zkm -o $(DEMO)/credit.commitment.json --opening $(DEMO)/credit.opening.json
	$(BIN) setup --model $(DEMO)/credit.zkm --benchmark $(DEMO)/credit-test.bench \
		$(foreach c,$(CREDIT_CLAIMS),--claim "$(c)") -o $(DEMO)/credit-keys
	$(BIN) prove --model $(DEMO)/credit.zkm --opening $(DEMO)/credit.opening.json --benchmark $(DEMO)/credit-test.bench \
		--keys $(DEMO)/credit-keys $(foreach c,$(CREDIT_CLAIMS),--claim "$(c)") -o $(DEMO)/credit-attestation.json
	$(BIN) verify $(DEMO)/credit-attestation.json --vk $(DEMO)/credit-keys/verifying.key --benchmark $(DEMO)/credit-test.bench

# Speed and memory: writes BENCHMARKS.md (see bench/run.sh), then the
# sharded run (bench/shards.sh: N images in shards of SHARD_SIZE).
bench: build
	bash bench/run.sh
	N=$(BENCH_SHARDS_N) SIZE=$(BENCH_SHARD_SIZE) bash bench/shards.sh

BENCH_SHARDS_N    ?= 10000
BENCH_SHARD_SIZE  ?= 1000
bench-shards: build
	N=$(BENCH_SHARDS_N) SIZE=$(BENCH_SHARD_SIZE) bash bench/shards.sh

# The first $(N) MNIST images proven in shards of $(SHARD_SIZE) on this
# machine, $(P) at a time, with the same per-shard command as the
# Kubernetes Job of deploy/ (run `make demo` first for its files).
SHARD_SIZE ?= 100
P          ?= 2
shards: build
	$(BIN) setup --model $(DEMO)/mlp.zkm --benchmark $(DEMO)/mnist-test-$(N).bench --shard-size $(SHARD_SIZE) -o $(DEMO)/shard-keys
	$(BIN) prove --model $(DEMO)/mlp.zkm --opening $(DEMO)/mlp.opening.json --benchmark $(DEMO)/mnist-test-$(N).bench \
		--keys $(DEMO)/shard-keys --claim "$(CLAIM)" --shards all --parallel $(P) -o $(DEMO)/shards
	$(BIN) combine $(DEMO)/shards --benchmark $(DEMO)/mnist-test-$(N).bench -o $(DEMO)/sharded-attestation.json
	$(BIN) verify $(DEMO)/sharded-attestation.json --vk $(DEMO)/shard-keys/verifying.key --benchmark $(DEMO)/mnist-test-$(N).bench

# The tree-ensemble target: XGBoost, 100 trees of depth 4, on the 300 German
# credit test applicants with 4 claims (see bench/trees.sh). MNIST=1 runs
# the deep decision tree on the MNIST test images instead (MNIST_N of them,
# default 10,000: a long, memory-hungry setup; see bench/trees.sh).
bench-trees: build
	bash bench/trees.sh

# The transparency log under load: LOG_N (1,000) distinct attestations
# published at once to a log server process on loopback (p50/p99 latency),
# then an audit of the whole log, in process and with zkeval log audit.
# Writes bench/log-results.md.
LOG_N ?= 1000
bench-log: build
	BENCH_LOG_N=$(LOG_N) ZKEVAL_BIN=$(CURDIR)/$(BIN) BENCH_LOG_OUT=$(CURDIR)/bench/log-results.md \
		$(GO) test -tags benchlog ./registry -run '^TestBenchLog$$' -count=1 -v -timeout 20m

# The LeNet-5 (MNIST) and the small Fashion-MNIST CNN of testdata/cnn:
# accuracy on the whole test sets, then one proof over the first $(CNN_N)
# test images (the shard circuit does not take convolutions yet; see
# bench/cnn.sh).
CNN_N ?= 10
bench-cnn: build
	N=$(CNN_N) bash bench/cnn.sh

# Groth16 setup, prove and verify of the LeNet-5 on two MNIST images (a
# few minutes of setup; not part of `make test`).
test-cnn:
	ZKEVAL_CNN_PROVE=1 $(GO) test -count=1 -timeout 30m ./circuits -run TestLeNetGroth16 -v

fuzz:
	$(GO) test ./model/onnx -run '^$$' -fuzz FuzzParse -fuzztime 30s
	$(GO) test ./benchmark -run '^$$' -fuzz FuzzUnmarshal -fuzztime 30s
	$(GO) test ./benchmark -run '^$$' -fuzz FuzzLoadCSV -fuzztime 30s
	$(GO) test ./model/tree -run '^$$' -fuzz FuzzParseXGBoost -fuzztime 30s
	$(GO) test ./model/tree -run '^$$' -fuzz FuzzParseONNXML -fuzztime 30s

clean:
	rm -rf bin $(DEMO)
