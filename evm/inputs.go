package evm

import (
	"fmt"

	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/metric"
)

// InputNames returns a name for each public input of the circuit that pub
// describes, in circuit order (circuits.EvalCircuit documents it): the
// model commitment, the benchmark digest's two halves, the circuit id, then
// for each claim its threshold's numerator and denominator and, when it is
// revealed, its counts. Claim inputs are named by the claim's shape with T
// for the threshold, e.g. `claims[0] accuracy >= T: q` or
// `claims[0] accuracy >= T: correct`. It returns an error when pub's claims
// do not resolve.
func InputNames(pub circuits.Public) ([]string, error) {
	labels, targets, err := pub.Resolve()
	if err != nil {
		return nil, fmt.Errorf("circuit description: %w", err)
	}
	names := []string{
		"model commitment",
		"benchmark sha256, first 16 bytes",
		"benchmark sha256, last 16 bytes",
		"circuit id, last 31 bytes",
	}
	for k, sh := range pub.Claims {
		prefix := fmt.Sprintf("claims[%d] %s %s T: ", k, sh.Key(), sh.Comparison)
		names = append(names, prefix+"threshold numerator p", prefix+"threshold denominator q")
		if !sh.Reveal {
			continue
		}
		for _, c := range metric.Counts(targets[k], labels) {
			names = append(names, prefix+c.Name(pub.Classes, pub.Groups))
		}
	}
	return names, nil
}
