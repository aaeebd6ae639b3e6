// Package jsonfile decodes zkeval's JSON files strictly and, when a file is
// of another kind, says which kind it is.
package jsonfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Kind returns what a JSON document says it is: the value of its top-level
// "format" field (zkeval files), or "in-toto statement TYPE" for a document
// with a "_type" (attestations), or "" when it says neither or is not a JSON
// object.
func Kind(data []byte) string {
	var head struct {
		Format string `json:"format"`
		Type   string `json:"_type"`
	}
	if json.Unmarshal(data, &head) != nil {
		return ""
	}
	switch {
	case head.Format != "":
		return head.Format
	case head.Type != "":
		return "in-toto statement " + head.Type
	}
	return ""
}

// Decode decodes data into v strictly: unknown fields and trailing data are
// errors. want names the expected format (e.g. "zkeval-opening/v1") and
// hint says where such a file comes from; an error names source, says what
// is wrong in words (the file is cut short, is not JSON, is another kind of
// zkeval file, holds an unknown field or a value of the wrong type) and
// ends with hint.
func Decode(data []byte, source, want, hint string, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("trailing data after the JSON value")
	}
	if err == nil {
		return nil
	}
	if k := Kind(data); k != "" && k != want {
		return fmt.Errorf("%s: this file is %s, not %s; %s", source, k, want, hint)
	}
	return fmt.Errorf("%s: not valid %s: %s; %s", source, want, Describe(err), hint)
}

// Describe turns a JSON decoding error into words.
func Describe(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case err.Error() == "unexpected EOF" || err.Error() == "EOF":
		return "the JSON ends early (the file is empty or truncated)"
	case errors.As(err, &se):
		return fmt.Sprintf("JSON syntax error at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "the top-level value"
		}
		return fmt.Sprintf("field %s holds a JSON %s, want %s", field, te.Value, te.Type)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}
