package ceremony

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// The beacon rule. Each phase ends with a public random beacon: a value
// that nobody could know, or choose, before the last contribution of the
// phase, fixed in advance and published by someone who does not take part
// (Bowe, Gabizon and Miers 2017, section 3: the random beacon model). The
// coordinator announces before the phase opens which value will be used:
// a named round of a public randomness beacon whose rounds are emitted at
// known times (drand), or the hash of a block at a stated future height.
// The manifest records the value and its source; anyone can then fetch the
// value from that source and compare. A beacon whose source is free text,
// or missing, is whatever the coordinator chose as far as a verifier can
// tell: DescribeBeacon marks it as not checkable.
//
// Source syntax, as given to --beacon-source:
//
//	drand:CHAIN:ROUND       round ROUND of the drand chain whose chain hash
//	                        (64 hex digits) is CHAIN; the beacon is that
//	                        round's 32-byte randomness
//	ethereum:block:HEIGHT   the 32-byte hash of Ethereum mainnet block HEIGHT
//	bitcoin:block:HEIGHT    the 32-byte hash of Bitcoin block HEIGHT
//	anything else           free text, recorded and printed, not checkable

// MaxBeaconSourceLen bounds a beacon source.
const MaxBeaconSourceLen = 200

// drandChain is a drand network whose round times zkeval knows: round r is
// emitted at genesis + (r-1)·period (drand's "round at" rule).
type drandChain struct {
	name    string
	genesis int64 // Unix seconds
	period  int64 // seconds
}

// Chain hashes and parameters published by drand (https://api.drand.sh/CHAIN/info).
var drandChains = map[string]drandChain{
	"8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce": {"drand mainnet (default)", 1595431050, 30},
	"52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971": {"drand quicknet", 1692803367, 3},
}

// BeaconInfo says what a recorded beacon is and whether anyone can check it.
type BeaconInfo struct {
	Closes string `json:"closes"`           // "phase 1", or "phase 2" (the seal)
	Beacon string `json:"beacon"`           // hex, as recorded
	Source string `json:"source,omitempty"` // as recorded
	// Checkable: the source names a public value (a drand round, a block
	// hash) that anyone can fetch and compare with the beacon.
	Checkable bool `json:"checkable"`
	// How says how to check it, or why it cannot be checked.
	How string `json:"how"`
	// Emitted is when the named drand round was published, for a known
	// drand chain.
	Emitted *time.Time `json:"emitted,omitempty"`
	// Early: the named round was published before the last contribution
	// of its phase (that contribution's signed time), so it was not
	// unknown to that contributor.
	Early bool `json:"early,omitempty"`
}

// DescribeBeacon describes a beacon and its source. lastContribution is
// the signed time of the last contribution of the phase the beacon closed
// (zero when unknown).
func DescribeBeacon(beacon, source string, lastContribution time.Time) BeaconInfo {
	b := BeaconInfo{Beacon: beacon, Source: source}
	parts := strings.Split(source, ":")
	switch {
	case source == "":
		b.How = "no source recorded: not checkable; as far as a verifier can tell, whoever closed the phase chose this value"
	case parts[0] == "drand" && len(parts) == 3:
		round, err := strconv.ParseUint(parts[2], 10, 63)
		if !isDigest(parts[1]) || err != nil || round == 0 {
			b.How = "a drand source written other than drand:CHAIN_HASH:ROUND: not checkable"
			break
		}
		if len(beacon) != 64 {
			b.How = fmt.Sprintf("drand randomness has 32 bytes, this beacon %d: not drand round %d", len(beacon)/2, round)
			break
		}
		b.Checkable = true
		b.How = fmt.Sprintf("fetch round %d of drand chain %s (https://api.drand.sh/%s/public/%d) and compare its randomness with the beacon", round, parts[1], parts[1], round)
		if c, ok := drandChains[parts[1]]; ok {
			t := time.Unix(c.genesis+int64(round-1)*c.period, 0).UTC()
			b.Emitted = &t
			b.How = fmt.Sprintf("%s round %d, emitted %s: %s", c.name, round, t.Format(time.RFC3339), b.How)
			if !lastContribution.IsZero() && !t.After(lastContribution) {
				b.Early = true
			}
		}
	case (parts[0] == "ethereum" || parts[0] == "bitcoin") && len(parts) == 3 && parts[1] == "block":
		h, err := strconv.ParseUint(parts[2], 10, 63)
		if err != nil {
			b.How = fmt.Sprintf("a %s source written other than %s:block:HEIGHT: not checkable", parts[0], parts[0])
			break
		}
		if len(beacon) != 64 {
			b.How = fmt.Sprintf("a block hash has 32 bytes, this beacon %d: not the hash of block %d", len(beacon)/2, h)
			break
		}
		b.Checkable = true
		net := map[string]string{"ethereum": "Ethereum mainnet", "bitcoin": "Bitcoin"}[parts[0]]
		b.How = fmt.Sprintf("compare the beacon with the hash of %s block %d (any node or block explorer)", net, h)
	default:
		b.How = "source stated in free text: not checkable by a rule; give drand:CHAIN:ROUND, ethereum:block:HEIGHT or bitcoin:block:HEIGHT"
	}
	return b
}

// CheckBeaconSource checks a beacon source: at most MaxBeaconSourceLen
// characters, printable, no leading or trailing space.
func CheckBeaconSource(source string) error {
	if len([]rune(source)) > MaxBeaconSourceLen {
		return fmt.Errorf("beacon source longer than %d characters", MaxBeaconSourceLen)
	}
	if strings.TrimSpace(source) != source {
		return fmt.Errorf("beacon source %q has leading or trailing space", source)
	}
	for _, r := range source {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("beacon source %q has a non-printable character", source)
		}
	}
	return nil
}

// ParseBeacon decodes a beacon given in hex (an optional 0x prefix
// allowed): 16 to 1,024 bytes, for instance a drand round's 32-byte
// randomness.
func ParseBeacon(s string) ([]byte, error) {
	h := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "0x"), "0X")
	b, err := hex.DecodeString(h)
	if err != nil {
		return nil, fmt.Errorf("beacon %q is not hex: %v", s, err)
	}
	if len(b) < MinBeaconBytes || len(b) > MaxBeaconBytes {
		return nil, fmt.Errorf("beacon of %d bytes; give %d to %d bytes of public randomness in hex", len(b), MinBeaconBytes, MaxBeaconBytes)
	}
	return b, nil
}

// checkRecordedBeacon checks a beacon as the manifest records it: lowercase
// hex without prefix, of a valid length, and a valid source.
func checkRecordedBeacon(beacon, source string) error {
	b, err := ParseBeacon(beacon)
	if err != nil {
		return err
	}
	if hex.EncodeToString(b) != beacon {
		return fmt.Errorf("beacon %q is not written as lowercase hex without prefix", beacon)
	}
	return CheckBeaconSource(source)
}
