package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/prover"
)

// loadShardSpec is loadSpec for the shard circuit of shards of size
// samples.
func loadShardSpec(modelPath, benchPath string, claims []prover.Claimed, size int) (*model.Model, *benchmark.Benchmark, []prover.Claimed, *circuits.ShardSpec, error) {
	var missing []string
	if modelPath == "" {
		missing = append(missing, "--model MODEL.zkm")
	}
	if benchPath == "" {
		missing = append(missing, "--benchmark FILE.bench")
	}
	if len(missing) > 0 {
		return nil, nil, nil, nil, usageErr("missing %s", strings.Join(missing, " and "))
	}
	shapes, sorted, err := prover.Shapes(claims)
	if err != nil {
		return nil, nil, nil, nil, usageErr("%v", err)
	}
	m, err := model.ReadFile(modelPath)
	if err != nil {
		return nil, nil, nil, nil, ioErr(err)
	}
	b, err := benchmark.ReadFile(benchPath)
	if err != nil {
		return nil, nil, nil, nil, ioErr(err)
	}
	spec, err := circuits.NewShardSpec(m, b, shapes, size)
	if ce := (*circuits.ClaimError)(nil); errors.As(err, &ce) {
		return nil, nil, nil, nil, usageErr("claim on benchmark %s: %v", benchPath, ce)
	}
	if err != nil {
		return nil, nil, nil, nil, ioErr(fmt.Errorf("%s on %s: %w", modelPath, benchPath, err))
	}
	return m, b, sorted, spec, nil
}
