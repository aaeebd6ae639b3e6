package benchmark

import (
	"math/big"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func loadCSV(t *testing.T, text string, opt CSVOptions) (*Benchmark, error) {
	t.Helper()
	if opt.Name == "" {
		opt.Name = "iris"
	}
	if opt.Split == "" {
		opt.Split = "test"
	}
	var b *Benchmark
	var err error
	require.NotPanics(t, func() { b, err = LoadCSV(strings.NewReader(text), "iris.csv", opt) })
	return b, err
}

func TestLoadCSVWithHeader(t *testing.T) {
	text := "sepal_length,sepal_width,species\n" +
		"5.1,3.5,setosa\n" +
		"\n" + // blank lines are skipped
		"6.2,-0.1,virginica\n" +
		"  -4.75 , 1e-3,versicolor\n" +
		"0,\"2.5\", setosa \n"
	b, err := loadCSV(t, text, CSVOptions{})
	require.NoError(t, err)
	require.NoError(t, b.Validate())
	assert.Equal(t, "iris", b.Name)
	assert.Equal(t, "test", b.Split)
	assert.Equal(t, 2, b.NumFeatures)
	assert.Equal(t, int64(4096), b.InputScale)
	assert.Equal(t, []string{"setosa", "versicolor", "virginica"}, b.ClassNames)
	assert.Equal(t, []int{0, 2, 1, 0}, b.Labels)
	assert.Equal(t, [][]int64{
		{20890, 14336}, // 5.1*4096 = 20889.6, 3.5*4096
		{25395, -410},  // 6.2*4096 = 25395.2, -0.1*4096 = -409.6
		{-19456, 4},    // -4.75*4096, 0.001*4096 = 4.096
		{0, 10240},
	}, b.X)

	// Header: true gives the same result.
	b2, err := loadCSV(t, text, CSVOptions{Header: true})
	require.NoError(t, err)
	assert.Equal(t, b, b2)

	// A round trip through the canonical encoding.
	data, err := b.MarshalBinary()
	require.NoError(t, err)
	back, err := Unmarshal(data, "iris.bench")
	require.NoError(t, err)
	assert.Equal(t, b, back)
}

func TestLoadCSVHeaderDetection(t *testing.T) {
	// First row numeric: data.
	b, err := loadCSV(t, "1,2,a\n3,4,b\n", CSVOptions{})
	require.NoError(t, err)
	assert.Equal(t, 2, b.Len())
	// Header forced: the first row is skipped even though it is numeric.
	b, err = loadCSV(t, "1,2,a\n3,4,b\n", CSVOptions{Header: true})
	require.NoError(t, err)
	assert.Equal(t, 1, b.Len())
	assert.Equal(t, []int64{3 << 12, 4 << 12}, b.X[0])
	// A partly numeric first row is data with a bad field.
	_, err = loadCSV(t, "1,x,a\n3,4,b\n", CSVOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "iris.csv: line 1, column 2:")
	// A header alone.
	_, err = loadCSV(t, "f1,f2,label\n", CSVOptions{})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrFormat)
	assert.Contains(t, err.Error(), "no data rows after the header")
	// A byte order mark before the header.
	b, err = loadCSV(t, "\uFEFFf1,label\n0.5,x\n", CSVOptions{})
	require.NoError(t, err)
	assert.Equal(t, [][]int64{{2048}}, b.X)
}

func TestLoadCSVQuantisationExact(t *testing.T) {
	cases := []struct {
		in   string
		bits int
		want int64
	}{
		{"0.1", 12, 410},
		{"-0.1", 12, -410},
		{"0", 12, 0},
		{"-0", 12, 0},
		{"+7", 12, 7 << 12},
		{".5", 12, 2048},
		{"5.", 12, 5 << 12},
		{"1E2", 1, 200},
		{"12.5e-1", 2, 5},
		{"0.25", 1, 1},   // 0.5: half away from zero
		{"-0.25", 1, -1}, // -0.5
		{"0.75", 1, 2},   // 1.5
		{"-0.75", 1, -2},
		{"0.2499999999", 1, 0},
		{"0.0001220703125", 12, 1}, // 2^-13: exactly half a step
		{"-0.0001220703125", 12, -1},
		// Just below half a step: float64 parsing would round this to
		// 2^-13 and then up to 1.
		{"0.000122070312499999999999999999999", 12, 0},
		{"-0.000122070312499999999999999999999", 12, 0},
		{"0.000122070312500000000000000000001", 12, 1},
		// 2^53+1 is not a float64.
		{"9007199254740993", 1, 18014398509481986},
		// Largest value that fits: (2^63-1)/2^12.
		{"2251799813685247.999755859375", 12, 9223372036854775807},
		{"-2251799813685248", 12, -9223372036854775808},
		{"1e-400", 12, 0},
		{"0.00000000000000000000000000000000001e-99999999999999999999999", 62, 0},
		{"1", 62, 1 << 62},
	}
	for _, c := range cases {
		b, err := loadCSV(t, c.in+",a\n", CSVOptions{FeatureScaleBits: c.bits})
		require.NoError(t, err, c.in)
		assert.Equal(t, c.want, b.X[0][0], "%s at %d bits", c.in, c.bits)
		assert.Equal(t, int64(1)<<c.bits, b.InputScale)
	}
	// Sanity check against float64 arithmetic, which is within 1/2 of the
	// exact result for these values.
	r := new(big.Rat)
	for _, s := range []string{"3.14159", "-2.71828", "0.333333333333333333333", "123456.789"} {
		r.SetString(s)
		b, err := loadCSV(t, s+",a\n", CSVOptions{})
		require.NoError(t, err)
		f, _ := new(big.Rat).Mul(r, big.NewRat(4096, 1)).Float64()
		assert.InDelta(t, f, float64(b.X[0][0]), 0.5, s)
	}
}

func TestLoadCSVOverflow(t *testing.T) {
	for _, c := range []struct {
		in   string
		bits int
	}{
		{"2251799813685248", 12}, // 2^51 * 2^12 = 2^63
		{"-2251799813685248.5", 12},
		{"1e30", 12},
		{"1e999999999999999999999", 12},
		{"2", 62},
		{"99999999999999999999999999", 1},
	} {
		_, err := loadCSV(t, "0,a\n"+c.in+",b\n", CSVOptions{FeatureScaleBits: c.bits})
		require.Error(t, err, c.in)
		assert.ErrorIs(t, err, ErrFormat)
		assert.Contains(t, err.Error(), "iris.csv: line 2, column 1:")
		assert.Contains(t, err.Error(), "overflows")
	}
}

func TestLoadCSVLabels(t *testing.T) {
	// Integer labels sort numerically.
	b, err := loadCSV(t, "1,10\n2,2\n3,-1\n4,2\n5,1\n", CSVOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{"-1", "1", "2", "10"}, b.ClassNames)
	assert.Equal(t, []int{3, 2, 0, 2, 1}, b.Labels)

	// Non-integer labels sort as strings.
	b, err = loadCSV(t, "1,10\n2,2\n3,b\n", CSVOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{"10", "2", "b"}, b.ClassNames)

	// Explicit class names fix the order and may include unseen classes.
	b, err = loadCSV(t, "1,dog\n2,cat\n", CSVOptions{ClassNames: []string{"dog", "cat", "emu"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"dog", "cat", "emu"}, b.ClassNames)
	assert.Equal(t, []int{0, 1}, b.Labels)

	_, err = loadCSV(t, "1,dog\n2,cow\n", CSVOptions{ClassNames: []string{"dog", "cat"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `iris.csv: line 2, column 2:`)
	assert.Contains(t, err.Error(), `label "cow" is not one of the class names given ("dog", "cat")`)

	_, err = loadCSV(t, "1,dog\n", CSVOptions{ClassNames: []string{"dog", "dog"}})
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = loadCSV(t, "1,dog\n", CSVOptions{ClassNames: []string{}})
	assert.ErrorIs(t, err, ErrInvalid)

	// Label column elsewhere.
	b, err = loadCSV(t, "label,a,b\ncat,1,2\ndog,3,4\n", CSVOptions{LabelColumn: 1})
	require.NoError(t, err)
	assert.Equal(t, 2, b.NumFeatures)
	assert.Equal(t, [][]int64{{1 << 12, 2 << 12}, {3 << 12, 4 << 12}}, b.X)
	assert.Equal(t, []int{0, 1}, b.Labels)
	b, err = loadCSV(t, "1,cat,2\n", CSVOptions{LabelColumn: 2})
	require.NoError(t, err)
	assert.Equal(t, [][]int64{{1 << 12, 2 << 12}}, b.X)
}

func TestLoadCSVErrors(t *testing.T) {
	cases := map[string]struct {
		text string
		opt  CSVOptions
		is   error
		want []string
	}{
		"empty":         {"", CSVOptions{}, ErrFormat, []string{"iris.csv: ", "the file is empty"}},
		"blank lines":   {"\n\n\n", CSVOptions{}, ErrFormat, []string{"the file is empty"}},
		"single column": {"1\n2\n", CSVOptions{}, ErrFormat, []string{"line 1: ", "only 1 column", "label column"}},
		"ragged": {"a,b,label\n1,2,x\n3,y\n", CSVOptions{}, ErrFormat,
			[]string{"iris.csv: line 3: ", "2 columns, but line 1 has 3"}},
		"ragged long": {"1,2,x\n\n3,4,5,y\n", CSVOptions{}, ErrFormat, []string{"line 3: ", "4 columns"}},
		"bad number": {"a,b,label\n1,2,x\n1,abc,y\n", CSVOptions{}, ErrFormat,
			[]string{`iris.csv: line 3, column 2: `, `"abc" is not a number`, "feature columns"}},
		"hex":          {"1,a\n0x10,b\n", CSVOptions{}, ErrFormat, []string{"line 2, column 1", "not a number"}},
		"lone bad row": {"x,a\n", CSVOptions{}, ErrFormat, []string{"no data rows", "none of its feature fields is a number"}},
		"fraction":     {"1,a\n1/3,b\n", CSVOptions{}, ErrFormat, []string{"line 2, column 1", "not a number"}},
		"two points":   {"1,a\n1.2.3,b\n", CSVOptions{}, ErrFormat, []string{"not a number"}},
		"underscore":   {"1,a\n1_000,b\n", CSVOptions{}, ErrFormat, []string{"not a number"}},
		"bad exp":      {"1,a\n1e,b\n", CSVOptions{}, ErrFormat, []string{"not a number"}},
		"NaN":          {"1,a\nNaN,b\n", CSVOptions{}, ErrFormat, []string{"line 2, column 1", "NaN and infinities"}},
		"Inf":          {"1,a\n-Inf,b\n", CSVOptions{}, ErrFormat, []string{"NaN and infinities"}},
		"infinity":     {"1,a\n+infinity,b\n", CSVOptions{}, ErrFormat, []string{"NaN and infinities"}},
		"empty field":  {"1,2,a\n3,,b\n", CSVOptions{}, ErrFormat, []string{"line 2, column 2", "is empty"}},
		"long field": {"1,a\n" + strings.Repeat("1", 2000) + ",b\n", CSVOptions{}, ErrFormat,
			[]string{"longer than 1000 characters"}},
		"empty label": {"1,2,a\n3,4, \n", CSVOptions{}, ErrFormat, []string{"line 2, column 3", "empty label"}},
		"bare quote":  {"1,a\n2,b\"c\n", CSVOptions{}, ErrFormat, []string{"line 2", "quote"}},
		"bits":        {"1,a\n", CSVOptions{FeatureScaleBits: 63}, ErrInvalid, []string{"FeatureScaleBits is 63"}},
		"neg bits":    {"1,a\n", CSVOptions{FeatureScaleBits: -1}, ErrInvalid, []string{"FeatureScaleBits"}},
		"label col":   {"1,a\n", CSVOptions{LabelColumn: 3}, ErrInvalid, []string{"the label column is 3"}},
		"neg col":     {"1,a\n", CSVOptions{LabelColumn: -1}, ErrInvalid, []string{"LabelColumn is -1"}},
		"bad name":    {"1,a\n", CSVOptions{Name: "\xff"}, ErrInvalid, []string{"Name"}},
	}
	for name, c := range cases {
		_, err := loadCSV(t, c.text, c.opt)
		require.Error(t, err, name)
		assert.ErrorIs(t, err, c.is, "%s: %v", name, err)
		assert.True(t, strings.HasPrefix(err.Error(), "iris.csv: "), "%s: %v", name, err)
		for _, w := range c.want {
			assert.Contains(t, err.Error(), w, name)
		}
	}
}
