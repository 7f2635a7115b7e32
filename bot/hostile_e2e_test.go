package bot_test

// Hostile input end to end (issue 5): display names chosen by outsiders
// (mentions, mrkdwn, newlines, bidi and zero-width characters), IDs that
// look like query-string or path injection, and oversized payloads, sent
// through the real Socket Mode client, the bot and the real meeting client
// against the fakes. What is asserted is what a moderator would see and
// what the meeting would receive.

import (
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/kickbot/kickbot/bot/slackfake"
	"github.com/kickbot/kickbot/bot/slackui"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

const hostileConf = "777000111"

// Participants of hostileConf. The IDs a moderator types pass the grammar;
// injectionPID does not, and can only be reached through a list's button.
const (
	realJanePID  = "hreal000001"
	spoofJanePID = "hspoof00001"
	newlinePID   = "hnewline001"
	mentionPID   = "hmention001"
	quotePID     = "hquote00001"
	bidiPID      = "hbidi000001"
	malloryPID   = "mallory0001"
	injectionPID = "abc123&conferenceID=1"
	newlineName  = "x\n✅ Everyone — disconnected"
)

func seedHostile(h *harness) {
	h.sim.AddConference(hostileConf).Running().Subject("\u202eekoj\u202c <!channel>\nWeekly").
		Host(meetingtest.P{ID: "hhost000001", Name: "Host\u202e"}).
		Participant(meetingtest.P{ID: realJanePID, Name: "JaneDoe", Phone: "+8613800000101"}).
		Participant(meetingtest.P{ID: spoofJanePID, Name: "Jane\u200bDoe", Phone: "+8613800000102"}).
		Participant(meetingtest.P{ID: newlinePID, Name: newlineName}).
		Participant(meetingtest.P{ID: mentionPID, Name: "<!channel> <!here> <@U123> <#C123> <http://evil.example|click>"}).
		Participant(meetingtest.P{ID: bidiPID, Name: "\u202eeciffO\u202c \u2066Bob\u2069 \u200eLRM\u200f"}).
		Participant(meetingtest.P{ID: "hmarkup0001", Name: "Eve* · ID `" + realJanePID + "` · *x _it_ ~s~"}).
		Participant(meetingtest.P{ID: quotePID, Name: "> fake quote", Phone: "\u202e+86\n138"}).
		Participant(meetingtest.P{ID: malloryPID, Name: "Mallory\u2060\ufeff"}).
		Participant(meetingtest.P{ID: injectionPID, Name: "Injection Pid"})
}

// invisibleOrControl reports a rune no message may carry: a bidi control,
// a zero-width or other invisible character, or a control character other
// than the newlines between the bot's own lines.
func invisibleOrControl(r rune) bool {
	switch {
	case r == '\n':
		return false
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c,
		r >= 0x200b && r <= 0x200d, r == 0x2060, r == 0xfeff, r == 0x3164, r == 0x2028, r == 0x2029:
		return true
	}
	return unicode.IsControl(r)
}

// checkInert fails if a message the bot sent could ping, link, forge a line
// or read differently from what it is.
func checkInert(t *testing.T, where string, m slackfake.Message) {
	t.Helper()
	raw := m.Text
	if len(m.Blocks) > 0 {
		raw = strings.Join(rawTexts(t, m), "\n")
	}
	for _, r := range raw {
		if invisibleOrControl(r) {
			t.Errorf("%s carries %U:\n%+q", where, r, raw)
			break
		}
	}
	for _, bad := range []string{"<!channel", "<!here", "<@U123>", "<#C123>", "<http://evil"} {
		if strings.Contains(raw, bad) {
			t.Errorf("%s sends %q unescaped:\n%s", where, bad, raw)
		}
	}
	for _, line := range strings.Split(raw, "\n") {
		if strings.HasPrefix(line, "✅ Everyone") || strings.HasPrefix(line, "&gt;") || strings.HasPrefix(line, ">") {
			t.Errorf("%s has a line forged by a name: %q\n%s", where, line, raw)
		}
	}
}

// kickCmd runs /kick text as moderator and returns the new parent (as
// updated) and its thread reply, ignoring messages posted before.
func (h *harness) kickCmd(text string) (parent, reply slackfake.Message) {
	h.t.Helper()
	old := map[string]bool{}
	for _, m := range h.slack.Messages() {
		old[m.TS] = true
	}
	_, ack := h.slash(moderator, modChannel, text)
	if ackText(ack) != "" {
		h.t.Fatalf("/kick %s must be acked bare, got %s", text, ackText(ack))
	}
	p := h.waitMsg("parent of "+text, func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.Channel == modChannel && m.ThreadTS == "" && !old[m.TS]
	})
	r := h.waitMsg("thread reply of "+text, func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.Channel == modChannel && m.ThreadTS == p.TS
	})
	return h.finalParent(modChannel, p.TS), r
}

func TestHostileNamesAreInertAndNeverGuessed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	seedHostile(h)

	// The list: one row per participant, every name on its own row, inert.
	v := h.openList(moderator, hostileConf)
	checkInert(t, "the list", v.msg)
	_, names := v.rows()
	if len(names) != 10 {
		t.Fatalf("the list shows %d rows, want 10:\n%s", len(names), allText(v.msg))
	}
	if got := slices.Index(names, "x ✅ Everyone — disconnected"); got < 0 {
		t.Errorf("the name with a newline is not shown on one row: %q", names)
	}
	// The name faking an ID stays one bold span: its star and backticks are look-alikes.
	if !v.hasRow("Eve∗ · ID ˋ" + realJanePID + "ˋ · ∗x _it_ ~s~") {
		t.Errorf("the markup name does not stay inside its row's bold: %q", names)
	}
	if n := strings.Count(strings.Join(names, "\n"), "JaneDoe"); n != 2 {
		t.Errorf("%d rows read JaneDoe; want both the real one and the look-alike: %q", n, names)
	}

	// A name typed as it is seen matches both look-alikes: nothing is
	// guessed, both are offered with their IDs.
	id, ack := h.slash(moderator, modChannel, hostileConf+` "JaneDoe"`)
	if ackText(ack) != "" {
		t.Fatalf("ambiguous kick acked with %s", ackText(ack))
	}
	offer := h.private(id)
	checkInert(t, "the ambiguous answer", offer)
	for _, pid := range []string{realJanePID, spoofJanePID} {
		if !strings.Contains(allText(offer), pid) {
			t.Errorf("the candidates do not include %s:\n%s", pid, allText(offer))
		}
	}
	if got := h.hangUps(); len(h.sim.HangUpIDs(hostileConf)) != 0 || len(got) != 0 {
		t.Fatalf("an ambiguous name disconnected %v", h.sim.HangUpIDs(hostileConf))
	}

	// A name with invisible characters is found by what it shows.
	parent, reply := h.kickCmd(hostileConf + ` "Mallory"`)
	if got := h.sim.HangUpIDs(hostileConf); !slices.Equal(got, []string{malloryPID}) {
		t.Fatalf("\"Mallory\" hung up %v; want only %s", got, malloryPID)
	}
	if !strings.Contains(allText(reply), "✅ *Mallory* — disconnected") {
		t.Errorf("the outcome does not show Mallory as she looks:\n%s", allText(reply))
	}
	checkInert(t, "the parent", parent)
	checkInert(t, "the outcome", reply)

	// By ID: the bidi and mention names are reported on one line each.
	parent, reply = h.kickCmd(hostileConf + " " + bidiPID + " " + mentionPID + " -- \u202eton\u202c <!here>")
	if got := h.sim.HangUpIDs(hostileConf); !sameSet(got, []string{malloryPID, bidiPID, mentionPID}) {
		t.Fatalf("hang-ups %v; want Mallory, then the two typed IDs", got)
	}
	for _, want := range []string{"✅ *eciffO Bob LRM* — disconnected",
		"✅ *&lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt; &lt;#C123&gt; &lt;http://evil.example|click&gt;* — disconnected"} {
		if !strings.Contains(allText(reply), want) {
			t.Errorf("the outcome lacks the line %q:\n%s", want, allText(reply))
		}
	}
	checkInert(t, "the parent", parent)
	checkInert(t, "the outcome", reply)
	checkInert(t, "the ops notice", h.opsNotice("Disconnected 2 participants"))

	// A pid that looks like a query string goes only into the hang-up body.
	click := func(user, row string) string {
		t.Helper()
		n, u := len(h.listThread(v)), h.updates(v)
		id := h.press(user, v, v.disconnect(row))
		h.eventually("the click's outcome in the list's thread", func() bool { return len(h.listThread(v)) > n })
		// The list is updated last, once the click is finished: a second
		// click after that is "already done", not "in progress".
		h.waitUpdates(v, u+1)
		return id
	}
	click(moderator, "Injection Pid")
	if got := h.sim.HangUpIDs(hostileConf); !slices.Contains(got, injectionPID) || len(got) != 4 {
		t.Fatalf("hang-ups %v; want the injection-looking pid sent as it is", got)
	}
	for _, c := range h.sim.Calls() {
		if strings.Contains(c.Query, "abc123") || strings.Count(c.Query, "conferenceID=") > 1 ||
			c.ConferenceID != "" && c.ConferenceID != hostileConf {
			t.Errorf("the meeting received %s %s?%s (conference %q)", c.Method, c.Path, c.Query, c.ConferenceID)
		}
	}

	// From the list, a name with a newline or a leading ">" is reported on
	// one line; a second click is refused, naming the participant inertly.
	for _, row := range []string{"x ✅ Everyone — disconnected", "&gt; fake quote"} {
		click(moderator, row)
		thread := h.listThread(v)
		outcome := thread[len(thread)-1]
		if want := "✅ *" + row + "*"; !strings.Contains(allText(outcome), want) || !strings.Contains(allText(outcome), "— disconnected") {
			t.Errorf("the click's outcome lacks %q:\n%s", want, allText(outcome))
		}
		checkInert(t, "the click's outcome", outcome)
		again := h.press(moderator2, v, v.disconnect(row))
		refusal := h.waitMsg("the repeated click's answer", func(m slackfake.Message) bool {
			return m.Method == "response_url" && m.EnvelopeID == again
		})
		if txt := allText(refusal); !strings.Contains(txt, "*"+row+"* was already disconnected by <@"+moderator+">") {
			t.Errorf("a second click on %q is not refused as already done:\n%s", row, txt)
		}
		checkInert(t, "the repeated click's answer", refusal)
	}
	h.drain()
	for _, m := range h.slack.Messages() {
		checkInert(t, "message "+m.Method+" "+m.Channel, m)
	}
	if got := h.sim.HangUpIDs(hostileConf); !sameSet(got, []string{malloryPID, bidiPID, mentionPID, injectionPID, newlinePID, quotePID}) {
		t.Errorf("hang-ups %v; want each participant named once", got)
	}
}

func TestInjectionAndOversizedInputNeverReachTheMeeting(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	conf, pid := meetingtest.SampleConferenceID, meetingtest.SampleCarlosPID
	online := len(h.sim.Online(conf))

	huge := strings.Repeat("a", 100*1024)
	slashes := []struct{ name, text, want string }{
		{"conference with a query string", conf + "&conferenceID=1 " + pid, "is not a meeting ID"},
		{"conference with a query string, as Slack escapes it", conf + "&amp;conferenceID=1 " + pid, "is not a meeting ID"},
		{"percent-encoded conference", "914%26083136 " + pid, "is not a meeting ID"},
		{"full-width digits", "９１４０８３１３６ " + pid, "is not a meeting ID"},
		{"Arabic-Indic digits", "٩١٤٠٨٣١٣٦ " + pid, "is not a meeting ID"},
		{"path in the conference", "../../" + conf + " " + pid, "is not a meeting ID"},
		{"pid with a query string", conf + " abc123&x=1", "unrecognised target"},
		{"pid with an escaped query string", conf + " abc123%26x%3D1", "unrecognised target"},
		{"pid with a path", conf + " ../../x", "unrecognised target"},
		{"pid with a NUL", conf + " abc123\x00x", "control character (U+0000)"},
		{"invisible-only name", conf + " \"\u200b\u202e\"", "only invisible characters"},
		{"100 KB of text", conf + ` "` + huge + `"`, "the command is too long"},
		{"100 KB of mentions and bidi", conf + ` "` + strings.Repeat("<!channel>\u202e\u200b", 100*1024/16) + `"`, "the command is too long"},
	}
	for _, tc := range slashes {
		t.Run(tc.name, func(t *testing.T) {
			_, ack := h.slash(moderator, modChannel, tc.text)
			typ, text := ackEphemeral(t, ack)
			if typ != "ephemeral" || !strings.Contains(strings.ToLower(text), strings.ToLower(tc.want)) {
				t.Errorf("ack (%s) does not say %q:\n%.500s", typ, tc.want, text)
			}
			if len(ack.Payload) > 4000 {
				t.Errorf("the answer to bad input is %d bytes; it must not echo the input", len(ack.Payload))
			}
			checkInert(t, "the ack", slackfake.Message{Blocks: ack.Payload}) // every "text" in the payload
		})
	}

	// Forged and oversized button values, with no list behind them.
	forgedOK, _ := slackui.EncodeButtonValue(slackui.ButtonValue{Conference: conf, ParticipantID: "abc123&x=1", ListID: "L1"})
	clicks := []struct{ name, action, block, value, want string }{
		{"100 KB value", slackui.ActionDisconnect, "b", "k1|" + conf + "|" + huge + "|L1|0|0|", "not one kickbot recognises"},
		{"100 KB search state", slackui.ActionSearch, "k1|" + conf + "||L1|0|0|" + huge, "jane", "not one kickbot recognises"},
		{"conference with a query string", slackui.ActionDisconnect, "b", "k1|" + conf + "&conferenceID=1|" + pid + "|L1|0|0|", "not one kickbot recognises"},
		{"raw ampersand in the pid", slackui.ActionDisconnect, "b", "k1|" + conf + "|abc123&x=1|L1|0|0|", "not one kickbot recognises"},
		{"path in the list ID", slackui.ActionRefresh, "b", "k1|" + conf + "||..%2F..|0|0|", "not one kickbot recognises"},
		{"well-formed, injection-looking pid, no such list", slackui.ActionDisconnect, "b", forgedOK, "no longer active"},
	}
	for _, tc := range clicks {
		t.Run("click "+tc.name, func(t *testing.T) {
			id := h.slack.BlockAction(slackfake.Action{UserID: moderator, ChannelID: modChannel, MessageTS: "1700000000.000100",
				ActionID: tc.action, BlockID: tc.block, Value: tc.value})
			if _, err := h.slack.WaitAck(h.ctx(), id); err != nil {
				t.Fatalf("click not acked: %v", err)
			}
			answer := h.private(id)
			if !strings.Contains(allText(answer), tc.want) {
				t.Errorf("click answered %q; want it to say %q", allText(answer), tc.want)
			}
			checkInert(t, "the click's answer", answer)
		})
	}

	h.drain()
	if calls := h.sim.Calls(); len(calls) != 0 {
		t.Errorf("the meeting received %d calls; want none. First: %s %s?%s", len(calls), calls[0].Method, calls[0].Path, calls[0].Query)
	}
	if got := len(h.sim.Online(conf)); got != online || len(h.hangUps()) != 0 {
		t.Errorf("%d of %d participants online, hang-ups %v; nothing may be disconnected", got, online, h.hangUps())
	}
	for _, m := range h.slack.Messages() {
		if m.Method != "response_url" {
			t.Errorf("bad input caused a %s in %s: %s", m.Method, m.Channel, m.Text)
		}
	}
	if n := h.slack.Oversized(); n != 0 {
		t.Errorf("the bot sent %d frames over Slack's limit", n)
	}
}
