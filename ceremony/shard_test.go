package ceremony

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/internal/testfixture"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/metric"
	"github.com/zkeval/zkeval/shard"
)

// TestShardCeremony runs the ceremony of a shard circuit (shards of 2
// samples of a 5-sample benchmark, a hidden accuracy claim) and of
// its totals circuit on the shard ceremony's phase 1: both rebuild from
// their transcripts alone, seal into one shard keys directory, and are
// refused for another shard size, another circuit kind, or a keys
// directory of another shard circuit.
func TestShardCeremony(t *testing.T) {
	m := testfixture.Model(1)
	b := testfixture.Benchmark(m, 3, 5)
	c, err := claim.Parse("accuracy >= 0")
	require.NoError(t, err)
	shapes := []claim.Shape{c.Shape(false)}
	sspec, err := circuits.NewShardSpec(m, b, shapes, 2)
	require.NoError(t, err)
	require.NotEmpty(t, sspec.Hidden())
	td, err := desc.NewTotals(sspec.Desc, shard.Count(b.Len(), 2), metric.NewLabels(b.Labels, nil, len(b.ClassNames), len(b.GroupNames)))
	require.NoError(t, err)
	tspec, err := circuits.NewTotalsSpec(td)
	require.NoError(t, err)

	tmp := t.TempDir()
	sdir, tdir, kdir := filepath.Join(tmp, "shard"), filepath.Join(tmp, "totals"), filepath.Join(tmp, "keys")
	man, err := Init(sspec, sdir, InitOptions{})
	require.NoError(t, err)
	require.NotNil(t, man.Circuit.Shard)
	require.Nil(t, man.Circuit.Public)
	contribute(t, sdir, "lab")
	_, err = StartPhase2(sspec, sdir, beacon1, "test", Phase2Options{})
	require.NoError(t, err)
	contribute(t, sdir, "lab")
	res, err := Seal(sspec, sdir, beacon2, "test", kdir, SealOptions{})
	require.NoError(t, err)
	require.NotNil(t, res.ShardMeta)
	require.Equal(t, keys.Ceremony, res.ShardMeta.SetupKind)
	require.Equal(t, res.Report.ManifestSHA256, res.ShardMeta.Transcript["sha256"])
	require.Nil(t, res.ShardMeta.Totals)

	// The transcript alone rebuilds the shard circuit; the keys check.
	rm, _, err := ReadManifest(sdir)
	require.NoError(t, err)
	target, err := TargetFromManifest(rm)
	require.NoError(t, err)
	rep, err := Verify(target, sdir, VerifyOptions{KeysDir: kdir, Trusted: trusting("lab")})
	require.NoError(t, err)
	require.True(t, rep.KeysChecked)
	require.True(t, rep.Trust.Checked)

	// Another shard size is another circuit, and the error says so.
	other, err := circuits.NewShardSpec(m, b, shapes, 3)
	require.NoError(t, err)
	_, err = Verify(other, sdir, VerifyOptions{})
	require.ErrorIs(t, err, ErrInvalid)
	require.ErrorContains(t, err, "another shard size: the transcript's shards hold 2 samples, the ones given 3")
	_, err = Verify(tspec, sdir, VerifyOptions{})
	require.ErrorContains(t, err, "the transcript is for a shard circuit, the description given is of a totals circuit")

	// The totals circuit's ceremony on the shard ceremony's phase 1,
	// sealed into the same keys directory.
	tm, err := Init(tspec, tdir, InitOptions{Phase1From: sdir})
	require.NoError(t, err)
	require.NotNil(t, tm.Circuit.Totals)
	require.Equal(t, StagePhase2, tm.Stage())
	contribute(t, tdir, "lab")
	tres, err := Seal(tspec, tdir, beacon2, "test", kdir, SealOptions{})
	require.NoError(t, err)
	sm, err := keys.ReadShardMeta(kdir)
	require.NoError(t, err)
	require.Equal(t, keys.Ceremony, sm.TotalsSetupKind)
	require.Equal(t, tres.Report.ManifestSHA256, sm.TotalsTranscript["sha256"])
	require.Equal(t, res.Report.ManifestSHA256, sm.Transcript["sha256"], "the shard keys are left as they were")
	_, err = Verify(tspec, tdir, VerifyOptions{KeysDir: kdir})
	require.NoError(t, err)
	_, err = Verify(sspec, sdir, VerifyOptions{KeysDir: kdir})
	require.NoError(t, err)

	// A totals key file altered after the seal is found.
	vk := filepath.Join(kdir, keys.TotalsVerifyingKeyFile)
	data, err := os.ReadFile(vk)
	require.NoError(t, err)
	data[len(data)-1] ^= 1
	require.NoError(t, os.WriteFile(vk, data, 0o644))
	_, err = Verify(tspec, tdir, VerifyOptions{KeysDir: kdir})
	require.ErrorIs(t, err, ErrInvalid)

	// The totals keys go only into the keys of their shard circuit.
	okeys := filepath.Join(tmp, "other-keys")
	_, err = keys.SetupShards(other, nil, okeys, nil)
	require.NoError(t, err)
	_, err = Seal(tspec, tdir, beacon2, "test", okeys, SealOptions{})
	require.ErrorContains(t, err, "but this totals circuit follows shard circuit")
}
