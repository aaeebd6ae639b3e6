package circuits

import (
	"strings"

	pprof "github.com/google/pprof/profile"
)

// Gadget names of the shard circuit's own parts.
const (
	GadgetDigest = "shard fingerprint (Horner, packing, cells)"
	GadgetCounts = "shard counts"
)

// ProfileShard is Profile for a shard circuit: constraints per gadget, the
// fingerprint of the samples and the counts included, per slot of the shard.
func ProfileShard(spec *ShardSpec) (*Breakdown, error) {
	return profileCircuit(NewShard(spec), spec.Desc.ShardSize, classifyShard)
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
			case strings.HasSuffix(fn, "shardElements") || strings.HasSuffix(fn, "hornerVars") || strings.HasSuffix(fn, "packVars"):
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
