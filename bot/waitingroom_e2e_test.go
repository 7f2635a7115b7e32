package bot_test

// End-to-end tests of the Waiting room button (uninvited rows and join
// alerts), of Admit by waiting-room ID on a watched meeting, and of the
// Unlock button following a watched meeting's real lock state.

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kickbot/kickbot/bot"
	"github.com/kickbot/kickbot/bot/slackfake"
	"github.com/kickbot/kickbot/bot/slackui"
	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// pressReply clicks b on m, a thread reply, as user: Slack names both the
// message and its thread.
func (h *harness) pressReply(user string, m slackfake.Message, b lvButton) string {
	h.t.Helper()
	id := h.slack.BlockAction(slackfake.Action{UserID: user, ChannelID: modChannel, ChannelName: channelName(modChannel),
		MessageTS: m.TS, ThreadTS: m.ThreadTS, ActionID: b.el.ActionID, BlockID: b.blockID, Value: b.el.Value, Text: b.el.Text.Text})
	if _, err := h.slack.WaitAck(h.ctx(), id); err != nil {
		h.t.Fatalf("click %s not acked: %v", b.el.ActionID, err)
	}
	return id
}

func waiting(h *harness, conf, name string) bool {
	return slices.ContainsFunc(h.sim.Waiting(conf), func(p meetingtest.P) bool { return p.Name == name })
}

func onlineIn(h *harness, conf, pid string) bool {
	return slices.ContainsFunc(h.sim.Online(conf), func(p meetingtest.P) bool { return p.ID == pid })
}

func TestUninvitedWaitingRoomThenAdmit(t *testing.T) {
	h := newHarness(t, harnessOpts{simOpts: []meetingtest.Option{meetingtest.WithRosterUserIDs(true)}})
	conf := uninvitedMeeting(h)
	v := h.uninvited(conf)
	checkListLimits(t, "uninvited list", v.msg)
	wr := button(t, v, "Raider One", slackui.ActionHoldOne)
	if wr.el.Text.Text != "Waiting room" || strings.Contains(wr.el.Value, "cccc") {
		t.Fatalf("Waiting room button %q carries %q", wr.el.Text.Text, wr.el.Value)
	}
	button(t, v, "Raider One", slackui.ActionSweepOne) // the row keeps its Disconnect

	// A stranger and a tampered row are refused before anything moves.
	id := h.press(stranger, v, wr)
	if p := allText(h.private(id)); !strings.Contains(p, "🚫") {
		t.Errorf("stranger's Waiting room answered %q", p)
	}
	bad := wr
	bad.el.Value = strings.TrimSuffix(wr.el.Value, "|0") + "|77"
	id = h.press(moderator, v, bad)
	if p := allText(h.private(id)); !strings.Contains(p, "does not match this message") {
		t.Errorf("tampered row answered %q", p)
	}
	moves := func() int {
		return h.sim.CallCount(meetingtest.EndpointBatchMoveToWaitingRoom) + h.sim.CallCount(meetingtest.EndpointMoveToWaitingRoom)
	}
	if moves() != 0 {
		t.Fatalf("refused clicks moved someone")
	}

	h.press(moderator2, v, wr)
	reply := h.waitMsg("hold outcome in the list's thread", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.ThreadTS == v.msg.TS && strings.Contains(m.Text, "to the waiting room")
	})
	if !strings.Contains(allText(reply), "Moved 1 participant") || !strings.Contains(allText(reply), "Raider One") {
		t.Errorf("hold outcome:\n%s", allText(reply))
	}
	if !waiting(h, conf, "Raider One") || onlineIn(h, conf, "cccc0000unv1") || h.hangUpCalls() != 0 {
		t.Fatalf("Raider One not moved to the waiting room (or hung up on)")
	}
	h.eventually("the list row says who moved Raider One", func() bool {
		cur := parseList(t, mustCurrent(h, v.msg.TS))
		return strings.Contains(allText(cur.msg), "moved to the waiting room by <@"+moderator2+">") &&
			!hasButton(cur, "Raider One", slackui.ActionHoldOne) && hasButton(cur, "Raider Two", slackui.ActionHoldOne)
	})
	h.opsNotice("to the waiting room")
	h.eventually("audit line for the hold", func() bool {
		return strings.Contains(h.logs.String(), `"action":"hold","user":"`+moderator2+`"`)
	})

	// Once only.
	id = h.press(moderator, v, wr)
	if p := allText(h.private(id)); !strings.Contains(p, "already moved to the waiting room by <@"+moderator2+">") {
		t.Errorf("second Waiting room click answered %q", p)
	}
	if moves() != 1 {
		t.Errorf("%d move calls, want 1", moves())
	}

	// The outcome's Admit undoes it, re-checked like any click.
	rv := parseList(t, reply)
	admit := button(t, rv, "*Raider One*", slackui.ActionAdmit)
	id = h.pressReply(stranger, reply, admit)
	if p := allText(h.private(id)); !strings.Contains(p, "🚫") {
		t.Errorf("stranger's Admit answered %q", p)
	}
	h.pressReply(moderator, reply, admit)
	h.waitMsg("admit reply in the thread", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.ThreadTS == v.msg.TS && strings.Contains(m.Text, "back in from the waiting room")
	})
	if !onlineIn(h, conf, "cccc0000unv1") {
		t.Errorf("Raider One not back after Admit")
	}
	// The list itself was not replaced by the hold's Admit rows.
	if cur := allText(mustCurrent(h, v.msg.TS)); !strings.Contains(cur, "Uninvited participants") && !strings.Contains(cur, "not on the invite list") {
		t.Errorf("the uninvited list was overwritten:\n%s", cur)
	}
}

func TestWatchAlertWaitingRoomButton(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{watch: fastWatch()})
	conf := h.facts.ConferenceID
	watching := h.watchMeeting(conf)
	raider := meetingtest.P{ID: "aaaabbbbccccddddeeeeffff00003333", Name: "Raider", Phone: "+15550003"}
	h.sim.Join(conf, raider)
	alert := h.waitMsg("join alert", func(m slackfake.Message) bool {
		return m.Channel == modChannel && m.ThreadTS == watching.TS && strings.Contains(m.Text, "Raider")
	})
	av := parseList(t, alert)
	av.disconnect("Raider") // still there
	wr, ok := av.nav(slackui.ActionHoldOne)
	if !ok || wr.el.Text.Text != "Waiting room" || strings.Contains(wr.el.Value, raider.ID) {
		t.Fatalf("join alert has no clean Waiting room button:\n%s", alert.BlocksJSON())
	}
	if ops := h.opsNotice("Raider"); !strings.Contains(allText(ops), "Waiting room") {
		t.Errorf("ops notice does not mention the Waiting room button:\n%s", allText(ops))
	}
	id := h.pressReply(stranger, alert, wr)
	if p := allText(h.private(id)); !strings.Contains(p, "🚫") {
		t.Errorf("stranger's Waiting room answered %q", p)
	}
	// A Disconnect action forged onto the alert's record is refused.
	forged := wr
	forged.el.ActionID = slackui.ActionSweepOne
	id = h.pressReply(moderator, alert, forged)
	if p := allText(h.private(id)); !strings.Contains(p, "does not match this message") {
		t.Errorf("forged action answered %q", p)
	}

	h.pressReply(moderator2, alert, wr)
	reply := h.waitMsg("hold outcome in the watching thread", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.ThreadTS == watching.TS && strings.Contains(m.Text, "Moved 1 participant")
	})
	if !waiting(h, conf, "Raider") || onlineIn(h, conf, raider.ID) {
		t.Fatalf("the raider is not in the waiting room")
	}
	// Admit from the outcome: the watched meeting admits by waiting-room ID.
	h.pressReply(moderator, reply, button(t, parseList(t, reply), "*Raider*", slackui.ActionAdmit))
	h.waitMsg("admit reply", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.ThreadTS == watching.TS && strings.Contains(m.Text, "back in from the waiting room")
	})
	if !onlineIn(h, conf, raider.ID) {
		t.Errorf("the raider is not back after Admit")
	}
}

// TestWatchedHoldAdmitUsesWaitingRoomID: where the waiting room gives new
// IDs and refuses the old one, a watched meeting's Admit still works: it
// uses the ID WaitingListNotify gave (the unwatched case is refused, see
// TestHoldAdmitRefusedShownPlainly).
func TestWatchedHoldAdmitUsesWaitingRoomID(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{watch: fastWatch(),
		simOpts: []meetingtest.Option{meetingtest.WithWaitingRoomIDs(meetingtest.WaitingIDNewStrict)}})
	conf := h.facts.ConferenceID
	watching := h.watchMeeting(conf)
	_, ack := h.slash(moderator, modChannel, conf+" hold "+meetingtest.SampleCarlosPID)
	if ackText(ack) != "" {
		t.Fatalf("hold acked with %s", ackText(ack))
	}
	p := h.waitMsg("hold parent", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.Channel == modChannel && m.ThreadTS == "" && m.TS != watching.TS
	})
	// Clicked as soon as the parent is posted: the click waits until the
	// bot knows the parent's ts.
	parent := parseList(t, h.finalParent(modChannel, p.TS))
	if wid, ok := h.sim.WaitingID(conf, meetingtest.SampleCarlosPID); !ok || wid == meetingtest.SampleCarlosPID {
		t.Fatalf("the simulator gave no new waiting-room ID (%q, %v)", wid, ok)
	}
	pv := parent
	h.press(moderator, pv, button(t, pv, "*Carlos Mendes*", slackui.ActionAdmit))
	m := h.waitMsg("admit outcome in the thread", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.ThreadTS == pv.msg.TS && (strings.Contains(m.Text, "admit") || strings.Contains(m.Text, "back in"))
	})
	if !strings.Contains(m.Text, "back in from the waiting room") {
		t.Fatalf("admit on a watched meeting was not done:\n%s", allText(m))
	}
	if !onlineIn(h, conf, meetingtest.SampleCarlosPID) || len(h.sim.Waiting(conf)) != 0 {
		t.Errorf("Carlos is not back under his own ID")
	}
}

// TestWatchedLockButtonsFollowTheMeeting: on a watched meeting the
// Unlock button follows the meeting's real lock state (a host locking or
// unlocking in the Huawei app), not only kickbot's own calls.
func TestWatchedLockButtonsFollowTheMeeting(t *testing.T) {
	t.Parallel()
	h := newLockHarness(t, harnessOpts{watch: fastWatch()})
	watching := h.watchMeeting(h.conf)
	kick := func(pid string) *listView {
		t.Helper()
		seen := map[string]bool{watching.TS: true}
		for _, m := range h.slack.Messages() {
			seen[m.TS] = true
		}
		h.slash(moderator, modChannel, h.conf+" "+pid)
		p := h.waitMsg("kick parent", func(m slackfake.Message) bool {
			return m.Method == "chat.postMessage" && m.Channel == modChannel && m.ThreadTS == "" && !seen[m.TS]
		})
		return parseList(t, h.threadReplies(p.TS, 1)[0])
	}
	if _, ok := kick(h.facts.Others[0].ID).nav(slackui.ActionUnlock); ok {
		t.Errorf("Unlock offered on an unlocked meeting")
	}

	// The host locks the meeting in the app: the next outcome offers Unlock.
	h.sim.SetLocked(h.conf, true)
	h.eventually("the watch sees the lock", func() bool { return h.bot.WatchStats().Locked == 1 })
	v := kick(h.facts.Others[1].ID)
	un, ok := v.nav(slackui.ActionUnlock)
	if !ok {
		t.Fatalf("no Unlock under a kick on a meeting the host locked:\n%s", v.msg.BlocksJSON())
	}
	h.pressIn(moderator, v.msg, un)
	h.eventually("meeting unlocked by the button", func() bool { return !h.sim.Locked(h.conf) })

	// kickbot locks it, the host unlocks it in the app: no stale Unlock.
	h.lockCommand(h.conf + " lock")
	h.eventually("the watch sees kickbot's lock", func() bool { return h.bot.WatchStats().Locked == 1 })
	h.sim.SetLocked(h.conf, false)
	h.eventually("the watch sees the host's unlock", func() bool { return h.bot.WatchStats().Locked == 0 })
	if _, ok := kick(h.facts.Others[2].ID).nav(slackui.ActionUnlock); ok {
		t.Errorf("Unlock offered after the host unlocked the meeting")
	}
}

// TestHoldManyOffersAdmitAll: past 20 people a hold's outcome names them
// and offers one Admit all (with a confirm that says it opens the whole
// waiting room), which lets everyone waiting in, once.
func TestHoldManyOffersAdmitAll(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	conf := "777000222"
	h.sim.AddConference(conf).Running().Scheduler(h.facts.UserID).
		Host(meetingtest.P{ID: "aaaa0000host", Name: "Host Person", Phone: "+8613900009999"}).Participants(24)
	var ids []string
	for _, p := range h.sim.Online(conf) {
		if p.ID != "aaaa0000host" && len(ids) < 22 {
			ids = append(ids, p.ID)
		}
	}
	early := h.sim.ArriveInWaitingRoom(conf, meetingtest.P{Name: "Early Bird", Phone: "+8613900008888"})
	parent, reply := h.hold(conf + " hold " + strings.Join(ids, " "))
	if !strings.Contains(allText(reply), "Moved 22 participants") {
		t.Fatalf("hold reply:\n%s", allText(reply))
	}
	pv := parseList(t, h.finalParent(modChannel, parent.msg.TS))
	checkListLimits(t, "hold of 22", pv.msg)
	if strings.Contains(string(pv.msg.Blocks), `"`+slackui.ActionAdmit+`"`) {
		t.Errorf("per-person Admit buttons beyond 20 people")
	}
	all := button(t, pv, "", slackui.ActionAdmitAll)
	if all.el.Confirm == nil || !strings.Contains(all.el.Confirm.Text.Text, "not only the 22 moved here") {
		t.Errorf("Admit all's confirm does not say it opens the whole waiting room: %+v", all.el.Confirm)
	}
	for _, id := range ids {
		if strings.Contains(all.el.Value, id) {
			t.Fatalf("Admit all carries a participant ID: %q", all.el.Value)
		}
	}
	if id := h.press(stranger, pv, all); !strings.Contains(allText(h.private(id)), "🚫") {
		t.Errorf("a stranger's Admit all was not refused")
	}
	if n := len(h.sim.Waiting(conf)); n != 23 {
		t.Fatalf("%d waiting before Admit all, want 23", n)
	}

	h.press(moderator2, pv, all)
	h.waitMsg("Admit all reply", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.ThreadTS == pv.msg.TS && strings.Contains(m.Text, "let everyone waiting back in")
	})
	if n := len(h.sim.Waiting(conf)); n != 0 || !onlineIn(h, conf, ids[21]) || !onlineIn(h, conf, early) {
		t.Errorf("after Admit all: %d still waiting; last held online %v, early arrival online %v",
			n, onlineIn(h, conf, ids[21]), onlineIn(h, conf, early))
	}
	h.eventually("parent says who admitted everyone", func() bool {
		cur := parseList(t, mustCurrent(h, pv.msg.TS))
		_, still := cur.nav(slackui.ActionAdmitAll)
		return !still && strings.Contains(allText(cur.msg), "everyone waiting was admitted by <@"+moderator2+">")
	})
	if id := h.press(moderator, pv, all); !strings.Contains(allText(h.private(id)), "already opened by <@"+moderator2+">") {
		t.Errorf("a second Admit all was not refused as done")
	}
	if n := h.sim.CallCount(meetingtest.EndpointAllowWaiting); n != 1 {
		t.Errorf("%d admit calls, want 1", n)
	}
}

// TestUninvitedStaleListRefusesToAct: an uninvited list older than
// KICK_LIST_MAX_AGE refuses Disconnect all, a row's Disconnect and Waiting
// room, and says to run the command again.
func TestUninvitedStaleListRefusesToAct(t *testing.T) {
	clock := &testClock{}
	h := newHarness(t, harnessOpts{
		cfg:        bot.Config{ListMaxAge: 5 * time.Minute},
		botOpts:    []bot.Option{bot.WithClock(clock.now)},
		meetingCfg: func(c *meeting.Config) { c.Now = clock.now },
	})
	conf := uninvitedMeeting(h)
	v := h.uninvited(conf)
	clock.advance(6 * time.Minute)
	for _, b := range []lvButton{button(t, v, "", slackui.ActionSweepAll),
		button(t, v, "Raider One", slackui.ActionSweepOne), button(t, v, "Raider One", slackui.ActionHoldOne)} {
		id := h.press(moderator, v, b)
		if p := allText(h.private(id)); !strings.Contains(p, "too old") || !strings.Contains(p, conf+" uninvited") {
			t.Errorf("stale %s answered %q", b.el.ActionID, p)
		}
	}
	moves := h.sim.CallCount(meetingtest.EndpointBatchMoveToWaitingRoom) + h.sim.CallCount(meetingtest.EndpointMoveToWaitingRoom)
	if h.hangUpCalls() != 0 || moves != 0 {
		t.Errorf("a stale list acted: %d hang-ups, %d moves", h.hangUpCalls(), moves)
	}
}

// TestUninvitedWaitingRoomForSomeoneWhoLeft: a Waiting room click on a
// row whose person has left says so in the thread, names who asked, and
// leaves the row's buttons usable (nothing was done, so nothing is
// "already" done).
func TestUninvitedWaitingRoomForSomeoneWhoLeft(t *testing.T) {
	h := newHarness(t, harnessOpts{simOpts: []meetingtest.Option{meetingtest.WithRosterUserIDs(true)}})
	conf := uninvitedMeeting(h)
	v := h.uninvited(conf)
	h.sim.Leave(conf, "cccc0000unv2")
	wr := button(t, v, "Raider Two", slackui.ActionHoldOne)
	h.press(moderator2, v, wr)
	r := h.waitMsg("outcome in the thread", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.ThreadTS == v.msg.TS && strings.Contains(m.Text, "Nobody was moved")
	})
	if txt := allText(r); !strings.Contains(txt, "not found") || !strings.Contains(txt, "Requested by <@"+moderator2+">") ||
		strings.Contains(txt, slackui.ActionAdmit) {
		t.Errorf("outcome for someone who left:\n%s", txt)
	}
	h.opsNotice("Nobody was moved")
	h.press(moderator, v, wr)
	h.waitMsg("second outcome", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.ThreadTS == v.msg.TS && strings.Contains(m.Text, "Nobody was moved") && m.TS != r.TS
	})
}
