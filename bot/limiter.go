package bot

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/kickbot/kickbot/bot/slackui"
	"github.com/kickbot/kickbot/commands"
)

// RateLimiter is a per-user limit on commands or clicks;
// *redisstate.Limiter (shared by every replica) and *memstate.Limiter
// satisfy it. An error means the limit could not be checked (the store
// did not answer).
type RateLimiter interface {
	Allow(ctx context.Context, user string) (ok bool, retryIn time.Duration, err error)
}

// WithRateLimits takes the per-user limits from newLimiter, called once
// for "commands" (commands and clicks that act, UserRateLimit a minute)
// and once for "nav" (page, search and refresh clicks, UserNavRateLimit),
// for limits shared by every replica. A shared limit is checked after the
// ack, on the worker (a store call never delays an ack), and a refusal is
// answered privately. When the store does not answer the command or click
// is refused with the state-store-unavailable wording and nothing is done:
// never a silent fallback to this replica's own count.
func WithRateLimits(newLimiter func(name string, perMinute int) RateLimiter) Option {
	return func(b *Bot) { b.newLimiter = newLimiter }
}

// allow takes one of user's calls from lim; when it is refused (over the
// limit, or the store could not say) t answers privately and records why.
// what completes "You are … too fast"; refused is the audit outcome of a
// refusal for the limit (clicks and commands have always differed).
func (b *Bot) allow(lim RateLimiter, user string, t *reporter, what, refused string) bool {
	ok, _, err := lim.Allow(b.hardStop, user)
	switch {
	case err != nil:
		b.stateError("rate_limit", err)
		t.private(slackui.Message{Text: commands.UserMessage(err)})
		t.write("state_unavailable", nil, nil)
		t.count("state_unavailable")
		return false
	case !ok:
		t.private(slackui.Message{Text: "You are " + what + " too fast. Wait a minute and try again; nothing was done."})
		t.write(refused, nil, nil)
		t.count("rate_limited")
		return false
	}
	return true
}

// commandAllowed checks a slash command's shared limit on the worker
// (without WithRateLimits it was checked before the ack).
func (b *Bot) commandAllowed(j job, t *reporter) bool {
	if b.newLimiter == nil || j.kind == jobClick {
		return true
	}
	t.entry = AuditEntry{Action: "busy", User: j.slash.UserID, Channel: j.slash.ChannelID, Conference: j.req.Conference}
	return b.allow(b.limiter, j.slash.UserID, t, "sending commands", "user_rate_limited")
}

// userLimiter allows each Slack user a number of commands per minute, with a
// burst of the same size.
type userLimiter struct {
	mu       sync.Mutex
	perMin   int
	now      func() time.Time
	limiters map[string]*userBucket
}

type userBucket struct {
	lim  *rate.Limiter
	last time.Time
}

// maxTrackedUsers bounds the limiter's memory; idle users are dropped first.
const maxTrackedUsers = 10000

func newUserLimiter(perMinute int, now func() time.Time) *userLimiter {
	return &userLimiter{perMin: perMinute, now: now, limiters: make(map[string]*userBucket)}
}

// Allow is RateLimiter's: memory never fails, and retryIn is not known.
func (l *userLimiter) Allow(_ context.Context, user string) (bool, time.Duration, error) {
	return l.allow(user), 0, nil
}

func (l *userLimiter) allow(user string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.limiters[user]
	if !ok {
		if len(l.limiters) >= maxTrackedUsers {
			for k, v := range l.limiters {
				if now.Sub(v.last) > time.Minute {
					delete(l.limiters, k)
				}
			}
		}
		b = &userBucket{lim: rate.NewLimiter(rate.Every(time.Minute/time.Duration(l.perMin)), l.perMin)}
		l.limiters[user] = b
	}
	b.last = now
	return b.lim.AllowN(now, 1)
}
