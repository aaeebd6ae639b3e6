package attestation

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestComparatorName: v0.3 writes each claim's comparator as "comparator"
// (the in-toto eval-result name); v0.2 statements, which wrote
// "comparison", still parse to the same claim; a statement never mixes
// the two names with the wrong version.
func TestComparatorName(t *testing.T) {
	s := minimal(t)
	require.Contains(t, s, `"comparator": ">="`)
	require.NotContains(t, s, `"comparison"`)

	v02 := strings.Replace(strings.Replace(s, `"comparator"`, `"comparison"`, 1), PredicateType, PredicateTypeV02, 1)
	st, err := Parse([]byte(v02), "v02.json")
	require.NoError(t, err)
	require.Equal(t, ">=", st.Predicate.Claims[0].Comparison)
	require.Empty(t, st.Predicate.Claims[0].LegacyComparison)
	out, err := st.Marshal()
	require.NoError(t, err)
	require.NotContains(t, string(out), `"comparison"`, "a statement read as v0.2 is written with the v0.3 name")

	_, err = Parse([]byte(strings.Replace(s, `"comparator"`, `"comparison"`, 1)), "mixed.json")
	require.ErrorContains(t, err, `mixed.json: predicate.claims[0].comparison: this predicate version writes the comparator as "comparator"`)
	_, err = Parse([]byte(strings.Replace(s, PredicateType, PredicateTypeV02, 1)), "old.json")
	require.ErrorContains(t, err, `old.json: predicate.claims[0].comparator: this predicate version writes the comparator as "comparison"`)
	both := strings.Replace(s, `"comparator": ">=",`, `"comparator": ">=", "comparison": ">=",`, 1)
	_, err = Parse([]byte(both), "both.json")
	require.Error(t, err)
}
