package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/ceremony"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/verifier"
)

type verifyJSON struct {
	Valid bool   `json:"valid"`
	File  string `json:"file"`
	Error string `json:"error,omitempty"`
	// FailedCheck holds an invalid attestation's evidence
	// (verifier.CheckError): the check, the value expected and the one found.
	FailedCheck     *failedCheckJSON `json:"failedCheck,omitempty"`
	Unreadable      bool             `json:"unreadable,omitempty"` // several files only: exit status 3 for this one
	ModelCommitment string           `json:"modelCommitment,omitempty"`
	Benchmark       any              `json:"benchmark,omitempty"`
	// BenchmarkChecked is set for a valid attestation only: whether the
	// benchmark's digest was recomputed from a benchmark file.
	BenchmarkChecked *bool       `json:"benchmarkRecomputed,omitempty"`
	OfficialData     string      `json:"officialData,omitempty"`
	Claims           []claimJSON `json:"claims,omitempty"`
	ProofSystem      string      `json:"proofSystem,omitempty"`
	ProofTarget      string      `json:"proofTarget,omitempty"` // "go" or "solidity"
	VerifyingKey     string      `json:"verifyingKeySha256,omitempty"`
	// ConstraintSystem is the digest the attestation states; the setup's
	// transcriptChecked says whether it was recompiled and compared.
	ConstraintSystem string `json:"constraintSystemSha256,omitempty"`
	SetupKind        string `json:"setupKind,omitempty"`
	// SetupStatus is single-party, ceremony-claimed-not-checked or
	// ceremony-checked (verifier.SetupStatus); Setup gives the detail.
	SetupStatus verifier.SetupStatus `json:"setupStatus,omitempty"`
	Setup       *verifier.Setup      `json:"setup,omitempty"`
	// Stated holds the attestation's words that no proof covers, as stated.
	Stated   *statedJSON `json:"stated,omitempty"`
	SignedBy string      `json:"signedBy,omitempty"`
	Log      *logJSON    `json:"transparencyLog,omitempty"`
	Warnings []string    `json:"warnings,omitempty"`
	Seconds  float64     `json:"seconds,omitempty"`
}

// statedJSON: fields of the attestation that the proof does not bind,
// shown as the attestation states them.
type statedJSON struct {
	SubjectName string                   `json:"subjectName"`
	ModelName   string                   `json:"modelName,omitempty"`
	Producer    attestation.ProducerInfo `json:"producer"`
	ProvedAt    string                   `json:"provedAt"`
}

// verifyManyJSON is the --json result for several attestations.
type verifyManyJSON struct {
	Checked    int `json:"checked"`
	Valid      int `json:"valid"`
	Invalid    int `json:"invalid"`
	Unreadable int `json:"unreadable"`
	// SingleParty, CeremonyNotChecked and CeremonyChecked count valid
	// attestations by setup status; Unchecked those whose benchmark digest
	// was not recomputed (no --benchmark). Valid proofs that prove less.
	SingleParty        int          `json:"validWithSinglePartyKeys"`
	CeremonyNotChecked int          `json:"validWithCeremonyNotChecked"`
	CeremonyChecked    int          `json:"validWithCeremonyChecked"`
	Unchecked          int          `json:"validWithBenchmarkNotRecomputed"`
	Results            []verifyJSON `json:"results"`
}

type claimJSON struct {
	Claim   string `json:"claim"`
	Holds   bool   `json:"holds"`
	Value   string `json:"value"`             // reduced fraction, or "hidden"
	Decimal string `json:"decimal,omitempty"` // the value with 4 places, rounded to the nearest
	// DecimalExact says whether Decimal is the exact value (else Value is).
	DecimalExact bool                `json:"decimalExact,omitempty"`
	Counts       []attestation.Count `json:"counts,omitempty"`
	Hidden       bool                `json:"hidden,omitempty"`
	Meaning      string              `json:"meaning"`
	// DeterminedByRevealed: a hidden claim whose value the counts revealed
	// by the other claims determine.
	DeterminedByRevealed bool `json:"determinedByRevealed,omitempty"`
	// GroupRates: each group's rates, for a revealed fairness claim.
	GroupRates string `json:"groupRates,omitempty"`
}

// manySummary is "checked 5 attestations: 4 valid, 1 invalid", with the
// unreadable ones when there are any, and the valid ones that prove less:
// single-party keys, a ceremony claimed but not checked (the same caveat),
// a benchmark not recomputed.
func manySummary(s verifyManyJSON) string {
	line := fmt.Sprintf("checked %d attestations: %d valid, %d invalid", s.Checked, s.Valid, s.Invalid)
	if s.Unreadable > 0 {
		line += fmt.Sprintf(", %d unreadable", s.Unreadable)
	}
	var caveats []string
	if s.SingleParty > 0 {
		caveats = append(caveats, fmt.Sprintf("%d with single-party keys (forgeable by whoever made them)", s.SingleParty))
	}
	if s.CeremonyNotChecked > 0 {
		caveats = append(caveats, fmt.Sprintf("%d with a ceremony claimed, not checked (as forgeable, as far as this run knows)", s.CeremonyNotChecked))
	}
	if s.Unchecked > 0 {
		caveats = append(caveats, fmt.Sprintf("%d whose benchmark was not recomputed", s.Unchecked))
	}
	if len(caveats) > 0 {
		line += "; of the valid: " + strings.Join(caveats, ", ")
	}
	return line
}

// failureReason is err's message without the "invalid attestation: FILE: "
// that the summary line already says.
func failureReason(file string, err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, verifier.ErrInvalid.Error()+": ")
	msg = strings.TrimPrefix(msg, file+": ")
	return msg
}

func validJSON(file string, cf *checkedFile) verifyJSON {
	res := cf.res
	p := res.Statement.Predicate
	var claims []claimJSON
	for _, c := range res.Claims {
		cj := claimJSON{Claim: c.Text, Holds: true, Hidden: c.Hidden, Value: "hidden", Meaning: c.Words, DeterminedByRevealed: c.Determined}
		if !c.Hidden {
			d := claim.FormatRat(c.Value)
			cj.Value, cj.Decimal, cj.DecimalExact, cj.Counts, cj.GroupRates = c.Value.RatString(), strings.TrimPrefix(d, "≈"), !strings.HasPrefix(d, "≈"), c.Counts, c.Rates
		}
		claims = append(claims, cj)
	}
	return verifyJSON{
		Valid: true, File: file, ModelCommitment: p.Model.Commitment, Benchmark: p.Benchmark, BenchmarkChecked: &res.BenchmarkChecked,
		OfficialData: verifier.OfficialData(p.Benchmark.Name, p.Benchmark.Split, p.Benchmark.Samples, p.Benchmark.Digest["sha256"]),
		Claims:       claims, ProofSystem: "groth16/bn254", ProofTarget: res.Target, VerifyingKey: res.VerifyingKeySHA256, ConstraintSystem: p.Circuit.ConstraintSystem["sha256"],
		SetupKind: p.Setup.Kind, SetupStatus: res.Setup.Status, Setup: res.Setup,
		Stated:   &statedJSON{SubjectName: res.Statement.Subject[0].Name, ModelName: p.Model.Name, Producer: p.Producer, ProvedAt: p.ProvedAt.Format("2006-01-02T15:04:05Z07:00")},
		SignedBy: cf.signedBy, Log: cf.log, Warnings: res.Warnings, Seconds: res.Elapsed.Seconds(),
	}
}

func printVerify(w io.Writer, file string, cf *checkedFile) {
	res := cf.res
	p := res.Statement.Predicate
	// File names may come from a glob over a directory someone else fills.
	fmt.Fprintf(w, "VALID  %s\n", printable(file))
	fmt.Fprintf(w, "  model commitment  %s (%s)\n", p.Model.Commitment, p.Model.CommitmentScheme)
	// The names are the attestation's words: no proof covers them
	// (verifier.Verify refuses unprintable ones).
	name := res.Statement.Subject[0].Name
	if p.Model.Name != "" && p.Model.Name != name {
		name = fmt.Sprintf("%s (subject), %s (predicate.model.name)", name, p.Model.Name)
	}
	fmt.Fprintf(w, "  model name        %s (as stated by the attestation; no proof covers a name)\n", name)
	sh := p.Circuit.Public.Shape
	fmt.Fprintf(w, "  model shape       %s\n", sh.String())
	how := "name and split as stated by the attestation; digest not recomputed: pass --benchmark FILE to check it"
	if res.BenchmarkChecked {
		how = "recomputed from the file given"
	}
	fmt.Fprintf(w, "  benchmark         %s/%s, all %d samples, sha256 %s (%s)\n", p.Benchmark.Name, p.Benchmark.Split, p.Benchmark.Samples, p.Benchmark.Digest["sha256"], how)
	if od := verifier.OfficialData(p.Benchmark.Name, p.Benchmark.Split, p.Benchmark.Samples, p.Benchmark.Digest["sha256"]); od != "" {
		fmt.Fprintf(w, "  official data     %s\n", od)
	}
	printClaims(w, res.Claims, "exact value hidden", "")
	fmt.Fprintf(w, "  proof system      Groth16 over BN254, %d-byte proof, circuit %s… (%d constraints, as stated)\n", len(p.Proof.Bytes), p.Circuit.ID[:16], p.Circuit.Constraints)
	csHow := "as stated; --transcript recompiles the circuit and checks it"
	if res.Setup.TranscriptChecked {
		csHow = "recompiled: the transcript's"
	}
	fmt.Fprintf(w, "  constraint system sha256 %s (%s)\n", p.Circuit.ConstraintSystem["sha256"], csHow)
	fmt.Fprintf(w, "  proof target      %s\n", targetWords(res.Target))
	fmt.Fprintf(w, "  verifying key     sha256 %s\n", res.VerifyingKeySHA256)
	printSetup(w, res.Setup)
	if cf.signedBy != "" {
		fmt.Fprintf(w, "  signature         statement signed by key %s\n", cf.signedBy)
	}
	printLog(w, cf.log)
	fmt.Fprintf(w, "  verified in       %.2f ms (pairing check %.2f ms)\n", float64(res.Elapsed.Microseconds())/1000, float64(res.PairingTime.Microseconds())/1000)
}

// printSetup writes the setup status: what it is, what it rests on, and
// the beacons with their sources.
func printSetup(w io.Writer, s *verifier.Setup) { printSetupAs(w, "setup", s) }

// printSetupAs is printSetup under another label.
func printSetupAs(w io.Writer, label string, s *verifier.Setup) {
	const indent = "                    "
	switch s.Status {
	case verifier.SetupSingleParty:
		fmt.Fprintf(w, "  %-18ssingle-party (development only: whoever ran the setup can forge proofs)\n", label)
	case verifier.SetupCeremonyClaimed:
		fmt.Fprintf(w, "  %-18sceremony claimed, NOT CHECKED: %s\n", label, printable(s.Reason))
	case verifier.SetupCeremonyChecked:
		fmt.Fprintf(w, "  %-18sceremony, checked: transcript sha256 %s\n", label, s.TranscriptSHA256)
		fmt.Fprintf(w, "%strusted contributors: %s\n", indent, printable(strings.Join(s.TrustedContributors, ", ")))
		fmt.Fprintf(w, "%s%s\n", indent, printable(s.Reason))
	}
	for _, b := range s.Beacons {
		fmt.Fprintf(w, "%sbeacon closing %s: %s\n", indent, b.Closes, beaconLine(b))
	}
}

// beaconLine writes a beacon, its source and whether anyone can check it.
// Both come from the transcript: unprintable runes are escaped.
func beaconLine(b ceremony.BeaconInfo) string {
	hex := b.Beacon
	if len(hex) > 24 {
		hex = hex[:24] + "…"
	}
	src := "no source recorded"
	if b.Source != "" {
		src = "source " + printable(b.Source)
	}
	check := "NOT CHECKABLE: " + b.How
	if b.Checkable {
		check = "checkable: " + b.How
	}
	if b.Early {
		check += "; but that round was public before the last contribution of its phase, so it was not unknown to that contributor"
	}
	return fmt.Sprintf("%s, %s (%s)", hex, src, printable(check))
}

// failedCheckJSON is a verifier.CheckError in verify --json.
type failedCheckJSON struct {
	Check    string `json:"check"`
	Expected string `json:"expected,omitempty"`
	Actual   string `json:"actual,omitempty"`
}

// invalidJSON is the --json result of an attestation that failed: the
// error, and its evidence when the verifier gave one.
func invalidJSON(file string, err error) verifyJSON {
	v := verifyJSON{Valid: false, File: file, Error: err.Error()}
	var ce *verifier.CheckError
	if errors.As(err, &ce) {
		v.FailedCheck = &failedCheckJSON{Check: ce.Check, Expected: ce.Expected, Actual: ce.Actual}
	}
	return v
}

// printClaims prints verify's lines for each claim that holds: its value
// and counts (countsNote, when set, follows the counts), or hiddenHow for a
// hidden value the other claims do not determine; then its words and
// rates.
func printClaims(w io.Writer, claims []verifier.ClaimResult, hiddenHow, countsNote string) {
	for _, c := range claims {
		if c.Hidden {
			how := hiddenHow
			if c.Determined {
				how = "value not published, but the counts the other claims reveal determine it"
			}
			fmt.Fprintf(w, "  claim             %s: holds; %s\n", c.Text, how)
		} else {
			var counts []string
			for _, n := range c.Counts {
				counts = append(counts, fmt.Sprintf("%s = %d", n.Name, n.Value))
			}
			fmt.Fprintf(w, "  claim             %s: holds; value %s = %s (%s%s)\n", c.Text, claim.FormatRat(c.Value), c.Value.RatString(), strings.Join(counts, ", "), countsNote)
		}
		fmt.Fprintf(w, "                    %s\n", c.Words)
		if c.Rates != "" {
			fmt.Fprintf(w, "                    %s\n", c.Rates)
		}
	}
}
