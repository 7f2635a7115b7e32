package bot_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kickbot/kickbot/bot/slackfake"
	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/config"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// End-to-end tests of /kick: each drives the real slack-go socketmode client
// through slackfake and the real meeting client through meetingtest, and
// asserts what the moderator sees (ack, private answer, thread reply,
// updated parent, ops notice) and what the meeting received (hang-up calls
// and IDs). Failure-path, delivery and shutdown tests are in
// kick_more_e2e_test.go.

func TestKickByIDPostsThreadedOutcomeAndOpsNotice(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	_, ack := h.slash(moderator, modChannel, h.facts.ConferenceID+" "+meetingtest.SampleCarlosPID)
	if ackText(ack) != "" {
		t.Fatalf("an accepted kick must be acked bare, got %s", ackText(ack))
	}
	parent, reply := h.outcome(modChannel)

	if got := h.hangUps(); !slices.Equal(got, []string{meetingtest.SampleCarlosPID}) {
		t.Fatalf("meeting received hang-ups %v, want only Carlos", got)
	}
	if !strings.Contains(allText(reply), "Carlos Mendes") || !strings.Contains(allText(reply), "disconnected") {
		t.Errorf("thread reply does not say Carlos was disconnected:\n%s", allText(reply))
	}
	if !strings.Contains(allText(parent), "<@"+moderator+">") {
		t.Errorf("parent does not name the moderator:\n%s", allText(parent))
	}
	ops := h.opsNotice(h.facts.ConferenceID)
	if link := slackfake.Permalink(modChannel, parent.TS); !strings.Contains(allText(ops), link) {
		t.Errorf("ops notice has no permalink %s to the thread:\n%s", link, allText(ops))
	}
	h.eventually("an audit line for the kick", func() bool {
		return strings.Contains(h.logs.String(), `"action":"kick"`)
	})
}

// TestKickDisconnectsTheNamedParticipants covers every way of naming a
// target that resolves to exactly one ordinary participant.
func TestKickDisconnectsTheNamedParticipants(t *testing.T) {
	t.Parallel()
	conf := meetingtest.SampleConferenceID
	cases := []struct {
		name      string
		text      string
		wantGone  []string // pids, in the order typed
		wantNames []string // what the thread reply names
		reason    string
	}{
		{name: "by ID", text: conf + " " + meetingtest.SampleCarlosPID,
			wantGone: []string{meetingtest.SampleCarlosPID}, wantNames: []string{"Carlos Mendes"}},
		{name: "by phone", text: conf + " +8613800000000",
			wantGone: []string{meetingtest.SamplePhonePID}, wantNames: []string{"Wang Wei"}},
		{name: "by quoted name", text: conf + ` "Carlos Mendes"`,
			wantGone: []string{meetingtest.SampleCarlosPID}, wantNames: []string{"Carlos Mendes"}},
		{name: "by curly-quoted name, any case and spacing", text: conf + " “carlos   MENDES”",
			wantGone: []string{meetingtest.SampleCarlosPID}, wantNames: []string{"Carlos Mendes"}},
		{name: "meeting ID with dashes", text: "914-083-136 " + meetingtest.SampleCarlosPID,
			wantGone: []string{meetingtest.SampleCarlosPID}, wantNames: []string{"Carlos Mendes"}},
		{name: "several targets with a reason",
			text:      conf + " " + meetingtest.SampleCarlosPID + `, "Priya Patel" +8613800000000 -- spamming`,
			wantGone:  []string{meetingtest.SampleCarlosPID, meetingtest.SampleHandPID, meetingtest.SamplePhonePID},
			wantNames: []string{"Carlos Mendes", "Priya Patel", "Wang Wei"}, reason: "spamming"},
		{name: "duplicates collapse into one hang-up",
			text:     conf + ` "Carlos Mendes" ` + meetingtest.SampleCarlosPID + " +8613800000004",
			wantGone: []string{meetingtest.SampleCarlosPID}, wantNames: []string{"Carlos Mendes"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{})
			before := len(h.sim.Online(conf))
			parent, reply := h.kick(tc.text)

			// What the meeting received: one bulk call with exactly these pids.
			if n := h.sim.CallCount(meetingtest.EndpointHangUp); n != 1 {
				t.Errorf("meeting received %d hang-up calls, want 1 bulk call", n)
			}
			if got := h.hangUps(); !sameSet(got, tc.wantGone) {
				t.Errorf("meeting was asked to hang up %v, want %v", got, tc.wantGone)
			}
			online := onlineIDs(h)
			for _, id := range tc.wantGone {
				if slices.Contains(online, id) {
					t.Errorf("%s is still in the meeting", id)
				}
			}
			if got, want := len(online), before-len(tc.wantGone); got != want {
				t.Errorf("%d participants left in the meeting, want %d (nobody else touched)", got, want)
			}

			// What the moderator sees.
			for _, name := range tc.wantNames {
				if !strings.Contains(lineWith(allText(reply), name), "disconnected") {
					t.Errorf("thread reply does not say %s was disconnected:\n%s", name, allText(reply))
				}
			}
			wantParent := fmt.Sprintf("disconnected %s", plural(len(tc.wantGone)))
			if !strings.Contains(allText(parent), "✅") || !strings.Contains(allText(parent), wantParent) {
				t.Errorf("parent was not updated to %q:\n%s", wantParent, allText(parent))
			}
			ops := h.opsNotice("<@" + moderator + ">")
			if link := slackfake.Permalink(modChannel, parent.TS); !strings.Contains(allText(ops), link) {
				t.Errorf("ops notice has no permalink %s:\n%s", link, allText(ops))
			}
			a := h.auditLine("kick")
			if a.Outcome != "done" || a.Conference != conf || a.User != moderator || a.Channel != modChannel {
				t.Errorf("audit line = %+v, want a done kick by %s in %s on %s", a, moderator, modChannel, conf)
			}
			if tc.reason != "" {
				for what, m := range map[string]slackfake.Message{"thread reply": reply, "parent": parent, "ops notice": ops} {
					if !strings.Contains(allText(m), "Reason: "+tc.reason) {
						t.Errorf("%s does not give the reason %q:\n%s", what, tc.reason, allText(m))
					}
				}
				if a.Reason != tc.reason {
					t.Errorf("audit reason = %q, want %q", a.Reason, tc.reason)
				}
			}
		})
	}
}

// TestKickDisconnectsNobodyWhenNoTargetIsKickable: unknown participants,
// the host and co-hosts are reported, and the meeting gets no hang-up call.
func TestKickDisconnectsNobodyWhenNoTargetIsKickable(t *testing.T) {
	t.Parallel()
	conf := meetingtest.SampleConferenceID
	cases := []struct {
		name      string
		targets   string
		wantReply []string // substrings of the thread reply
	}{
		{name: "unknown ID", targets: "0000000000000000000000000000dead",
			wantReply: []string{"0000000000000000000000000000dead — not found in the meeting"}},
		{name: "unknown name", targets: `"Nobody Here"`,
			wantReply: []string{`"Nobody Here" — not found in the meeting`}},
		{name: "unknown phone", targets: "+8613899999999",
			wantReply: []string{"+8613899999999 — not found in the meeting"}},
		{name: "host by ID", targets: meetingtest.SampleHostPID,
			wantReply: []string{"Alice Chen", "refused", "the host is never disconnected"}},
		{name: "host by name", targets: `"Alice Chen"`,
			wantReply: []string{"Alice Chen", "refused", "the host is never disconnected"}},
		{name: "co-host by phone", targets: "+8613800000003",
			wantReply: []string{"Bob Li", "refused", "co-hosts are never disconnected"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{})
			before := onlineIDs(h)
			parent, reply := h.kick(conf + " " + tc.targets)

			for _, s := range tc.wantReply {
				if !strings.Contains(allText(reply), s) {
					t.Errorf("thread reply lacks %q:\n%s", s, allText(reply))
				}
			}
			if !strings.Contains(allText(parent), "none could be") {
				t.Errorf("parent does not say nobody could be disconnected:\n%s", allText(parent))
			}
			h.opsNotice("Nobody was disconnected")
			if a := h.auditLine("kick"); a.Outcome != "nothing_to_do" {
				t.Errorf("audit outcome = %q, want nothing_to_do", a.Outcome)
			}
			h.drain()
			if n := h.sim.CallCount(meetingtest.EndpointHangUp); n != 0 {
				t.Errorf("meeting received %d hang-up calls (ids %v), want none", n, h.hangUps())
			}
			if after := onlineIDs(h); !slices.Equal(after, before) {
				t.Errorf("the meeting changed: %v, was %v", after, before)
			}
		})
	}
}

// TestKickRefusesTheHostButDisconnectsTheRest: a protected target never
// reaches the hang-up call, even alongside a kickable one.
func TestKickRefusesTheHostButDisconnectsTheRest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	parent, reply := h.kick(h.facts.ConferenceID + ` "Alice Chen" ` + meetingtest.SampleCarlosPID + " -- trolling")

	if got := h.hangUps(); !slices.Equal(got, []string{meetingtest.SampleCarlosPID}) {
		t.Fatalf("meeting was asked to hang up %v, want only Carlos (never the host)", got)
	}
	if !slices.Contains(onlineIDs(h), meetingtest.SampleHostPID) {
		t.Errorf("the host left the meeting")
	}
	if l := lineWith(allText(reply), "Alice Chen"); !strings.Contains(l, "refused") {
		t.Errorf("thread reply does not say the host was refused: %q\n%s", l, allText(reply))
	}
	if l := lineWith(allText(reply), "Carlos Mendes"); !strings.Contains(l, "disconnected") {
		t.Errorf("thread reply does not say Carlos was disconnected: %q\n%s", l, allText(reply))
	}
	if !strings.Contains(allText(parent), "disconnected 1 of 2 participants") {
		t.Errorf("parent does not report the partial result:\n%s", allText(parent))
	}
	h.opsNotice("Disconnected 1 of 2")
}

// TestKickEscapesParticipantNames: a participant named "<!channel>" must not
// ping the channel when the thread reply names them, and "&" and "<" in
// names must show as typed.
func TestKickEscapesParticipantNames(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	_, reply := h.kick(h.facts.ConferenceID + " " + meetingtest.SampleChannelPID + " " + meetingtest.SampleEscapePID)
	if got := h.hangUps(); !sameSet(got, []string{meetingtest.SampleChannelPID, meetingtest.SampleEscapePID}) {
		t.Fatalf("hang-up IDs = %v", got)
	}
	raw := strings.Join(rawTexts(t, reply), "\n")
	for _, bad := range []string{"<!channel>", "<dev>", "Tom & Jerry"} {
		if strings.Contains(raw, bad) {
			t.Errorf("thread reply sends %q unescaped as mrkdwn:\n%s", bad, raw)
		}
	}
	for _, good := range []string{"&lt;!channel&gt;", "Tom &amp; Jerry &lt;dev&gt;"} {
		if !strings.Contains(raw, good) {
			t.Errorf("thread reply lacks the escaped name %q:\n%s", good, raw)
		}
	}
}

// TestKickReportsAParticipantStillPresent: the meeting accepts the hang-up
// but still lists one participant afterwards; the moderator is told so, not
// that they are gone.
func TestKickReportsAParticipantStillPresent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	const stickyPID = "5711c4a3e0000000000000000000beef"
	h.sim.Join(h.facts.ConferenceID, meetingtest.P{ID: stickyPID, Name: "Sticky Sam", Sticky: true})

	parent, reply := h.kick(h.facts.ConferenceID + ` "Sticky Sam" ` + meetingtest.SampleCarlosPID)
	if n := h.sim.CallCount(meetingtest.EndpointHangUp); n != 1 {
		t.Errorf("meeting received %d hang-up calls, want 1", n)
	}
	if got := h.hangUps(); !sameSet(got, []string{stickyPID, meetingtest.SampleCarlosPID}) {
		t.Errorf("hang-up IDs = %v, want Sam and Carlos", got)
	}
	if !slices.Contains(onlineIDs(h), stickyPID) {
		t.Fatalf("Sam left; the test assumes a participant who stays")
	}
	if l := lineWith(allText(reply), "Sticky Sam"); !strings.Contains(l, "still in the meeting") {
		t.Errorf("thread reply does not say Sam is still in the meeting: %q\n%s", l, allText(reply))
	}
	if l := lineWith(allText(reply), "Carlos Mendes"); !strings.Contains(l, "disconnected") {
		t.Errorf("thread reply does not say Carlos was disconnected: %q", l)
	}
	if !strings.Contains(allText(parent), "⚠️") || !strings.Contains(allText(parent), "disconnected 1 of 2 participants") {
		t.Errorf("parent does not report the partial result:\n%s", allText(parent))
	}
	h.opsNotice("1 still in the meeting")
	if a := h.auditLine("kick"); a.Outcome != "partial" {
		t.Errorf("audit outcome = %q, want partial", a.Outcome)
	}
}

// TestKickWithAnAmbiguousNameDoesNothingAndShowsCandidates: a name that
// matches two participants is never guessed; the moderator alone sees both.
func TestKickWithAnAmbiguousNameDoesNothingAndShowsCandidates(t *testing.T) {
	t.Parallel()
	conf := meetingtest.SampleConferenceID
	for _, tc := range []struct{ name, targets string }{
		{"alone", `"Jane Doe"`},
		{"with a kickable target", meetingtest.SampleCarlosPID + ` "jane doe" -- spamming`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{})
			before := onlineIDs(h)
			id, ack := h.slash(moderator, modChannel, conf+" "+tc.targets)
			if ackText(ack) != "" {
				t.Fatalf("ack = %s, want bare", ackText(ack))
			}
			p := h.private(id)
			if p.ResponseType != "ephemeral" {
				t.Errorf("candidates shown with response_type %q, want ephemeral", p.ResponseType)
			}
			text := allText(p)
			for _, s := range []string{"Nothing was done", "never guesses", meetingtest.SampleJaneDoe1PID, meetingtest.SampleJaneDoe2PID} {
				if !strings.Contains(text, s) {
					t.Errorf("private answer lacks %q:\n%s", s, text)
				}
			}
			if a := h.auditLine("kick"); a.Outcome != "ambiguous" {
				t.Errorf("audit outcome = %q, want ambiguous", a.Outcome)
			}
			h.drain()
			if n := h.sim.CallCount(meetingtest.EndpointHangUp); n != 0 {
				t.Errorf("meeting received %d hang-up calls, want none", n)
			}
			if after := onlineIDs(h); !slices.Equal(after, before) {
				t.Errorf("the meeting changed: %v, was %v", after, before)
			}
			if ms := h.channelMessages(modChannel); len(ms) != 0 {
				t.Errorf("the channel saw %d messages, want none:%s", len(ms), h.dumpMessages())
			}
		})
	}
}

// TestKickBadInputIsAnsweredInTheAck: every class of bad input is answered
// privately in the ack itself, and nothing else happens: no meeting call,
// no message.
func TestKickBadInputIsAnsweredInTheAck(t *testing.T) {
	t.Parallel()
	conf := meetingtest.SampleConferenceID
	manyIDs := make([]string, config.Defaults().MaxTargets+1) // the bot's cap when its Config sets none
	for i := range manyIDs {
		manyIDs[i] = fmt.Sprintf("%032x", i+1)
	}
	cases := []struct {
		name    string
		text    string
		want    string // in the ephemeral ack
		invalid bool   // an error (shows usage too), not help
	}{
		{name: "empty text shows help", text: "", want: "Usage:"},
		{name: "blank text shows help", text: "   ", want: "Usage:"},
		{name: "help", text: "help", want: "Usage:"},
		{name: "5,000 characters", text: conf + " " + strings.Repeat(`"Jane Doe" `, 5000/11)[:5000-len(conf)-1],
			want: "the command is too long (5000 characters; at most 2000)", invalid: true},
		{name: "unbalanced quotes", text: conf + ` "Jane Doe`, want: "unbalanced quote", invalid: true},
		{name: "quote in the middle", text: conf + ` Ja"ne`, want: "a quote in the middle", invalid: true},
		{name: "bad conference ID", text: "meeting#1 " + meetingtest.SampleCarlosPID, want: "is not a meeting ID", invalid: true},
		{name: "quoted conference ID", text: `"914083136" ` + meetingtest.SampleCarlosPID, want: "must not be in quotes", invalid: true},
		{name: "conference ID too long", text: strings.Repeat("9", 65) + " " + meetingtest.SampleCarlosPID,
			want: "the meeting ID is too long", invalid: true},
		{name: "reason first", text: "-- spamming", want: "the meeting ID must come first", invalid: true},
		{name: "too many targets", text: conf + " " + strings.Join(manyIDs, " "),
			want: "too many participants: at most 50", invalid: true},
		{name: "reason too long", text: conf + " " + meetingtest.SampleCarlosPID + " -- " + strings.Repeat("x", 501),
			want: "the reason is too long (501 characters; at most 500)", invalid: true},
		{name: "reason without targets", text: conf + " -- spamming", want: "name at least one participant", invalid: true},
		{name: "control character", text: conf + " \x07" + meetingtest.SampleCarlosPID, want: "control character (U+0007)", invalid: true},
		{name: "escape sequence", text: conf + ` "Jane` + "\x1b[2J" + `Doe"`, want: "control character (U+001B)", invalid: true},
		{name: "unquoted name", text: conf + " Jane Doe", want: `put display names in double quotes`, invalid: true},
		{name: "bad phone number", text: conf + " +86-abc", want: "is not a phone number", invalid: true},
		{name: "empty quoted name", text: conf + ` ""`, want: "empty name in quotes", invalid: true},
	}
	h := newHarness(t, harnessOpts{})
	invalid := 0
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, ack := h.slash(moderator, modChannel, tc.text)
			typ, text := ackEphemeral(t, ack)
			if typ != "ephemeral" {
				t.Errorf("ack response_type = %q, want ephemeral (only the caller sees it)", typ)
			}
			if !strings.Contains(strings.ToLower(text), strings.ToLower(tc.want)) {
				t.Errorf("ack does not say %q:\n%s", tc.want, text)
			}
			if tc.invalid && !strings.Contains(text, "Usage:") {
				t.Errorf("ack for bad input does not show the usage:\n%s", text)
			}
		})
		if tc.invalid {
			invalid++
		}
	}
	// Everything is settled once Run has drained.
	h.drain()
	if calls := h.sim.Calls(); len(calls) != 0 {
		t.Errorf("the meeting received %d calls, want none; first: %s %s", len(calls), calls[0].Method, calls[0].Path)
	}
	if ms := h.slack.Messages(); len(ms) != 0 {
		t.Errorf("bad input caused %d messages, want only ack answers:%s", len(ms), h.dumpMessages())
	}
	if got := len(h.auditLines("invalid")); got != invalid {
		t.Errorf("%d invalid-input audit lines, want %d", got, invalid)
	}
}

// TestKickRefusedByPolicy: a refused request is answered privately, told to
// the ops channel, audited, and never reaches the meeting (not even a
// roster read).
func TestKickRefusedByPolicy(t *testing.T) {
	t.Parallel()
	conf := meetingtest.SampleConferenceID
	cases := []struct {
		name          string
		user, channel string
		policy        func(*commands.Policy)
		wantPrivate   string
		wantCode      string
		wantWhere     string // how the ops notice names the place
	}{
		{name: "channel not in KICK_CHANNELS", user: moderator, channel: otherChan,
			wantPrivate: "isn't enabled in this channel", wantCode: commands.DeniedChannel, wantWhere: "<#" + otherChan + ">"},
		{name: "user not in KICK_USERS", user: stranger, channel: modChannel,
			wantPrivate: "You are not allowed", wantCode: commands.DeniedUser, wantWhere: "<#" + modChannel + ">"},
		{name: "direct message", user: moderator, channel: "D0123456789",
			wantPrivate: "doesn't work in direct messages", wantCode: commands.DeniedDM, wantWhere: "in a direct message"},
		{name: "conference not allowed in this channel", user: moderator, channel: modChannel,
			policy:      func(p *commands.Policy) { p.Conferences = map[string][]string{modChannel: {"111222333"}} },
			wantPrivate: "can't be managed from this channel", wantCode: commands.DeniedConference, wantWhere: "<#" + modChannel + ">"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := harnessOpts{}
			cfg.cfg.Policy = defaultPolicy()
			if tc.policy != nil {
				tc.policy(&cfg.cfg.Policy)
			}
			h := newHarness(t, cfg)
			id, _ := h.slash(tc.user, tc.channel, conf+" "+meetingtest.SampleCarlosPID+" -- spamming")
			p := h.private(id)
			if p.ResponseType != "ephemeral" || !strings.Contains(allText(p), tc.wantPrivate) {
				t.Errorf("private answer (%s) does not say %q:\n%s", p.ResponseType, tc.wantPrivate, allText(p))
			}
			ops := h.opsNotice("was refused")
			for _, s := range []string{"<@" + tc.user + ">", tc.wantWhere, conf, "[" + tc.wantCode + "]"} {
				if !strings.Contains(allText(ops), s) {
					t.Errorf("ops notice lacks %q:\n%s", s, allText(ops))
				}
			}
			if a := h.auditLine("denied"); a.Outcome != tc.wantCode || a.User != tc.user || a.Channel != tc.channel {
				t.Errorf("audit line = %+v, want denied %s for %s in %s", a, tc.wantCode, tc.user, tc.channel)
			}
			h.drain()
			if calls := h.sim.Calls(); len(calls) != 0 {
				t.Errorf("a refused request reached the meeting: %d calls, first %s", len(calls), calls[0].Path)
			}
			if ms := h.channelMessages(tc.channel); len(ms) != 0 {
				t.Errorf("a refused request posted in %s:%s", tc.channel, h.dumpMessages())
			}
		})
	}
}

// TestKickAllowedThroughUsergroup: KICK_USERGROUPS admits members; a failed
// membership look-up refuses (fail closed) and is not cached.
func TestKickAllowedThroughUsergroup(t *testing.T) {
	t.Parallel()
	const group, member = "SKICKERS", "UGROUPIE"
	var o harnessOpts
	o.cfg.Policy = commands.Policy{
		Channels:   map[string]bool{modChannel: true},
		Users:      map[string]bool{moderator: true},
		Usergroups: []string{group},
	}
	h := newHarness(t, o)
	h.slack.SetUsergroup(group, moderator2, member)
	conf := h.facts.ConferenceID

	// 1. Slack cannot tell us the members: refused, and the meeting is untouched.
	h.slack.FailNext("usergroups.users.list", 1, "internal_error")
	id, _ := h.slash(member, modChannel, conf+" "+meetingtest.SampleCarlosPID)
	if p := h.private(id); !strings.Contains(allText(p), "could not check your usergroup membership") {
		t.Errorf("a failed look-up was not refused privately:\n%s", allText(p))
	}
	h.opsNotice("[" + commands.DeniedLookupFailed + "]")
	if calls := h.sim.Calls(); len(calls) != 0 {
		t.Fatalf("a request refused for a failed look-up reached the meeting: %d calls", len(calls))
	}

	// 2. A user in neither KICK_USERS nor the group is refused.
	id, _ = h.slash(stranger, modChannel, conf+" "+meetingtest.SampleCarlosPID)
	if p := h.private(id); !strings.Contains(allText(p), "You are not allowed") {
		t.Errorf("a non-member was not refused:\n%s", allText(p))
	}
	if calls := h.sim.Calls(); len(calls) != 0 {
		t.Fatalf("a refused request reached the meeting: %d calls", len(calls))
	}

	// 3. The look-up works again: the member kicks.
	_, ack := h.slash(member, modChannel, conf+" "+meetingtest.SampleCarlosPID)
	if ackText(ack) != "" {
		t.Fatalf("ack = %s, want bare", ackText(ack))
	}
	_, reply := h.outcome(modChannel)
	if !strings.Contains(allText(reply), "Requested by <@"+member+">") {
		t.Errorf("thread reply does not credit the group member:\n%s", allText(reply))
	}
	if got := h.hangUps(); !slices.Equal(got, []string{meetingtest.SampleCarlosPID}) {
		t.Errorf("meeting was asked to hang up %v, want Carlos", got)
	}
}

// ---- helpers ----

// kick types /kick text as moderator in modChannel, checks the ack is bare
// (accepted) and returns the updated parent and the thread reply.
func (h *harness) kick(text string) (parent, reply slackfake.Message) {
	h.t.Helper()
	_, ack := h.slash(moderator, modChannel, text)
	if ackText(ack) != "" {
		h.t.Fatalf("an accepted kick must be acked bare, got %s", ackText(ack))
	}
	return h.outcome(modChannel)
}

// drain is SIGTERM and a check that Run returned nil: afterwards every
// accepted job has finished, so counts are final.
func (h *harness) drain() {
	h.t.Helper()
	if err := h.shutdown(); err != nil {
		h.t.Fatalf("Run returned %v after shutdown, want nil", err)
	}
}

// channelMessages is what was posted (not privately) in channel.
func (h *harness) channelMessages(channel string) []slackfake.Message {
	var out []slackfake.Message
	for _, m := range h.slack.Messages() {
		if m.Method != "response_url" && m.Channel == channel {
			out = append(out, m)
		}
	}
	return out
}

// auditRecord is the part of an audit log line the tests read.
type auditRecord struct {
	Event      string   `json:"event"`
	Action     string   `json:"action"`
	User       string   `json:"user"`
	Channel    string   `json:"channel"`
	Conference string   `json:"conference"`
	Targets    []string `json:"targets"`
	Reason     string   `json:"reason"`
	Outcome    string   `json:"outcome"`
	ErrorKind  string   `json:"error_kind"`
	RequestIDs []string `json:"request_ids"`
}

func (h *harness) auditLines(action string) []auditRecord {
	var out []auditRecord
	for _, line := range strings.Split(h.logs.String(), "\n") {
		var a auditRecord
		if json.Unmarshal([]byte(line), &a) == nil && a.Event == "audit" && a.Action == action {
			out = append(out, a)
		}
	}
	return out
}

// auditLine waits for the one audit line of action.
func (h *harness) auditLine(action string) auditRecord {
	h.t.Helper()
	h.eventually("an audit line for "+action, func() bool { return len(h.auditLines(action)) > 0 })
	as := h.auditLines(action)
	if len(as) != 1 {
		h.t.Errorf("%d audit lines for %s, want 1", len(as), action)
	}
	return as[0]
}

// ackEphemeral decodes an ack's answer: its response_type and all its text.
func ackEphemeral(t *testing.T, a slackfake.Ack) (responseType, text string) {
	t.Helper()
	if len(a.Payload) == 0 {
		t.Fatalf("bare ack, want an answer for the caller")
	}
	var p struct {
		ResponseType string          `json:"response_type"`
		Text         string          `json:"text"`
		Blocks       json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(a.Payload, &p); err != nil {
		t.Fatalf("ack payload is not JSON: %v: %s", err, a.Payload)
	}
	return p.ResponseType, allText(slackfake.Message{Text: p.Text, Blocks: p.Blocks})
}

func onlineIDs(h *harness) []string {
	var ids []string
	for _, p := range h.sim.Online(h.facts.ConferenceID) {
		ids = append(ids, p.ID)
	}
	return ids
}

// lineWith is the first line of text containing s ("" if none).
func lineWith(text, s string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func plural(n int) string {
	if n == 1 {
		return "1 participant"
	}
	return fmt.Sprintf("%d participants", n)
}

// rawTexts is every "text" string of a message exactly as the bot sent it
// (JSON-decoded, but with Slack's &lt; &gt; &amp; escapes left in place).
func rawTexts(t *testing.T, m slackfake.Message) []string {
	t.Helper()
	out := []string{m.Text}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && k == "text" {
					out = append(out, s)
				} else {
					walk(e)
				}
			}
		}
	}
	var v any
	if err := json.Unmarshal(m.Blocks, &v); err != nil {
		t.Fatalf("blocks are not JSON: %v", err)
	}
	walk(v)
	return out
}
