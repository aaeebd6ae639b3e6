package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/net/netutil"
	"k8s.io/klog/v2"

	"github.com/zkeval/zkeval/envelope"
	"github.com/zkeval/zkeval/internal/atomicfile"
	"github.com/zkeval/zkeval/registry"
	"github.com/zkeval/zkeval/registry/client"
)

func newLogCmd() *cobra.Command {
	c := groupCmd("log", "Run or audit a transparency log of published attestations",
		newLogKeygenCmd(), newLogServeCmd(), newLogAuditCmd())
	c.Long = `A zkeval log is an append-only Merkle tree of verified attestations (a Tessera
log in the C2SP tlog-tiles layout, checkpoints signed with an Ed25519 note
key). Labs publish to it (zkeval publish); anyone checks a receipt offline
(zkeval verify --receipt) and audits the whole log (zkeval log audit).

  zkeval log keygen --origin registry.example.org/zkeval -o log
  zkeval log serve --dir registry/ --addr 127.0.0.1:8080 --key log.key
  zkeval publish attestation.dsse.json --vk verifying.key --signer lab.pub --log http://127.0.0.1:8080 -o receipt.json
  zkeval verify attestation.dsse.json --vk verifying.key --receipt receipt.json --log-key log.pub
  zkeval log audit http://127.0.0.1:8080 --log-key log.pub --state audit.state`
	return c
}

func newLogKeygenCmd() *cobra.Command {
	var out, origin string
	c := &cobra.Command{
		Use:   "keygen --origin NAME -o PREFIX",
		Short: "Make a log's checkpoint signing key",
		Long: `Writes PREFIX.key (the note signer key, mode 0600: keep it secret; zkeval log
serve --key) and PREFIX.pub (the note verifier key ORIGIN+HASH+KEY: publish it;
zkeval verify --log-key, zkeval log audit --log-key). ORIGIN is the log's
name, the first line of each checkpoint (C2SP tlog-checkpoint), such as
registry.example.org/zkeval. Keys are made by golang.org/x/mod/sumdb/note
(Ed25519).`,
		Args: positional(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" || origin == "" {
				return usageErr("need --origin NAME and -o PREFIX")
			}
			if strings.ContainsAny(origin, "+ \t\n") {
				return usageErr("--origin %q: a log origin has no '+' and no white space", origin)
			}
			skey, vkey, err := note.GenerateKey(rand.Reader, origin)
			if err != nil {
				return usageErr("--origin %q: %v", origin, err)
			}
			for _, p := range []string{out + ".key", out + ".pub"} {
				if _, err := os.Stat(p); err == nil {
					return usageErr("%s already exists; zkeval never overwrites a key (choose another -o)", p)
				}
			}
			if err := atomicfile.WriteFile(out+".key", []byte(skey+"\n"), 0o600); err != nil {
				return ioErr(err)
			}
			if err := atomicfile.WriteFile(out+".pub", []byte(vkey+"\n"), 0o644); err != nil {
				return ioErr(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "log key  %s\nwrote    %s.key (secret), %s.pub (public)\n", vkey, out, out)
			return nil
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "file name prefix for PREFIX.key and PREFIX.pub")
	c.Flags().StringVar(&origin, "origin", "", "the log's origin (its name in every checkpoint)")
	return c
}

func newLogServeCmd() *cobra.Command {
	var dir, addr, keyPath string
	var allow []string
	c := &cobra.Command{
		Use:   "serve --dir DIR --key LOG.key [--addr HOST:PORT] [--allow LAB.pub]...",
		Short: "Serve a transparency log: HTTP API and web page",
		Long: `Runs the log stored in DIR (created if absent) and serves, at --addr:

  POST /add             publish: {"attestation", "verifyingKey", "signer"}, base64
  GET  /checkpoint      the signed checkpoint; /tile/... (C2SP tlog-tiles)
  GET  /vk/SHA256       a verifying key, by SHA-256
  GET  /receipt/INDEX   an entry's receipt against the latest checkpoint
  GET  /                the web page (no script needed); /entry/INDEX one entry

Every submission is verified as zkeval verify does (proof, digests, circuit
description and id, claims; an envelope's DSSE signature with the signer's
public key) before it is appended; the verifying key is stored by SHA-256.
A refused submission gets a 4xx status with the reason, and nothing is
appended: 400 malformed, 413 larger than the limits (a body of 2 MiB, an
attestation of 47 KiB), 422 invalid or naming a verifying key the log does
not hold and the submission does not carry, 403 not signed by a listed lab
key. With --allow (repeatable: Ed25519 public keys from zkeval keygen) the
log accepts only DSSE envelopes signed by one of them. The same attestation
bytes twice are one entry: the second publish, checked as the first was,
gets the first's index. A DIR whose checkpoint does not verify with --key
is refused (another key never signs an existing log), and the address is
bound before DIR is touched. Tessera's own log lines show with --verbose.
A publish returns once a signed checkpoint covers its entry. SIGINT or
SIGTERM stops the server after the appends in progress.`,
		Args: positional(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" || keyPath == "" {
				return usageErr("need --dir DIR and --key LOG.key")
			}
			setupGnarkLog(cmd)
			setupTesseraLog(cmd)
			skey, err := os.ReadFile(keyPath)
			if err != nil {
				return ioErr(err)
			}
			var allowed []ed25519.PublicKey
			for _, p := range allow {
				k, err := envelope.ReadPublicKey(p)
				if err != nil {
					return ioErr(err)
				}
				allowed = append(allowed, k)
			}
			// Bind first: a busy port leaves no log directory behind.
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return ioErr(err)
			}
			ctx := context.Background()
			l, err := registry.Open(ctx, registry.Config{Dir: dir, SignerKey: strings.TrimSpace(string(skey)), AllowedSigners: allowed})
			if err != nil {
				_ = ln.Close()
				return ioErr(err)
			}
			ln = netutil.LimitListener(ln, maxConns)
			srv := newServer(l.Handler())
			mode := "any valid attestation"
			if len(allowed) > 0 {
				mode = fmt.Sprintf("DSSE envelopes signed by %d listed lab keys", len(allowed))
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "log %s (%s) serving on http://%s; accepts %s\n", l.Origin(), entries(len(l.Items())), ln.Addr(), mode)
			sigs := make(chan os.Signal, 1)
			signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(ln) }()
			select {
			case err = <-errc:
			case <-sigs:
				sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				err = srv.Shutdown(sctx)
				cancel()
			}
			if cerr := l.Close(ctx); err == nil || errors.Is(err, http.ErrServerClosed) {
				err = cerr
			}
			if err != nil {
				return ioErr(err)
			}
			return nil
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "directory of the log (created if absent)")
	c.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	c.Flags().StringVar(&keyPath, "key", "", "the log's signing key (zkeval log keygen)")
	c.Flags().StringArrayVar(&allow, "allow", nil, "accept only DSSE envelopes signed by this lab key (zkeval keygen NAME.pub; repeatable)")
	return c
}

// maxConns caps the server's concurrent connections.
const maxConns = 256

// newServer is the log's HTTP server, with timeouts that still let a
// client send a 2 MiB submission on a slow link, and a publish wait for
// its checkpoint.
func newServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      3 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

func newLogAuditCmd() *cobra.Command {
	var keyPath, statePath string
	c := &cobra.Command{
		Use:   "audit URL --log-key LOG.pub [--state FILE] [--json]",
		Short: "Re-verify every entry of a log and check it is consistent with the last audit",
		Long: `Fetches the log's latest checkpoint and checks its signature; with --state FILE
holding a checkpoint from an earlier audit, checks that the log extends it
(RFC 6962 consistency proof from the log's tiles); fetches every entry,
checks that they hash to the checkpoint's root, and re-verifies each
attestation as zkeval verify does, with the verifying key the log serves
(checked against the digest the entry names) and, for a DSSE envelope, the
signer key the entry names. Prints a summary (entries, valid, invalid, not
checkable by this zkeval; valid entries with single-party keys and with a
ceremony claimed but not checked, since the proof does not bind the setup
kind) and each invalid or uncheckable entry with the reason; --json prints
it as one object. An entry of a circuit version or predicate type this
zkeval does not verify (appended by another release) is not checkable:
it is listed with the version it needs, and is not counted invalid. The state file is created or updated (atomically) only when
the log checks.

Exit codes: 0 the log is consistent and no entry invalid; 1 an invalid
entry, or a log that fails a check (signature, consistency, root: the error
names the check, what was expected and what was found); 2 usage; 3 the log
cannot be reached or a file cannot be read or written.`,
		Args: positional("URL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if keyPath == "" {
				return usageErr("missing --log-key LOG.pub")
			}
			setupGnarkLog(cmd)
			key, err := client.ReadLogKey(keyPath)
			if err != nil {
				return ioErr(err)
			}
			c, err := client.New(args[0], nil)
			if err != nil {
				return usageErr("%v", err)
			}
			var prev *client.State
			if statePath != "" {
				if prev, err = client.ReadState(statePath); err != nil {
					return ioErr(err)
				}
			}
			t0 := time.Now()
			rep, err := client.Audit(cmd.Context(), c, key, prev)
			if err != nil {
				return logErr(err)
			}
			if statePath != "" {
				if err := client.WriteState(statePath, client.NewState(rep)); err != nil {
					return ioErr(err)
				}
			}
			asJSON, _ := cmd.Flags().GetBool("json")
			w := cmd.OutOrStdout()
			if asJSON {
				if err := writeJSON(w, rep); err != nil {
					return ioErr(err)
				}
			} else {
				fmt.Fprintf(w, "log         %s\n", printable(rep.Log))
				fmt.Fprintf(w, "checkpoint  %s, signature checked, root recomputed from every entry\n", entries(rep.Size))
				if prev != nil && rep.PreviousSize == rep.Size {
					fmt.Fprintf(w, "consistency same size, same root as the checkpoint in %s\n", statePath)
				} else if prev != nil {
					fmt.Fprintf(w, "consistency extends the checkpoint of %s in %s\n", entries(rep.PreviousSize), statePath)
				} else {
					fmt.Fprintf(w, "consistency no earlier checkpoint (first audit%s)\n", map[bool]string{true: "", false: "; pass --state FILE to check the next one against this one"}[statePath != ""])
				}
				fmt.Fprintf(w, "entries     %d: %d valid, %d invalid, %d not checkable by this zkeval\n", rep.Entries, rep.Valid, rep.Invalid, rep.UnsupportedCount)
				fmt.Fprintf(w, "setup       %d valid with single-party keys (whoever ran their setup can forge proofs); %d valid claiming a ceremony, not checked (whoever made the keys may forge proofs, as with single-party keys)\n", rep.SingleParty, rep.CeremonyUnchecked)
				for _, f := range rep.Failures {
					fmt.Fprintf(w, "  INVALID entry %d: %s\n", f.Index, printable(f.Error))
				}
				for _, f := range rep.Unsupported {
					fmt.Fprintf(w, "  NOT CHECKED entry %d: %s: needs %s\n", f.Index, printable(f.Error), printable(f.Needs))
				}
				fmt.Fprintf(w, "audited in  %.2f s\n", time.Since(t0).Seconds())
			}
			if rep.Invalid > 0 {
				return &exitError{code: exitInvalid, err: fmt.Errorf("%d of %s of log %s invalid", rep.Invalid, entries(rep.Entries), rep.Log)}
			}
			return nil
		},
	}
	c.Flags().StringVar(&keyPath, "log-key", "", "the log's public key (zkeval log keygen PREFIX.pub)")
	c.Flags().StringVar(&statePath, "state", "", "file keeping the last checkpoint audited (created if absent)")
	addJSONFlag(c)
	return c
}

// setupTesseraLog silences Tessera's klog lines (such as "Failed to fetch
// old checkpoint" when a log starts empty) unless --verbose is set.
func setupTesseraLog(cmd *cobra.Command) {
	if v, _ := cmd.Flags().GetBool("verbose"); v {
		return
	}
	klog.SetLogger(logr.Discard())
}

// logErr gives a log client error its exit status: a failed check or a
// refusal is 1, anything else (the log cannot be reached) 3.
func logErr(err error) error {
	var re *client.RefusedError
	switch {
	case errors.Is(err, client.ErrCheck):
		return &exitError{code: exitInvalid, err: err}
	case errors.As(err, &re) && re.Status >= 400 && re.Status < 500:
		return &exitError{code: exitInvalid, err: err}
	}
	return ioErr(err)
}
