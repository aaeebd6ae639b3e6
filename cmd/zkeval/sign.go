package main

import (
	"crypto/ed25519"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/envelope"
	"github.com/zkeval/zkeval/internal/atomicfile"
)

func newKeygenCmd() *cobra.Command {
	var out string
	c := &cobra.Command{
		Use:   "keygen -o NAME",
		Short: "Make an Ed25519 signing key pair for DSSE envelopes",
		Long: `Writes NAME.key (PKCS #8 PEM, mode 0600: keep it secret) and NAME.pub (PKIX
PEM: publish it) and prints the key id: the OpenSSH-style SHA-256
fingerprint of the public key ("SHA256:" and unpadded base64). A lab
signs its attestations with the private key (zkeval sign); auditors check the
signature with the public key (zkeval verify --signer).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageErr("missing -o NAME")
			}
			for _, p := range []string{out + ".key", out + ".pub"} {
				if _, err := os.Stat(p); err == nil {
					return usageErr("%s already exists; zkeval never overwrites a key (choose another -o)", p)
				}
			}
			id, err := envelope.GenerateKey(out+".key", out+".pub")
			if err != nil {
				return ioErr(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "key id   %s\nwrote    %s.key (secret), %s.pub (public)\n", id, out, out)
			return nil
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "file name prefix for NAME.key and NAME.pub")
	return c
}

func newSignCmd() *cobra.Command {
	var keyPath, out string
	c := &cobra.Command{
		Use:   "sign ATTESTATION.json --key NAME.key -o ATTESTATION.dsse.json",
		Short: "Wrap an attestation in a DSSE envelope signed with an Ed25519 key",
		Long: `Wraps the in-toto statement (of zkeval prove, or of zkeval combine for a
sharded attestation) in a DSSE envelope (payload type
application/vnd.in-toto+json) signed with the lab's Ed25519 key. zkeval verify
reads both bare statements and envelopes; with --signer NAME.pub it also
requires a valid signature by that key.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if keyPath == "" || out == "" {
				return usageErr("need --key NAME.key and -o FILE")
			}
			// checkOutputs compares resolved paths: "./a.json" is a.json,
			// and -o naming the private key would overwrite it.
			if err := checkOutputs([]string{args[0], keyPath}, "-o", out); err != nil {
				return err
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return ioErr(err)
			}
			if envelope.IsEnvelope(data) {
				return ioErr(fmt.Errorf("%s is already a DSSE envelope; sign the bare statement that `zkeval prove` wrote", args[0]))
			}
			// A single-proof or a sharded statement (zkeval combine): the
			// same in-toto statement in the same envelope.
			parse := attestation.Parse
			if attestation.IsSharded(data) {
				parse = func(data []byte, source string) (*attestation.Statement, error) {
					_, err := attestation.ParseSharded(data, source)
					return nil, err
				}
			}
			if _, err := parse(data, args[0]); err != nil {
				return ioErr(err)
			}
			priv, err := envelope.ReadPrivateKey(keyPath)
			if err != nil {
				return ioErr(err)
			}
			env, err := envelope.Sign(data, priv)
			if err != nil {
				return ioErr(err)
			}
			if err := atomicfile.WriteFile(out, env, 0o644); err != nil {
				return ioErr(err)
			}
			id, _ := envelope.KeyID(priv.Public().(ed25519.PublicKey))
			fmt.Fprintf(cmd.OutOrStdout(), "wrote    %s (DSSE envelope, signed by key %s)\n", out, id)
			return nil
		},
	}
	c.Flags().StringVar(&keyPath, "key", "", "Ed25519 private key (zkeval keygen)")
	c.Flags().StringVarP(&out, "output", "o", "", "envelope file to write")
	return c
}
