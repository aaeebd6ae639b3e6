package verifier

import (
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/benchmark"
)

func TestOfficialData(t *testing.T) {
	full, err := benchmark.MNISTTest()
	require.NoError(t, err)
	p, err := full.Prefix(20)
	require.NoError(t, err)
	d, err := p.Digest()
	require.NoError(t, err)
	require.Contains(t, OfficialData("mnist", "test", 20, hex.EncodeToString(d[:])), "the first 20 of the 10000 official MNIST test images")
	require.Equal(t, "the whole official MNIST test set (10000 images, t10k files), by digest", OfficialData("mnist", "test", 10000, benchmark.MNISTTestDigest))
	// Same name and size, other images.
	p.X[3][100] ^= 1
	d2, err := p.Digest()
	require.NoError(t, err)
	require.Contains(t, OfficialData("mnist", "test", 20, hex.EncodeToString(d2[:])), "NOT the official MNIST test images")
	require.Contains(t, OfficialData("mnist", "test", 10000, hex.EncodeToString(d2[:])), "NOT the official MNIST test images")
	require.Empty(t, OfficialData("german-credit", "test", 300, "00"))
}
