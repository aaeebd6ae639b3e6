package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

// groupCmd returns a command that only holds subcommands: alone it prints
// its help; with an unknown subcommand it is a usage error.
func groupCmd(use, short string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ArbitraryArgs,
		// Runnable only to reject unknown subcommands: show no flags line.
		DisableFlagsInUseLine:      true,
		SuggestionsMinimumDistance: 2,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += fmt.Sprintf("; did you mean %q?", s[0])
			}
			var names []string
			for _, sc := range cmd.Commands() {
				if sc.IsAvailableCommand() {
					names = append(names, sc.Name())
				}
			}
			return usageErr("%s (commands: %s; see `%s --help`)", msg, strings.Join(names, ", "), cmd.CommandPath())
		},
	}
	c.AddCommand(subs...)
	return c
}

// positional returns a validator for exactly the named positional arguments,
// whose errors say which argument is missing or extra.
func positional(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < len(names):
			return usageErr("missing %s (usage: %s)", names[len(args)], cmd.UseLine())
		case len(args) > len(names) && len(names) == 0:
			return usageErr("%s takes no arguments, got %q; inputs are given with flags (usage: %s)", cmd.Name(), args[0], cmd.UseLine())
		case len(args) > len(names):
			return usageErr("unexpected argument %q after %s (usage: %s)", args[len(names)], strings.Join(names, " "), cmd.UseLine())
		}
		return nil
	}
}

// requireFlags is a usage error listing every named flag left empty.
func requireFlags(cmd *cobra.Command, names ...string) error {
	var missing []string
	for _, n := range names {
		f := cmd.Flags().Lookup(n)
		if f == nil || f.Value.String() == "" {
			if f != nil && f.Shorthand != "" {
				missing = append(missing, "-"+f.Shorthand)
			} else {
				missing = append(missing, "--"+n)
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	what := "flag"
	if len(missing) > 1 {
		what = "flags"
	}
	return usageErr("missing %s %s (usage: %s)", what, strings.Join(missing, ", "), cmd.UseLine())
}

// checkOutputs checks, before any long work, that each output file can be
// created: it differs from every input and from the other outputs, and its
// directory exists. Outputs are given as flag name and path pairs.
func checkOutputs(inputs []string, outputs ...string) error {
	seen := map[string]string{}
	for _, in := range inputs {
		if in != "" {
			seen[samePathKey(in)] = in
		}
	}
	for i := 0; i+1 < len(outputs); i += 2 {
		flag, out := outputs[i], outputs[i+1]
		if out == "" {
			continue
		}
		if prev, ok := seen[samePathKey(out)]; ok {
			return usageErr("%s %s is also an input or another output (%s); choose another path", flag, out, prev)
		}
		seen[samePathKey(out)] = out
		if err := checkParent(out); err != nil {
			return ioErr(fmt.Errorf("%s %s: %w", flag, out, err))
		}
		if st, err := os.Stat(out); err == nil && st.IsDir() {
			return usageErr("%s %s is a directory; give a file name", flag, out)
		}
	}
	return nil
}

// checkOutputDir checks that dir is a directory or can be created as one.
func checkOutputDir(flag, dir string) error {
	st, err := os.Stat(dir)
	switch {
	case err == nil && !st.IsDir():
		return usageErr("%s %s is a file; give a directory", flag, dir)
	case err == nil:
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return ioErr(fmt.Errorf("%s %s: %w", flag, dir, err))
	}
	// Walk up to the nearest existing ancestor: it must be a directory.
	for d := filepath.Dir(filepath.Clean(dir)); ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err == nil {
			if !st.IsDir() {
				return usageErr("%s %s: %s is a file, so the directory cannot be created", flag, dir, d)
			}
			return nil
		}
		if !errors.Is(err, fs.ErrNotExist) || d == filepath.Dir(d) {
			return ioErr(fmt.Errorf("%s %s: %w", flag, dir, err))
		}
	}
}

func checkParent(path string) error {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("directory %s does not exist", dir)
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	}
	return nil
}

// samePathKey identifies a path for comparison: absolute, cleaned and with
// symbolic links resolved where the file exists.
func samePathKey(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	if d, err := filepath.EvalSymlinks(filepath.Dir(p)); err == nil {
		return filepath.Join(d, filepath.Base(p))
	}
	return filepath.Clean(p)
}
