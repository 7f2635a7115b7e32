package redisstate

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kickbot/kickbot/state"
)

// Leases are exclusive, expiring ownerships (one replica watches a
// meeting's WebSocket; one replica renews a control token). The pattern of
// Redis's distributed-lock guide and bsm/redislock: SET NX PX with a random
// token, renewed and released only while the token still matches.
type Leases struct {
	s    *Store
	name string
}

// Leases returns the leases called name ("watch", "ctoken-renew").
func (s *Store) Leases(name string) *Leases { return &Leases{s: s, name: name} }

// Lease is one held lease.
type Lease = state.Lease

// A lease's value is its token followed by its owner's name (for Holder).
var (
	renewScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, 32) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`)
	releaseScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, 32) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)
)

// Acquire takes key's lease for owner (a replica's name, for logs and
// Holder) for ttl; ok is false when someone else holds it.
func (l *Leases) Acquire(ctx context.Context, key, owner string, ttl time.Duration) (lease Lease, ok bool, err error) {
	ctx, cancel := l.s.op(ctx)
	defer cancel()
	k := l.s.key("lease", l.name, key)
	tok := newToken()
	err = l.s.rdb.SetArgs(ctx, k, tok+owner, redis.SetArgs{Mode: "NX", TTL: time.Duration(ms(ttl)) * time.Millisecond}).Err()
	switch {
	case err == redis.Nil: // NX and the key exists
		return Lease{}, false, nil
	case err != nil:
		return Lease{}, false, l.s.wrap("lease acquire", err)
	}
	return Lease{Key: k, Token: tok}, true, nil
}

// Holder is who holds key's lease ("" when nobody does).
func (l *Leases) Holder(ctx context.Context, key string) (string, error) {
	ctx, cancel := l.s.op(ctx)
	defer cancel()
	v, err := l.s.rdb.Get(ctx, l.s.key("lease", l.name, key)).Result()
	if err == redis.Nil {
		return "", nil
	}
	if err != nil {
		return "", l.s.wrap("lease holder", err)
	}
	if len(v) < tokenLen {
		return "", nil
	}
	return v[tokenLen:], nil
}

// Renew extends the lease to ttl from now; ErrLeaseLost when it lapsed and
// (maybe) someone else took it: stop the work it guards.
func (l *Leases) Renew(ctx context.Context, lease Lease, ttl time.Duration) error {
	ctx, cancel := l.s.op(ctx)
	defer cancel()
	n, err := renewScript.Run(ctx, l.s.rdb, []string{lease.Key}, lease.Token, ms(ttl)).Int64()
	if err != nil {
		return l.s.wrap("lease renew", err)
	}
	if n == 0 {
		return ErrLeaseLost
	}
	return nil
}

// Release gives the lease up if it is still ours (a lapsed lease someone
// else took is left alone).
func (l *Leases) Release(ctx context.Context, lease Lease) error {
	ctx, cancel := l.s.op(ctx)
	defer cancel()
	return l.s.wrap("lease release", releaseScript.Run(ctx, l.s.rdb, []string{lease.Key}, lease.Token).Err())
}
