package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/envelope"
	"github.com/zkeval/zkeval/internal/atomicfile"
	"github.com/zkeval/zkeval/internal/jsonfile"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/registry/client"
)

func newPublishCmd() *cobra.Command {
	var vkPath, logURL, out, signerPath, logKeyPath string
	c := &cobra.Command{
		Use:   "publish ATTESTATION.json --vk VERIFYING.key --log URL -o RECEIPT.json [--signer LAB.pub] [--log-key LOG.pub]",
		Short: "Publish an attestation to a transparency log and keep its receipt",
		Long: `Submits the attestation (a bare statement, or a DSSE envelope with --signer
naming the lab's public key, whose signature the log checks) and its
verifying key to the log at URL. The log verifies it as zkeval verify does
and appends it, or returns the index of the entry that already holds the
same attestation. The receipt written to -o holds the entry's index and
bytes, the log's signed checkpoint and the inclusion proof of the entry: with
the log's public key anyone checks it offline (zkeval verify --receipt
--log-key). Before it is written the receipt is checked: its entry holds
this attestation and verifying key, and its inclusion proof leads to its
checkpoint's root; with --log-key, also the checkpoint's signature and that
the receipt names the checkpoint's log.

Exit codes: 0 published (or already there); 1 the log refused the
attestation (the reason is printed) or the receipt does not check (the
log has appended the attestation all the same: the message gives its index
and how to fetch the receipt again); 2 usage;
3 a file cannot be read or written, or the log cannot be reached.`,
		Args: positional("ATTESTATION.json"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireFlags(cmd, "vk", "log", "output"); err != nil {
				return err
			}
			if err := checkOutputs(args, "-o", out); err != nil {
				return err
			}
			att, err := readBounded(args[0], "attestation")
			if err != nil {
				return ioErr(err)
			}
			vk, err := readBounded(vkPath, "verifying key")
			if err != nil {
				return ioErr(err)
			}
			var signer []byte
			if signerPath != "" {
				k, err := envelope.ReadPublicKey(signerPath)
				if err != nil {
					return ioErr(err)
				}
				signer = k
			}
			var key *client.LogKey
			if logKeyPath != "" {
				if key, err = client.ReadLogKey(logKeyPath); err != nil {
					return ioErr(err)
				}
			}
			c, err := client.New(logURL, nil)
			if err != nil {
				return usageErr("--log: %v", err)
			}
			rec, err := c.Publish(cmd.Context(), att, vk, signer)
			if err != nil {
				return logErr(fmt.Errorf("%s: %w", args[0], err))
			}
			// Without the log's key, what can be checked still is: the
			// entry holds this attestation and the proof leads to the
			// checkpoint's root.
			check := func(r *client.Receipt, att []byte, vk string) (*client.ReceiptResult, error) {
				return client.CheckReceiptUnsigned(r, att, vk)
			}
			if key != nil {
				check = func(r *client.Receipt, att []byte, vk string) (*client.ReceiptResult, error) {
					return client.VerifyReceipt(r, key, att, vk)
				}
			}
			if _, err := check(rec, att, keys.Digest(vk)); err != nil {
				with := "the receipt it returned does not check"
				if key != nil {
					with = "its receipt does not check with --log-key " + logKeyPath
				}
				return logErr(fmt.Errorf("the log appended %s at index %d (it is public now), but %s, so no receipt was written: %w\nfetch the receipt again with GET %s/receipt/%d, or rerun zkeval publish with the log's key (the log returns the same entry)", args[0], rec.Index, with, err, strings.TrimRight(logURL, "/"), rec.Index))
			}
			data, err := jsonfile.Indent(rec)
			if err != nil {
				return err
			}
			if err := atomicfile.WriteFile(out, data, 0o644); err != nil {
				return ioErr(err)
			}
			w := cmd.OutOrStdout()
			if asJSON, _ := cmd.Flags().GetBool("json"); asJSON {
				return writeJSON(w, map[string]any{"receipt": out, "index": rec.Index, "duplicate": rec.Duplicate, "log": rec.Log})
			}
			what := "published as entry"
			if rec.Duplicate {
				what = "already published: entry"
			}
			fmt.Fprintf(w, "%s %d of log %s\nwrote       %s (index, entry, signed checkpoint, inclusion proof)\n", what, rec.Index, printable(rec.Log), out)
			return nil
		},
	}
	c.Flags().StringVar(&vkPath, "vk", "", "verifying key of the attestation")
	c.Flags().StringVar(&logURL, "log", "", "the log's URL (http://HOST:PORT)")
	c.Flags().StringVarP(&out, "output", "o", "", "receipt file to write")
	c.Flags().StringVar(&signerPath, "signer", "", "the lab's Ed25519 public key (zkeval keygen NAME.pub) that signed the DSSE envelope")
	c.Flags().StringVar(&logKeyPath, "log-key", "", "the log's public key: check the receipt before writing it")
	addJSONFlag(c)
	return c
}
