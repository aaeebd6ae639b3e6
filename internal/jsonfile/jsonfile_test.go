package jsonfile

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type doc struct {
	Format string `json:"format"`
	N      int    `json:"n"`
}

func TestKind(t *testing.T) {
	assert.Equal(t, "zkeval-x/v1", Kind([]byte(`{"format":"zkeval-x/v1","n":1}`)))
	assert.Equal(t, "in-toto statement https://in-toto.io/Statement/v1", Kind([]byte(`{"_type":"https://in-toto.io/Statement/v1"}`)))
	assert.Equal(t, "", Kind([]byte(`{"n":1}`)))
	assert.Equal(t, "", Kind([]byte(`not json`)))
	assert.Equal(t, "", Kind([]byte(`[1,2]`)))
}

func TestDecode(t *testing.T) {
	var d doc
	require.NoError(t, Decode([]byte(`{"format":"zkeval-x/v1","n":3}`), "f.json", "zkeval-x/v1", "hint", &d))
	assert.Equal(t, 3, d.N)

	for name, tc := range map[string]struct{ in, want string }{
		"empty":     {``, "f.json: not valid zkeval-x/v1: the JSON ends early (the file is empty or truncated); hint"},
		"truncated": {`{"format":"zkeval-x/v1","n":`, "f.json: not valid zkeval-x/v1: the JSON ends early (the file is empty or truncated); hint"},
		"syntax":    {`{"format" 1}`, "f.json: not valid zkeval-x/v1: JSON syntax error at byte 11: invalid character '1' after object key; hint"},
		"type":      {`{"format":"zkeval-x/v1","n":"3"}`, "f.json: not valid zkeval-x/v1: field n holds a JSON string, want int; hint"},
		"unknown":   {`{"format":"zkeval-x/v1","m":3}`, `f.json: not valid zkeval-x/v1: unknown field "m"; hint`},
		"trailing":  {`{"format":"zkeval-x/v1"} {}`, "f.json: not valid zkeval-x/v1: trailing data after the JSON value; hint"},
		"other":     {`{"format":"zkeval-y/v1","m":3}`, "f.json: this file is zkeval-y/v1, not zkeval-x/v1; hint"},
	} {
		err := Decode([]byte(tc.in), "f.json", "zkeval-x/v1", "hint", &doc{})
		if assert.Error(t, err, name) {
			assert.Equal(t, tc.want, err.Error(), name)
		}
	}
}
