package main

import (
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	"sigs.k8s.io/yaml"

	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/internal/testfixture"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/prover"
)

// readJob decodes deploy/shards-job.yaml strictly into the Kubernetes
// batch/v1 Job type.
func readJob(t *testing.T) *batchv1.Job {
	data, err := os.ReadFile("../../deploy/shards-job.yaml")
	require.NoError(t, err)
	var job batchv1.Job
	require.NoError(t, yaml.UnmarshalStrict(data, &job), "the manifest holds a field the batch/v1 Job type does not have")
	return &job
}

// flagValues parses args with a fresh prove command and returns every flag
// it sets, by name.
func flagValues(t *testing.T, args []string) map[string][]string {
	root := newRootCmd()
	cmd, rest, err := root.Find(args)
	require.NoError(t, err)
	require.Equal(t, "prove", cmd.Name())
	require.NoError(t, cmd.ParseFlags(rest))
	require.Empty(t, cmd.Flags().Args(), "prove takes no positional argument")
	out := map[string][]string{}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			out[f.Name] = sv.GetSlice()
		} else {
			out[f.Name] = []string{f.Value.String()}
		}
	})
	return out
}

// TestDeployManifest: the Indexed Job of deploy/ is a valid batch/v1 Job
// whose pod i runs `zkeval prove ... --shard i`; that command line is
// accepted by the CLI, proves shard i of a fixture laid out as the
// manifest's volume, and is the command the local runner (--shards)
// starts for shard i.
func TestDeployManifest(t *testing.T) {
	job := readJob(t)
	require.Equal(t, "Job", job.Kind)
	require.Equal(t, "batch/v1", job.APIVersion)
	require.NotNil(t, job.Spec.CompletionMode)
	require.Equal(t, batchv1.IndexedCompletion, *job.Spec.CompletionMode)
	require.NotNil(t, job.Spec.Completions)
	require.Equal(t, "Never", string(job.Spec.Template.Spec.RestartPolicy))
	require.Len(t, job.Spec.Template.Spec.Containers, 1)
	c := job.Spec.Template.Spec.Containers[0]
	require.Equal(t, []string{"zkeval"}, c.Command)
	require.Contains(t, c.Args, "$(JOB_COMPLETION_INDEX)")
	mount := c.VolumeMounts[0].MountPath

	// The fixture, under the names the manifest uses, in a directory that
	// stands for the shared volume.
	vol := t.TempDir()
	path := func(p string) string { return filepath.Join(vol, strings.TrimPrefix(p, mount)) }
	args := slices.Clone(c.Args)
	for i, a := range args {
		if strings.HasPrefix(a, mount+"/") {
			args[i] = path(a)
		}
		// What the kubelet expands for pod 1.
		args[i] = strings.ReplaceAll(args[i], "$(JOB_COMPLETION_INDEX)", "1")
	}
	// The manifest's claim is an example; prove --shard checks it over the
	// whole benchmark first, so the fixture (5 of 8 correct) gets a
	// threshold of the same shape that holds there.
	for i := range args[:len(args)-1] {
		if args[i] == "--claim" && strings.HasPrefix(args[i+1], "accuracy >= ") {
			args[i+1] = "accuracy >= 0.5"
		}
	}
	v := flagValues(t, args)
	m := testfixture.Model(1)
	b := testfixture.Benchmark(m, 1, 8)
	require.NoError(t, model.WriteFile(v["model"][0], m, nil))
	data, err := b.MarshalBinary()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(v["benchmark"][0], data, 0o644))
	salt := big.NewInt(99)
	cm, err := commitment.Commit(m, salt)
	require.NoError(t, err)
	require.NoError(t, commitment.WriteFiles(filepath.Join(vol, "c.json"), v["opening"][0], m, salt, cm))
	var shapes []claim.Shape
	for _, s := range v["claim"] {
		cl, err := claim.Parse(s)
		require.NoError(t, err)
		shapes = append(shapes, cl.Shape(true))
	}
	spec, err := circuits.NewShardSpec(m, b, shapes, 3)
	require.NoError(t, err)
	_, err = keys.SetupShards(spec, nil, v["keys"][0], nil)
	require.NoError(t, err)

	// Pod 1's command line, run by the CLI.
	root := newRootCmd()
	root.SetArgs(args)
	var out strings.Builder
	root.SetOut(&out)
	require.NoError(t, root.Execute())
	f := filepath.Join(v["output"][0], prover.ShardFileName(1))
	_, err = os.Stat(f)
	require.NoError(t, err, "pod 1 wrote no %s", f)

	// The local runner starts the same command for shard 1.
	local := newRootCmd()
	runnerArgs := slices.DeleteFunc(slices.Clone(args), func(s string) bool { return s == "1" || s == "--shard" })
	runnerArgs = append(runnerArgs, "--shards", "all", "--parallel", "2")
	cmd, rest, err := local.Find(runnerArgs)
	require.NoError(t, err)
	require.NoError(t, cmd.ParseFlags(rest))
	require.Equal(t, flagValues(t, args), flagValues(t, childArgs(cmd, 1)))
}
