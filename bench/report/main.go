// Command report turns the raw measurements of bench/run.sh into
// BENCHMARKS.md on standard output.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/circuits"
)

type run struct {
	wall float64
	rss  int64 // KiB
}

func main() {
	out := flag.String("out", "bench/out", "directory of raw measurements")
	sizes := flag.String("sizes", "1000 10000", "benchmark sizes measured")
	runs := flag.Int("runs", 3, "prove runs per size")
	vruns := flag.Int("vruns", 5, "verify runs per size")
	note := flag.String("note", "", "a remark on the conditions of the run, printed under the title")
	flag.Parse()
	if err := report(*out, strings.Fields(*sizes), *runs, *vruns, *note); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

func readTimes(dir string) (map[string]run, error) {
	f, err := os.Open(filepath.Join(dir, "times.txt"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := map[string]run{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Fields(sc.Text())
		if len(p) != 3 {
			continue
		}
		w, _ := strconv.ParseFloat(p[1], 64)
		r, _ := strconv.ParseInt(p[2], 10, 64)
		m[p[0]] = run{w, r}
	}
	return m, sc.Err()
}

// phase extracts "NAME done in X s" from a progress log.
func phase(path, name string) (float64, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	re := regexp.MustCompile(regexp.QuoteMeta(name) + ` done in ([0-9.]+) s`)
	m := re.FindSubmatch(data)
	if m == nil {
		return 0, false
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v, true
}

func stats(v []float64) (min, med, max float64) {
	if len(v) == 0 {
		return 0, 0, 0
	}
	s := append([]float64{}, v...)
	sort.Float64s(s)
	return s[0], s[len(s)/2], s[len(s)-1]
}

func fmtStats(v []float64, unit string, scale float64) string {
	if len(v) == 0 {
		return "n/a"
	}
	a, b, c := stats(v)
	if len(v) == 1 {
		return fmt.Sprintf("%.2f %s (1 run)", b*scale, unit)
	}
	return fmt.Sprintf("%.2f %s (min %.2f, max %.2f; %d runs)", b*scale, unit, a*scale, c*scale, len(v))
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return -1
	}
	return st.Size()
}

func sh(cmd string) string {
	b, err := exec.Command("sh", "-c", cmd).Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}

func mib(kib int64) string { return fmt.Sprintf("%.0f MiB", float64(kib)/1024) }

func report(dir string, sizes []string, runs, vruns int, note string) error {
	times, err := readTimes(dir)
	if err != nil {
		return err
	}
	w := os.Stdout
	fmt.Fprintf(w, "# Benchmarks\n\n")
	fmt.Fprintf(w, "Produced by `make bench` (`bench/run.sh`, then `go run ./bench/report`). Every figure is a whole-process measurement with GNU time (`/usr/bin/time -f \"%%e %%M\"`): wall seconds and peak resident set size.\n\n")
	if note != "" {
		fmt.Fprintf(w, "%s\n\n", note)
	}
	fmt.Fprintf(w, "## Machine\n\n")
	fmt.Fprintf(w, "- CPU: %s, %s cores visible (`nproc`)\n", sh(`grep -m1 'model name' /proc/cpuinfo | cut -d: -f2`), sh("nproc"))
	fmt.Fprintf(w, "- Memory: %s\n", sh(`awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo`))
	fmt.Fprintf(w, "- Go: %s; gnark v0.16.1, gnark-crypto v0.21.0\n", runtime.Version())
	fmt.Fprintf(w, "- OS: %s\n\n", sh("uname -sr"))

	fmt.Fprintf(w, "## Model and data\n\n")
	if data, err := os.ReadFile(filepath.Join(dir, "import.out")); err == nil {
		fmt.Fprintf(w, "`zkeval model import testdata/models/mnist_mlp_784_56_10.onnx --benchmark mnist-test-10000.bench` (all 10,000 official MNIST test images):\n\n```\n%s```\n\n", data)
	}

	for _, n := range sizes {
		fmt.Fprintf(w, "## %s official MNIST test images\n\n", n)
		fmt.Fprintf(w, "Commands (`B=bench/out`):\n\n```sh\nzkeval benchmark import mnist --split test --limit %s -o $B/mnist-test-%s.bench\nzkeval circuit --model $B/mlp.zkm --benchmark $B/mnist-test-%s.bench --json\nzkeval setup   --model $B/mlp.zkm --benchmark $B/mnist-test-%s.bench -o $B/keys-%s\nzkeval prove   --model $B/mlp.zkm --opening $B/mlp.opening.json --benchmark $B/mnist-test-%s.bench --keys $B/keys-%s --claim \"accuracy >= 0.95\" -o $B/attestation-%s.json\nzkeval verify  $B/attestation-%s.json --vk $B/keys-%s/verifying.key --json\n```\n\n", n, n, n, n, n, n, n, n, n, n)

		var bd struct {
			Public      circuits.Public    `json:"public"`
			Constraints circuits.Breakdown `json:"constraints"`
		}
		if data, err := os.ReadFile(filepath.Join(dir, "circuit-"+n+".out")); err == nil {
			if err := json.Unmarshal(data, &bd); err != nil {
				return fmt.Errorf("circuit-%s.out: %w", n, err)
			}
			c := bd.Constraints
			fmt.Fprintf(w, "Circuit: %d constraints (%.1f per sample), %d wires; accumulator bits %v, ReLU gadgets %v, range-check table 2^%d.\n\n", c.Total, float64(c.Total)/float64(c.Samples), c.Wires, bd.Public.AccBits, bd.Public.ReLU, bd.Public.RangeBase)
			fmt.Fprintf(w, "| gadget | constraints | per sample |\n|---|---:|---:|\n")
			for _, r := range c.Gadgets() {
				fmt.Fprintf(w, "| %s | %d | %.1f |\n", r.Gadget, r.Constraints, float64(r.Constraints)/float64(c.Samples))
			}
			fmt.Fprintf(w, "| **total** | **%d** | **%.1f** |\n\n", c.Total, float64(c.Total)/float64(c.Samples))
			var widths []string
			for k, v := range c.RangeChecks {
				widths = append(widths, fmt.Sprintf("%d × %s", v, k))
			}
			sort.Strings(widths)
			fmt.Fprintf(w, "Range checks: %s.\n\n", strings.Join(widths, ", "))
		}

		fmt.Fprintf(w, "| phase | wall time | peak RSS |\n|---|---|---|\n")
		if r, ok := times["circuit-"+n]; ok {
			fmt.Fprintf(w, "| compile with constraint profile (`zkeval circuit`) | %.1f s | %s |\n", r.wall, mib(r.rss))
		}
		if r, ok := times["setup-"+n]; ok {
			cs, _ := phase(filepath.Join(dir, "setup-"+n+".err"), "compile")
			st, _ := phase(filepath.Join(dir, "setup-"+n+".err"), "setup (single-party Groth16)")
			wr, _ := phase(filepath.Join(dir, "setup-"+n+".err"), "write keys")
			fmt.Fprintf(w, "| setup, whole command (1 run) | %.1f s (compile %.1f s, Groth16 setup %.1f s, write keys %.1f s) | %s |\n", r.wall, cs, st, wr, mib(r.rss))
		}
		var pw, pp, pl []float64
		var prss []float64
		for i := 1; i <= runs; i++ {
			name := fmt.Sprintf("prove-%s-%d", n, i)
			if r, ok := times[name]; ok {
				pw = append(pw, r.wall)
				prss = append(prss, float64(r.rss))
				if v, ok := phase(filepath.Join(dir, name+".err"), "prove (Groth16, BN254)"); ok {
					pp = append(pp, v)
				}
				if v, ok := phase(filepath.Join(dir, name+".err"), "load keys"); ok {
					pl = append(pl, v)
				}
			}
		}
		fmt.Fprintf(w, "| prove, whole command | %s | %s |\n", fmtStats(pw, "s", 1), fmtStats(prss, "MiB", 1.0/1024))
		fmt.Fprintf(w, "| prove: load keys (streamed, digest-checked) | %s | |\n", fmtStats(pl, "s", 1))
		fmt.Fprintf(w, "| prove: solve and Groth16 prove | %s | |\n", fmtStats(pp, "s", 1))
		var vw, vin []float64
		var vrss []float64
		for i := 1; i <= vruns; i++ {
			name := fmt.Sprintf("verify-%s-%d", n, i)
			if r, ok := times[name]; ok {
				vw = append(vw, r.wall)
				vrss = append(vrss, float64(r.rss))
				var v struct {
					Seconds float64 `json:"seconds"`
				}
				if data, err := os.ReadFile(filepath.Join(dir, name+".out")); err == nil && json.Unmarshal(data, &v) == nil {
					vin = append(vin, v.Seconds)
				}
			}
		}
		fmt.Fprintf(w, "| verify, whole command | %s | %s |\n", fmtStats(vw, "s", 1), fmtStats(vrss, "MiB", 1.0/1024))
		fmt.Fprintf(w, "| verify: checks and pairing, in process | %s | |\n\n", fmtStats(vin, "ms", 1000))
		if rows, total, dur, err := cpuBreakdown(filepath.Join(dir, "prove-"+n+".pprof")); err == nil {
			fmt.Fprintf(w, "Where the prove time goes: CPU profile of prove run 1 (`--cpuprofile`), %.1f s of wall time, %.1f CPU-seconds (%.2f cores busy on average). A sample counts toward the first row, in this order, that names a function of its stack: GC, SHA-256, key decoding, G2 and G1 MSMs, FFTs, Pedersen commitment, solver, native inference.\n\n", dur.Seconds(), total, total/dur.Seconds())
			fmt.Fprintf(w, "| part | CPU seconds | share |\n|---|---:|---:|\n")
			for _, r := range rows {
				fmt.Fprintf(w, "| %s | %.1f | %.0f%% |\n", r.name, r.seconds, 100*r.seconds/total)
			}
			fmt.Fprintf(w, "\n")
		} else if !os.IsNotExist(err) {
			return err
		}
		if n == "10000" {
			pmin, pmed, _ := stats(pw)
			_, rmed, _ := stats(prss)
			_, vmed, _ := stats(vin)
			var cps float64
			if bd.Constraints.Samples > 0 {
				cps = float64(bd.Constraints.Total) / float64(bd.Constraints.Samples)
			}
			setup := times["setup-"+n]
			mark := func(ok bool) string {
				if ok {
					return "met"
				}
				return "missed"
			}
			fmt.Fprintf(w, "Targets for the whole test set (median of the runs above):\n\n| target | measured | |\n|---|---|---|\n")
			fmt.Fprintf(w, "| prove <= 90 s | %.0f s (fastest run %.0f s) | %s |\n", pmed, pmin, mark(pmed <= 90))
			fmt.Fprintf(w, "| prove peak RSS <= 6 GiB | %.1f GiB | %s |\n", rmed/1024/1024, mark(rmed <= 6*1024*1024))
			fmt.Fprintf(w, "| <= 300 constraints per sample | %.1f | %s |\n", cps, mark(cps <= 300))
			if lo, hi, ok := verifyBench(filepath.Join(dir, "verify-bench.txt")); ok {
				fmt.Fprintf(w, "| verify <= 3 ms | %.2f ms in process for the first verification of a `zkeval verify` command (the whole command: see the verify rows above); %.2f to %.2f ms per verification repeated in one process (BenchmarkVerify below) | %s for repeated verification, %s for the first in a process |\n", vmed*1000, lo, hi, mark(hi <= 3), mark(vmed <= 0.003))
			} else {
				fmt.Fprintf(w, "| verify <= 3 ms | %.2f ms in process | %s |\n", vmed*1000, mark(vmed <= 0.003))
			}
			if st, err := attestation.ReadFile(filepath.Join(dir, "attestation-"+n+".json")); err == nil {
				fmt.Fprintf(w, "| proof <= 400 bytes | %d bytes | %s |\n", len(st.Predicate.Proof.Bytes), mark(len(st.Predicate.Proof.Bytes) <= 400))
			}
			fmt.Fprintf(w, "| setup <= 15 min | %.0f min, peak RSS %.1f GiB | %s |\n\n", setup.wall/60, float64(setup.rss)/1024/1024, mark(setup.wall <= 900))
		}

		att := filepath.Join(dir, "attestation-"+n+".json")
		if st, err := attestation.ReadFile(att); err == nil {
			p := st.Predicate
			c := p.Claims[0]
			proven := c.Value
			if len(c.Counts) == 1 && c.Metric == "accuracy" {
				proven = fmt.Sprintf("%d/%d correct", c.Counts[0].Value, p.Benchmark.Samples)
			}
			fmt.Fprintf(w, "Proof: %d bytes (compressed BN254 points). Claim: %s %s %s, proven value %s.\n\n", len(p.Proof.Bytes), c.Metric, c.Comparison, c.Threshold, proven)
		}
		kd := filepath.Join(dir, "keys-"+n)
		fmt.Fprintf(w, "Files: proving key %d bytes (uncompressed), verifying key %d bytes, constraint system %d bytes.\n\n",
			fileSize(filepath.Join(kd, "proving.key")), fileSize(filepath.Join(kd, "verifying.key")), fileSize(filepath.Join(kd, "constraints.r1cs")))
	}
	if data, err := os.ReadFile(filepath.Join(dir, "verify-bench.txt")); err == nil {
		fmt.Fprintf(w, "## Verify in process, repeated\n\n")
		fmt.Fprintf(w, "Groth16 verification costs the same for every circuit with the same public inputs (the accuracy attestations above and the test fixture have 7), so `go test -run XXX -bench BenchmarkVerify -benchtime 200x -count 5 ./verifier` times a whole `verifier.Verify` call (decoding the verifying key with point and subgroup checks, rebuilding the public inputs, the pairing check) on the small fixture, with Go's benchmark loop, after the runs above:\n\n```\n%s```\n\n", data)
	}
	if data, err := os.ReadFile(filepath.Join(filepath.Dir(dir), "extra-results.md")); err == nil {
		fmt.Fprintf(w, "%s", data)
	}
	if data, err := os.ReadFile(filepath.Join(filepath.Dir(dir), "ceremony-results.md")); err == nil {
		fmt.Fprintf(w, "%s", data)
	}
	// Written by bench/solidity.sh.
	if data, err := os.ReadFile(filepath.Join(filepath.Dir(dir), "solidity-results.md")); err == nil {
		fmt.Fprintf(w, "%s", data)
	}
	return nil
}

// verifyBench returns the least and greatest ms/op of the BenchmarkVerify
// lines in path.
func verifyBench(path string) (lo, hi float64, ok bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 && f[3] == "ns/op" {
			v, err := strconv.ParseFloat(f[2], 64)
			if err != nil {
				continue
			}
			ms := v / 1e6
			if !ok || ms < lo {
				lo = ms
			}
			if !ok || ms > hi {
				hi = ms
			}
			ok = true
		}
	}
	return lo, hi, ok
}
