package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Every command has a one-line summary, a usage line naming its arguments,
// and flag help without backquotes (pflag would take the quoted text for the
// flag's value name, printing e.g. "--keys zkeval setup").
func TestHelpTexts(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Short == "" {
			t.Errorf("%s: no Short description", c.CommandPath())
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if strings.Contains(f.Usage, "`") {
				t.Errorf("%s --%s: backquotes in the flag help: %q", c.CommandPath(), f.Name, f.Usage)
			}
			if !strings.Contains(f.Usage, " ") {
				t.Errorf("%s --%s: the flag help is too short: %q", c.CommandPath(), f.Name, f.Usage)
			}
		})
		var out bytes.Buffer
		c.SetOut(&out)
		if err := c.Help(); err != nil {
			t.Errorf("%s --help: %v", c.CommandPath(), err)
		}
		if !strings.Contains(out.String(), "Usage:") {
			t.Errorf("%s --help prints no usage", c.CommandPath())
		}
		for _, sc := range c.Commands() {
			walk(sc)
		}
	}
	walk(newRootCmd())
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"frob"}, exitUsage},
		{[]string{"model", "frob"}, exitUsage},
		{[]string{"verify"}, exitUsage},
		{[]string{"verify", "--vk"}, exitUsage},
		{[]string{"verify", "nothere.json", "--vk", "nothere.key"}, exitIO},
		{[]string{"benchmark", "info", "nothere.bench"}, exitIO},
		{[]string{"prove", "--claim", "accuracy >= 2", "--model", "m", "--opening", "o", "--benchmark", "b", "--keys", "k", "-o", "a"}, exitUsage},
	} {
		root := newRootCmd()
		var out, errOut bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&errOut)
		root.SetArgs(tc.args)
		err := root.Execute()
		if got := exitCode(err); got != tc.want {
			t.Errorf("zkeval %s: exit code %d (%v), want %d", strings.Join(tc.args, " "), got, err, tc.want)
		}
	}
}
