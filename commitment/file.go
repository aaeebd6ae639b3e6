package commitment

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"strings"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkeval/zkeval/internal/atomicfile"
	"github.com/zkeval/zkeval/model"
)

// File formats.
const (
	CommitmentFormat = "zkeval-commitment/v1"
	OpeningFormat    = "zkeval-opening/v1"
)

// Public is the commitment file a lab publishes: the commitment and the
// model's public shape.
type Public struct {
	Format     string      `json:"format"`
	Scheme     string      `json:"scheme"`
	Commitment string      `json:"commitment"` // 0x-prefixed hex
	Shape      model.Shape `json:"shape"`
}

// Opening is the secret that opens a commitment: the salt. Whoever holds the
// model file and the opening can prove statements about the committed model;
// the opening must stay private, or the commitment stops hiding the weights.
type Opening struct {
	Format     string `json:"format"`
	Scheme     string `json:"scheme"`
	Commitment string `json:"commitment"`
	Salt       string `json:"salt"` // 0x-prefixed hex
}

// FormatElement writes a field element as 0x-prefixed, 64-digit hex.
func FormatElement(v *big.Int) string { return fmt.Sprintf("0x%064x", v) }

// ParseElement reads a 0x-prefixed hex field element; it must be below the
// BN254 scalar field modulus.
func ParseElement(s string) (*big.Int, error) {
	if !strings.HasPrefix(s, "0x") || len(s) < 3 || len(s) > 66 {
		return nil, fmt.Errorf("%q is not a 0x-prefixed hex field element", s)
	}
	v, ok := new(big.Int).SetString(s[2:], 16)
	if !ok {
		return nil, fmt.Errorf("%q is not a 0x-prefixed hex field element", s)
	}
	if v.Cmp(fr.Modulus()) >= 0 {
		return nil, fmt.Errorf("%s is not below the BN254 scalar field modulus", s)
	}
	return v, nil
}

// WriteFiles writes the public commitment file and the secret opening file,
// atomically. The opening gets mode 0600.
func WriteFiles(commitPath, openingPath string, m *model.Model, salt, c *big.Int) error {
	pub := Public{Format: CommitmentFormat, Scheme: Scheme, Commitment: FormatElement(c), Shape: m.Shape()}
	op := Opening{Format: OpeningFormat, Scheme: Scheme, Commitment: FormatElement(c), Salt: FormatElement(salt)}
	pd, err := json.MarshalIndent(pub, "", "  ")
	if err != nil {
		return err
	}
	od, err := json.MarshalIndent(op, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(openingPath, append(od, '\n'), 0o600); err != nil {
		return err
	}
	return atomicfile.WriteFile(commitPath, append(pd, '\n'), 0o644)
}

func decodeStrict(data []byte, source string, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	if dec.More() {
		return fmt.Errorf("%s: trailing data", source)
	}
	return nil
}

// ReadOpening reads an opening file and returns its salt and commitment.
func ReadOpening(path string) (salt, c *big.Int, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var op Opening
	if err := decodeStrict(data, path, &op); err != nil {
		return nil, nil, fmt.Errorf("%w (an opening file is written by `zkeval commit --opening`)", err)
	}
	if op.Format != OpeningFormat || op.Scheme != Scheme {
		return nil, nil, fmt.Errorf("%s: format %q scheme %q, want %q and %q", path, op.Format, op.Scheme, OpeningFormat, Scheme)
	}
	if salt, err = ParseElement(op.Salt); err != nil {
		return nil, nil, fmt.Errorf("%s: salt: %w", path, err)
	}
	if c, err = ParseElement(op.Commitment); err != nil {
		return nil, nil, fmt.Errorf("%s: commitment: %w", path, err)
	}
	return salt, c, nil
}

// ReadPublic reads a public commitment file.
func ReadPublic(path string) (*Public, *big.Int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var p Public
	if err := decodeStrict(data, path, &p); err != nil {
		return nil, nil, err
	}
	if p.Format != CommitmentFormat || p.Scheme != Scheme {
		return nil, nil, fmt.Errorf("%s: format %q scheme %q, want %q and %q", path, p.Format, p.Scheme, CommitmentFormat, Scheme)
	}
	c, err := ParseElement(p.Commitment)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: commitment: %w", path, err)
	}
	return &p, c, nil
}
