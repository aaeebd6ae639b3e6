// Package ceremony makes the Groth16 keys of an evaluation circuit with a
// multi-party ceremony, keeps its transcript, and checks it.
//
// # Why
//
// A Groth16 key pair (Groth 2016, "On the Size of Pairing-based
// Non-interactive Arguments", https://eprint.iacr.org/2016/260) is derived
// from secret values (τ, α, β, δ, and σ for the circuit's Pedersen
// commitment). Whoever knows them can forge proofs. The ceremony of Bowe,
// Gabizon and Miers 2017 ("Scalable Multi-party Computation for zk-SNARK
// Parameters in the Random Beacon Model", https://eprint.iacr.org/2017/1050)
// splits them among participants: each contribution multiplies the secrets
// by fresh random values and proves knowledge of them, and the keys are
// sound as long as one participant of phase 1 and one of phase 2 destroyed
// their randomness. Every cryptographic step is gnark's
// backend/groth16/bn254/mpcsetup (Phase1, Phase2, their Contribute, Verify,
// Initialize and Seal), which supports circuits with a commitment (api.Commit,
// used by the range checks and the Freivalds checks); this package adds the
// transcript, its files and the checks that name a failing contribution.
//
// # Steps
//
//  1. Init compiles the circuit and opens phase 1 ("powers of tau") of size
//     N, the least power of two at least the number of constraints; or it
//     reuses the closed phase 1 of another ceremony of size at least that.
//  2. Contribute, once per participant, in turn, on the latest state, signed
//     with the participant's Ed25519 key.
//  3. StartPhase2 closes phase 1 with a public random beacon and derives the
//     circuit-specific phase-2 initial state (gnark Phase2.Initialize).
//  4. Contribute again, once per participant, to phase 2.
//  5. Seal applies a second beacon and writes a keys directory (package
//     keys) with setup kind "ceremony" and the transcript digest; attestations
//     made with those keys record both.
//
// Verify checks a transcript at any stage.
//
// # Who contributed
//
// A participant's name in the manifest is whatever its author typed. Each
// contribution is therefore signed with its participant's Ed25519 key (the
// keys of `zkeval keygen`): a DSSE signature over a ContributionStatement
// naming the contribution's SHA-256, the SHA-256 of the state it extends,
// its phase and time, the name, and the circuit id (phase 2) or the phase-1
// size (phase 1, which circuits share). A verifier lists the participants
// it trusts, with their public keys (Participant); Verify's Report.Trust
// says which contributions those keys signed and which are only named, and
// counts the ceremony as checked only when it is sealed and a phase-1 and
// a phase-2 contribution are signed by trusted keys: the one-honest-party
// assumption of each phase, made explicit.
//
// gnark's update proofs refuse only a contribution that multiplies by 0;
// one that multiplies by 1 verifies and adds no secret. A contribution
// whose update multiplies by a small integer (±1 to ±2^16), which anyone
// could find, is refused.
//
// # Beacons
//
// A beacon is a public random value that nobody could know before the last
// contribution of its phase, announced in advance: a named drand round or
// a future block hash. The manifest records the value and its source, and
// DescribeBeacon says how anyone can check it (drand:CHAIN:ROUND,
// ethereum:block:HEIGHT, bitcoin:block:HEIGHT), or marks it as not
// checkable (free text, or no source); for a drand chain whose schedule is
// known, it also says when the round was published, and marks a round
// published before the last contribution of its phase.
//
// # Directory
//
//	ceremony.json               the manifest (Manifest)
//	phase1-NNNN-XXXXXXXXXXXX.bin  phase-1 contribution NNNN (gnark Phase1.WriteTo), 192·N + 265 bytes
//	phase2-0000-XXXXXXXXXXXX.bin  the phase-2 initial state (gnark Phase2.WriteTo)
//	phase2-NNNN-XXXXXXXXXXXX.bin  phase-2 contribution NNNN
//	.lock                       the lock held while a step replaces the manifest
//
// XXXXXXXXXXXX is the first 12 hex digits of the file's SHA-256. The SHA-256
// of a state file is also gnark's hash of the state, and the next
// contribution embeds it as its challenge: the files form a hash chain that
// the manifest records (sha256, previousSha256). A participant publishes the
// SHA-256 of their contribution and finds it in Verify's list.
//
// Steps replace the manifest by compare-and-swap under the directory's lock
// (package internal/dirlock): of two contributions computed on the same
// state, exactly one is recorded and the other is refused with ErrState, so
// that none is lost while its participant is told it succeeded.
//
// Every file of a transcript is opened only if it is a regular file (a
// symbolic link, FIFO or device is refused without blocking) and only after
// its size is checked against the manifest; the manifest itself has at most
// MaxManifestBytes. The phase-1 size and every declared file size are
// checked against Options' limits, and each file must be present with its
// size before anything of that size is allocated.
//
// # Transcript digest
//
// The transcript digest is the SHA-256 of the bytes of ceremony.json as Seal
// writes it (`sha256sum DIR/ceremony.json`). ParseManifest accepts only the
// canonical encoding (exact keys, no duplicates or case variants, the bytes
// zkeval writes), so one ceremony has one digest. The sealed manifest holds
// the circuit id, public description and constraint-system digest, the
// phase-1 size and initial-state digest, the phase-1 beacon, its source and
// the result digest, the phase-2 initial-state digest, every contribution
// (participant, phase, file, SHA-256, size, previous SHA-256, time,
// signature), the seal beacon and its source and the SHA-256 of the sealed
// verifying and proving keys; the digest therefore fixes every file of the
// transcript, both beacons, the signers and the keys.
//
// # Checking
//
// Verify needs the circuit, which it recompiles (keys.Compile) from the
// benchmark and the model's public shape and accumulator widths; the model's
// weights play no part (SpecFromPublic takes shape and widths from the
// transcript's published description). It first checks the manifest and
// every signature, that the circuit compiles to the recorded constraint
// system, then the size and SHA-256 of every file, the chain of challenges
// (which finds a contribution computed on a stale or foreign state) and
// every update proof's commitment (which finds a trivial contribution), then
// runs gnark's checks one contribution at a time, in order: Phase1.Verify,
// Phase1.Seal with the phase-1 beacon (which must give the recorded result),
// Phase2.Initialize from the recompiled circuit (which must give the recorded
// initial state: a transcript of another circuit fails here), Phase2.Verify,
// and Phase2.Seal with the seal beacon (which must give the recorded keys).
// This is the loop of gnark's VerifyPhase1 and VerifyPhase2, run step by step
// so that an error names its contribution and only two states are in memory.
// With VerifyOptions.KeysDir it checks that a keys directory holds exactly
// the sealed keys: every field of its circuit.json, and the size and SHA-256
// of its constraint system and keys.
//
// # Cost
//
// Phase-1 files take 192·N bytes each. gnark's Phase2.Initialize, run by
// StartPhase2, Verify and Seal, converts the phase-1 powers to Lagrange form
// with group FFTs, O(N log N) scalar multiplications, and dominates their
// time. The party that runs StartPhase2 can keep its result in a local seal
// state (Phase2Options.SaveSealState) and seal from it (SealOptions): Seal
// then runs no Initialize and no phase-1 check. Verify always recomputes.
package ceremony
