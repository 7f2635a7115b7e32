package redisstate

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kickbot/kickbot/state"
)

// Clicks makes each participant's disconnect from a list happen once
// however many clicks arrive on however many replicas (bot's clickGuard,
// shared): the first click claims it; later ones learn who has it. A
// finished claim only stops clicks on rosters read before it finished, so
// someone who rejoined can be disconnected again after a Refresh.
type Clicks struct {
	s   *Store
	ttl time.Duration
}

// Clicks returns the click claims; each lives ttl (bot.ListRetention).
func (s *Store) Clicks(ttl time.Duration) *Clicks { return &Clicks{s: s, ttl: ttl} }

// ClickClaim is the claim a click found.
type ClickClaim = state.ClickClaim

var (
	// clickClaimScript: ARGV user, readAt ms, now ms, ttl ms. Answers {1}
	// when user now owns it, or {0, user, done, at}.
	clickClaimScript = redis.NewScript(`
local c = redis.call('HMGET', KEYS[1], 'u', 'done', 'at')
if c[1] and not (c[2] == '1' and tonumber(ARGV[2]) > tonumber(c[3])) then
  return {0, c[1], c[2], c[3]}
end
redis.call('HSET', KEYS[1], 'u', ARGV[1], 'done', '0', 'at', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {1}
`)
	// clickFinishScript: the claim's owner marks it done (ARGV[2] = 1) or
	// frees it so someone can try again.
	clickFinishScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'u') ~= ARGV[1] then return 0 end
if ARGV[2] == '1' then
  redis.call('HSET', KEYS[1], 'done', '1', 'at', ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
else
  redis.call('DEL', KEYS[1])
end
return 1
`)
)

// Claim returns ok true if user now owns key; otherwise the existing
// claim. readAt is when the roster the click was made on was read.
func (c *Clicks) Claim(ctx context.Context, key, user string, readAt, now time.Time) (ClickClaim, bool, error) {
	ctx, cancel := c.s.op(ctx)
	defer cancel()
	r, err := clickClaimScript.Run(ctx, c.s.rdb, []string{c.s.key("click", key)},
		user, readAt.UnixMilli(), now.UnixMilli(), ms(c.ttl)).Slice()
	if err != nil {
		return ClickClaim{}, false, c.s.wrap("click claim", err)
	}
	if n, _ := r[0].(int64); n == 1 {
		return ClickClaim{}, true, nil
	}
	cl := ClickClaim{}
	cl.User, _ = r[1].(string)
	done, _ := r[2].(string)
	cl.Done = done == "1"
	at, _ := r[3].(string)
	if n, err := strconv.ParseInt(at, 10, 64); err == nil {
		cl.At = time.UnixMilli(n)
	}
	return cl, false, nil
}

// Finish marks user's claim on key done, or frees it when the attempt
// failed. A claim that is no longer user's is left alone.
func (c *Clicks) Finish(ctx context.Context, key, user string, ok bool, now time.Time) error {
	ctx, cancel := c.s.op(ctx)
	defer cancel()
	done := "0"
	if ok {
		done = "1"
	}
	err := clickFinishScript.Run(ctx, c.s.rdb, []string{c.s.key("click", key)}, user, done, now.UnixMilli(), ms(c.ttl)).Err()
	return c.s.wrap("click finish", err)
}
