package redisstate

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// gcraBody is the generic cell rate algorithm (a token bucket kept as one
// number, the "theoretical arrival time"): KEYS[1] holds it, ARGV[1] is the
// emission interval in µs, ARGV[2] the burst, ARGV[3] "1" to take a token
// or "0" to only ask. It answers {1, 0} when a call may go now, or
// {0, ms to wait}. Redis's clock is used, so replicas' clocks do not
// matter.
const gcraBody = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local e = tonumber(ARGV[1])
local dvt = e * tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new = tat + e
local wait = new - dvt - now
if wait > 0 then return {0, math.ceil(wait / 1000)} end
if ARGV[3] == '1' then
  redis.call('SET', KEYS[1], string.format('%.0f', new), 'PX', math.max(1, math.ceil((new - now) / 1000)))
end
return {1, 0}
`

var gcraScript = redis.NewScript(gcraBody)

// Limiter allows each user perMinute calls a minute, with a burst of the
// same size, across every replica (bot's userLimiter, shared).
type Limiter struct {
	s     *Store
	name  string
	every time.Duration
	burst int
}

// Limiter returns the limiter called name ("commands", "clicks").
func (s *Store) Limiter(name string, perMinute int) *Limiter {
	perMinute = max(perMinute, 1)
	return &Limiter{s: s, name: name, every: time.Minute / time.Duration(perMinute), burst: perMinute}
}

// Allow takes one of user's calls. When it is refused, retryIn says when
// the next is allowed.
func (l *Limiter) Allow(ctx context.Context, user string) (ok bool, retryIn time.Duration, err error) {
	return gcra(ctx, l.s, "rate "+l.name, l.s.key("rate", l.name, user), l.every, l.burst, true)
}

func gcra(ctx context.Context, s *Store, op, key string, every time.Duration, burst int, take bool) (bool, time.Duration, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	t := "0"
	if take {
		t = "1"
	}
	r, err := gcraScript.Run(ctx, s.rdb, []string{key}, every.Microseconds(), burst, t).Int64Slice()
	if err != nil {
		return false, 0, s.wrap(op, err)
	}
	return r[0] == 1, time.Duration(r[1]) * time.Millisecond, nil
}
