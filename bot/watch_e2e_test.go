package bot_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kickbot/kickbot/bot"
	"github.com/kickbot/kickbot/bot/slackfake"
	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// fastWatch watches with short heartbeats and reconnect backoff, and no
// background host refresh: only the calls a test makes are counted.
func fastWatch() *bot.WatchConfig {
	return &bot.WatchConfig{Options: []meeting.WatchOption{
		meeting.WithHeartbeat(50 * time.Millisecond),
		meeting.WithReadTimeout(5 * time.Second),
		meeting.WithReconnectBackoff(time.Millisecond, 5*time.Millisecond),
		meeting.WithHostRefresh(time.Hour),
	}}
}

// watchMeeting types `/kick <conf> watch` and returns the "watching"
// message it posted in modChannel.
func (h *harness) watchMeeting(conf string) slackfake.Message {
	h.t.Helper()
	_, ack := h.slash(moderator, modChannel, conf+" watch")
	if ackText(ack) != "" {
		h.t.Fatalf("`watch` must be acked bare, got %s", ackText(ack))
	}
	m := h.waitMsg("watching message", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.Channel == modChannel && m.ThreadTS == "" &&
			strings.Contains(m.Text, "is watching meeting "+conf)
	})
	// The private answer comes once the message's thread takes alerts.
	h.waitMsg("watch answer", func(m slackfake.Message) bool {
		return m.Method == "response_url" && strings.Contains(m.Text, "Watching meeting "+conf)
	})
	return m
}

// meetingCalls names the meeting API calls made since the last ResetCalls.
func (h *harness) meetingCalls() []meetingtest.Endpoint {
	var eps []meetingtest.Endpoint
	for _, c := range h.sim.Calls() {
		eps = append(eps, c.Endpoint)
	}
	return eps
}

// kickOutcome is h.outcome for a channel that also holds a "watching"
// message: the parent is the kick's.
func (h *harness) kickOutcome() (parent, reply slackfake.Message) {
	h.t.Helper()
	p := h.waitMsg("kick parent", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.Channel == modChannel && m.ThreadTS == "" && strings.Contains(m.Text, "disconnect")
	})
	r := h.waitMsg("kick thread reply", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.Channel == modChannel && m.ThreadTS == p.TS
	})
	return h.finalParent(modChannel, p.TS), r
}

func (h *harness) waitSockets(what string, cond func(meetingtest.WebSocketStats) bool) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.sim.WaitWebSockets(ctx, h.facts.ConferenceID, cond); err != nil {
		h.t.Fatalf("%s: %v (stats %+v)", what, err, h.sim.WebSocketStats(h.facts.ConferenceID))
	}
}

func TestWatchKickOnWatchedMeetingIsOneMeetingCall(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{watch: fastWatch()})
	conf := h.facts.ConferenceID
	m := h.watchMeeting(conf)
	if strings.Contains(allText(m), "not available") {
		t.Fatalf("watching message says live updates are unavailable:\n%s", allText(m))
	}
	if !strings.Contains(allText(m), "10 participants online") {
		t.Errorf("watching message does not count the participants:\n%s", allText(m))
	}

	h.sim.ResetCalls()
	h.slash(moderator, modChannel, conf+" "+meetingtest.SampleCarlosPID)
	parent, reply := h.kickOutcome()
	if !strings.Contains(allText(reply), "Carlos Mendes") || !strings.Contains(allText(reply), "disconnected") {
		t.Errorf("thread reply does not say Carlos was disconnected:\n%s", allText(reply))
	}
	if strings.HasPrefix(parent.Text, "❌") {
		t.Errorf("parent shows a failure: %s", parent.Text)
	}
	if got := h.meetingCalls(); !slices.Equal(got, []meetingtest.Endpoint{meetingtest.EndpointHangUp}) {
		t.Errorf("meeting calls for a kick on a watched meeting = %v, want exactly one hang-up (no roster read)", got)
	}
	if got := h.hangUps(); !slices.Equal(got, []string{meetingtest.SampleCarlosPID}) {
		t.Errorf("hang-ups %v, want only Carlos", got)
	}
}

func TestWatchFallsBackWhenTheSocketCannotOpen(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{watch: fastWatch()})
	h.sim.RefuseWebSockets(1 << 20)
	conf := h.facts.ConferenceID
	m := h.watchMeeting(conf)
	if !strings.Contains(allText(m), "Live updates are not available") {
		t.Errorf("watching message does not say live updates are unavailable:\n%s", allText(m))
	}

	h.sim.ResetCalls()
	h.slash(moderator, modChannel, conf+" "+meetingtest.SampleCarlosPID)
	_, reply := h.kickOutcome()
	if !strings.Contains(allText(reply), "Carlos Mendes") || !strings.Contains(allText(reply), "disconnected") {
		t.Errorf("thread reply does not say Carlos was disconnected:\n%s", allText(reply))
	}
	if n := h.rosterReads(); n < 2 {
		t.Errorf("realTimeInfo read %d times; without the socket a kick reads the roster to resolve and to confirm", n)
	}
}

func TestWatchUnwatchStopsTheSocket(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{watch: fastWatch()})
	conf := h.facts.ConferenceID
	h.watchMeeting(conf)
	h.waitSockets("socket open", func(s meetingtest.WebSocketStats) bool { return s.Open == 1 })

	h.slash(moderator, modChannel, conf+" unwatch")
	h.waitMsg("unwatched message", func(m slackfake.Message) bool {
		return m.Channel == modChannel && strings.Contains(m.Text, "<@"+moderator+"> stopped watching meeting "+conf)
	})
	h.waitSockets("socket closed", func(s meetingtest.WebSocketStats) bool { return s.Open == 0 })

	id, _ := h.slash(moderator, modChannel, conf+" unwatch")
	if p := h.private(id); !strings.Contains(p.Text, "is not being watched") {
		t.Errorf("second unwatch answered %q", p.Text)
	}
}

func TestWatchStopsWhenIdle(t *testing.T) {
	t.Parallel()
	cfg := fastWatch()
	cfg.Idle = 300 * time.Millisecond
	h := newHarness(t, harnessOpts{watch: cfg})
	h.watchMeeting(h.facts.ConferenceID)
	h.waitSockets("socket opened", func(s meetingtest.WebSocketStats) bool { return s.Opened >= 1 })
	h.waitSockets("idle socket closed", func(s meetingtest.WebSocketStats) bool { return s.Open == 0 })
}

func TestWatchByStrangerRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{watch: fastWatch()})
	id, _ := h.slash(stranger, modChannel, h.facts.ConferenceID+" watch")
	p := h.private(id)
	if strings.Contains(p.Text, "Watching") {
		t.Fatalf("a stranger was allowed to watch: %s", p.Text)
	}
	if st := h.sim.WebSocketStats(h.facts.ConferenceID); st.Tokens != 0 || st.Opened != 0 {
		t.Errorf("a refused watch touched the meeting's socket: %+v", st)
	}
}

// waitList waits until list v, as it is now, satisfies cond.
func (h *harness) waitList(v *listView, what string, cond func(*listView) bool) *listView {
	h.t.Helper()
	var cur *listView
	h.eventually(what, func() bool {
		m, ok := h.slack.Current(modChannel, v.msg.TS)
		if !ok {
			return false
		}
		cur = parseList(h.t, m)
		return cond(cur)
	})
	return cur
}

func TestWatchListJoinerAppearsWithoutAClick(t *testing.T) {
	t.Parallel()
	cfg := fastWatch()
	cfg.ListEvery = 50 * time.Millisecond
	h := newHarness(t, harnessOpts{watch: cfg})
	conf := h.facts.ConferenceID
	v := h.openList(moderator, conf) // starts the watch
	v = h.waitList(v, "the list marked live", func(v *listView) bool { return strings.Contains(v.header(), "🟢 Live") })
	if !strings.Contains(v.header(), "Updated <!date^") {
		t.Errorf("a live list's header does not say when it was updated:\n%s", v.header())
	}

	reads := h.rosterReads()
	raider := meetingtest.P{ID: "aaaabbbbccccddddeeeeffff00001111", Name: "Raider", Phone: "+15550001", Anonymous: true}
	h.sim.Join(conf, raider)
	v = h.waitList(v, "the joiner in the list", func(v *listView) bool { return v.hasRow("Raider") })
	btn := v.disconnect("Raider")
	if !strings.Contains(v.header(), "11 participants") {
		t.Errorf("header does not count the joiner:\n%s", v.header())
	}

	h.sim.Leave(conf, meetingtest.SampleCarlosPID)
	v = h.waitList(v, "the leaver gone from the list", func(v *listView) bool { return !v.hasRow("Carlos Mendes") })
	if !v.hasRow("Raider") {
		t.Error("the joiner vanished when someone else left")
	}
	if n := h.rosterReads(); n != reads {
		t.Errorf("realTimeInfo read %d times while the list followed the meeting; want 0", n-reads)
	}

	// The joiner's button works, with one meeting call.
	h.sim.ResetCalls()
	h.press(moderator2, v, btn)
	h.waitList(v, "the raider disconnected", func(v *listView) bool {
		return !v.hasRow("Raider") || strings.Contains(v.row("Raider").text(), "disconnected by")
	})
	if got := h.hangUps(); !slices.Equal(got, []string{raider.ID}) {
		t.Errorf("hang-ups %v, want the raider", got)
	}
	if got := h.meetingCalls(); !slices.Equal(got, []meetingtest.Endpoint{meetingtest.EndpointHangUp}) {
		t.Errorf("meeting calls for a click on a live list = %v, want exactly one hang-up", got)
	}
}

func TestWatchListSaysWhenNoLongerLive(t *testing.T) {
	t.Parallel()
	cfg := fastWatch()
	cfg.ListEvery = 50 * time.Millisecond
	h := newHarness(t, harnessOpts{watch: cfg})
	conf := h.facts.ConferenceID
	v := h.openList(moderator, conf)
	h.waitList(v, "the list marked live", func(v *listView) bool { return strings.Contains(v.header(), "🟢 Live") })
	h.slash(moderator, modChannel, conf+" unwatch")
	v = h.waitList(v, "the list marked not live", func(v *listView) bool { return strings.Contains(v.header(), "No longer live") })
	if strings.Contains(v.header(), "🟢") {
		t.Errorf("header still says live:\n%s", v.header())
	}
}

func TestWatchAlertsUninvitedJoinerWithAWorkingDisconnect(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{watch: fastWatch()})
	conf := h.facts.ConferenceID
	watching := h.watchMeeting(conf)

	// An invitee who comes back is not reported; the stranger after them is.
	h.sim.Leave(conf, meetingtest.SampleCarlosPID)
	h.sim.Join(conf, h.facts.Others[0])
	raider := meetingtest.P{ID: "aaaabbbbccccddddeeeeffff00002222", Name: "Raider", Phone: "+15550002"}
	h.sim.Join(conf, raider)

	alert := h.waitMsg("join alert in the watching thread", func(m slackfake.Message) bool {
		return m.Channel == modChannel && m.ThreadTS == watching.TS && strings.Contains(m.Text, "Raider")
	})
	if !strings.Contains(alert.Text, "is not invited") {
		t.Errorf("alert does not say the joiner is not invited: %s", alert.Text)
	}
	for _, m := range h.slack.Thread(modChannel, watching.TS) {
		if strings.Contains(m.Text, "Carlos") {
			t.Errorf("an invitee who rejoined was reported: %s", m.Text)
		}
	}
	if ops := h.opsNotice("Raider"); !strings.Contains(allText(ops), "not invited") {
		t.Errorf("ops notice does not say the joiner is not invited:\n%s", allText(ops))
	}

	v := parseList(t, alert)
	h.sim.ResetCalls()
	h.press(moderator2, v, v.disconnect("Raider"))
	_, reply := h.kickOutcome()
	if !strings.Contains(allText(reply), "Raider") || !strings.Contains(allText(reply), "Disconnected 1 participant") {
		t.Errorf("outcome does not say the raider was disconnected:\n%s", allText(reply))
	}
	if got := h.hangUps(); !slices.Equal(got, []string{raider.ID}) {
		t.Errorf("hang-ups %v, want the raider", got)
	}
	if got := h.meetingCalls(); !slices.Equal(got, []meetingtest.Endpoint{meetingtest.EndpointHangUp}) {
		t.Errorf("meeting calls for the alert's Disconnect = %v, want exactly one hang-up", got)
	}
}

func TestWatchDroppedSocketReconnectsAndLosesNoChange(t *testing.T) {
	t.Parallel()
	cfg := fastWatch()
	cfg.ListEvery = 50 * time.Millisecond
	h := newHarness(t, harnessOpts{watch: cfg})
	conf := h.facts.ConferenceID
	v := h.openList(moderator, conf)
	v = h.waitList(v, "the list marked live", func(v *listView) bool { return strings.Contains(v.header(), "🟢 Live") })

	// No new socket until the changes are made: they are lost on the wire
	// and must come back from the first full roster after the reconnect.
	release := h.sim.Hold(meetingtest.EndpointWSToken)
	if n := h.sim.DropWebSockets(conf); n != 1 {
		t.Fatalf("dropped %d sockets, want 1", n)
	}
	h.sim.Leave(conf, meetingtest.SampleCarlosPID)
	joiner := meetingtest.P{ID: "aaaabbbbccccddddeeeeffff00003333", Name: "Late Joiner", Phone: "+15550003"}
	h.sim.Join(conf, joiner)
	release()

	v = h.waitList(v, "the list matching the meeting after the reconnect", func(v *listView) bool {
		return v.hasRow("Late Joiner") && !v.hasRow("Carlos Mendes")
	})
	_, names := v.rows()
	if len(names) != len(h.sim.Online(conf)) {
		t.Errorf("list shows %d participants %v; the meeting has %d", len(names), names, len(h.sim.Online(conf)))
	}
	if st := h.sim.WebSocketStats(conf); st.Opened < 2 {
		t.Errorf("socket opened %d times; want a reconnect", st.Opened)
	}
	st := h.bot.WatchStats()
	if st.Watched != 1 || st.Live != 1 || st.Reconnects < 1 {
		t.Errorf("WatchStats = %+v; want 1 watched, 1 live, a reconnect counted", st)
	}
	// kickbot_watch_reconnects_total is a counter: the watch ending must not
	// take its reconnects away.
	h.slash(moderator, modChannel, conf+" unwatch")
	h.eventually("the watch to end", func() bool { return h.bot.WatchStats().Watched == 0 })
	h.eventually("the watch's goroutine to end", func() bool { return h.sim.WebSocketStats(conf).Open == 0 })
	if after := h.bot.WatchStats(); after.Reconnects < st.Reconnects || after.Live != 0 {
		t.Errorf("WatchStats after unwatch = %+v; want 0 live and reconnects still ≥ %d", after, st.Reconnects)
	}
}

// TestWatchKickOfAJoinerTheLiveRosterHasNotSeenYet: the live roster lags the
// meeting by a frame; a kick of someone who joined a moment ago reads the
// meeting itself instead of answering "not found".
func TestWatchKickOfAJoinerTheLiveRosterHasNotSeenYet(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{watch: fastWatch()})
	conf := h.facts.ConferenceID
	h.watchMeeting(conf)
	h.sim.DelayFrames(8 * time.Second) // the join below reaches the live roster only after the kick
	raider := meetingtest.P{ID: "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a", Name: "Late Raider", Phone: "+15550009"}
	h.sim.Join(conf, raider)

	h.slash(moderator, modChannel, conf+" +15550009")
	_, reply := h.kickOutcome()
	if l := lineWith(allText(reply), "Late Raider"); !strings.Contains(l, "— disconnected") {
		t.Errorf("the joiner was not reported disconnected: %q\n%s", l, allText(reply))
	}
	if got := h.hangUps(); !slices.Equal(got, []string{raider.ID}) {
		t.Errorf("hang-ups %v, want the joiner", got)
	}
}
