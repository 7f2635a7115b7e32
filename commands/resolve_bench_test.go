package commands

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// The allocation-free comparisons in resolve.go must agree exactly with the
// definitions they replace (NormalizeName and phoneDigits), on tricky and on
// random input.

var trickyNames = []string{
	"", " ", "  ", "Jane Doe", "jane doe", " Jane Doe", "Jane Doe ", "Jane  Doe", "Jane\tDoe", "Jane\u00a0Doe",
	"Jane\u3000Doe", "Jane\u0085Doe", "JANE DOE", "Jane Doe\n", "\u200bJane Doe", "Ǆane", "ǅane", "K", "\u212a",
	"Straße", "STRASSE", "\xff\xfe", "a \xff b", "Tom & Jerry <dev>", "<!channel>", "Ωmega", "ωMEGA",
}

func randomText(r *rand.Rand, alphabet []string) string {
	var b strings.Builder
	for range r.IntN(8) {
		b.WriteString(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

func TestNameEqualAgreesWithNormalizeName(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "A", "b", " ", "  ", "\t", "\u00a0", "\u3000", "é", "É", "\u212a", "k", "K", "\xff", "ß", "\u017f", "s", "*", "\u2217", "\u200b", "\x7f"}
	names := append([]string(nil), trickyNames...)
	for range 3000 {
		names = append(names, randomText(r, alphabet))
	}
	for _, name := range names {
		if got, want := isNormalizedName(name), NormalizeName(name) == name; got != want {
			t.Errorf("isNormalizedName(%q) = %v, want %v", name, got, want)
		}
		// Targets whose first character folds to or from another: the
		// fast rejection by first character must not miss them.
		for _, target := range append(trickyNames[:12:12], "k", "K", "\u212a", "s", "S", "\u017f", "*", "\u2217", "a", "kA", "ſa", "*b", "é") {
			want := NormalizeName(target)
			if got, exp := nameEqual(name, want), strings.EqualFold(NormalizeName(name), want); got != exp {
				t.Errorf("nameEqual(%q, %q) = %v, want %v", name, want, got, exp)
			}
		}
	}
}

func TestPhoneDigitsEqualAgreesWithPhoneDigits(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"1", "3", "8", "0", "+", " ", "-", ".", "(", ")", "x", "@", "\t"}
	phones := []string{"", "+", "+8613800000000", " +86 138-0000-0000 ", "8613800000000", "13800000000",
		"sip:8613800000000@x", "+86 (138) 0000.0000", "++8613800000000", "86138000000000", "8613800000000x"}
	for range 5000 {
		phones = append(phones, randomText(r, alphabet))
	}
	wants := []string{"8613800000000", "13800000000", "1", "3"}
	for _, s := range phones {
		wants = append(wants, phoneDigits(s))
	}
	for _, s := range phones {
		for _, want := range wants[:40] {
			if want == "" {
				continue
			}
			if got, exp := phoneDigitsEqual(s, want), phoneDigits(s) == want; got != exp {
				t.Errorf("phoneDigitsEqual(%q, %q) = %v, want %v", s, want, got, exp)
			}
		}
	}
}
