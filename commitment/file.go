package commitment

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkeval/zkeval/internal/atomicfile"
	"github.com/zkeval/zkeval/internal/jsonfile"
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

// WriteFiles writes the public commitment file and the secret opening file.
// Both are prepared in full before either appears, so an error leaves
// neither behind. The opening gets mode 0600 and never replaces an existing
// file: an opening is the only way to prove against the commitment it opens,
// so overwriting one could orphan a published commitment. An existing
// opening gives an error wrapping fs.ErrExist and changes nothing.
func WriteFiles(commitPath, openingPath string, m *model.Model, salt, c *big.Int) error {
	if filepath.Clean(commitPath) == filepath.Clean(openingPath) {
		return fmt.Errorf("the commitment and the opening must go to different files (both %s)", commitPath)
	}
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
	if _, err := os.Lstat(openingPath); err == nil {
		return existingOpening(openingPath)
	}
	content := func(d []byte) func(*os.File) error {
		return func(f *os.File) error {
			_, err := f.Write(append(d, '\n'))
			return err
		}
	}
	po, err := atomicfile.Prepare(openingPath, 0o600, content(od))
	if err != nil {
		return err
	}
	defer po.Abort()
	pp, err := atomicfile.Prepare(commitPath, 0o644, content(pd))
	if err != nil {
		return err
	}
	defer pp.Abort()
	if err := po.CommitNew(); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return existingOpening(openingPath)
		}
		return err
	}
	if err := pp.Commit(); err != nil {
		os.Remove(openingPath)
		return err
	}
	return nil
}

func existingOpening(path string) error {
	return fmt.Errorf("opening file %s already exists; zkeval never overwrites an opening, because the commitment it opens could no longer be proven against (choose another path, or delete the old opening if nothing was published with it): %w", path, fs.ErrExist)
}

// ReadOpening reads an opening file and returns its salt and commitment.
// Errors name the file and the field at fault.
func ReadOpening(path string) (salt, c *big.Int, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	const hint = "pass the opening file written by `zkeval commit --opening` for this model"
	var op Opening
	if err := jsonfile.Decode(data, path, OpeningFormat, hint, &op); err != nil {
		return nil, nil, err
	}
	if op.Format != OpeningFormat || op.Scheme != Scheme {
		return nil, nil, fmt.Errorf("%s: format %q scheme %q, want %q and %q; %s", path, op.Format, op.Scheme, OpeningFormat, Scheme, hint)
	}
	if salt, err = ParseElement(op.Salt); err != nil {
		return nil, nil, fmt.Errorf("%s: field salt: %w; the opening is damaged: %s", path, err, hint)
	}
	if c, err = ParseElement(op.Commitment); err != nil {
		return nil, nil, fmt.Errorf("%s: field commitment: %w; the opening is damaged: %s", path, err, hint)
	}
	return salt, c, nil
}

// ReadPublic reads a public commitment file. Errors name the file and the
// field at fault.
func ReadPublic(path string) (*Public, *big.Int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	const hint = "pass the public commitment file written by `zkeval commit -o`"
	var p Public
	if err := jsonfile.Decode(data, path, CommitmentFormat, hint, &p); err != nil {
		return nil, nil, err
	}
	if p.Format != CommitmentFormat || p.Scheme != Scheme {
		return nil, nil, fmt.Errorf("%s: format %q scheme %q, want %q and %q; %s", path, p.Format, p.Scheme, CommitmentFormat, Scheme, hint)
	}
	c, err := ParseElement(p.Commitment)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: field commitment: %w; %s", path, err, hint)
	}
	return &p, c, nil
}
