// Package mnistdata embeds the official MNIST test set files, unchanged.
//
// The files are the gzip-compressed IDX files published on the MNIST page of
// LeCun, Cortes and Burges (http://yann.lecun.com/exdb/mnist/):
//
//	t10k-images-idx3-ubyte.gz  10,000 images of 28x28 unsigned bytes
//	t10k-labels-idx1-ubyte.gz  10,000 labels in [0, 9]
//
// Their SHA-256 digests (FIPS 180-4) are given by TestImagesSHA256 and
// TestLabelsSHA256 and in README.md. Package benchmark parses them; see
// benchmark.MNISTTest.
package mnistdata

import _ "embed"

// File names of the embedded files, as published.
const (
	TestImagesName = "t10k-images-idx3-ubyte.gz"
	TestLabelsName = "t10k-labels-idx1-ubyte.gz"
)

// Lower-case hex SHA-256 digests of the embedded (compressed) files.
const (
	TestImagesSHA256 = "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"
	TestLabelsSHA256 = "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
)

// TestImagesGz holds t10k-images-idx3-ubyte.gz (1,648,877 bytes; 7,840,016
// bytes once decompressed). Callers must not modify it.
//
//go:embed t10k-images-idx3-ubyte.gz
var TestImagesGz []byte

// TestLabelsGz holds t10k-labels-idx1-ubyte.gz (4,542 bytes; 10,008 bytes
// once decompressed). Callers must not modify it.
//
//go:embed t10k-labels-idx1-ubyte.gz
var TestLabelsGz []byte
