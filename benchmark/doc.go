// Package benchmark holds labelled evaluation sets (benchmarks), their
// canonical binary encoding and their public identifier, the SHA-256 digest
// of that encoding.
//
// A Benchmark has integer features X, shape [samples][features], that stand
// for the rational values X[i][j] / InputScale, and one class label per
// sample. A tabular benchmark may also have a group attribute (e.g. sex),
// with one group id per sample, and an EncodingSpec that records how the
// columns of its source file became labels, groups and features. Loaders
// read the MNIST IDX files (LoadMNIST, LoadMNISTFiles, MNISTTest for the
// embedded official test set), CSV files (LoadCSV), and ARFF or CSV files
// described by a schema (LoadARFF, LoadCSVSchema; see "Schema files").
//
// # Canonical encoding, format version 1
//
// MarshalBinary writes, Unmarshal reads, and a .bench file (ReadFile,
// WriteFile) holds exactly the following bytes, in order, with no padding
// and nothing after the last sample. Multi-byte integers are big-endian;
// negative values are in two's complement. A "string" is a uint16 byte
// count n followed by n bytes of UTF-8 (no terminator, no normalisation).
//
// Version 1 is the encoding of every benchmark without a group attribute
// and without an EncodingSpec (MNIST, plain CSV); version 2 (below) is that
// of every other benchmark. The version is thus fixed by the benchmark, not
// chosen by the writer.
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
// # Canonical encoding, format version 2
//
// A benchmark with a group attribute, an EncodingSpec or both is encoded as
// in version 1 with three changes: the version field is 2; a group section
// and a spec section come between the input scale and the sample count; and
// each sample record holds a group id after its label when there are groups.
// An "optional string" is a string whose byte count may be 0 (the empty
// string); a "decimal" is a string holding a decimal number in the
// canonical form of CanonicalDecimal ("-12.5", "0.001", "3", never "+3",
// "3.0", "1e3" or "-0").
//
//	field            size       value
//	magic            17 bytes   as in version 1
//	version          uint16     2
//	name ... input scale        as in version 1
//	group attribute  optional string  GroupAttribute; empty when there are no groups
//	group count      uint16     G = len(GroupNames): 0 if the attribute is empty, else 1 to 65535
//	group names      G strings  GroupNames[0], ..., GroupNames[G-1] (group id order), all distinct
//	spec flag        uint8      0: no EncodingSpec follows; 1: one follows.
//	                            G = 0 with flag 0 is not allowed (that benchmark is version 1)
//	spec             (flag 1 only) the EncodingSpec:
//	  scale bits     uint8      ScaleBits, 0 to 62; InputScale must equal 2^ScaleBits
//	  label column   string     LabelColumn
//	  class values   C lists, one per class in class id order, each a uint16
//	                 count k >= 1 then k strings: ClassValues[c]. No value
//	                 appears twice in all the lists.
//	  group column   optional string  GroupColumn; empty exactly when G = 0
//	  group rule     uint8      (only when G > 0) 1: by value, 2: by threshold
//	  group map      (only when G > 0) rule 1: G lists, one per group, each a
//	                 uint16 count k >= 1 then k strings (GroupValues[g]; no
//	                 value twice in all the lists); rule 2: G-1 decimals,
//	                 strictly increasing (GroupThresholds)
//	  column count   uint32     K = len(Columns), at least 1
//	  columns        K records, in feature order, each made of
//	                   name      string  Columns[k].Name; all distinct, none equal to LabelColumn
//	                   kind      uint8   1: numeric, 2: one-hot
//	                   numeric:  subtract (decimal), divide (decimal, > 0)
//	                   one-hot:  uint32 count m >= 1, then m distinct strings (Categories)
//	                 Numeric columns give 1 feature each, one-hot columns m;
//	                 the total must equal the feature count F.
//	sample count     uint32     N, at least 1
//	element width    uint8      W, fixed by the features as in version 1
//	samples          N records, sample 0 first, each made of
//	                   label     uint16    Labels[i], less than C
//	                   group     uint16    Groups[i], less than G (only when G > 0)
//	                   features  F values  X[i][0], ..., X[i][F-1], W bytes each
//
// The features of a sample with a spec are, column by column in spec order:
// for a numeric column holding the decimal v, the one feature
// round((v - subtract) / divide * 2^ScaleBits), computed exactly and rounded
// half away from zero; for a one-hot column holding the category v, one
// feature per category, 2^ScaleBits (the value 1) for the category equal to
// v and 0 for the others (so Validate and Unmarshal check that each one-hot
// block holds exactly one 2^ScaleBits and zeros). The label of a sample is
// the class whose ClassValues holds the label column's value; its group, by
// value, the group whose GroupValues holds the group column's value, or, by
// threshold, the number of thresholds t with v >= t for the group column's
// number v. Values are compared as exact strings (after the trimming each
// file format does), numbers as exact rationals.
//
// For example, the xor benchmark of the Digest section below with the group
// attribute "g", GroupNames ["a", "b"], Groups [0 1 1 0] and the spec
// ScaleBits 0, LabelColumn "y", ClassValues [["0"] ["1"]], GroupColumn "g"
// by value with GroupValues [["a"] ["b"]], and the numeric columns "x0" and
// "x1" (subtract "0", divide "1"), has the 145-byte encoding
//
//	7a 6b 65 76 61 6c 2d 62 65 6e 63 68 6d 61 72 6b 00   magic
//	00 02                                                version 2
//	00 03 78 6f 72  00 04 74 65 73 74                    "xor", "test"
//	00 02  00 01 30  00 01 31                            2 classes: "0", "1"
//	00 00 00 02  00 00 00 00 00 00 00 01                 2 features, input scale 1
//	00 01 67  00 02  00 01 61  00 01 62                  group attribute "g", 2 groups: "a", "b"
//	01                                                   spec flag
//	00  00 01 79                                         scale bits 0, label column "y"
//	00 01 00 01 30  00 01 00 01 31                       class values ["0"], ["1"]
//	00 01 67  01                                         group column "g", by value
//	00 01 00 01 61  00 01 00 01 62                       group values ["a"], ["b"]
//	00 00 00 02                                          2 columns
//	00 02 78 30  01  00 01 30  00 01 31                  "x0" numeric, subtract "0", divide "1"
//	00 02 78 31  01  00 01 30  00 01 31                  "x1" numeric, subtract "0", divide "1"
//	00 00 00 04  01                                      4 samples, W = 1
//	00 00 00 00 00 00  00 01 00 01 00 01                 (label, group, x0, x1) x 4
//	00 01 00 01 01 00  00 00 00 00 01 01
//
// and the digest
//
//	ee8343a7352265cc72cdb1312beb106e34c3e62273c5ef60f693687be4b4aa5e
//
// # Canonical form
//
// Each valid benchmark has exactly one encoding, and Unmarshal rejects every
// other byte string (a wrong magic number or version, a version that does
// not match the benchmark, a non-canonical W, a decimal not in canonical
// form, invalid UTF-8, a label or group id out of range, repeated class or
// group names, zero counts, a scale below 1, a spec that does not match the
// features, truncation, trailing bytes), so equal digests mean equal
// benchmarks, and a tabular benchmark's digest also fixes its group
// attribute, every group id and what every feature means.
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
// # Schema files
//
// A schema (ParseSchema, ReadSchema) is a JSON object that says how an ARFF
// or CSV file becomes a benchmark. Unknown fields are errors. Example, for
// the German credit data (testdata/tabular/credit-g.schema.json):
//
//	{
//	  "format": "zkeval-tabular-schema/v1",
//	  "name": "german-credit",
//	  "label": {"column": "class", "classes": [{"name": "good"}, {"name": "bad"}]},
//	  "group": {
//	    "attribute": "sex",
//	    "column": "personal_status",
//	    "groups": [
//	      {"name": "male", "values": ["male div/sep", "male single", "male mar/wid"]},
//	      {"name": "female", "values": ["female div/dep/mar", "female single"]}
//	    ]
//	  },
//	  "featureScaleBits": 10,
//	  "features": [
//	    {"column": "checking_status", "encoding": "onehot"},
//	    {"column": "duration", "encoding": "numeric", "subtract": "20.79", "divide": "11.94"},
//	    ...
//	  ],
//	  "split": {"method": "hash", "seed": "german-credit", "test": 300}
//	}
//
// The fields:
//
//   - format (required): "zkeval-tabular-schema/v1".
//   - name: the benchmark name (the command line's --name, or the file
//     name, when absent).
//   - skipLines (CSV only): lines to ignore at the start of the file.
//   - columns (CSV only): the column names, in file order, of a file without
//     a header row; without it, the first row (after skipLines) names the
//     columns. An ARFF file's columns are its attributes.
//   - label (required): "column" names the label column; "classes" lists
//     the classes in class id order, each {"name": N, "values": [...]}, the
//     raw values that map to class N (default [N]). For an ARFF nominal
//     attribute "classes" may be omitted: the classes are then its declared
//     values, in declared order.
//   - group (optional): "attribute" names the sensitive attribute (the
//     benchmark's GroupAttribute), "column" the column it comes from, and
//     "groups" the groups in group id order, either each with its "values"
//     (by value, as for classes) or, with "thresholds" (one fewer than the
//     groups, increasing decimals, as JSON numbers or strings), by
//     threshold: {"groups": [{"name": "<25"}, {"name": ">=25"}],
//     "thresholds": ["25"]} puts ages below 25 in group 0. The group column
//     may also be a feature column, or not.
//   - featureScaleBits: the fractional bits of the features, 0 to 62
//     (default 12); InputScale = 2^featureScaleBits.
//   - features (required): the feature columns in feature order, each
//     {"column": C, "encoding": "numeric" | "onehot"}. A numeric column may
//     give "subtract" and "divide" (exact decimals, defaults 0 and 1; divide
//     > 0). A one-hot column lists its "categories" in feature order; for an
//     ARFF nominal attribute they may be omitted and are then its declared
//     values. The label column cannot be a feature.
//   - split (optional): {"method": "hash", "seed": S, "test": T} makes the
//     test split the T data rows with the smallest SHA-256(S + "/" + i), i
//     the 0-based data row index in decimal (see HashSplitOrder);
//     {"method": "tail", "test": T} makes it the last T rows. The train
//     split is the other rows; both keep file order. Without a split rule,
//     all rows form the benchmark.
//
// Loading checks the whole file, whichever split is kept: a label, group or
// feature column that is missing, a missing (ARFF "?") or empty value in one
// of them, a label value of no class, a group value of no group, an unknown
// category, a non-numeric value in a numeric column, a class that never
// occurs in the file or in the split kept, and a group that never occurs in
// the split kept are errors naming the file, the line, and the column or
// attribute, and saying what to change.
//
// # Sources
//
// IDX files: Y. LeCun, C. Cortes, C. J. C. Burges, "The MNIST database of
// handwritten digits", http://yann.lecun.com/exdb/mnist/. SHA-256: NIST FIPS
// 180-4, Secure Hash Standard. CSV: RFC 4180, as read by encoding/csv.
// gzip: RFC 1952. ARFF: the Weka documentation, "ARFF (stable version)",
// https://waikato.github.io/weka-wiki/formats_and_processing/arff_stable/.
// Group metrics over the group attribute (demographic parity, equalized
// odds): Fairlearn, https://fairlearn.org/.
package benchmark
