package slackui

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/commands/commandstest"
	"github.com/kickbot/kickbot/meeting"
)

// visible is everything a moderator can read in a message: the fallback
// text and every text object of every block, in order.
func visible(t testing.TB, m Message) string {
	t.Helper()
	raw, err := json.Marshal(m.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []any
	if err := json.Unmarshal(raw, &blocks); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(m.Text)
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if s, ok := x["text"].(string); ok {
				b.WriteString("\n" + s)
			}
			for _, k := range []string{"text", "elements", "accessory", "element", "fields", "confirm", "title", "label", "placeholder"} {
				if c, ok := x[k]; ok {
					walk(c)
				}
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	for _, bl := range blocks {
		walk(bl)
	}
	return b.String()
}

func mustContain(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("message does not contain %q; got:\n%s", w, got)
		}
	}
}

func mustNotContain(t *testing.T, got string, bad ...string) {
	t.Helper()
	for _, w := range bad {
		if strings.Contains(got, w) {
			t.Errorf("message contains %q; got:\n%s", w, got)
		}
	}
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"<!channel>":  "&lt;!channel&gt;",
		"<@U123>":     "&lt;@U123&gt;",
		"Tom & Jerry": "Tom &amp; Jerry",
		"&amp;":       "&amp;amp;",
		"*_~`":        "*_~`",
		"Jane Doe":    "Jane Doe",
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

// Users read "meeting ID" everywhere (issue 16); in Slack the placeholders
// are escaped, or <meeting ID> would be taken for a link.
func TestUsageSaysMeetingIDAndIsSafeMrkdwn(t *testing.T) {
	mustContain(t, commands.Usage(), "/kick <meeting ID> <participant>", `"Jane Doe"`, "-- <reason>", "+ and 5–20 digits", "at most 2,000 characters")
	for _, m := range []Message{RenderHelp(), RenderInputError(errors.New("x"))} {
		if strings.Contains(m.Text, "<meeting ID>") || !strings.Contains(RenderHelp().Text, "/kick &lt;meeting ID&gt;") {
			t.Errorf("the usage in Slack is not escaped:\n%s", m.Text)
		}
		for _, w := range []string{"MEETING", "TARGET", "conference"} {
			if strings.Contains(commands.Usage(), w) {
				t.Errorf("the usage says %q; users read \"meeting ID\" and \"participant\"", w)
			}
		}
	}
	checkSlackLimits(t, RenderHelp())
}

func TestRenderOutcome(t *testing.T) {
	o := sampleOutcome(t, []commands.Target{name("<!channel>"), id(carl.ID), name("Nobody"), id(alice.ID), id(bob.ID), name("Jane Doe")},
		nil)
	m := RenderOutcome(o)
	checkSlackLimits(t, m)
	got := visible(t, m)
	mustContain(t, got,
		"Disconnected 2 of 6 participants from meeting 914083136 (Weekly all-hands) (2 disconnected, 1 not found, 2 refused, 1 ambiguous).",
		"✅ *&lt;!channel&gt;* · +86 138-0000-0000 — disconnected",
		"✅ *Carl Berg* · 8613800000006 — disconnected",
		`❓ "Nobody" — not found in the meeting`,
		"🛡️ *Alice Chen* · +8613800000001 — refused: the host is never disconnected",
		"🛡️ *Bob Li* · +8613800000002 — refused: co-hosts are never disconnected",
		`👥 "Jane Doe" — ambiguous: matches 2 participants; use the participant ID`,
		"Reason: spam &amp; &lt;!here&gt; noise",
		"Requested by <@U123>",
		"Huawei request ID: req-hangup-1",
	)
	// Lines follow the typed order.
	if strings.Index(got, "&lt;!channel&gt;") > strings.Index(got, "Carl Berg") {
		t.Errorf("outcome lines are not in typed order:\n%s", got)
	}
}

func TestRenderOutcomeFailureAndStillPresent(t *testing.T) {
	o := sampleOutcome(t, []commands.Target{id(carl.ID), id(evil.ID)}, map[string]bool{carl.ID: true, evil.ID: true})
	got := visible(t, RenderOutcome(o))
	mustContain(t, got,
		"Could not disconnect anyone from meeting 914083136 (Weekly all-hands). The meeting service accepted the request, but nobody left meeting 914083136.",
		"⚠️ *Carl Berg* · 8613800000006 — still in the meeting: the meeting still lists them after the disconnect call")

	f := &commandstest.Meeting{State: sampleRoster(), DisconnectErr: &meeting.Error{Kind: meeting.KindRateLimited, RetryAfter: 30e9}}
	k := commands.Kick{Actor: "U123", Conference: "914083136", Targets: []commands.Target{id(carl.ID)}}
	o = commandstest.Kick(t, f, k)
	m := RenderOutcome(o)
	checkSlackLimits(t, m)
	mustContain(t, visible(t, m), "❌ *Carl Berg* · 8613800000006 — failed: The meeting service is rate-limiting kickbot — try again in 30 s.")
	mustContain(t, RenderParentFinal(o).Text,
		"❌ <@U123> could not disconnect participants from meeting 914083136 (Weekly all-hands). The meeting service is rate-limiting kickbot — try again in 30 s.")
}

func TestRenderHostileNames(t *testing.T) {
	hostile := []string{"<!channel>", "<!here|here>", "<@U0123ABC>", "<#C999>", "<https://evil.example|click>",
		"<!subteam^S1>", "&lt;!everyone&gt;", "Jane\n✅ *Alice Chen* — disconnected", "\x1b[2J<!everyone>"}
	r := &meeting.Roster{ConferenceID: "914083136", Subject: "<!channel> party & more"}
	var targets []commands.Target
	for i, n := range hostile {
		p := meeting.Participant{ID: "p" + strconv.Itoa(i) + "0000000", Name: n, Phone: "<!here>"}
		r.Participants = append(r.Participants, p)
		targets = append(targets, id(p.ID))
	}
	k := commands.Kick{Actor: "U123", Channel: "C42", Conference: "914083136", Reason: "<!channel> & co", Targets: targets}
	o := commandstest.Kick(t, &commandstest.Meeting{State: r}, k)
	amb := RenderAmbiguous(k, []commands.Ambiguity{{Target: name("<!channel>"), Candidates: r.Participants}})
	for label, m := range map[string]Message{
		"outcome": RenderOutcome(o), "final": RenderParentFinal(o), "ops": RenderOpsNotice(o, "https://x.slack.com/archives/C42/p1"),
		"started": RenderStarted(k, "<@U123>"), "ambiguous": amb,
		"denied":  RenderDeniedNotice("U123", "C42", "914083136", commands.Decision{Reason: "<!channel>", Code: "user"}),
		"failure": RenderFailureNotice(k, errors.New("<!channel>")),
	} {
		t.Run(label, func(t *testing.T) {
			checkSlackLimits(t, m) // fails on any raw <!…>, <@U0123ABC>, <#C999> or bare &
			got := visible(t, m)
			mustNotContain(t, got, "\x1b", "Jane\n", "<@U0123ABC>", "<#C999>", "<!")
		})
	}
	// The name stays one bold span: its own stars are shown as look-alikes.
	mustContain(t, visible(t, RenderOutcome(o)), "*Jane ✅ ∗Alice Chen∗ — disconnected* · &lt;!here&gt; — disconnected")
}

func TestRenderManyTargetsStaysWithinLimits(t *testing.T) {
	// Worst case at the default limit: 25 participants whose names escape to
	// far more than 96 runes, and 25 long names that match nobody.
	r := &meeting.Roster{ConferenceID: "914083136", Subject: strings.Repeat("S&", 200)}
	var targets []commands.Target
	for i := range 25 {
		n := strings.Repeat("<&>", 40) + strconv.Itoa(i)
		p := meeting.Participant{ID: "p" + strconv.Itoa(1000000+i), Name: n, Phone: "+86" + strconv.Itoa(13800000000+i)}
		r.Participants = append(r.Participants, p)
		targets = append(targets, id(p.ID))
	}
	for i := range 25 {
		targets = append(targets, name(strings.Repeat("x", 90)+strconv.Itoa(i)))
	}
	k := commands.Kick{Actor: "U123", Channel: "C42", Conference: "914083136", Reason: strings.Repeat("<", 500), Targets: targets}
	o := commandstest.Kick(t, &commandstest.Meeting{State: r}, k)
	m := RenderOutcome(o)
	size := checkSlackLimits(t, m)
	got := visible(t, m)
	if n := strings.Count(got, " — disconnected"); n != 25 {
		t.Errorf("%d disconnected lines shown, want all 25", n)
	}
	if n := strings.Count(got, " — not found in the meeting"); n != 25 {
		t.Errorf("%d not-found lines shown, want all 25", n)
	}
	// Slack sets no documented byte limit for chat.postMessage, but a
	// response_url or a Socket Mode ack payload is better kept small.
	if size > 40_000 {
		t.Errorf("outcome JSON is %d bytes for 50 targets; want under 40 KB", size)
	}
	t.Logf("50 worst-case targets: %d blocks, %d bytes of JSON", len(m.Blocks), size)
	for _, mm := range []Message{RenderParentFinal(o), RenderOpsNotice(o, ""), RenderStarted(k, "")} {
		checkSlackLimits(t, mm)
	}
}

func TestRenderStarted(t *testing.T) {
	k := commands.Kick{Actor: "U123", Conference: "914083136", Targets: []commands.Target{id(carl.ID), name("A"), name("B")}, Reason: "spam"}
	for _, tc := range []struct{ mention, want string }{
		{"<@U123>", "⏳ <@U123> is disconnecting 3 participants from meeting 914083136 …"},
		{"", "⏳ <@U123> is disconnecting 3 participants from meeting 914083136 …"},
		{"<!channel>", "⏳ <@U123> is disconnecting 3 participants from meeting 914083136 …"},
	} {
		m := RenderStarted(k, tc.mention)
		checkSlackLimits(t, m)
		if m.Text != tc.want {
			t.Errorf("RenderStarted(%q).Text = %q, want %q", tc.mention, m.Text, tc.want)
		}
		mustContain(t, visible(t, m), "Reason: spam")
	}
	k.Targets = k.Targets[:1]
	k.Actor = "console"
	if got := RenderStarted(k, "").Text; got != "⏳ console is disconnecting 1 participant from meeting 914083136 …" {
		t.Errorf("one target, console actor: %q", got)
	}
}

func TestRenderParentFinal(t *testing.T) {
	done := sampleOutcome(t, []commands.Target{id(carl.ID)}, nil)
	partial := sampleOutcome(t, []commands.Target{id(carl.ID), name("Nobody")}, nil)
	nothing := sampleOutcome(t, []commands.Target{id(alice.ID), name("Nobody")}, nil)
	for _, tc := range []struct {
		o    commands.Outcome
		want string
	}{
		{done, "✅ <@U123> disconnected 1 participant from meeting 914083136 (Weekly all-hands)."},
		{partial, "⚠️ <@U123> disconnected 1 of 2 participants from meeting 914083136 (Weekly all-hands). Details in the thread."},
		{nothing, "❓ <@U123> asked to disconnect participants from meeting 914083136 (Weekly all-hands), but none could be (1 not found, 1 refused). Details in the thread."},
	} {
		m := RenderParentFinal(tc.o)
		checkSlackLimits(t, m)
		if m.Text != tc.want {
			t.Errorf("RenderParentFinal(%v).Text\n got  %q\n want %q", tc.o.Status, m.Text, tc.want)
		}
	}
}

// A zero outcome never reads as success.
func TestRenderZeroOutcome(t *testing.T) {
	if got := RenderParentFinal(commands.Outcome{}).Text; !strings.HasPrefix(got, "❌") {
		t.Errorf("zero outcome renders as %q, want a failure", got)
	}
}

func TestRenderOpsNotice(t *testing.T) {
	o := sampleOutcome(t, []commands.Target{id(carl.ID), name("Nobody")}, nil)
	m := RenderOpsNotice(o, "https://acme.slack.com/archives/C42/p1700000000000100")
	checkSlackLimits(t, m)
	mustContain(t, visible(t, m),
		"⚠️ <@U123> in <#C42>: Disconnected 1 of 2 participants from meeting 914083136 (Weekly all-hands) (1 disconnected, 1 not found). <https://acme.slack.com/archives/C42/p1700000000000100|View thread>",
		"Reason: spam &amp; &lt;!here&gt; noise", "Huawei request ID: req-hangup-1")
	for _, bad := range []string{"http://acme.slack.com/x", "https://x|<!channel>", "https://a b", "javascript:alert(1)"} {
		got := RenderOpsNotice(o, bad)
		checkSlackLimits(t, got)
		mustNotContain(t, visible(t, got), "View thread")
	}
}

func TestRenderDeniedNotice(t *testing.T) {
	d := commands.Authorize(commands.Policy{Channels: map[string]bool{"C42": true}, Users: map[string]bool{"U1": true}}, commands.Subject{UserID: "U9", ChannelID: "C42"}, "914083136")
	m := RenderDeniedNotice("U9", "C42", "914083136", d)
	checkSlackLimits(t, m)
	want := "🚫 <@U9> was refused in <#C42> (meeting 914083136): You are not allowed to disconnect meeting participants. Ask an admin if you need to. [user]"
	if m.Text != want {
		t.Errorf("RenderDeniedNotice().Text\n got  %q\n want %q", m.Text, want)
	}
}

func TestRenderFailures(t *testing.T) {
	k := commands.Kick{Actor: "U9", Channel: "C42", Conference: "914083136", Reason: "spam", Targets: []commands.Target{id(carl.ID), name("A")}}
	err := commandstest.PlanErr("914083136", &meeting.Error{Kind: meeting.KindNotRunning, RequestID: "req-7",
		Message: "xoxb-leak"})
	for _, tc := range []struct {
		m    Message
		want string
	}{
		{RenderFailure(k, err), "❌ Nothing was done in meeting 914083136. Meeting 914083136 is not running: it has not started yet or has already ended."},
		{RenderFailureNotice(k, err), "❌ <@U9> in <#C42>: nothing was done in meeting 914083136 (2 participants named). Meeting 914083136 is not running: it has not started yet or has already ended."},
		{RenderCannotPost(k, true), "⚠️ kickbot could not post its message in this channel, so nothing was done in meeting 914083136. Invite kickbot to the channel (/invite @kickbot) and try again."},
		{RenderCannotPost(k, false), "⚠️ kickbot could not post its message in this channel, so nothing was done in meeting 914083136. Try again in a minute."},
	} {
		checkSlackLimits(t, tc.m)
		if tc.m.Text != tc.want {
			t.Errorf("Text\n got  %q\n want %q", tc.m.Text, tc.want)
		}
		mustNotContain(t, visible(t, tc.m), "xoxb")
	}
	mustContain(t, visible(t, RenderFailureNotice(k, err)), "Reason: spam", "Huawei request ID: req-7")
}

func TestRenderAmbiguous(t *testing.T) {
	k := commands.Kick{Actor: "U1", Conference: "914083136"}
	res := commands.Resolve(sampleRoster(), []commands.Target{name("Jane Doe"), phone("+8613800000009")})
	m := RenderAmbiguous(k, res.Ambiguous)
	checkSlackLimits(t, m)
	mustContain(t, visible(t, m),
		"Nothing was done: 2 names match more than one participant of meeting 914083136, and kickbot never guesses.",
		`*"Jane Doe"* matches 2 participants:`,
		"• *Jane Doe* · +8613800000003 · in meeting · ID `c0000000000000000000000000000003`",
		"• *jane doe* · in meeting · ID `d0000000000000000000000000000004`",
		"*+8613800000009* matches 2 participants:")

	var many []meeting.Participant
	for i := range 3000 {
		many = append(many, meeting.Participant{ID: "id" + strconv.Itoa(100000+i), Name: "Participant", Phone: "+86138" + strconv.Itoa(10000000+i)})
	}
	var ambs []commands.Ambiguity
	for i := range 50 {
		ambs = append(ambs, commands.Ambiguity{Target: name("Participant" + strings.Repeat("&", 90) + strconv.Itoa(i)), Candidates: many})
	}
	m = RenderAmbiguous(k, ambs)
	size := checkSlackLimits(t, m)
	mustContain(t, visible(t, m), "…and 2990 more", "…and 40 names match several participants too.")
	if size > 40_000 {
		t.Errorf("ambiguity JSON is %d bytes; want under 40 KB", size)
	}
	t.Logf("50 ambiguous names × 3,000 candidates: %d blocks, %d bytes", len(m.Blocks), size)
}

func TestRenderInputErrorAndDenied(t *testing.T) {
	_, err := commands.Parse(`914083136 "<!channel>`, 50)
	m := RenderInputError(err)
	checkSlackLimits(t, m)
	if m.Text != `⚠️ Unbalanced quote: the name starting "&lt;!channel&gt;" has no closing quote` {
		t.Errorf("RenderInputError().Text = %q", m.Text)
	}
	mustContain(t, visible(t, m), "Usage:")

	m = RenderInputError(errors.New("internal detail: xoxb-123"))
	mustNotContain(t, visible(t, m), "xoxb")
	mustContain(t, m.Text, "could not understand")

	d := commands.Authorize(commands.Policy{}, commands.Subject{UserID: "U1", ChannelID: "D1"}, "1")
	m = RenderDenied(d)
	checkSlackLimits(t, m)
	if m.Text != "🚫 /kick doesn't work in direct messages. Use it in a channel where kickbot is enabled." {
		t.Errorf("RenderDenied().Text = %q", m.Text)
	}
}

func TestClipMrkdwnKeepsEntitiesWhole(t *testing.T) {
	s := strings.Repeat("a", 8) + "&amp;" + "<@U123>"
	for max := 1; max <= utf8Len(s); max++ {
		got := clipMrkdwn(s, max)
		if utf8Len(got) > max {
			t.Errorf("clipMrkdwn(%d) = %q: too long", max, got)
		}
		checkMarkup(t, "clip "+strconv.Itoa(max), got)
	}
}

func TestLineSectionsOverflow(t *testing.T) {
	lines := make([]string, 200)
	for i := range lines {
		lines[i] = strings.Repeat("x", 1000)
	}
	got := lineSections(lines, 10)
	if len(got) != 10 {
		t.Fatalf("%d sections, want 10", len(got))
	}
	last := got[9].(*slack.SectionBlock).Text.Text
	if last != "…and 182 more not shown." {
		t.Errorf("last section = %q, want the count of hidden lines", last)
	}
}

func utf8Len(s string) int { return len([]rune(s)) }
