package bot_test

// End-to-end tests of issue 13's waiting room (hold, Admit) and sweep
// (uninvited, Disconnect all), through the real slack-go client against
// slackfake and the real meeting client against the simulator.

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kickbot/kickbot/bot"
	"github.com/kickbot/kickbot/bot/slackfake"
	"github.com/kickbot/kickbot/bot/slackui"
	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting/meetingtest"
	"github.com/kickbot/kickbot/metrics"
)

// actionMetrics records bot.ActionMetrics calls.
type actionMetrics struct {
	bot.Metrics
	mu  sync.Mutex
	got []string // "action/outcome"
}

func (m *actionMetrics) Action(action, outcome string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.got = append(m.got, action+"/"+outcome)
}

func (m *actionMetrics) has(s string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Contains(m.got, s)
}

// rowButton finds the button with actionID on the section whose text
// contains s: its accessory, or an element of the actions block right
// under it (a row with two buttons).
func rowButton(v *listView, s, actionID string) (lvButton, bool) {
	for i, b := range v.blocks {
		if b.Type != "section" || !strings.Contains(b.text(), s) {
			continue
		}
		if b.Accessory != nil && b.Accessory.ActionID == actionID {
			return lvButton{blockID: b.BlockID, el: *b.Accessory}, true
		}
		if i+1 < len(v.blocks) && v.blocks[i+1].Type == "actions" {
			for _, raw := range v.blocks[i+1].Elements {
				var el lvElement
				if json.Unmarshal(raw, &el) == nil && el.ActionID == actionID {
					return lvButton{blockID: v.blocks[i+1].BlockID, el: el}, true
				}
			}
		}
	}
	return lvButton{}, false
}

// button finds the button with actionID of the row whose text contains s
// (see rowButton), or the element of an actions block with actionID when s
// is "".
func button(t *testing.T, v *listView, s, actionID string) lvButton {
	t.Helper()
	if s != "" {
		if btn, ok := rowButton(v, s, actionID); ok {
			return btn
		}
	}
	if s == "" {
		if btn, ok := v.nav(actionID); ok {
			return btn
		}
	}
	t.Fatalf("no %s button for %q in:\n%s", actionID, s, v.msg.BlocksJSON())
	return lvButton{}
}

func hasButton(v *listView, s, actionID string) bool {
	_, ok := rowButton(v, s, actionID)
	return ok
}

// holdParent runs a hold and returns the parent (final) and thread reply.
func (h *harness) hold(text string) (*listView, slackfake.Message) {
	h.t.Helper()
	_, ack := h.slash(moderator, modChannel, text)
	if ackText(ack) != "" {
		h.t.Fatalf("hold must be acked bare, got %s", ackText(ack))
	}
	p, r := h.outcome(modChannel)
	return parseList(h.t, p), r
}

func waitingIDs(h *harness) []string {
	var ids []string
	for _, p := range h.sim.Waiting(h.facts.ConferenceID) {
		ids = append(ids, p.ID)
	}
	return ids
}

func online(h *harness, pid string) bool {
	return slices.ContainsFunc(h.sim.Online(h.facts.ConferenceID), func(p meetingtest.P) bool { return p.ID == pid })
}

func TestHoldByIDPhoneNameThenAdmitOnce(t *testing.T) {
	m := &actionMetrics{Metrics: metrics.New(nil)}
	h := newHarness(t, harnessOpts{botOpts: []bot.Option{bot.WithMetrics(m)}})
	conf := h.facts.ConferenceID
	parent, reply := h.hold(conf + ` hold ` + meetingtest.SampleCarlosPID + ` +8613800000000 "Priya Patel" -- heckling`)
	_ = parent

	r := allText(reply)
	for _, want := range []string{"Moved 3 participants", "to the waiting room", "Carlos Mendes", "Wang Wei", "Priya Patel", "heckling", "<@" + moderator + ">"} {
		if !strings.Contains(r, want) {
			t.Errorf("thread reply lacks %q:\n%s", want, r)
		}
	}
	if got := waitingIDs(h); len(got) != 3 || online(h, meetingtest.SampleCarlosPID) {
		t.Fatalf("waiting room %v, Carlos online %v; want the three moved", got, online(h, meetingtest.SampleCarlosPID))
	}
	if h.sim.CallCount(meetingtest.EndpointBatchMoveToWaitingRoom) != 1 || h.hangUpCalls() != 0 {
		t.Errorf("want one bulk move and no hang-up; got %d moves, %d hang-ups",
			h.sim.CallCount(meetingtest.EndpointBatchMoveToWaitingRoom), h.hangUpCalls())
	}
	pv := parseList(t, h.finalParent(modChannel, parent.msg.TS))
	for _, name := range []string{"Carlos Mendes", "Wang Wei", "Priya Patel"} {
		btn := button(t, pv, "*"+name+"*", slackui.ActionAdmit)
		if strings.Contains(btn.el.Value, meetingtest.SampleCarlosPID) || strings.Contains(btn.el.Value, meetingtest.SamplePhonePID) {
			t.Errorf("an Admit button carries a participant ID: %q", btn.el.Value)
		}
	}
	h.opsNotice("to the waiting room")
	h.eventually("audit line for the hold", func() bool {
		return strings.Contains(h.logs.String(), `"action":"hold"`) && strings.Contains(h.logs.String(), `"outcome":"done"`)
	})
	if !m.has("hold/done") {
		t.Errorf("metrics %v lack hold/done", m.got)
	}

	// Admit Carlos: he is back; the thread and the parent say who did it.
	btn := button(t, pv, "*Carlos Mendes*", slackui.ActionAdmit)
	h.press(moderator2, pv, btn)
	h.waitMsg("admit reply in the thread", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.ThreadTS == pv.msg.TS && strings.Contains(m.Text, "back in from the waiting room")
	})
	h.eventually("Carlos back online", func() bool { return online(h, meetingtest.SampleCarlosPID) })
	h.eventually("parent shows who admitted Carlos", func() bool {
		cur := parseList(t, mustCurrent(h, pv.msg.TS))
		return strings.Contains(allText(cur.msg), "admitted by <@"+moderator2+">") && !hasButton(cur, "*Carlos Mendes*", slackui.ActionAdmit) &&
			hasButton(cur, "*Wang Wei*", slackui.ActionAdmit)
	})
	h.opsNotice("back in from the waiting room")

	// The same button again (a double click, another moderator): once only.
	id := h.press(moderator, pv, btn)
	if p := allText(h.private(id)); !strings.Contains(p, "already admitted by <@"+moderator2+">") {
		t.Errorf("second Admit answered %q; want 'already admitted by'", p)
	}
	if n := h.sim.CallCount(meetingtest.EndpointAllowWaiting); n != 1 {
		t.Errorf("%d admit calls; want 1", n)
	}
	h.eventually("audit line for the admit", func() bool {
		return strings.Contains(h.logs.String(), `"action":"admit","user":"`+moderator2+`"`)
	})
	if !m.has("admit/admitted") {
		t.Errorf("metrics %v lack admit/admitted", m.got)
	}

	// A stranger's click is refused, and reaches nothing.
	id = h.press(stranger, pv, button(t, pv, "*Wang Wei*", slackui.ActionAdmit))
	if p := allText(h.private(id)); !strings.Contains(p, "🚫") {
		t.Errorf("stranger's Admit answered %q", p)
	}
	if n := h.sim.CallCount(meetingtest.EndpointAllowWaiting); n != 1 {
		t.Errorf("a stranger's click reached the meeting: %d admit calls", n)
	}
}

func mustCurrent(h *harness, ts string) slackfake.Message {
	m, ok := h.slack.Current(modChannel, ts)
	if !ok {
		h.t.Fatalf("message %s vanished", ts)
	}
	return m
}

func TestHoldRefusesHostAndNeverGuesses(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	conf := h.facts.ConferenceID
	parent, reply := h.hold(conf + " hold " + meetingtest.SampleHostPID + " " + meetingtest.SampleCoHostPID)
	if r := allText(reply); !strings.Contains(r, "Nobody was moved") || !strings.Contains(r, "never moved to the waiting room") {
		t.Errorf("reply does not refuse the host and co-host:\n%s", r)
	}
	if _, ok := parent.nav(slackui.ActionAdmitAll); ok || strings.Contains(string(parent.msg.Blocks), slackui.ActionAdmit) {
		t.Errorf("a refused hold offers Admit buttons")
	}
	if n := h.sim.CallCount(meetingtest.EndpointBatchMoveToWaitingRoom) + h.sim.CallCount(meetingtest.EndpointMoveToWaitingRoom); n != 0 {
		t.Errorf("%d move calls for protected targets", n)
	}

	id, _ := h.slash(moderator, modChannel, conf+` hold "Jane Doe"`)
	p := allText(h.private(id))
	if !strings.Contains(p, meetingtest.SampleJaneDoe1PID) || !strings.Contains(p, meetingtest.SampleJaneDoe2PID) || !strings.Contains(p, "Nobody was moved") {
		t.Errorf("ambiguous hold does not show both candidates:\n%s", p)
	}
	if n := h.sim.CallCount(meetingtest.EndpointBatchMoveToWaitingRoom) + h.sim.CallCount(meetingtest.EndpointMoveToWaitingRoom); n != 0 {
		t.Errorf("an ambiguous name was guessed: %d move calls", n)
	}
}

// TestHoldAdmitRefusedShownPlainly: where the waiting room gives new IDs and
// refuses the old one (UNCONFIRMED upstream), the refusal is shown in the
// thread with what to do instead, and nothing changes.
func TestHoldAdmitRefusedShownPlainly(t *testing.T) {
	h := newHarness(t, harnessOpts{simOpts: []meetingtest.Option{meetingtest.WithWaitingRoomIDs(meetingtest.WaitingIDNewStrict)}})
	parent, _ := h.hold(h.facts.ConferenceID + " hold " + meetingtest.SampleCarlosPID)
	pv := parseList(t, h.finalParent(modChannel, parent.msg.TS))
	h.press(moderator, pv, button(t, pv, "*Carlos Mendes*", slackui.ActionAdmit))
	m := h.waitMsg("refusal in the thread", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.ThreadTS == pv.msg.TS && strings.Contains(m.Text, "could not admit")
	})
	for _, want := range []string{"did not accept the participant ID", "Nothing changed", "waiting room in the Huawei Cloud Meeting app"} {
		if !strings.Contains(allText(m), want) {
			t.Errorf("refusal lacks %q:\n%s", want, allText(m))
		}
	}
	if online(h, meetingtest.SampleCarlosPID) || len(waitingIDs(h)) != 1 {
		t.Errorf("a refused admit changed the meeting")
	}
	h.opsNotice("could not admit")
}

// TestHoldWithoutBulkEndpoint: where batchMoveToWaitingRoom answers 404,
// the hold still works with one move per person.
func TestHoldWithoutBulkEndpoint(t *testing.T) {
	h := newHarness(t, harnessOpts{simOpts: []meetingtest.Option{meetingtest.WithBulkWaitingRoom(false)}})
	_, reply := h.hold(h.facts.ConferenceID + " hold " + meetingtest.SampleCarlosPID + " " + meetingtest.SamplePhonePID)
	if r := allText(reply); !strings.Contains(r, "Moved 2 participants") {
		t.Errorf("reply:\n%s", r)
	}
	if n := h.sim.CallCount(meetingtest.EndpointMoveToWaitingRoom); n != 2 {
		t.Errorf("%d single moves; want 2", n)
	}
	if len(waitingIDs(h)) != 2 {
		t.Errorf("waiting room %v", waitingIDs(h))
	}
}

// uninvitedMeeting seeds a meeting with invited, uninvited and anonymous
// participants; it returns the conference ID.
func uninvitedMeeting(h *harness) string {
	conf := "777000111"
	h.sim.AddConference(conf).Running().Scheduler(h.facts.UserID).
		Host(meetingtest.P{ID: "aaaa0000host", Name: "Host Person", Phone: "+8613900000001"}).
		CoHost(meetingtest.P{ID: "aaaa0000cohost", Name: "Co Host", Phone: "+8613900000002"}).
		Participant(meetingtest.P{ID: "bbbb0000inv1", Name: "Invited Ivy", Phone: "+8613900000003", UserUUID: "uuid-ivy"}).
		Invite(meetingtest.Invitee{Name: "Phone Pat", Phone: "+86 139-0000-0004"}).
		Uninvited(meetingtest.P{ID: "bbbb0000pat1", Name: "Phone Pat", Phone: "8613900000004"}).
		Uninvited(meetingtest.P{ID: "cccc0000unv1", Name: "Raider One", Phone: "+8613900000011"}).
		Uninvited(meetingtest.P{ID: "cccc0000unv2", Name: "Raider Two", Phone: "+8613900000012", UserUUID: "uuid-r2"}).
		Uninvited(meetingtest.P{ID: "cccc0000unv3", Name: "Raider Three", Phone: "+8613900000013"}).
		Anonymous(meetingtest.P{ID: "dddd0000anon", Name: "Anon Guest"})
	return conf
}

func (h *harness) uninvited(conf string) *listView {
	h.t.Helper()
	_, ack := h.slash(moderator, modChannel, conf+" uninvited")
	if ackText(ack) != "" {
		h.t.Fatalf("uninvited must be acked bare, got %s", ackText(ack))
	}
	m := h.waitMsg("uninvited list", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.Channel == modChannel && strings.Contains(m.Text, "Uninvited participants of meeting "+conf)
	})
	return parseList(h.t, m)
}

func TestUninvitedListAndDisconnectAll(t *testing.T) {
	m := &actionMetrics{Metrics: metrics.New(nil)}
	h := newHarness(t, harnessOpts{botOpts: []bot.Option{bot.WithMetrics(m)},
		simOpts: []meetingtest.Option{meetingtest.WithRosterUserIDs(true)}})
	conf := uninvitedMeeting(h)
	v := h.uninvited(conf)
	txt := allText(v.msg)
	for _, want := range []string{"3 participants are online but not on the invite list", "1 cannot tell", "Raider One", "Raider Two", "Raider Three", "Anon Guest"} {
		if !strings.Contains(txt, want) {
			t.Errorf("uninvited list lacks %q:\n%s", want, txt)
		}
	}
	for _, invited := range []string{"Invited Ivy", "Phone Pat", "Host Person", "Co Host"} {
		if hasButton(v, invited, slackui.ActionSweepOne) || strings.Contains(txt, invited) {
			t.Errorf("%s is listed as uninvited:\n%s", invited, txt)
		}
	}
	if hasButton(v, "Anon Guest", slackui.ActionSweepOne) {
		t.Errorf("a 'cannot tell' participant has a Disconnect button")
	}
	all := button(t, v, "", slackui.ActionSweepAll)
	if all.el.Text == nil || all.el.Text.Text != "Disconnect all 3" || all.el.Confirm == nil ||
		!strings.Contains(all.el.Confirm.Title.Text, "Disconnect all 3?") {
		t.Errorf("Disconnect all button/confirm does not name 3: %+v", all.el)
	}
	if strings.Contains(all.el.Value, "cccc") {
		t.Errorf("Disconnect all carries participant IDs: %q", all.el.Value)
	}
	checkListLimits(t, "uninvited list", v.msg)

	// Someone joins after the list was drawn: the sweep does not touch them.
	h.sim.Join(conf, meetingtest.P{ID: "eeee0000late", Name: "Late Raider", Phone: "+8613900000099"})

	// A tampered value and a stranger are refused before anything happens.
	id := h.slack.BlockAction(slackfake.Action{UserID: moderator, ChannelID: modChannel, MessageTS: v.msg.TS,
		ActionID: slackui.ActionSweepAll, Value: strings.Replace(all.el.Value, "|all", "|0", 1)})
	if p := allText(h.private(id)); !strings.Contains(p, "not one kickbot recognises") {
		t.Errorf("tampered value answered %q", p)
	}
	id = h.slack.BlockAction(slackfake.Action{UserID: moderator, ChannelID: modChannel, MessageTS: v.msg.TS,
		ActionID: slackui.ActionSweepAll, Value: "k2|0000000000000000|all"})
	if p := allText(h.private(id)); !strings.Contains(p, "no longer active") {
		t.Errorf("unknown record answered %q", p)
	}
	id = h.press(stranger, v, all)
	if p := allText(h.private(id)); !strings.Contains(p, "🚫") {
		t.Errorf("stranger's sweep answered %q", p)
	}
	if h.hangUpCalls() != 0 {
		t.Fatalf("refused clicks reached the meeting")
	}

	h.press(moderator2, v, all)
	reply := h.waitMsg("sweep outcome in the thread", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.ThreadTS == v.msg.TS && strings.Contains(m.Text, "Disconnected")
	})
	got := slices.Sorted(slices.Values(h.sim.HangUpIDs(conf)))
	if want := []string{"cccc0000unv1", "cccc0000unv2", "cccc0000unv3"}; !slices.Equal(got, want) {
		t.Fatalf("meeting received hang-ups %v; want exactly the snapshot %v", got, want)
	}
	if h.hangUpCalls() != 1 {
		t.Errorf("%d hang-up calls; want 1", h.hangUpCalls())
	}
	if !strings.Contains(allText(reply), "Disconnected 3 participants") {
		t.Errorf("sweep reply:\n%s", allText(reply))
	}
	if !online(&harness{sim: h.sim, facts: meetingtest.SampleFacts{ConferenceID: conf}}, "eeee0000late") {
		t.Errorf("the late joiner was disconnected")
	}
	h.opsNotice("Disconnected 3 participants")
	h.eventually("list shows the sweep", func() bool {
		cur := parseList(t, mustCurrent(h, v.msg.TS))
		_, still := cur.nav(slackui.ActionSweepAll)
		return !still && strings.Contains(allText(cur.msg), "pressed *Disconnect all 3*")
	})
	h.eventually("audit line for the sweep", func() bool {
		return strings.Contains(h.logs.String(), `"action":"sweep","user":"`+moderator2+`"`)
	})
	if !m.has("sweep/done") || !m.has("uninvited/listed") {
		t.Errorf("metrics %v lack sweep/done or uninvited/listed", m.got)
	}

	// Double click: once only.
	id = h.press(moderator, v, all)
	if p := allText(h.private(id)); !strings.Contains(p, "already swept by <@"+moderator2+">") {
		t.Errorf("second sweep answered %q", p)
	}
	if h.hangUpCalls() != 1 {
		t.Errorf("a second click made another hang-up call")
	}
}

func TestUninvitedRowDisconnectAndCap(t *testing.T) {
	h := newHarness(t, harnessOpts{cfg: bot.Config{MaxSweep: 2}})
	conf := uninvitedMeeting(h)
	v := h.uninvited(conf)
	all := button(t, v, "", slackui.ActionSweepAll)
	if all.el.Text.Text != "Disconnect all 2" || !strings.Contains(allText(v.msg), "1 more uninvited participant is not included") {
		t.Errorf("cap not shown: button %q\n%s", all.el.Text.Text, allText(v.msg))
	}
	// One row's Disconnect first.
	h.press(moderator, v, button(t, v, "Raider One", slackui.ActionSweepOne))
	h.waitMsg("row outcome", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.ThreadTS == v.msg.TS && strings.Contains(m.Text, "Disconnected 1 participant")
	})
	if got := h.sim.HangUpIDs(conf); !slices.Equal(got, []string{"cccc0000unv1"}) {
		t.Fatalf("hang-ups %v; want Raider One", got)
	}
	h.press(moderator, v, all)
	h.waitMsg("sweep outcome", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.ThreadTS == v.msg.TS && strings.Contains(m.Text, "of 2 participants")
	})
	// The cap took the first two: Raider One (already gone) and Raider Two.
	if got := h.sim.HangUpIDs(conf); !slices.Equal(got, []string{"cccc0000unv1", "cccc0000unv2"}) {
		t.Errorf("hang-ups %v; want Raider One then Raider Two only", got)
	}
}

func TestUninvitedUnreadableInviteList(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	conf := uninvitedMeeting(h)
	h.sim.FailNext(meetingtest.EndpointRealTimeInfo, 1, meetingtest.Fault{Roster: meetingtest.RosterNoAttendees})
	id, _ := h.slash(moderator, modChannel, conf+" uninvited")
	p := h.private(id)
	if txt := allText(p); !strings.Contains(txt, "could not read the invite list") || strings.Contains(string(p.Blocks), slackui.ActionSweepAll) {
		t.Errorf("unreadable invite list answered:\n%s", txt)
	}
	for _, m := range h.slack.Messages() {
		if m.Channel == modChannel && m.Method == "chat.postMessage" {
			t.Errorf("something was posted in the channel: %s", m.Text)
		}
	}
}

// TestKeepOutRefusals: hold and uninvited are refused exactly like a kick —
// no permission, an unlisted channel, a DM, a meeting the channel may not
// manage — privately, with an ops notice, and nothing reaches the meeting.
func TestKeepOutRefusals(t *testing.T) {
	t.Parallel()
	p := defaultPolicy()
	p.Channels["CRESTRICTED"] = true
	p.Conferences = map[string][]string{"CRESTRICTED": {"111222333"}}
	h := newHarness(t, harnessOpts{cfg: bot.Config{Policy: p}})
	conf := h.facts.ConferenceID
	h.sim.ResetCalls()
	for _, tc := range []struct {
		name, user, channel, want string
	}{
		{"no permission", stranger, modChannel, "You are not allowed"},
		{"unlisted channel", moderator, otherChan, "isn't enabled in this channel"},
		{"direct message", moderator, "DDIRECT", "doesn't work in direct messages"},
		{"other conference", moderator, "CRESTRICTED", "can't be managed from this channel"},
	} {
		for _, verb := range []string{"hold " + meetingtest.SampleCarlosPID, "uninvited"} {
			id, _ := h.slash(tc.user, tc.channel, conf+" "+verb)
			if got := allText(h.private(id)); !strings.Contains(got, tc.want) {
				t.Errorf("%s, %s: private answer %q, want %q", tc.name, verb, got, tc.want)
			}
		}
	}
	h.opsNotice("[" + commands.DeniedConference + "]")
	h.drain()
	if calls := h.sim.Calls(); len(calls) != 0 {
		t.Errorf("refused requests reached the meeting: %d calls, first %s", len(calls), calls[0].Endpoint)
	}
	for _, m := range h.channelMessages(modChannel) {
		t.Errorf("a refused request posted in the channel: %s", m.Text)
	}
}
