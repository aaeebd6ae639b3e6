package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/model"
)

func newCommitCmd() *cobra.Command {
	var out, opening string
	c := &cobra.Command{
		Use:   "commit MODEL.zkm -o COMMITMENT.json --opening OPENING.json",
		Short: "Commit to a quantized model with a fresh random salt",
		Long: `Computes the hiding, binding commitment Poseidon2(salt, shape, packed weights)
over BN254 with a fresh random salt. The commitment file is public; the opening
file holds the salt, stays secret, and is needed to prove.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" || opening == "" {
				return usageErr("need both -o COMMITMENT.json and --opening OPENING.json")
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
	c.Flags().StringVarP(&out, "output", "o", "", "public commitment file to write")
	c.Flags().StringVar(&opening, "opening", "", "secret opening file to write (mode 0600)")
	addJSONFlag(c)
	return c
}
