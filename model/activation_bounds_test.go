package model

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCheckBoundsTableOutputs: a GELU at outBits 24 over accumulators near
// 2^60, hidden behind a next layer of zero weights, is refused by
// CheckBounds (its outputs would not fit int64) instead of making Eval
// panic later.
func TestCheckBoundsTableOutputs(t *testing.T) {
	m, err := Parse([]byte(`{"format":"zkeval-model/v2","name":"g","inputSize":1,"inputScale":1,"scaleBits":1,"layers":[
 {"name":"a","in":1,"out":2,"weights":[[1099511627776],[1]],"biases":[0,0],"activation":{"kind":"gelu","outBits":24}},
 {"name":"b","in":2,"out":2,"weights":[[0,0],[0,0]],"biases":[1,0]}]}`), "g.zkm")
	require.NoError(t, err)
	_, err = m.CheckBounds(0, 1<<20)
	require.ErrorContains(t, err, "its gelu can reach")
}
