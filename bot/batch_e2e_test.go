package bot_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kickbot/kickbot/bot"
	"github.com/kickbot/kickbot/bot/slackfake"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// Kicks for one meeting that arrive together go out together (issue 17),
// end to end: each command still gets its own thread, outcome and audit
// line. The first kick's hang-up is held until the others are queued
// behind it, so they form one batch whatever the timing (BatchStall keeps
// the held batch from being overtaken).

func batchHarness(t *testing.T) *harness {
	// A lenient Slack: these tests are about the meeting calls, and each
	// command's outcome reads more plainly in a message of its own.
	return newHarness(t, harnessOpts{cfg: bot.Config{Policy: raidPolicy(), UserRateLimit: 1000}, batchStall: time.Hour,
		slackOpts: []slackfake.Option{slackfake.Lenient()}})
}

// batchSend types "/kick <relConf> <text>" as user without waiting.
func batchSend(h *harness, user, text string) string {
	return h.slack.SlashCommand(slackfake.Slash{Text: relConf + " " + text, UserID: user,
		ChannelID: modChannel, ChannelName: channelName(modChannel)})
}

// batchBehindHeld sends first, holds its hang-up, sends the others and
// waits until the kicks among them are queued behind it (queued kicks).
// It returns the envelopes (first, then others) and the release.
func batchBehindHeld(h *harness, first [2]string, others [][2]string, queued int) ([]string, func()) {
	h.t.Helper()
	release := h.sim.Hold(meetingtest.EndpointHangUp)
	h.t.Cleanup(release)
	envs := []string{batchSend(h, first[0], first[1])}
	h.eventually("the first kick's hang-up held", func() bool { return h.sim.Held(meetingtest.EndpointHangUp) == 1 })
	for _, o := range others {
		envs = append(envs, batchSend(h, o[0], o[1]))
	}
	for id, a := range relAcks(h, envs) {
		if a.Payload != nil {
			h.t.Fatalf("envelope %s not accepted: %s", id, a.Payload)
		}
	}
	h.eventually("the burst queued behind the held kick", func() bool { return h.svc.Queued(relConf) == queued })
	return envs, release
}

func batchHangUps(h *harness) [][]string {
	var out [][]string
	for _, c := range hangUpCalls(h) {
		if c.ConferenceID == relConf {
			out = append(out, c.HangUpIDs)
		}
	}
	return out
}

func TestBatchBurstMakesOneDisconnectCallWithEveryTarget(t *testing.T) {
	t.Parallel()
	const n = 40
	h := batchHarness(t)
	ps := relPeople(h, n+1)
	mods := []string{moderator, moderator2, moderator3}
	var others [][2]string
	for i, p := range ps[1:] {
		others = append(others, [2]string{mods[i%3], p.ID})
	}
	_, release := batchBehindHeld(h, [2]string{moderator, ps[0].ID}, others, n)
	release()
	relWaitReplies(h, n+1)
	relWaitFinal(h)

	calls := batchHangUps(h)
	var want []string
	for _, p := range ps[1:] {
		want = append(want, p.ID)
	}
	if len(calls) != 2 || !sameSet(calls[1], want) {
		t.Fatalf("hang-up calls = %v, want the held kick's, then one call with all %d others", calls, n)
	}
	for i, p := range ps {
		rs := relRepliesNaming(h, p.Name)
		if len(rs) != 1 || !strings.Contains(lineWith(allText(rs[0]), p.Name), "— disconnected") {
			t.Errorf("%s: %d thread replies, want one saying disconnected", p.Name, len(rs))
			continue
		}
		mod := moderator
		if i > 0 {
			mod = mods[(i-1)%3]
		}
		if !strings.Contains(allText(rs[0]), "Requested by <@"+mod+">") {
			t.Errorf("%s's outcome does not name its moderator %s: %s", p.Name, mod, allText(rs[0]))
		}
	}
	if a := h.auditLines("kick"); len(a) != n+1 || slices.ContainsFunc(a, func(r auditRecord) bool { return r.Outcome != "done" }) {
		t.Errorf("audit has %d kick lines, want %d all done: %+v", len(a), n+1, a)
	}
}

func TestBatchSamePersonFromTwoModeratorsIsDisconnectedOnce(t *testing.T) {
	t.Parallel()
	h := batchHarness(t)
	ps := relPeople(h, 2)
	_, release := batchBehindHeld(h, [2]string{moderator3, ps[0].ID},
		[][2]string{{moderator, ps[1].ID}, {moderator2, `"` + ps[1].Name + `"`}}, 2)
	release()
	relWaitReplies(h, 3)
	relWaitFinal(h)

	if calls := batchHangUps(h); len(calls) != 2 || !slices.Equal(calls[1], []string{ps[1].ID}) {
		t.Fatalf("hang-up calls = %v, want %s once, in the batch's call", calls, ps[1].Name)
	}
	var lines []string
	for _, r := range relRepliesNaming(h, ps[1].Name) {
		for _, l := range strings.Split(allText(r), "\n") {
			if strings.Contains(l, ps[1].Name) {
				lines = append(lines, l)
			}
		}
	}
	if len(lines) != 2 {
		t.Fatalf("%d outcome lines name %s, want one for each moderator:%s", len(lines), ps[1].Name, h.dumpMessages())
	}
	byOther := 0
	for _, l := range lines {
		if !strings.Contains(l, "— disconnected") {
			t.Errorf("outcome line %q does not say they were disconnected", l)
		}
		if strings.Contains(l, "(by <@"+moderator+">") || strings.Contains(l, "(by <@"+moderator2+">") {
			byOther++
		}
	}
	if byOther != 1 {
		t.Errorf("%d outcomes name the other moderator, want exactly 1:%s", byOther, h.dumpMessages())
	}
}

func TestBatchRefusalAndAmbiguityStayWithTheirCommand(t *testing.T) {
	t.Parallel()
	h := batchHarness(t)
	ps := relPeople(h, 3)
	h.sim.Join(relConf, meetingtest.P{Name: "Sam Lee"})
	h.sim.Join(relConf, meetingtest.P{Name: "Sam Lee"})
	envs, release := batchBehindHeld(h, [2]string{moderator, ps[0].ID}, [][2]string{
		{stranger, ps[1].ID},                  // not allowed: refused before any batch
		{moderator2, `"Sam Lee" ` + ps[1].ID}, // ambiguous: nothing of it happens
		{moderator3, ps[2].ID},
	}, 2)
	release()
	relWaitReplies(h, 2)
	relWaitFinal(h)

	if calls := batchHangUps(h); len(calls) != 2 || !slices.Equal(calls[1], []string{ps[2].ID}) {
		t.Fatalf("hang-up calls = %v, want the batch's to carry only %s", calls, ps[2].Name)
	}
	if !relOnline(h, relConf, ps[1].ID) {
		t.Errorf("%s was disconnected, though only the refused and the ambiguous command named them", ps[1].Name)
	}
	if rs := relRepliesNaming(h, ps[2].Name); len(rs) != 1 || !strings.Contains(lineWith(allText(rs[0]), ps[2].Name), "— disconnected") {
		t.Errorf("%s: %d thread replies, want one saying disconnected", ps[2].Name, len(rs))
	}
	if p := relPrivate(h, envs[1]); len(p) != 1 || strings.Contains(allText(p[0]), "disconnected") {
		t.Errorf("the stranger was answered %q, want one private refusal", relTexts(p))
	}
	h.eventually("the candidates shown to the ambiguous command", func() bool { return len(relPrivate(h, envs[2])) > 0 })
	if p := relPrivate(h, envs[2]); !strings.Contains(allText(p[0]), "Sam Lee") {
		t.Errorf("the ambiguous command was answered %q, want the candidates", allText(p[0]))
	}
}

func TestBatchFailedSharedCallFailsEveryCommandVisibly(t *testing.T) {
	t.Parallel()
	h := batchHarness(t)
	ps := relPeople(h, 4)
	_, release := batchBehindHeld(h, [2]string{moderator, ps[0].ID},
		[][2]string{{moderator2, ps[1].ID}, {moderator3, ps[2].ID + " " + ps[3].ID}}, 2)
	second := h.sim.Hold(meetingtest.EndpointHangUp)
	t.Cleanup(second)
	release()
	h.eventually("the batch's hang-up held", func() bool { return h.sim.Held(meetingtest.EndpointHangUp) == 1 })
	// Refused, and refused again after kickbot renews its token.
	h.sim.FailNext(meetingtest.EndpointHangUp, 2, meetingtest.Fault{Status: http.StatusForbidden, Code: "MMC.111070005", Msg: "NO_PERMISSION"})
	second()
	relWaitReplies(h, 3)
	relWaitFinal(h)

	for _, p := range ps[1:] {
		rs := relRepliesNaming(h, p.Name)
		if len(rs) != 1 || !saysCouldNotDisconnect(rs[0]) {
			t.Errorf("%s: %d thread replies (%s), want one saying they could not be disconnected", p.Name, len(rs), relTexts(rs))
		}
		if !relOnline(h, relConf, p.ID) {
			t.Errorf("%s left the meeting, though the call was refused", p.Name)
		}
	}
	failed := 0
	for _, a := range h.auditLines("kick") {
		if a.Outcome == "failed" {
			failed++
		}
	}
	if failed != 2 {
		t.Errorf("%d kick audit lines say failed, want the batch's 2", failed)
	}
}
