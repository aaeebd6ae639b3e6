package benchmark

import (
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Digests of the committed tabular benchmarks (testdata/tabular/README.md).
const (
	creditGTestDigest       = "31ac4f66d49063957fc7f8396e6d13504bb3e6f5e79c368b382c8ac5be11c5b0"
	creditGTrainDigest      = "ba4d98c8f9bcc8d451fb1433a1186764949178c2dfd0c8dcfcf33e1bb083fa76"
	creditGAgeTestDigest    = "fc3bc495a87ad6260e8f4a21a42f911e60a5115a683380f9bb905ac0377923b6"
	breastCancerTestDigest  = "15ade34bac34c1df114037527ecb4ef66e46a797095eeb5923ad1257b78eab6a"
	breastCancerTrainDigest = "4dc4216d000a880d8bc59b580209338ac64c00821cc49ba052ae825f81eba7f7"
)

func loadTabular(t *testing.T, data, schema, split string) *Benchmark {
	t.Helper()
	s, err := ReadSchema(tabularDir + schema)
	require.NoError(t, err)
	f, err := os.Open(tabularDir + data)
	require.NoError(t, err)
	defer f.Close()
	var b *Benchmark
	if strings.HasSuffix(data, ".arff") {
		b, err = LoadARFF(f, data, s, split)
	} else {
		b, err = LoadCSVSchema(f, data, s, split)
	}
	require.NoError(t, err)
	return b
}

func digestHex(t *testing.T, b *Benchmark) string {
	t.Helper()
	d, err := b.Digest()
	require.NoError(t, err)
	return hex.EncodeToString(d[:])
}

func TestCreditG(t *testing.T) {
	b := loadTabular(t, "credit-g.arff", "credit-g.schema.json", "test")
	assert.Equal(t, creditGTestDigest, digestHex(t, b))
	assert.Equal(t, "german-credit/test (300 samples, 58 features, 2 classes, 2 groups by sex)", b.String())
	assert.Equal(t, []string{"good", "bad"}, b.ClassNames)
	assert.Equal(t, "sex", b.GroupAttribute)
	assert.Equal(t, []string{"male", "female"}, b.GroupNames)
	assert.Equal(t, int64(1024), b.InputScale)
	assert.Equal(t, 10, b.Spec.ScaleBits)
	assert.Equal(t, "personal_status", b.Spec.GroupColumn)
	assert.Len(t, b.Spec.Columns, 19)
	count := func(ids []int, k int) int {
		n := 0
		for _, v := range ids {
			if v == k {
				n++
			}
		}
		return n
	}
	assert.Equal(t, 87, count(b.Labels, 1), "bad")
	assert.Equal(t, 92, count(b.Groups, 1), "female")

	// Independent check against the raw file: the test rows are the 300
	// smallest SHA-256("german-credit/i") (first of them: rows 557, 497,
	// 280, computed separately), labels and groups follow the raw values,
	// and the features of row 0 (the first test row) are as declared.
	assert.Equal(t, []int{557, 497, 280, 284, 167, 125}, HashSplitOrder("german-credit", 1000)[:6])
	f, err := os.Open(tabularDir + "credit-g.arff")
	require.NoError(t, err)
	defer f.Close()
	a, err := ParseARFF(f, "credit-g.arff")
	require.NoError(t, err)
	test := map[int]bool{}
	for _, i := range HashSplitOrder("german-credit", 1000)[:300] {
		test[i] = true
	}
	k := 0
	for i, in := range a.Instances {
		if !test[i] {
			continue
		}
		assert.Equal(t, in.Values[20] == "bad", b.Labels[k] == 1, "row %d", i)
		assert.Equal(t, strings.HasPrefix(in.Values[8], "female"), b.Groups[k] == 1, "row %d", i)
		k++
	}
	require.Equal(t, 300, k)
	x := b.X[0]
	round := func(v, sub, div float64) int64 { return int64(math.Round((v - sub) / div * 1024)) }
	assert.Equal(t, []int64{1024, 0, 0, 0}, x[:4], "checking_status '<0'")
	assert.Equal(t, round(6, 20.79, 11.94), x[4], "duration 6")
	assert.Equal(t, []int64{0, 0, 0, 0, 1024}, x[5:10], "credit_history 'critical/other existing credit'")
	assert.Equal(t, round(1169, 3299, 2830), x[21], "credit_amount 1169")
	names := b.Spec.FeatureNames()
	assert.Equal(t, "credit_amount", names[21])
	assert.Equal(t, "age", names[41])
	assert.Equal(t, round(67, 35.75, 11.56), x[41], "age 67")
	assert.Equal(t, "foreign_worker=no", names[57])

	train := loadTabular(t, "credit-g.arff", "credit-g.schema.json", "train")
	assert.Equal(t, creditGTrainDigest, digestHex(t, train))
	assert.Equal(t, 700, train.Len())
	assert.True(t, train.Spec.Equal(b.Spec))

	// Grouping by age instead: same features and labels, other groups,
	// other digest.
	age := loadTabular(t, "credit-g.arff", "credit-g-age.schema.json", "test")
	assert.Equal(t, creditGAgeTestDigest, digestHex(t, age))
	assert.Equal(t, b.X, age.X)
	assert.Equal(t, b.Labels, age.Labels)
	assert.Equal(t, []string{"<25", ">=25"}, age.GroupNames)
	assert.Equal(t, []string{"25"}, age.Spec.GroupThresholds)
	for i := range age.Groups {
		assert.Equal(t, ageOf(age, i) < 24.5, age.Groups[i] == 0, "sample %d", i)
	}
}

// ageOf returns sample i's age (whole years) from its standardised
// feature, within 0.01.
func ageOf(b *Benchmark, i int) float64 {
	return float64(b.X[i][41])/1024*11.56 + 35.75
}

func TestBreastCancer(t *testing.T) {
	b := loadTabular(t, "breast_cancer.csv", "breast_cancer.schema.json", "test")
	assert.Equal(t, breastCancerTestDigest, digestHex(t, b))
	assert.Equal(t, "breast-cancer/test (169 samples, 30 features, 2 classes)", b.String())
	assert.Equal(t, []string{"malignant", "benign"}, b.ClassNames)
	assert.False(t, b.HasGroups())
	assert.Equal(t, [][]string{{"0"}, {"1"}}, b.Spec.ClassValues)
	assert.Equal(t, []int{171, 345, 127, 454, 518, 350}, HashSplitOrder("breast-cancer", 569)[:6])

	train := loadTabular(t, "breast_cancer.csv", "breast_cancer.schema.json", "train")
	assert.Equal(t, breastCancerTrainDigest, digestHex(t, train))
	assert.Equal(t, 400, train.Len())
}

func TestTabularWriteReadRoundTrip(t *testing.T) {
	b := loadTabular(t, "credit-g.arff", "credit-g.schema.json", "test")
	path := filepath.Join(t.TempDir(), "credit.bench")
	require.NoError(t, WriteFile(path, b))
	got, err := ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, b, got)
	assert.Equal(t, creditGTestDigest, digestHex(t, got))

	// One group id changed: another digest.
	got.Groups[17] = 1 - got.Groups[17]
	assert.NotEqual(t, creditGTestDigest, digestHex(t, got))
}

func TestSchemaErrors(t *testing.T) {
	const base = `"format": "zkeval-tabular-schema/v1", "label": {"column": "y", "classes": [{"name": "a"}, {"name": "b"}]}`
	feat := `"features": [{"column": "x", "encoding": "numeric"}]`
	cases := map[string]struct {
		json string
		want string
	}{
		"not json":         {`{`, "not valid zkeval-tabular-schema/v1"},
		"unknown field":    {`{` + base + `, ` + feat + `, "labels": 1}`, `unknown field "labels"`},
		"other format":     {`{"format": "zkeval-opening/v1"}`, `format: invalid benchmark: "zkeval-opening/v1"; want "zkeval-tabular-schema/v1"`},
		"wrong format":     {`{"format": "x", "label": {"column": "y"}, ` + feat + `}`, `format: invalid benchmark: "x"`},
		"no label":         {`{"format": "zkeval-tabular-schema/v1", ` + feat + `}`, "label.column: invalid benchmark: empty string"},
		"no features":      {`{` + base + `}`, "features: invalid benchmark: no feature columns"},
		"dup feature":      {`{` + base + `, "features": [{"column": "x", "encoding": "numeric"}, {"column": "x", "encoding": "onehot"}]}`, `column "x" is listed twice`},
		"label as feature": {`{` + base + `, "features": [{"column": "y", "encoding": "numeric"}]}`, "the label cannot be a feature"},
		"bad encoding":     {`{` + base + `, "features": [{"column": "x", "encoding": "ordinal"}]}`, `features[0].encoding: invalid benchmark: "ordinal"`},
		"numeric cats":     {`{` + base + `, "features": [{"column": "x", "encoding": "numeric", "categories": ["a"]}]}`, "a numeric feature takes no categories"},
		"onehot divide":    {`{` + base + `, "features": [{"column": "x", "encoding": "onehot", "divide": 2}]}`, "a one-hot feature takes no subtract or divide"},
		"onehot dup":       {`{` + base + `, "features": [{"column": "x", "encoding": "onehot", "categories": ["a", "a"]}]}`, `"a" appears twice`},
		"bad subtract":     {`{` + base + `, "features": [{"column": "x", "encoding": "numeric", "subtract": "1/2"}]}`, `subtract: bad format: "1/2" is not a decimal number`},
		"zero divide":      {`{` + base + `, "features": [{"column": "x", "encoding": "numeric", "divide": 0}]}`, "divide is 0; want a number > 0"},
		"negative divide":  {`{` + base + `, "features": [{"column": "x", "encoding": "numeric", "divide": "-1"}]}`, "divide is -1"},
		"divide bool":      {`{` + base + `, "features": [{"column": "x", "encoding": "numeric", "divide": true}]}`, "want a decimal number"},
		"dup class":        {`{"format": "zkeval-tabular-schema/v1", "label": {"column": "y", "classes": [{"name": "a"}, {"name": "a"}]}, ` + feat + `}`, `class name "a" appears twice`},
		"shared value":     {`{"format": "zkeval-tabular-schema/v1", "label": {"column": "y", "classes": [{"name": "a"}, {"name": "b", "values": ["a"]}]}, ` + feat + `}`, `value "a" maps to both class "a" and class "b"`},
		"scale bits":       {`{` + base + `, ` + feat + `, "featureScaleBits": 63}`, "featureScaleBits: invalid benchmark: 63"},
		"skip lines":       {`{` + base + `, ` + feat + `, "skipLines": -1}`, "skipLines: invalid benchmark: -1"},
		"dup columns":      {`{` + base + `, ` + feat + `, "columns": ["x", "x"]}`, `columns: invalid benchmark: "x" appears twice`},
		"group no column":  {`{` + base + `, ` + feat + `, "group": {"attribute": "sex", "groups": [{"name": "m"}]}}`, "group.column: invalid benchmark: empty string"},
		"group no attr":    {`{` + base + `, ` + feat + `, "group": {"column": "s", "groups": [{"name": "m"}]}}`, "group.attribute: invalid benchmark: empty string"},
		"no groups":        {`{` + base + `, ` + feat + `, "group": {"attribute": "sex", "column": "s", "groups": []}}`, "0 groups"},
		"thresholds count": {`{` + base + `, ` + feat + `, "group": {"attribute": "age", "column": "age", "groups": [{"name": "young"}, {"name": "old"}], "thresholds": [25, 60]}}`, "2 thresholds for 2 groups"},
		"thresholds order": {`{` + base + `, ` + feat + `, "group": {"attribute": "age", "column": "age", "groups": [{"name": "a"}, {"name": "b"}, {"name": "c"}], "thresholds": [60, "25"]}}`, "threshold 1 (25) is not greater than threshold 0"},
		"thresholds vals":  {`{` + base + `, ` + feat + `, "group": {"attribute": "age", "column": "age", "groups": [{"name": "a", "values": ["1"]}, {"name": "b"}], "thresholds": [25]}}`, "groups defined by thresholds take no values"},
		"split method":     {`{` + base + `, ` + feat + `, "split": {"method": "random", "test": 3}}`, `split.method: invalid benchmark: "random"`},
		"hash no seed":     {`{` + base + `, ` + feat + `, "split": {"method": "hash", "test": 3}}`, "the hash split needs a seed"},
		"tail seed":        {`{` + base + `, ` + feat + `, "split": {"method": "tail", "seed": "s", "test": 3}}`, "the tail split takes no seed"},
		"test zero":        {`{` + base + `, ` + feat + `, "split": {"method": "tail", "test": 0}}`, "split.test: invalid benchmark: 0"},
	}
	for name, c := range cases {
		_, err := ParseSchema([]byte(c.json), "s.json")
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), c.want, name)
		assert.True(t, strings.HasPrefix(err.Error(), "s.json: "), "%s: %v", name, err)
	}
}

const miniARFF = `@relation people
@attribute sex {m, f}
@attribute age numeric
@attribute job {a, b, c}
@attribute y {yes, no}
@data
m, 30, a, yes
f, 22, b, no
m, 41, c, no
f, 35, a, yes
`

const miniSchema = `{"format": "zkeval-tabular-schema/v1", "name": "people",
  "label": {"column": "y"},
  "group": {"attribute": "sex", "column": "sex", "groups": [{"name": "male", "values": ["m"]}, {"name": "female", "values": ["f"]}]},
  "featureScaleBits": 2,
  "features": [{"column": "age", "encoding": "numeric", "subtract": 30, "divide": "0.5"}, {"column": "job", "encoding": "onehot"}]}`

func loadMini(t *testing.T, schema, data, split string) (*Benchmark, error) {
	t.Helper()
	s, err := ParseSchema([]byte(schema), "s.json")
	require.NoError(t, err)
	var b *Benchmark
	require.NotPanics(t, func() { b, err = LoadARFF(strings.NewReader(data), "p.arff", s, split) })
	return b, err
}

func TestLoadARFFMini(t *testing.T) {
	b, err := loadMini(t, miniSchema, miniARFF, "all")
	require.NoError(t, err)
	assert.Equal(t, []string{"yes", "no"}, b.ClassNames, "classes default to the declared values")
	assert.Equal(t, []int{0, 1, 1, 0}, b.Labels)
	assert.Equal(t, []int{0, 1, 0, 1}, b.Groups)
	assert.Equal(t, [][]int64{
		{0, 4, 0, 0},   // (30-30)/0.5 = 0
		{-64, 0, 4, 0}, // (22-30)/0.5 = -16, times 4
		{88, 0, 0, 4},  // 22 * 4
		{40, 4, 0, 0},  // 10 * 4
	}, b.X)
	assert.Equal(t, []string{"a", "b", "c"}, b.Spec.Columns[1].Categories, "categories default to the declared values")
	assert.Equal(t, "30", b.Spec.Columns[0].Subtract)
	assert.Equal(t, "0.5", b.Spec.Columns[0].Divide)
	assert.Equal(t, "all", b.Split)
}

func TestLoadTabularErrors(t *testing.T) {
	replace := func(old, new string) string {
		require.Contains(t, miniSchema, old)
		return strings.Replace(miniSchema, old, new, 1)
	}
	cases := map[string]struct {
		schema, data, split string
		want                string
	}{
		"missing group column": {replace(`"column": "sex"`, `"column": "gender"`), miniARFF, "all",
			`s.json: group.column: invalid benchmark: group column "gender" is not in p.arff; its attributes are "sex", "age", "job", "y"`},
		"missing feature column": {replace(`"column": "job"`, `"column": "work"`), miniARFF, "all",
			`feature column "work" is not in p.arff`},
		"missing label column": {replace(`"column": "y"`, `"column": "class"`), miniARFF, "all",
			`label column "class" is not in p.arff`},
		"unknown category": {replace(`"encoding": "onehot"`, `"encoding": "onehot", "categories": ["a", "b"]`), miniARFF, "all",
			`p.arff: line 9, attribute 3 (job): bad format: unknown category "c"; the schema lists "a", "b" for this one-hot feature`},
		"undeclared category": {replace(`"encoding": "onehot"`, `"encoding": "onehot", "categories": ["a", "d"]`), miniARFF, "all",
			`features[1].categories: invalid benchmark: "d" is not a value of attribute "job" (declared at p.arff line 4: "a", "b", "c")`},
		"class never seen": {replace(`"label": {"column": "y"}`, `"label": {"column": "y", "classes": [{"name": "yes"}, {"name": "no"}, {"name": "maybe", "values": ["yes2"]}]}`),
			strings.Replace(miniARFF, "{yes, no}", "{yes, no, yes2}", 1), "all",
			`p.arff: bad format: class "maybe" never occurs in the label column "y" (values "yes2"); remove it from s.json`},
		"label of no class": {replace(`"label": {"column": "y"}`, `"label": {"column": "y", "classes": [{"name": "yes"}]}`), miniARFF, "all",
			`p.arff: line 8, attribute 4 (y): bad format: label "no" is not a value of any class in s.json (yes: "yes"); add it to a class's "values"`},
		"group value unmapped": {replace(`"values": ["f"]`, `"values": ["x"]`), strings.Replace(miniARFF, "{m, f}", "{m, f, x}", 1), "all",
			`p.arff: line 8, attribute 1 (sex): bad format: value "f" maps to no group of s.json (male: "m"; female: "x")`},
		"missing value": {miniSchema, strings.Replace(miniARFF, "m, 41", "m, ?", 1), "all",
			`p.arff: line 9, attribute 2 (age): bad format: missing value (?) in the feature column`},
		"nominal as numeric": {replace(`{"column": "job", "encoding": "onehot"}`, `{"column": "job", "encoding": "numeric"}`), miniARFF, "all",
			`attribute "job" is nominal, not numeric; encode it as "onehot"`},
		"numeric onehot no categories": {replace(`{"column": "age", "encoding": "numeric", "subtract": 30, "divide": "0.5"}`, `{"column": "age", "encoding": "onehot"}`), miniARFF, "all",
			`no categories listed for column "age"`},
		"threshold on nominal": {replace(`"groups": [{"name": "male", "values": ["m"]}, {"name": "female", "values": ["f"]}]`, `"groups": [{"name": "a"}, {"name": "b"}], "thresholds": [1]`), miniARFF, "all",
			`attribute "sex" is nominal, not numeric; group it by values`},
		"split name": {replace(`"featureScaleBits": 2`, `"featureScaleBits": 2, "split": {"method": "tail", "test": 2}`), miniARFF, "all",
			`split "all": the schema divides the rows into "test" and "train"`},
		"split too big": {replace(`"featureScaleBits": 2`, `"featureScaleBits": 2, "split": {"method": "tail", "test": 4}`), miniARFF, "test",
			`split.test: invalid benchmark: 4 test rows, but p.arff has only 4 data rows`},
		"class missing in split": {replace(`"featureScaleBits": 2`, `"featureScaleBits": 2, "split": {"method": "tail", "test": 1}`), miniARFF, "test",
			`class "no" never occurs in split "test" (1 rows)`},
		"group missing in split": {replace(`"featureScaleBits": 2`, `"featureScaleBits": 2, "split": {"method": "tail", "test": 2}`),
			strings.Replace(miniARFF, "f, 35", "m, 35", 1), "test",
			`group "female" of sex never occurs in split "test" (2 rows)`},
		"no rows": {miniSchema, miniARFF[:strings.Index(miniARFF, "m, 30")], "all", "p.arff: bad format: no data rows"},
		"overflow": {replace(`"divide": "0.5"`, `"divide": "1e-30"`), miniARFF, "all",
			`p.arff: line 8, attribute 2 (age): bad format: "22" times the scale 2^2 does not fit in a 64-bit integer`},
		"csv fields in arff": {replace(`"featureScaleBits": 2`, `"featureScaleBits": 2, "skipLines": 1`), miniARFF, "all",
			"columns and skipLines apply to CSV files only"},
		"no name": {strings.Replace(miniSchema, `"name": "people",`, "", 1), miniARFF, "all", "name: invalid benchmark: empty string"},
	}
	for name, c := range cases {
		_, err := loadMini(t, c.schema, c.data, c.split)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), c.want, name)
	}
}

func TestLoadCSVSchema(t *testing.T) {
	const schema = `{"format": "zkeval-tabular-schema/v1", "name": "mini",
  "label": {"column": "y", "classes": [{"name": "neg", "values": ["0", "-"]}, {"name": "pos", "values": ["1"]}]},
  "group": {"attribute": "age", "column": "age", "groups": [{"name": "<25"}, {"name": "25-60"}, {"name": ">=60"}], "thresholds": ["25", 60]},
  "featureScaleBits": 3,
  "features": [{"column": "color", "encoding": "onehot", "categories": ["red", "green"]}, {"column": "v", "encoding": "numeric"}]}`
	const data = "y, color, v, age\n" +
		"0, red, 0.0625, 24.99\n" +
		"\n" +
		"1, \"green\", -1.5, 25\n" +
		"-, red, 2, 60\n"
	s, err := ParseSchema([]byte(schema), "s.json")
	require.NoError(t, err)
	b, err := LoadCSVSchema(strings.NewReader(data), "m.csv", s, "test")
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1, 0}, b.Labels)
	assert.Equal(t, []int{0, 1, 2}, b.Groups)
	assert.Equal(t, [][]int64{{8, 0, 1}, {0, 8, -12}, {8, 0, 16}}, b.X, "0.0625*8 = 0.5 rounds away from zero to 1")
	assert.Equal(t, []string{"25", "60"}, b.Spec.GroupThresholds)

	// Columns named by the schema, after skipped lines.
	s2, err := ParseSchema([]byte(strings.Replace(schema, `"name": "mini",`, `"name": "mini", "skipLines": 2, "columns": ["y", "color", "v", "age"],`, 1)), "s2.json")
	require.NoError(t, err)
	b2, err := LoadCSVSchema(strings.NewReader("some preamble\nanother, line\n"+data[strings.Index(data, "0, red"):]), "m2.csv", s2, "test")
	require.NoError(t, err)
	assert.Equal(t, b.X, b2.X)

	errs := map[string]struct{ schema, data, want string }{
		"unknown category": {schema, strings.Replace(data, "green", "blue", 1), `m.csv: line 4, column 2 (color): bad format: unknown category "blue"`},
		"not a number":     {schema, strings.Replace(data, "-1.5", "abc", 1), `m.csv: line 4, column 3 (v): bad format: "abc" is not a number`},
		"empty value":      {schema, strings.Replace(data, "-1.5", "", 1), `m.csv: line 4, column 3 (v): bad format: empty value in the feature column`},
		"group not number": {schema, strings.Replace(data, "24.99", "young", 1), `m.csv: line 2, column 4 (age): bad format: "young" is not a number`},
		"field count":      {schema, data + "1, red\n", "m.csv: line 6: bad format: 2 fields, but the header (line 1) names 4 columns"},
		"dup header":       {schema, strings.Replace(data, "v, age", "v, v", 1), `m.csv: line 1: bad format: header row: "v" appears twice`},
		"missing column":   {schema, strings.Replace(data, "v, age", "w, age", 1), `feature column "v" is not in m.csv; its columns are "y", "color", "w", "age"`},
		"quote":            {schema, data + "1, \"red, 1, 2\n", "m.csv: line 6, column"},
		"header only":      {schema, "y, color, v, age\n", "m.csv: bad format: no data rows"},
		"empty":            {schema, "", "no header row"},
		"no categories": {strings.Replace(schema, `, "categories": ["red", "green"]`, "", 1), data,
			`features[0].categories: invalid benchmark: no categories listed for column "color"`},
		"no classes": {strings.Replace(schema, `, "classes": [{"name": "neg", "values": ["0", "-"]}, {"name": "pos", "values": ["1"]}]`, "", 1), data,
			`label.classes: invalid benchmark: no classes listed`},
	}
	for name, c := range errs {
		s, err := ParseSchema([]byte(c.schema), "s.json")
		require.NoError(t, err, name)
		var b *Benchmark
		require.NotPanics(t, func() { b, err = LoadCSVSchema(strings.NewReader(c.data), "m.csv", s, "test") }, name)
		require.Error(t, err, name)
		assert.Nil(t, b, name)
		assert.Contains(t, err.Error(), c.want, name)
	}
	s3, err := ParseSchema([]byte(strings.Replace(schema, `"name": "mini",`, `"name": "mini", "skipLines": 9,`, 1)), "s3.json")
	require.NoError(t, err)
	_, err = LoadCSVSchema(strings.NewReader(data), "m.csv", s3, "test")
	assert.ErrorContains(t, err, "m.csv: bad format: the file has only 5 lines, but the schema skips 9")
}

func TestHashSplitOrder(t *testing.T) {
	// sha256("x/0") < sha256("x/4") < sha256("x/1") < ..., computed separately.
	assert.Equal(t, []int{0, 4, 1, 2, 3}, HashSplitOrder("x", 5))
	assert.Empty(t, HashSplitOrder("x", 0))
}
