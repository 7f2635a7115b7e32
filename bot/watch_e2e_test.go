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
	return h.waitMsg("watching message", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.Channel == modChannel && m.ThreadTS == "" &&
			strings.Contains(m.Text, "is watching meeting "+conf)
	})
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
