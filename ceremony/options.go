package ceremony

import (
	"fmt"
	"math/bits"

	"github.com/zkeval/zkeval/internal/progress"
)

// Options are common to the steps.
type Options struct {
	// Progress, when set, receives one line per long step.
	Progress *progress.Reporter
	// MaxPhase1Size bounds the phase-1 size N a step accepts from a
	// transcript before it allocates anything of that size (a phase-1 state
	// of size N takes about 384·N bytes of memory); 0 means
	// DefaultMaxPhase1Size.
	MaxPhase1Size uint64
	// MaxStateBytes bounds the size of any state file a step reads; 0
	// means DefaultMaxStateBytes.
	MaxStateBytes int64
}

// Default resource limits (Options): 2^24 is four times the phase-1 size of
// the 10,000-image MNIST circuit (2^22), and a phase-1 file of that size has
// 3.2 GB; 16 GiB holds a phase-1 file of size 2^26.
const (
	DefaultMaxPhase1Size = 1 << 24
	DefaultMaxStateBytes = 16 << 30
)

func (o Options) maxPhase1Size() uint64 {
	if o.MaxPhase1Size == 0 {
		return DefaultMaxPhase1Size
	}
	return o.MaxPhase1Size
}

func (o Options) maxStateBytes() int64 {
	if o.MaxStateBytes == 0 {
		return DefaultMaxStateBytes
	}
	return o.MaxStateBytes
}

// checkLimits refuses a transcript that declares a phase-1 size or a file
// larger than opt allows, before anything of that size is read or
// allocated.
func (o Options) checkLimits(m *Manifest) error {
	if n := m.Phase1.Size; n > o.maxPhase1Size() {
		return invalid("the transcript declares a phase 1 of size %d (2^%d), more than the %d (2^%d) this step accepts (a phase-1 state of that size takes about %d GiB of memory); give a higher --max-phase1-size if that is intended",
			n, log2(n), o.maxPhase1Size(), log2(o.maxPhase1Size()), 384*n>>30)
	}
	max := o.maxStateBytes()
	if m.Phase2 != nil && m.Phase2.Initial.Bytes > max {
		return invalid("the transcript declares a phase-2 initial state of %d bytes, more than the %d this step reads", m.Phase2.Initial.Bytes, max)
	}
	for _, c := range m.Contributions {
		if c.Bytes > max {
			return contribErr(&c, fmt.Errorf("the manifest declares %d bytes, more than the %d this step reads", c.Bytes, max))
		}
	}
	return nil
}

func log2(n uint64) int { return bits.Len64(n) - 1 }
