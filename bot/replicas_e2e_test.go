package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/kickbot/kickbot/bot"
	"github.com/kickbot/kickbot/bot/slackfake"
	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/commands/commandstest"
	"github.com/kickbot/kickbot/internal/redistest"
	"github.com/kickbot/kickbot/internal/testlog"
	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/meeting/meetingtest"
	"github.com/kickbot/kickbot/metrics"
	"github.com/kickbot/kickbot/redisstate"
	"github.com/kickbot/kickbot/secret"
)

// Several replicas (issue 15): two bot.Bots on one fake Slack, which hands
// each envelope to the next open socket in turn (as Slack spreads them
// over an app's connections), one meeting simulator and one private
// redis-server, wired as serve wires them with REDIS_URL.

// cluster is two replicas, a and b, sharing Slack, the meeting and Redis.
type cluster struct {
	t     *testing.T
	redis *redistest.Server
	slack *slackfake.Server
	sim   *meetingtest.Server
	clock *commandstest.Clock // the auto-unlock timers' clock, shared
	a, b  *harness
	m     map[*harness]*metrics.Metrics
	state *redisstate.Store // the test's own look at the replicas' Redis
}

// newCluster starts a, then b (so a takes the first envelope), both
// connected.
func newCluster(t *testing.T, cfg bot.Config) *cluster {
	t.Helper()
	return newClusterWatching(t, cfg, nil)
}

// newClusterWatching is newCluster with both replicas watching meetings
// (watch not nil), under the shared watch leases.
func newClusterWatching(t *testing.T, cfg bot.Config, watch *bot.WatchConfig) *cluster {
	t.Helper()
	c := &cluster{t: t, redis: redistest.Start(t), m: map[*harness]*metrics.Metrics{}}
	c.slack = slackfake.NewT(t)
	c.sim = meetingtest.NewServer()
	t.Cleanup(c.sim.Close)
	c.clock = commandstest.NewClock(time.Date(2025, 3, 1, 14, 0, 0, 0, time.UTC))
	facts := c.sim.Sample()
	prefix := redistest.Prefix(t)
	st, err := redisstate.Open(c.redis.URL(), redisstate.WithPrefix(prefix))
	if err != nil {
		t.Fatalf("redisstate.Open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	c.state = st
	c.a = c.replica(cfg, facts, prefix, watch)
	c.a.start()
	c.b = c.replica(cfg, facts, prefix, watch)
	c.b.start()
	return c
}

// replica is one kickbot process: its own Redis connection, meeting
// client, claims and bot, with every shared option serve passes.
func (c *cluster) replica(cfg bot.Config, facts meetingtest.SampleFacts, prefix string, watch *bot.WatchConfig) *harness {
	t := c.t
	rs, err := redisstate.Open(c.redis.URL(), redisstate.WithPrefix(prefix))
	if err != nil {
		t.Fatalf("redisstate.Open: %v", err)
	}
	h := &harness{t: t, slack: c.slack, sim: c.sim, facts: facts, logs: &testlog.Buffer{}, done: make(chan error, 1)}
	log := zerolog.New(h.logs).Level(zerolog.DebugLevel)
	mc, err := meeting.New(meeting.Config{
		BaseURL: c.sim.URL(), AppID: facts.AppID, AppKey: secret.New(facts.AppKey), UserID: facts.UserID,
		RetryBaseDelay: time.Millisecond, RetryMaxDelay: 5 * time.Millisecond, Logger: log,
	}, meeting.WithControlTokenCache(rs.Tokens()))
	if err != nil {
		t.Fatalf("meeting.New: %v", err)
	}
	h.mc = mc
	if cfg.Policy.Channels == nil {
		cfg.Policy = defaultPolicy()
	}
	if cfg.OpsChannel == "" {
		cfg.OpsChannel = opsChannel
	}
	api := slack.New(slackfake.DefaultBotToken, slack.OptionAPIURL(c.slack.APIURL()), slack.OptionAppLevelToken(slackfake.DefaultAppToken))
	h.claims = commands.NewClaims(commands.WithClaimStore(rs.Claims(redisstate.DefaultClaimTTL), redisstate.DefaultClaimTTL))
	h.svc = &commands.Service{Meeting: mc, Claims: h.claims}
	m := metrics.New(prometheus.NewRegistry())
	c.m[h] = m
	opts := []bot.Option{
		bot.WithMetrics(m),
		bot.WithSharedDeduper(rs.Deduper(bot.DefaultDedupeTTL, nil)),
		bot.WithRateLimits(func(name string, perMinute int) bot.RateLimiter { return rs.Limiter(name, perMinute) }),
		bot.WithSlackLimits(rs.Slack()),
		bot.WithLockClock(c.clock),
		// One poll a minute of the fake clock: Advance runs each round.
		bot.WithLockTimers(rs.Timers("unlock", redisstate.DefaultFireLease), commands.WithTimerPoll(time.Minute)),
		bot.WithWatchLeases(rs.Leases("watch")),
	}
	if watch != nil {
		opts = append(opts, bot.WithWatching(mc, *watch))
	}
	h.bot = bot.New(cfg, socketmode.New(api), h.svc, log, opts...)
	// Cleanups run last-in first-out: the bot stops (start's cleanup)
	// before its connections close.
	t.Cleanup(func() { _ = rs.Close() })
	t.Cleanup(mc.CloseIdleConnections)
	return h
}

// A /kick Slack redelivers under a new envelope ID reaches the other
// replica, which sees in Redis that it ran and does not run it again: one
// disconnect call, one outcome.
func TestReplicasRedeliveredCommandRunsOnce(t *testing.T) {
	c := newCluster(t, bot.Config{})
	conf := c.a.facts.ConferenceID
	id, ack := c.a.slash(moderator, modChannel, conf+" "+meetingtest.SampleCarlosPID+" -- spamming")
	if ackText(ack) != "" {
		t.Fatalf("the kick was acked with %s, want a bare ack", ackText(ack))
	}
	again, ok := c.slack.RedeliverAsNew(id, "timeout")
	if !ok {
		t.Fatal("RedeliverAsNew refused the envelope")
	}
	if _, err := c.slack.WaitAck(c.a.ctx(), again); err != nil {
		t.Fatalf("the redelivery was not acked: %v", err)
	}
	// The replica whose worker asks Redis second (usually b, which got the
	// redelivery; under load a's worker may be the later one) says why it
	// did not run it.
	c.b.eventually("a replica to skip the redelivery", func() bool {
		return strings.Contains(c.b.logs.String(), "not run again") || strings.Contains(c.a.logs.String(), "not run again")
	})
	_, reply := c.a.outcome(modChannel)
	if txt := allText(reply); !strings.Contains(txt, "Carlos Mendes") {
		t.Errorf("the outcome does not name Carlos:\n%s", txt)
	}
	c.a.drain()
	c.b.drain()
	if got := c.sim.HangUpIDs(conf); len(got) != 1 {
		t.Errorf("hang-ups = %v, want Carlos once", got)
	}
	var parents int
	for _, m := range c.a.channelMessages(modChannel) {
		if m.Method == "chat.postMessage" && m.ThreadTS == "" {
			parents++
		}
	}
	if parents != 1 {
		t.Errorf("%d parent messages, want 1:%s", parents, c.a.dumpMessages())
	}
}

// The per-user limit is one for the deployment: two lists through a and
// b use up a limit of two, and the third, on a again, is refused.
func TestReplicasShareTheUserRateLimit(t *testing.T) {
	c := newCluster(t, bot.Config{UserRateLimit: 2})
	conf := c.a.facts.ConferenceID
	var ids []string
	for i := range 3 {
		// One after the other: the replicas' workers run at once, so
		// otherwise the third could be checked before the second.
		id, ack := c.a.slash(moderator, modChannel, conf)
		if ackText(ack) != "" {
			t.Fatalf("/kick %s acked with %s, want a bare ack (a shared limit is checked after the ack)", conf, ackText(ack))
		}
		ids = append(ids, id)
		if i == 2 {
			break
		}
		if _, err := c.slack.WaitMessages(c.a.ctx(), i+1, func(m slackfake.Message) bool {
			return m.Method == "chat.postMessage" && m.Channel == modChannel && m.ThreadTS == ""
		}); err != nil {
			t.Fatalf("list %d was not posted: %v\n%s", i+1, err, c.a.dumpMessages())
		}
	}
	refused := c.a.private(ids[2])
	if !strings.Contains(refused.Text, "too fast") {
		t.Errorf("the third list's answer = %q, want 'too fast'", refused.Text)
	}
	c.a.drain()
	c.b.drain()
	for _, id := range ids[:2] {
		for _, m := range c.slack.Messages() {
			if m.Method == "response_url" && m.EnvelopeID == id && strings.Contains(m.Text, "too fast") {
				t.Errorf("list %s was refused as too fast, want only the third", id)
			}
		}
	}
	if n := len(c.a.channelMessages(modChannel)); n != 2 {
		t.Errorf("%d messages in the channel, want the 2 lists:%s", n, c.a.dumpMessages())
	}
}

// A Retry-After Slack gives a for a channel holds b's posts to it too: no
// call of either replica reaches Slack while it runs.
func TestReplicasRetryAfterHoldsTheOtherReplica(t *testing.T) {
	c := newCluster(t, bot.Config{})
	conf := c.a.facts.ConferenceID
	c.slack.RateLimitNext("chat.postMessage", 1, time.Second)
	c.a.slash(moderator, modChannel, conf) // a's list: 429, Retry-After 1s
	c.a.eventually("a's Retry-After held in Redis", func() bool {
		held, err := c.state.Slack().Held(c.a.ctx(), "post:"+modChannel)
		return err == nil && held > 0
	})
	c.b.slash(moderator2, modChannel, conf) // b's list, during a's Retry-After
	if _, err := c.slack.WaitMessages(c.a.ctx(), 2, func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.Channel == modChannel && m.ThreadTS == ""
	}); err != nil {
		t.Fatalf("both lists were not posted once the Retry-After was over: %v\n%s", err, c.a.dumpMessages())
	}
	c.a.drain()
	c.b.drain()
	if !strings.Contains(c.b.logs.String(), moderator2) {
		t.Fatalf("the second list did not go to b; b's log:\n%s", c.b.logs.String())
	}
	for _, call := range c.slack.CallLog() {
		if call.DuringRetryAfter {
			t.Errorf("%s to %s at %s reached Slack during a Retry-After", call.Method, call.Channel, call.At.Format(time.StampMilli))
		}
	}
}

// With Redis gone, a kick is refused with the state-store wording and no
// meeting call; the ack still goes out at once.
func TestReplicasRedisDownRefusesAKick(t *testing.T) {
	c := newCluster(t, bot.Config{})
	conf := c.a.facts.ConferenceID
	c.redis.Stop()
	id, ack := c.a.slash(moderator, modChannel, conf+" "+meetingtest.SampleCarlosPID+" -- spamming")
	if ackText(ack) != "" {
		t.Errorf("the kick was acked with %s, want a bare ack", ackText(ack))
	}
	answer := c.a.private(id)
	if !strings.Contains(answer.Text, "state store is unavailable") {
		t.Errorf("the kick's answer = %q, want the state store named unavailable", answer.Text)
	}
	c.a.drain()
	c.b.drain()
	if got := c.sim.HangUpIDs(conf); len(got) != 0 {
		t.Errorf("hang-ups = %v with Redis down, want none", got)
	}
	if n := c.m[c.a].StateErrorCount("rate_limit"); n < 1 {
		t.Errorf("kickbot_state_errors_total{op=rate_limit} = %v, want ≥ 1", n)
	}
}

// An auto-unlock set through a fires once, through b, after a stopped.
func TestReplicasAutoUnlockFiresOnTheOtherReplica(t *testing.T) {
	c := newCluster(t, bot.Config{})
	conf := c.a.facts.ConferenceID
	_, ack := c.a.slash(moderator, modChannel, conf+" lock 10m")
	if ackText(ack) != "" {
		t.Fatalf("the lock was acked with %s", ackText(ack))
	}
	c.a.eventually("the meeting locked", func() bool { return c.sim.Locked(conf) })
	c.a.auditLine("lock")
	parent := c.a.waitMsg("the lock's message", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.Channel == modChannel && m.ThreadTS == "" && strings.Contains(allText(m), "lock")
	})
	c.a.drain() // a is gone; its timer stays in Redis

	c.clock.Advance(10*time.Minute + time.Minute)
	if c.sim.Locked(conf) {
		t.Fatalf("the meeting is still locked after its time, with b running")
	}
	c.b.auditLine("unlock")
	// b reports where a would have: in the lock's thread, and on the
	// lock's own message, though a posted it after the lock was made.
	c.b.waitMsg("the auto-unlock replied in the lock's thread", func(m slackfake.Message) bool {
		return m.Channel == modChannel && m.ThreadTS == parent.TS && strings.Contains(allText(m), "unlocked automatically")
	})
	c.b.waitMsg("the lock's message updated by the auto-unlock", func(m slackfake.Message) bool {
		return m.Method == "chat.update" && m.TS == parent.TS && strings.Contains(allText(m), "unlocked itself")
	})
	c.clock.Advance(time.Hour) // nothing more to fire
	c.b.drain()
	if unlocks := c.sim.CallCount(meetingtest.EndpointLock); unlocks != 2 { // the lock, and one unlock
		t.Errorf("%d lock calls, want 2 (the lock, one auto-unlock)", unlocks)
	}
	if a := c.b.auditLines("unlock"); len(a) != 1 || !strings.Contains(a[0].Reason, "auto-unlock") {
		t.Errorf("b's unlock audit lines = %+v, want one auto-unlock", a)
	}
}

// One replica watches a meeting: the other, asked to watch it too, says
// another replica does; once the first stopped (its lease released), the
// other watches it.
func TestReplicasWatchAMeetingOnceAndTakeOver(t *testing.T) {
	c := newClusterWatching(t, bot.Config{}, fastWatch())
	conf := c.a.facts.ConferenceID
	c.a.watchMeeting(conf) // envelope 1: a

	id, ack := c.b.slash(moderator2, modChannel, conf+" watch") // envelope 2: b
	if ackText(ack) != "" {
		t.Fatalf("`watch` acked with %s, want a bare ack", ackText(ack))
	}
	if answer := c.b.private(id); !strings.Contains(answer.Text, "already watched by another kickbot replica") {
		t.Errorf("b's answer to watch = %q, want 'already watched by another kickbot replica'", answer.Text)
	}
	if s := c.b.bot.WatchStats(); s.Live != 0 {
		t.Errorf("b has %d live watches while a holds the lease, want 0", s.Live)
	}

	c.a.drain() // releases a's lease
	id, _ = c.b.slash(moderator2, modChannel, conf+" watch")
	c.b.waitMsg("b's watch answer", func(m slackfake.Message) bool {
		return m.Method == "response_url" && m.EnvelopeID == id && strings.Contains(m.Text, "Watching meeting "+conf)
	})
	if s := c.b.bot.WatchStats(); s.Watched != 1 {
		t.Errorf("b watches %d meetings after a stopped, want 1", s.Watched)
	}
	c.b.drain()
}
