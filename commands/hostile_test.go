package commands

import (
	"errors"
	"strings"
	"testing"

	"github.com/kickbot/kickbot/meeting"
)

// Display names are chosen by outsiders. These tests hold the core's text
// helpers and matching to the policy documented at OneLine; the renderers'
// tests (bot/slackui, textui) hold every rendering to it.

// hostileNames are names a participant could give themselves (as
// commandstest.HostileNames, which this package's own tests cannot import).
var hostileNames = []string{
	"<!channel>", "<!here>", "<!everyone>", "<@UEVIL1>", "<#CEVIL1>", "<http://evil.example|click here>",
	"*bold*", "_it_", "~s~", "`code`", "> quoted", "&gt; quoted too",
	"x\n✅ Everyone — disconnected", "y\r\n> fake quote", "z\u2028✅ line separator\u2029✅ paragraph",
	"\u202eReversed\u202c", "\u2067isolate\u2069 \u2066LRI\u2069 \u2068FSI", "\u200eLRM\u200fRLM\u061cALM",
	"Jane\u200bDoe", "Jane\u200c\u200dDoe", "\u2060WJ\ufeffBOM\u00adSHY", "\u3164", "\u115f\u1160",
	"Bob* · ID `0123456789abcdef` · *x", "\x1b[2J\x07bell", "bad\xffutf8",
}

func TestOneLinePolicy(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Jane\u200bDoe", "JaneDoe"},
		{"\u202eevil\u202c", "evil"},
		{"a\u2066b\u2069c\u2067d\u2068e", "abcde"},
		{"\u200eLRM\u200fRLM\u061cALM", "LRMRLMALM"},
		{"\u2060WJ\ufeffBOM\u00adSHY\u2061\u2064", "WJBOMSHY"},
		{"x\n✅ Everyone — disconnected", "x ✅ Everyone — disconnected"},
		{"a\u2028b\u2029c\u0085d\te\r\nf", "a b c d e f"},
		{"\x1b[2J\x07", "[2J"},
		{"  many   \u00a0 spaces  ", "many spaces"},
		{"\u3164", ""}, {"\u115f\u1160\u034f", ""},
		{"bad\xffutf8", "bad\ufffdutf8"},
		// Real names and emoji are kept as they are.
		{"عمر الفاروق", "عمر الفاروق"}, {"דוד לוי", "דוד לוי"}, {"王伟", "王伟"},
		{"❤️ 👍🏽", "❤️ 👍🏽"}, {"José Ñúñez", "José Ñúñez"},
	} {
		if got := OneLine(tc.in); got != tc.want {
			t.Errorf("OneLine(%+q) = %+q; want %+q", tc.in, got, tc.want)
		}
	}
	if got := DisplayName("\u200b\u202e\u3164"); got != "(no name)" {
		t.Errorf("a name of invisible characters shows as %+q; want (no name)", got)
	}
	// Invisible characters do not count towards the 96 shown.
	if got := DisplayName(strings.Repeat("\u200b", 200) + "Jane"); got != "Jane" {
		t.Errorf("DisplayName = %+q; want Jane", got)
	}
}

// Matching ignores what is not shown, so a look-alike is a candidate, never
// hidden and never guessed.
func TestResolveSeesThroughInvisibleCharacters(t *testing.T) {
	r := &meeting.Roster{ConferenceID: "914083136", Participants: []meeting.Participant{
		{ID: "real00001", Name: "JaneDoe"},
		{ID: "spoof0001", Name: "Jane\u200bDoe"},
		{ID: "spoof0002", Name: "\u202aJane\u200dDoe\u202c"},
		{ID: "mall00001", Name: "Mallory\ufeff"},
		{ID: "star00001", Name: "Bob* `B`"},
		{ID: "line00001", Name: "Eve\nAdams"},
	}}
	candidates := func(a Ambiguity) []string {
		var ids []string
		for _, p := range a.Candidates {
			ids = append(ids, p.ID)
		}
		return ids
	}
	for _, typed := range []string{"JaneDoe", "jane\u200bdoe", "JANE\u2060DOE"} {
		res := Resolve(r, []Target{name(typed)})
		if len(res.Kick) != 0 || len(res.Ambiguous) != 1 {
			t.Fatalf("%+q: %+v; want one ambiguity, nothing to kick", typed, res)
		}
		if got := strings.Join(candidates(res.Ambiguous[0]), ","); got != "real00001,spoof0001,spoof0002" {
			t.Errorf("%+q: candidates %s; want all three who look like JaneDoe", typed, got)
		}
	}
	for typed, want := range map[string]string{
		"Mallory": "mall00001", "Bob* `B`": "star00001", "Bob\u2217 \u02cbB\u02cb": "star00001", "Eve Adams": "line00001",
	} {
		res := Resolve(r, []Target{name(typed)})
		if len(res.Kick) != 1 || res.Kick[0].Participant.ID != want {
			t.Errorf("%+q resolved to %+v; want %s, as it is shown", typed, res, want)
		}
	}
}

// nameEqual's allocation-free fast path agrees with NormalizeName on hostile
// input, and NormalizeName is idempotent.
func TestNameEqualAgreesOnHostileNames(t *testing.T) {
	names := append([]string{"", " ", "Jane Doe", "jane  doe", "JANE DOE ", "a\x01b", "a\x7fb", "\u2217", "`", "\xff"}, hostileNames...)
	for _, a := range names {
		if l := OneLine(a); OneLine(l) != l {
			t.Errorf("OneLine is not idempotent on %+q: %+q then %+q", a, l, OneLine(l))
		}
		n := NormalizeName(a)
		if NormalizeName(n) != n {
			t.Errorf("NormalizeName is not idempotent on %+q: %+q then %+q", a, n, NormalizeName(n))
		}
		if got, want := isNormalizedName(a), n == a; got != want {
			t.Errorf("isNormalizedName(%+q) = %v; want %v", a, got, want)
		}
		if !isNormalizedName(n) {
			t.Errorf("isNormalizedName(NormalizeName(%+q) = %+q) is false", a, n)
		}
		for _, b := range names {
			want := NormalizeName(b)
			if want == "" {
				continue
			}
			if got, exp := nameEqual(a, want), strings.EqualFold(n, want); got != exp {
				t.Errorf("nameEqual(%+q, %+q) = %v; want %v", a, want, got, exp)
			}
		}
	}
}

func TestParseRefusesInvisibleOnlyNames(t *testing.T) {
	for _, text := range []string{"914083136 \"\u200b\"", "914083136 “\u202e\u202c”", "914083136 \"\u3164\u2060\""} {
		_, err := Parse(text, testMaxTargets)
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(ie.Msg, "invisible") {
			t.Errorf("Parse(%+q) = %v; want an input error about invisible characters", text, err)
		}
	}
	// A real name around invisible characters is still a name.
	if req, err := Parse("914083136 \"Jane\u200bDoe\"", testMaxTargets); err != nil || len(req.Targets) != 1 {
		t.Errorf("Parse of a name with a zero-width space: %+v, %v", req, err)
	}
}
