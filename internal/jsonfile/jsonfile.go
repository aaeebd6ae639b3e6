// Package jsonfile decodes zkeval's JSON files strictly and, when a file is
// of another kind, says which kind it is.
package jsonfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode"
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

// ExactKeys reports the first object key in data that encoding/json would
// match only loosely when decoding into v: a key that repeats in its object
// (exactly or up to case, since encoding/json keeps the last of them), or a
// key that names a field of v's type in another case ("Threshold" for
// "threshold"). Other JSON readers see such keys differently, so that a
// document could be checked with one value and read with another. Keys
// that match no field are left to the decoder's own checks; maps may hold
// any keys, but not repeated ones. data must be valid JSON.
func ExactKeys(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return exactKeys(dec, reflect.TypeOf(v), "")
}

func exactKeys(dec *json.Decoder, t reflect.Type, path string) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		var fields map[string]reflect.Type
		var elem reflect.Type
		switch {
		case t == nil:
		case t.Kind() == reflect.Struct:
			fields = jsonFields(t)
		case t.Kind() == reflect.Map:
			elem = t.Elem()
		}
		seen := map[string]string{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := kt.(string)
			at := path + "." + key
			if prev, dup := seen[foldKey(key)]; dup {
				if prev == key {
					return fmt.Errorf("key %s appears twice", at)
				}
				return fmt.Errorf("keys %s and %s differ only in case", path+"."+prev, at)
			}
			seen[foldKey(key)] = key
			sub := elem
			if fields != nil {
				ft, ok := fields[key]
				if !ok {
					for name := range fields {
						if strings.EqualFold(name, key) {
							return fmt.Errorf("key %s: write it as %q", at, name)
						}
					}
				}
				sub = ft
			}
			if err := exactKeys(dec, sub, at); err != nil {
				return err
			}
		}
		_, err = dec.Token() // '}'
		return err
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if err := exactKeys(dec, elem, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ']'
		return err
	}
	return nil
}

// jsonFields returns the JSON names of a struct type's fields and their
// types, as encoding/json names them (embedded structs flattened).
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					out[k] = v
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// foldKey maps a key to one representative of its case-folding class (each
// rune to the least rune of its unicode.SimpleFold orbit), so that two keys
// fold equal exactly when strings.EqualFold holds.
func foldKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}

// Indent encodes v as two-space indented JSON followed by a newline, without
// HTML escaping, so that comparisons read ">=" and "<=" rather than
// "\u003e=" in files people read.
func Indent(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
