package slackui

import (
	"strings"
	"testing"

	"github.com/kickbot/kickbot/commands/commandstest"
	"github.com/kickbot/kickbot/meeting"
)

// Display names are chosen by outsiders. These tests hold every Slack
// rendering to the policy documented at commands.OneLine, and to mrkdwn's:
// nothing Slack would turn into a mention, link, quote or a formatting span
// reaching outside the name.

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
	r := commandstest.HostileRoster()
	k, o, amb := commandstest.HostileKick(t)
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
		commandstest.CheckHostileOutput(t, label, visible(t, m), true)
	}
	for pid, n := range notes {
		commandstest.CheckHostileOutput(t, "note "+pid, n, true)
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
		commandstest.CheckHostileOutput(t, "list page", visible(t, m), true)
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
func TestSearchSeesThroughInvisibleCharacters(t *testing.T) {
	r := &meeting.Roster{ConferenceID: "914083136", Participants: []meeting.Participant{
		{ID: "real00001", Name: "JaneDoe"}, {ID: "spoof0001", Name: "Jane\u200bDoe"}, {ID: "other0001", Name: "Wang Wei"},
	}}
	m := RenderRosterPage(r, ListOptions{ListID: "L1", Query: "janedoe"})
	if nums, _ := rowsOf(t, m); len(nums) != 2 {
		t.Errorf("searching janedoe shows %d rows; want both who look like it:\n%s", len(nums), visible(t, m))
	}
}
