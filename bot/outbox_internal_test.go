package bot

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/kickbot/kickbot/bot/slackfake"
	"github.com/kickbot/kickbot/bot/slackui"
	"github.com/kickbot/kickbot/internal/testlog"
	"github.com/kickbot/kickbot/state"
)

// The outbox against the fake Slack (strict: Slack's limits on) through the
// real slack-go client.

type outboxMetrics struct {
	nopMetrics
	mu        sync.Mutex
	maxQueued int
	limited   map[string]int
}

func (m *outboxMetrics) OutboxQueued(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.maxQueued = max(m.maxQueued, n)
}

func (m *outboxMetrics) SlackRateLimited(method string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.limited[method]++
}

func newTestOutbox(t *testing.T) (*outbox, *slackfake.Server, *outboxMetrics, *testlog.Buffer) {
	t.Helper()
	fake := slackfake.NewT(t)
	api := slack.New(slackfake.DefaultBotToken, slack.OptionAPIURL(fake.APIURL()))
	m := &outboxMetrics{limited: map[string]int{}}
	logs := &testlog.Buffer{}
	o := newOutbox(api, zerolog.New(logs), m, "COPS", OutboxConfig{})
	t.Cleanup(func() { o.shutdown(time.Now()) })
	return o, fake, m, logs
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for !cond() {
		if state.Sleep(ctx, 2*time.Millisecond) != nil {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestOutboxCollapsesUpdatesOfOneMessage: while chat.update is held by a
// Retry-After, five updates of one message become one call with the latest.
func TestOutboxCollapsesUpdatesOfOneMessage(t *testing.T) {
	o, fake, m, _ := newTestOutbox(t)
	posted := make(chan string, 1)
	o.post("CMOD", slackui.Message{Text: "v0"}, "", func(ts string, err error) {
		if err != nil {
			t.Errorf("post: %v", err)
		}
		posted <- ts
	})
	ts := <-posted
	msg := o.threadAt("CMOD", ts, "")

	fake.RateLimitNext("chat.update", 1, time.Second)
	o.updateMessage(msg, slackui.Message{Text: "v1"})
	waitFor(t, "the refused update", func() bool { return fake.Calls("chat.update") == 1 })
	for _, v := range []string{"v2", "v3", "v4", "v5"} {
		o.updateMessage(msg, slackui.Message{Text: v})
	}
	waitFor(t, "the latest text shown", func() bool {
		cur, ok := fake.Current("CMOD", ts)
		return ok && cur.Text == "v5"
	})
	if n := fake.Calls("chat.update"); n != 2 {
		t.Errorf("%d chat.update calls, want 2: the refused one and one with the latest text", n)
	}
	if st := fake.LimitStats(); st.DuringRetryAfter != 0 {
		t.Errorf("%d calls during a running Retry-After", st.DuringRetryAfter)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.limited["chat.update"] != 1 {
		t.Errorf("metrics counted %d rate limits of chat.update, want 1", m.limited["chat.update"])
	}
}

// TestOutboxDigestsWaitingOpsNotices: notices that wait for the ops
// channel go out as one message naming each.
func TestOutboxDigestsWaitingOpsNotices(t *testing.T) {
	o, fake, m, _ := newTestOutbox(t)
	fake.RateLimitNext("chat.postMessage", 1, time.Second)
	o.notifyText(slackui.Message{Text: "notice 1"})
	waitFor(t, "the refused notice", func() bool { return fake.Calls("chat.postMessage") == 1 })
	for _, n := range []string{"notice 2", "notice 3", "notice 4", "notice 5"} {
		o.notifyText(slackui.Message{Text: n})
	}
	waitFor(t, "the digest", func() bool { return len(fake.Messages()) > 0 })
	ms := fake.Messages()
	if len(ms) != 1 || ms[0].Channel != "COPS" {
		t.Fatalf("ops channel got %d messages, want one digest: %+v", len(ms), ms)
	}
	for i := 1; i <= 5; i++ {
		if want := "notice " + string(rune('0'+i)); !strings.Contains(ms[0].Text, want) {
			t.Errorf("digest lacks %q: %s", want, ms[0].Text)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.maxQueued < 4 {
		t.Errorf("queued-messages metric peaked at %d, want at least the 4 waiting notices", m.maxQueued)
	}
}

// TestOutboxShutdownHandsWaitingOutcomesToModerators: an outcome still
// waiting for a held channel when the process stops reaches the moderator
// privately, and the log says so.
func TestOutboxShutdownHandsWaitingOutcomesToModerators(t *testing.T) {
	o, fake, _, logs := newTestOutbox(t)
	env := fake.SlashCommand(slackfake.Slash{Text: "914083136 x", UserID: "UMOD", ChannelID: "CMOD", ChannelName: "cmod"})
	url := fake.URL() + "/response/" + env

	fake.RateLimitNext("chat.postMessage", 1, 30*time.Second)
	th := o.startThread("CMOD", slackui.Message{Text: "⏳ started"}, url)
	waitFor(t, "the refused parent", func() bool { return fake.Calls("chat.postMessage") == 1 })
	o.finish(th, slackui.Message{Text: "Disconnected 1 participant"}, slackui.Message{Text: "✅ final"}, nil)

	o.shutdown(time.Now().Add(50 * time.Millisecond))
	var got []string
	for _, m := range fake.Messages() {
		got = append(got, m.Method+": "+m.Text)
	}
	if len(got) != 1 || got[0] != "response_url: Disconnected 1 participant" {
		t.Errorf("Slack saw %q, want only the outcome through the moderator's response_url", got)
	}
	if !strings.Contains(logs.String(), "still waiting for Slack") {
		t.Errorf("the log does not say messages were still waiting: %s", logs.String())
	}
}

// TestOutboxLaterUpdateOfAParentIsNeverDropped: a parent posted with its
// final text leaves a needless "final" update queued; a later update of the
// same message (a lock's auto-unlock) that collapses into it must still go
// out.
func TestOutboxLaterUpdateOfAParentIsNeverDropped(t *testing.T) {
	o, fake, _, _ := newTestOutbox(t)
	o.update.hold(time.Now(), time.Second) // keeps the parent's final update queued
	th := o.startThread("CMOD", slackui.Message{Text: "⏳ locking"}, "")
	o.finish(th, slackui.Message{Text: "locked for 10m"}, slackui.Message{Text: "🔒 locked"}, nil)
	waitFor(t, "the parent", func() bool {
		o.mu.Lock()
		defer o.mu.Unlock()
		return th.ts != ""
	})
	o.updateMessage(th, slackui.Message{Text: "🔒 locked; it unlocked itself"})
	waitFor(t, "the later text shown", func() bool {
		cur, ok := fake.Current("CMOD", th.ts)
		return ok && cur.Text == "🔒 locked; it unlocked itself"
	})
}
