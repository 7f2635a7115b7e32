package bot

import (
	"sync"
	"time"
)

// Shared state (issue 15). With several replicas, what must be shared
// comes in through options, each taking an interface owned here (beside
// the code that uses it) that redisstate's and memstate's types satisfy:
//
//	WithDeduper       envelope and request identities       (Deduper)
//	WithRateLimits    the per-user limits                   (RateLimiter)
//	WithSlackLimits   Retry-After holds and pacing budgets  (SlackLimits)
//	WithLockTimers    durable auto-unlock timers            (commands.TimerStore)
//	WithWatchLeases   one watcher per meeting               (Leases)
//	WithSharedLists   lists, keep-out lists, click claims   (ListStore, ClickStore; shared.go)
//
// Without them the bot keeps all of it in its own memory, for one replica,
// as before. When the store does not answer, nothing falls back to this
// replica's memory where that could do something twice: a command or a
// click is refused with the state-store wording (its limit cannot be
// checked), a timed lock is refused, no watch starts. Only what cannot act
// twice goes on: de-duplication lets an envelope through (the refusal
// follows), and Slack posts are paced by this replica alone.

// StateMetrics is an optional part of Metrics: failed calls to the shared
// state store, by what the bot was doing. metrics.Metrics implements it.
type StateMetrics interface {
	StateError(op string)
}

// stateLogEvery bounds the log while the store is down: each failing
// caller (the auto-unlock poll asks every second) logs once in this
// time; the metric counts every failure.
const stateLogEvery = 10 * time.Second

// stateLog throttles stateError's log lines, per op.
type stateLog struct {
	mu     sync.Mutex
	last   map[string]time.Time
	missed map[string]int
}

// stateError logs and counts a failed call to the shared state store. The
// error is the store's own, which never holds the REDIS_URL's password.
func (b *Bot) stateError(op string, err error) {
	if m, ok := b.metrics.(StateMetrics); ok {
		m.StateError(op)
	}
	l := &b.stateLog
	now := time.Now()
	l.mu.Lock()
	if l.last == nil {
		l.last, l.missed = map[string]time.Time{}, map[string]int{}
	}
	if now.Sub(l.last[op]) < stateLogEvery {
		l.missed[op]++
		l.mu.Unlock()
		return
	}
	missed := l.missed[op]
	l.last[op], l.missed[op] = now, 0
	l.mu.Unlock()
	b.log.Warn().Err(err).Str("op", op).Int("more_since_last_logged", missed).Msg("shared state store failed")
}
