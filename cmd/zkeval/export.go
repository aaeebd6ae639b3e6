package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/evm"
	"github.com/zkeval/zkeval/internal/atomicfile"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/verifier"
)

func newExportCmd() *cobra.Command {
	return groupCmd("export", "Export a verifier contract, or an attestation as its calldata",
		newExportSolidityCmd(), newExportCalldataCmd())
}

type exportSolidityJSON struct {
	File               string `json:"file"`
	Contract           string `json:"contract"`
	Function           string `json:"function"`
	Selector           string `json:"selector"`
	PublicInputs       int    `json:"publicInputs"`
	ProofBytes         int    `json:"proofBytes"`
	VerifyingKeySHA256 string `json:"verifyingKeySha256"`
}

func newExportSolidityCmd() *cobra.Command {
	var vkPath, out string
	c := &cobra.Command{
		Use:   "solidity --vk VERIFYING.key -o Verifier.sol",
		Short: "Write the Solidity verifier contract of a verifying key",
		Long: `Writes the Groth16 verifier contract of a verifying key (gnark's
ExportSolidity), for Ethereum and other chains with the BN254 precompiles
(EIP-196, EIP-197). It accepts proofs made with "zkeval prove --target
solidity" and no others. The contract is named Verifier; a comment at its top
names the verifying key by its SHA-256 and documents the calldata layout.

Its one entry point is verifyProof(bytes proof, uint256[N] input), a view
function that returns nothing and reverts when the proof does not hold for
the inputs. "zkeval export calldata" prints that call for an attestation.

The contract checks the proof against the public inputs it is given and
nothing else: that they are the attestation's own fields (the circuit id
recomputed from the circuit description, the model commitment, the benchmark
digest) is what "zkeval verify" checks off chain. A contract that acts on a
claim reads the claim's threshold and counts from input[].`,
		Args: positional(),
		RunE: func(cmd *cobra.Command, args []string) error {
			setupGnarkLog(cmd)
			if err := requireFlags(cmd, "vk", "output"); err != nil {
				return err
			}
			if err := checkOutputs([]string{vkPath}, "-o", out); err != nil {
				return err
			}
			data, err := readBounded(vkPath, "verifying key")
			if err != nil {
				return ioErr(err)
			}
			vk, err := keys.ParseVerifyingKey(data, vkPath)
			if err != nil {
				return ioErr(err)
			}
			digest := keys.Digest(data)
			var buf bytes.Buffer
			l, err := evm.Export(&buf, vk, digest)
			if err != nil {
				return ioErr(fmt.Errorf("%s: %w", vkPath, err))
			}
			if err := atomicfile.WriteFile(out, buf.Bytes(), 0o644); err != nil {
				return ioErr(err)
			}
			sel := evm.Selector(l.Signature())
			res := exportSolidityJSON{File: out, Contract: "Verifier", Function: l.Signature(), Selector: "0x" + hex.EncodeToString(sel[:]),
				PublicInputs: l.Inputs, ProofBytes: l.ProofBytes, VerifyingKeySHA256: digest}
			if j, _ := cmd.Flags().GetBool("json"); j {
				return writeJSON(cmd.OutOrStdout(), res)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "wrote          %s\n", out)
			fmt.Fprintf(w, "contract       Verifier, %s (selector %s)\n", res.Function, res.Selector)
			fmt.Fprintf(w, "proof          %d bytes; public inputs %d\n", res.ProofBytes, res.PublicInputs)
			fmt.Fprintf(w, "verifying key  sha256 %s\n", digest)
			fmt.Fprintf(w, "accepts        proofs of \"zkeval prove --target %s\" only\n", attestation.TargetSolidity)
			return nil
		},
	}
	c.Flags().StringVar(&vkPath, "vk", "", "verifying key file (from the keys directory or the ceremony)")
	c.Flags().StringVarP(&out, "output", "o", "", "Solidity file to write")
	addJSONFlag(c)
	return c
}

type calldataJSON struct {
	File         string          `json:"file"`
	Function     string          `json:"function"`
	Selector     string          `json:"selector"`
	Proof        string          `json:"proof"`
	PublicInputs []calldataInput `json:"publicInputs"`
	Calldata     string          `json:"calldata"`
}

type calldataInput struct {
	Name  string `json:"name"`
	Value string `json:"value"` // 0x-prefixed, 64 hex digits: the ABI word
}

func newExportCalldataCmd() *cobra.Command {
	var in verifyInputs
	c := &cobra.Command{
		Use:   "calldata ATTESTATION.json --vk VERIFYING.key [--benchmark FILE.bench]",
		Short: "Print an attestation's proof and public inputs as the verifier contract's calldata",
		Long: `Verifies the attestation as "zkeval verify" does (with --vk, and --benchmark,
--transcript and --signer when given), then prints the call of the verifier
contract's verifyProof(bytes proof, uint256[N] input) in the Solidity ABI
encoding, as one 0x-prefixed hex string: the 4-byte selector, the offset of
proof, the N public inputs as 32-byte words in circuit order, then proof's
length and its bytes (gnark's MarshalSolidity: uncompressed points). Send it
to the contract that "zkeval export solidity" wrote from the same verifying
key (for example as the data of eth_call).

The attestation's proof must have been made with "zkeval prove --target
solidity"; the contract rejects other proofs.

With --json, stdout holds {"function", "selector", "proof", "publicInputs":
[{"name", "value"}...], "calldata"}, each input named (its claim and count).

Exit codes: 0 printed; 1 the attestation is invalid, or its proof was not
made for the contract; 2 usage error; 3 a file cannot be read.`,
		Args: positional("ATTESTATION.json"),
		RunE: func(cmd *cobra.Command, args []string) error {
			setupGnarkLog(cmd)
			if err := requireFlags(cmd, "vk"); err != nil {
				return err
			}
			if in.transcriptDir != "" && in.benchPath == "" {
				return usageErr("--transcript needs --benchmark FILE.bench: checking the ceremony recompiles the circuit")
			}
			in.init(cmd)
			file := args[0]
			res, _, err := in.check(file)
			if err != nil {
				return err
			}
			for _, wr := range res.Warnings {
				fmt.Fprintf(cmd.ErrOrStderr(), "WARNING: %s\n", wr)
			}
			call, err := evm.CallOf(res.Statement)
			if errors.Is(err, evm.ErrNotSolidity) {
				return fmt.Errorf("%w: %s: %v", verifier.ErrInvalid, file, err)
			}
			if err != nil {
				return ioErr(fmt.Errorf("%s: %w", file, err))
			}
			data, err := call.Calldata()
			if err != nil {
				return fmt.Errorf("%w: %s: %v", verifier.ErrInvalid, file, err)
			}
			names, err := evm.InputNames(res.Statement.Predicate.Circuit.Public)
			if err != nil || len(names) != len(call.Inputs) {
				return fmt.Errorf("internal error: the circuit description names %d public inputs (%v); the proof has %d", len(names), err, len(call.Inputs))
			}
			if j, _ := cmd.Flags().GetBool("json"); !j {
				fmt.Fprintf(cmd.OutOrStdout(), "0x%x\n", data)
				return nil
			}
			sel := call.Selector()
			out := calldataJSON{File: file, Function: call.Signature(), Selector: "0x" + hex.EncodeToString(sel[:]),
				Proof: "0x" + hex.EncodeToString(call.Proof), Calldata: "0x" + hex.EncodeToString(data)}
			for i, v := range call.Inputs {
				out.PublicInputs = append(out.PublicInputs, calldataInput{Name: names[i], Value: fmt.Sprintf("0x%064x", v)})
			}
			return writeJSON(cmd.OutOrStdout(), out)
		},
	}
	c.Flags().StringVar(&in.vkPath, "vk", "", "verifying key file: the attestation is verified with it first")
	c.Flags().StringVar(&in.benchPath, "benchmark", "", "benchmark file: recompute and check its digest")
	c.Flags().StringVar(&in.transcriptDir, "transcript", "", "ceremony directory: check the key's provenance as verify does (needs --benchmark)")
	c.Flags().StringVar(&in.signerPath, "signer", "", "Ed25519 public key (zkeval keygen): the attestation must be a DSSE envelope signed by it")
	addJSONFlag(c)
	return c
}
