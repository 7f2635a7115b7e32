package slackui

import (
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
)

// queryEscapedLen's counting agrees with url.QueryEscape, the reference.
func TestQueryEscapedLenAgreesWithQueryEscape(t *testing.T) {
	alphabet := []rune("\u2217\u02cbaZ09 -_.~&=%?/+\t\n\x00\x7fÉé\u200b\u202eЖж 中*`<>\"\\")
	rng := rand.New(rand.NewPCG(1, 2))
	inputs := []string{"", "Jane Doe", "abc123&x=1", "../../x", "Tom & Jerry <dev>"}
	for range 2000 {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteRune(alphabet[rng.IntN(len(alphabet))])
		}
		inputs = append(inputs, b.String())
	}
	for _, s := range inputs {
		if got, want := queryEscapedLen(s), len(url.QueryEscape(s)); got != want {
			t.Errorf("queryEscapedLen(%q) = %d, want %d", s, got, want)
		}
	}
}
