package bot

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

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

func (l *userLimiter) Allow(user string) bool {
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
