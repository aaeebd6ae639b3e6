package main

import "testing"

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

// TestBeaconTextEscapes: a beacon's source is free text in the transcript.
func TestBeaconTextEscapes(t *testing.T) {
	got := beaconText("00112233445566778899aabbccddeeff", "drand\n  keys            checked\x1b[8m")
	want := `00112233445566778899aabb… (drand\n  keys            checked\x1b[8m)`
	if got != want {
		t.Errorf("beaconText = %q, want %q", got, want)
	}
}
