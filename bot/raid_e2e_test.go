package bot_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kickbot/kickbot/bot"
	"github.com/kickbot/kickbot/bot/slackfake"
	"github.com/kickbot/kickbot/bot/slackui"
	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// A raid: several moderators kicking at once while Slack throttles the
// channel. These tests run against the fake Slack's documented limits (on
// by default) and hold Slack's answers or the meeting's calls where they
// need a race to happen, instead of relying on timing.

const moderator3 = "UMOD3"

func raidPolicy() commands.Policy {
	p := defaultPolicy()
	p.Users[moderator3] = true
	return p
}

// TestRaidKicksNeverWaitForAThrottledChannel: Slack holds the moderation
// channel with a long Retry-After; fifteen kicks from three moderators are
// all carried out while it runs, and every outcome appears once it is
// over, with no call made to the channel meanwhile and nothing lost.
func TestRaidKicksNeverWaitForAThrottledChannel(t *testing.T) {
	for _, bodyError := range []bool{false, true} {
		name := "429 with Retry-After"
		if bodyError {
			name = "body error rate_limited"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			const n = 15
			h := newHarness(t, harnessOpts{cfg: bot.Config{Policy: raidPolicy(), UserRateLimit: 1000}})
			ps := relPeople(h, n)
			hold := 8 * time.Second
			if bodyError {
				// kickbot sees no Retry-After here and backs off 1 s, 2 s, …
				h.slack.SetRateLimitBodyError(true)
				hold = 3 * time.Second
			}
			// The first post in the channel earns a long hold.
			h.slack.RateLimitNext("chat.postMessage", 1, hold)

			mods := []string{moderator, moderator2, moderator3}
			var envs []string
			for i, p := range ps {
				envs = append(envs, h.slack.SlashCommand(slackfake.Slash{Text: relConf + " " + p.ID, UserID: mods[i%3],
					ChannelID: modChannel, ChannelName: channelName(modChannel)}))
			}
			for id, a := range relAcks(h, envs) {
				if a.Payload != nil {
					t.Fatalf("envelope %s not accepted: %s", id, a.Payload)
				}
			}
			// Every disconnect happens while the channel is still held.
			h.eventually("all 15 disconnected", func() bool { return len(relHangUpsOK(h, relConf)) == n })
			if got := relOutcomes(h); got != 0 && !bodyError {
				// (With the body error Slack gives no Retry-After, so kickbot
				// backs off by itself and may post sooner.)
				t.Errorf("%d outcomes were shown while Slack's Retry-After was running", got)
			}

			relWaitReplies(h, n)
			relWaitFinal(h)
			perPID := relCount(relHangUpsOK(h, relConf))
			for i, p := range ps {
				if perPID[p.ID] != 1 {
					t.Errorf("%s disconnected %d times, want 1", p.Name, perPID[p.ID])
				}
				rs := relRepliesNaming(h, p.Name)
				if len(rs) != 1 || !strings.Contains(lineWith(allText(rs[0]), p.Name), "— disconnected") {
					t.Errorf("%s: %d thread replies, want one saying disconnected", p.Name, len(rs))
					continue
				}
				if !strings.Contains(allText(rs[0]), "Requested by <@"+mods[i%3]+">") {
					t.Errorf("%s's outcome does not name the moderator %s", p.Name, mods[i%3])
				}
			}
			for _, m := range h.slack.Messages() {
				if m.Method == "response_url" && strings.Contains(allText(m), "could not post") {
					t.Errorf("a moderator was told kickbot cannot post: %s", allText(m))
				}
			}
			if a := h.auditLines("kick"); len(a) != n || slices.ContainsFunc(a, func(r auditRecord) bool { return r.Outcome != "done" }) {
				t.Errorf("audit has %d kick lines, want %d all done: %+v", len(a), n, a)
			}
			st := h.slack.LimitStats()
			// With the body error Slack names no wait, so kickbot's own
			// backoff may knock again before Slack's window ends.
			if st.DuringRetryAfter != 0 && !bodyError {
				t.Errorf("%d calls reached Slack while a Retry-After was running", st.DuringRetryAfter)
			}
			posts := 0
			for _, m := range h.channelMessages(modChannel) {
				if m.Method == "chat.postMessage" {
					posts++
				}
			}
			t.Logf("%d kicks: %d messages in the channel (outcomes coalesced), %d rate-limit answers from Slack", n, posts, st.RateLimited)
		})
	}
}

// TestRaidSameCommandRedeliveredUnderNewEnvelope: Slack redelivers a
// /kick under a new envelope ID (retry_attempt 1) while the first is still
// running: one disconnect call, one outcome.
func TestRaidSameCommandRedeliveredUnderNewEnvelope(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	release := h.sim.Hold(meetingtest.EndpointHangUp)
	id, _ := h.slash(moderator, modChannel, h.facts.ConferenceID+" "+meetingtest.SampleCarlosPID)
	h.eventually("the hang-up held", func() bool { return h.sim.Held(meetingtest.EndpointHangUp) == 1 })
	again, ok := h.slack.RedeliverAsNew(id, "timeout")
	if !ok {
		t.Fatalf("unknown envelope %s", id)
	}
	if a, err := h.slack.WaitAck(h.ctx(), again); err != nil || a.Payload != nil {
		t.Fatalf("redelivery %s: ack %s, %v; want a bare ack", again, a.Payload, err)
	}
	release()
	_, reply := h.outcome(modChannel)
	h.drain()
	if got := h.hangUps(); !slices.Equal(got, []string{meetingtest.SampleCarlosPID}) {
		t.Errorf("hang-up IDs = %v, want Carlos once", got)
	}
	if n := h.sim.CallCount(meetingtest.EndpointHangUp); n != 1 {
		t.Errorf("%d hang-up calls, want 1", n)
	}
	if n := relOutcomesIn(h, modChannel); n != 1 {
		t.Errorf("%d outcomes shown, want 1:%s", n, h.dumpMessages())
	}
	if !strings.Contains(allText(reply), "Disconnected 1 participant") {
		t.Errorf("reply: %s", allText(reply))
	}
}

// TestRaidKickAndClickForOnePersonMakeOneCall: a /kick and a Disconnect
// click for the same participant at the same moment make one disconnect
// call, and each moderator is told what happened and by whom.
func TestRaidKickAndClickForOnePersonMakeOneCall(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	v := h.openList(moderator2, h.facts.ConferenceID)
	release := h.sim.Hold(meetingtest.EndpointHangUp)
	h.slash(moderator, modChannel, h.facts.ConferenceID+" "+meetingtest.SampleCarlosPID)
	h.eventually("the /kick's hang-up held", func() bool { return h.sim.Held(meetingtest.EndpointHangUp) == 1 })
	h.press(moderator2, v, v.disconnect("Carlos Mendes"))
	// The click runs to the /kick's claim on Carlos and waits there;
	// nothing reaches the meeting for it. Then the /kick's call may go.
	h.eventually("the click waiting for the /kick", func() bool { return h.claims.Waiting() == 1 })
	if n := h.sim.Held(meetingtest.EndpointHangUp); n != 1 {
		t.Errorf("%d hang-up calls held, want only the /kick's", n)
	}
	release()

	h.eventually("both outcomes shown", func() bool { return relOutcomesIn(h, modChannel) == 2 })
	h.drain()
	if n := h.sim.CallCount(meetingtest.EndpointHangUp); n != 1 {
		t.Errorf("%d hang-up calls for one person, want 1", n)
	}
	var byOther int
	for _, m := range h.channelMessages(modChannel) {
		if m.ThreadTS == "" {
			continue
		}
		l := lineWith(allText(m), "Carlos Mendes")
		if !strings.Contains(l, "— disconnected") {
			t.Errorf("outcome line %q does not say Carlos was disconnected", l)
		}
		if strings.Contains(l, "(by <@"+moderator+">") {
			byOther++
		}
	}
	if byOther != 1 {
		t.Errorf("%d outcomes say the other moderator disconnected Carlos, want exactly 1 (the click's):%s", byOther, h.dumpMessages())
	}
}

// relOutcomesIn counts the kick outcomes shown in thread replies of channel.
func relOutcomesIn(h *harness, channel string) int {
	n := 0
	for _, m := range h.channelMessages(channel) {
		if m.ThreadTS != "" {
			n += strings.Count(allText(m), "Requested by")
		}
	}
	return n
}

// TestRaidClicksThatActShareTheUserLimit: a Disconnect click counts against
// the moderator's command limit (answered privately when over it, nothing
// done), while Refresh has a limit of its own and keeps working.
func TestRaidClicksThatActShareTheUserLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{cfg: bot.Config{UserRateLimit: 1}})
	v := h.openList(moderator2, h.facts.ConferenceID)

	h.press(moderator, v, v.disconnect("Carlos Mendes"))
	h.eventually("Carlos disconnected", func() bool { return len(h.hangUps()) == 1 })
	id := h.press(moderator, v, v.disconnect("Wang Wei"))
	p := h.private(id)
	if !strings.Contains(allText(p), "too fast") || !strings.Contains(allText(p), "nothing was done") {
		t.Errorf("second Disconnect click answered %q, want a private 'too fast … nothing was done'", allText(p))
	}
	after := h.navigate(moderator, v, v.mustNav(slackui.ActionRefresh))
	if !after.hasRow("Wang Wei") {
		t.Errorf("Refresh did not work for a moderator over their command limit")
	}
	h.drain()
	if got := h.hangUps(); !slices.Equal(got, []string{meetingtest.SampleCarlosPID}) {
		t.Errorf("hang-up IDs = %v, want only Carlos", got)
	}
	if a := h.auditLines("click"); !slices.ContainsFunc(a, func(r auditRecord) bool { return r.Outcome == "rate_limited" }) {
		t.Errorf("the refused click was not audited: %+v", a)
	}
}
