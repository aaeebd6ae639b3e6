package main

import (
	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/prover"
)

// loadShardSpec is loadSpec for the shard circuit of shards of size
// samples.
func loadShardSpec(modelPath, benchPath string, claims []prover.Claimed, size int) (*model.Model, *benchmark.Benchmark, []prover.Claimed, *circuits.ShardSpec, error) {
	m, b, shapes, sorted, err := loadInputs(modelPath, benchPath, claims)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	spec, err := circuits.NewShardSpec(m, b, shapes, size)
	if err != nil {
		return nil, nil, nil, nil, specErr(err, modelPath, benchPath)
	}
	return m, b, sorted, spec, nil
}
