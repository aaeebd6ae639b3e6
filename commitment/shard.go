package commitment

import (
	"encoding/binary"
	"fmt"
	"math/big"
	"runtime"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/shard"
)

// Fingerprint returns Σ_j elems[j]·r^j over the BN254 scalar field: the
// Schwartz–Zippel fingerprint (Schwartz 1980, Zippel 1979) of the element
// list at the point r. Every element and r must be canonical (below the
// field's modulus); it returns an error naming the first that is not.
func Fingerprint(elems []*big.Int, r *big.Int) (*big.Int, error) {
	var x fr.Element
	if err := setCanonical(&x, r); err != nil {
		return nil, fmt.Errorf("fingerprint point: %w", err)
	}
	var acc, e fr.Element
	for j := len(elems) - 1; j >= 0; j-- {
		if err := setCanonical(&e, elems[j]); err != nil {
			return nil, fmt.Errorf("fingerprint element %d: %w", j, err)
		}
		acc.Mul(&acc, &x).Add(&acc, &e)
	}
	return acc.BigInt(new(big.Int)), nil
}

func setCanonical(z *fr.Element, v *big.Int) error {
	if v == nil || v.Sign() < 0 || v.Cmp(fr.Modulus()) >= 0 {
		return fmt.Errorf("%v is not a field element in [0, p)", v)
	}
	z.SetBigInt(v)
	return nil
}

// ShardFingerprint returns the fingerprint of shard index with these slots
// at the point r: Fingerprint(l.ElementsOf(index, s), r), the value the
// shard circuit proves for the challenge r its commitment draws. It packs
// the features straight into field elements (about 30,000 elements and
// 30,000 multiplications for 1,000 MNIST images), without the big.Int
// list of ElementsOf. Errors: a slot count other than l.Size, a feature
// outside [-2^n, 2^n) or a cell outside [0, l.Cells] (values the circuit
// refuses), or r not canonical.
func ShardFingerprint(l shard.Layout, index int, s *shard.Slots, r *big.Int) (*big.Int, error) {
	if len(s.X) != l.Size || len(s.Cell) != l.Size {
		return nil, fmt.Errorf("shard: %d slots, want %d", len(s.X), l.Size)
	}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	fw := l.FeatureWidth()
	if fw > 63 {
		// Wide features: the general path.
		return Fingerprint(l.ElementsOf(index, s), r)
	}
	f := &fingerprinter{}
	if err := setCanonical(&f.x, r); err != nil {
		return nil, fmt.Errorf("fingerprint point: %w", err)
	}
	f.pow.SetOne()
	f.addBig(shard.Tag())
	f.addBig(big.NewInt(int64(l.Elements())))
	f.addBig(big.NewInt(int64(index)))
	lo, hi := -(int64(1) << l.InputBits), int64(1)<<l.InputBits
	off := uint64(1) << l.InputBits
	for i, x := range s.X {
		if len(x) != l.Features {
			return nil, fmt.Errorf("shard: slot %d has %d features, want %d", i, len(x), l.Features)
		}
		for j, v := range x {
			if v < lo || v >= hi {
				return nil, fmt.Errorf("shard: slot %d feature %d = %d outside [-2^%d, 2^%d)", i, j, v, l.InputBits, l.InputBits)
			}
		}
		f.pack(len(x), fw, func(j int) uint64 { return uint64(x[j]) + off })
	}
	for i, c := range s.Cell {
		if c < 0 || c > l.Cells {
			return nil, fmt.Errorf("shard: slot %d has cell %d outside [0, %d]", i, c, l.Cells)
		}
	}
	f.pack(len(s.Cell), l.CellWidth(), func(j int) uint64 { return uint64(s.Cell[j]) })
	return f.acc.BigInt(new(big.Int)), nil
}

// fingerprinter accumulates Σ e_j·x^j element by element.
type fingerprinter struct {
	x, pow, acc fr.Element
}

func (f *fingerprinter) add(e *fr.Element) {
	var t fr.Element
	t.Mul(e, &f.pow)
	f.acc.Add(&f.acc, &t)
	f.pow.Mul(&f.pow, &f.x)
}

func (f *fingerprinter) addBig(v *big.Int) {
	var e fr.Element
	e.SetBigInt(v)
	f.add(&e)
}

// pack adds the elements packing n values of width w (< 64 bits each),
// shard.PerElement(w) to an element, little-endian, as shard.ElementsOf
// does.
func (f *fingerprinter) pack(n, w int, val func(int) uint64) {
	p := shard.PerElement(w)
	for start := 0; start < n; start += p {
		var limbs [4]uint64
		for j := start; j < min(start+p, n); j++ {
			pos := w * (j - start)
			u, k, sh := val(j), pos>>6, uint(pos&63)
			limbs[k] |= u << sh
			if sh > 0 && int(sh)+w > 64 {
				limbs[k+1] |= u >> (64 - sh)
			}
		}
		var b [fr.Bytes]byte
		for k, v := range limbs {
			binary.LittleEndian.PutUint64(b[8*k:], v)
		}
		// Below 2^250 < p, so always canonical.
		e, err := fr.LittleEndian.Element(&b)
		if err != nil {
			panic(fmt.Sprintf("shard fingerprint: packed element not canonical: %v", err))
		}
		f.add(&e)
	}
}

// ShardFingerprints returns the fingerprint of every shard of b at its
// point, challenges[i] for shard i, in order, computed on every CPU.
func ShardFingerprints(l shard.Layout, b *benchmark.Benchmark, challenges []*big.Int) ([]*big.Int, error) {
	n := shard.Count(b.Len(), l.Size)
	if len(challenges) != n {
		return nil, fmt.Errorf("%d challenges for the %d shards of %s", len(challenges), n, b.Name)
	}
	out := make([]*big.Int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				s, err := l.Of(b, i)
				if err == nil {
					out[i], err = ShardFingerprint(l, i, s, challenges[i])
				}
				errs[i] = err
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("shard %d: %w", i, err)
		}
	}
	return out, nil
}

// CountsCommitment returns Poseidon2(shard.CountsTag, L, salt, counts...),
// L = 1 + len(counts): the hiding commitment to a shard's hidden counts.
func CountsCommitment(salt *big.Int, counts []int64) (*big.Int, error) {
	elems := []*big.Int{shard.CountsTag(), big.NewInt(int64(1 + len(counts))), salt}
	for i, c := range counts {
		if c < 0 {
			return nil, fmt.Errorf("shard: count %d is negative", i)
		}
		elems = append(elems, big.NewInt(c))
	}
	return Hash(elems)
}
