package benchmark

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// xorGroups is the version 2 worked example of the package documentation:
// the xor benchmark with a group attribute and an encoding spec.
func xorGroups() *Benchmark {
	b := xorBenchmark()
	b.GroupAttribute = "g"
	b.GroupNames = []string{"a", "b"}
	b.Groups = []int{0, 1, 1, 0}
	b.Spec = &EncodingSpec{
		ScaleBits:   0,
		LabelColumn: "y",
		ClassValues: [][]string{{"0"}, {"1"}},
		GroupColumn: "g",
		GroupRule:   GroupByValue,
		GroupValues: [][]string{{"a"}, {"b"}},
		Columns: []ColumnSpec{
			{Name: "x0", Kind: Numeric, Subtract: "0", Divide: "1"},
			{Name: "x1", Kind: Numeric, Subtract: "0", Divide: "1"},
		},
	}
	return b
}

const (
	xorGroupsHex = "7a6b6576616c2d62656e63686d61726b00" + // magic
		"0002" + // version 2
		"0003786f72" + "000474657374" + // name, split
		"0002" + "000130" + "000131" + // classes
		"00000002" + "0000000000000001" + // F, scale
		"000167" + "0002" + "000161" + "000162" + // group attribute "g", 2 groups "a", "b"
		"01" + // spec flag
		"00" + "000179" + // scale bits 0, label column "y"
		"0001000130" + "0001000131" + // class values ["0"], ["1"]
		"000167" + "01" + // group column "g", by value
		"0001000161" + "0001000162" + // group values ["a"], ["b"]
		"00000002" + // 2 columns
		"00027830" + "01" + "000130" + "000131" + // x0 numeric, subtract "0", divide "1"
		"00027831" + "01" + "000130" + "000131" + // x1 numeric
		"00000004" + "01" + // N, W
		"000000000000" + "000100010001" + "000100010100" + "000000000101" // (label, group, x0, x1) x 4
	xorGroupsDigest = "ee8343a7352265cc72cdb1312beb106e34c3e62273c5ef60f693687be4b4aa5e"
)

func TestGoldenVersion2Encoding(t *testing.T) {
	data, err := xorGroups().MarshalBinary()
	require.NoError(t, err)
	assert.Equal(t, xorGroupsHex, hex.EncodeToString(data))
	assert.Len(t, data, 145)
	d, err := xorGroups().Digest()
	require.NoError(t, err)
	assert.Equal(t, xorGroupsDigest, hex.EncodeToString(d[:]))
	back, err := Unmarshal(data, "xor2.bench")
	require.NoError(t, err)
	assert.Equal(t, xorGroups(), back)
}

// The version depends on the benchmark only: no groups and no spec is
// version 1, byte for byte as before.
func TestVersionFollowsBenchmark(t *testing.T) {
	data, err := xorBenchmark().MarshalBinary()
	require.NoError(t, err)
	assert.Equal(t, xorHex, hex.EncodeToString(data))

	groupsOnly := xorGroups()
	groupsOnly.Spec = nil
	specOnly := xorGroups()
	specOnly.GroupAttribute, specOnly.GroupNames, specOnly.Groups = "", nil, nil
	specOnly.Spec.GroupColumn, specOnly.Spec.GroupRule, specOnly.Spec.GroupValues = "", 0, nil
	for name, b := range map[string]*Benchmark{"groups only": groupsOnly, "spec only": specOnly, "both": xorGroups()} {
		data, err := b.MarshalBinary()
		require.NoError(t, err, name)
		assert.Equal(t, []byte{0, 2}, data[17:19], name)
		back, err := Unmarshal(data, "x.bench")
		require.NoError(t, err, name)
		assert.Equal(t, b, back, name)
		assert.True(t, b.Equal(back), name)
		again, err := back.MarshalBinary()
		require.NoError(t, err, name)
		assert.Equal(t, data, again, name)
	}
}

func TestThresholdAndOneHotRoundTrip(t *testing.T) {
	b := &Benchmark{
		Name: "credit", Split: "test", NumFeatures: 4, InputScale: 4,
		ClassNames:     []string{"good", "bad"},
		X:              [][]int64{{4, 0, 0, -6}, {0, 0, 4, 100000}, {0, 4, 0, 1}},
		Labels:         []int{0, 1, 0},
		GroupAttribute: "age", GroupNames: []string{"<25", "25-60", ">=60"}, Groups: []int{2, 0, 1},
		Spec: &EncodingSpec{
			ScaleBits: 2, LabelColumn: "class", ClassValues: [][]string{{"good", "ok"}, {"bad"}},
			GroupColumn: "age", GroupRule: GroupByThreshold, GroupThresholds: []string{"25", "60.5"},
			Columns: []ColumnSpec{
				{Name: "housing", Kind: OneHot, Categories: []string{"rent", "own", "for free"}},
				{Name: "amount", Kind: Numeric, Subtract: "-1.25", Divide: "0.001"},
			},
		},
	}
	data, err := b.MarshalBinary()
	require.NoError(t, err)
	back, err := Unmarshal(data, "c.bench")
	require.NoError(t, err)
	assert.Equal(t, b, back)
	assert.Equal(t, []string{"housing=rent", "housing=own", "housing=for free", "amount"}, b.Spec.FeatureNames())
	assert.Equal(t, "credit/test (3 samples, 4 features, 2 classes, 3 groups by age)", b.String())

	for n := 0; n < len(data); n++ {
		_, err := Unmarshal(data[:n:n], "cut.bench")
		require.Error(t, err, "%d bytes", n)
		assert.ErrorIs(t, err, ErrTruncated, "%d bytes: %v", n, err)
	}
}

// Changing any group or spec field changes the digest.
func TestDigestSeesGroupsAndSpec(t *testing.T) {
	base, err := xorGroups().Digest()
	require.NoError(t, err)
	edits := map[string]func(b *Benchmark){
		"one group id":    func(b *Benchmark) { b.Groups[2] = 0 },
		"group name":      func(b *Benchmark) { b.GroupNames[1] = "c"; b.Spec.GroupValues[1] = []string{"c"} },
		"group attribute": func(b *Benchmark) { b.GroupAttribute = "sex" },
		"group order": func(b *Benchmark) {
			b.GroupNames[0], b.GroupNames[1] = b.GroupNames[1], b.GroupNames[0]
			b.Spec.GroupValues[0], b.Spec.GroupValues[1] = b.Spec.GroupValues[1], b.Spec.GroupValues[0]
			for i := range b.Groups {
				b.Groups[i] = 1 - b.Groups[i]
			}
		},
		"no spec":      func(b *Benchmark) { b.Spec = nil },
		"label column": func(b *Benchmark) { b.Spec.LabelColumn = "label" },
		"class values": func(b *Benchmark) { b.Spec.ClassValues[1] = append(b.Spec.ClassValues[1], "one") },
		"group column": func(b *Benchmark) { b.Spec.GroupColumn = "grp" },
		"group values": func(b *Benchmark) { b.Spec.GroupValues[0] = []string{"a", "A"} },
		"column name":  func(b *Benchmark) { b.Spec.Columns[0].Name = "first" },
		"subtract":     func(b *Benchmark) { b.Spec.Columns[1].Subtract = "0.5" },
		"divide":       func(b *Benchmark) { b.Spec.Columns[1].Divide = "2" },
		"column order": func(b *Benchmark) { b.Spec.Columns[0], b.Spec.Columns[1] = b.Spec.Columns[1], b.Spec.Columns[0] },
		"threshold rule": func(b *Benchmark) {
			b.Spec.GroupRule, b.Spec.GroupValues, b.Spec.GroupThresholds = GroupByThreshold, nil, []string{"7"}
		},
	}
	for name, edit := range edits {
		b := xorGroups()
		edit(b)
		d, err := b.Digest()
		require.NoError(t, err, name)
		assert.NotEqual(t, base, d, name)
		assert.False(t, b.Equal(xorGroups()), name)
	}
}

func TestPrefixKeepsGroupsAndSpec(t *testing.T) {
	b := xorGroups()
	p, err := b.Prefix(3)
	require.NoError(t, err)
	assert.Equal(t, "g", p.GroupAttribute)
	assert.Equal(t, []int{0, 1, 1}, p.Groups)
	assert.True(t, p.Spec.Equal(b.Spec))
	p.Groups[0] = 1
	p.GroupNames[0] = "z"
	p.Spec.Columns[0].Name = "z"
	p.Spec.ClassValues[0][0] = "z"
	assert.Equal(t, xorGroups(), b, "the prefix shares no memory with b")
}

func TestValidateGroupsAndSpec(t *testing.T) {
	require.NoError(t, xorGroups().Validate())
	cases := map[string]struct {
		edit func(b *Benchmark)
		want string
	}{
		"groups without attribute": {func(b *Benchmark) { b.GroupAttribute = "" }, "but no GroupAttribute"},
		"no group names":           {func(b *Benchmark) { b.GroupNames = nil }, "GroupNames: 0 groups"},
		"empty group name":         {func(b *Benchmark) { b.GroupNames[0] = "" }, "GroupNames[0]: empty"},
		"duplicate group name":     {func(b *Benchmark) { b.GroupNames[1] = "a" }, "group names must be distinct"},
		"short groups":             {func(b *Benchmark) { b.Groups = b.Groups[:3] }, "Groups has 3 entries but Labels has 4"},
		"group out of range":       {func(b *Benchmark) { b.Groups[3] = 2 }, "sample 3: group 2 out of range [0, 2)"},
		"negative group":           {func(b *Benchmark) { b.Groups[0] = -1 }, "sample 0: group -1"},
		"scale mismatch":           {func(b *Benchmark) { b.Spec.ScaleBits = 3 }, "InputScale must be 2^3 = 8, not 1"},
		"scale bits":               {func(b *Benchmark) { b.Spec.ScaleBits = 63 }, "ScaleBits is 63"},
		"class value lists":        {func(b *Benchmark) { b.Spec.ClassValues = b.Spec.ClassValues[:1] }, "ClassValues has 1 lists for 2 classes"},
		"shared class value":       {func(b *Benchmark) { b.Spec.ClassValues[1] = []string{"0"} }, "each value may appear once"},
		"empty class values":       {func(b *Benchmark) { b.Spec.ClassValues[1] = nil }, "ClassValues[1]: 0 values"},
		"no group column":          {func(b *Benchmark) { b.Spec.GroupColumn = "" }, "GroupColumn: empty"},
		"group column no groups": {func(b *Benchmark) {
			b.GroupAttribute, b.GroupNames, b.Groups = "", nil, nil
		}, "must be empty when the benchmark has no group attribute"},
		"group rule":         {func(b *Benchmark) { b.Spec.GroupRule = 3 }, "GroupRule is 3"},
		"group value lists":  {func(b *Benchmark) { b.Spec.GroupValues = b.Spec.GroupValues[:1] }, "GroupValues has 1 lists for 2 groups"},
		"thresholds count":   {func(b *Benchmark) { b.Spec.GroupRule, b.Spec.GroupValues = GroupByThreshold, nil }, "GroupThresholds has 0 values for 2 groups"},
		"non-canonical":      {func(b *Benchmark) { b.Spec.Columns[0].Subtract = "0.50" }, `not in canonical form; write "0.5"`},
		"zero divide":        {func(b *Benchmark) { b.Spec.Columns[0].Divide = "0" }, "Divide is 0"},
		"negative divide":    {func(b *Benchmark) { b.Spec.Columns[0].Divide = "-2" }, "Divide is -2"},
		"feature count":      {func(b *Benchmark) { b.Spec.Columns = b.Spec.Columns[:1] }, "the columns give 1 features but NumFeatures is 2"},
		"label as feature":   {func(b *Benchmark) { b.Spec.Columns[0].Name = "y" }, "the label cannot be a feature"},
		"duplicate column":   {func(b *Benchmark) { b.Spec.Columns[1].Name = "x0" }, "list each feature column once"},
		"kind":               {func(b *Benchmark) { b.Spec.Columns[0].Kind = 9 }, "Kind is 9"},
		"numeric categories": {func(b *Benchmark) { b.Spec.Columns[0].Categories = []string{"a"} }, "a numeric column has no Categories"},
		"one-hot not one-hot": {func(b *Benchmark) {
			b.Spec.Columns = []ColumnSpec{{Name: "x", Kind: OneHot, Categories: []string{"p", "q"}}}
		}, "has 0 features set; want exactly 1"},
		"one-hot bad value": {func(b *Benchmark) {
			b.Spec.Columns = []ColumnSpec{{Name: "x", Kind: OneHot, Categories: []string{"p", "q"}}}
			b.X[0][0] = 2
		}, "a one-hot feature is 0 or 1"},
		"one-hot with divide": {func(b *Benchmark) {
			b.Spec.Columns[0] = ColumnSpec{Name: "x", Kind: OneHot, Categories: []string{"p"}, Divide: "1"}
		}, "a one-hot column has no Subtract or Divide"},
		"one-hot no category": {func(b *Benchmark) { b.Spec.Columns[0] = ColumnSpec{Name: "x", Kind: OneHot} }, "no Categories"},
		"one-hot dup category": {func(b *Benchmark) {
			b.Spec.Columns[0] = ColumnSpec{Name: "x", Kind: OneHot, Categories: []string{"p", "p"}}
		}, "each value may appear once"},
	}
	for name, c := range cases {
		b := xorGroups()
		c.edit(b)
		err := b.Validate()
		require.Error(t, err, name)
		assert.ErrorIs(t, err, ErrInvalid, name)
		assert.Contains(t, err.Error(), c.want, name)
		_, err = b.MarshalBinary()
		assert.ErrorIs(t, err, ErrInvalid, name)
	}
}

func TestUnmarshalRejectsVersion2(t *testing.T) {
	good, err := xorGroups().MarshalBinary()
	require.NoError(t, err)
	// Offsets in the xorGroups encoding.
	const (
		offGroupAttr = 17 + 2 + 5 + 6 + 2 + 3 + 3 + 4 + 8
		offGroups    = offGroupAttr + 3
		offFlag      = offGroups + 2 + 3 + 3
		offSpec      = offFlag + 1
		offRule      = offSpec + 1 + 3 + 5 + 5 + 3
		offCols      = offRule + 1 + 5 + 5
		offKind0     = offCols + 4 + 4
		offSub0      = offKind0 + 1
		offBody      = len(xorGroupsHex)/2 - 4*6
	)
	require.Equal(t, byte(1), good[offFlag])
	require.Equal(t, byte(1), good[offRule])
	require.Equal(t, byte(1), good[offKind0])
	edit := func(f func(d []byte) []byte) []byte { return f(append([]byte(nil), good...)) }

	// Version 2 with neither groups nor spec: that benchmark is version 1.
	plain := append([]byte(nil), good[:offGroupAttr]...)
	plain = append(plain, 0, 0, 0, 0, 0) // empty attribute, 0 groups, flag 0
	v1, err := xorBenchmark().MarshalBinary()
	require.NoError(t, err)
	plain = append(plain, v1[offGroupAttr:]...)

	cases := map[string]struct {
		data []byte
		is   error
		want string
	}{
		"v2 without groups or spec": {plain, ErrFormat, "is not canonical: such a benchmark is written as version 1"},
		"groups without attribute":  {edit(func(d []byte) []byte { d[offGroupAttr+1] = 0; return append(d[:offGroupAttr+2], d[offGroupAttr+3:]...) }), ErrInvalid, "want 0 groups exactly when the attribute is empty"},
		"duplicate group name":      {edit(func(d []byte) []byte { d[offGroups+2+3+2] = 'a'; return d }), ErrInvalid, "group name 1"},
		"spec flag":                 {edit(func(d []byte) []byte { d[offFlag] = 2; return d }), ErrFormat, "spec flag"},
		"group rule code":           {edit(func(d []byte) []byte { d[offRule] = 7; return d }), ErrFormat, "spec group rule"},
		"column kind code":          {edit(func(d []byte) []byte { d[offKind0] = 0; return d }), ErrFormat, "spec column 0 kind"},
		"non-canonical decimal":     {edit(func(d []byte) []byte { d[offSub0+2] = '+'; return d }), ErrInvalid, "not a decimal number"},
		"group id out of range":     {edit(func(d []byte) []byte { d[offBody+6+3] = 2; return d }), ErrInvalid, "sample 1 group"},
		"spec scale mismatch":       {edit(func(d []byte) []byte { d[offSpec] = 1; return d }), ErrInvalid, "InputScale must be 2^1"},
		"trailing byte":             {append(append([]byte(nil), good...), 0), ErrFormat, "1 unexpected bytes"},
	}
	for name, c := range cases {
		b, err := Unmarshal(c.data, "x.bench")
		require.Error(t, err, name)
		assert.Nil(t, b, name)
		assert.ErrorIs(t, err, c.is, "%s: %v", name, err)
		assert.Contains(t, err.Error(), c.want, name)
		assert.True(t, strings.HasPrefix(err.Error(), "x.bench: "), "%s: %v", name, err)
	}
	for n := 0; n < len(good); n++ {
		_, err := Unmarshal(good[:n:n], "cut.bench")
		require.Error(t, err)
		assert.ErrorIs(t, err, ErrTruncated, "%d bytes: %v", n, err)
	}
}

func TestCanonicalDecimal(t *testing.T) {
	for in, want := range map[string]string{
		"0": "0", "-0": "0", "+0.000": "0", "0e5": "0",
		"25": "25", "+25": "25", "025": "25", "2.5e1": "25", "250e-1": "25",
		"2.50": "2.5", ".5": "0.5", "-.5": "-0.5", "5.": "5",
		"1e3": "1000", "1E-3": "0.001", "-12.3400": "-12.34", "3299": "3299",
		" 7 ": "7",
	} {
		got, err := CanonicalDecimal(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
		again, err := CanonicalDecimal(got)
		require.NoError(t, err)
		assert.Equal(t, got, again, "canonical form is a fixed point")
	}
	for _, in := range []string{"", "abc", "1/2", "0x10", "NaN", "inf", "1e", "--1", "1e2000", "1e-2000"} {
		_, err := CanonicalDecimal(in)
		assert.ErrorIs(t, err, ErrFormat, in)
	}
}
