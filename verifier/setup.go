package verifier

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/ceremony"
	"github.com/zkeval/zkeval/keys"
)

// SetupStatus is what a verifier knows of where an attestation's keys come
// from. Whoever knows a Groth16 setup's secrets can forge proofs, so a
// valid proof is only as good as its setup, and the status never says more
// than was checked.
type SetupStatus string

// The three setup statuses.
const (
	// SetupSingleParty: the attestation says its keys come from a
	// single-party setup (zkeval setup), whose author can forge proofs.
	SetupSingleParty SetupStatus = "single-party"
	// SetupCeremonyClaimed: the attestation says its keys come from a
	// multi-party ceremony, but this verification did not establish that
	// one participant it trusts took part in each phase: no transcript was
	// checked, or the transcript checked but no contribution of a phase is
	// signed by a trusted key. As far as this check goes, whoever made the
	// keys may know their secrets, as with single-party keys.
	SetupCeremonyClaimed SetupStatus = "ceremony-claimed-not-checked"
	// SetupCeremonyChecked: the ceremony transcript verifies, sealed this
	// verifying key, is the one the attestation names, and each phase has
	// a contribution signed by a key the verifier trusts.
	SetupCeremonyChecked SetupStatus = "ceremony-checked"
)

// Setup is the setup of a verified attestation, as far as it was checked.
type Setup struct {
	Status SetupStatus `json:"status"`
	// Kind and TranscriptSHA256 are what the attestation states.
	Kind             string `json:"kind"`
	TranscriptSHA256 string `json:"transcriptSha256,omitempty"`
	// TranscriptChecked: a transcript was given, verifies, sealed this
	// verifying key and is the one the attestation names.
	TranscriptChecked bool `json:"transcriptChecked"`
	// TrustedContributors names the contributions signed by trusted keys,
	// "alice (phase 1)", with the verifier's names.
	TrustedContributors []string `json:"trustedContributors,omitempty"`
	// Contributions says, for a checked transcript, who signed each
	// contribution and whether the verifier trusts that key.
	Contributions []ceremony.ContributionTrust `json:"contributions,omitempty"`
	// Beacons describes the transcript's two beacons and their sources.
	Beacons []ceremony.BeaconInfo `json:"beacons,omitempty"`
	// Reason says what the status rests on.
	Reason string `json:"reason"`
	// Warning is the caveat printed for this status ("" when checked).
	Warning string `json:"-"`
}

// ClaimedWarning starts the caveat of SetupCeremonyClaimed; it says at least
// what the single-party caveat says.
const ClaimedWarning = "ceremony claimed, not checked: as far as this verification goes, whoever made these keys may know the setup's secrets and forge proofs for this circuit, as with single-party keys"

// checkSetupInfo checks a setup record (field names it): a known kind, and
// a transcript digest exactly when the kind is a ceremony.
func checkSetupInfo(field string, s attestation.SetupInfo) error {
	switch s.Kind {
	case keys.SingleParty:
		if len(s.Transcript) != 0 {
			return invalid("%s: a single-party setup has no ceremony transcript, but one is named", field)
		}
	case keys.Ceremony:
		if err := checkDigestField(field+".transcript", s.Transcript); err != nil {
			return err
		}
	default:
		return invalid("%s: unknown setup kind %q", field, s.Kind)
	}
	return nil
}

// statedSetup is the status of an attestation's setup before any
// transcript is checked.
func statedSetup(st *attestation.Statement) *Setup { return statedSetupInfo(st.Predicate.Setup) }

// statedSetupInfo is the status of a setup record before any transcript
// is checked.
func statedSetupInfo(info attestation.SetupInfo) *Setup {
	s := &Setup{Kind: info.Kind, TranscriptSHA256: info.Transcript["sha256"]}
	switch s.Kind {
	case keys.SingleParty:
		s.Status = SetupSingleParty
		s.Reason = "single-party setup: development only"
		s.Warning = keys.SinglePartyWarning
	default:
		s.Status = SetupCeremonyClaimed
		s.Reason = "stated by the attestation, not checked: pass --transcript CEREMONY_DIR and --participant NAME=KEY.pub for the participants you trust"
		s.Warning = ClaimedWarning + "; the attestation's word is all there is (pass --transcript CEREMONY_DIR and --participant NAME=KEY.pub)"
	}
	return s
}

// setSetup replaces res's setup, and its caveat among res.Warnings.
func (res *Result) setSetup(s *Setup) { replaceSetup(&res.Setup, &res.Warnings, s, "") }

// setSetup replaces the shard keys' setup, and its caveat among
// res.Warnings.
func (res *ShardedResult) setSetup(s *Setup) {
	replaceSetup(&res.Setup, &res.Warnings, s, "shard keys: ")
}

// setTotalsSetup replaces the totals keys' setup, and its caveat among
// res.Warnings.
func (res *ShardedResult) setTotalsSetup(s *Setup) {
	replaceSetup(&res.TotalsSetup, &res.Warnings, s, "totals keys: ")
}

// replaceSetup sets *dst to s and replaces the old caveat among warnings
// by s's, with prefix.
func replaceSetup(dst **Setup, warnings *[]string, s *Setup, prefix string) {
	if old := *dst; old != nil && old.Warning != "" {
		if i := slices.Index(*warnings, prefix+old.Warning); i >= 0 {
			*warnings = slices.Delete(*warnings, i, i+1)
		}
	}
	*dst = s
	if s.Warning != "" {
		*warnings = append(*warnings, prefix+s.Warning)
	}
}

// TranscriptChecker checks attestations' key provenance against one
// ceremony transcript (as ceremony.CheckKeyProvenance does). Verifying the
// transcript recompiles the circuit and redoes the ceremony's
// cryptography, so it is done once per circuit and benchmark; each
// attestation is then compared with the verified transcript
// (ceremony.Report.Vouches), which costs nothing.
type TranscriptChecker struct {
	Dir     string
	Trusted []ceremony.Participant
	Options ceremony.Options
	done    map[string]checked
}

type checked struct {
	rep *ceremony.Report
	err error
}

// Check checks res's key provenance against the transcript, b being the
// benchmark (needed to recompile the circuit) and vk the verifying key res
// was verified with, and sets res.Setup: SetupCeremonyChecked when each
// phase has a contribution signed by a trusted key, else
// SetupCeremonyClaimed with the reason. An error wraps ErrInvalid when the
// transcript does not verify, is for another key or circuit, or is not the
// one the attestation names; other errors are I/O errors.
func (tc *TranscriptChecker) Check(res *Result, b *benchmark.Benchmark, vk []byte) (*ceremony.Report, error) {
	st := res.Statement
	if b == nil {
		return nil, errors.New("--transcript needs the benchmark: checking the ceremony recompiles the circuit")
	}
	invalid := func(err error) error {
		if errors.Is(err, ceremony.ErrInvalid) {
			return &ProvenanceError{Dir: tc.Dir, Err: err}
		}
		return err
	}
	if err := ceremony.CheckSetupRecord(st); err != nil {
		return nil, invalid(err)
	}
	pub, _ := json.Marshal(st.Predicate.Circuit.Public)
	d, err := b.Digest()
	if err != nil {
		return nil, err
	}
	key := string(pub) + "\x00" + fmt.Sprintf("%x", d)
	if tc.done == nil {
		tc.done = map[string]checked{}
	}
	c, ok := tc.done[key]
	if !ok {
		c.rep, c.err = ceremony.VerifyPublic(tc.Dir, st.Predicate.Circuit.Public, b, ceremony.VerifyOptions{Options: tc.Options, Trusted: tc.Trusted})
		tc.done[key] = c
	}
	if c.err != nil {
		return nil, invalid(c.err)
	}
	if err := c.rep.Vouches(st, vk); err != nil {
		return nil, invalid(err)
	}
	res.setSetup(SetupFromReport(st, c.rep))
	return c.rep, nil
}

// CheckShards checks the key provenance of a verified sharded attestation
// against the transcript: of the shard circuit's keys (vk, the shard
// verifying key res was verified with) when totals is false, of the totals
// circuit's keys (vk, the totals verifying key) when true. The transcript
// must verify for the circuit the attestation describes (recompiled from
// its description alone: neither the shard nor the totals circuit needs
// the benchmark; once per circuit), be sealed, have sealed vk, and be the
// transcript the attestation names. It sets res.Setup or res.TotalsSetup
// as Check sets a single proof's. Errors are Check's.
func (tc *TranscriptChecker) CheckShards(res *ShardedResult, vk []byte, totals bool) (*ceremony.Report, error) {
	p := &res.Statement.Predicate
	invalidErr := func(err error) error {
		if errors.Is(err, ceremony.ErrInvalid) {
			return &ProvenanceError{Dir: tc.Dir, Err: err}
		}
		return err
	}
	info, which, id := p.Shards.Setup, "the shard circuit's", p.Shards.Circuit.ID
	if totals {
		if p.Totals == nil {
			return nil, invalidErr(fmt.Errorf("%w: no claim hides its value, so the attestation has no totals circuit for this transcript", ceremony.ErrInvalid))
		}
		info, which, id = p.Totals.Setup, "the totals circuit's", p.Totals.ID
	}
	if info.Kind != keys.Ceremony || info.Transcript["sha256"] == "" || len(info.Transcript) != 1 {
		return nil, invalidErr(fmt.Errorf("%w: the attestation records setup kind %q for %s keys, so it names no ceremony transcript", ceremony.ErrInvalid, info.Kind, which))
	}
	// VerifySharded checked that each description hashes to its id.
	if tc.done == nil {
		tc.done = map[string]checked{}
	}
	c, ok := tc.done[id]
	if !ok {
		var target ceremony.Target
		if totals {
			target, c.err = ceremony.TotalsSpecFrom(p.Totals.Public)
		} else {
			target, c.err = ceremony.ShardSpecFrom(p.Shards.Circuit.Public)
		}
		if c.err == nil {
			c.rep, c.err = ceremony.Verify(target, tc.Dir, ceremony.VerifyOptions{Options: tc.Options, Trusted: tc.Trusted})
		}
		tc.done[id] = c
	}
	if c.err != nil {
		return nil, invalidErr(c.err)
	}
	rep := c.rep
	if rep.Stage != ceremony.StageSealed {
		return nil, invalidErr(fmt.Errorf("%w: the transcript in %s is not sealed (%s)", ceremony.ErrInvalid, tc.Dir, rep.Stage))
	}
	if got := keys.Digest(vk); got != rep.VerifyingKeySHA256 {
		return nil, invalidErr(fmt.Errorf("%w: the verifying key of %s keys has SHA-256 %s, but the ceremony in %s sealed verifying key %s", ceremony.ErrInvalid, which, got, tc.Dir, rep.VerifyingKeySHA256))
	}
	if want := info.Transcript["sha256"]; want != rep.ManifestSHA256 {
		return nil, invalidErr(fmt.Errorf("%w: the attestation names transcript %s for %s keys, but %s has SHA-256 %s", ceremony.ErrInvalid, want, which, filepath.Join(tc.Dir, ceremony.ManifestFile), rep.ManifestSHA256))
	}
	s := setupFromReport(info.Kind, rep)
	if totals {
		res.setTotalsSetup(s)
	} else {
		res.setSetup(s)
	}
	return rep, nil
}

// ProvenanceError: the transcript does not vouch for the attestation's
// keys. It wraps ErrInvalid and the ceremony package's error, which names
// the failing contribution or digest.
type ProvenanceError struct {
	Dir string
	Err error
}

func (e *ProvenanceError) Error() string {
	return fmt.Sprintf("%s: setup provenance (transcript %s): %v", ErrInvalid.Error(), e.Dir, e.Err)
}

// Unwrap returns ErrInvalid and the cause.
func (e *ProvenanceError) Unwrap() []error { return []error{ErrInvalid, e.Err} }

// SetupFromReport is the setup status of attestation st whose key
// provenance rep checked.
func SetupFromReport(st *attestation.Statement, rep *ceremony.Report) *Setup {
	return setupFromReport(st.Predicate.Setup.Kind, rep)
}

func setupFromReport(kind string, rep *ceremony.Report) *Setup {
	s := &Setup{Kind: kind, TranscriptSHA256: rep.TranscriptSHA256(), TranscriptChecked: true}
	t := rep.Trust
	s.TrustedContributors, s.Contributions = t.Trusted, t.Contributions
	for _, b := range []*ceremony.BeaconInfo{rep.Phase1Beacon, rep.SealBeacon} {
		if b != nil {
			s.Beacons = append(s.Beacons, *b)
		}
	}
	if t.Checked {
		s.Status = SetupCeremonyChecked
		s.Reason = "transcript checked; " + t.Reason
		return s
	}
	s.Status = SetupCeremonyClaimed
	s.Reason = "the transcript verifies and sealed this key, but " + t.Reason
	s.Warning = ClaimedWarning + "; " + s.Reason
	return s
}

// DescribeContributors lists a transcript's contributions for a reader:
// "alice (phase 1, trusted as alice)", "mallory (phase 2, key SHA256:…, not
// trusted: only named)".
func DescribeContributors(cs []ceremony.ContributionTrust) string {
	var out []string
	for _, c := range cs {
		switch {
		case c.TrustedAs == c.Participant:
			out = append(out, fmt.Sprintf("%q (phase %d): signed by a trusted key", c.Participant, c.Phase))
		case c.TrustedAs != "":
			out = append(out, fmt.Sprintf("%q (phase %d): signed by the trusted key of %q", c.Participant, c.Phase, c.TrustedAs))
		default:
			out = append(out, fmt.Sprintf("%q (phase %d): only named (key %s is not one you trust)", c.Participant, c.Phase, c.KeyID))
		}
	}
	return strings.Join(out, "; ")
}

// StatedSetup is the status of st's setup when no ceremony transcript is
// checked (as by a transparency log, which checks none): single-party, or
// a ceremony claimed but not checked; never SetupCeremonyChecked.
func StatedSetup(st *attestation.Statement) *Setup { return statedSetup(st) }
