package bot_test

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kickbot/kickbot/bot/slackfake"
	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// End-to-end tests of /kick when things go wrong around it: the meeting is
// not running or its API fails, the bot cannot post, Slack redelivers, the
// process is stopped mid-kick. And a check that no secret reaches the log.

// TestKickOnAMeetingThatIsNotRunning: the moderator is told privately, the
// ops channel is told, and nothing is hung up.
func TestKickOnAMeetingThatIsNotRunning(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		state func(*meetingtest.ConferenceBuilder) *meetingtest.ConferenceBuilder
	}{
		{"scheduled", (*meetingtest.ConferenceBuilder).Scheduled},
		{"ended", (*meetingtest.ConferenceBuilder).Ended},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{})
			const conf = "555000111"
			tc.state(h.sim.AddConference(conf).Scheduler(h.facts.UserID).
				Participant(meetingtest.P{ID: meetingtest.SampleCarlosPID, Name: "Carlos Mendes"}))

			id, ack := h.slash(moderator, modChannel, conf+" "+meetingtest.SampleCarlosPID)
			if ackText(ack) != "" {
				t.Fatalf("ack = %s, want bare", ackText(ack))
			}
			p := h.private(id)
			for _, s := range []string{"Nothing was done in meeting " + conf, "is not running"} {
				if !strings.Contains(allText(p), s) {
					t.Errorf("private answer lacks %q:\n%s", s, allText(p))
				}
			}
			h.opsNotice("nothing was done in meeting " + conf)
			if a := h.auditLine("kick"); a.Outcome != "failed" || a.ErrorKind == "" {
				t.Errorf("audit line = %+v, want failed with an error kind", a)
			}
			h.drain()
			if n := h.sim.CallCount(meetingtest.EndpointHangUp); n != 0 {
				t.Errorf("meeting received %d hang-up calls (%v), want none", n, h.sim.HangUpIDs(conf))
			}
			if ms := h.channelMessages(modChannel); len(ms) != 0 {
				t.Errorf("the channel saw messages for a kick that never started:%s", h.dumpMessages())
			}
		})
	}
}

// TestKickWhenTheRosterCannotBeRead: realTimeInfo keeps failing beyond the
// retry bound; the moderator and ops are told, nothing is hung up.
func TestKickWhenTheRosterCannotBeRead(t *testing.T) {
	t.Parallel()
	const retries = 2
	h := newHarness(t, harnessOpts{meetingCfg: func(c *meeting.Config) { c.MaxRetries = retries }})
	h.sim.FailNext(meetingtest.EndpointRealTimeInfo, retries+1, meetingtest.Fault{Status: http.StatusInternalServerError})

	id, _ := h.slash(moderator, modChannel, h.facts.ConferenceID+" "+meetingtest.SampleCarlosPID)
	if p := h.private(id); !strings.Contains(allText(p), "Nothing was done") || !strings.Contains(allText(p), "internal error") {
		t.Errorf("private answer does not report the failure:\n%s", allText(p))
	}
	h.opsNotice("internal error")
	h.drain()
	if n := h.sim.CallCount(meetingtest.EndpointRealTimeInfo); n != retries+1 {
		t.Errorf("realTimeInfo was called %d times, want %d (first try + %d retries)", n, retries+1, retries)
	}
	if n := h.sim.CallCount(meetingtest.EndpointHangUp); n != 0 {
		t.Errorf("meeting received %d hang-up calls, want none", n)
	}
	if !slices.Contains(onlineIDs(h), meetingtest.SampleCarlosPID) {
		t.Errorf("Carlos left the meeting")
	}
}

// TestKickWhenTheHangUpFails: the hang-up keeps failing (beyond the retry
// bound where retrying is right); the thread, the parent and ops all say
// why, and the participant is still in the meeting.
func TestKickWhenTheHangUpFails(t *testing.T) {
	t.Parallel()
	const retries = 2
	cases := []struct {
		name      string
		fault     meetingtest.Fault
		n         int    // faults queued
		wantCalls int    // hang-up calls the meeting receives
		want      string // in the thread reply and the parent
		wantKind  string // audit error_kind
	}{
		{name: "server error", fault: meetingtest.Fault{Status: http.StatusInternalServerError},
			n: retries + 1, wantCalls: retries + 1, want: "internal error", wantKind: "server_error"},
		{name: "connection dropped", fault: meetingtest.Fault{CloseConn: true},
			n: retries + 1, wantCalls: retries + 1, want: "could not reach the meeting service", wantKind: "network"},
		{name: "rate limited for two minutes", fault: meetingtest.Fault{Status: http.StatusTooManyRequests, RetryAfter: 2 * time.Minute},
			n: 1, wantCalls: 1, want: "try again in 120 s", wantKind: "rate_limited"},
		{name: "credentials refused", fault: meetingtest.Fault{Status: http.StatusUnauthorized},
			n: 2, wantCalls: 2, want: "refused kickbot's credentials", wantKind: "unauthorized"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{meetingCfg: func(c *meeting.Config) { c.MaxRetries = retries }})
			h.sim.FailNext(meetingtest.EndpointHangUp, tc.n, tc.fault)

			parent, reply := h.kick(h.facts.ConferenceID + " " + meetingtest.SampleCarlosPID + " -- spamming")
			if n := h.sim.CallCount(meetingtest.EndpointHangUp); n != tc.wantCalls {
				t.Errorf("meeting received %d hang-up calls, want %d", n, tc.wantCalls)
			}
			if !slices.Contains(onlineIDs(h), meetingtest.SampleCarlosPID) {
				t.Errorf("Carlos left the meeting although every hang-up failed")
			}
			for what, m := range map[string]slackfake.Message{"thread reply": reply, "parent": parent} {
				if !strings.Contains(allText(m), tc.want) || !strings.Contains(allText(m), "❌") {
					t.Errorf("%s does not report the failure (%q):\n%s", what, tc.want, allText(m))
				}
			}
			if l := lineWith(allText(reply), "Carlos Mendes"); !strings.Contains(l, "failed") {
				t.Errorf("thread reply does not say Carlos's disconnect failed: %q", l)
			}
			h.opsNotice("Could not disconnect anyone")
			if a := h.auditLine("kick"); a.Outcome != "failed" || a.ErrorKind != tc.wantKind || a.Reason != "spamming" {
				t.Errorf("audit line = %+v, want failed, %s, with the reason", a, tc.wantKind)
			}
		})
	}
}

// TestKickWhenTheConfirmingReadFails: the hang-up is accepted but the roster
// read that confirms it keeps failing. The participant is most likely gone,
// so "could not disconnect, try again" would be false: the moderator is told
// it is not confirmed and to check the meeting.
func TestKickWhenTheConfirmingReadFails(t *testing.T) {
	t.Parallel()
	const retries = 1
	h := newHarness(t, harnessOpts{meetingCfg: func(c *meeting.Config) { c.MaxRetries = retries }})
	release := h.sim.Hold(meetingtest.EndpointHangUp)
	defer release()

	h.slash(moderator, modChannel, h.facts.ConferenceID+" "+meetingtest.SampleCarlosPID)
	// The roster has been read once the hang-up is under way; fail every
	// later read.
	h.eventually("the hang-up call in flight", func() bool { return h.sim.Held(meetingtest.EndpointHangUp) == 1 })
	h.sim.FailNext(meetingtest.EndpointRealTimeInfo, retries+1, meetingtest.Fault{Status: http.StatusInternalServerError})
	release()
	parent, reply := h.outcome(modChannel)

	if got := h.hangUps(); !slices.Equal(got, []string{meetingtest.SampleCarlosPID}) {
		t.Fatalf("hang-up IDs = %v, want Carlos once", got)
	}
	if slices.Contains(onlineIDs(h), meetingtest.SampleCarlosPID) {
		t.Fatalf("Carlos is still in the meeting; the test assumes the hang-up worked")
	}
	if l := lineWith(allText(reply), "Carlos Mendes"); !strings.Contains(l, "not confirmed") || !strings.Contains(l, "check the meeting") {
		t.Errorf("thread reply does not say Carlos's disconnect is unconfirmed: %q", l)
	}
	for what, m := range map[string]slackfake.Message{"thread reply": reply, "parent": parent, "ops notice": h.opsNotice("not confirmed")} {
		if s := allText(m); strings.Contains(s, "Could not disconnect") || strings.Contains(s, "could not disconnect") {
			t.Errorf("%s claims nobody was disconnected, but Carlos left:\n%s", what, s)
		}
	}
	if a := h.auditLine("kick"); a.Outcome != "partial" || a.ErrorKind != "server_error" {
		t.Errorf("audit line = %+v, want outcome partial with error kind server_error", a)
	}
}

// TestKickWhenTheBotIsNotInTheChannel: the kick never waits for Slack, so
// it runs; the moderator learns its outcome privately with how to fix the
// channel, and the ops channel is told the thread could not be posted.
func TestKickWhenTheBotIsNotInTheChannel(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.slack.SetNotInChannel(modChannel)

	id, ack := h.slash(moderator, modChannel, h.facts.ConferenceID+" "+meetingtest.SampleCarlosPID)
	if ackText(ack) != "" {
		t.Fatalf("ack = %s, want bare", ackText(ack))
	}
	p := h.private(id)
	for _, want := range []string{"/invite @kickbot", "Carlos Mendes", "disconnected"} {
		if p.ResponseType != "ephemeral" || !strings.Contains(allText(p), want) {
			t.Errorf("private answer (%s) lacks %q:\n%s", p.ResponseType, want, allText(p))
		}
	}
	h.opsNotice("could not post in <#CMOD>: not_in_channel")
	if a := h.auditLine("kick"); a.Outcome != "done" {
		t.Errorf("audit line = %+v, want outcome done", a)
	}
	h.drain()
	if got := h.hangUps(); !slices.Equal(got, []string{meetingtest.SampleCarlosPID}) {
		t.Errorf("hang-up IDs = %v, want Carlos once", got)
	}
}

// TestKickRedeliveredEnvelopeDisconnectsOnce: Slack redelivering the same
// envelope (after the ack, or racing the first delivery) causes one hang-up
// call and one outcome.
func TestKickRedeliveredEnvelopeDisconnectsOnce(t *testing.T) {
	t.Parallel()
	for _, race := range []bool{false, true} {
		name := "after the ack"
		if race {
			name = "racing the first delivery"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{})
			id := h.slack.SlashCommand(slackfake.Slash{
				Text:   h.facts.ConferenceID + " " + meetingtest.SampleCarlosPID,
				UserID: moderator, ChannelID: modChannel, ChannelName: channelName(modChannel),
			})
			if race {
				h.slack.Redeliver(id)
			}
			if _, err := h.slack.WaitAck(h.ctx(), id); err != nil {
				t.Fatal(err)
			}
			h.outcome(modChannel)
			if !race {
				h.slack.Redeliver(id)
			}
			h.eventually("both deliveries acked", func() bool { return h.slack.AckCount(id) == 2 })
			h.drain()

			if got := h.slack.Deliveries(id); got != 2 {
				t.Fatalf("envelope delivered %d times, want 2", got)
			}
			if n := h.sim.CallCount(meetingtest.EndpointHangUp); n != 1 {
				t.Errorf("meeting received %d hang-up calls, want 1", n)
			}
			if got := h.hangUps(); !slices.Equal(got, []string{meetingtest.SampleCarlosPID}) {
				t.Errorf("hang-up IDs = %v, want Carlos once", got)
			}
			var parents, replies int
			for _, m := range h.channelMessages(modChannel) {
				if m.Method != "chat.postMessage" {
					continue
				}
				if m.ThreadTS == "" {
					parents++
				} else {
					replies++
				}
			}
			if parents != 1 || replies != 1 {
				t.Errorf("channel saw %d parents and %d thread replies, want 1 and 1:%s", parents, replies, h.dumpMessages())
			}
			if n := len(h.channelMessages(opsChannel)); n != 1 {
				t.Errorf("ops channel saw %d notices, want 1", n)
			}
			if n := len(h.auditLines("kick")); n != 1 {
				t.Errorf("%d kick audit lines, want 1", n)
			}
		})
	}
}

// TestKickInFlightDuringShutdownStillReports: SIGTERM while the hang-up is
// in progress; the kick completes, its outcome is posted, and Run returns
// nil.
func TestKickInFlightDuringShutdownStillReports(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	release := h.sim.Hold(meetingtest.EndpointHangUp)
	defer release()

	_, ack := h.slash(moderator, modChannel, h.facts.ConferenceID+" "+meetingtest.SampleCarlosPID)
	if ackText(ack) != "" {
		t.Fatalf("ack = %s, want bare", ackText(ack))
	}
	h.eventually("the hang-up call in flight", func() bool { return h.sim.Held(meetingtest.EndpointHangUp) == 1 })

	h.cancel() // the shutdown starts with the hang-up in flight …
	release()  // … which then completes
	h.drain()

	parent, reply := h.outcome(modChannel)
	if !strings.Contains(allText(reply), "Carlos Mendes") || !strings.Contains(allText(reply), "disconnected") {
		t.Errorf("thread reply after shutdown does not report Carlos disconnected:\n%s", allText(reply))
	}
	if !strings.Contains(allText(parent), "✅") {
		t.Errorf("parent was not updated to the final status:\n%s", allText(parent))
	}
	h.opsNotice("Disconnected 1 participant")
	if got := h.hangUps(); !slices.Equal(got, []string{meetingtest.SampleCarlosPID}) {
		t.Errorf("hang-up IDs = %v, want Carlos", got)
	}
	if slices.Contains(onlineIDs(h), meetingtest.SampleCarlosPID) {
		t.Errorf("Carlos is still in the meeting")
	}
}

// TestKickLogsNoSecret runs kicks that succeed and fail, with token
// refreshes, and checks that no token, key or password the bot used appears
// in any log line or Slack message.
func TestKickLogsNoSecret(t *testing.T) {
	t.Parallel()
	rec := &headerRecorder{base: &http.Transport{}}
	t.Cleanup(rec.base.CloseIdleConnections)
	h := newHarness(t, harnessOpts{meetingCfg: func(c *meeting.Config) {
		c.HTTPClient = &http.Client{Transport: rec, Timeout: 10 * time.Second}
		c.MaxRetries = 1
	}})
	conf := h.facts.ConferenceID

	// A kick that works, one whose hang-up is refused for its credentials,
	// one whose control token cannot be renewed, and one whose roster read
	// fails after retries: every step that carries a credential, succeeding
	// and failing.
	h.kick(conf + " " + meetingtest.SampleCarlosPID)
	h.eventually("the first kick's audit line", func() bool { return len(h.auditLines("kick")) == 1 })
	h.sim.FailNext(meetingtest.EndpointHangUp, 2, meetingtest.Fault{Status: http.StatusUnauthorized})
	h.slash(moderator, modChannel, conf+" +8613800000000")
	h.eventually("the second kick's audit line", func() bool { return len(h.auditLines("kick")) == 2 })
	h.sim.ExpireControlTokens()
	h.sim.FailNext(meetingtest.EndpointControlToken, 1, meetingtest.Fault{Status: http.StatusUnauthorized})
	h.slash(moderator, modChannel, conf+` "Priya Patel"`)
	h.eventually("the third kick's audit line", func() bool { return len(h.auditLines("kick")) == 3 })
	h.sim.FailNext(meetingtest.EndpointRealTimeInfo, 2, meetingtest.Fault{Status: http.StatusServiceUnavailable})
	h.slash(moderator, modChannel, conf+` "Dmitri Ivanov"`)
	h.eventually("the fourth kick's audit line", func() bool { return len(h.auditLines("kick")) == 4 })
	var outcomes []string
	for _, a := range h.auditLines("kick") {
		outcomes = append(outcomes, a.Outcome)
	}
	if want := []string{"done", "failed", "failed", "failed"}; !slices.Equal(outcomes, want) {
		t.Errorf("kick outcomes = %v, want %v: the paths meant to be exercised were not", outcomes, want)
	}
	h.drain()

	secrets := map[string]string{
		"bot token":     slackfake.DefaultBotToken,
		"app token":     slackfake.DefaultAppToken,
		"app key":       h.facts.AppKey,
		"host password": h.facts.HostPassword,
	}
	recorded := rec.values()
	for _, name := range []string{"Authorization", "X-Access-Token", "X-Conference-Authorization", "X-Password"} {
		if !slices.ContainsFunc(slices.Collect(maps.Keys(recorded)), func(k string) bool { return strings.HasPrefix(k, name+"#") }) {
			t.Errorf("the meeting client never sent %s; the test would not check it", name)
		}
	}
	maps.Copy(secrets, recorded)
	logs := h.logs.String()
	if !strings.Contains(logs, `"action":"kick"`) {
		t.Fatalf("no kick was logged; the test would prove nothing")
	}
	var slackText strings.Builder
	for _, m := range h.slack.Messages() {
		slackText.WriteString(allText(m) + "\n")
	}
	for what, v := range secrets {
		if leaks(logs, v) {
			t.Errorf("the log contains (part of) the %s", what)
		}
		if leaks(slackText.String(), v) {
			t.Errorf("a Slack message contains (part of) the %s", what)
		}
	}
	for _, s := range []string{"Bearer", "X-Conference-Authorization", "X-Access-Token", "X-Password"} {
		if strings.Contains(logs, s) {
			t.Errorf("the log mentions %q:\n%s", s, lineWith(logs, s))
		}
	}
}

// headerRecorder passes requests through and remembers the values of every
// credential-bearing header the meeting client sent.
type headerRecorder struct {
	base *http.Transport
	mu   sync.Mutex
	seen map[string]string // value → header name
}

var secretHeaders = []string{"Authorization", "X-Access-Token", "X-Conference-Authorization", "X-Password"}

func (r *headerRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	if r.seen == nil {
		r.seen = map[string]string{}
	}
	for _, name := range secretHeaders {
		v := req.Header.Get(name)
		if sig, ok := strings.CutPrefix(v, "HMAC-SHA256 signature="); ok {
			v, _, _ = strings.Cut(sig, ",") // the rest is the public app ID
		} else if cred, ok := strings.CutPrefix(v, "Basic "); ok {
			v = cred
		}
		if v != "" {
			r.seen[v] = name
		}
	}
	r.mu.Unlock()
	return r.base.RoundTrip(req)
}

// values maps "Name#n" to each recorded value.
func (r *headerRecorder) values() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]string{}
	n := map[string]int{}
	for v, name := range r.seen {
		n[name]++
		out[name+"#"+strconv.Itoa(n[name])] = v
	}
	return out
}

// leaks reports whether text holds secret, or for a long secret any 16
// characters of it, so a token logged in part is caught too.
func leaks(text, secret string) bool {
	const window = 16
	if secret == "" {
		return false
	}
	if len(secret) <= window {
		return strings.Contains(text, secret)
	}
	for i := 0; i+window <= len(secret); i++ {
		if strings.Contains(text, secret[i:i+window]) {
			return true
		}
	}
	return false
}

// When Slack will not take the outcome in the thread (it keeps failing
// after the parent was posted), the moderator still gets it privately.
func TestKickOutcomeReachesTheModeratorWhenTheThreadFails(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.sim.SetLatency(meetingtest.EndpointHangUp, 300*time.Millisecond)
	id, _ := h.slash(moderator, modChannel, h.facts.ConferenceID+" "+meetingtest.SampleCarlosPID)
	h.waitMsg("parent message", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.Channel == modChannel && m.ThreadTS == ""
	})
	h.slack.FailNext("chat.postMessage", 10, "internal_error")

	p := h.private(id)
	if !strings.Contains(allText(p), "Carlos Mendes") || !strings.Contains(allText(p), "Disconnected 1 participant") {
		t.Errorf("the private fallback does not carry the outcome:\n%s", allText(p))
	}
	if got := h.hangUps(); !slices.Equal(got, []string{meetingtest.SampleCarlosPID}) {
		t.Errorf("meeting received hang-ups %v; want only Carlos", got)
	}
}

// TestQuickKickPostsItsParentOnce: a kick over within the parent's hold
// posts the parent once, already showing its final status, and never
// edits it (chat.update is the scarcest Slack budget).
func TestQuickKickPostsItsParentOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	parent, reply := h.kick(h.facts.ConferenceID + " " + meetingtest.SampleCarlosPID)
	if !strings.Contains(allText(reply), "Carlos Mendes") {
		t.Fatalf("thread reply does not name Carlos:\n%s", allText(reply))
	}
	h.opsNotice("Disconnected 1 participant")
	var posted []slackfake.Message
	for _, m := range h.channelMessages(modChannel) {
		if m.TS == parent.TS && m.ThreadTS == "" {
			posted = append(posted, m)
		}
	}
	if len(posted) != 1 || posted[0].Method != "chat.postMessage" || !strings.HasPrefix(posted[0].Text, "✅") {
		t.Errorf("parent messages = %d, want one chat.postMessage showing ✅:%s", len(posted), h.dumpMessages())
	}
}

// TestSlowKickShowsItsParentThenTheOutcome: a kick whose meeting call
// outlasts the parent's hold shows "⏳" first, then updates the parent.
func TestSlowKickShowsItsParentThenTheOutcome(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	release := h.sim.Hold(meetingtest.EndpointHangUp)
	defer release()

	h.slash(moderator, modChannel, h.facts.ConferenceID+" "+meetingtest.SampleCarlosPID)
	started := h.waitMsg("parent message", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.Channel == modChannel && m.ThreadTS == ""
	})
	if !strings.HasPrefix(started.Text, "⏳") {
		t.Errorf("parent posted while the hang-up is held = %q, want ⏳", started.Text)
	}
	if n := h.sim.Held(meetingtest.EndpointHangUp); n != 1 {
		t.Fatalf("%d hang-up calls held, want the kick's one", n)
	}
	release()
	parent, _ := h.outcome(modChannel)
	if parent.TS != started.TS || !strings.HasPrefix(parent.Text, "✅") {
		t.Errorf("parent after the outcome = %q (ts %s), want ✅ on %s", parent.Text, parent.TS, started.TS)
	}
}
