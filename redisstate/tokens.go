package redisstate

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kickbot/kickbot/state"
)

// defaultRenewLockTTL bounds how long one replica may take to renew a
// meeting's control token before another may try (meeting's shared fetch
// is capped at 30 s).
const defaultRenewLockTTL = 30 * time.Second

// Tokens caches one control token per meeting for the whole deployment,
// renewed by one replica at a time. The token is the only secret this
// store holds in clear: it works for one meeting and expires within 30
// minutes, and its key expires with it.
type Tokens struct {
	s     *Store
	locks *Leases
	ttl   time.Duration // of the renew lock
}

// Tokens returns the control-token cache.
func (s *Store) Tokens() *Tokens {
	return &Tokens{s: s, locks: s.Leases("ctoken-renew"), ttl: defaultRenewLockTTL}
}

// Token is a cached control token.
type Token = state.Token

func (t *Tokens) key(conf string) string { return t.s.key("ctoken", conf) }

// Get returns conf's cached token (ok false when none).
func (t *Tokens) Get(ctx context.Context, conf string) (tok Token, ok bool, err error) {
	ctx, cancel := t.s.op(ctx)
	defer cancel()
	v, err := t.s.rdb.Get(ctx, t.key(conf)).Result()
	if err == redis.Nil {
		return Token{}, false, nil
	}
	if err != nil {
		return Token{}, false, t.s.wrap("token get", err)
	}
	// value: expiry in Unix ms, a newline, the token.
	at, val, found := strings.Cut(v, "\n")
	n, perr := strconv.ParseInt(at, 10, 64)
	if !found || perr != nil {
		return Token{}, false, nil // not ours to read: treat as absent, the next Put replaces it
	}
	return Token{Value: val, Expires: time.UnixMilli(n)}, true, nil
}

// Put stores conf's token until it expires. An expired token is not
// stored.
func (t *Tokens) Put(ctx context.Context, conf string, tok Token) error {
	life := tok.Expires.Sub(t.s.now())
	if life <= 0 {
		return nil
	}
	ctx, cancel := t.s.op(ctx)
	defer cancel()
	v := strconv.FormatInt(tok.Expires.UnixMilli(), 10) + "\n" + tok.Value
	return t.s.wrap("token put", t.s.rdb.Set(ctx, t.key(conf), v, time.Duration(ms(life))*time.Millisecond).Err())
}

var dropTokenScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then
  local nl = string.find(v, '\n', 1, true)
  if nl and string.sub(v, nl + 1) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
end
return 0
`)

// Drop forgets conf's token if it still is value (the server refused it),
// leaving a newer one alone.
func (t *Tokens) Drop(ctx context.Context, conf, value string) error {
	ctx, cancel := t.s.op(ctx)
	defer cancel()
	return t.s.wrap("token drop", dropTokenScript.Run(ctx, t.s.rdb, []string{t.key(conf)}, value).Err())
}

// Renew returns conf's token if fresh says it is good enough, or else gets
// a new one with fetch — on one replica at a time: the others wait for its
// token (or for its lock to go, then try themselves). fetch is given the
// current token (zero when none) to keep alive. A failed fetch is not
// cached; its error goes to the caller that ran it. owner names this
// replica in the lock.
func (t *Tokens) Renew(ctx context.Context, conf, owner string, fresh func(Token) bool,
	fetch func(ctx context.Context, current Token) (Token, error)) (Token, error) {
	var b backoff
	for {
		cur, ok, err := t.Get(ctx, conf)
		if err != nil {
			return Token{}, err
		}
		if ok && fresh(cur) {
			return cur, nil
		}
		lease, ok, err := t.locks.Acquire(ctx, conf, owner, t.ttl)
		if err != nil {
			return Token{}, err
		}
		if ok {
			return t.renewLocked(ctx, conf, lease, fresh, fetch)
		}
		if err := b.wait(ctx); err != nil {
			return Token{}, err
		}
	}
}

func (t *Tokens) renewLocked(ctx context.Context, conf string, lease Lease, fresh func(Token) bool,
	fetch func(ctx context.Context, current Token) (Token, error)) (tok Token, err error) {
	defer func() {
		// The release is bounded on its own: a caller's cancelled ctx must
		// not keep the lock held for its whole TTL.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.s.opTimeout)
		defer cancel()
		if rerr := t.locks.Release(rctx, lease); rerr != nil && err == nil {
			err = rerr
		}
	}()
	// Another replica may have renewed between our look and our lock.
	cur, ok, err := t.Get(ctx, conf)
	if err != nil {
		return Token{}, err
	}
	if ok && fresh(cur) {
		return cur, nil
	}
	fctx, cancel := context.WithTimeout(ctx, t.ttl)
	defer cancel()
	nt, err := fetch(fctx, cur)
	if err != nil {
		return Token{}, err
	}
	if nt.Value == "" {
		return Token{}, errors.New("redisstate: fetch returned an empty token")
	}
	return nt, t.Put(ctx, conf, nt)
}
