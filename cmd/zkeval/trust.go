package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/ceremony"
)

// trustFlags are the flags that name the ceremony participants a verifier
// trusts, and the ceremony's resource limits.
type trustFlags struct {
	participants []string
	file         string
	maxPhase1    uint64
}

func (t *trustFlags) add(c *cobra.Command) {
	c.Flags().StringArrayVar(&t.participants, "participant", nil, "NAME=KEY.pub: a participant you trust and their public key (zkeval keygen); repeatable. A contribution counts only when signed by such a key")
	c.Flags().StringVar(&t.file, "participants", "", "file of trusted participants, one NAME=KEY.pub per line (key paths relative to the file)")
	c.Flags().Uint64Var(&t.maxPhase1, "max-phase1-size", ceremony.DefaultMaxPhase1Size, "refuse a transcript whose phase 1 is larger than this (a phase-1 state of size N takes about 384·N bytes of memory)")
}

func (t *trustFlags) given() bool { return len(t.participants) > 0 || t.file != "" }

// read reads the trusted participants: a malformed NAME=KEY.pub is a usage
// error, a key that cannot be read an I/O error.
func (t *trustFlags) read() ([]ceremony.Participant, error) {
	var out []ceremony.Participant
	wrap := func(err error) error {
		if errors.Is(err, ceremony.ErrParticipant) {
			return usageErr("%v", err)
		}
		return ioErr(err)
	}
	for _, spec := range t.participants {
		p, err := ceremony.ReadParticipant(spec)
		if err != nil {
			return nil, wrap(fmt.Errorf("--participant: %w", err))
		}
		out = append(out, p)
	}
	if t.file != "" {
		ps, err := ceremony.ReadParticipantsFile(t.file)
		if err != nil {
			return nil, wrap(fmt.Errorf("--participants: %w", err))
		}
		out = append(out, ps...)
	}
	if err := ceremony.CheckParticipants(out); err != nil {
		return nil, usageErr("%v", err)
	}
	return out, nil
}

func (t *trustFlags) options(cmd *cobra.Command) ceremony.Options {
	return ceremony.Options{Progress: reporter(cmd), MaxPhase1Size: t.maxPhase1}
}
