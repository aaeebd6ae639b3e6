package benchmark

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const tabularDir = "../testdata/tabular/"

func TestParseARFFCreditG(t *testing.T) {
	f, err := os.Open(tabularDir + "credit-g.arff")
	require.NoError(t, err)
	defer f.Close()
	a, err := ParseARFF(f, "credit-g.arff")
	require.NoError(t, err)
	assert.Equal(t, "german_credit", a.Relation)
	require.Len(t, a.Attributes, 21)
	require.Len(t, a.Instances, 1000)

	byName := map[string]ARFFAttribute{}
	for _, at := range a.Attributes {
		byName[at.Name] = at
	}
	assert.Equal(t, ARFFNominal, byName["checking_status"].Type)
	assert.Equal(t, []string{"<0", "0<=X<200", ">=200", "no checking"}, byName["checking_status"].Values)
	assert.Equal(t, 280, byName["checking_status"].Line)
	assert.Equal(t, ARFFNumeric, byName["age"].Type)
	assert.Equal(t, []string{"male div/sep", "female div/dep/mar", "male single", "male mar/wid", "female single"}, byName["personal_status"].Values)
	assert.Equal(t, []string{"good", "bad"}, byName["class"].Values)
	assert.Equal(t, "class", a.Attributes[20].Name)

	first := a.Instances[0]
	assert.Equal(t, 302, first.Line)
	assert.Nil(t, first.Missing)
	assert.Equal(t, []string{"<0", "6", "critical/other existing credit", "radio/tv", "1169", "no known savings", ">=7", "4",
		"male single", "none", "4", "real estate", "67", "none", "own", "2", "skilled", "1", "yes", "yes", "good"}, first.Values)

	classes := map[string]int{}
	sexes := map[string]int{}
	for _, in := range a.Instances {
		classes[in.Values[20]]++
		sexes[strings.Fields(in.Values[8])[0]]++
	}
	assert.Equal(t, map[string]int{"good": 700, "bad": 300}, classes)
	assert.Equal(t, map[string]int{"male": 690, "female": 310}, sexes)
}

func TestParseARFFSyntax(t *testing.T) {
	text := "\uFEFF% a comment\r\n" +
		"@RELATION 'my relation'\r\n" +
		"\n" +
		"@Attribute 'first name' STRING % trailing comment\n" +
		"@attribute x REAL\n" +
		"@attribute n integer\n" +
		"@attribute d date \"yyyy-MM-dd\"\n" +
		"@attribute c {'a b', \"c,d\", 'g\\'h', '50%'}\n" +
		"@DATA\n" +
		"'Ann \\'A\\'', 1.5, -2, '2020-01-01', 'a b'\n" +
		"% a comment line in the data\n" +
		"\"Bob\",?,3e2,?,\"c,d\" % comment\n" +
		"Cy,.5,+7,'2021-02-03','g\\'h'\n" +
		"Di,0,0,'2021-02-03','50%'\n"
	a, err := ParseARFF(strings.NewReader(text), "t.arff")
	require.NoError(t, err)
	assert.Equal(t, "my relation", a.Relation)
	require.Len(t, a.Attributes, 5)
	assert.Equal(t, "first name", a.Attributes[0].Name)
	assert.Equal(t, ARFFString, a.Attributes[0].Type)
	assert.Equal(t, ARFFNumeric, a.Attributes[1].Type)
	assert.Equal(t, ARFFNumeric, a.Attributes[2].Type)
	assert.Equal(t, ARFFDate, a.Attributes[3].Type)
	assert.Equal(t, "yyyy-MM-dd", a.Attributes[3].DateFormat)
	assert.Equal(t, []string{"a b", "c,d", "g'h", "50%"}, a.Attributes[4].Values)
	require.Len(t, a.Instances, 4)
	assert.Equal(t, []string{"Ann 'A'", "1.5", "-2", "2020-01-01", "a b"}, a.Instances[0].Values)
	assert.Equal(t, 10, a.Instances[0].Line)
	assert.Equal(t, []string{"Bob", "", "3e2", "", "c,d"}, a.Instances[1].Values)
	assert.Equal(t, []bool{false, true, false, true, false}, a.Instances[1].Missing)
	assert.Equal(t, 12, a.Instances[1].Line)
	assert.Equal(t, "g'h", a.Instances[2].Values[4])
	assert.Equal(t, "50%", a.Instances[3].Values[4])
}

func TestParseARFFErrors(t *testing.T) {
	head := "@relation r\n@attribute x numeric\n@attribute c {a, b}\n@data\n"
	cases := map[string]struct {
		text string
		want string
	}{
		"empty":              {"", "the file ends after 0 lines with no @relation"},
		"truncated header":   {"@relation r\n@attribute x numeric\n", "1 @attribute declarations but no @data line"},
		"truncated row":      {head + "1,a\n2", "line 6: bad format: 1 values, but the header declares 2 attributes"},
		"truncated quote":    {head + "1,'a", "line 5: bad format: unterminated quote"},
		"too many values":    {head + "1,a,b\n", "line 5: bad format: 3 values, but the header declares 2 attributes"},
		"trailing comma":     {head + "1,a,\n", "the row ends with a comma"},
		"empty value":        {head + "1,,a\n", "an empty value for attribute 2 (c); write ? for a missing value"},
		"unknown nominal":    {head + "1,a\n2,z\n", `line 6: bad format: attribute 2 (c): "z" is not one of the values declared at line 3 ("a", "b")`},
		"not numeric":        {head + "one,a\n", `attribute 1 (x) is numeric, but "one" is not a number`},
		"nan":                {head + "NaN,a\n", "is not a finite number"},
		"missing space":      {head + "1 2,a\n", `"2" follows the value of attribute 1 (x) without a comma`},
		"mid quote":          {head + "1,a'b'\n", "a quote in the middle of the value"},
		"sparse":             {head + "{0 1, 1 a}\n", "sparse ARFF is not supported"},
		"weight":             {head + "1,a,{2}\n", "weighted instances are not supported"},
		"bad attribute":      {"@relation r\n@attribute x\n@data\n", `line 2: bad format: @attribute "x" has no type`},
		"no attribute name":  {"@relation r\n@attribute\n@data\n", "@attribute needs a name and a type"},
		"unknown type":       {"@relation r\n@attribute x float\n@data\n", `unknown type "float"`},
		"relational":         {"@relation r\n@attribute x relational\n@data\n", "relational attributes are not supported"},
		"end":                {"@relation r\n@end x\n", "@end outside a relational attribute"},
		"duplicate":          {"@relation r\n@attribute x numeric\n@attribute x numeric\n@data\n", `@attribute "x" repeats the attribute declared at line 2`},
		"empty nominal":      {"@relation r\n@attribute c {}\n@data\n", "an empty list of nominal values"},
		"unclosed nominal":   {"@relation r\n@attribute c {a, b\n@data\n", "has no closing brace"},
		"dup nominal":        {"@relation r\n@attribute c {a, a}\n@data\n", `the nominal value "a" is declared twice`},
		"nominal comma":      {"@relation r\n@attribute c {a,, b}\n@data\n", "unexpected ',' in the list of nominal values"},
		"after brace":        {"@relation r\n@attribute c {a} x\n@data\n", `unexpected "x" after the closing brace`},
		"after type":         {"@relation r\n@attribute c numeric x\n@data\n", `unexpected "x" after the type numeric`},
		"no relation":        {"@attribute x numeric\n@data\n", "@attribute before @relation"},
		"two relations":      {"@relation r\n@relation s\n", "a second @relation"},
		"relation late":      {"@relation r\n@attribute x numeric\n@relation s\n", "a second @relation"},
		"relation two names": {"@relation r s\n", "@relation needs exactly one name"},
		"data first":         {"@data\n", "@data before @relation"},
		"data no attrs":      {"@relation r\n@data\n", "@data with no @attribute before it"},
		"data extra":         {"@relation r\n@attribute x numeric\n@data x\n", `unexpected "x" after @data`},
		"junk header":        {"hello\n", `found "hello" before @data`},
		"unknown decl":       {"@relation r\n@attrib x numeric\n", "unknown declaration @attrib"},
		"bad utf8":           {head + "1,\xff\n", "not valid UTF-8"},
	}
	for name, c := range cases {
		var err error
		require.NotPanics(t, func() { _, err = ParseARFF(strings.NewReader(c.text), "bad.arff") }, name)
		require.Error(t, err, name)
		assert.ErrorIs(t, err, ErrFormat, name)
		assert.Contains(t, err.Error(), c.want, name)
		assert.True(t, strings.HasPrefix(err.Error(), "bad.arff: "), "%s: %v", name, err)
	}
}

// Cutting the real file anywhere inside the data either ends at a row
// boundary or is reported on the cut line.
func TestParseARFFTruncatedRealFile(t *testing.T) {
	data, err := os.ReadFile(tabularDir + "credit-g.arff")
	require.NoError(t, err)
	for _, cut := range []int{100, 20000, 20500, 100000, 162000} {
		a, err := ParseARFF(strings.NewReader(string(data[:cut])), "cut.arff")
		if err == nil {
			assert.Less(t, len(a.Instances), 1000)
			continue
		}
		assert.ErrorIs(t, err, ErrFormat, "cut %d", cut)
		assert.True(t, strings.HasPrefix(err.Error(), "cut.arff: "), "cut %d: %v", cut, err)
		assert.Regexp(t, "truncated|cut short", err.Error(), "cut %d", cut)
	}
}
