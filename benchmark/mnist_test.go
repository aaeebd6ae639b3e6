package benchmark

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Golden digests, computed once from the embedded official files (and
// cross-checked against an independent implementation of the documented
// encoding). A change here changes the public identity of the benchmark.
const (
	mnistTestDigest     = "3b66152108bd64857c054edf6f8ab83d057ce655bde960c8f730207d5de6085e"
	mnistTest1000Digest = "1ae534586084b3e348839aa54d7dbe01e10db8221d6686e8a0f074257195f78d"
)

var mnistOnce = sync.OnceValues(MNISTTest)

// mnistTest returns the MNIST test set, parsed once; tests must not modify it.
func mnistTest(t *testing.T) *Benchmark {
	t.Helper()
	b, err := mnistOnce()
	require.NoError(t, err)
	return b
}

func TestMNISTTest(t *testing.T) {
	b := mnistTest(t)
	require.NoError(t, b.Validate())
	assert.Equal(t, "mnist", b.Name)
	assert.Equal(t, "test", b.Split)
	assert.Equal(t, 10000, b.Len())
	assert.Equal(t, 784, b.NumFeatures)
	assert.Equal(t, int64(255), b.InputScale)
	assert.Equal(t, []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}, b.ClassNames)
	assert.Equal(t, 7, b.Labels[0])
	assert.Equal(t, []int{7, 2, 1, 0, 4, 1, 4, 9, 5, 9}, b.Labels[:10])

	hist := make([]int, 10)
	for _, l := range b.Labels {
		hist[l]++
	}
	assert.Equal(t, []int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}, hist)

	var lo, hi int64 = 255, 0
	var sum int64
	for _, row := range b.X {
		for _, v := range row {
			lo, hi = min(lo, v), max(hi, v)
			sum += v
		}
	}
	assert.Equal(t, int64(0), lo)
	assert.Equal(t, int64(255), hi)
	// The first image (a 7) has ink in its middle rows and none in its
	// top-left corner.
	assert.Equal(t, int64(0), b.X[0][0])
	var ink int64
	for _, v := range b.X[0] {
		ink += v
	}
	assert.Greater(t, ink, int64(0))
	assert.Positive(t, sum)
}

func TestMNISTDigestGolden(t *testing.T) {
	b := mnistTest(t)
	d, err := b.Digest()
	require.NoError(t, err)
	assert.Equal(t, mnistTestDigest, hex.EncodeToString(d[:]))
	assert.Equal(t, MNISTTestDigest, hex.EncodeToString(d[:]))
	assert.Equal(t, MNISTTestSamples, b.Len())

	p, err := b.Prefix(1000)
	require.NoError(t, err)
	assert.Equal(t, 1000, p.Len())
	pd, err := p.Digest()
	require.NoError(t, err)
	assert.NotEqual(t, d, pd)
	assert.Equal(t, mnistTest1000Digest, hex.EncodeToString(pd[:]))

	// The encoding uses one byte per pixel.
	data, err := b.MarshalBinary()
	require.NoError(t, err)
	assert.Len(t, data, 17+2+(2+5)+(2+4)+2+10*3+4+8+4+1+10000*(2+784))
	back, err := Unmarshal(data, "mnist.bench")
	require.NoError(t, err)
	assert.True(t, b.Equal(back))
}

func TestMNISTTestFreshCopies(t *testing.T) {
	a, err := MNISTTest()
	require.NoError(t, err)
	a.X[0][0] = 42
	a.Labels[0] = 3
	b, err := MNISTTest()
	require.NoError(t, err)
	assert.Equal(t, int64(0), b.X[0][0])
	assert.Equal(t, 7, b.Labels[0])
}

// idxImages returns a raw IDX image file of n 28x28 images with pixel
// (i, p) = (i*7 + p) % 256.
func idxImages(n int) []byte {
	out := binary.BigEndian.AppendUint32(nil, 2051)
	out = binary.BigEndian.AppendUint32(out, uint32(n))
	out = binary.BigEndian.AppendUint32(out, 28)
	out = binary.BigEndian.AppendUint32(out, 28)
	for i := range n {
		for p := range 784 {
			out = append(out, byte(i*7+p))
		}
	}
	return out
}

func idxLabels(labels ...byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, 2049)
	out = binary.BigEndian.AppendUint32(out, uint32(len(labels)))
	return append(out, labels...)
}

func gz(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, err := w.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func TestLoadMNISTSynthetic(t *testing.T) {
	imgs, labs := idxImages(3), idxLabels(4, 0, 9)
	for _, c := range []struct {
		name       string
		imgs, labs []byte
	}{
		{"raw", imgs, labs},
		{"gzip", gz(t, imgs), gz(t, labs)},
		{"mixed", gz(t, imgs), labs},
	} {
		b, err := LoadMNIST(bytes.NewReader(c.imgs), bytes.NewReader(c.labs), "tiny", "synthetic")
		require.NoError(t, err, c.name)
		assert.Equal(t, 3, b.Len(), c.name)
		assert.Equal(t, "mnist", b.Name)
		assert.Equal(t, "tiny", b.Split)
		assert.Equal(t, []int{4, 0, 9}, b.Labels, c.name)
		assert.Equal(t, int64(255), b.InputScale)
		for i := range 3 {
			for p := range 784 {
				require.Equal(t, int64(byte(i*7+p)), b.X[i][p], "%s: image %d pixel %d", c.name, i, p)
			}
		}
	}
}

func TestLoadMNISTFiles(t *testing.T) {
	dir := t.TempDir()
	ip, lp := filepath.Join(dir, "imgs.gz"), filepath.Join(dir, "labs")
	require.NoError(t, os.WriteFile(ip, gz(t, idxImages(2)), 0o644))
	require.NoError(t, os.WriteFile(lp, idxLabels(1, 2), 0o644))
	b, err := LoadMNISTFiles(ip, lp, "x")
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2}, b.Labels)

	// Errors name the file at fault.
	require.NoError(t, os.WriteFile(lp, idxLabels(1), 0o644))
	_, err = LoadMNISTFiles(ip, lp, "x")
	require.Error(t, err)
	assert.Contains(t, err.Error(), lp)

	_, err = LoadMNISTFiles(filepath.Join(dir, "none"), lp, "x")
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestLoadMNISTErrors(t *testing.T) {
	imgs, labs := idxImages(3), idxLabels(4, 0, 9)
	with := func(data []byte, off int, v uint32) []byte {
		out := append([]byte(nil), data...)
		binary.BigEndian.PutUint32(out[off:], v)
		return out
	}
	garbage := make([]byte, 5000)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range garbage {
		garbage[i] = byte(r.Uint32())
	}
	gzImgs := gz(t, imgs)

	cases := map[string]struct {
		imgs, labs []byte
		is         error
		want       []string
	}{
		"truncated images": {imgs[:len(imgs)-100], labs, ErrTruncated,
			[]string{"images: image file", "3 images (2352 bytes", "found 2252 bytes (2 whole images)"}},
		"truncated gzip images": {gzImgs[:len(gzImgs)/2], labs, ErrTruncated,
			[]string{"images: image file", "gzip stream ends early"}},
		"truncated labels": {imgs, labs[:len(labs)-1], ErrTruncated,
			[]string{"label file", "3 labels (3 bytes", "found 2 bytes (2 whole labels)"}},
		"truncated header": {imgs[:10], labs, ErrTruncated,
			[]string{"image file", "header needs 16 bytes, found 10"}},
		"empty images": {nil, labs, ErrTruncated, []string{"image file", "found 0"}},
		"empty labels": {imgs, nil, ErrTruncated, []string{"label file", "header needs 8 bytes, found 0"}},
		"trailing image bytes": {append(append([]byte(nil), imgs...), 0), labs, ErrFormat,
			[]string{"image file", "unexpected bytes after the 3 images"}},
		"trailing label bytes": {imgs, append(append([]byte(nil), labs...), 1), ErrFormat,
			[]string{"label file", "unexpected bytes"}},
		"files swapped": {labs, imgs, ErrFormat, []string{"image file", "magic number 2049", "want 2051"}},
		"wrong label magic": {imgs, with(labs, 0, 2051), ErrFormat,
			[]string{"label file", "magic number 2051", "want 2049"}},
		"garbage": {garbage, labs, ErrFormat, []string{"image file", "magic number"}},
		"rows":    {with(imgs, 8, 27), labs, ErrFormat, []string{"images are 27x28"}},
		"cols":    {with(imgs, 12, 32), labs, ErrFormat, []string{"images are 28x32"}},
		"count mismatch": {imgs, idxLabels(4, 0), ErrFormat,
			[]string{"label file", "2 labels", "holds 3 images"}},
		"label 10": {imgs, idxLabels(4, 10, 9), ErrFormat,
			[]string{"label file: label 1", "value 10"}},
		"zero images": {idxImages(0), idxLabels(), ErrFormat, []string{"no images"}},
		"huge count": {with(imgs, 4, 0xffffffff), labs, ErrFormat,
			[]string{"4294967295 images", "reads at most 262144"}},
		"bad gzip": {[]byte{0x1f, 0x8b, 0, 0, 0}, labs, ErrFormat, []string{"gzip"}},
	}
	_, err := LoadMNIST(bytes.NewReader(imgs), bytes.NewReader(labs), "", "images")
	assert.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "split: empty")

	for name, c := range cases {
		var err error
		require.NotPanics(t, func() {
			_, err = LoadMNIST(bytes.NewReader(c.imgs), bytes.NewReader(c.labs), "test", "images")
		}, name)
		require.Error(t, err, name)
		assert.ErrorIs(t, err, c.is, "%s: %v", name, err)
		for _, w := range c.want {
			assert.Contains(t, err.Error(), w, name)
		}
		assert.True(t, strings.HasPrefix(err.Error(), "images: "), "%s: %v", name, err)
	}
}

func TestIDXHeaderCountIsBounded(t *testing.T) {
	var hdr [16]byte
	binary.BigEndian.PutUint32(hdr[0:], 2051)
	binary.BigEndian.PutUint32(hdr[4:], MaxIDXItems+1)
	binary.BigEndian.PutUint32(hdr[8:], 28)
	binary.BigEndian.PutUint32(hdr[12:], 28)
	var lab [8]byte
	binary.BigEndian.PutUint32(lab[0:], 2049)
	binary.BigEndian.PutUint32(lab[4:], MaxIDXItems+1)
	_, err := LoadMNIST(bytes.NewReader(hdr[:]), bytes.NewReader(lab[:]), "test", "huge")
	require.ErrorIs(t, err, ErrFormat)
	require.ErrorContains(t, err, "reads at most")
}
