package benchmark

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// xorBenchmark is the worked example of the package documentation.
func xorBenchmark() *Benchmark {
	return &Benchmark{
		Name:        "xor",
		Split:       "test",
		NumFeatures: 2,
		InputScale:  1,
		ClassNames:  []string{"0", "1"},
		X:           [][]int64{{0, 0}, {0, 1}, {1, 0}, {1, 1}},
		Labels:      []int{0, 1, 1, 0},
	}
}

const (
	xorHex = "7a6b6576616c2d62656e63686d61726b00" + // magic
		"0001" + // version
		"0003786f72" + "000474657374" + // name, split
		"0002" + "000130" + "000131" + // classes
		"00000002" + "0000000000000001" + "00000004" + "01" + // F, scale, N, W
		"00000000" + "00010001" + "00010100" + "00000101" // samples
	xorDigest = "710cab7901328c0c2a3da9feea14fe740efed6f6d9e87909fd17717932185ddc"
)

// wideBenchmark returns a benchmark whose features need w bytes each.
func wideBenchmark(t testing.TB, w int) *Benchmark {
	t.Helper()
	var big int64
	switch w {
	case 1:
		big = 255
	case 2:
		big = -32768
	case 4:
		big = math.MaxInt32
	case 8:
		big = math.MinInt64
	default:
		t.Fatalf("bad width %d", w)
	}
	return &Benchmark{
		Name:        "wide",
		Split:       "héllo ✓",
		NumFeatures: 3,
		InputScale:  1 << 12,
		ClassNames:  []string{"cat", "dog", "emu"},
		X:           [][]int64{{0, 1, big}, {2, 0, 3}},
		Labels:      []int{2, 0},
	}
}

func TestGoldenExampleEncoding(t *testing.T) {
	data, err := xorBenchmark().MarshalBinary()
	require.NoError(t, err)
	assert.Equal(t, xorHex, hex.EncodeToString(data))
	assert.Len(t, data, 71)
	d, err := xorBenchmark().Digest()
	require.NoError(t, err)
	assert.Equal(t, xorDigest, hex.EncodeToString(d[:]))
	sum := sha256.Sum256(data)
	assert.Equal(t, sum, d)
}

func TestElementWidthRule(t *testing.T) {
	cases := []struct {
		lo, hi int64
		w      int
	}{
		{0, 0, 1}, {0, 255, 1}, {0, 256, 2}, {-1, 0, 2}, {-32768, 32767, 2},
		{-32769, 0, 4}, {0, 32768, 4}, {math.MinInt32, math.MaxInt32, 4},
		{0, math.MaxInt32 + 1, 8}, {math.MinInt32 - 1, 0, 8}, {math.MinInt64, math.MaxInt64, 8},
	}
	for _, c := range cases {
		assert.Equal(t, c.w, widthFor(c.lo, c.hi), "[%d, %d]", c.lo, c.hi)
	}
	for _, w := range []int{1, 2, 4, 8} {
		b := wideBenchmark(t, w)
		data, err := b.MarshalBinary()
		require.NoError(t, err)
		// Header: 17+2 + (2+4) + (2+len(split)) + 2 + 3*5 + 4+8+4 = width byte offset.
		off := 17 + 2 + 2 + len(b.Name) + 2 + len(b.Split) + 2 + 3*(2+3) + 4 + 8 + 4
		assert.Equal(t, byte(w), data[off], "width %d", w)
		assert.Len(t, data, off+1+2*(2+3*w))
	}
}

func TestRoundTrip(t *testing.T) {
	for _, w := range []int{1, 2, 4, 8} {
		b := wideBenchmark(t, w)
		data, err := b.MarshalBinary()
		require.NoError(t, err)
		got, err := Unmarshal(data, "wide.bench")
		require.NoError(t, err)
		assert.Equal(t, b, got)
		assert.True(t, b.Equal(got))
		again, err := got.MarshalBinary()
		require.NoError(t, err)
		assert.Equal(t, data, again)
	}
}

func TestMarshalDeterministic(t *testing.T) {
	a, err := wideBenchmark(t, 4).MarshalBinary()
	require.NoError(t, err)
	b, err := wideBenchmark(t, 4).MarshalBinary()
	require.NoError(t, err)
	assert.Equal(t, a, b)
}

func TestDigestSeesEveryField(t *testing.T) {
	base, err := xorBenchmark().Digest()
	require.NoError(t, err)
	edits := map[string]func(b *Benchmark){
		"name":        func(b *Benchmark) { b.Name = "xnor" },
		"split":       func(b *Benchmark) { b.Split = "train" },
		"class name":  func(b *Benchmark) { b.ClassNames[1] = "one" },
		"class order": func(b *Benchmark) { b.ClassNames[0], b.ClassNames[1] = b.ClassNames[1], b.ClassNames[0] },
		"extra class": func(b *Benchmark) { b.ClassNames = append(b.ClassNames, "2") },
		"scale":       func(b *Benchmark) { b.InputScale = 2 },
		"feature":     func(b *Benchmark) { b.X[3][1] = 2 },
		"label":       func(b *Benchmark) { b.Labels[0] = 1 },
		"order": func(b *Benchmark) {
			b.X[0], b.X[1] = b.X[1], b.X[0]
			b.Labels[0], b.Labels[1] = b.Labels[1], b.Labels[0]
		},
	}
	for name, edit := range edits {
		b := xorBenchmark()
		edit(b)
		d, err := b.Digest()
		require.NoError(t, err, name)
		assert.NotEqual(t, base, d, name)
	}
}

func TestValidate(t *testing.T) {
	require.NoError(t, xorBenchmark().Validate())
	cases := map[string]struct {
		edit func(b *Benchmark)
		want string
	}{
		"empty name":       {func(b *Benchmark) { b.Name = "" }, "Name: empty"},
		"empty split":      {func(b *Benchmark) { b.Split = "" }, "Split: empty"},
		"bad utf8":         {func(b *Benchmark) { b.Name = "\xff" }, "not valid UTF-8"},
		"escape in split":  {func(b *Benchmark) { b.Split = "test\x1b[2K" }, "unprintable character U+001B"},
		"newline in class": {func(b *Benchmark) { b.ClassNames[0] = "a\nVALID" }, "unprintable character U+000A"},
		"long name":        {func(b *Benchmark) { b.Name = strings.Repeat("a", 65536) }, "65536 bytes"},
		"no classes":       {func(b *Benchmark) { b.ClassNames = nil }, "0 classes"},
		"empty class":      {func(b *Benchmark) { b.ClassNames[1] = "" }, "ClassNames[1]: empty"},
		"duplicate class":  {func(b *Benchmark) { b.ClassNames[1] = "0" }, "must be distinct"},
		"no features":      {func(b *Benchmark) { b.NumFeatures = 0 }, "NumFeatures is 0"},
		"zero scale":       {func(b *Benchmark) { b.InputScale = 0 }, "InputScale is 0"},
		"negative scale":   {func(b *Benchmark) { b.InputScale = -255 }, "InputScale is -255"},
		"no samples":       {func(b *Benchmark) { b.X, b.Labels = nil, nil }, "0 samples"},
		"rows vs labels":   {func(b *Benchmark) { b.X = b.X[:3] }, "X has 3 rows but Labels has 4"},
		"short row":        {func(b *Benchmark) { b.X[2] = []int64{1} }, "sample 2: 1 features"},
		"label too big":    {func(b *Benchmark) { b.Labels[3] = 2 }, "sample 3: label 2 out of range [0, 2)"},
		"negative label":   {func(b *Benchmark) { b.Labels[1] = -1 }, "sample 1: label -1"},
	}
	for name, c := range cases {
		b := xorBenchmark()
		c.edit(b)
		err := b.Validate()
		require.Error(t, err, name)
		assert.ErrorIs(t, err, ErrInvalid, name)
		assert.Contains(t, err.Error(), c.want, name)
		_, err = b.MarshalBinary()
		assert.ErrorIs(t, err, ErrInvalid, name)
		_, err = b.Digest()
		assert.ErrorIs(t, err, ErrInvalid, name)
	}
	var nilB *Benchmark
	assert.ErrorIs(t, nilB.Validate(), ErrInvalid)
}

func TestPrefix(t *testing.T) {
	b := wideBenchmark(t, 2)
	b.X = append(b.X, []int64{7, 8, 9})
	b.Labels = append(b.Labels, 1)
	full, err := b.Digest()
	require.NoError(t, err)

	p, err := b.Prefix(2)
	require.NoError(t, err)
	assert.Equal(t, 2, p.Len())
	assert.Equal(t, b.X[:2], p.X)
	assert.Equal(t, b.Labels[:2], p.Labels)
	assert.Equal(t, b.ClassNames, p.ClassNames)
	d, err := p.Digest()
	require.NoError(t, err)
	assert.NotEqual(t, full, d)

	// The prefix shares no memory with b.
	p.X[0][0] = 99
	p.Labels[0] = 1
	p.ClassNames[0] = "x"
	assert.Equal(t, int64(0), b.X[0][0])
	assert.Equal(t, 2, b.Labels[0])
	assert.Equal(t, "cat", b.ClassNames[0])

	same, err := b.Prefix(b.Len())
	require.NoError(t, err)
	d, err = same.Digest()
	require.NoError(t, err)
	assert.Equal(t, full, d)

	for _, n := range []int{-1, 0, 4} {
		_, err := b.Prefix(n)
		assert.ErrorIs(t, err, ErrInvalid, "n=%d", n)
	}
}

func TestUnmarshalEveryTruncationFails(t *testing.T) {
	for _, w := range []int{1, 2, 4, 8} {
		data, err := wideBenchmark(t, w).MarshalBinary()
		require.NoError(t, err)
		for n := 0; n < len(data); n++ {
			var b *Benchmark
			require.NotPanics(t, func() { b, err = Unmarshal(data[:n:n], "cut.bench") }, "width %d, %d bytes", w, n)
			require.Error(t, err, "width %d, %d of %d bytes", w, n, len(data))
			assert.Nil(t, b)
			assert.ErrorIs(t, err, ErrTruncated, "width %d, %d bytes: %v", w, n, err)
			assert.True(t, strings.HasPrefix(err.Error(), "cut.bench: "), "%v", err)
		}
	}
}

func TestUnmarshalRejects(t *testing.T) {
	good, err := xorBenchmark().MarshalBinary()
	require.NoError(t, err)
	// Offsets in the xor encoding.
	const (
		offVersion  = 17
		offClasses  = 17 + 2 + 5 + 6
		offClass1   = offClasses + 2 + 3
		offFeatures = offClasses + 2 + 3 + 3
		offScale    = offFeatures + 4
		offSamples  = offScale + 8
		offWidth    = offSamples + 4
		offBody     = offWidth + 1
	)
	require.Equal(t, byte(1), good[offWidth])

	edit := func(f func(d []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := map[string]struct {
		data []byte
		is   error
		want string
	}{
		"empty":          {nil, ErrTruncated, "magic"},
		"bad magic":      {edit(func(d []byte) []byte { d[0] = 'Z'; return d }), ErrFormat, "not a zkeval benchmark"},
		"version 3":      {edit(func(d []byte) []byte { d[offVersion+1] = 3; return d }), ErrFormat, "format version 3 is not supported"},
		"version 0":      {edit(func(d []byte) []byte { d[offVersion+1] = 0; return d }), ErrFormat, "version"},
		"trailing byte":  {append(append([]byte(nil), good...), 0), ErrFormat, "1 unexpected bytes after the last of 4 samples"},
		"zero classes":   {edit(func(d []byte) []byte { d[offClasses+1] = 0; return d }), ErrInvalid, "0 classes"},
		"dup class":      {edit(func(d []byte) []byte { d[offClass1+2] = '0'; return d }), ErrInvalid, "class name 1"},
		"bad utf8 class": {edit(func(d []byte) []byte { d[offClass1+2] = 0xff; return d }), ErrFormat, "class name 1"},
		"empty name": {
			append(append([]byte(Magic), 0, 1, 0, 0), good[17+2+5:]...), ErrFormat, "name",
		},
		"zero features":  {edit(func(d []byte) []byte { d[offFeatures+3] = 0; return d }), ErrInvalid, "0 features"},
		"zero scale":     {edit(func(d []byte) []byte { d[offScale+7] = 0; return d }), ErrInvalid, "input scale"},
		"negative scale": {edit(func(d []byte) []byte { d[offScale] = 0x80; return d }), ErrInvalid, "input scale"},
		"zero samples": {
			edit(func(d []byte) []byte { d[offSamples+3] = 0; return d[:offBody] }), ErrInvalid, "0 samples",
		},
		"width 3":         {edit(func(d []byte) []byte { d[offWidth] = 3; return d }), ErrFormat, "code 3"},
		"width 0":         {edit(func(d []byte) []byte { d[offWidth] = 0; return d }), ErrFormat, "code 0"},
		"label range":     {edit(func(d []byte) []byte { d[offBody+4+1] = 2; return d }), ErrInvalid, "sample 1 label"},
		"label high byte": {edit(func(d []byte) []byte { d[offBody+8] = 1; return d }), ErrInvalid, "sample 2 label"},
		"too many samples": {
			edit(func(d []byte) []byte { d[offSamples] = 0xff; return d }), ErrTruncated, "sample 4",
		},
		"huge features": {
			edit(func(d []byte) []byte { copy(d[offFeatures:], []byte{0xff, 0xff, 0xff, 0xff}); return d }), ErrTruncated, "sample 0",
		},
	}
	for name, c := range cases {
		b, err := Unmarshal(c.data, "x.bench")
		require.Error(t, err, name)
		assert.Nil(t, b, name)
		assert.ErrorIs(t, err, c.is, "%s: %v", name, err)
		assert.Contains(t, err.Error(), c.want, name)
		assert.True(t, strings.HasPrefix(err.Error(), "x.bench: "), "%s: %v", name, err)
	}
}

// encodeWithWidth encodes b like MarshalBinary but with element width w.
func encodeWithWidth(t *testing.T, b *Benchmark, w int) []byte {
	t.Helper()
	good, err := b.MarshalBinary()
	require.NoError(t, err)
	canon := widthFor(b.FeatureRange())
	offWidth := len(good) - b.Len()*(2+b.NumFeatures*canon) - 1
	require.Equal(t, byte(canon), good[offWidth])
	out := append([]byte(nil), good[:offWidth]...)
	out = append(out, byte(w))
	for i, row := range b.X {
		out = binary.BigEndian.AppendUint16(out, uint16(b.Labels[i]))
		for _, v := range row {
			switch w {
			case 1:
				out = append(out, byte(v))
			case 2:
				out = binary.BigEndian.AppendUint16(out, uint16(v))
			case 4:
				out = binary.BigEndian.AppendUint32(out, uint32(v))
			case 8:
				out = binary.BigEndian.AppendUint64(out, uint64(v))
			}
		}
	}
	return out
}

func TestUnmarshalRejectsNonCanonicalWidth(t *testing.T) {
	for _, canon := range []int{1, 2, 4} {
		b := wideBenchmark(t, canon)
		good, err := b.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, good, encodeWithWidth(t, b, canon))
		for _, w := range []int{2, 4, 8} {
			if w <= canon {
				continue
			}
			_, err := Unmarshal(encodeWithWidth(t, b, w), "wide.bench")
			require.Error(t, err, "canonical %d, encoded %d", canon, w)
			assert.ErrorIs(t, err, ErrFormat)
			assert.Contains(t, err.Error(), "not canonical")
			assert.Contains(t, err.Error(), "wide.bench: element width")
		}
	}
}

func TestWriteReadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "xor"+FileExt)
	require.NoError(t, os.WriteFile(path, []byte("old contents"), 0o600))
	b := xorBenchmark()
	require.NoError(t, WriteFile(path, b))

	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	d, err := b.Digest()
	require.NoError(t, err)
	assert.Equal(t, d, sha256.Sum256(raw), "sha256(file) == Digest")
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), st.Mode().Perm())

	got, err := ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, b, got)
	assertOnlyFiles(t, dir, "xor.bench")

	_, err = ReadFile(filepath.Join(dir, "missing.bench"))
	assert.ErrorIs(t, err, os.ErrNotExist)

	bad := filepath.Join(dir, "bad.bench")
	require.NoError(t, os.WriteFile(bad, raw[:len(raw)-1], 0o644))
	_, err = ReadFile(bad)
	assert.ErrorIs(t, err, ErrTruncated)
	assert.Contains(t, err.Error(), bad)
}

// assertOnlyFiles checks that dir holds exactly the named entries: no
// temporary file was left behind.
func assertOnlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	assert.ElementsMatch(t, names, got)
}

func TestWriteFileInvalidLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	b := xorBenchmark()
	b.Labels[0] = 7
	err := WriteFile(filepath.Join(dir, "bad.bench"), b)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "bad.bench")
	assertOnlyFiles(t, dir)
}

func TestWriteFileUnwritableDirLeavesNothing(t *testing.T) {
	dir := t.TempDir()

	// A missing directory.
	err := WriteFile(filepath.Join(dir, "missing", "x.bench"), xorBenchmark())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "x.bench")

	// A "directory" that is a regular file.
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	err = WriteFile(filepath.Join(file, "x.bench"), xorBenchmark())
	require.Error(t, err)

	// The target is a directory: the temporary file is written, the
	// rename fails, and the temporary file must be removed.
	target := filepath.Join(dir, "target.bench")
	require.NoError(t, os.Mkdir(target, 0o755))
	err = WriteFile(target, xorBenchmark())
	require.Error(t, err)
	assertOnlyFiles(t, dir, "file", "target.bench")
	inner, err := os.ReadDir(target)
	require.NoError(t, err)
	assert.Empty(t, inner)

	// A read-only directory (not enforced for privileged users).
	ro := filepath.Join(dir, "ro")
	require.NoError(t, os.Mkdir(ro, 0o555))
	t.Cleanup(func() { _ = os.Chmod(ro, 0o755) })
	if f, err := os.Create(filepath.Join(ro, "probe")); err == nil {
		f.Close()
		_ = os.Remove(filepath.Join(ro, "probe"))
		t.Log("directory permissions are not enforced for this user; skipping the read-only case")
		return
	}
	err = WriteFile(filepath.Join(ro, "x.bench"), xorBenchmark())
	require.Error(t, err)
	assert.True(t, errors.Is(err, os.ErrPermission), "%v", err)
	assertOnlyFiles(t, ro)
}
