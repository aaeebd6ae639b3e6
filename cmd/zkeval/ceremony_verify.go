package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/zkeval/zkeval/ceremony"
	"github.com/zkeval/zkeval/claim"
)

type ceremonyJSON struct {
	Valid                  bool                         `json:"valid"`
	Dir                    string                       `json:"dir"`
	Error                  string                       `json:"error,omitempty"`
	FailedContribution     *int                         `json:"failedContribution,omitempty"`
	Stage                  ceremony.Stage               `json:"stage,omitempty"`
	CircuitID              string                       `json:"circuitId,omitempty"`
	ConstraintSystemSHA256 string                       `json:"constraintSystemSha256,omitempty"`
	Phase1Size             uint64                       `json:"phase1Size,omitempty"`
	Contributions          []ceremony.Contribution      `json:"contributions,omitempty"`
	Signers                []ceremony.ContributionTrust `json:"signers,omitempty"`
	// Checked: sealed, and a phase-1 and a phase-2 contribution are signed
	// by trusted keys; Trust says why or why not.
	Checked            bool                  `json:"checked"`
	Trust              *ceremony.Trust       `json:"trust,omitempty"`
	Beacons            []ceremony.BeaconInfo `json:"beacons,omitempty"`
	TranscriptSHA256   string                `json:"transcriptSha256,omitempty"`
	VerifyingKeySHA256 string                `json:"verifyingKeySha256,omitempty"`
	KeysChecked        bool                  `json:"keysChecked,omitempty"`
	Seconds            float64               `json:"seconds,omitempty"`
}

func newCeremonyVerifyCmd() *cobra.Command {
	var modelPath, benchPath, beaconHex, keysDir string
	var cf claimFlags
	var trust trustFlags
	c := &cobra.Command{
		Use:   "verify DIR [--benchmark FILE.bench] [--participant NAME=KEY.pub]... [--model MODEL.zkm] [--beacon HEX] [--keys KEYS_DIR]",
		Short: "Check a ceremony transcript, list its contributions and who signed them",
		Long: `Recompiles the circuit from the benchmark and the model's public shape and
accumulator widths (a shard or totals circuit from the transcript's
description alone: --benchmark is needed only for an evaluation circuit),
then checks the transcript in DIR at whatever stage it is:
the manifest (strictly: one canonical encoding, so that one ceremony has one
digest), every contribution's signature, the size and SHA-256 of every file,
that each contribution was computed on the state before it and multiplies by
a secret (not 1 or another public value), gnark's proof of every
contribution in order, the phase-1 beacon, that the phase-2 initial state is
this circuit's, that the circuit compiles to the recorded constraint system,
and that the seal beacon yields the sealed keys. It lists the contributions
with their SHA-256, so that each participant can find their own, and says
which are signed by a key you trust.

--participant NAME=KEY.pub (repeatable) or --participants FILE names the
participants you trust. A name in the transcript is only what its author
wrote; the ceremony is CHECKED for you only when it is sealed and a phase-1
and a phase-2 contribution are signed by keys you trust (the keys are sound
if one participant of each phase destroyed their randomness). Otherwise the
transcript may still be VALID, and verify says it is NOT CHECKED and why
(exit status 0: nothing in it is wrong, but nothing vouches for it).

--beacon checks the seal beacon against the one announced; --keys checks
that a keys directory holds exactly the sealed keys: circuit.json, the
constraint system, the proving and verifying keys (for a shard or totals
transcript, shard-circuit.json and that circuit's files).

Exit codes: 0 valid; 1 invalid (the error names the failing contribution,
its participant and the reason); 2 usage error; 3 a file cannot be read.`,
		Args: positional("DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			setupGnarkLog(cmd)
			asJSON, _ := cmd.Flags().GetBool("json")
			dir := args[0]
			fail := func(err error) error {
				err = ceremonyErr(err)
				if asJSON {
					j := ceremonyJSON{Valid: false, Dir: dir, Error: err.Error()}
					var ce *ceremony.ContributionError
					if errors.As(err, &ce) {
						j.FailedContribution = &ce.Index
					}
					_ = writeJSON(cmd.OutOrStdout(), j)
				} else if errors.Is(err, ceremony.ErrInvalid) {
					fmt.Fprintf(cmd.OutOrStdout(), "INVALID  ceremony %s\n", dir)
				}
				return err
			}
			opt := ceremony.VerifyOptions{Options: trust.options(cmd), KeysDir: keysDir}
			if beaconHex != "" {
				b, err := parseBeaconFlag(beaconHex)
				if err != nil {
					return err
				}
				opt.Beacon = b
			}
			trusted, err := trust.read()
			if err != nil {
				return err
			}
			opt.Trusted = trusted
			spec, err := ceremonySpec(cmd, dir, modelPath, benchPath, &cf)
			if err != nil {
				return fail(err)
			}
			rep, err := ceremony.Verify(spec, dir, opt)
			if err != nil {
				return fail(err)
			}
			m := rep.Manifest
			if !rep.Trust.Checked {
				fmt.Fprintf(cmd.ErrOrStderr(), "WARNING: the transcript verifies, but the ceremony is NOT CHECKED for you: %s\n", printable(rep.Trust.Reason))
			}
			if asJSON {
				j := ceremonyJSON{Valid: true, Dir: dir, Stage: rep.Stage, CircuitID: m.Circuit.ID, ConstraintSystemSHA256: m.Circuit.ConstraintSystemSHA256,
					Phase1Size: m.Phase1.Size, Contributions: m.Contributions, Signers: rep.Trust.Contributions, Checked: rep.Trust.Checked, Trust: rep.Trust,
					TranscriptSHA256: rep.TranscriptSHA256(), VerifyingKeySHA256: rep.VerifyingKeySHA256, KeysChecked: rep.KeysChecked, Seconds: rep.Elapsed.Seconds()}
				for _, b := range []*ceremony.BeaconInfo{rep.Phase1Beacon, rep.SealBeacon} {
					if b != nil {
						j.Beacons = append(j.Beacons, *b)
					}
				}
				return writeJSON(cmd.OutOrStdout(), j)
			}
			printCeremony(cmd.OutOrStdout(), dir, rep)
			return nil
		},
	}
	addSpecFlags(c, &modelPath, &benchPath, &cf, true)
	c.Flags().StringVar(&beaconHex, "beacon", "", "the announced seal beacon, hex: check that the transcript was sealed with it")
	c.Flags().StringVar(&keysDir, "keys", "", "keys directory: check that it holds exactly the sealed keys")
	trust.add(c)
	addJSONFlag(c)
	addQuietFlag(c)
	return c
}

func printCeremony(w io.Writer, dir string, rep *ceremony.Report) {
	m := rep.Manifest
	fmt.Fprintf(w, "VALID  ceremony %s (%s)\n", dir, rep.Stage)
	fmt.Fprintf(w, "  %-15s %s (%d constraints)\n", m.Circuit.Kind(), m.Circuit.ID, m.Circuit.Constraints)
	fmt.Fprintf(w, "  constraints     sha256 %s (recompiled here)\n", m.Circuit.ConstraintSystemSHA256)
	switch c := m.Circuit; {
	case c.Public != nil:
		fmt.Fprintf(w, "  model shape     %s\n", c.Public.Shape.String())
		fmt.Fprintf(w, "  benchmark       %d samples, sha256 %s\n", c.Public.Samples, c.Public.BenchmarkDigest)
	case c.Shard != nil:
		fmt.Fprintf(w, "  model shape     %s\n", c.Shard.Shape.String())
		fmt.Fprintf(w, "  shards          of %d samples, any benchmark with these classes and bounds (claims %s)\n", c.Shard.ShardSize, claim.JoinShapes(c.Shard.Claims))
	case c.Totals != nil:
		fmt.Fprintf(w, "  totals          of %d shards of %d samples of shard circuit %s (claims %s)\n", c.Totals.Shards, c.Totals.ShardSize, c.Totals.ShardID, claim.JoinShapes(c.Totals.Claims))
	}
	p1 := fmt.Sprintf("size %d (2^%d), %d contributions", m.Phase1.Size, log2(m.Phase1.Size), m.Count(1))
	if m.Phase1.Beacon != "" {
		p1 += ", closed"
	} else {
		p1 += ", open"
	}
	fmt.Fprintf(w, "  phase 1         %s\n", p1)
	if b := rep.Phase1Beacon; b != nil {
		fmt.Fprintf(w, "                  beacon %s\n", beaconLine(*b))
	}
	if m.Phase2 != nil {
		p2 := fmt.Sprintf("%d contributions", m.Count(2))
		if m.Seal != nil {
			p2 += ", sealed"
		} else {
			p2 += ", open"
		}
		fmt.Fprintf(w, "  phase 2         %s\n", p2)
		if b := rep.SealBeacon; b != nil {
			fmt.Fprintf(w, "                  beacon %s\n", beaconLine(*b))
		}
	}
	fmt.Fprintf(w, "  contributions:\n")
	fmt.Fprintf(w, "    %-3s %-5s %-64s  %-20s  %s\n", "#", "phase", "sha256", "time", "participant (as the transcript names them): signature")
	for i, c := range m.Contributions {
		t := rep.Trust.Contributions[i]
		who := fmt.Sprintf("only named: signed by key %s, not one you trust", c.Signature.KeyID)
		switch {
		case t.TrustedAs == c.Participant:
			who = fmt.Sprintf("TRUSTED: signed by your key for %q (%s)", t.TrustedAs, c.Signature.KeyID)
		case t.TrustedAs != "":
			who = fmt.Sprintf("TRUSTED: signed by your key for %q (%s), under another name", t.TrustedAs, c.Signature.KeyID)
		}
		fmt.Fprintf(w, "    %-3d %-5d %-64s  %-20s  %q: %s\n", c.Index, c.Phase, c.SHA256, c.Time.Format("2006-01-02T15:04:05Z"), printable(c.Participant), who)
	}
	if rep.Trust.Checked {
		fmt.Fprintf(w, "  trust           CHECKED: %s\n", printable(rep.Trust.Reason))
	} else {
		fmt.Fprintf(w, "  trust           NOT CHECKED: %s\n", printable(rep.Trust.Reason))
	}
	if rep.Stage == ceremony.StageSealed {
		fmt.Fprintf(w, "  verifying key   sha256 %s\n", rep.VerifyingKeySHA256)
		fmt.Fprintf(w, "  transcript      sha256 %s (recorded by attestations made with these keys)\n", rep.TranscriptSHA256())
		if rep.KeysChecked {
			fmt.Fprintf(w, "  keys            checked: they are exactly the sealed keys and name this transcript\n")
		}
	} else {
		fmt.Fprintf(w, "  manifest        sha256 %s (not sealed yet)\n", rep.ManifestSHA256)
	}
	fmt.Fprintf(w, "  verified in     %.1f s\n", rep.Elapsed.Seconds())
}
