package memstate

import (
	"context"
	"errors"
	"time"

	"github.com/kickbot/kickbot/state"
)

// claimResultTTL matches redisstate's: a result outlives its waiters.
const claimResultTTL = 2 * time.Minute

// Claims makes the disconnect of one participant happen once while it
// runs; waiters get the owner's result (commands.Claims, with redisstate's
// method set).
type Claims struct {
	s   *Store
	ttl time.Duration
}

// Claims returns the claim registry; ttl bounds a claim never released.
func (s *Store) Claims(ttl time.Duration) *Claims { return &Claims{s: s, ttl: ttl} }

type claim struct {
	token string
	actor string
	exp   time.Time
	done  chan struct{} // closed by Release
}

// Take claims conference's participant for actor, or reports whose claim
// it is.
func (c *Claims) Take(_ context.Context, conference, participant, actor string) (state.Claim, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	now := c.s.now()
	k := "claim:" + conference + ":" + participant
	if v, ok := c.s.getLocked(k, now); ok {
		cl := v.(*claim)
		return state.Claim{Actor: cl.actor, Key: k, Token: cl.token}, nil
	}
	cl := &claim{token: newToken(), actor: actor, exp: now.Add(c.ttl), done: make(chan struct{})}
	c.s.setLocked(k, cl, cl.exp)
	return state.Claim{Mine: true, Actor: actor, Key: k, Token: cl.token}, nil
}

// Extend keeps the caller's claim for ttl more; ErrLeaseLost when it
// lapsed already.
func (c *Claims) Extend(_ context.Context, cl state.Claim, ttl time.Duration) error {
	if !cl.Mine {
		return errors.New("memstate: Extend of a claim that is not ours")
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	now := c.s.now()
	v, ok := c.s.getLocked(cl.Key, now)
	if !ok || v.(*claim).token != cl.Token {
		return state.ErrLeaseLost
	}
	own := v.(*claim)
	own.exp = now.Add(ttl)
	c.s.kv[cl.Key].exp = own.exp
	return nil
}

// Release publishes the owner's result to every waiter and frees the
// claim.
func (c *Claims) Release(_ context.Context, cl state.Claim, result []byte) error {
	if !cl.Mine {
		return errors.New("memstate: Release of a claim that is not ours")
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	now := c.s.now()
	c.s.setLocked(cl.Key+":result:"+cl.Token, result, now.Add(claimResultTTL))
	if it, ok := c.s.kv[cl.Key]; ok {
		if own := it.v.(*claim); own.token == cl.Token {
			delete(c.s.kv, cl.Key)
			close(own.done)
		}
	}
	return nil
}

// Wait waits for the owner of someone else's claim to release it, and
// returns its result; ErrNoResult when the claim lapsed without one.
func (c *Claims) Wait(ctx context.Context, cl state.Claim) ([]byte, error) {
	for {
		c.s.mu.Lock()
		now := c.s.now()
		if v, ok := c.s.getLocked(cl.Key+":result:"+cl.Token, now); ok {
			c.s.mu.Unlock()
			return v.([]byte), nil
		}
		var own *claim
		if v, ok := c.s.getLocked(cl.Key, now); ok && v.(*claim).token == cl.Token {
			own = v.(*claim)
		}
		c.s.mu.Unlock()
		if own == nil {
			return nil, state.ErrNoResult
		}
		t := time.NewTimer(own.exp.Sub(now))
		select {
		case <-own.done:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
		t.Stop()
	}
}
