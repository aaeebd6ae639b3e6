package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/model"
)

func newCommitCmd() *cobra.Command {
	var out, opening string
	c := &cobra.Command{
		Use:   "commit MODEL.zkm -o COMMITMENT.json --opening OPENING.json",
		Short: "Commit to a quantized model with a fresh random salt",
		Long: `Computes the hiding, binding commitment Poseidon2(tag, length, salt, shape, packed weights)
over BN254 with a fresh random salt. The commitment file is public: publish it
before proving, so that attestations can be matched to it. The opening file
holds the salt, stays secret, and is needed to prove; zkeval never overwrites
an existing opening file. Each run draws a new salt, so committing the same
model twice gives two different commitments.`,
		Args: positional("MODEL.zkm"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireFlags(cmd, "output", "opening"); err != nil {
				return err
			}
			if err := checkOutputs([]string{args[0]}, "-o", out, "--opening", opening); err != nil {
				return err
			}
			if _, err := os.Lstat(opening); err == nil {
				return usageErr("--opening %s already exists; zkeval never overwrites an opening, because the commitment it opens could no longer be proven against (choose another path, or delete the old opening if nothing was published with it)", opening)
			}
			m, err := model.ReadFile(args[0])
			if err != nil {
				return ioErr(err)
			}
			salt, err := commitment.NewSalt()
			if err != nil {
				return ioErr(err)
			}
			cm, err := commitment.Commit(m, salt)
			if err != nil {
				return ioErr(err)
			}
			if err := commitment.WriteFiles(out, opening, m, salt, cm); err != nil {
				return ioErr(err)
			}
			if j, _ := cmd.Flags().GetBool("json"); j {
				return writeJSON(cmd.OutOrStdout(), map[string]string{"commitment": commitment.FormatElement(cm), "scheme": commitment.Scheme, "commitmentFile": out, "openingFile": opening})
			}
			sh := m.Shape()
			fmt.Fprintf(cmd.OutOrStdout(), "commitment  %s\nscheme      %s\nmodel       %s\nwrote       %s (public), %s (secret: keep it private)\n",
				commitment.FormatElement(cm), commitment.Scheme, sh.String(), out, opening)
			return nil
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "public commitment file to write (publish it)")
	c.Flags().StringVar(&opening, "opening", "", "secret opening file to write (mode 0600; must not exist yet)")
	addJSONFlag(c)
	return c
}
