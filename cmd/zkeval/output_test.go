package main

import (
	"testing"
	"time"

	"github.com/zkeval/zkeval/ceremony"
)

// TestPrintable: errors quote text from hostile files; printable escapes
// what would drive the terminal and leaves the rest as it is.
func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, ≈0.7633 — é":           "plain text, ≈0.7633 — é",
		"a\x1b[1A\x1b[2K\rVALID":            `a\x1b[1A\x1b[2K\rVALID`,
		"line\nbreak\ttab":                  `line\nbreak\ttab`,
		"\u202eevil":                        `\u202eevil`,
		"bad utf-8 \xff":                    "bad utf-8 \ufffd",
		"no-break\u00a0space, C1 \u009b31m": `no-break\u00a0space, C1 \u009b31m`,
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestBeaconLineEscapes: a beacon's source is free text in the transcript
// (the manifest parser refuses unprintable ones; printing escapes them too).
func TestBeaconLineEscapes(t *testing.T) {
	b := ceremony.DescribeBeacon("00112233445566778899aabbccddeeff", "drand\n  keys            checked\x1b[8m", time.Time{})
	got := beaconLine(b)
	want := `00112233445566778899aabb…, source drand\n  keys            checked\x1b[8m (NOT CHECKABLE: source stated in free text: not checkable by a rule; give drand:CHAIN:ROUND, ethereum:block:HEIGHT or bitcoin:block:HEIGHT)`
	if got != want {
		t.Errorf("beaconLine = %q, want %q", got, want)
	}
}
