package benchmark

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

// FuzzUnmarshal checks that Unmarshal never panics, that its errors name
// the source, and that whatever it accepts is canonical: re-encoding gives
// the input back.
func FuzzUnmarshal(f *testing.F) {
	xor, err := xorBenchmark().MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(xor)
	f.Add(xor[:40])
	f.Add(append(append([]byte(nil), xor...), 0))
	for _, w := range []int{2, 4, 8} {
		data, err := wideBenchmark(f, w).MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, b := range []*Benchmark{xorGroups(), tabularSeed()} {
		data, err := b.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(Magic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Unmarshal(data, "fuzz.bench")
		if err != nil {
			if b != nil {
				t.Fatalf("non-nil benchmark with error %v", err)
			}
			if !strings.HasPrefix(err.Error(), "fuzz.bench: ") {
				t.Fatalf("error does not name the source: %v", err)
			}
			return
		}
		again, err := b.MarshalBinary()
		if err != nil {
			t.Fatalf("accepted input does not re-encode: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("accepted a non-canonical encoding:\n in  %x\n out %x", data, again)
		}
	})
}

// FuzzLoadCSV checks that LoadCSV never panics, that its errors name the
// source, and that whatever it accepts is a valid benchmark that survives
// the canonical encoding.
func FuzzLoadCSV(f *testing.F) {
	for _, s := range []string{
		"a,b,label\n1,2,x\n3,4,y\n",
		"0.1,-2.5e3,cat\n\"7\",.5,dog\n",
		"1,10\n2,2\n3,-1\n",
		"1\n",
		"1,2,x\n3,y\n",
		"NaN,a\n",
		"\uFEFFf,l\n1e-400,z\n",
		"2251799813685247.999755859375,a\n",
		"1,\"a\"\"b\"\n",
		"",
	} {
		f.Add(s, uint8(0), uint8(0))
	}
	f.Add("1,2,3\n", uint8(1), uint8(62))
	f.Fuzz(func(t *testing.T, text string, labelCol, bits uint8) {
		opt := CSVOptions{Name: "fuzz", Split: "test", LabelColumn: int(labelCol % 4), FeatureScaleBits: int(bits % 64)}
		b, err := LoadCSV(strings.NewReader(text), "fuzz.csv", opt)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.csv: ") {
				t.Fatalf("error does not name the source: %v", err)
			}
			return
		}
		if err := b.Validate(); err != nil {
			t.Fatalf("accepted an invalid benchmark: %v", err)
		}
		data, err := b.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Unmarshal(data, "fuzz.bench")
		if err != nil {
			t.Fatal(err)
		}
		if !b.Equal(back) {
			t.Fatal("round trip changed the benchmark")
		}
	})
}

// FuzzParseARFF checks that ParseARFF never panics, that its errors name
// the source and wrap ErrFormat, and that whatever it accepts is consistent:
// one value per attribute in every row, nominal values among the declared
// ones, numeric values numbers. It also runs the accepted input through a
// fixed schema; a benchmark that comes out must survive the canonical
// encoding.
func FuzzParseARFF(f *testing.F) {
	f.Add(miniARFF)
	f.Add("@relation r\n@attribute 'a b' {'x y', \"z\"}\n@attribute n real\n@data\n'x y', 1e3\nz, ?\n")
	f.Add("% c\n@RELATION r\n@ATTRIBUTE s string\n@ATTRIBUTE d date 'yyyy'\n@DATA\n'it\\'s', '2020' % c\n")
	f.Add("@relation r\n@attribute x numeric\n@data\n{0 1}\n")
	f.Add("@relation r\n@attribute c {a,b}\n@data\na,{3}\n")
	f.Add("@relation r\n@attribute x numeric\n@attribute x numeric\n")
	// The real header and three rows, without the long comment block (big
	// seeds make the fuzzer minimise slowly).
	if data, err := os.ReadFile(tabularDir + "credit-g.arff"); err == nil {
		text := string(data)
		start := strings.Index(text, "@relation")
		end := start
		for range 27 {
			end += strings.IndexByte(text[end:], '\n') + 1
		}
		f.Add(text[start:end])
	}
	schema, err := ParseSchema([]byte(miniSchema), "s.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		a, err := ParseARFF(strings.NewReader(text), "fuzz.arff")
		if err != nil {
			if a != nil {
				t.Fatalf("non-nil result with error %v", err)
			}
			if !strings.HasPrefix(err.Error(), "fuzz.arff: ") || !errors.Is(err, ErrFormat) {
				t.Fatalf("error does not name the source or wrap ErrFormat: %v", err)
			}
			return
		}
		if len(a.Attributes) == 0 {
			t.Fatal("accepted a file without attributes")
		}
		for _, in := range a.Instances {
			if len(in.Values) != len(a.Attributes) || (in.Missing != nil && len(in.Missing) != len(a.Attributes)) {
				t.Fatalf("line %d: %d values for %d attributes", in.Line, len(in.Values), len(a.Attributes))
			}
			for k, v := range in.Values {
				if in.Missing != nil && in.Missing[k] {
					continue
				}
				switch at := a.Attributes[k]; at.Type {
				case ARFFNominal:
					if !slices.Contains(at.Values, v) {
						t.Fatalf("line %d: undeclared nominal value %q", in.Line, v)
					}
				case ARFFNumeric:
					if _, err := decimalRat(v); err != nil {
						t.Fatalf("line %d: accepted numeric value %q: %v", in.Line, v, err)
					}
				}
			}
		}
		for _, split := range []string{"all"} {
			b, err := LoadARFF(strings.NewReader(text), "fuzz.arff", schema, split)
			if err != nil {
				continue
			}
			data, err := b.MarshalBinary()
			if err != nil {
				t.Fatalf("loaded benchmark does not encode: %v", err)
			}
			back, err := Unmarshal(data, "fuzz.bench")
			if err != nil || !b.Equal(back) {
				t.Fatalf("round trip failed: %v", err)
			}
		}
	})
}

// tabularSeed is a version 2 benchmark with threshold groups and a one-hot
// column.
func tabularSeed() *Benchmark {
	return &Benchmark{
		Name: "t", Split: "test", NumFeatures: 3, InputScale: 2,
		ClassNames:     []string{"a", "b"},
		X:              [][]int64{{2, 0, -7}, {0, 2, 300}},
		Labels:         []int{1, 0},
		GroupAttribute: "age", GroupNames: []string{"young", "old"}, Groups: []int{0, 1},
		Spec: &EncodingSpec{
			ScaleBits: 1, LabelColumn: "y", ClassValues: [][]string{{"a"}, {"b", "B"}},
			GroupColumn: "age", GroupRule: GroupByThreshold, GroupThresholds: []string{"-2.5"},
			Columns: []ColumnSpec{
				{Name: "c", Kind: OneHot, Categories: []string{"p", "q"}},
				{Name: "v", Kind: Numeric, Subtract: "0.5", Divide: "3"},
			},
		},
	}
}
