package bot_test

// Fault tests of issue 5, end to end: the real bot, the real slack-go
// Socket Mode client against slackfake, and the real meeting client against
// meetingtest. Every test counts what the moderator would see (acks, thread
// replies, private answers, parent messages) and what the meeting received
// (hang-up calls and the participant IDs they carried).

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/kickbot/kickbot/bot"
	"github.com/kickbot/kickbot/bot/slackfake"
	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// relConf is a second running meeting with generated participants, so that
// every command of a burst can name a participant of its own and each
// hang-up can be traced back to one command.
const relConf = "555000111"

// relPeople seeds relConf with n participants ("Participant 0001", …) and
// returns them in join order.
func relPeople(h *harness, n int) []meetingtest.P {
	h.t.Helper()
	h.sim.AddConference(relConf).Subject("Reliability drill").Participants(n)
	ps := h.sim.Online(relConf)
	if len(ps) != n {
		h.t.Fatalf("seeded %d participants, meeting lists %d", n, len(ps))
	}
	return ps
}

// relSend types "/kick <relConf> <pid>" as the moderator without waiting for
// the ack, and returns the envelope ID.
func relSend(h *harness, pid string) string {
	return h.slack.SlashCommand(slackfake.Slash{Text: relConf + " " + pid, UserID: moderator,
		ChannelID: modChannel, ChannelName: channelName(modChannel)})
}

// relAcks waits for the first ack of every envelope.
func relAcks(h *harness, envs []string) map[string]slackfake.Ack {
	h.t.Helper()
	out := make(map[string]slackfake.Ack, len(envs))
	for _, id := range envs {
		a, err := h.slack.WaitAck(h.ctx(), id)
		if err != nil {
			h.t.Fatalf("envelope %s was never acked: %v", id, err)
		}
		out[id] = a
	}
	return out
}

// relBusy reports whether an ack carries the ephemeral "busy, try again"
// answer (and not, say, a usage or input error).
func relBusy(t *testing.T, a slackfake.Ack) bool {
	t.Helper()
	if a.Payload == nil {
		return false
	}
	var p struct {
		ResponseType string `json:"response_type"`
		Text         string `json:"text"`
	}
	if err := json.Unmarshal(a.Payload, &p); err != nil {
		t.Fatalf("ack payload is not JSON: %s", a.Payload)
	}
	if p.ResponseType != "ephemeral" || !strings.Contains(p.Text, "busy") || !strings.Contains(p.Text, "try again") {
		t.Fatalf("ack carries an answer that is not the ephemeral busy notice: %s", a.Payload)
	}
	return true
}

// relHangUpsOK is every pid the meeting actually accepted for disconnection
// in conf: the IDs of hang-up calls it answered 200. (HangUpIDs also holds
// attempts that were faulted, which removed nobody.)
func relHangUpsOK(h *harness, conf string) []string {
	var out []string
	for _, c := range h.sim.Calls() {
		if c.Endpoint == meetingtest.EndpointHangUp && c.ConferenceID == conf && c.Status == http.StatusOK {
			out = append(out, c.HangUpIDs...)
		}
	}
	return out
}

// relHangUpStatuses is the HTTP status of every hang-up attempt on conf, in
// completion order (0 = no reply).
func relHangUpStatuses(h *harness, conf string) []int {
	var out []int
	for _, c := range h.sim.Calls() {
		if c.Endpoint == meetingtest.EndpointHangUp && c.ConferenceID == conf {
			out = append(out, c.Status)
		}
	}
	return out
}

func relCount(ids []string) map[string]int {
	m := map[string]int{}
	for _, id := range ids {
		m[id]++
	}
	return m
}

func relIsThreadReply(m slackfake.Message) bool {
	return m.Method == "chat.postMessage" && m.Channel == modChannel && m.ThreadTS != ""
}

func relIsParent(m slackfake.Message) bool {
	return m.Method == "chat.postMessage" && m.Channel == modChannel && m.ThreadTS == ""
}

// relReplies is every thread reply in the moderation channel.
func relReplies(h *harness) []slackfake.Message {
	var out []slackfake.Message
	for _, m := range h.slack.Messages() {
		if relIsThreadReply(m) {
			out = append(out, m)
		}
	}
	return out
}

// relRepliesNaming is the thread replies that mention the participant.
func relRepliesNaming(h *harness, name string) []slackfake.Message {
	var out []slackfake.Message
	for _, m := range relReplies(h) {
		if strings.Contains(allText(m), name) {
			out = append(out, m)
		}
	}
	return out
}

// relOutcomes counts the kick outcomes shown in thread replies. When the
// channel is busy, Slack's posting limit makes kickbot show several
// outcomes in one reply; each outcome names who requested it once.
func relOutcomes(h *harness) int {
	n := 0
	for _, m := range relReplies(h) {
		n += strings.Count(allText(m), "Requested by")
	}
	return n
}

// relWaitReplies waits until the moderation channel's thread replies show
// n kick outcomes.
func relWaitReplies(h *harness, n int) {
	h.t.Helper()
	h.eventually(fmt.Sprintf("%d kick outcomes in thread replies", n), func() bool { return relOutcomes(h) >= n })
}

// relParents is every parent message of a kick, as it reads now.
func relParents(h *harness) []slackfake.Message {
	var out []slackfake.Message
	for _, m := range h.slack.Messages() {
		if relIsParent(m) {
			cur, _ := h.slack.Current(m.Channel, m.TS)
			out = append(out, cur)
		}
	}
	return out
}

// relWaitFinal waits until no parent message reads "⏳ … disconnecting":
// every kick ends with its parent showing the final result.
func relWaitFinal(h *harness) {
	h.t.Helper()
	h.eventually("every parent message final", func() bool {
		for _, p := range relParents(h) {
			if strings.Contains(allText(p), "⏳") {
				return false
			}
		}
		return true
	})
}

// relNoHourglass fails if a parent message still says "⏳ … disconnecting":
// every kick must end with its parent showing the final result.
func relNoHourglass(h *harness) {
	h.t.Helper()
	for _, p := range relParents(h) {
		if strings.Contains(allText(p), "⏳") {
			h.t.Errorf("parent %s was left in progress: %s", p.TS, allText(p))
		}
	}
}

// relPrivate is the response_url answers to envelope id.
func relPrivate(h *harness, id string) []slackfake.Message {
	var out []slackfake.Message
	for _, m := range h.slack.Messages() {
		if m.Method == "response_url" && m.EnvelopeID == id {
			out = append(out, m)
		}
	}
	return out
}

// relOneKick kicks Carlos from the sample meeting and returns the parent (as
// it reads now) and the single thread reply, failing if there is not exactly
// one of each.
func relOneKick(h *harness) (parent, reply slackfake.Message) {
	h.t.Helper()
	_, ack := h.slash(moderator, modChannel, h.facts.ConferenceID+" "+meetingtest.SampleCarlosPID)
	if ackText(ack) != "" {
		h.t.Fatalf("kick was not accepted: %s", ackText(ack))
	}
	parent, reply = h.outcome(modChannel)
	if n := len(h.slack.Thread(modChannel, parent.TS)); n != 1 {
		h.t.Errorf("thread has %d replies, want exactly 1:%s", n, h.dumpMessages())
	}
	if n := len(relParents(h)); n != 1 {
		h.t.Errorf("%d parent messages for one kick, want 1", n)
	}
	h.t.Logf("moderator saw: parent %q; thread %q", parent.Text, reply.Text)
	return parent, reply
}

// relOnline reports whether the meeting conf still lists pid.
func relOnline(h *harness, conf, pid string) bool {
	return slices.ContainsFunc(h.sim.Online(conf), func(p meetingtest.P) bool { return p.ID == pid })
}

// ---------------------------------------------------------------------------
// 1. Backpressure

func TestReliabilityBackpressureBusyAnswerAndBoundedQueue(t *testing.T) {
	t.Parallel()
	const workers, queue, burst = 1, 2, 10
	h := newHarness(t, harnessOpts{cfg: bot.Config{Workers: workers, QueueSize: queue, UserRateLimit: 1000}})
	ps := relPeople(h, burst)

	// Stall the meeting so the one worker is stuck in a hang-up while the
	// burst arrives.
	h.sim.SetLatency(meetingtest.EndpointHangUp, 2*time.Second)
	first := relSend(h, ps[0].ID)
	relAcks(h, []string{first})
	h.waitMsg("first parent message", relIsParent)
	h.eventually("first hang-up in flight", func() bool { return h.sim.Active() > 0 })

	envs := []string{first}
	pidOf := map[string]meetingtest.P{first: ps[0]}
	for _, p := range ps[1:] {
		id := relSend(h, p.ID)
		envs = append(envs, id)
		pidOf[id] = p
	}
	acks := relAcks(h, envs)
	h.sim.SetLatency(meetingtest.EndpointHangUp, 0) // later hang-ups go through at once

	var accepted, busy []string
	for _, id := range envs {
		if n := h.slack.AckCount(id); n != 1 {
			t.Errorf("envelope %s acked %d times, want 1", id, n)
		}
		if relBusy(t, acks[id]) {
			busy = append(busy, id)
		} else {
			accepted = append(accepted, id)
		}
	}
	// The worker holds one command, the queue two: the rest of a burst that
	// arrives while they are stuck is refused, so memory stays bounded.
	if len(accepted) != workers+queue || len(busy) != burst-workers-queue {
		t.Fatalf("accepted %d and refused %d of %d, want %d accepted (1 running + %d queued) and %d busy",
			len(accepted), len(busy), burst, workers+queue, queue, burst-workers-queue)
	}

	relWaitReplies(h, len(accepted))
	var wantIDs []string
	for _, id := range accepted {
		p := pidOf[id]
		wantIDs = append(wantIDs, p.ID)
		rs := relRepliesNaming(h, p.Name)
		if len(rs) != 1 || !strings.Contains(allText(rs[0]), "disconnected") {
			t.Errorf("accepted %s: %d thread replies, want one saying disconnected", p.Name, len(rs))
		}
	}
	for _, id := range busy {
		p := pidOf[id]
		if rs := relRepliesNaming(h, p.Name); len(rs) != 0 {
			t.Errorf("refused %s got an outcome anyway: %s", p.Name, allText(rs[0]))
		}
		if !relOnline(h, relConf, p.ID) {
			t.Errorf("refused %s was disconnected anyway", p.Name)
		}
	}
	got := relHangUpsOK(h, relConf)
	slices.Sort(got)
	slices.Sort(wantIDs)
	if !slices.Equal(got, wantIDs) {
		t.Errorf("meeting disconnected %v, want exactly the accepted %v", got, wantIDs)
	}
	relWaitFinal(h)
	// One outcome per accepted command; when Slack's pace makes them wait,
	// several share a parent message.
	if n := relOutcomes(h); n != len(accepted) {
		t.Errorf("%d kick outcomes shown, want one per accepted command (%d)", n, len(accepted))
	}
	t.Logf("burst of %d with 1 worker and queue %d: %d accepted, %d told busy", burst, queue, len(accepted), len(busy))
}

// ---------------------------------------------------------------------------
// 2. Meeting API faults

func TestReliabilityMeetingFaults(t *testing.T) {
	t.Parallel()
	carlos := meetingtest.SampleCarlosPID

	t.Run("500 then success is retried", func(t *testing.T) {
		h := newHarness(t, harnessOpts{})
		h.sim.FailNext(meetingtest.EndpointHangUp, 2, meetingtest.Fault{Status: http.StatusInternalServerError})
		parent, reply := relOneKick(h)
		if !strings.Contains(allText(reply), "Disconnected 1 participant") || !strings.Contains(allText(parent), "✅") {
			t.Errorf("moderator did not see success:\nparent: %s\nreply: %s", allText(parent), allText(reply))
		}
		if got := relHangUpStatuses(h, h.facts.ConferenceID); !slices.Equal(got, []int{500, 500, 200}) {
			t.Errorf("hang-up attempts answered %v, want [500 500 200]", got)
		}
		if got := relHangUpsOK(h, h.facts.ConferenceID); !slices.Equal(got, []string{carlos}) {
			t.Errorf("meeting disconnected %v, want Carlos once", got)
		}
	})

	t.Run("429 with Retry-After is waited out", func(t *testing.T) {
		h := newHarness(t, harnessOpts{})
		h.sim.FailNext(meetingtest.EndpointHangUp, 1, meetingtest.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second})
		parent, reply := relOneKick(h)
		if !strings.Contains(allText(reply), "Disconnected 1 participant") || !strings.Contains(allText(parent), "✅") {
			t.Errorf("moderator did not see success:\nparent: %s\nreply: %s", allText(parent), allText(reply))
		}
		var at []time.Time
		for _, c := range h.sim.Calls() {
			if c.Endpoint == meetingtest.EndpointHangUp {
				at = append(at, c.At)
			}
		}
		if got := relHangUpStatuses(h, h.facts.ConferenceID); !slices.Equal(got, []int{429, 200}) {
			t.Fatalf("hang-up attempts answered %v, want [429 200]", got)
		}
		// Retry-After was honoured: the retry came no sooner than asked.
		if gap := at[1].Sub(at[0]); gap < 900*time.Millisecond {
			t.Errorf("retried %v after a 429 with Retry-After: 1", gap)
		}
		if got := relHangUpsOK(h, h.facts.ConferenceID); !slices.Equal(got, []string{carlos}) {
			t.Errorf("meeting disconnected %v, want Carlos once", got)
		}
	})

	t.Run("timeout is a visible failure", func(t *testing.T) {
		h := newHarness(t, harnessOpts{meetingCfg: func(c *meeting.Config) {
			tr := http.DefaultTransport.(*http.Transport).Clone()
			c.HTTPClient = &http.Client{Timeout: 300 * time.Millisecond, Transport: tr}
			c.MaxRetries = 2
		}})
		h.sim.FailNext(meetingtest.EndpointHangUp, 3, meetingtest.Fault{Delay: 5 * time.Second})
		parent, reply := relOneKick(h)
		if !strings.Contains(allText(reply), "Could not disconnect anyone") || !strings.Contains(allText(reply), "timeout") ||
			!strings.Contains(allText(parent), "❌") {
			t.Errorf("moderator did not see a timeout failure:\nparent: %s\nreply: %s", allText(parent), allText(reply))
		}
		if got := relHangUpStatuses(h, h.facts.ConferenceID); !slices.Equal(got, []int{0, 0, 0}) {
			t.Errorf("hang-up attempts answered %v, want three unanswered (1 + MaxRetries 2)", got)
		}
		if got := relHangUpsOK(h, h.facts.ConferenceID); len(got) != 0 {
			t.Errorf("meeting disconnected %v, want nobody", got)
		}
		if !relOnline(h, h.facts.ConferenceID, carlos) {
			t.Errorf("Carlos is gone although the moderator was told nothing happened")
		}
	})

	t.Run("closed connection is retried", func(t *testing.T) {
		h := newHarness(t, harnessOpts{})
		h.sim.FailNext(meetingtest.EndpointHangUp, 1, meetingtest.Fault{CloseConn: true})
		parent, reply := relOneKick(h)
		if !strings.Contains(allText(reply), "Disconnected 1 participant") || !strings.Contains(allText(parent), "✅") {
			t.Errorf("moderator did not see success:\nparent: %s\nreply: %s", allText(parent), allText(reply))
		}
		if got := relHangUpStatuses(h, h.facts.ConferenceID); !slices.Equal(got, []int{0, 200}) {
			t.Errorf("hang-up attempts answered %v, want [0 200]", got)
		}
		if got := relHangUpsOK(h, h.facts.ConferenceID); !slices.Equal(got, []string{carlos}) {
			t.Errorf("meeting disconnected %v, want Carlos once", got)
		}
	})

	t.Run("connection closed on every attempt is a visible failure", func(t *testing.T) {
		h := newHarness(t, harnessOpts{meetingCfg: func(c *meeting.Config) { c.MaxRetries = 1 }})
		h.sim.FailNext(meetingtest.EndpointHangUp, 2, meetingtest.Fault{CloseConn: true})
		parent, reply := relOneKick(h)
		if !strings.Contains(allText(reply), "Could not disconnect anyone") || !strings.Contains(allText(reply), "could not reach") ||
			!strings.Contains(allText(parent), "❌") {
			t.Errorf("moderator did not see a network failure:\nparent: %s\nreply: %s", allText(parent), allText(reply))
		}
		if got := relHangUpStatuses(h, h.facts.ConferenceID); !slices.Equal(got, []int{0, 0}) {
			t.Errorf("hang-up attempts answered %v, want [0 0]", got)
		}
		if !relOnline(h, h.facts.ConferenceID, carlos) {
			t.Errorf("Carlos is gone although the moderator was told nothing happened")
		}
	})

	t.Run("control token expires mid-burst", func(t *testing.T) {
		const n, workers = 9, 3
		h := newHarness(t, harnessOpts{cfg: bot.Config{Workers: workers, UserRateLimit: 1000}})
		ps := relPeople(h, n)
		// Slow hang-ups wait before the simulator checks their token, so
		// an expiry now hits calls already sent with the old one.
		h.sim.SetLatency(meetingtest.EndpointHangUp, 200*time.Millisecond)
		var envs []string
		for _, p := range ps {
			envs = append(envs, relSend(h, p.ID))
		}
		for id, a := range relAcks(h, envs) {
			if a.Payload != nil {
				t.Errorf("envelope %s not accepted: %s", id, a.Payload)
			}
		}
		for wave := 1; wave <= 2; wave++ {
			h.eventually("a kick of this wave in its hang-up", func() bool {
				return len(relHangUpsOK(h, relConf)) >= (wave-1)*workers && h.sim.Active() > 0
			})
			h.sim.ExpireControlTokens()
		}
		relWaitReplies(h, n)
		relWaitFinal(h)
		for _, p := range ps {
			rs := relRepliesNaming(h, p.Name)
			if len(rs) != 1 || !strings.Contains(allText(rs[0]), "Disconnected 1 participant") {
				t.Errorf("%s: %d thread replies, want one saying disconnected", p.Name, len(rs))
			}
		}
		perPID := relCount(relHangUpsOK(h, relConf))
		for _, p := range ps {
			if perPID[p.ID] != 1 {
				t.Errorf("%s disconnected %d times, want exactly 1", p.Name, perPID[p.ID])
			}
		}
		refused := 0
		for _, c := range h.sim.Calls() {
			if c.ConferenceID == relConf && c.Status == http.StatusUnauthorized {
				refused++
			}
		}
		if refused == 0 {
			t.Errorf("no call was refused for an expired token, so the expiry never hit a command in flight")
		}
		t.Logf("control-token requests: %d; calls refused for the expired token: %d; hang-up attempts: %v",
			h.sim.CallCount(meetingtest.EndpointControlToken), refused, relHangUpStatuses(h, relConf))
	})
}

// ---------------------------------------------------------------------------
// 3. Slack rate-limits chat.postMessage

func TestReliabilitySlackRateLimitDelaysNotLoses(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	// The parent message is refused once with 429 …
	h.slack.RateLimitNext("chat.postMessage", 1, time.Second)
	// … and the hang-up is held until a second 429 is armed for the
	// outcome (a delay instead lost the race under load, 1 run in ~10).
	release := h.sim.Hold(meetingtest.EndpointHangUp)
	defer release()

	_, ack := h.slash(moderator, modChannel, h.facts.ConferenceID+" "+meetingtest.SampleCarlosPID)
	if ackText(ack) != "" {
		t.Fatalf("kick not accepted: %s", ackText(ack))
	}
	h.waitMsg("parent message", relIsParent)
	h.slack.RateLimitNext("chat.postMessage", 1, time.Second)
	release()
	parent, reply := h.outcome(modChannel)

	if !strings.Contains(allText(reply), "Disconnected 1 participant") || !strings.Contains(allText(parent), "✅") {
		t.Errorf("moderator did not see success:\nparent: %s\nreply: %s", allText(parent), allText(reply))
	}
	if n := len(relParents(h)); n != 1 {
		t.Errorf("%d parent messages, want 1", n)
	}
	if n := len(h.slack.Thread(modChannel, parent.TS)); n != 1 {
		t.Errorf("%d thread replies, want 1", n)
	}
	h.opsNotice(h.facts.ConferenceID) // the last post of a kick
	posted := 0
	for _, m := range h.slack.Messages() {
		if m.Method == "chat.postMessage" {
			posted++
		}
	}
	if calls := h.slack.Calls("chat.postMessage"); calls != posted+2 {
		t.Errorf("chat.postMessage called %d times for %d messages; want exactly 2 refused (429) calls", calls, posted)
	}
	if got := relHangUpsOK(h, h.facts.ConferenceID); !slices.Equal(got, []string{meetingtest.SampleCarlosPID}) {
		t.Errorf("meeting disconnected %v, want Carlos once", got)
	}
}

// ---------------------------------------------------------------------------
// 4. Socket Mode disconnects, drops and redelivery

func TestReliabilitySocketDisconnectsAndRedelivery(t *testing.T) {
	t.Parallel()
	const perPhase = 3
	h := newHarness(t, harnessOpts{
		cfg:       bot.Config{UserRateLimit: 1000},
		slackOpts: []slackfake.Option{slackfake.WithRedeliverUnacked(true)},
	})
	disruptions := []struct {
		name string
		do   func()
	}{
		{"disconnect refresh_requested", func() { h.slack.SendDisconnect("refresh_requested") }},
		{"disconnect warning", func() { h.slack.SendDisconnect("warning") }},
		{"dropped socket", h.slack.DropConnection},
	}
	ps := relPeople(h, perPhase*(len(disruptions)+1)+1)
	fresh := ps[len(ps)-1]
	ps = ps[:len(ps)-1]

	var envs []string
	pidOf := map[string]meetingtest.P{}
	send := func(batch []meetingtest.P) {
		for _, p := range batch {
			id := relSend(h, p.ID)
			envs = append(envs, id)
			pidOf[id] = p
		}
	}
	for i, d := range disruptions {
		send(ps[i*perPhase : (i+1)*perPhase])
		d.do() // mid-burst: some of the batch may not even be delivered yet
		if err := h.slack.WaitSockets(h.ctx(), i+2); err != nil {
			t.Fatalf("no new socket after %s: %v", d.name, err)
		}
	}
	send(ps[len(disruptions)*perPhase:])

	for id, a := range relAcks(h, envs) {
		if a.Payload != nil {
			t.Errorf("%s not accepted: %s", pidOf[id].Name, a.Payload)
		}
	}
	relWaitReplies(h, len(envs))
	if c := h.slack.Connections(); c < len(disruptions)+1 {
		t.Errorf("%d connections opened, want at least %d (one per disruption plus the first)", c, len(disruptions)+1)
	}

	// Slack redelivers every one of them after the last reconnect, as it
	// does when it doubts an ack arrived.
	for _, id := range envs {
		if !h.slack.Redeliver(id) {
			t.Fatalf("unknown envelope %s", id)
		}
	}
	for _, id := range envs {
		h.eventually("redelivery acked", func() bool { return h.slack.AckCount(id) >= 2 })
	}
	// A fresh command after the redeliveries: once its outcome is in, the
	// event loop has long passed every redelivered envelope.
	relSend(h, fresh.ID)
	relWaitReplies(h, len(envs)+1)
	relWaitFinal(h)

	perPID := relCount(relHangUpsOK(h, relConf))
	autoRedeliveries := 0
	for _, id := range envs {
		p := pidOf[id]
		autoRedeliveries += h.slack.Deliveries(id) - 2 // one first delivery, one explicit Redeliver
		if perPID[p.ID] != 1 {
			t.Errorf("%s disconnected %d times, want exactly 1", p.Name, perPID[p.ID])
		}
		rs := relRepliesNaming(h, p.Name)
		if len(rs) != 1 || !strings.Contains(allText(rs[0]), "Disconnected 1 participant") {
			t.Errorf("%s: %d thread replies, want one saying disconnected", p.Name, len(rs))
		}
	}
	if n := relOutcomes(h); n != len(envs)+1 {
		t.Errorf("%d kick outcomes shown, want %d: a redelivered envelope ran again", n, len(envs)+1)
	}
	if perPID[fresh.ID] != 1 {
		t.Errorf("the command after the redeliveries was not executed once")
	}
	t.Logf("%d commands over %d connections; %d automatic redeliveries of unacked envelopes, %d explicit, none re-executed",
		len(envs), h.slack.Connections(), autoRedeliveries, len(envs))
}

// relStallDeduper is the in-memory store, except that once armed it holds
// the event loop inside its next look-up until released: the envelope has
// reached the bot but is not acked yet.
type relStallDeduper struct {
	armed   atomic.Bool
	reached chan string
	release chan struct{}
	mu      sync.Mutex
	seen    map[string]int
}

func (d *relStallDeduper) FirstTime(key string) bool {
	if d.armed.CompareAndSwap(true, false) {
		d.reached <- key
		<-d.release
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seen[key]++
	return d.seen[key] == 1
}

func TestReliabilityUnackedEnvelopeRedeliveredAfterDropRunsOnce(t *testing.T) {
	t.Parallel()
	dd := &relStallDeduper{reached: make(chan string, 1), release: make(chan struct{}), seen: map[string]int{}}
	h := newHarness(t, harnessOpts{
		slackOpts: []slackfake.Option{slackfake.WithRedeliverUnacked(true)},
		botOpts:   []bot.Option{bot.WithDeduper(dd)},
	})
	ps := relPeople(h, 1)

	dd.armed.Store(true)
	id := relSend(h, ps[0].ID)
	select {
	case <-dd.reached:
	case <-time.After(10 * time.Second):
		t.Fatal("the envelope never reached the bot")
	}
	// The socket dies with the envelope delivered and not acked: Slack
	// puts it back for the next connection.
	h.slack.DropConnection()
	h.eventually("dead socket forgotten", func() bool { return h.slack.NumConnections() == 0 || h.slack.Sockets() > 1 })
	close(dd.release)

	h.eventually("redelivered on the new socket", func() bool { return h.slack.Deliveries(id) >= 2 })
	h.eventually("both deliveries acked", func() bool { return h.slack.AckCount(id) >= 2 })
	relWaitReplies(h, 1)
	relWaitFinal(h)

	if got := relHangUpsOK(h, relConf); !slices.Equal(got, []string{ps[0].ID}) {
		t.Errorf("meeting disconnected %v, want %s once", got, ps[0].Name)
	}
	if rs := relReplies(h); len(rs) != 1 || !strings.Contains(allText(rs[0]), "Disconnected 1 participant") {
		t.Errorf("%d thread replies, want one saying disconnected:%s", len(rs), h.dumpMessages())
	}
	if n := len(relParents(h)); n != 1 {
		t.Errorf("%d parent messages, want 1", n)
	}
	if c := h.slack.Connections(); c < 2 {
		t.Errorf("%d connections, want a reconnect", c)
	}
	t.Logf("envelope delivered %d times, acked %d times, executed once; %d connections",
		h.slack.Deliveries(id), h.slack.AckCount(id), h.slack.Connections())
}

// ---------------------------------------------------------------------------
// 5. A handler panics

// relPanicObserver panics once on the first call to endpoint.
type relPanicObserver struct {
	endpoint string
	left     atomic.Int32
}

func (o *relPanicObserver) APICall(endpoint string, _ int, _ time.Duration) {
	if endpoint == o.endpoint && o.left.Add(-1) >= 0 {
		panic("injected panic in meeting observer (" + endpoint + ")")
	}
}

func (o *relPanicObserver) TokenCache(string, bool) {}

// relPanicSlack is the bot's Slack API with a GetPermalinkContext that
// panics once.
type relPanicSlack struct {
	bot.SlackAPI
	left atomic.Int32
}

func (s *relPanicSlack) GetPermalinkContext(ctx context.Context, p *slack.PermalinkParameters) (string, error) {
	if s.left.Add(-1) >= 0 {
		panic("injected panic in GetPermalinkContext")
	}
	return s.SlackAPI.GetPermalinkContext(ctx, p)
}

func TestReliabilityHandlerPanic(t *testing.T) {
	t.Parallel()
	carlos, wang := meetingtest.SampleCarlosPID, meetingtest.SamplePhonePID

	// secondKick proves the process (and its only worker) lives on.
	secondKick := func(h *harness) {
		t.Helper()
		h.slash(moderator, modChannel, h.facts.ConferenceID+" "+wang)
		h.eventually("second outcome", func() bool { return len(relRepliesNaming(h, "Wang Wei")) == 1 })
		if r := relRepliesNaming(h, "Wang Wei"); !strings.Contains(allText(r[0]), "Disconnected 1 participant") {
			t.Errorf("the command after the panic failed: %s", allText(r[0]))
		}
	}

	t.Run("in the hang-up, on the worker", func(t *testing.T) {
		obs := &relPanicObserver{endpoint: "hangup"}
		obs.left.Store(1)
		h := newHarness(t, harnessOpts{cfg: bot.Config{Workers: 1},
			meetingCfg: func(c *meeting.Config) { c.Observer = obs }})
		parent, reply := relOneKick(h)
		if !strings.Contains(allText(reply), "internal error") || !strings.Contains(allText(parent), "internal error") {
			t.Errorf("moderator did not see the failure:\nparent: %s\nreply: %s", allText(parent), allText(reply))
		}
		if !strings.Contains(h.logs.String(), "handler panicked") {
			t.Errorf("the panic was not logged")
		}
		// The observer runs after the reply arrived: the meeting did act.
		// The moderator is told to check rather than that nothing happened.
		if got := relHangUpsOK(h, h.facts.ConferenceID); !slices.Equal(got, []string{carlos}) {
			t.Errorf("meeting disconnected %v, want Carlos once", got)
		}
		secondKick(h)
		if got := relHangUpsOK(h, h.facts.ConferenceID); !slices.Equal(got, []string{carlos, wang}) {
			t.Errorf("meeting disconnected %v, want Carlos then Wang Wei, once each", got)
		}
	})

	t.Run("in a shared token fetch, off the worker", func(t *testing.T) {
		obs := &relPanicObserver{endpoint: "token"}
		obs.left.Store(1)
		h := newHarness(t, harnessOpts{cfg: bot.Config{Workers: 1},
			meetingCfg: func(c *meeting.Config) { c.Observer = obs }})
		id, _ := h.slash(moderator, modChannel, h.facts.ConferenceID+" "+carlos)
		priv := h.private(id)
		if !strings.Contains(allText(priv), "Nothing was done") {
			t.Errorf("moderator did not see a failure: %s", allText(priv))
		}
		t.Logf("moderator saw privately: %q", priv.Text)
		if got := relHangUpsOK(h, h.facts.ConferenceID); len(got) != 0 {
			t.Errorf("meeting disconnected %v, want nobody", got)
		}
		if n := len(relParents(h)); n != 0 {
			t.Errorf("%d parent messages for a kick that failed before it started", n)
		}
		secondKick(h)
	})

	t.Run("in Slack's permalink, after the outcome", func(t *testing.T) {
		ps := &relPanicSlack{}
		ps.left.Store(1)
		h := newHarness(t, harnessOpts{cfg: bot.Config{Workers: 1}, noStart: true,
			botOpts: []bot.Option{bot.WithSlackAPI(ps)}})
		ps.SlackAPI = slack.New(slackfake.DefaultBotToken, slack.OptionAPIURL(h.slack.APIURL()))
		h.start()
		parent, reply := relOneKick(h)
		// Carlos was disconnected and the moderator was told so; a panic
		// afterwards must not contradict that.
		if !strings.Contains(allText(reply), "Disconnected 1 participant") || !strings.Contains(allText(parent), "✅") {
			t.Errorf("moderator did not see the success:\nparent: %s\nreply: %s", allText(parent), allText(reply))
		}
		if got := relHangUpsOK(h, h.facts.ConferenceID); !slices.Equal(got, []string{carlos}) {
			t.Errorf("meeting disconnected %v, want Carlos once", got)
		}
		secondKick(h)
		// The first kick's thread and parent, once the second kick is done.
		if th := h.slack.Thread(modChannel, parent.TS); len(th) != 1 {
			t.Errorf("first kick's thread has %d replies, want only its outcome:%s", len(th), h.dumpMessages())
		}
		if cur, _ := h.slack.Current(modChannel, parent.TS); !strings.Contains(allText(cur), "✅") {
			t.Errorf("first kick's parent was overwritten: %s", allText(cur))
		}
	})
}

// ---------------------------------------------------------------------------
// 6. SIGTERM during a burst

func TestReliabilityShutdownDuringBurst(t *testing.T) {
	const n = 10
	drain := time.Second
	h := newHarness(t, harnessOpts{cfg: bot.Config{Workers: 2, DrainTimeout: drain, UserRateLimit: 1000}})
	ps := relPeople(h, n+1)
	h.sim.SetLatency(meetingtest.EndpointHangUp, 400*time.Millisecond)

	var envs []string
	pidOf := map[string]meetingtest.P{}
	for _, p := range ps[:n] {
		id := relSend(h, p.ID)
		envs = append(envs, id)
		pidOf[id] = p
	}
	for id, a := range relAcks(h, envs) {
		if a.Payload != nil {
			t.Fatalf("%s not accepted: %s", pidOf[id].Name, a.Payload)
		}
	}
	h.eventually("a hang-up in flight", func() bool { return h.sim.Active() > 0 })

	start := time.Now()
	if err := h.shutdown(); err != nil {
		t.Fatalf("Run returned %v after SIGTERM, want nil", err)
	}
	took := time.Since(start)
	if took > drain+5*time.Second {
		t.Errorf("Run took %v to return with DrainTimeout %v", took, drain)
	}

	// Run has returned: every accepted command must already show its end,
	// in the thread or (what Slack would not take in time, and what was
	// never started) privately.
	var done, failedThread, failedPrivate int
	for _, id := range envs {
		p := pidOf[id]
		rs := relRepliesNaming(h, p.Name)
		priv := relPrivate(h, id)
		if len(rs)+len(priv) != 1 {
			t.Errorf("%s: %d thread replies and %d private answers, want exactly one outcome", p.Name, len(rs), len(priv))
			continue
		}
		where, text := "thread", ""
		if len(rs) == 1 {
			text = allText(rs[0])
		} else {
			where, text = "private", allText(priv[0])
		}
		line := lineWith(text, p.Name)
		switch {
		case strings.Contains(line, "— disconnected"):
			done++
		case where == "thread" && strings.Contains(line, "failed"):
			if failedThread++; failedThread == 1 {
				t.Logf("moderator saw in the thread: %q", line)
			}
		case where == "private" && (strings.Contains(line, "failed") || strings.Contains(text, "Nothing was done")):
			if failedPrivate++; failedPrivate == 1 {
				t.Logf("moderator saw privately: %q", text)
			}
		default:
			t.Errorf("%s: unexpected outcome %s%s", p.Name, h.dumpMessages(), relTexts(priv))
		}
	}
	relNoHourglass(h)
	if done+failedThread+failedPrivate != n {
		t.Fatalf("outcomes: %d done, %d failed in thread, %d failed privately; want %d in all", done, failedThread, failedPrivate, n)
	}
	if failedThread+failedPrivate == 0 {
		t.Errorf("every command finished within the drain deadline, so the deadline path was not tested")
	}
	perPID := relCount(relHangUpsOK(h, relConf))
	for _, id := range envs {
		p := pidOf[id]
		if perPID[p.ID] > 1 {
			t.Errorf("%s disconnected %d times", p.Name, perPID[p.ID])
		}
	}
	if len(relHangUpsOK(h, relConf)) != done {
		t.Errorf("meeting disconnected %d participants but %d were reported done", len(relHangUpsOK(h, relConf)), done)
	}

	// Commands never started are summed up in one ops notice.
	notRun := 0
	for _, id := range envs {
		for _, m := range relPrivate(h, id) {
			if strings.Contains(allText(m), "Not run: kickbot is restarting") {
				notRun++
			}
		}
	}
	if notRun > 0 {
		want := fmt.Sprintf("stopped before running %d queued command(s)", notRun)
		if !slices.ContainsFunc(h.channelMessages(opsChannel), func(m slackfake.Message) bool { return strings.Contains(m.Text, want) }) {
			t.Errorf("no ops notice says %q:%s", want, h.dumpMessages())
		}
	}

	// Stopped means stopped: readiness says so, so no load balancer or
	// operator takes it for a working replica.
	if h.bot.Connected() {
		t.Errorf("the bot reports itself connected after Run returned")
	}
	t.Logf("SIGTERM with %d accepted: Run returned nil after %v (DrainTimeout %v); %d done, %d failed visibly in the thread, %d failed visibly in private",
		n, took.Round(time.Millisecond), drain, done, failedThread, failedPrivate)
}

func relTexts(ms []slackfake.Message) string {
	var b strings.Builder
	for _, m := range ms {
		b.WriteString("\n  private: " + allText(m))
	}
	return b.String()
}

// ---------------------------------------------------------------------------
// 7. A shared Deduper survives a replica change

// relSharedDeduper is what a shared store (Redis SETNX, say) would be: one
// set of keys seen by every replica.
type relSharedDeduper struct {
	mu    sync.Mutex
	seen  map[string]bool
	calls int
}

func (d *relSharedDeduper) FirstTime(key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls++
	if d.seen[key] {
		return false
	}
	d.seen[key] = true
	return true
}

// relStartReplica runs a second bot on the same fake Slack and meeting, as
// a replacement replica would, and stops it at cleanup.
func relStartReplica(t *testing.T, h *harness, opts ...bot.Option) *bot.Bot {
	t.Helper()
	api := slack.New(slackfake.DefaultBotToken, slack.OptionAPIURL(h.slack.APIURL()),
		slack.OptionAppLevelToken(slackfake.DefaultAppToken))
	b := bot.New(bot.Config{Policy: defaultPolicy(), OpsChannel: opsChannel}, socketmode.New(api),
		&commands.Service{Meeting: h.mc}, zerolog.New(h.logs), opts...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("replica Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("replica did not stop")
		}
	})
	h.eventually("replica connected", b.Connected)
	return b
}

func TestReliabilitySharedDeduperAcrossReplicas(t *testing.T) {
	t.Parallel()
	const n = 4
	dd := &relSharedDeduper{seen: map[string]bool{}}
	h := newHarness(t, harnessOpts{botOpts: []bot.Option{bot.WithDeduper(dd)}})
	ps := relPeople(h, n+1)

	var envs []string
	for _, p := range ps[:n] {
		envs = append(envs, relSend(h, p.ID))
	}
	relAcks(h, envs)
	relWaitReplies(h, n)
	if err := h.shutdown(); err != nil {
		t.Fatalf("first replica: %v", err)
	}

	// The replacement replica shares the store; Slack redelivers everything
	// the first one handled.
	relStartReplica(t, h, bot.WithDeduper(dd))
	for _, id := range envs {
		h.slack.Redeliver(id)
	}
	for _, id := range envs {
		h.eventually("redelivery acked", func() bool { return h.slack.AckCount(id) == 2 })
	}
	// A new command still runs on the new replica.
	fresh := relSend(h, ps[n].ID)
	relAcks(h, []string{fresh})
	relWaitReplies(h, n+1)

	perPID := relCount(relHangUpsOK(h, relConf))
	for _, p := range ps {
		if perPID[p.ID] != 1 {
			t.Errorf("%s disconnected %d times, want 1", p.Name, perPID[p.ID])
		}
		if rs := relRepliesNaming(h, p.Name); len(rs) != 1 {
			t.Errorf("%s: %d thread replies, want 1", p.Name, len(rs))
		}
	}
	if r := relOutcomes(h); r != n+1 {
		t.Errorf("%d kick outcomes shown, want %d: a redelivery ran on the second replica", r, n+1)
	}
	dd.mu.Lock()
	calls := dd.calls
	dd.mu.Unlock()
	// Every delivery's envelope ID on both replicas (2n+1), and the trigger
	// ID of each command that got past that check (n+1).
	if calls != 3*n+2 {
		t.Errorf("the shared deduper was asked %d times, want %d (every delivery, both replicas, then each new command's trigger ID)", calls, 3*n+2)
	}
}

// TestReliabilityShutdownWhileSlackHangs: the drain deadline is a deadline
// whatever Slack does. Every Web API call and response_url answer hangs;
// Run still returns within DrainTimeout plus a few seconds, and every kick
// accepted before SIGTERM was carried out.
func TestReliabilityShutdownWhileSlackHangs(t *testing.T) {
	const n = 4
	drain := time.Second
	h := newHarness(t, harnessOpts{cfg: bot.Config{DrainTimeout: drain, UserRateLimit: 1000}})
	ps := relPeople(h, n)
	for _, m := range []string{"chat.postMessage", "chat.update", "chat.getPermalink", "response_url"} {
		h.slack.SetLatency(m, time.Minute)
	}
	var envs []string
	for _, p := range ps {
		envs = append(envs, relSend(h, p.ID))
	}
	relAcks(h, envs)
	h.eventually("all disconnected", func() bool { return len(relHangUpsOK(h, relConf)) == n })

	start := time.Now()
	if err := h.shutdown(); err != nil {
		t.Fatalf("Run returned %v after SIGTERM, want nil", err)
	}
	if took := time.Since(start); took > drain+6*time.Second {
		t.Errorf("Run took %v to return with DrainTimeout %v while Slack hung", took, drain)
	}
	if !strings.Contains(h.logs.String(), "still waiting for Slack") {
		t.Errorf("the log does not say messages were still waiting for Slack at exit")
	}
}
