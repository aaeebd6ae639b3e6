package circuits

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/profile"
	pprof "github.com/google/pprof/profile"
)

// Gadget names of the shard circuit's own parts.
const (
	GadgetDigest = "shard digest (Poseidon2, packing, cells)"
	GadgetCounts = "shard counts"
)

// ProfileShard is Profile for a shard circuit: constraints per gadget, the
// digest of the samples and the counts included, per slot of the shard.
func ProfileShard(spec *ShardSpec) (*Breakdown, error) {
	dir, err := os.MkdirTemp("", "zkeval-profile-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "gnark.pprof")
	p := profile.Start(profile.WithPath(path))
	cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, NewShard(spec))
	p.Stop()
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	prof, err := pprof.Parse(f)
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	b := &Breakdown{Total: cs.GetNbConstraints(), Wires: cs.GetNbInternalVariables() + cs.GetNbSecretVariables() + cs.GetNbPublicVariables(),
		Samples: spec.Desc.ShardSize, PerGadget: map[string]int{}}
	attributed := 0
	for _, s := range prof.Sample {
		if len(s.Value) == 0 || s.Value[0] == 0 {
			continue
		}
		g := classifyShard(s.Location)
		b.PerGadget[g] += int(s.Value[0])
		attributed += int(s.Value[0])
	}
	if d := b.Total - attributed; d != 0 {
		b.PerGadget[GadgetOther] += d
	}
	return b, nil
}

// classifyShard attributes the shard circuit's own code, then falls back
// to classify.
func classifyShard(locs []*pprof.Location) string {
	for _, l := range locs {
		for _, ln := range l.Line {
			if ln.Function == nil {
				continue
			}
			fn := ln.Function.Name
			switch {
			case strings.HasPrefix(fn, "rangecheck.") || strings.HasPrefix(fn, "logderiv") || strings.HasPrefix(fn, "multicommit."),
				strings.HasPrefix(fn, "argmax."), strings.HasPrefix(fn, "freivalds."), strings.HasPrefix(fn, "relu."), strings.HasPrefix(fn, "signed."):
				return classify(locs)
			case strings.HasSuffix(fn, "checkDigest") || strings.HasSuffix(fn, "packVars"):
				return GadgetDigest
			case strings.HasSuffix(fn, "checkCounts"):
				return GadgetCounts
			case strings.HasSuffix(fn, "checkCommitment"):
				return classify(locs)
			}
		}
	}
	return classify(locs)
}
