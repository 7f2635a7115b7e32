package commands

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// foldedSlow is appendFolded's rule written out rune by rune: the reference.
func foldedSlow(s string) string {
	var dst []byte
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			space = len(dst) > 0
			continue
		}
		if r >= 0xad && IsInvisible(r) {
			continue
		}
		if space {
			dst = append(dst, ' ')
			space = false
		}
		dst = utf8.AppendRune(dst, unicode.ToLower([]rune(NormalizeName(string(r)))[0]))
	}
	return string(dst)
}

// oneLineSlow is OneLine's rule written with the standard library: the
// reference for appendLine.
func oneLineSlow(s string) string {
	clean := strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r):
			return ' '
		case IsInvisible(r):
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(clean), " ")
}

func TestFastPathsAgreeWithReference(t *testing.T) {
	alphabet := []rune("\ufffd\u0085\u00a0\u2028\u2217\u02cbaZ09 -_.~&=%?/+\t\n\x00\x7fÉé\u200b\u202eЖж 中*`<>\"\\")
	rng := rand.New(rand.NewPCG(1, 2))
	inputs := []string{"", "Jane Doe", "  JANE\tDOE  ", "abc123&x=1", "../../x", "Tom & Jerry <dev>", "a\xffb", "\xc3 x"}
	for range 2000 {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteRune(alphabet[rng.IntN(len(alphabet))])
		}
		inputs = append(inputs, b.String())
	}
	for _, s := range inputs {
		if got, want := string(appendFolded(nil, s)), foldedSlow(s); got != want {
			t.Errorf("appendFolded(%q) = %q, want %q", s, got, want)
		}
		if got, want := OneLine(s), oneLineSlow(s); got != want {
			t.Errorf("OneLine(%q) = %q, want %q", s, got, want)
		}
		if got, want := NormalizeName(s), strings.NewReplacer("\u2217", "*", "\u02cb", "`").Replace(oneLineSlow(s)); got != want {
			t.Errorf("NormalizeName(%q) = %q, want %q", s, got, want)
		}
	}
}
