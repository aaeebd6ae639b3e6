package ceremony

import (
	"encoding/hex"
	"errors"
	"path/filepath"
	"reflect"
	"time"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/internal/safefile"
	"github.com/zkeval/zkeval/keys"
)

// VerifyOptions tunes Verify.
type VerifyOptions struct {
	Options
	// Beacon, when set, must be the beacon the transcript was sealed with.
	Beacon []byte
	// KeysDir, when set, must hold the keys the transcript sealed, with
	// setup kind "ceremony" and the transcript digest.
	KeysDir string
	// Trusted are the participants the verifier trusts; Report.Trust says
	// which contributions they signed.
	Trusted []Participant
}

// Report is a verified transcript.
type Report struct {
	Dir      string
	Manifest *Manifest
	Stage    Stage
	// ManifestSHA256 is the SHA-256 of ceremony.json: the transcript digest
	// once sealed.
	ManifestSHA256     string
	VerifyingKeySHA256 string // sealed transcripts only
	ProvingKeySHA256   string // sealed transcripts only
	ProvingKeyBytes    int64  // sealed transcripts only
	// ConstraintSystemSHA256 is the SHA-256 of the recompiled constraint
	// system, which the transcript records.
	ConstraintSystemSHA256 string
	KeysChecked            bool // VerifyOptions.KeysDir was checked
	// Trust says which contributions are signed by a key in
	// VerifyOptions.Trusted, and whether that makes the ceremony checked.
	Trust *Trust
	// Phase1Beacon and SealBeacon describe the beacons that closed the
	// phases, when they are closed.
	Phase1Beacon, SealBeacon *BeaconInfo
	Elapsed                  time.Duration
}

// TranscriptSHA256 returns the transcript digest, or "" before the seal.
func (r *Report) TranscriptSHA256() string {
	if r.Stage != StageSealed {
		return ""
	}
	return r.ManifestSHA256
}

// Verify checks the ceremony transcript in dir against the circuit of spec,
// at whatever stage it is (see the package documentation for the checks).
// It returns an error wrapping ErrInvalid when anything does not check; a
// failing contribution is reported as a *ContributionError naming its index,
// phase, participant and file.
func Verify(spec Target, dir string, opt VerifyOptions) (*Report, error) {
	t0 := time.Now()
	if err := checkSpec(spec); err != nil {
		return nil, err
	}
	m, data, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	if opt.Beacon != nil {
		if m.Seal == nil {
			return nil, invalid("the transcript is not sealed (%s), so it has no beacon to compare", m.Stage())
		}
		if got := hex.EncodeToString(opt.Beacon); got != m.Seal.Beacon {
			return nil, invalid("wrong beacon: the transcript was sealed with beacon %s, not with the beacon given, %s", m.Seal.Beacon, got)
		}
	}
	st, err := check(dir, m, data, checkParams{spec: spec, pr: opt.Progress, opt: opt.Options})
	if err != nil {
		return nil, err
	}
	rep := st.report()
	if opt.KeysDir != "" {
		if err := checkKeys(opt.KeysDir, st, rep); err != nil {
			return nil, err
		}
		rep.KeysChecked = true
	}
	rep.Trust = Assess(m, opt.Trusted)
	rep.Phase1Beacon, rep.SealBeacon = Beacons(m)
	rep.Elapsed = time.Since(t0)
	return rep, nil
}

// Beacons describes the beacons of m that closed its phases (nil for a
// phase not closed), each against the signed time of the last
// contribution of its phase.
func Beacons(m *Manifest) (phase1, seal *BeaconInfo) {
	var last [3]time.Time
	for _, c := range m.Contributions {
		last[c.Phase] = c.Time
	}
	if m.Phase1.Beacon != "" {
		b := DescribeBeacon(m.Phase1.Beacon, m.Phase1.BeaconSource, last[1])
		b.Closes = "phase 1"
		phase1 = &b
	}
	if m.Seal != nil {
		b := DescribeBeacon(m.Seal.Beacon, m.Seal.BeaconSource, last[2])
		b.Closes = "phase 2"
		seal = &b
	}
	return phase1, seal
}

// SpecFromPublic rebuilds a circuit spec from a published circuit
// description (a transcript's or an attestation's) and the benchmark, whose
// digest and size must be the ones the description names. The model's
// weights are not needed: the circuit depends only on its public shape and
// accumulator widths. Errors wrap ErrInvalid.
func SpecFromPublic(pub circuits.Public, b *benchmark.Benchmark) (*circuits.Spec, error) {
	if pub.Version != circuits.Version {
		return nil, invalid("circuit version %q; this zkeval builds %q", pub.Version, circuits.Version)
	}
	d, err := b.Digest()
	if err != nil {
		return nil, err
	}
	if hex.EncodeToString(d[:]) != pub.BenchmarkDigest {
		return nil, invalid("the benchmark given (%s) has SHA-256 %x, but the circuit evaluates benchmark %s: another benchmark", b.String(), d, pub.BenchmarkDigest)
	}
	spec := &circuits.Spec{Bench: b, Digest: d}
	copyPublic(spec, pub)
	if err := spec.Validate(); err != nil {
		return nil, invalid("%v", err)
	}
	if got, want := spec.ID(), pub.ID(); got != want {
		return nil, invalid("the circuit description does not rebuild to itself (id %x, want %x)", got, want)
	}
	return spec, nil
}

// copyPublic sets every field of spec that Public has under the same name
// and type (the model shape, accumulator widths, gadget choices and claim
// shape): Spec.Public is this copy's inverse, which SpecFromPublic checks
// through the circuit id.
func copyPublic(spec *circuits.Spec, pub circuits.Public) {
	dst, src := reflect.ValueOf(spec).Elem(), reflect.ValueOf(pub)
	for i := 0; i < dst.NumField(); i++ {
		f := dst.Type().Field(i)
		if v := src.FieldByName(f.Name); v.IsValid() && v.Type().AssignableTo(f.Type) && f.IsExported() {
			dst.Field(i).Set(v)
		}
	}
}

// CheckKeyProvenance checks that vkData, the verifying key of attestation
// st, was sealed by the ceremony transcript in dir: the transcript verifies
// for st's circuit (recompiled from its published description and the
// benchmark b), and Vouches for st and vkData. The report's Trust says
// which contributions opt.Trusted signed. Errors wrap ErrInvalid.
func CheckKeyProvenance(dir string, st *attestation.Statement, b *benchmark.Benchmark, vkData []byte, opt VerifyOptions) (*Report, error) {
	if err := CheckSetupRecord(st); err != nil {
		return nil, err
	}
	rep, err := VerifyPublic(dir, st.Predicate.Circuit.Public, b, opt)
	if err != nil {
		return nil, err
	}
	if err := rep.Vouches(st, vkData); err != nil {
		return nil, err
	}
	return rep, nil
}

// CheckSetupRecord checks that attestation st says its keys come from a
// ceremony and names its transcript by SHA-256 alone.
func CheckSetupRecord(st *attestation.Statement) error {
	setup := st.Predicate.Setup
	if setup.Kind != keys.Ceremony {
		return invalid("the attestation records setup kind %q, so it names no ceremony transcript", setup.Kind)
	}
	if setup.Transcript["sha256"] == "" || len(setup.Transcript) != 1 {
		return invalid("the attestation records a ceremony but not its transcript digest alone ({\"sha256\": ...})")
	}
	return nil
}

// VerifyPublic verifies the transcript in dir for the circuit that the
// published description pub and the benchmark b make (SpecFromPublic).
func VerifyPublic(dir string, pub circuits.Public, b *benchmark.Benchmark, opt VerifyOptions) (*Report, error) {
	spec, err := SpecFromPublic(pub, b)
	if err != nil {
		return nil, err
	}
	return Verify(spec, dir, opt)
}

// Vouches checks that the sealed transcript of rep, verified for the circuit
// of attestation st, vouches for st made with verifying key vkData: st names
// the constraint system the circuit compiles to, vkData is the sealed
// verifying key, and st names this transcript. Errors wrap ErrInvalid.
func (rep *Report) Vouches(st *attestation.Statement, vkData []byte) error {
	if err := CheckSetupRecord(st); err != nil {
		return err
	}
	if rep.Stage != StageSealed {
		return invalid("the transcript in %s is not sealed (%s)", rep.Dir, rep.Stage)
	}
	if got := st.Predicate.Circuit.ConstraintSystem["sha256"]; got != rep.ConstraintSystemSHA256 {
		return invalid("the attestation names constraint system %s, but its circuit compiles to %s, the one the transcript in %s records", got, rep.ConstraintSystemSHA256, rep.Dir)
	}
	if got := keys.Digest(vkData); got != rep.VerifyingKeySHA256 {
		return invalid("the verifying key given has SHA-256 %s, but the ceremony in %s sealed verifying key %s", got, rep.Dir, rep.VerifyingKeySHA256)
	}
	if want := st.Predicate.Setup.Transcript["sha256"]; want != rep.ManifestSHA256 {
		return invalid("the attestation names transcript %s, but %s has SHA-256 %s", want, filepath.Join(rep.Dir, ManifestFile), rep.ManifestSHA256)
	}
	return nil
}

// checkKeys checks that the keys directory dir is exactly what the sealed
// transcript yields: every field of its circuit.json, and the size and
// SHA-256 of each of its files (constraint system, proving key, verifying
// key), each read only if it is a regular file of the expected size.
func checkKeys(dir string, st *state, rep *Report) error {
	if rep.Stage != StageSealed {
		return invalid("the transcript is not sealed (%s); it has no keys to compare", rep.Stage)
	}
	m := rep.Manifest
	vkSHA, vkBytes, err := streamDigestN(st.vk.WriteTo)
	if err != nil {
		return err
	}
	csSHA, csBytes := st.csSHA, st.csBytes
	if m.Circuit.Public == nil {
		return checkShardKeys(dir, st, rep, csSHA, vkSHA, vkBytes)
	}
	metaPath := filepath.Join(dir, keys.MetaFile)
	data, err := safefile.ReadFile(metaPath, keys.MaxMetaBytes, "keys description")
	if errors.Is(err, safefile.ErrNotRegular) || errors.Is(err, safefile.ErrTooLarge) {
		return invalid("%v", err)
	}
	if err != nil {
		return err
	}
	meta, err := keys.ParseMeta(data, metaPath)
	if err != nil {
		return invalid("%v", err)
	}
	want := &keys.Meta{Format: keys.MetaFormat, CircuitID: m.Circuit.ID, Public: *m.Circuit.Public, Constraints: m.Circuit.Constraints,
		PublicInputs: st.r1cs.GetNbPublicVariables() - 1, SetupKind: keys.Ceremony, Transcript: map[string]string{"sha256": rep.ManifestSHA256},
		Files: map[string]string{keys.ConstraintsFile: csSHA, keys.ProvingKeyFile: rep.ProvingKeySHA256, keys.VerifyingKeyFile: vkSHA}}
	if d := keys.MetaDiff(meta, want); d != "" {
		return invalid("keys %s: %s does not describe the keys this transcript sealed: %s", dir, keys.MetaFile, d)
	}
	return checkKeyFiles(dir, [3]string{keys.ConstraintsFile, keys.ProvingKeyFile, keys.VerifyingKeyFile}, [3]string{csSHA, rep.ProvingKeySHA256, vkSHA}, [3]int64{csBytes, rep.ProvingKeyBytes, vkBytes})
}
