// Command shardcost measures what the option DESIGN.md §11 weighs against
// the shard digest costs the verifier: a Groth16 verification over P
// public inputs (the samples as public inputs, packed as the shard digest
// packs them). It prints the verifying key's size and the median
// verification time for each P.
//
//	go run ./bench/shardcost [-p 30,300,3000,30000]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"math/big"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/logger"
	"github.com/rs/zerolog"
)

// publicSamples has P public inputs and asserts their sum.
type publicSamples struct {
	X   []frontend.Variable `gnark:",public"`
	Sum frontend.Variable
}

func (c *publicSamples) Define(api frontend.API) error {
	var s frontend.Variable = 0
	for _, x := range c.X {
		s = api.Add(s, api.Mul(x, x))
	}
	api.AssertIsEqual(s, c.Sum)
	return nil
}

func main() {
	ps := flag.String("p", "30,300,3000,30000", "numbers of public inputs")
	flag.Parse()
	logger.Set(zerolog.New(os.Stderr).Level(zerolog.Disabled))
	fmt.Printf("%-10s %-14s %-14s\n", "public", "vk bytes", "verify (median of 9)")
	for _, f := range strings.Split(*ps, ",") {
		p, err := strconv.Atoi(f)
		if err != nil {
			log.Fatal(err)
		}
		c := &publicSamples{X: make([]frontend.Variable, p)}
		cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c)
		if err != nil {
			log.Fatal(err)
		}
		pk, vk, err := groth16.Setup(cs)
		if err != nil {
			log.Fatal(err)
		}
		a := &publicSamples{X: make([]frontend.Variable, p)}
		sum := new(big.Int)
		for i := range a.X {
			v := big.NewInt(int64(i*7919 + 1))
			a.X[i] = v
			sum.Add(sum, new(big.Int).Mul(v, v))
		}
		a.Sum = sum
		w, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
		if err != nil {
			log.Fatal(err)
		}
		proof, err := groth16.Prove(cs, pk, w)
		if err != nil {
			log.Fatal(err)
		}
		pub, _ := w.Public()
		var buf bytes.Buffer
		vk.WriteTo(&buf)
		var ts []time.Duration
		for range 9 {
			t0 := time.Now()
			if err := groth16.Verify(proof, vk, pub); err != nil {
				log.Fatal(err)
			}
			ts = append(ts, time.Since(t0))
		}
		sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
		fmt.Printf("%-10d %-14d %.2f ms\n", p, buf.Len(), float64(ts[4].Microseconds())/1000)
	}
}
