package redisstate

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kickbot/kickbot/state"
)

const (
	// DefaultClaimTTL outlives one disconnect with its retries and roster
	// re-read; an owner that dies frees the participant after it.
	DefaultClaimTTL = 2 * time.Minute
	// claimResultTTL: waiters poll at most a few hundred ms apart, so a
	// result only needs to outlive the slowest waiter's next look.
	claimResultTTL = 2 * time.Minute
)

// Claims makes the disconnect of one participant happen once across every
// replica (commands.Claims, shared): the first kick that names them takes
// the claim (SET NX PX with an owner token); a kick that names them
// meanwhile, on any replica, waits for the owner's result, and learns who
// the owner acted for.
type Claims struct {
	s   *Store
	ttl time.Duration
}

// Claims returns the claim registry; ttl bounds how long a claim lives if
// its owner never releases it.
func (s *Store) Claims(ttl time.Duration) *Claims { return &Claims{s: s, ttl: ttl} }

// Claim is a taken claim (Mine) or someone else's.
type Claim = state.Claim

var (
	// takeClaimScript: SET NX, or answer the current owner's value; a
	// value with our own token (a call repeated after a lost reply) is
	// ours.
	takeClaimScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return '' end
local v = redis.call('GET', KEYS[1])
if string.sub(v, 1, 32) == string.sub(ARGV[1], 1, 32) then return '' end
return v
`)
	// releaseClaimScript stores the result for the waiters, then frees
	// the claim if it is still this owner's: one atomic step, so a waiter
	// sees either the claim or the result.
	releaseClaimScript = redis.NewScript(`
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, 32) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`)
)

// Take claims conference's participant for actor, or reports whose claim
// it is.
func (c *Claims) Take(ctx context.Context, conference, participant, actor string) (Claim, error) {
	ctx, cancel := c.s.op(ctx)
	defer cancel()
	k := c.s.key("claim", conference, participant)
	tok := newToken()
	v, err := takeClaimScript.Run(ctx, c.s.rdb, []string{k}, tok+actor, ms(c.ttl)).Text()
	if err != nil {
		return Claim{}, c.s.wrap("claim take", err)
	}
	if v == "" {
		return Claim{Mine: true, Actor: actor, Key: k, Token: tok}, nil
	}
	if len(v) < tokenLen {
		return Claim{}, c.s.wrap("claim take", errors.New("malformed claim value"))
	}
	return Claim{Actor: v[tokenLen:], Key: k, Token: v[:tokenLen]}, nil
}

// Extend keeps the caller's claim for ttl more, for a disconnect that runs
// long (retries, a slow re-read); ErrLeaseLost when it lapsed already.
func (c *Claims) Extend(ctx context.Context, cl Claim, ttl time.Duration) error {
	if !cl.Mine {
		return errors.New("redisstate: Extend of a claim that is not ours")
	}
	ctx, cancel := c.s.op(ctx)
	defer cancel()
	n, err := renewScript.Run(ctx, c.s.rdb, []string{cl.Key}, cl.Token, ms(ttl)).Int64()
	if err != nil {
		return c.s.wrap("claim extend", err)
	}
	if n == 0 {
		return ErrLeaseLost
	}
	return nil
}

func (c *Claims) resultKey(cl Claim) string { return cl.Key + ":result:" + cl.Token }

// Release publishes the owner's result (opaque: the caller's encoding of
// its outcome) to every waiter and frees the claim.
func (c *Claims) Release(ctx context.Context, cl Claim, result []byte) error {
	if !cl.Mine {
		return errors.New("redisstate: Release of a claim that is not ours")
	}
	ctx, cancel := c.s.op(ctx)
	defer cancel()
	err := releaseClaimScript.Run(ctx, c.s.rdb, []string{cl.Key, c.resultKey(cl)}, cl.Token, result, ms(claimResultTTL)).Err()
	return c.s.wrap("claim release", err)
}

// Wait waits for the owner of someone else's claim to release it, and
// returns its result. ErrNoResult: the owner's claim lapsed without one
// (it died); the caller reports the outcome as unconfirmed. It polls with
// a backoff (most waits are one disconnect call) until ctx ends; each poll
// is bounded, so a Redis failure is returned at once.
func (c *Claims) Wait(ctx context.Context, cl Claim) ([]byte, error) {
	var b backoff
	for {
		res, done, err := c.poll(ctx, cl)
		if err != nil || done {
			return res, err
		}
		if err := b.wait(ctx); err != nil {
			return nil, err
		}
	}
}

func (c *Claims) poll(ctx context.Context, cl Claim) ([]byte, bool, error) {
	ctx, cancel := c.s.op(ctx)
	defer cancel()
	// One MGET: atomic against the release script.
	vs, err := c.s.rdb.MGet(ctx, c.resultKey(cl), cl.Key).Result()
	if err != nil {
		return nil, false, c.s.wrap("claim wait", err)
	}
	if r, ok := vs[0].(string); ok {
		return []byte(r), true, nil
	}
	if v, ok := vs[1].(string); ok && len(v) >= tokenLen && v[:tokenLen] == cl.Token {
		return nil, false, nil
	}
	return nil, true, ErrNoResult
}
