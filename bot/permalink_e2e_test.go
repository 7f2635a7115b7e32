package bot_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kickbot/kickbot/bot/slackfake"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// Every ops notice links to its own kick's thread with Slack's permalink,
// and Slack is asked for one only once per channel: the rest are built
// from it (one Web API call fewer per kick).
func TestOpsNoticesLinkEachThreadWithOnePermalinkCall(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	pids := []string{meetingtest.SampleCarlosPID, meetingtest.SamplePhonePID, meetingtest.SampleHandPID}
	for i, pid := range pids {
		reason := fmt.Sprintf("permalink test %d", i)
		h.slash(moderator, modChannel, h.facts.ConferenceID+" "+pid+" -- "+reason)
		ops := h.opsNotice(reason)
		parent := h.waitMsg("the parent its ops notice links to", func(m slackfake.Message) bool {
			return m.Method == "chat.postMessage" && m.Channel == modChannel && m.ThreadTS == "" &&
				strings.Contains(allText(ops), slackfake.Permalink(modChannel, m.TS)+"|")
		})
		if !strings.Contains(allText(parent), reason) {
			t.Errorf("the ops notice of kick %d links to another kick's thread: %s", i, allText(parent))
		}
	}
	if n := h.slack.Calls("chat.getPermalink"); n != 1 {
		t.Errorf("chat.getPermalink called %d times for %d kicks in one channel, want 1", n, len(pids))
	}
}
