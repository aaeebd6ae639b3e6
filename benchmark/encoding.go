package benchmark

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/zkeval/zkeval/internal/atomicfile"
)

// Magic is the first 17 bytes of every canonical encoding: the ASCII text
// "zkeval-benchmark" followed by a zero byte.
const Magic = "zkeval-benchmark\x00"

// Version is the format version that MarshalBinary writes and the only one
// that Unmarshal reads.
const Version uint16 = 1

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

// MarshalBinary returns the canonical encoding of b, format version 1, as
// specified in the package documentation. The same benchmark always gives
// the same bytes. It returns an error wrapping ErrInvalid if b.Validate
// fails.
func (b *Benchmark) MarshalBinary() ([]byte, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	w := widthFor(b.FeatureRange())
	size := len(Magic) + 2 + 2 + len(b.Name) + 2 + len(b.Split) + 2
	for _, c := range b.ClassNames {
		size += 2 + len(c)
	}
	size += 4 + 8 + 4 + 1 + len(b.Labels)*(2+b.NumFeatures*w)

	out := make([]byte, 0, size)
	out = append(out, Magic...)
	out = binary.BigEndian.AppendUint16(out, Version)
	out = appendString(out, b.Name)
	out = appendString(out, b.Split)
	out = binary.BigEndian.AppendUint16(out, uint16(len(b.ClassNames)))
	for _, c := range b.ClassNames {
		out = appendString(out, c)
	}
	out = binary.BigEndian.AppendUint32(out, uint32(b.NumFeatures))
	out = binary.BigEndian.AppendUint64(out, uint64(b.InputScale))
	out = binary.BigEndian.AppendUint32(out, uint32(len(b.Labels)))
	out = append(out, byte(w))
	for i, row := range b.X {
		out = binary.BigEndian.AppendUint16(out, uint16(b.Labels[i]))
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
	if err := checkString(s); err != nil {
		d.off = start
		return "", d.errorf(ErrFormat, field, "%v", err)
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
// wrong magic number, an unsupported version, an element width code that is
// not 1, 2, 4 or 8 or not the canonical one, an empty string or one that is
// not UTF-8, or bytes after the last sample; and ErrInvalid for values that
// break the rules of Benchmark.Validate (a label out of range, repeated
// class names, a zero count, a scale below 1).
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
	if version != Version {
		d.off -= 2
		return nil, d.errorf(ErrFormat, "version", "format version %d is not supported; this reader knows version %d", version, Version)
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
	left := uint64(len(data) - d.off)
	if n := uint64(numSamples); n > left/per {
		whole := left / per
		d.off += int(whole * per)
		return nil, d.errorf(ErrTruncated, fmt.Sprintf("sample %d", whole),
			"the header announces %d samples of %d bytes each (%d features of %d %s after a 2-byte label), "+
				"but only %d bytes follow it (%d whole %s)", numSamples, per, numFeatures, w, plural(uint64(w), "byte"), left, whole, plural(whole, "sample"))
	} else if extra := left - n*per; extra != 0 {
		d.off += int(n * per)
		return nil, d.errorf(ErrFormat, "end", "%d unexpected bytes after the last of %d samples", extra, numSamples)
	}

	n, f := int(numSamples), int(numFeatures)
	b.Labels = make([]int, n)
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
	data, err := os.ReadFile(path)
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
