package onnx

import (
	"errors"
	"fmt"
	"strings"
)

// Errors returned by Import and Parse wrap one of these sentinels (test with
// errors.Is). The error text itself always starts with the source name and,
// where a node is at fault, names the node and its op type.
var (
	// ErrInvalid marks input that is not a well-formed ONNX model: bytes
	// that do not decode as an ONNX ModelProto (the protobuf error is
	// wrapped too), a missing graph or opset, tensors whose data does not
	// match their shape, references to undefined values, or layers whose
	// dimensions do not chain.
	ErrInvalid = errors.New("not a valid ONNX model")
	// ErrUnsupported marks a valid ONNX model that is outside the supported
	// subset described in the package documentation.
	ErrUnsupported = errors.New("unsupported ONNX model")
)

// Unsupported describes one node, or one recognised group of nodes (an
// activation function exported as several operators), that zkeval does not
// import.
type Unsupported struct {
	// Node labels the first node of the group: `node "NAME" (op OP)`, or
	// `node #INDEX (op OP)` for a node without a name.
	Node string `json:"node"`
	// Op is the node's op type, with its domain for domains other than the
	// default one (e.g. "ai.onnx.ml.TreeEnsembleClassifier").
	Op string `json:"op"`
	// What names what the node computes, e.g. "GELU" for the Div node that
	// starts GELU's Erf form, or the op type itself.
	What string `json:"what"`
	// Nodes labels every node of a recognised group, in graph order; empty
	// for a single node.
	Nodes []string `json:"nodes,omitempty"`
	// Reason says why it is not imported and, where there is one, what to
	// do instead.
	Reason string `json:"reason"`
}

// Label names the node and, where it differs from the op, what it computes:
// `node "/act/Div" (op Div) starting GELU (nodes "/act/Div", "/act/Erf",
// ...)`.
func (u Unsupported) Label() string {
	if u.What == u.Op {
		return u.Node
	}
	if len(u.Nodes) > 1 {
		short := make([]string, len(u.Nodes))
		for i, n := range u.Nodes {
			n = strings.TrimPrefix(n, "node ")
			if k := strings.LastIndex(n, " (op "); k >= 0 {
				n = n[:k]
			}
			short[i] = n
		}
		return u.Node + " starting " + u.What + " (nodes " + strings.Join(short, ", ") + ")"
	}
	return u.Node + ", a " + u.What
}

func (u Unsupported) String() string { return u.Label() + " is not supported: " + u.Reason }

// Error is the error type of Import and Parse. Msg holds the whole message
// but the cause and the hint; Kind is ErrInvalid or ErrUnsupported.
type Error struct {
	Kind error
	// Source names the model, as given to Parse.
	Source string
	Msg    string
	Cause  error
	Hint   string
	// Unsupported lists every unsupported node the import found, in graph
	// order, when that is why it failed.
	Unsupported []Unsupported
}

func (e *Error) Error() string {
	s := e.Msg
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// Unwrap returns Kind and, when there is one, Cause.
func (e *Error) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Kind, e.Cause}
	}
	return []error{e.Kind}
}

// kindOf returns the class of an error made by decodeTensor.
func kindOf(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ErrInvalid
}

// unsupportedErr reports, from a conversion step, a node that is not
// supported; the importer records it and goes on with the next node.
type unsupportedErr struct{ u Unsupported }

func (e *unsupportedErr) Error() string { return e.u.String() }

// listError builds the error for a graph with unsupported nodes: the nodes,
// grouped by reason in the order found, each reason said once. then, when
// not nil, is a further error met after them.
func listError(src string, us []Unsupported, then error) *Error {
	n := "1 unsupported node"
	if len(us) > 1 {
		n = fmt.Sprintf("%d unsupported nodes", len(us))
	}
	var reasons []string
	byReason := map[string][]string{}
	for _, u := range us {
		if _, ok := byReason[u.Reason]; !ok {
			reasons = append(reasons, u.Reason)
		}
		byReason[u.Reason] = append(byReason[u.Reason], u.Label())
	}
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = joinAnd(byReason[r]) + ": " + r
	}
	msg := fmt.Sprintf("%s: %s: %s", src, n, strings.Join(parts, "; "))
	if then != nil {
		msg += "; and then: " + strings.TrimPrefix(then.Error(), src+": ")
	}
	return &Error{Kind: ErrUnsupported, Source: src, Msg: msg, Hint: supportedSummary, Unsupported: us}
}

// joinAnd writes "a", "a and b", "a, b and c".
func joinAnd(list []string) string {
	if len(list) == 1 {
		return list[0]
	}
	return strings.Join(list[:len(list)-1], ", ") + " and " + list[len(list)-1]
}
