package benchmark

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/zkeval/zkeval/benchmark/mnistdata"
)

// IDX magic numbers (LeCun et al., http://yann.lecun.com/exdb/mnist/): two
// zero bytes, the element type 0x08 (unsigned byte) and the number of
// dimensions.
const (
	idxImagesMagic = 0x00000803 // 2051: unsigned bytes, 3 dimensions
	idxLabelsMagic = 0x00000801 // 2049: unsigned bytes, 1 dimension
)

// MNIST image geometry and pixel scale.
const (
	MNISTRows     = 28
	MNISTCols     = 28
	MNISTFeatures = MNISTRows * MNISTCols // 784, row-major
	MNISTScale    = 255                   // pixel value = byte / 255
	MNISTClasses  = 10
)

// MNISTTestDigest is the lower-case hex Digest of MNISTTest(), the official
// MNIST test set in file order.
const MNISTTestDigest = "3b66152108bd64857c054edf6f8ab83d057ce655bde960c8f730207d5de6085e"

// MNISTTestSamples is the number of images of MNISTTest().
const MNISTTestSamples = 10000

// LoadMNIST reads an MNIST image file and label file in the IDX format of
// LeCun et al. (http://yann.lecun.com/exdb/mnist/), each either
// gzip-compressed (RFC 1952, recognised by its leading bytes 1f 8b) or raw.
//
// The image file must start with the big-endian uint32 values 2051 (magic),
// N (image count), 28 (rows) and 28 (columns), followed by exactly N*784
// pixel bytes, row-major, 0 = background. The label file must start with
// 2049 (magic) and N, followed by exactly N label bytes, each in [0, 9].
//
// The result has Name "mnist", the given Split, NumFeatures 784 (pixel
// (r, c) is feature 28*r + c), InputScale 255, ClassNames "0".."9" and X[i][j]
// the raw pixel byte. Errors name source, the file ("image file" or "label
// file") and what was expected against what was found (magic number,
// dimensions, counts, or bytes and whole items for a truncated file); they
// wrap ErrFormat or ErrTruncated.
func LoadMNIST(images, labels io.Reader, split string, source string) (*Benchmark, error) {
	return loadMNIST(images, labels, split, source+": image file", source+": label file")
}

// LoadMNISTFiles is LoadMNIST on the named files; errors name each file.
func LoadMNISTFiles(imagesPath, labelsPath, split string) (*Benchmark, error) {
	fi, err := os.Open(imagesPath)
	if err != nil {
		return nil, fmt.Errorf("reading MNIST images: %w", err)
	}
	defer fi.Close()
	fl, err := os.Open(labelsPath)
	if err != nil {
		return nil, fmt.Errorf("reading MNIST labels: %w", err)
	}
	defer fl.Close()
	b, err := loadMNIST(fi, fl, split, imagesPath, labelsPath)
	if errors.Is(err, ErrTruncated) {
		return nil, fmt.Errorf("%w; the file is incomplete: copy or download it again", err)
	}
	return b, err
}

// MNISTTest returns the official MNIST test set (files t10k-images-idx3-ubyte
// and t10k-labels-idx1-ubyte, 10,000 images), which package mnistdata
// embeds: Name "mnist", Split "test". Each call returns a new Benchmark that
// the caller may modify.
func MNISTTest() (*Benchmark, error) {
	return loadMNIST(bytes.NewReader(mnistdata.TestImagesGz), bytes.NewReader(mnistdata.TestLabelsGz), "test",
		"mnistdata/"+mnistdata.TestImagesName, "mnistdata/"+mnistdata.TestLabelsName)
}

func loadMNIST(images, labels io.Reader, split, imagesName, labelsName string) (*Benchmark, error) {
	if err := checkString(split); err != nil {
		return nil, fmt.Errorf("%s: %w: split: %v", imagesName, ErrInvalid, err)
	}
	hdr, pixels, err := readIDX(images, imagesName, idxImagesMagic, 3, MNISTFeatures, "image")
	if err != nil {
		return nil, err
	}
	if hdr[1] != MNISTRows || hdr[2] != MNISTCols {
		return nil, fmt.Errorf("%s: %w: images are %dx%d; MNIST images are %dx%d",
			imagesName, ErrFormat, hdr[1], hdr[2], MNISTRows, MNISTCols)
	}
	lhdr, labelBytes, err := readIDX(labels, labelsName, idxLabelsMagic, 1, 1, "label")
	if err != nil {
		return nil, err
	}
	n := int(hdr[0])
	if int(lhdr[0]) != n {
		return nil, fmt.Errorf("%s: %w: %d labels, but the image file %s holds %d images; the counts must be equal",
			labelsName, ErrFormat, lhdr[0], imagesName, n)
	}
	if n == 0 {
		return nil, fmt.Errorf("%s: %w: the file holds no images", imagesName, ErrFormat)
	}
	b := &Benchmark{
		Name:        "mnist",
		Split:       split,
		NumFeatures: MNISTFeatures,
		InputScale:  MNISTScale,
		ClassNames:  []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"},
		X:           make([][]int64, n),
		Labels:      make([]int, n),
	}
	flat := make([]int64, n*MNISTFeatures)
	for i := range n {
		l := int(labelBytes[i])
		if l >= MNISTClasses {
			return nil, fmt.Errorf("%s: label %d (byte offset %d): %w: value %d; MNIST labels are 0 to 9",
				labelsName, i, 8+i, ErrFormat, l)
		}
		b.Labels[i] = l
		row := flat[i*MNISTFeatures : (i+1)*MNISTFeatures : (i+1)*MNISTFeatures]
		for j, p := range pixels[i*MNISTFeatures : (i+1)*MNISTFeatures] {
			row[j] = int64(p)
		}
		b.X[i] = row
	}
	if err := b.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", imagesName, err)
	}
	return b, nil
}

// readIDX reads an IDX file of unsigned bytes with the given magic number
// and number of dimensions, returning the dimensions and the body, which
// must hold exactly dims[0]*itemSize bytes. The input may be gzip-compressed.
func readIDX(r io.Reader, name string, magic uint32, ndims int, itemSize uint64, item string) ([]uint32, []byte, error) {
	br := bufio.NewReader(r)
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w: bad gzip header: %v", name, ErrFormat, err)
		}
		defer zr.Close()
		r = zr
	} else {
		r = br
	}
	// Read the magic number first, so that the wrong kind of file is
	// reported as such even when it is shorter than the expected header.
	hdrLen := 4 + 4*ndims
	hdr := make([]byte, hdrLen)
	if n, err := io.ReadFull(r, hdr[:4]); err != nil {
		return nil, nil, headerError(name, err, hdrLen, n)
	}
	if got := binary.BigEndian.Uint32(hdr); got != magic {
		return nil, nil, fmt.Errorf("%s: %w: IDX magic number %d (0x%08x), want %d (0x%08x); is this the %s file?",
			name, ErrFormat, got, got, magic, magic, item)
	}
	if n, err := io.ReadFull(r, hdr[4:]); err != nil {
		return nil, nil, headerError(name, err, hdrLen, 4+n)
	}
	dims := make([]uint32, ndims)
	for i := range dims {
		dims[i] = binary.BigEndian.Uint32(hdr[4+4*i:])
	}
	if dims[0] > MaxIDXItems {
		return nil, nil, fmt.Errorf("%s: %w: the header announces %d %ss; zkeval reads at most %d (every sample becomes part of the circuit, so a benchmark this large could not be proven; a compressed file that announces more is refused before it is inflated)",
			name, ErrFormat, dims[0], item, MaxIDXItems)
	}
	want := uint64(dims[0]) * itemSize
	// Read at most one byte more than announced, so that a lying header
	// cannot make us allocate more than the input holds.
	body, err := io.ReadAll(io.LimitReader(r, int64(want)+1))
	got := uint64(len(body))
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, nil, fmt.Errorf("%s: %w: the gzip stream ends early; the header announces %d %ss (%d bytes after the %d-byte header), found %d bytes (%d whole %ss)",
			name, ErrTruncated, dims[0], item, want, hdrLen, got, got/itemSize, item)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: reading %d %ss: %w", name, dims[0], item, err)
	}
	if got < want {
		return nil, nil, fmt.Errorf("%s: %w: the header announces %d %ss (%d bytes after the %d-byte header), found %d bytes (%d whole %ss)",
			name, ErrTruncated, dims[0], item, want, hdrLen, got, got/itemSize, item)
	}
	if got > want {
		return nil, nil, fmt.Errorf("%s: %w: unexpected bytes after the %d %ss (%d bytes) that the header announces",
			name, ErrFormat, dims[0], item, want)
	}
	// Drain the rest of a gzip stream so that its checksum is verified.
	if zr, ok := r.(*gzip.Reader); ok {
		if _, err := io.Copy(io.Discard, zr); err != nil {
			return nil, nil, fmt.Errorf("%s: %w: gzip stream: %v", name, ErrFormat, err)
		}
	}
	return dims, body, nil
}

// MaxIDXItems bounds the item count an IDX header may announce (2^18), so
// that a small gzip file cannot make the reader inflate gigabytes.
const MaxIDXItems = 1 << 18

func headerError(name string, err error, want, got int) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%s: %w: IDX header needs %d bytes, found %d", name, ErrTruncated, want, got)
	}
	return fmt.Errorf("%s: reading IDX header: %w", name, err)
}
