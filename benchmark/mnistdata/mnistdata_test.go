package mnistdata

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func TestEmbeddedDigests(t *testing.T) {
	for _, c := range []struct {
		name, want string
		data       []byte
		size       int
	}{
		{TestImagesName, TestImagesSHA256, TestImagesGz, 1648877},
		{TestLabelsName, TestLabelsSHA256, TestLabelsGz, 4542},
	} {
		if len(c.data) != c.size {
			t.Errorf("%s: %d bytes embedded, want %d", c.name, len(c.data), c.size)
		}
		sum := sha256.Sum256(c.data)
		if got := hex.EncodeToString(sum[:]); got != c.want {
			t.Errorf("%s: sha256 %s, want %s", c.name, got, c.want)
		}
	}
}
