// Package benchmark holds labelled evaluation sets (benchmarks), their
// canonical binary encoding and their public identifier, the SHA-256 digest
// of that encoding.
//
// A Benchmark has integer features X, shape [samples][features], that stand
// for the rational values X[i][j] / InputScale, and one class label per
// sample. Loaders read the MNIST IDX files (LoadMNIST, LoadMNISTFiles,
// MNISTTest for the embedded official test set) and CSV files (LoadCSV).
//
// # Canonical encoding, format version 1
//
// MarshalBinary writes, Unmarshal reads, and a .bench file (ReadFile,
// WriteFile) holds exactly the following bytes, in order, with no padding
// and nothing after the last sample. Multi-byte integers are big-endian;
// negative values are in two's complement. A "string" is a uint16 byte
// count n followed by n bytes of UTF-8 (no terminator, no normalisation).
//
//	field          size      value
//	magic          17 bytes  "zkeval-benchmark" then one zero byte:
//	                         7a 6b 65 76 61 6c 2d 62 65 6e 63 68 6d 61 72 6b 00
//	version        uint16    1
//	name           string    Name, 1 to 65535 bytes
//	split          string    Split, 1 to 65535 bytes
//	class count    uint16    C = len(ClassNames), 1 to 65535
//	class names    C strings ClassNames[0], ..., ClassNames[C-1] (class id order),
//	                         each 1 to 65535 bytes, all distinct
//	feature count  uint32    F = NumFeatures, at least 1
//	input scale    int64     InputScale, at least 1
//	sample count   uint32    N = Len(), at least 1
//	element width  uint8     W, the size in bytes of each feature below
//	samples        N records, sample 0 first, each made of
//	                 label     uint16    Labels[i], less than C
//	                 features  F values  X[i][0], ..., X[i][F-1], W bytes each
//
// The element width W is fixed by the features, not chosen by the writer:
//
//	W = 1  (uint8)  if every feature is in [0, 255];
//	W = 2  (int16)  otherwise, if every feature is in [-32768, 32767];
//	W = 4  (int32)  otherwise, if every feature is in [-2^31, 2^31-1];
//	W = 8  (int64)  otherwise.
//
// W = 1 stores features as unsigned bytes; W = 2, 4 and 8 as two's-complement
// signed integers. The total size is therefore
//
//	17 + 2 + (2 + len(Name)) + (2 + len(Split)) + 2 + sum over classes of (2 + len(name))
//	   + 4 + 8 + 4 + 1 + N * (2 + F*W) bytes.
//
// Each valid benchmark has exactly one encoding, and Unmarshal rejects every
// other byte string (a wrong magic number or version, a non-canonical W,
// invalid UTF-8, a label out of range, repeated class names, zero counts, a
// scale below 1, truncation, trailing bytes), so equal digests mean equal
// benchmarks.
//
// # Digest
//
// The digest of a benchmark (Benchmark.Digest) is SHA-256, as specified in
// FIPS 180-4, of its canonical encoding; it equals the SHA-256 of its .bench
// file. For example, the benchmark
//
//	Name "xor", Split "test", ClassNames ["0", "1"], NumFeatures 2, InputScale 1,
//	X [[0 0] [0 1] [1 0] [1 1]], Labels [0 1 1 0]
//
// has the 71-byte encoding
//
//	7a 6b 65 76 61 6c 2d 62 65 6e 63 68 6d 61 72 6b 00   magic
//	00 01                                                version 1
//	00 03 78 6f 72                                       "xor"
//	00 04 74 65 73 74                                    "test"
//	00 02  00 01 30  00 01 31                            2 classes: "0", "1"
//	00 00 00 02                                          2 features
//	00 00 00 00 00 00 00 01                              input scale 1
//	00 00 00 04                                          4 samples
//	01                                                   W = 1 (uint8)
//	00 00 00 00  00 01 00 01  00 01 01 00  00 00 01 01   (label, x0, x1) x 4
//
// and the digest
//
//	710cab7901328c0c2a3da9feea14fe740efed6f6d9e87909fd17717932185ddc
//
// The official MNIST test set (MNISTTest: Name "mnist", Split "test",
// ClassNames "0".."9", NumFeatures 784, InputScale 255, 10,000 samples in
// file order, W = 1) has the digest given by MNISTTestDigest.
//
// # Sources
//
// IDX files: Y. LeCun, C. Cortes, C. J. C. Burges, "The MNIST database of
// handwritten digits", http://yann.lecun.com/exdb/mnist/. SHA-256: NIST FIPS
// 180-4, Secure Hash Standard. CSV: RFC 4180, as read by encoding/csv.
// gzip: RFC 1952.
package benchmark
