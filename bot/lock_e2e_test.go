package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kickbot/kickbot/bot"
	"github.com/kickbot/kickbot/bot/slackfake"
	"github.com/kickbot/kickbot/bot/slackui"
	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/commands/commandstest"
	"github.com/kickbot/kickbot/meeting/meetingtest"
	"github.com/kickbot/kickbot/metrics"
)

// Lock and unlock (issue 13): /kick <id> lock [d], /kick <id> unlock, the
// Lock meeting button under every kick outcome, and the auto-unlock timer,
// on a clock the tests move by hand.

type lockHarness struct {
	*harness
	clock   *commandstest.Clock
	metrics *metrics.Metrics
	conf    string
}

func newLockHarness(t *testing.T, o harnessOpts) *lockHarness {
	t.Helper()
	clock := commandstest.NewClock(time.Date(2025, 3, 1, 14, 0, 0, 0, time.UTC))
	m := metrics.New(prometheus.NewRegistry())
	o.botOpts = append(o.botOpts, bot.WithLockClock(clock), bot.WithMetrics(m))
	h := newHarness(t, o)
	return &lockHarness{harness: h, clock: clock, metrics: m, conf: h.facts.ConferenceID}
}

func (h *lockHarness) lockCalls() int { return h.sim.CallCount(meetingtest.EndpointLock) }

// threadReplies waits for n replies in the thread of parent and returns them.
func (h *lockHarness) threadReplies(parentTS string, n int) []slackfake.Message {
	h.t.Helper()
	got, err := h.slack.WaitMessages(h.ctx(), n, func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.Channel == modChannel && m.ThreadTS == parentTS && m.TS != parentTS
	})
	if err != nil {
		h.t.Fatalf("no %d replies in thread %s: %v\nmessages:%s", n, parentTS, err, h.dumpMessages())
	}
	return got
}

// lockCommand runs /kick text and returns the parent (as finally shown)
// and its thread reply.
func (h *lockHarness) lockCommand(text string) (parent, reply slackfake.Message) {
	h.t.Helper()
	seen := map[string]bool{}
	for _, m := range h.slack.Messages() {
		seen[m.TS] = true
	}
	_, ack := h.slash(moderator, modChannel, text)
	if ackText(ack) != "" {
		h.t.Fatalf("/kick %s: acked with %s, want a bare ack", text, ackText(ack))
	}
	p := h.waitMsg("parent of "+text, func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.Channel == modChannel && m.ThreadTS == "" && !seen[m.TS]
	})
	reply = h.threadReplies(p.TS, 1)[0]
	return h.finalParent(modChannel, p.TS), reply
}

// pressIn clicks b on message m (a thread reply) as user, like Slack.
func (h *lockHarness) pressIn(user string, m slackfake.Message, b lvButton) string {
	h.t.Helper()
	id := h.slack.BlockAction(slackfake.Action{UserID: user, ChannelID: modChannel, ChannelName: channelName(modChannel),
		MessageTS: m.TS, ThreadTS: m.ThreadTS, ActionID: b.el.ActionID, BlockID: b.blockID, Value: b.el.Value, Text: b.el.Text.Text})
	if _, err := h.slack.WaitAck(h.ctx(), id); err != nil {
		h.t.Fatalf("click %s not acked: %v", b.el.ActionID, err)
	}
	return id
}

func mustContain(t *testing.T, where, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s does not say %q:\n%s", where, w, got)
		}
	}
}

func TestLockThenUnlock(t *testing.T) {
	t.Parallel()
	h := newLockHarness(t, harnessOpts{})

	parent, reply := h.lockCommand(h.conf + " lock")
	if !h.sim.Locked(h.conf) {
		t.Fatalf("the meeting is not locked after /kick %s lock", h.conf)
	}
	mustContain(t, "the lock's reply", allText(reply), "Meeting "+h.conf+" is locked until someone unlocks it",
		"People with the host password or the host link can still join.")
	mustContain(t, "the lock's parent", parent.Text, "🔒 <@"+moderator+"> locked meeting "+h.conf+" until it is unlocked.")
	if _, ok := parseList(t, reply).nav(slackui.ActionUnlock); !ok {
		t.Errorf("the lock's reply has no Unlock button:\n%s", reply.BlocksJSON())
	}
	h.opsNotice("locked meeting " + h.conf)
	if a := h.auditLine("lock"); a.Outcome != "done" || a.User != moderator || a.Conference != h.conf {
		t.Errorf("lock audit line = %+v", a)
	}

	_, ack := h.slash(moderator, modChannel, h.conf+" unlock")
	if ackText(ack) != "" {
		t.Fatalf("unlock acked with %s", ackText(ack))
	}
	ps := h.waitMsg("unlock parent", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.ThreadTS == "" && m.TS != parent.TS && m.Channel == modChannel
	})
	r := h.threadReplies(ps.TS, 1)[0]
	if h.sim.Locked(h.conf) {
		t.Errorf("the meeting is still locked after unlock")
	}
	mustContain(t, "the unlock's reply", allText(r), "Meeting "+h.conf+" is unlocked: people can join with the meeting link again.")
	h.opsNotice("unlocked meeting " + h.conf)
	if a := h.auditLine("unlock"); a.Outcome != "done" {
		t.Errorf("unlock audit line = %+v", a)
	}
	if got := h.lockCalls(); got != 2 {
		t.Errorf("%d lock calls, want 2", got)
	}
	if h.metrics.ActionCount("lock", "done") != 1 || h.metrics.ActionCount("unlock", "done") != 1 {
		t.Errorf("metrics: lock done %v, unlock done %v; want 1 and 1",
			h.metrics.ActionCount("lock", "done"), h.metrics.ActionCount("unlock", "done"))
	}
}

// The timer unlocks at the right time, once, and the thread says so.
func TestLockTimerUnlocksOnceAndSaysSo(t *testing.T) {
	t.Parallel()
	h := newLockHarness(t, harnessOpts{})
	parent, reply := h.lockCommand(h.conf + " lock 10m")
	mustContain(t, "the lock's reply", allText(reply), "is locked for 10m, until", "unlocks itself then",
		"People with the host password or the host link can still join.")
	mustContain(t, "the lock's parent", parent.Text, "locked meeting "+h.conf+" for 10m, until")

	h.clock.Advance(10*time.Minute - time.Second)
	if !h.sim.Locked(h.conf) || h.lockCalls() != 1 {
		t.Fatalf("a second before the time: locked %v, %d lock calls; want locked, 1", h.sim.Locked(h.conf), h.lockCalls())
	}
	h.clock.Advance(time.Second) // the timer's unlock runs inside Advance
	if h.sim.Locked(h.conf) {
		t.Fatalf("still locked when the 10 minutes are up")
	}
	rs := h.threadReplies(parent.TS, 2)
	mustContain(t, "the thread", allText(rs[1]), "Time is up: meeting "+h.conf+" was unlocked automatically at",
		"locked by <@"+moderator+">")
	h.eventually("parent saying it unlocked itself", func() bool {
		cur, _ := h.slack.Current(modChannel, parent.TS)
		return strings.Contains(cur.Text, "it unlocked itself at")
	})
	h.opsNotice("it unlocked itself")

	h.clock.Advance(48 * time.Hour)
	if got := h.lockCalls(); got != 2 {
		t.Errorf("%d lock calls, want 2 (one lock, one timer unlock)", got)
	}
	if n := len(h.slack.Thread(modChannel, parent.TS)); n != 2 {
		t.Errorf("%d replies in the thread, want 2", n)
	}
	var auto int
	for _, a := range h.auditLines("unlock") {
		if strings.HasPrefix(a.Reason, "auto-unlock") && a.Outcome == "done" && a.User == moderator {
			auto++
		}
	}
	if auto != 1 {
		t.Errorf("%d auto-unlock audit lines, want 1", auto)
	}
	if got := h.metrics.ActionCount("auto_unlock", "done"); got != 1 {
		t.Errorf("auto_unlock done = %v, want 1", got)
	}
}

func TestNewerLockReplacesTimer(t *testing.T) {
	t.Parallel()
	h := newLockHarness(t, harnessOpts{})
	first, _ := h.lockCommand(h.conf + " lock 10m")
	h.clock.Advance(5 * time.Minute)
	_, ack := h.slash(moderator2, modChannel, h.conf+" lock 30m")
	if ackText(ack) != "" {
		t.Fatalf("second lock acked with %s", ackText(ack))
	}
	second := h.waitMsg("second lock's parent", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.ThreadTS == "" && m.TS != first.TS && m.Channel == modChannel
	})
	r := h.threadReplies(second.TS, 1)[0]
	mustContain(t, "the second lock's reply", allText(r), "is locked for 30m", "The earlier lock's timer (due")

	h.clock.Advance(5 * time.Minute) // the first lock's time
	if !h.sim.Locked(h.conf) || h.lockCalls() != 2 {
		t.Fatalf("at the replaced timer's time: locked %v, %d calls; want locked, 2", h.sim.Locked(h.conf), h.lockCalls())
	}
	h.clock.Advance(25*time.Minute - time.Second)
	if !h.sim.Locked(h.conf) {
		t.Fatalf("unlocked before the newer lock's time")
	}
	h.clock.Advance(time.Second)
	if h.sim.Locked(h.conf) || h.lockCalls() != 3 {
		t.Fatalf("at the newer lock's time: locked %v, %d calls; want unlocked, 3", h.sim.Locked(h.conf), h.lockCalls())
	}
	rs := h.threadReplies(second.TS, 2)
	mustContain(t, "the newer lock's thread", allText(rs[1]), "Time is up")
	if n := len(h.slack.Thread(modChannel, first.TS)); n != 1 {
		t.Errorf("the replaced lock's thread has %d replies, want 1 (its timer never ran)", n)
	}
}

func TestUnlockCancelsTimer(t *testing.T) {
	t.Parallel()
	h := newLockHarness(t, harnessOpts{})
	lockParent, _ := h.lockCommand(h.conf + " lock 10m")
	_, ack := h.slash(moderator2, modChannel, h.conf+" unlock")
	if ackText(ack) != "" {
		t.Fatalf("unlock acked with %s", ackText(ack))
	}
	up := h.waitMsg("unlock parent", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.ThreadTS == "" && m.TS != lockParent.TS && m.Channel == modChannel
	})
	r := h.threadReplies(up.TS, 1)[0]
	mustContain(t, "the unlock's reply", allText(r), "is unlocked", "The timer set by <@"+moderator+"> (due", "is cancelled")
	if h.clock.Pending() != 0 {
		t.Errorf("%d timers still armed after unlock", h.clock.Pending())
	}
	h.clock.Advance(time.Hour)
	if got := h.lockCalls(); got != 2 {
		t.Errorf("%d lock calls, want 2: the cancelled timer must not call", got)
	}
	if n := len(h.slack.Thread(modChannel, lockParent.TS)); n != 1 {
		t.Errorf("the lock's thread has %d replies, want 1", n)
	}
}

func TestLockRefusals(t *testing.T) {
	t.Parallel()
	p := defaultPolicy()
	p.Channels["CRESTRICTED"] = true
	p.Conferences = map[string][]string{"CRESTRICTED": {"111222333"}}
	h := newLockHarness(t, harnessOpts{cfg: bot.Config{Policy: p}})
	for _, tc := range []struct {
		name, user, channel, want, code string
	}{
		{"no permission", stranger, modChannel, "You are not allowed", commands.DeniedUser},
		{"unlisted channel", moderator, otherChan, "isn't enabled in this channel", commands.DeniedChannel},
		{"direct message", moderator, "DDIRECT", "doesn't work in direct messages", commands.DeniedDM},
		{"other conference", moderator, "CRESTRICTED", "can't be managed from this channel", commands.DeniedConference},
	} {
		for _, verb := range []string{"lock 10m", "unlock"} {
			id, _ := h.slash(tc.user, tc.channel, h.conf+" "+verb)
			mustContain(t, tc.name+" "+verb, allText(h.private(id)), tc.want)
		}
	}
	h.opsNotice("[" + commands.DeniedConference + "]")
	if got := h.lockCalls(); got != 0 {
		t.Errorf("%d lock calls after refusals, want 0", got)
	}
	if h.clock.Pending() != 0 {
		t.Errorf("a refused lock armed a timer")
	}
	if got := h.metrics.ActionCount("lock", "denied"); got != 4 {
		t.Errorf("lock denied = %v, want 4", got)
	}
}

// The Lock meeting button under a kick's outcome: re-checked on click,
// locks once on a double click, and the next outcome offers Unlock too.
func TestKickOutcomeLockButton(t *testing.T) {
	t.Parallel()
	h := newLockHarness(t, harnessOpts{cfg: bot.Config{LockDefault: 20 * time.Minute}})
	troll := h.facts.Others[0]
	_, kickReply := h.lockCommand(h.conf + " " + troll.ID)
	v := parseList(t, kickReply)
	lockBtn := v.mustNav(slackui.ActionLock)
	if lockBtn.el.Text.Text != "Lock meeting for 20m" {
		t.Errorf("Lock button label %q", lockBtn.el.Text.Text)
	}
	if _, ok := v.nav(slackui.ActionUnlock); ok {
		t.Errorf("an Unlock button on a meeting kickbot never locked")
	}

	// A stranger's click is refused; nothing is called.
	id := h.pressIn(stranger, kickReply, lockBtn)
	mustContain(t, "the stranger's answer", allText(h.private(id)), "You are not allowed")
	// A tampered value is refused.
	bad := lockBtn
	bad.el.Value = "l1|" + h.conf + "|999999999"
	id = h.pressIn(moderator, kickReply, bad)
	mustContain(t, "the tampered click's answer", allText(h.private(id)), "not one kickbot recognises")
	if h.lockCalls() != 0 {
		t.Fatalf("%d lock calls after refused clicks", h.lockCalls())
	}

	h.pressIn(moderator, kickReply, lockBtn)
	rs := h.threadReplies(kickReply.ThreadTS, 2)
	mustContain(t, "the button's lock reply", allText(rs[1]), "is locked for 20m", "host password")
	if !h.sim.Locked(h.conf) {
		t.Fatalf("not locked after the Lock click")
	}
	// A second click (another moderator, or a double click) locks nothing more.
	id = h.pressIn(moderator2, kickReply, lockBtn)
	mustContain(t, "the second click's answer", allText(h.private(id)), "is already locked by <@"+moderator+">", "nothing was done")
	if got := h.lockCalls(); got != 1 {
		t.Errorf("%d lock calls after two clicks, want 1", got)
	}

	// The next kick's outcome offers Unlock, which works.
	_, reply2 := h.lockCommand(h.conf + " " + h.facts.Others[1].ID)
	un := parseList(t, reply2).mustNav(slackui.ActionUnlock)
	h.pressIn(moderator2, reply2, un)
	rs = h.threadReplies(reply2.ThreadTS, 2)
	mustContain(t, "the Unlock click's reply", allText(rs[1]), "is unlocked", "is cancelled")
	if h.sim.Locked(h.conf) {
		t.Errorf("still locked after the Unlock click")
	}
}

// The story a moderator would tell: kick the troll, lock for ten minutes,
// the troll cannot get back in (the host still can), the lock ends by
// itself, and the meeting is open again.
func TestStoryKickLockTrollCannotRejoin(t *testing.T) {
	t.Parallel()
	h := newLockHarness(t, harnessOpts{})
	troll := h.facts.Others[0]
	_, kickReply := h.lockCommand(h.conf + " " + troll.ID + " -- spamming")
	mustContain(t, "the kick's reply", allText(kickReply), "disconnected")

	lockParent, lockReply := h.lockCommand(h.conf + " lock 10m")
	mustContain(t, "the lock's reply", allText(lockReply), "host password")
	if h.sim.Join(h.conf, troll) {
		t.Fatalf("the troll rejoined a locked meeting")
	}
	if !h.sim.Join(h.conf, meetingtest.P{ID: "host-link-guest", Name: "Speaker", HostLink: true}) {
		t.Errorf("someone with the host link was kept out; a lock should not")
	}
	h.clock.Advance(10 * time.Minute)
	h.threadReplies(lockParent.TS, 2)
	if !h.sim.Join(h.conf, troll) {
		t.Errorf("the troll still cannot join after the lock's time")
	}
}

// Stopping with a timer pending: one ops notice names the meeting that
// stays locked, and until when it was to be.
func TestShutdownWithPendingLockTellsOps(t *testing.T) {
	t.Parallel()
	h := newLockHarness(t, harnessOpts{})
	h.sim.AddConference(relConf).Participants(2)
	h.lockCommand(h.conf + " lock 10m")
	h.lockCommand(relConf + " lock 1h")
	if err := h.shutdown(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	var notices []slackfake.Message
	for _, m := range h.slack.Messages() {
		if m.Channel == opsChannel && strings.Contains(m.Text, "auto-unlock timers pending") {
			notices = append(notices, m)
		}
	}
	if len(notices) != 1 {
		t.Fatalf("%d pending-lock notices, want 1\n%s", len(notices), h.dumpMessages())
	}
	mustContain(t, "the notice", allText(notices[0]), "meeting "+h.conf+" — locked by <@"+moderator+">, was to unlock at",
		"meeting "+relConf)
	if !h.sim.Locked(h.conf) {
		t.Errorf("shutdown unlocked the meeting; it should stay as it is and say so")
	}
}

// After a click disconnects someone from a list, the list offers Lock
// meeting; the lock is reported in the list's thread.
func TestListAfterClickOffersLock(t *testing.T) {
	t.Parallel()
	h := newLockHarness(t, harnessOpts{})
	v := h.openList(moderator, h.conf)
	if _, ok := v.nav(slackui.ActionLock); ok {
		t.Errorf("a fresh list offers Lock meeting before anyone was disconnected")
	}
	n := h.updates(v)
	h.press(moderator, v, v.disconnect("Carlos Mendes"))
	after := h.waitUpdates(v, n+1)
	checkListLimits(t, "list after a click", after.msg)
	lock := after.mustNav(slackui.ActionLock)
	h.press(moderator2, after, lock)
	h.eventually("the lock in the list's thread", func() bool {
		for _, m := range h.listThread(v) {
			if strings.Contains(m.Text, "is locked for 15m") {
				return true
			}
		}
		return false
	})
	if !h.sim.Locked(h.conf) || h.lockCalls() != 1 {
		t.Errorf("locked %v after %d calls; want locked after 1", h.sim.Locked(h.conf), h.lockCalls())
	}
}

// A lock the meeting service refuses is a visible failure: the thread, the
// parent and the ops channel say so, and no timer is armed.
func TestLockFailureIsVisible(t *testing.T) {
	t.Parallel()
	h := newLockHarness(t, harnessOpts{})
	h.sim.FailNext(meetingtest.EndpointLock, 1, meetingtest.Fault{Status: 400, Code: "MMC.111070001"})
	parent, reply := h.lockCommand(h.conf + " lock 10m")
	mustContain(t, "the reply", allText(reply), "❌ Meeting "+h.conf+" could not be locked.")
	mustContain(t, "the parent", parent.Text, "could not lock meeting "+h.conf)
	h.opsNotice("could not lock meeting " + h.conf)
	if h.sim.Locked(h.conf) || h.clock.Pending() != 0 {
		t.Errorf("locked %v, %d timers; want neither", h.sim.Locked(h.conf), h.clock.Pending())
	}
	if a := h.auditLine("lock"); a.Outcome != "failed" || a.ErrorKind == "" {
		t.Errorf("audit %+v", a)
	}
	if _, ok := parseList(t, reply).nav(slackui.ActionUnlock); ok {
		t.Errorf("a failed lock offers Unlock")
	}
}
