package benchmark

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"slices"
	"unicode"
	"unicode/utf8"
)

// Limits of the canonical encoding (format version 1).
const (
	// MaxStringBytes is the longest Name, Split or class name, in bytes of
	// UTF-8 (strings carry a uint16 length prefix).
	MaxStringBytes = math.MaxUint16
	// MaxClasses is the largest number of classes (the class count is a
	// uint16; labels are uint16 values below it).
	MaxClasses = math.MaxUint16
	// MaxFeatures is the largest NumFeatures (a uint32).
	MaxFeatures = math.MaxUint32
	// MaxSamples is the largest number of samples (a uint32).
	MaxSamples = math.MaxUint32
	// MaxGroups is the largest number of groups (the group count is a
	// uint16; group ids are uint16 values below it).
	MaxGroups = math.MaxUint16
)

// Errors that the functions of this package wrap; test with errors.Is.
var (
	// ErrInvalid: a Benchmark breaks a rule listed at Benchmark.Validate.
	ErrInvalid = errors.New("invalid benchmark")
	// ErrTruncated: the input ends before a field it announced.
	ErrTruncated = errors.New("truncated")
	// ErrFormat: the input is not in the expected format (bad magic
	// number, unsupported version, trailing bytes, non-canonical
	// encoding, unparsable value...).
	ErrFormat = errors.New("bad format")
)

// Benchmark is a labelled evaluation set: NumFeatures integer features and
// one class label per sample.
//
// Feature j of sample i stands for the rational value X[i][j] / InputScale;
// for MNIST InputScale is 255 and X holds the raw pixel bytes, so pixel
// intensities lie in [0, 1].
type Benchmark struct {
	// Name identifies the data set, e.g. "mnist". Non-empty UTF-8, at most
	// MaxStringBytes bytes.
	Name string
	// Split names the part of the data set, e.g. "test". Non-empty UTF-8,
	// at most MaxStringBytes bytes.
	Split string
	// NumFeatures is the number of features per sample, in [1, MaxFeatures].
	NumFeatures int
	// InputScale is the fixed-point denominator of every feature: feature
	// value = X[i][j] / InputScale. It is > 0 (MNIST: 255; CSV: 2^bits).
	InputScale int64
	// ClassNames gives the name of each class; the index is the class id
	// (MNIST: "0".."9"). Between 1 and MaxClasses distinct, non-empty UTF-8
	// strings of at most MaxStringBytes bytes each.
	ClassNames []string
	// X holds the features, shape [samples][NumFeatures].
	X [][]int64
	// Labels holds the class id of each sample, shape [samples]; each in
	// [0, len(ClassNames)).
	Labels []int

	// GroupAttribute names the sensitive attribute that splits the samples
	// into groups, e.g. "sex"; it is empty when the benchmark has no group
	// attribute, and then GroupNames and Groups are empty too. Otherwise
	// non-empty UTF-8 of at most MaxStringBytes bytes. The group attribute
	// describes the samples for group metrics (Fairlearn's demographic
	// parity or equalized odds, say); it is not a feature unless Spec makes
	// its column one.
	GroupAttribute string
	// GroupNames gives the name of each group; the index is the group id
	// (e.g. ["male", "female"]). Between 1 and MaxGroups distinct,
	// non-empty UTF-8 strings of at most MaxStringBytes bytes each when
	// GroupAttribute is set; empty otherwise.
	GroupNames []string
	// Groups holds the group id of each sample, shape [samples]; each in
	// [0, len(GroupNames)). Empty when GroupAttribute is empty.
	Groups []int
	// Spec records how the columns of a tabular file became the labels,
	// groups and features (see EncodingSpec); nil when the benchmark was not
	// made that way (MNIST, plain CSV).
	Spec *EncodingSpec
}

// HasGroups reports whether the benchmark has a group attribute.
func (b *Benchmark) HasGroups() bool { return b.GroupAttribute != "" }

// Len returns the number of samples, len(Labels).
func (b *Benchmark) Len() int { return len(b.Labels) }

// String returns "name/split (N samples, F features, C classes)", with
// ", G groups by ATTRIBUTE" before the closing parenthesis when the
// benchmark has a group attribute.
func (b *Benchmark) String() string {
	groups := ""
	if b.HasGroups() {
		groups = fmt.Sprintf(", %d groups by %s", len(b.GroupNames), b.GroupAttribute)
	}
	return fmt.Sprintf("%s/%s (%d samples, %d features, %d classes%s)",
		b.Name, b.Split, len(b.Labels), b.NumFeatures, len(b.ClassNames), groups)
}

// Validate checks that b can be encoded: Name and Split are non-empty valid
// UTF-8 of at most MaxStringBytes bytes; there are 1..MaxClasses class names,
// each non-empty valid UTF-8 of at most MaxStringBytes bytes and all
// distinct; NumFeatures is in [1, MaxFeatures]; InputScale > 0; there are
// 1..MaxSamples samples; len(X) == len(Labels); every row of X has
// NumFeatures entries; every label is in [0, len(ClassNames)).
//
// The error wraps ErrInvalid and names the benchmark, the field and, where
// it applies, the sample and feature index (0-based).
func (b *Benchmark) Validate() error {
	if b == nil {
		return fmt.Errorf("%w: nil benchmark", ErrInvalid)
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: benchmark %q/%q: %s", ErrInvalid, b.Name, b.Split, fmt.Sprintf(format, args...))
	}
	if err := checkString(b.Name); err != nil {
		return fail("Name: %v", err)
	}
	if err := checkString(b.Split); err != nil {
		return fail("Split: %v", err)
	}
	if len(b.ClassNames) < 1 || len(b.ClassNames) > MaxClasses {
		return fail("ClassNames: %d classes; want between 1 and %d", len(b.ClassNames), MaxClasses)
	}
	seen := make(map[string]int, len(b.ClassNames))
	for i, c := range b.ClassNames {
		if err := checkString(c); err != nil {
			return fail("ClassNames[%d]: %v", i, err)
		}
		if j, dup := seen[c]; dup {
			return fail("ClassNames[%d]: %q repeats ClassNames[%d]; class names must be distinct", i, c, j)
		}
		seen[c] = i
	}
	if b.NumFeatures < 1 || uint64(b.NumFeatures) > MaxFeatures {
		return fail("NumFeatures is %d; want between 1 and %d", b.NumFeatures, uint64(MaxFeatures))
	}
	if b.InputScale <= 0 {
		return fail("InputScale is %d; want > 0", b.InputScale)
	}
	if len(b.Labels) < 1 || uint64(len(b.Labels)) > MaxSamples {
		return fail("%d samples; want between 1 and %d", len(b.Labels), uint64(MaxSamples))
	}
	if len(b.X) != len(b.Labels) {
		return fail("X has %d rows but Labels has %d entries; want one row per label", len(b.X), len(b.Labels))
	}
	for i, row := range b.X {
		if len(row) != b.NumFeatures {
			return fail("sample %d: %d features; want NumFeatures = %d", i, len(row), b.NumFeatures)
		}
		if l := b.Labels[i]; l < 0 || l >= len(b.ClassNames) {
			return fail("sample %d: label %d out of range [0, %d)", i, l, len(b.ClassNames))
		}
	}
	if err := b.validateGroups(); err != nil {
		return fail("%v", err)
	}
	if b.Spec != nil {
		if err := b.Spec.check(b); err != nil {
			return fail("Spec: %v", err)
		}
	}
	return nil
}

func (b *Benchmark) validateGroups() error {
	if b.GroupAttribute == "" {
		if len(b.GroupNames) != 0 || len(b.Groups) != 0 {
			return fmt.Errorf("%d GroupNames and %d Groups but no GroupAttribute; name the attribute, or leave all three empty",
				len(b.GroupNames), len(b.Groups))
		}
		return nil
	}
	if err := checkString(b.GroupAttribute); err != nil {
		return fmt.Errorf("GroupAttribute: %v", err)
	}
	if len(b.GroupNames) < 1 || len(b.GroupNames) > MaxGroups {
		return fmt.Errorf("GroupNames: %d groups; want between 1 and %d", len(b.GroupNames), MaxGroups)
	}
	seen := make(map[string]int, len(b.GroupNames))
	for i, g := range b.GroupNames {
		if err := checkString(g); err != nil {
			return fmt.Errorf("GroupNames[%d]: %v", i, err)
		}
		if j, dup := seen[g]; dup {
			return fmt.Errorf("GroupNames[%d]: %q repeats GroupNames[%d]; group names must be distinct", i, g, j)
		}
		seen[g] = i
	}
	if len(b.Groups) != len(b.Labels) {
		return fmt.Errorf("Groups has %d entries but Labels has %d; want one group id per sample", len(b.Groups), len(b.Labels))
	}
	for i, g := range b.Groups {
		if g < 0 || g >= len(b.GroupNames) {
			return fmt.Errorf("sample %d: group %d out of range [0, %d)", i, g, len(b.GroupNames))
		}
	}
	return nil
}

func checkString(s string) error {
	switch {
	case s == "":
		return errors.New("empty string")
	case len(s) > MaxStringBytes:
		return fmt.Errorf("%d bytes; at most %d allowed", len(s), MaxStringBytes)
	case !utf8.ValidString(s):
		return fmt.Errorf("%q is not valid UTF-8", s)
	}
	// Names are printed by every command and in attestations: a control
	// character or escape sequence could forge what a terminal shows.
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("%q holds the unprintable character %U; names may hold only printable characters and spaces (verify refuses attestations that carry others): rename it in the data or the schema and import again", s, r)
		}
	}
	return nil
}

// Digest returns the SHA-256 hash (FIPS 180-4) of the canonical encoding
// returned by MarshalBinary. It identifies the benchmark: two benchmarks have
// the same digest exactly when they have the same Name, Split, ClassNames,
// NumFeatures, InputScale, samples (in order), labels, group attribute,
// group names, group ids and Spec. The error is that of MarshalBinary.
func (b *Benchmark) Digest() ([32]byte, error) {
	data, err := b.MarshalBinary()
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(data), nil
}

// Prefix returns a new benchmark made of the first n samples of b, with the
// same Name, Split, NumFeatures, InputScale, ClassNames, GroupAttribute,
// GroupNames and Spec, and the first n group ids. Its sample count,
// hence its encoding and digest, differ from b's unless n == b.Len(). The
// result shares no memory with b. It returns an error wrapping ErrInvalid if
// n < 1 or n > b.Len(), or if b is not valid.
func (b *Benchmark) Prefix(n int) (*Benchmark, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	if n < 1 || n > b.Len() {
		return nil, fmt.Errorf("%w: benchmark %q/%q: prefix of %d samples; want between 1 and %d",
			ErrInvalid, b.Name, b.Split, n, b.Len())
	}
	p := &Benchmark{
		Name:        b.Name,
		Split:       b.Split,
		NumFeatures: b.NumFeatures,
		InputScale:  b.InputScale,
		ClassNames:  append([]string(nil), b.ClassNames...),
		X:           make([][]int64, n),
		Labels:      append([]int(nil), b.Labels[:n]...),
	}
	if b.HasGroups() {
		p.GroupAttribute = b.GroupAttribute
		p.GroupNames = append([]string(nil), b.GroupNames...)
		p.Groups = append([]int(nil), b.Groups[:n]...)
	}
	p.Spec = b.Spec.Clone()
	flat := make([]int64, n*b.NumFeatures)
	for i := range n {
		row := flat[i*b.NumFeatures : (i+1)*b.NumFeatures : (i+1)*b.NumFeatures]
		copy(row, b.X[i])
		p.X[i] = row
	}
	return p, nil
}

// Equal reports whether b and o hold the same fields, sample for sample.
// Two valid benchmarks are Equal exactly when their encodings are equal.
func (b *Benchmark) Equal(o *Benchmark) bool {
	if b == nil || o == nil {
		return b == o
	}
	if b.Name != o.Name || b.Split != o.Split || b.NumFeatures != o.NumFeatures ||
		b.InputScale != o.InputScale || len(b.ClassNames) != len(o.ClassNames) ||
		len(b.X) != len(o.X) || len(b.Labels) != len(o.Labels) ||
		b.GroupAttribute != o.GroupAttribute || !slices.Equal(b.GroupNames, o.GroupNames) ||
		!slices.Equal(b.Groups, o.Groups) || !b.Spec.Equal(o.Spec) {
		return false
	}
	for i := range b.ClassNames {
		if b.ClassNames[i] != o.ClassNames[i] {
			return false
		}
	}
	for i := range b.Labels {
		if b.Labels[i] != o.Labels[i] {
			return false
		}
	}
	for i := range b.X {
		if len(b.X[i]) != len(o.X[i]) {
			return false
		}
		for j := range b.X[i] {
			if b.X[i][j] != o.X[i][j] {
				return false
			}
		}
	}
	return true
}
