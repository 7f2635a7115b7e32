package bot_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/kickbot/kickbot/meeting/meetingtest"
)

func TestKickByIDPostsThreadedOutcomeAndOpsNotice(t *testing.T) {
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
	if !strings.Contains(allText(ops), "slack.test") && !strings.Contains(allText(ops), "http") {
		t.Errorf("ops notice has no permalink to the thread:\n%s", allText(ops))
	}
	h.eventually("an audit line for the kick", func() bool {
		return strings.Contains(h.logs.String(), `"action":"kick"`)
	})
}
