package commands

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode"

	"github.com/kickbot/kickbot/meeting"
)

// Display names are chosen by outsiders. These tests hold every renderer to
// the policy documented at oneLine: one line, no invisible or bidi
// characters, nothing Slack would turn into a mention, link, quote or a
// formatting span reaching outside the name.

// hostileNames are names a participant could give themselves.
var hostileNames = []string{
	"<!channel>", "<!here>", "<!everyone>", "<@UEVIL1>", "<#CEVIL1>", "<http://evil.example|click here>",
	"*bold*", "_it_", "~s~", "`code`", "> quoted", "&gt; quoted too",
	"x\n✅ Everyone — disconnected", "y\r\n> fake quote", "z\u2028✅ line separator\u2029✅ paragraph",
	"\u202eReversed\u202c", "\u2067isolate\u2069 \u2066LRI\u2069 \u2068FSI", "\u200eLRM\u200fRLM\u061cALM",
	"Jane\u200bDoe", "Jane\u200c\u200dDoe", "\u2060WJ\ufeffBOM\u00adSHY", "\u3164", "\u115f\u1160",
	"Bob* · ID `0123456789abcdef` · *x", "\x1b[2J\x07bell", "bad\xffutf8",
}

// visibleRunesOK reports the first rune of s that must never be shown: an
// invisible/bidi character or a control other than the newlines between
// the renderer's own lines.
func badRune(s string) (rune, bool) {
	for _, r := range s {
		if r == '\n' {
			continue
		}
		if unicode.IsControl(r) || isInvisible(r) || r == '\u2028' || r == '\u2029' {
			return r, true
		}
	}
	return 0, false
}

// checkHostileOutput asserts what a reader of any rendered text must never
// see: invisible runes, a forged line, and (for mrkdwn) a raw mention or
// link.
func checkHostileOutput(t *testing.T, label, got string, mrkdwn bool) {
	t.Helper()
	if r, bad := badRune(got); bad {
		t.Errorf("%s: shows %U:\n%s", label, r, got)
	}
	for _, line := range strings.Split(got, "\n") {
		for _, forged := range []string{"✅ Everyone", "> ", "&gt; ", "✅ line separator", "✅ paragraph", "[2J"} {
			if strings.HasPrefix(line, forged) {
				t.Errorf("%s: a name started a line of its own, %q:\n%s", label, line, got)
			}
		}
	}
	if mrkdwn {
		for _, raw := range []string{"<!channel", "<!here", "<!everyone", "<@UEVIL", "<#CEVIL", "<http://evil"} {
			if strings.Contains(got, raw) {
				t.Errorf("%s: contains raw %q:\n%s", label, raw, got)
			}
		}
	}
}

func hostileRoster() *meeting.Roster {
	r := &meeting.Roster{ConferenceID: "914083136", Subject: "\u202eweekly\u202c <!channel>\nsecond line"}
	for i, n := range hostileNames {
		r.Participants = append(r.Participants, meeting.Participant{
			ID: "h" + strings.Repeat("0", 6) + string(rune('a'+i)) + "1", Name: n, Phone: "+86\u200b138\n<!here>",
		})
	}
	r.Participants = append(r.Participants, meeting.Participant{ID: "host00001", Name: "Host\u202e", Host: true})
	return r
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
		if got := oneLine(tc.in); got != tc.want {
			t.Errorf("oneLine(%+q) = %+q; want %+q", tc.in, got, tc.want)
		}
	}
	if got := displayName("\u200b\u202e\u3164"); got != "(no name)" {
		t.Errorf("a name of invisible characters shows as %+q; want (no name)", got)
	}
	// Invisible characters do not count towards the 96 shown.
	if got := displayName(strings.Repeat("\u200b", 200) + "Jane"); got != "Jane" {
		t.Errorf("displayName = %+q; want Jane", got)
	}
}

func TestEscapeTextNeutralisesMrkdwn(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"<!channel>", "&lt;!channel&gt;"},
		{"<@U123> <#C123> <http://evil|click>", "&lt;@U123&gt; &lt;#C123&gt; &lt;http://evil|click&gt;"},
		{"*bold*", "\u2217bold\u2217"},
		{"`code`", "\u02cbcode\u02cb"},
		{"_it_ ~s~", "_it_ ~s~"},
		{"> quote\n> more", "&gt; quote &gt; more"},
		{"&amp;", "&amp;amp;"},
		{"\u202e<!here>", "&lt;!here&gt;"},
	} {
		if got := escapeText(tc.in); got != tc.want {
			t.Errorf("escapeText(%+q) = %+q; want %+q", tc.in, got, tc.want)
		}
	}
	if got := NameMrkdwn("Bob* · ID `f00` · *x"); got != "*Bob\u2217 · ID \u02cbf00\u02cb · \u2217x*" {
		t.Errorf("NameMrkdwn = %q; the name must stay one bold span", got)
	}
	if got := NameMrkdwn("x\n> y"); got != "*x &gt; y*" {
		t.Errorf("NameMrkdwn = %q", got)
	}
}

// Every renderer that shows a participant, a typed name or the subject.
func TestEveryRendererNeutralisesHostileNames(t *testing.T) {
	r := hostileRoster()
	var targets []Target
	for _, p := range r.Participants {
		targets = append(targets, id(p.ID))
	}
	for _, n := range hostileNames {
		targets = append(targets, name("not here "+n))
	}
	svc := newService(&fakeMeeting{roster: hostileRoster()}) // the fake removes whom it disconnects
	k := Kick{Actor: "U123", Channel: "C42", Conference: "914083136", Reason: "\u202eno\u202c <!channel> `x`", Targets: targets}
	roster, res, err := svc.Plan(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	o := svc.Execute(context.Background(), k, roster, res)
	if len(o.Targets) != len(targets) {
		t.Fatalf("%d outcomes for %d targets", len(o.Targets), len(targets))
	}
	var amb []Ambiguity
	for _, n := range hostileNames {
		amb = append(amb, Ambiguity{Target: name(n), Candidates: r.Participants[len(hostileNames)-3:]})
	}
	slack := map[string]Message{
		"outcome":   RenderOutcome(o),
		"final":     RenderParentFinal(o),
		"ops":       RenderOpsNotice(o, "https://x.slack.com/archives/C42/p1"),
		"ambiguous": RenderAmbiguous(k, amb),
		"list":      RenderRosterPage(r, ListOptions{ListID: "L1", PageSize: 40}),
		"search":    RenderRosterPage(r, ListOptions{ListID: "L1", Query: "\u202e<!channel>\n`x`"}),
	}
	notes := map[string]string{}
	for _, p := range r.Participants {
		notes[p.ID] = RowNote(o, p.ID)
	}
	slack["list with notes"] = RenderRosterPage(r, ListOptions{ListID: "L1", PageSize: 40, ChannelNotes: notes})
	for label, m := range slack {
		checkSlackLimits(t, m)
		checkHostileOutput(t, label, visible(t, m), true)
	}
	for pid, n := range notes {
		checkHostileOutput(t, "note "+pid, n, true)
	}
	plain := map[string]string{
		"outcome text":   RenderOutcomeText(o),
		"ambiguous text": RenderAmbiguousText(k, amb),
		"roster text":    RenderRosterText(r, ListOptions{}),
	}
	for label, s := range plain {
		checkHostileOutput(t, label, s, false)
	}

	// The spoofing name stays one bold span in every mrkdwn rendering of it.
	spoof := "*Bob\u2217 · ID \u02cb0123456789abcdef\u02cb · \u2217x*"
	mustContain(t, visible(t, slack["list"]), spoof)
	mustContain(t, visible(t, slack["outcome"]), spoof)
	mustContain(t, visible(t, slack["ambiguous"]), spoof)
	// Every participant is listed once, one row each, over the list's pages
	// (long escaped names make pages shorter).
	seen := map[string]bool{}
	for page := 0; page < len(r.Participants); page++ {
		m := RenderRosterPage(r, ListOptions{ListID: "L1", PageSize: 40, Page: page})
		checkHostileOutput(t, "list page", visible(t, m), true)
		nums, _ := rowsOf(t, m)
		for _, n := range nums {
			seen[n] = true
		}
	}
	if len(seen) != len(r.Participants) {
		t.Errorf("the list's pages show %d distinct rows; want %d", len(seen), len(r.Participants))
	}
}

// rowsOf counts the participant rows ("12. *Name*…") of a list message.
func rowsOf(t *testing.T, m Message) (nums []string, names []string) {
	t.Helper()
	for _, line := range strings.Split(visible(t, m), "\n") {
		if i := strings.Index(line, ". *"); i > 0 && strings.Trim(line[:i], "0123456789") == "" {
			nums = append(nums, line[:i])
			names = append(names, line[i+2:])
		}
	}
	return nums, names
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

// nameEqual's allocation-free fast path agrees with normalizeName on hostile
// input, and normalizeName is idempotent.
func TestNameEqualAgreesOnHostileNames(t *testing.T) {
	names := append([]string{"", " ", "Jane Doe", "jane  doe", "JANE DOE ", "a\x01b", "a\x7fb", "\u2217", "`", "\xff"}, hostileNames...)
	for _, a := range names {
		if l := oneLine(a); oneLine(l) != l {
			t.Errorf("oneLine is not idempotent on %+q: %+q then %+q", a, l, oneLine(l))
		}
		n := normalizeName(a)
		if normalizeName(n) != n {
			t.Errorf("normalizeName is not idempotent on %+q: %+q then %+q", a, n, normalizeName(n))
		}
		if got, want := isNormalizedName(a), n == a; got != want {
			t.Errorf("isNormalizedName(%+q) = %v; want %v", a, got, want)
		}
		if !isNormalizedName(n) {
			t.Errorf("isNormalizedName(normalizeName(%+q) = %+q) is false", a, n)
		}
		for _, b := range names {
			want := normalizeName(b)
			if want == "" {
				continue
			}
			if got, exp := nameEqual(a, want), strings.EqualFold(n, want); got != exp {
				t.Errorf("nameEqual(%+q, %+q) = %v; want %v", a, want, got, exp)
			}
		}
	}
}

func TestSearchSeesThroughInvisibleCharacters(t *testing.T) {
	r := &meeting.Roster{ConferenceID: "914083136", Participants: []meeting.Participant{
		{ID: "real00001", Name: "JaneDoe"}, {ID: "spoof0001", Name: "Jane\u200bDoe"}, {ID: "other0001", Name: "Wang Wei"},
	}}
	m := RenderRosterPage(r, ListOptions{ListID: "L1", Query: "janedoe"})
	if nums, _ := rowsOf(t, m); len(nums) != 2 {
		t.Errorf("searching janedoe shows %d rows; want both who look like it:\n%s", len(nums), visible(t, m))
	}
}

// The page-size budget still bounds names that escape to many bytes or hide
// many invisible characters before the 96 shown.
func TestNameJSONLenBoundsHostileNames(t *testing.T) {
	for _, n := range append([]string{
		strings.Repeat("\u200b", 200) + strings.Repeat("&", 200),
		strings.Repeat("*`", 100), strings.Repeat("\u202e<", 150), strings.Repeat("\n", 50) + "x",
	}, hostileNames...) {
		b, _ := json.Marshal(escapeText(displayName(n)))
		if got, bound := len(b)-2, nameJSONLen(n); got > bound {
			t.Errorf("nameJSONLen(%.40q) = %d; the rendered name takes %d bytes", n, bound, got)
		}
	}
}

func TestParseRefusesInvisibleOnlyNames(t *testing.T) {
	for _, text := range []string{"914083136 \"\u200b\"", "914083136 “\u202e\u202c”", "914083136 \"\u3164\u2060\""} {
		_, err := Parse(text, 0)
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(ie.Msg, "invisible") {
			t.Errorf("Parse(%+q) = %v; want an input error about invisible characters", text, err)
		}
	}
	// A real name around invisible characters is still a name.
	if req, err := Parse("914083136 \"Jane\u200bDoe\"", 0); err != nil || len(req.Targets) != 1 {
		t.Errorf("Parse of a name with a zero-width space: %+v, %v", req, err)
	}
}
