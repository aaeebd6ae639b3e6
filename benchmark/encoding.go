package benchmark

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/zkeval/zkeval/internal/atomicfile"
	"github.com/zkeval/zkeval/internal/safefile"
)

// Magic is the first 17 bytes of every canonical encoding: the ASCII text
// "zkeval-benchmark" followed by a zero byte.
const Magic = "zkeval-benchmark\x00"

// Version is the format version of benchmarks without a group attribute
// or encoding spec (MNIST, plain CSV): MarshalBinary writes it for them.
const Version uint16 = 1

// VersionTabular is the format version of benchmarks with a group
// attribute, an encoding spec, or both: MarshalBinary writes it for them,
// and only for them. Unmarshal reads both versions.
const VersionTabular uint16 = 2

// FileExt is the conventional file name extension of a file holding a
// canonical encoding.
const FileExt = ".bench"

// widthFor returns the canonical element width, in bytes, for features in
// [lo, hi]: 1 (uint8) if all lie in [0, 255], else 2 (int16), 4 (int32) or 8
// (int64), the first whose range holds them all.
func widthFor(lo, hi int64) int {
	switch {
	case lo >= 0 && hi <= math.MaxUint8:
		return 1
	case lo >= math.MinInt16 && hi <= math.MaxInt16:
		return 2
	case lo >= math.MinInt32 && hi <= math.MaxInt32:
		return 4
	default:
		return 8
	}
}

// FeatureRange returns the least and greatest feature value over all
// samples (math.MaxInt64 and math.MinInt64 when there is none).
func (b *Benchmark) FeatureRange() (lo, hi int64) {
	lo, hi = math.MaxInt64, math.MinInt64
	for _, row := range b.X {
		for _, v := range row {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	return lo, hi
}

// MarshalBinary returns the canonical encoding of b, as specified in the
// package documentation: format version 1 when b has neither a group
// attribute nor a Spec, version 2 otherwise. The same benchmark always
// gives the same bytes. It returns an error wrapping ErrInvalid if
// b.Validate fails.
func (b *Benchmark) MarshalBinary() ([]byte, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	w := widthFor(b.FeatureRange())
	v2 := b.HasGroups() || b.Spec != nil
	size := len(Magic) + 2 + 2 + len(b.Name) + 2 + len(b.Split) + 2
	for _, c := range b.ClassNames {
		size += 2 + len(c)
	}
	per := 2 + b.NumFeatures*w
	if b.HasGroups() {
		per += 2
	}
	size += 4 + 8 + 4 + 1 + len(b.Labels)*per

	out := make([]byte, 0, size)
	out = append(out, Magic...)
	if v2 {
		out = binary.BigEndian.AppendUint16(out, VersionTabular)
	} else {
		out = binary.BigEndian.AppendUint16(out, Version)
	}
	out = appendString(out, b.Name)
	out = appendString(out, b.Split)
	out = binary.BigEndian.AppendUint16(out, uint16(len(b.ClassNames)))
	for _, c := range b.ClassNames {
		out = appendString(out, c)
	}
	out = binary.BigEndian.AppendUint32(out, uint32(b.NumFeatures))
	out = binary.BigEndian.AppendUint64(out, uint64(b.InputScale))
	if v2 {
		out = appendString(out, b.GroupAttribute)
		out = binary.BigEndian.AppendUint16(out, uint16(len(b.GroupNames)))
		for _, g := range b.GroupNames {
			out = appendString(out, g)
		}
		if b.Spec == nil {
			out = append(out, 0)
		} else {
			out = append(out, 1)
			out = b.Spec.appendTo(out, b.HasGroups())
		}
	}
	out = binary.BigEndian.AppendUint32(out, uint32(len(b.Labels)))
	out = append(out, byte(w))
	for i, row := range b.X {
		out = binary.BigEndian.AppendUint16(out, uint16(b.Labels[i]))
		if b.HasGroups() {
			out = binary.BigEndian.AppendUint16(out, uint16(b.Groups[i]))
		}
		switch w {
		case 1:
			for _, v := range row {
				out = append(out, byte(v))
			}
		case 2:
			for _, v := range row {
				out = binary.BigEndian.AppendUint16(out, uint16(int16(v)))
			}
		case 4:
			for _, v := range row {
				out = binary.BigEndian.AppendUint32(out, uint32(int32(v)))
			}
		default:
			for _, v := range row {
				out = binary.BigEndian.AppendUint64(out, uint64(v))
			}
		}
	}
	return out, nil
}

// appendTo appends the encoding spec section (format version 2).
func (s *EncodingSpec) appendTo(out []byte, groups bool) []byte {
	out = append(out, byte(s.ScaleBits))
	out = appendString(out, s.LabelColumn)
	for _, l := range s.ClassValues {
		out = appendList16(out, l)
	}
	out = appendString(out, s.GroupColumn)
	if groups {
		out = append(out, byte(s.GroupRule))
		if s.GroupRule == GroupByValue {
			for _, l := range s.GroupValues {
				out = appendList16(out, l)
			}
		} else {
			for _, t := range s.GroupThresholds {
				out = appendString(out, t)
			}
		}
	}
	out = binary.BigEndian.AppendUint32(out, uint32(len(s.Columns)))
	for _, c := range s.Columns {
		out = appendString(out, c.Name)
		out = append(out, byte(c.Kind))
		if c.Kind == Numeric {
			out = appendString(out, c.Subtract)
			out = appendString(out, c.Divide)
		} else {
			out = binary.BigEndian.AppendUint32(out, uint32(len(c.Categories)))
			for _, v := range c.Categories {
				out = appendString(out, v)
			}
		}
	}
	return out
}

func appendList16(out []byte, l []string) []byte {
	out = binary.BigEndian.AppendUint16(out, uint16(len(l)))
	for _, v := range l {
		out = appendString(out, v)
	}
	return out
}

func appendString(out []byte, s string) []byte {
	out = binary.BigEndian.AppendUint16(out, uint16(len(s)))
	return append(out, s...)
}

// decoder reads the canonical encoding and names the source, field and byte
// offset in its errors.
type decoder struct {
	data   []byte
	off    int
	source string
}

func (d *decoder) errorf(sentinel error, field, format string, args ...any) error {
	return fmt.Errorf("%s: %s (byte offset %d): %w: %s", d.source, field, d.off, sentinel, fmt.Sprintf(format, args...))
}

func (d *decoder) take(n int, field string) ([]byte, error) {
	if left := len(d.data) - d.off; left < n {
		return nil, d.errorf(ErrTruncated, field, "need %d bytes, only %d left", n, left)
	}
	p := d.data[d.off : d.off+n]
	d.off += n
	return p, nil
}

func (d *decoder) uint16(field string) (uint16, error) {
	p, err := d.take(2, field)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint16(p), nil
}

func (d *decoder) uint32(field string) (uint32, error) {
	p, err := d.take(4, field)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint32(p), nil
}

func (d *decoder) string(field string) (string, error) {
	s, err := d.optString(field)
	if err == nil && s == "" {
		d.off -= 2
		return "", d.errorf(ErrFormat, field, "empty string")
	}
	return s, err
}

// optString reads a string that may be empty.
func (d *decoder) optString(field string) (string, error) {
	n, err := d.uint16(field + " length")
	if err != nil {
		return "", err
	}
	start := d.off
	p, err := d.take(int(n), field)
	if err != nil {
		return "", err
	}
	s := string(p)
	if n > 0 {
		if err := checkString(s); err != nil {
			d.off = start
			return "", d.errorf(ErrFormat, field, "%v", err)
		}
	}
	return s, nil
}

func (d *decoder) byte(field string) (byte, error) {
	p, err := d.take(1, field)
	if err != nil {
		return 0, err
	}
	return p[0], nil
}

// list reads n strings, allocating no more than the input can hold.
func (d *decoder) list(n int, field string) ([]string, error) {
	out := make([]string, 0, min(n, (len(d.data)-d.off)/2))
	for j := range n {
		v, err := d.string(fmt.Sprintf("%s value %d", field, j))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (d *decoder) list16(field string) ([]string, error) {
	n, err := d.uint16(field + " count")
	if err != nil {
		return nil, err
	}
	return d.list(int(n), field)
}

// spec reads the encoding spec section of format version 2.
func (d *decoder) spec(classes int, groups int) (*EncodingSpec, error) {
	s := &EncodingSpec{}
	bits, err := d.byte("spec scale bits")
	if err != nil {
		return nil, err
	}
	s.ScaleBits = int(bits)
	if s.LabelColumn, err = d.string("spec label column"); err != nil {
		return nil, err
	}
	s.ClassValues = make([][]string, classes)
	for i := range classes {
		if s.ClassValues[i], err = d.list16(fmt.Sprintf("spec class %d", i)); err != nil {
			return nil, err
		}
	}
	if s.GroupColumn, err = d.optString("spec group column"); err != nil {
		return nil, err
	}
	if groups > 0 {
		rule, err := d.byte("spec group rule")
		if err != nil {
			return nil, err
		}
		s.GroupRule = GroupRule(rule)
		switch s.GroupRule {
		case GroupByValue:
			s.GroupValues = make([][]string, groups)
			for i := range groups {
				if s.GroupValues[i], err = d.list16(fmt.Sprintf("spec group %d", i)); err != nil {
					return nil, err
				}
			}
		case GroupByThreshold:
			if s.GroupThresholds, err = d.list(groups-1, "spec group thresholds"); err != nil {
				return nil, err
			}
		default:
			d.off--
			return nil, d.errorf(ErrFormat, "spec group rule", "code %d; want %d (by value) or %d (by threshold)", rule, GroupByValue, GroupByThreshold)
		}
	}
	ncols, err := d.uint32("spec column count")
	if err != nil {
		return nil, err
	}
	s.Columns = make([]ColumnSpec, 0, min(int(ncols), (len(d.data)-d.off)/3))
	for k := range int(ncols) {
		field := fmt.Sprintf("spec column %d", k)
		var c ColumnSpec
		if c.Name, err = d.string(field + " name"); err != nil {
			return nil, err
		}
		kind, err := d.byte(field + " kind")
		if err != nil {
			return nil, err
		}
		c.Kind = ColumnKind(kind)
		switch c.Kind {
		case Numeric:
			if c.Subtract, err = d.string(field + " subtract"); err != nil {
				return nil, err
			}
			if c.Divide, err = d.string(field + " divide"); err != nil {
				return nil, err
			}
		case OneHot:
			n, err := d.uint32(field + " category count")
			if err != nil {
				return nil, err
			}
			if c.Categories, err = d.list(int(n), field+" category"); err != nil {
				return nil, err
			}
		default:
			d.off--
			return nil, d.errorf(ErrFormat, field+" kind", "code %d; want %d (numeric) or %d (one-hot)", kind, Numeric, OneHot)
		}
		s.Columns = append(s.Columns, c)
	}
	return s, nil
}

// Unmarshal decodes a canonical encoding produced by MarshalBinary. source
// names the input (a file name, say) in error messages.
//
// Unmarshal is strict: it accepts exactly the byte strings that
// MarshalBinary produces, so that MarshalBinary of the result gives data
// back and sha256(data) is the result's Digest. Errors name source, the
// field (with the sample index, 0-based, in the sample section) and the
// byte offset. They wrap ErrTruncated when data ends early; ErrFormat for a
// wrong magic number, an unsupported version, a version 2 encoding with
// neither a group attribute nor an encoding spec (those are version 1), a
// spec flag, group rule or column kind code out of range, an element width
// code that is not 1, 2, 4 or 8 or not the canonical one, an empty string
// or one that is not UTF-8, or bytes after the last sample; and ErrInvalid
// for values that break the rules of Benchmark.Validate (a label or group
// id out of range, repeated class or group names, a zero count, a scale
// below 1, an encoding spec that breaks the rules of EncodingSpec or does
// not agree with the benchmark).
func Unmarshal(data []byte, source string) (*Benchmark, error) {
	d := &decoder{data: data, source: source}
	magic, err := d.take(len(Magic), "magic")
	if err != nil {
		return nil, err
	}
	if string(magic) != Magic {
		d.off = 0
		return nil, d.errorf(ErrFormat, "magic", "got %q, want %q; this is not a zkeval benchmark encoding", magic, Magic)
	}
	version, err := d.uint16("version")
	if err != nil {
		return nil, err
	}
	if version != Version && version != VersionTabular {
		d.off -= 2
		return nil, d.errorf(ErrFormat, "version", "format version %d is not supported; this reader knows versions %d and %d", version, Version, VersionTabular)
	}
	b := &Benchmark{}
	if b.Name, err = d.string("name"); err != nil {
		return nil, err
	}
	if b.Split, err = d.string("split"); err != nil {
		return nil, err
	}
	numClasses, err := d.uint16("class count")
	if err != nil {
		return nil, err
	}
	if numClasses == 0 {
		d.off -= 2
		return nil, d.errorf(ErrInvalid, "class count", "0 classes; want at least 1")
	}
	b.ClassNames = make([]string, 0, min(int(numClasses), len(data)/2))
	seen := make(map[string]int)
	for i := range int(numClasses) {
		field := fmt.Sprintf("class name %d", i)
		start := d.off
		c, err := d.string(field)
		if err != nil {
			return nil, err
		}
		if j, dup := seen[c]; dup {
			d.off = start
			return nil, d.errorf(ErrInvalid, field, "%q repeats class name %d; class names must be distinct", c, j)
		}
		seen[c] = i
		b.ClassNames = append(b.ClassNames, c)
	}
	numFeatures, err := d.uint32("feature count")
	if err != nil {
		return nil, err
	}
	if numFeatures == 0 {
		d.off -= 4
		return nil, d.errorf(ErrInvalid, "feature count", "0 features; want at least 1")
	}
	b.NumFeatures = int(numFeatures)
	p, err := d.take(8, "input scale")
	if err != nil {
		return nil, err
	}
	if b.InputScale = int64(binary.BigEndian.Uint64(p)); b.InputScale <= 0 {
		d.off -= 8
		return nil, d.errorf(ErrInvalid, "input scale", "%d; want > 0", b.InputScale)
	}
	if version == VersionTabular {
		start := d.off
		if b.GroupAttribute, err = d.optString("group attribute"); err != nil {
			return nil, err
		}
		numGroups, err := d.uint16("group count")
		if err != nil {
			return nil, err
		}
		if (b.GroupAttribute == "") != (numGroups == 0) {
			d.off -= 2
			return nil, d.errorf(ErrInvalid, "group count", "%d groups with group attribute %q; want 0 groups exactly when the attribute is empty", numGroups, b.GroupAttribute)
		}
		b.GroupNames = make([]string, 0, min(int(numGroups), len(data)/2))
		seen := make(map[string]int)
		for i := range int(numGroups) {
			field := fmt.Sprintf("group name %d", i)
			at := d.off
			g, err := d.string(field)
			if err != nil {
				return nil, err
			}
			if j, dup := seen[g]; dup {
				d.off = at
				return nil, d.errorf(ErrInvalid, field, "%q repeats group name %d; group names must be distinct", g, j)
			}
			seen[g] = i
			b.GroupNames = append(b.GroupNames, g)
		}
		if numGroups == 0 {
			b.GroupNames = nil
		}
		flag, err := d.byte("spec flag")
		if err != nil {
			return nil, err
		}
		switch {
		case flag > 1:
			d.off--
			return nil, d.errorf(ErrFormat, "spec flag", "%d; want 0 (no encoding spec) or 1", flag)
		case flag == 0 && numGroups == 0:
			d.off = start
			return nil, d.errorf(ErrFormat, "group attribute", "format version %d without a group attribute or an encoding spec is not canonical: such a benchmark is written as version %d", VersionTabular, Version)
		case flag == 1:
			if b.Spec, err = d.spec(len(b.ClassNames), int(numGroups)); err != nil {
				return nil, err
			}
		}
	}
	groups := b.HasGroups()
	numSamples, err := d.uint32("sample count")
	if err != nil {
		return nil, err
	}
	if numSamples == 0 {
		d.off -= 4
		return nil, d.errorf(ErrInvalid, "sample count", "0 samples; want at least 1")
	}
	p, err = d.take(1, "element width")
	if err != nil {
		return nil, err
	}
	w := int(p[0])
	if w != 1 && w != 2 && w != 4 && w != 8 {
		d.off--
		return nil, d.errorf(ErrFormat, "element width", "code %d; want 1, 2, 4 or 8", w)
	}

	// Check the size of the sample section before allocating anything for it.
	per := uint64(2) + uint64(numFeatures)*uint64(w) // < 2^36
	record := "a 2-byte label"
	if groups {
		per += 2
		record = "a 2-byte label and a 2-byte group id"
	}
	left := uint64(len(data) - d.off)
	if n := uint64(numSamples); n > left/per {
		whole := left / per
		d.off += int(whole * per)
		return nil, d.errorf(ErrTruncated, fmt.Sprintf("sample %d", whole),
			"the header announces %d samples of %d bytes each (%d features of %d %s after %s), "+
				"but only %d bytes follow it (%d whole %s)", numSamples, per, numFeatures, w, plural(uint64(w), "byte"), record, left, whole, plural(whole, "sample"))
	} else if extra := left - n*per; extra != 0 {
		d.off += int(n * per)
		return nil, d.errorf(ErrFormat, "end", "%d unexpected bytes after the last of %d samples", extra, numSamples)
	}

	n, f := int(numSamples), int(numFeatures)
	b.Labels = make([]int, n)
	if groups {
		b.Groups = make([]int, n)
	}
	b.X = make([][]int64, n)
	flat := make([]int64, n*f)
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for i := range n {
		label := int(binary.BigEndian.Uint16(d.data[d.off:]))
		if label >= len(b.ClassNames) {
			return nil, d.errorf(ErrInvalid, fmt.Sprintf("sample %d label", i),
				"label %d out of range [0, %d)", label, len(b.ClassNames))
		}
		d.off += 2
		b.Labels[i] = label
		if groups {
			g := int(binary.BigEndian.Uint16(d.data[d.off:]))
			if g >= len(b.GroupNames) {
				return nil, d.errorf(ErrInvalid, fmt.Sprintf("sample %d group", i),
					"group %d out of range [0, %d)", g, len(b.GroupNames))
			}
			b.Groups[i] = g
			d.off += 2
		}
		row := flat[i*f : (i+1)*f : (i+1)*f]
		src := d.data[d.off : d.off+f*w]
		switch w {
		case 1:
			for j := range row {
				row[j] = int64(src[j])
			}
		case 2:
			for j := range row {
				row[j] = int64(int16(binary.BigEndian.Uint16(src[2*j:])))
			}
		case 4:
			for j := range row {
				row[j] = int64(int32(binary.BigEndian.Uint32(src[4*j:])))
			}
		default:
			for j := range row {
				row[j] = int64(binary.BigEndian.Uint64(src[8*j:]))
			}
		}
		for _, v := range row {
			lo, hi = min(lo, v), max(hi, v)
		}
		b.X[i] = row
		d.off += f * w
	}
	if want := widthFor(lo, hi); want != w {
		return nil, fmt.Errorf("%s: element width: %w: code %d is not canonical; features span [%d, %d], "+
			"so the canonical width is %d (the smallest of uint8, int16, int32, int64 that holds them all)",
			source, ErrFormat, w, lo, hi, want)
	}
	if err := b.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return b, nil
}

// ReadFile reads a file holding a canonical encoding (conventionally named
// *.bench) and decodes it with Unmarshal, naming the file in errors. Since
// the file is the canonical encoding, sha256 of the file equals the Digest
// of the result.
func ReadFile(path string) (*Benchmark, error) {
	// A device or a FIFO given by mistake must not be read without end,
	// nor a FIFO waited on: only a regular file (or a link to one).
	data, err := safefile.ReadFileFollow(path, MaxFileBytes, "benchmark file")
	if errors.Is(err, safefile.ErrTooLarge) {
		return nil, fmt.Errorf("%s: more than %d bytes; not a benchmark file written by `zkeval benchmark import`", path, MaxFileBytes)
	}
	if err != nil {
		return nil, fmt.Errorf("reading benchmark: %w", err)
	}
	b, err := Unmarshal(data, path)
	switch {
	case errors.Is(err, ErrTruncated):
		return nil, fmt.Errorf("%w; the file is incomplete: write it again with `zkeval benchmark import`", err)
	case errors.Is(err, ErrFormat):
		return nil, fmt.Errorf("%w; benchmark files are written by `zkeval benchmark import`", err)
	}
	return b, err
}

// MaxFileBytes bounds the size of a benchmark file ReadFile accepts (1 GiB,
// above any benchmark within MaxIDXItems samples of MNIST's size).
const MaxFileBytes = 1 << 30

// WriteFile writes the canonical encoding of b to path, with permissions
// 0644, replacing any existing file atomically: it writes a temporary file in
// the same directory, flushes it to stable storage (fsync), renames it to
// path and then flushes the directory. On error, path is left as it was and
// the temporary file is removed. Errors name path; an invalid b gives an
// error wrapping ErrInvalid and touches nothing.
func WriteFile(path string, b *Benchmark) error {
	data, err := b.MarshalBinary()
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, data, 0o644)
}

// plural returns word, with an s unless n is 1.
func plural(n uint64, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
