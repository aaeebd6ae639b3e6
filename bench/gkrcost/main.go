// Command gkrcost measures what the shard digest would cost with gnark's
// GKR-based Poseidon2 (std/hash/poseidon2/gkr-poseidon2) against the
// direct Poseidon2 the shard circuit uses (std/hash/poseidon2): the R1CS
// constraints over BN254 of a circuit that hashes E field elements with
// the Merkle–Damgård mode, as the shard digest does, and the compile time
// and peak heap of each. A shard of n MNIST images hashes about 30·n
// elements (docs/shards.md). It also checks that both give the same digest
// on one random input (a solved witness of each).
//
//	go run ./bench/gkrcost [-e 30,300] [-hash direct|gkr]
//
// The GKR variant needs gigabytes of memory even for a few elements
// (measured in docs/shards.md): check free memory before a run.
package main

import (
	"crypto/rand"
	"flag"
	"fmt"
	gohash "hash"
	"log"
	"math/big"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	nativeposeidon2 "github.com/consensys/gnark-crypto/ecc/bn254/fr/poseidon2"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/logger"
	"github.com/consensys/gnark/std/hash"
	"github.com/consensys/gnark/std/hash/poseidon2"
	gkrposeidon2 "github.com/consensys/gnark/std/hash/poseidon2/gkr-poseidon2"
	permposeidon2 "github.com/consensys/gnark/std/permutation/poseidon2"
	"github.com/rs/zerolog"
)

// digest hashes X and asserts the result equals D.
type digest struct {
	X   []frontend.Variable
	D   frontend.Variable `gnark:",public"`
	gkr bool
	// wide, when set, is the width t of a Poseidon2 permutation with
	// gnark-crypto's published BN254 parameters (t = 4, 8, 12, 16: 8 full
	// and 56 or 57 partial rounds) run as the absorb loop of a sponge of
	// rate t-1: what a wider sponge would cost. Neither gnark nor
	// gnark-crypto has such a sponge mode; this measures the permutations
	// only, it is not a hash to use.
	wide int
}

func (c *digest) Define(api frontend.API) error {
	if c.wide > 0 {
		rounds := map[int]int{4: 56, 8: 57, 12: 57, 16: 57}[c.wide]
		perm, err := permposeidon2.NewPoseidon2FromParameters(api, c.wide, 8, rounds)
		if err != nil {
			return err
		}
		state := make([]frontend.Variable, c.wide)
		for i := range state {
			state[i] = 0
		}
		for i := 0; i < len(c.X); i += c.wide - 1 {
			for j := 0; j < c.wide-1 && i+j < len(c.X); j++ {
				state[j+1] = api.Add(state[j+1], c.X[i+j])
			}
			if err := perm.Permutation(state); err != nil {
				return err
			}
		}
		api.AssertIsEqual(state[0], c.D)
		return nil
	}
	var h hash.FieldHasher
	var err error
	if c.gkr {
		h, err = gkrposeidon2.New(api)
	} else {
		h, err = poseidon2.New(api)
	}
	if err != nil {
		return err
	}
	h.Write(c.X...)
	api.AssertIsEqual(h.Sum(), c.D)
	return nil
}

func main() {
	es := flag.String("e", "30,300", "numbers of hashed elements, comma-separated")
	only := flag.String("hash", "", "measure only this hash: direct, gkr, or wide4, wide8, wide12, wide16 (the permutations of a sponge of that width)")
	flag.Parse()
	logger.Set(zerolog.Nop())
	fmt.Printf("%-8s %-7s %12s %10s %10s %10s\n", "elements", "hash", "constraints", "per elem", "compile s", "heap MiB")
	for _, f := range strings.Split(*es, ",") {
		e, err := strconv.Atoi(f)
		if err != nil {
			log.Fatal(err)
		}
		for _, name := range []string{"direct", "gkr", "wide4", "wide8", "wide12", "wide16"} {
			if *only == "" && name != "direct" && name != "gkr" || *only != "" && *only != name {
				continue
			}
			gkr := name == "gkr"
			wide, _ := strconv.Atoi(strings.TrimPrefix(name, "wide"))
			runtime.GC()
			var ms runtime.MemStats
			t0 := time.Now()
			cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &digest{X: make([]frontend.Variable, e), gkr: gkr, wide: wide})
			if err != nil {
				log.Fatal(err)
			}
			el := time.Since(t0)
			runtime.ReadMemStats(&ms)
			fmt.Printf("%-8d %-7s %12d %10.1f %10.1f %10d\n", e, name, cs.GetNbConstraints(), float64(cs.GetNbConstraints())/float64(e), el.Seconds(), ms.HeapSys>>20)
			if e <= 300 && name == "direct" {
				// Both circuits accept the native digest of a random input.
				x := make([]frontend.Variable, e)
				var buf []*big.Int
				for i := range x {
					v, _ := rand.Int(rand.Reader, fr.Modulus())
					x[i], buf = v, append(buf, v)
				}
				w, err := frontend.NewWitness(&digest{X: x, D: nativeDigest(buf)}, ecc.BN254.ScalarField())
				if err != nil {
					log.Fatal(err)
				}
				if err := cs.IsSolved(w); err != nil {
					log.Fatalf("%s: the native digest does not solve the circuit: %v", name, err)
				}
			}
		}
	}
}

// nativeDigest is gnark-crypto's Poseidon2 Merkle–Damgård hash of x, each
// element written as its 32 big-endian bytes (commitment's twin).
func nativeDigest(x []*big.Int) *big.Int {
	h := nativeHasher()
	for _, v := range x {
		var e fr.Element
		e.SetBigInt(v)
		b := e.Bytes()
		h.Write(b[:])
	}
	return new(big.Int).SetBytes(h.Sum(nil))
}

func nativeHasher() gohash.Hash { return nativeposeidon2.NewMerkleDamgardHasher() }
