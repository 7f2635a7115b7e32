package redisstate

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kickbot/kickbot/state"
)

// Lists keeps posted lists (bot's listRecord, encoded by the caller,
// without its outbox thread) so that a click on any replica finds the list
// another posted. Each record is a hash {v: version, d: data} with the
// retention as TTL; an index sorted by creation bounds how many are kept,
// oldest forgotten first.
type Lists struct {
	s        *Store
	ttl      time.Duration
	maxLists int
	maxBytes int
}

// Lists returns the list store: records live ttl (bot.ListRetention), at most
// maxLists of them, each at most maxBytes (0: state.DefaultMaxListBytes).
func (s *Store) Lists(ttl time.Duration, maxLists, maxBytes int) *Lists {
	if maxBytes <= 0 {
		maxBytes = state.DefaultMaxListBytes
	}
	return &Lists{s: s, ttl: ttl, maxLists: max(maxLists, 1), maxBytes: maxBytes}
}

var (
	// putListScript: KEYS[1] the record, KEYS[2] the index; ARGV: data,
	// ttl ms, max lists, id, the record key's prefix. Creates version 1,
	// then forgets expired and excess lists from the index's front.
	putListScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
redis.call('HSET', KEYS[1], 'v', 1, 'd', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[2], now, ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[2]))
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[3])
if over > 0 then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, over - 1)) do
    redis.call('DEL', ARGV[5] .. id)
    redis.call('ZREM', KEYS[2], id)
  end
end
return 1
`)
	// updateListScript: compare the version, then replace the data and
	// bump it (the hash keeps its TTL).
	updateListScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return -1 end
if v ~= ARGV[1] then return -2 end
redis.call('HSET', KEYS[1], 'v', tonumber(v) + 1, 'd', ARGV[2])
return tonumber(v) + 1
`)
)

func (l *Lists) key(id string) string { return l.s.key("list", id) }

// Put stores a new list as version 1. ErrConflict: id is taken.
func (l *Lists) Put(ctx context.Context, id string, data []byte) error {
	if len(data) > l.maxBytes {
		return ErrTooLarge
	}
	ctx, cancel := l.s.op(ctx)
	defer cancel()
	n, err := putListScript.Run(ctx, l.s.rdb, []string{l.key(id), l.s.key("lists")},
		data, ms(l.ttl), l.maxLists, id, l.s.key("list", "")).Int64()
	if err != nil {
		return l.s.wrap("list put", err)
	}
	if n == -1 {
		return ErrConflict
	}
	return nil
}

// Get returns the list's data and version. ErrNotFound: never posted,
// expired, or evicted (the user is told the list is no longer active).
func (l *Lists) Get(ctx context.Context, id string) (data []byte, version int64, err error) {
	ctx, cancel := l.s.op(ctx)
	defer cancel()
	vs, err := l.s.rdb.HMGet(ctx, l.key(id), "v", "d").Result()
	if err != nil {
		return nil, 0, l.s.wrap("list get", err)
	}
	v, ok1 := vs[0].(string)
	d, ok2 := vs[1].(string)
	if !ok1 || !ok2 {
		return nil, 0, ErrNotFound
	}
	version, err = strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, 0, ErrNotFound
	}
	return []byte(d), version, nil
}

// Update replaces the list's data if it is still at version, and returns
// the new version. ErrConflict: someone updated it since; read it again.
func (l *Lists) Update(ctx context.Context, id string, version int64, data []byte) (int64, error) {
	if len(data) > l.maxBytes {
		return 0, ErrTooLarge
	}
	ctx, cancel := l.s.op(ctx)
	defer cancel()
	n, err := updateListScript.Run(ctx, l.s.rdb, []string{l.key(id)}, strconv.FormatInt(version, 10), data).Int64()
	switch {
	case err != nil:
		return 0, l.s.wrap("list update", err)
	case n == -1:
		return 0, ErrNotFound
	case n == -2:
		return 0, ErrConflict
	}
	return n, nil
}

// Modify reads the list, applies fn and writes the result, again from the
// start when another writer got in between. fn may run several times and
// must not have side effects.
func (l *Lists) Modify(ctx context.Context, id string, fn func(data []byte) ([]byte, error)) ([]byte, error) {
	return state.Modify(ctx, l, id, fn)
}

// Delete forgets a list (one that could not be posted).
func (l *Lists) Delete(ctx context.Context, id string) error {
	ctx, cancel := l.s.op(ctx)
	defer cancel()
	_, err := l.s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, l.key(id))
		p.ZRem(ctx, l.s.key("lists"), id)
		return nil
	})
	return l.s.wrap("list delete", err)
}

// Count is how many lists are kept.
func (l *Lists) Count(ctx context.Context) (int64, error) {
	ctx, cancel := l.s.op(ctx)
	defer cancel()
	n, err := l.s.rdb.ZCard(ctx, l.s.key("lists")).Result()
	return n, l.s.wrap("list count", err)
}
