package redisstate

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// SlackLimits is Slack's rate-limit state shared by every replica: a
// Retry-After one replica receives holds the bucket (a channel's posts, or
// a method such as chat.update) for all of them, and each bucket's pacing
// budget is one counter for the deployment (bot's tier, shared).
type SlackLimits struct{ s *Store }

// Slack returns the shared Slack rate-limit state.
func (s *Store) Slack() *SlackLimits { return &SlackLimits{s: s} }

// holdScript extends KEYS[1]'s hold to ARGV[1] ms unless it already runs
// longer: a shorter Retry-After never cuts a longer one short.
var holdScript = redis.NewScript(`
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 1
`)

// takeScript answers a running hold first (KEYS[2]), then the budget.
var takeScript = redis.NewScript(`
local held = redis.call('PTTL', KEYS[2])
if held > 0 then return {0, held} end
` + gcraBody)

// Hold stops every replica's calls in bucket for d (a Retry-After).
func (l *SlackLimits) Hold(ctx context.Context, bucket string, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	ctx, cancel := l.s.op(ctx)
	defer cancel()
	return l.s.wrap("slack hold", holdScript.Run(ctx, l.s.rdb, []string{l.holdKey(bucket)}, ms(d)).Err())
}

// Held is how long bucket's running hold lasts (0: none).
func (l *SlackLimits) Held(ctx context.Context, bucket string) (time.Duration, error) {
	ctx, cancel := l.s.op(ctx)
	defer cancel()
	d, err := l.s.rdb.PTTL(ctx, l.holdKey(bucket)).Result()
	if err != nil {
		return 0, l.s.wrap("slack held", err)
	}
	return max(d, 0), nil
}

// Take takes one call from bucket's budget (one call per every, bursts of
// burst) if no hold runs and the budget allows it now: wait 0. Otherwise
// nothing is taken and wait says how long until it may be.
func (l *SlackLimits) Take(ctx context.Context, bucket string, every time.Duration, burst int) (wait time.Duration, err error) {
	return l.run(ctx, bucket, every, burst, true)
}

// Delay is how long until a call in bucket may start, taking nothing
// (tier.delay).
func (l *SlackLimits) Delay(ctx context.Context, bucket string, every time.Duration, burst int) (time.Duration, error) {
	return l.run(ctx, bucket, every, burst, false)
}

func (l *SlackLimits) run(ctx context.Context, bucket string, every time.Duration, burst int, take bool) (time.Duration, error) {
	ctx, cancel := l.s.op(ctx)
	defer cancel()
	t := "0"
	if take {
		t = "1"
	}
	r, err := takeScript.Run(ctx, l.s.rdb, []string{l.s.key("slack", "budget", bucket), l.holdKey(bucket)},
		every.Microseconds(), max(burst, 1), t).Int64Slice()
	if err != nil {
		return 0, l.s.wrap("slack take", err)
	}
	if r[0] == 1 {
		return 0, nil
	}
	return max(time.Duration(r[1])*time.Millisecond, time.Millisecond), nil
}

func (l *SlackLimits) holdKey(bucket string) string { return l.s.key("slack", "hold", bucket) }
