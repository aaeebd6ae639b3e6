package main

import (
	"errors"
	"fmt"
	"math/bits"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/ceremony"
	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/envelope"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/prover"
	"github.com/zkeval/zkeval/shard"
)

func newCeremonyCmd() *cobra.Command {
	c := groupCmd("ceremony", "Make Groth16 keys with a multi-party ceremony, and check its transcript",
		newCeremonyInitCmd(), newCeremonyContributeCmd(), newCeremonyPhase2Cmd(), newCeremonyVerifyCmd(), newCeremonySealCmd())
	c.Long = `A multi-party setup (Bowe, Gabizon, Miers 2017, https://eprint.iacr.org/2017/1050,
with gnark's mpcsetup) makes the circuit's Groth16 keys so that nobody knows
their secret: the keys are sound if one participant of phase 1 and one of
phase 2 destroyed their randomness. Every participant should contribute to
both phases.

  zkeval keygen -o lab                                   # each participant, once
  zkeval ceremony init --model M.zkm --benchmark B.bench -o DIR
  zkeval ceremony contribute DIR --name lab --key lab.key  # each participant, in turn
  zkeval ceremony phase2 DIR --beacon HEX --beacon-source drand:CHAIN:ROUND --benchmark B.bench --save-seal-state S.bin
  zkeval ceremony contribute DIR --name lab --key lab.key  # each participant again
  zkeval ceremony seal DIR --beacon HEX --beacon-source drand:CHAIN:ROUND --benchmark B.bench -o KEYS_DIR --seal-state S.bin
  zkeval ceremony verify DIR --benchmark B.bench --participant lab=lab.pub   # anyone, at any stage

Every contribution is signed with its participant's Ed25519 key (zkeval
keygen). A name in the transcript is only what whoever wrote it typed; a
verifier names the participants it trusts with --participant NAME=KEY.pub,
and the ceremony counts as checked for that verifier only when a phase-1 and
a phase-2 contribution are signed by keys it trusts: the keys are sound if
one participant of each phase destroyed their randomness. A contribution
that multiplies by a public value (1, or any small integer) adds no secret
and is refused.

phase2 is the slow step (gnark's Phase2.Initialize: group FFTs of size N);
--save-seal-state keeps its result in a local file so that seal, run by the
same party, need not repeat it. verify always recomputes everything.

Beacons: each phase ends with a public random value that nobody could know
before the last contribution of the phase, announced in advance: a named
drand round (--beacon-source drand:CHAIN_HASH:ROUND, the round's 32-byte
randomness) or the hash of a future block (ethereum:block:HEIGHT,
bitcoin:block:HEIGHT). The source is recorded and verify prints it with how
to check it; a free-text source is recorded too, but marked not checkable.

The circuit depends on the benchmark and on the model's public shape and
accumulator widths only, never on its weights; phase2, seal and verify take
them from the transcript unless --model is given.

For sharded proofs, init --shard-size N makes the ceremony of the shard
circuit (one for every shard of that size; seal writes shard keys), and
init --shard-size N --totals --phase1 SHARD_DIR the ceremony of the totals
circuit of claims that hide their values (its seal adds the totals keys to
the same keys directory). Their transcripts describe the whole circuit, so
phase2, seal and verify need no --benchmark for them (docs/shards.md). DIR holds the transcript:
ceremony.json and one file per contribution. The transcript digest, which
attestations made with the sealed keys record, is the SHA-256 of
DIR/ceremony.json once sealed.

Files of a transcript are read only if they are regular files (a symbolic
link, FIFO or device is refused) of the size the manifest records, and a
transcript whose phase 1 is larger than --max-phase1-size (default 2^24) is
refused before anything of that size is allocated.

Exit codes: 0 success; 1 the transcript, a contribution or a beacon does not
check (the error names the contribution); 2 usage error, or a step out of
order; 3 a file is missing or unreadable.`
	return c
}

// addMaxPhase1Flag adds --max-phase1-size to a ceremony step.
func addMaxPhase1Flag(c *cobra.Command, v *uint64) {
	c.Flags().Uint64Var(v, "max-phase1-size", ceremony.DefaultMaxPhase1Size, "refuse a transcript whose phase 1 is larger than this (a phase-1 state of size N takes about 384·N bytes of memory)")
}

// requireBeaconSource makes --beacon-source mandatory: a beacon is only as
// good as the public source it can be checked against.
func requireBeaconSource(source string) error {
	if source == "" {
		return usageErr("missing --beacon-source: say where the beacon comes from (drand:CHAIN_HASH:ROUND, ethereum:block:HEIGHT, bitcoin:block:HEIGHT, or free text, which verify marks as not checkable)")
	}
	if err := ceremony.CheckBeaconSource(source); err != nil {
		return usageErr("--beacon-source: %v", err)
	}
	return nil
}

// ceremonyErr maps the ceremony package's errors to exit codes.
func ceremonyErr(err error) error {
	var ee *exitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee):
		return err
	case errors.Is(err, ceremony.ErrInvalid):
		return &exitError{code: exitInvalid, err: err}
	case errors.Is(err, ceremony.ErrState):
		return &exitError{code: exitUsage, err: err}
	}
	return ioErr(err)
}

// ceremonySpec derives the circuit for a ceremony step. For an evaluation
// circuit: from the model and benchmark when --model is given (the claim
// shape from --claim and --hide-count, or the transcript's when neither is
// set), else from the transcript's published circuit description and the
// benchmark. For a shard or totals circuit: from the transcript's
// description alone (--benchmark is not needed), or, with --model, from the
// model and benchmark at the transcript's shard size, which must give the
// same circuit.
func ceremonySpec(cmd *cobra.Command, dir, modelPath, benchPath string, cf *claimFlags) (ceremony.Target, error) {
	m, _, err := ceremony.ReadManifest(dir)
	if err != nil {
		return nil, ceremonyErr(err)
	}
	if c := m.Circuit; c.Shard != nil || c.Totals != nil {
		if modelPath == "" {
			if cf.changed(cmd) {
				return nil, usageErr("--claim and --hide-count need --model for a %s: without it the transcript's circuit is rebuilt from its description", c.Kind())
			}
			t, err := ceremony.TargetFromManifest(m)
			return t, ceremonyErr(err)
		}
		d := c.Shard
		if d == nil {
			// The totals circuit's shard circuit is named by its id only:
			// its size is the totals description's.
			d = &desc.Shard{ShardSize: c.Totals.ShardSize, Claims: c.Totals.Claims}
		}
		claims := fromShapes(d.Claims)
		if cf.changed(cmd) {
			if claims, err = cf.parse(true); err != nil {
				return nil, err
			}
		}
		return shardTarget(modelPath, benchPath, claims, d.ShardSize, c.Totals != nil)
	}
	if benchPath == "" {
		return nil, usageErr("missing --benchmark FILE.bench: the transcript's evaluation circuit holds the benchmark's samples")
	}
	if modelPath != "" {
		claims := fromShapes(m.Circuit.Public.Claims)
		if cf.changed(cmd) {
			var err error
			if claims, err = cf.parse(true); err != nil {
				return nil, err
			}
		}
		_, _, _, spec, err := loadSpec(modelPath, benchPath, claims)
		return spec, err
	}
	b, err := benchmark.ReadFile(benchPath)
	if err != nil {
		return nil, ioErr(err)
	}
	pub := *m.Circuit.Public
	if cf.changed(cmd) {
		// Claims given without --model are checked against the
		// transcript's: a circuit with other claims is another circuit.
		claims, err := cf.parse(true)
		if err != nil {
			return nil, err
		}
		shapes := make([]claim.Shape, len(claims))
		for i, c := range claims {
			shapes[i] = c.Claim.Shape(c.Reveal)
		}
		if err := claim.Sort(shapes); err != nil {
			return nil, usageErr("%v", err)
		}
		if !slices.Equal(shapes, pub.Claims) {
			return nil, ceremonyErr(fmt.Errorf("%w: the claims given (%s) are not the transcript's (%s): its circuit is another one", ceremony.ErrInvalid, claim.JoinShapes(shapes), claim.JoinShapes(pub.Claims)))
		}
	}
	spec, err := ceremony.SpecFromPublic(pub, b)
	return spec, ceremonyErr(err)
}

// shardTarget derives the shard circuit of shards of size samples or, with
// totals, the totals circuit of the benchmark's shards (which needs a
// claim that hides its value).
func shardTarget(modelPath, benchPath string, claims []prover.Claimed, size int, totals bool) (ceremony.Target, error) {
	if size < 1 || size > shard.MaxSize {
		return nil, usageErr("--shard-size %d: want between 1 and %d", size, shard.MaxSize)
	}
	_, b, _, spec, err := loadShardSpec(modelPath, benchPath, claims, size)
	if err != nil {
		return nil, err
	}
	if !totals {
		return spec, nil
	}
	ts, err := totalsSpec(spec, b)
	if err != nil {
		return nil, err
	}
	if ts == nil {
		return nil, usageErr("--totals: no claim hides its value, so the shards need no totals circuit")
	}
	return ts, nil
}

func addSpecFlags(c *cobra.Command, modelPath, benchPath *string, cf *claimFlags, modelOptional bool) {
	help := "quantized model file (.zkm); only its public shape and accumulator widths shape the circuit"
	if modelOptional {
		help += " (default: the transcript's published shape and widths)"
	}
	c.Flags().StringVar(modelPath, "model", "", help)
	c.Flags().StringVar(benchPath, "benchmark", "", "benchmark file (.bench); its samples are circuit constants (not needed for a shard or totals transcript without --model)")
	cf.add(c, true)
}

func parseBeaconFlag(s string) ([]byte, error) {
	b, err := ceremony.ParseBeacon(s)
	if err != nil {
		return nil, usageErr("--beacon: %v", err)
	}
	return b, nil
}

func log2(n uint64) int { return bits.Len64(n) - 1 }

func newCeremonyInitCmd() *cobra.Command {
	var modelPath, benchPath, out, phase1From, saveState string
	var cf claimFlags
	var shardSize int
	var totals bool
	c := &cobra.Command{
		Use:   "init --model MODEL.zkm --benchmark FILE.bench [--shard-size N [--totals]] -o DIR [--phase1 OTHER_DIR]",
		Short: "Start a ceremony: compile the circuit and open phase 1 sized to it",
		Long: `Compiles the circuit of the model's public shape, the benchmark and the claim
shape (as setup does) and creates the ceremony directory DIR with phase 1
("powers of tau") open, of size N: the least power of two at least the number
of constraints. Phase-1 files take 192·N bytes each.

--phase1 OTHER_DIR reuses the closed phase 1 of another ceremony (of size at
least this circuit's constraints): its contributions are verified and copied,
and phase 2 opens at once; --save-seal-state FILE then keeps the seal state
for "zkeval ceremony seal --seal-state" (see "zkeval ceremony phase2 --help").

--shard-size N makes the ceremony of the shard circuit for shards of N
samples (setup --shard-size N makes single-party keys for it): its keys
prove every shard of that size, and seal writes a shard keys directory.
The shard circuit depends on the model's public shape and bounds, the
shard size and the claim shape, not on the benchmark's samples, so phase2,
seal and verify rebuild it from the transcript alone (--benchmark is not
needed there).

When a claim hides its value, combine also proves the totals circuit,
which depends on the number of shards and the benchmark's label counts,
and needs keys of its own: --shard-size N --totals makes its ceremony (a
small one; pass --phase1 SHARD_CEREMONY to reuse the shard ceremony's
closed phase 1), and its seal adds the totals keys to the shard keys
directory the shard ceremony sealed (-o the same KEYS_DIR).`,
		Args: positional(),
		RunE: func(cmd *cobra.Command, args []string) error {
			setupGnarkLog(cmd)
			if err := requireFlags(cmd, "model", "benchmark", "output"); err != nil {
				return err
			}
			if err := checkOutputDir("-o", out); err != nil {
				return err
			}
			if saveState != "" && phase1From == "" {
				return usageErr("--save-seal-state needs --phase1: a seal state is saved when phase 2 opens")
			}
			if err := checkSealStateOutput(saveState, out, phase1From); err != nil {
				return err
			}
			claims, err := cf.parse(true)
			if err != nil {
				return err
			}
			if totals && !cmd.Flags().Changed("shard-size") {
				return usageErr("--totals needs --shard-size N: the totals circuit sums the counts of shards of that size")
			}
			var spec ceremony.Target
			var single *circuits.Spec
			if cmd.Flags().Changed("shard-size") {
				spec, err = shardTarget(modelPath, benchPath, claims, shardSize, totals)
			} else {
				_, _, _, single, err = loadSpec(modelPath, benchPath, claims)
				spec = single
			}
			if err != nil {
				return err
			}
			m, err := ceremony.Init(spec, out, ceremony.InitOptions{Phase1From: phase1From, SaveSealState: saveState, Options: ceremony.Options{Progress: reporter(cmd)}})
			if err != nil {
				return ceremonyErr(err)
			}
			if j, _ := cmd.Flags().GetBool("json"); j {
				return writeJSON(cmd.OutOrStdout(), m)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "ceremony      %s\n", out)
			switch s := spec.(type) {
			case *circuits.Spec:
				fmt.Fprintf(w, "circuit       %s\n", m.Circuit.ID)
				fmt.Fprintf(w, "model shape   %s\n", s.Shape.String())
				fmt.Fprintf(w, "benchmark     %s, sha256 %s\n", s.Bench.String(), m.Circuit.Public.BenchmarkDigest)
			case *circuits.ShardSpec:
				fmt.Fprintf(w, "shard circuit %s (shards of %d samples; one ceremony for every shard of this shape)\n", m.Circuit.ID, s.Desc.ShardSize)
				fmt.Fprintf(w, "model shape   %s\n", s.Desc.Shape.String())
			case *circuits.TotalsSpec:
				fmt.Fprintf(w, "totals circuit %s (%d shards of %d samples, following shard circuit %s)\n", m.Circuit.ID, s.Desc.Shards, s.Desc.ShardSize, s.Desc.ShardID)
			}
			fmt.Fprintf(w, "constraints   %d\n", m.Circuit.Constraints)
			if m.Phase2 == nil {
				fmt.Fprintf(w, "phase 1       open, size %d (2^%d), %d bytes per contribution\n", m.Phase1.Size, log2(m.Phase1.Size), int64(m.Phase1.Size)*192+265)
				fmt.Fprintf(w, "next          each participant in turn: zkeval ceremony contribute %s --name NAME --key NAME.key\n", out)
			} else {
				fmt.Fprintf(w, "phase 1       reused from %s: size %d (2^%d), %d contributions, closed with beacon %s\n", phase1From, m.Phase1.Size, log2(m.Phase1.Size), m.Count(1), m.Phase1.Beacon)
				fmt.Fprintf(w, "phase 2       open\n")
				fmt.Fprintf(w, "next          each participant in turn: zkeval ceremony contribute %s --name NAME --key NAME.key\n", out)
			}
			return nil
		},
	}
	addSpecFlags(c, &modelPath, &benchPath, &cf, false)
	c.Flags().StringVarP(&out, "output", "o", "", "ceremony directory to create (new or empty)")
	c.Flags().StringVar(&phase1From, "phase1", "", "reuse the closed phase 1 of this ceremony directory")
	c.Flags().StringVar(&saveState, "save-seal-state", "", "with --phase1: also write the seal state to this file (local, not part of the transcript; see ceremony seal --seal-state)")
	c.Flags().IntVar(&shardSize, "shard-size", 0, "the ceremony of the shard circuit for shards of N samples (as setup --shard-size)")
	c.Flags().BoolVar(&totals, "totals", false, "with --shard-size: the ceremony of the totals circuit that proves hidden claims over the shards' committed counts")
	addJSONFlag(c)
	addQuietFlag(c)
	return c
}

func newCeremonyContributeCmd() *cobra.Command {
	var name, keyPath string
	var phase int
	var maxPhase1 uint64
	c := &cobra.Command{
		Use:   "contribute DIR --name NAME --key NAME.key",
		Short: "Add your contribution to the open phase; prints the hash to publish",
		Long: `Reads the latest state of the open phase in DIR (checking it against the
manifest), draws fresh randomness from the operating system, updates the
state with gnark's mpcsetup and proves knowledge of the update, then writes
the new state and records it in DIR/ceremony.json, signed with your Ed25519
key (--key, from zkeval keygen): the signature covers the contribution's
SHA-256, the SHA-256 of the state it extends, its phase and time, your name,
and the circuit id (phase 2) or the phase-1 size (phase 1). Publish your
public key: verifiers who trust you pass it to verify with --participant
NAME=KEY.pub. The randomness is never written anywhere and is gone when the
command exits.

Publish the SHA-256 it prints: anyone can then find your contribution in
` + "`zkeval ceremony verify`" + `'s list. Participants contribute one at a time;
if another contribution lands meanwhile, yours is discarded (exit 2) and you
contribute again on the new state.`,
		Args: positional("DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			setupGnarkLog(cmd)
			if err := requireFlags(cmd, "name", "key"); err != nil {
				return err
			}
			if err := ceremony.CheckName(name); err != nil {
				return usageErr("--name: %v", err)
			}
			if phase != 0 && phase != 1 && phase != 2 {
				return usageErr("--phase %d: give 1 or 2", phase)
			}
			key, err := envelope.ReadPrivateKey(keyPath)
			if err != nil {
				return ioErr(fmt.Errorf("--key: %w", err))
			}
			ct, err := ceremony.Contribute(args[0], name, key, ceremony.ContributeOptions{Phase: phase, Options: ceremony.Options{Progress: reporter(cmd), MaxPhase1Size: maxPhase1}})
			if err != nil {
				return ceremonyErr(err)
			}
			if j, _ := cmd.Flags().GetBool("json"); j {
				return writeJSON(cmd.OutOrStdout(), ct)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "contribution  %d (phase %d) by %q\n", ct.Index, ct.Phase, ct.Participant)
			fmt.Fprintf(w, "sha256        %s\n", ct.SHA256)
			fmt.Fprintf(w, "extends       %s\n", ct.PreviousSHA256)
			fmt.Fprintf(w, "file          %s (%d bytes)\n", filepath.Join(args[0], ct.File), ct.Bytes)
			fmt.Fprintf(w, "signed by     key %s\n", ct.Signature.KeyID)
			fmt.Fprintf(w, "publish the sha256 above so that you can find your contribution in the transcript\n")
			return nil
		},
	}
	c.Flags().StringVar(&name, "name", "", "your name as it will appear in the transcript")
	c.Flags().StringVar(&keyPath, "key", "", "your Ed25519 private key (zkeval keygen): it signs the contribution")
	c.Flags().IntVar(&phase, "phase", 0, "refuse unless this phase (1 or 2) is open")
	addMaxPhase1Flag(c, &maxPhase1)
	addJSONFlag(c)
	addQuietFlag(c)
	return c
}

func newCeremonyPhase2Cmd() *cobra.Command {
	var modelPath, benchPath, beaconHex, source, saveState string
	var cf claimFlags
	var maxPhase1 uint64
	c := &cobra.Command{
		Use:   "phase2 DIR --beacon HEX --beacon-source SOURCE --benchmark FILE.bench [--model MODEL.zkm]",
		Short: "Close phase 1 with a public random beacon and open phase 2 for the circuit",
		Long: `Verifies every phase-1 contribution, closes phase 1 with the beacon (public
randomness announced after the last phase-1 contribution), recompiles the
circuit and writes the phase-2 initial state (gnark Phase2.Initialize), from
which the phase-2 contributions start. Initialising phase 2 costs
O(N log N) group operations and is the slow step.

--save-seal-state FILE also writes what sealing needs beyond the transcript
(gnark's phase-2 evaluations of every wire, about 256 bytes per wire, and
three phase-1 points) to FILE, a local file that is not part of the
transcript. Whoever will seal keeps it: "zkeval ceremony seal --seal-state
FILE" then skips verifying phase 1 and rerunning the initialisation. Seal
trusts that file; keys sealed from a damaged or forged one are not the keys
the transcript yields, and "zkeval ceremony verify", which recomputes
everything, rejects them.`,
		Args: positional("DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			setupGnarkLog(cmd)
			if err := requireFlags(cmd, "beacon"); err != nil {
				return err
			}
			beacon, err := parseBeaconFlag(beaconHex)
			if err != nil {
				return err
			}
			if err := requireBeaconSource(source); err != nil {
				return err
			}
			if err := checkSealStateOutput(saveState, args[0]); err != nil {
				return err
			}
			spec, err := ceremonySpec(cmd, args[0], modelPath, benchPath, &cf)
			if err != nil {
				return err
			}
			m, err := ceremony.StartPhase2(spec, args[0], beacon, source, ceremony.Phase2Options{SaveSealState: saveState, Options: ceremony.Options{Progress: reporter(cmd), MaxPhase1Size: maxPhase1}})
			if err != nil {
				return ceremonyErr(err)
			}
			if j, _ := cmd.Flags().GetBool("json"); j {
				return writeJSON(cmd.OutOrStdout(), m)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "phase 1       closed after %d contributions with beacon %s\n", m.Count(1), m.Phase1.Beacon)
			b1, _ := ceremony.Beacons(m)
			fmt.Fprintf(w, "beacon source %s\n", beaconLine(*b1))
			fmt.Fprintf(w, "phase-1 SRS   sha256 %s\n", m.Phase1.ResultSHA256)
			fmt.Fprintf(w, "phase 2       open: initial state %s, sha256 %s (%d bytes)\n", m.Phase2.Initial.File, m.Phase2.Initial.SHA256, m.Phase2.Initial.Bytes)
			if saveState != "" {
				fmt.Fprintf(w, "seal state    %s (keep it for: zkeval ceremony seal %s --seal-state %s ...)\n", saveState, args[0], saveState)
			}
			fmt.Fprintf(w, "next          each participant in turn: zkeval ceremony contribute %s --name NAME --key NAME.key\n", args[0])
			return nil
		},
	}
	addSpecFlags(c, &modelPath, &benchPath, &cf, true)
	c.Flags().StringVar(&beaconHex, "beacon", "", "public random beacon, hex (16 to 1024 bytes)")
	c.Flags().StringVar(&source, "beacon-source", "", "where the beacon comes from, recorded in the transcript: drand:CHAIN_HASH:ROUND, ethereum:block:HEIGHT, bitcoin:block:HEIGHT, or free text (not checkable)")
	c.Flags().StringVar(&saveState, "save-seal-state", "", "also write the seal state to this file, for ceremony seal --seal-state (local, not part of the transcript)")
	addMaxPhase1Flag(c, &maxPhase1)
	addJSONFlag(c)
	addQuietFlag(c)
	return c
}

func newCeremonySealCmd() *cobra.Command {
	var modelPath, benchPath, beaconHex, source, out, state string
	var cf claimFlags
	var maxPhase1 uint64
	c := &cobra.Command{
		Use:   "seal DIR --beacon HEX --beacon-source SOURCE --benchmark FILE.bench -o KEYS_DIR [--model MODEL.zkm]",
		Short: "Verify the transcript, apply the final beacon and write the keys",
		Long: `Verifies the whole transcript (as verify does), applies the beacon (public
randomness announced after the last phase-2 contribution) with gnark's
Phase2.Seal, records the seal in DIR/ceremony.json and writes the keys
directory KEYS_DIR with setup kind "ceremony" and the transcript digest, the
SHA-256 of the sealed DIR/ceremony.json. Attestations proven with these keys
record both.

A transcript is sealed once: sealing again with the same beacon only writes
the keys again; another beacon is rejected (exit 1).

--seal-state FILE takes the phase-1 values and gnark's phase-2 evaluations
from the file "zkeval ceremony phase2 --save-seal-state" wrote, instead of
verifying phase 1 again and rerunning Phase2.Initialize, the slow step. Seal
still checks every file's digest and the chain of challenges, verifies every
phase-2 contribution and recompiles the circuit. It trusts FILE (bound to
this transcript's circuit, phase-1 contributions, beacon and result and
phase-2 initial state, and checked against its own SHA-256, which finds
damage, not forgery): run "zkeval ceremony verify DIR --keys KEYS_DIR"
afterwards, as anyone can. If that fails, seal again without --seal-state,
with the same beacon: a seal made from a seal state is replaced by the keys
the transcript yields.`,
		Args: positional("DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			setupGnarkLog(cmd)
			if err := requireFlags(cmd, "beacon", "output"); err != nil {
				return err
			}
			if err := checkOutputDir("-o", out); err != nil {
				return err
			}
			if samePathKey(out) == samePathKey(args[0]) {
				return usageErr("-o %s is the ceremony directory; give another directory for the keys", out)
			}
			beacon, err := parseBeaconFlag(beaconHex)
			if err != nil {
				return err
			}
			if err := requireBeaconSource(source); err != nil {
				return err
			}
			spec, err := ceremonySpec(cmd, args[0], modelPath, benchPath, &cf)
			if err != nil {
				return err
			}
			res, err := ceremony.Seal(spec, args[0], beacon, source, out, ceremony.SealOptions{SealState: state, Options: ceremony.Options{Progress: reporter(cmd), MaxPhase1Size: maxPhase1}})
			if err != nil {
				return ceremonyErr(err)
			}
			if j, _ := cmd.Flags().GetBool("json"); j {
				out := map[string]any{"transcriptSha256": res.Report.TranscriptSHA256(), "keys": res.Meta}
				if res.Resealed != nil {
					out["resealed"] = map[string]string{"verifyingKeySha256": res.Resealed.VerifyingKeySHA256, "provingKeySha256": res.Resealed.ProvingKeySHA256}
				}
				return writeJSON(cmd.OutOrStdout(), out)
			}
			w := cmd.OutOrStdout()
			m := res.Report.Manifest
			if r := res.Resealed; r != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "resealed: the earlier seal, made from a seal state, recorded verifying key %s and proving key %s, which this transcript does not yield; the seal now records the keys it yields, and the transcript digest changes\n", r.VerifyingKeySHA256, r.ProvingKeySHA256)
			}
			_, b2 := ceremony.Beacons(m)
			fmt.Fprintf(w, "sealed        %s: %d phase-1 and %d phase-2 contributions, beacon %s\n", args[0], m.Count(1), m.Count(2), beaconLine(*b2))
			fmt.Fprintf(w, "transcript    sha256 %s\n", res.Report.TranscriptSHA256())
			switch sm := res.ShardMeta; {
			case sm == nil:
				fmt.Fprintf(w, "verifying key sha256 %s\n", res.Meta.Files[keys.VerifyingKeyFile])
				fmt.Fprintf(w, "keys          %s (setup kind %s)\n", out, res.Meta.SetupKind)
			case m.Circuit.Totals != nil:
				fmt.Fprintf(w, "verifying key sha256 %s (totals circuit)\n", sm.Files[keys.TotalsVerifyingKeyFile])
				fmt.Fprintf(w, "keys          %s: totals keys added (setup kind %s); shard keys there: setup kind %s\n", out, sm.TotalsSetupKind, sm.SetupKind)
			default:
				fmt.Fprintf(w, "verifying key sha256 %s (shard circuit)\n", sm.Files[keys.VerifyingKeyFile])
				fmt.Fprintf(w, "keys          %s (shard keys, setup kind %s)\n", out, sm.SetupKind)
				if s, ok := spec.(*circuits.ShardSpec); ok && len(s.Hidden()) > 0 {
					fmt.Fprintf(w, "next          claims hide values: combine needs the totals keys; run the totals ceremony (ceremony init --shard-size %d --totals --phase1 %s ...) and seal it into %s\n", sm.Shard.ShardSize, args[0], out)
				}
			}
			if state != "" {
				fmt.Fprintf(w, "next          sealed from the seal state %s; check the keys against the transcript: zkeval ceremony verify %s --benchmark FILE.bench --keys %s\n", state, args[0], out)
			}
			return nil
		},
	}
	addSpecFlags(c, &modelPath, &benchPath, &cf, true)
	c.Flags().StringVar(&beaconHex, "beacon", "", "public random beacon, hex (16 to 1024 bytes)")
	c.Flags().StringVar(&source, "beacon-source", "", "where the beacon comes from, recorded in the transcript: drand:CHAIN_HASH:ROUND, ethereum:block:HEIGHT, bitcoin:block:HEIGHT, or free text (not checkable)")
	c.Flags().StringVarP(&out, "output", "o", "", "keys directory to write")
	addMaxPhase1Flag(c, &maxPhase1)
	c.Flags().StringVar(&state, "seal-state", "", "seal from the seal state in this file, which ceremony phase2 --save-seal-state wrote (skips the slow phase-2 initialisation)")
	addJSONFlag(c)
	addQuietFlag(c)
	return c
}

// checkSealStateOutput checks the path of --save-seal-state: a new file
// (nothing is ever replaced), outside the ceremony directories dirs (it is
// not part of a transcript).
func checkSealStateOutput(path string, dirs ...string) error {
	if path == "" {
		return nil
	}
	if _, err := os.Lstat(path); err == nil {
		return usageErr("--save-seal-state %s already exists; a seal state is written to a new file: remove it or choose another name", path)
	}
	p := samePathKey(path)
	for _, dir := range dirs {
		if dir == "" {
			continue
		}
		d := samePathKey(dir)
		for q := filepath.Dir(p); ; q = filepath.Dir(q) {
			if q == d {
				return usageErr("--save-seal-state %s is inside the ceremony directory %s; keep it outside: it is a local file, not part of the transcript", path, dir)
			}
			if q == filepath.Dir(q) {
				break
			}
		}
	}
	return checkOutputs(dirs, "--save-seal-state", path)
}
