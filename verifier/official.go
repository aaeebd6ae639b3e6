package verifier

import (
	"encoding/hex"
	"fmt"
	"sync"

	"github.com/zkeval/zkeval/benchmark"
)

var (
	mnistOnce sync.Once
	mnistTest *benchmark.Benchmark
	mnistErr  error
)

// OfficialData says whether a benchmark that calls itself MNIST's test split
// is the official one: the first samples images of the official MNIST test
// set that zkeval embeds (benchmark.MNISTTest), compared by digest. It
// returns "" for benchmarks of other names, whose content only their digest
// names. The attestation's name and split are not bound by the proof; this
// check binds them to the official data when the digests agree, and says
// plainly when they do not.
func OfficialData(name, split string, samples int, digestHex string) string {
	if name != "mnist" {
		return ""
	}
	// The whole set's digest is a constant (pinned by a test of package
	// benchmark): the common case needs no decoding of the embedded files,
	// which costs most of a verify command's time and memory (about 0.7 s
	// and 160 MB).
	if split == "test" && samples == benchmark.MNISTTestSamples {
		return wholeTestSet(digestHex == benchmark.MNISTTestDigest)
	}
	mnistOnce.Do(func() { mnistTest, mnistErr = benchmark.MNISTTest() })
	if mnistErr != nil {
		return fmt.Sprintf("could not load the official MNIST test set to compare: %v", mnistErr)
	}
	total := mnistTest.Len()
	if split != "test" || samples < 1 || samples > total {
		return fmt.Sprintf("named mnist/%s, but not checked against official data (zkeval embeds the %d official test images only)", split, total)
	}
	p, err := mnistTest.Prefix(samples)
	if err != nil {
		return fmt.Sprintf("could not compare with the official MNIST test set: %v", err)
	}
	d, err := p.Digest()
	if err != nil {
		return fmt.Sprintf("could not compare with the official MNIST test set: %v", err)
	}
	if hex.EncodeToString(d[:]) != digestHex {
		return fmt.Sprintf("NOT the official MNIST test images: the digest differs from that of the first %d official test images (%x)", samples, d)
	}
	if samples == total {
		return wholeTestSet(true)
	}
	return fmt.Sprintf("the first %d of the %d official MNIST test images (t10k files), by digest: a prefix, not the whole test set", samples, total)
}

func wholeTestSet(official bool) string {
	if official {
		return fmt.Sprintf("the whole official MNIST test set (%d images, t10k files), by digest", benchmark.MNISTTestSamples)
	}
	return fmt.Sprintf("NOT the official MNIST test images: the digest differs from that of the %d official test images (%s)", benchmark.MNISTTestSamples, benchmark.MNISTTestDigest)
}
