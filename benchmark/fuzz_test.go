package benchmark

import (
	"bytes"
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
