// Package memstate is the in-memory backend of kickbot's shared state: the
// default when REDIS_URL is unset, for one replica. It has the method sets
// of redisstate's types, so a consumer (bot, commands, meeting) owns one
// interface and either backend satisfies it; values and errors are package
// state's. It never fails: its calls return nil errors.
package memstate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// sweepEvery: after this many writes the store drops expired entries, so
// memory is bounded by what is live within the TTLs (as with Redis).
const sweepEvery = 1024

// Store is one replica's state. It is safe for concurrent use.
type Store struct {
	now func() time.Time

	mu     sync.Mutex
	kv     map[string]*item
	writes int
	lists  listIndex
}

type item struct {
	v   any
	exp time.Time // zero: never
}

// Option configures New.
type Option func(*Store)

// WithClock sets the store's clock (tests move time by hand).
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// New returns an empty store.
func New(opts ...Option) *Store {
	s := &Store{now: time.Now, kv: make(map[string]*item)}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Ping always answers: memory is there.
func (s *Store) Ping(context.Context) error { return nil }

// Name is how /readyz names this backend.
func (s *Store) Name() string { return "memory" }

// Close does nothing; it is here so both backends close alike.
func (s *Store) Close() error { return nil }

// getLocked returns key's live value, dropping it if it expired.
func (s *Store) getLocked(key string, now time.Time) (any, bool) {
	it, ok := s.kv[key]
	if !ok {
		return nil, false
	}
	if !it.exp.IsZero() && !now.Before(it.exp) {
		delete(s.kv, key)
		return nil, false
	}
	return it.v, true
}

// setLocked stores v under key until exp (zero: no expiry).
func (s *Store) setLocked(key string, v any, exp time.Time) {
	s.kv[key] = &item{v: v, exp: exp}
	if s.writes++; s.writes >= sweepEvery {
		s.writes = 0
		now := s.now()
		for k, it := range s.kv {
			if !it.exp.IsZero() && !now.Before(it.exp) {
				delete(s.kv, k)
			}
		}
	}
}

// ttlLocked is how long key lives (0 when absent or expired).
func (s *Store) ttlLocked(key string, now time.Time) time.Duration {
	if _, ok := s.getLocked(key, now); !ok {
		return 0
	}
	if it := s.kv[key]; !it.exp.IsZero() {
		return it.exp.Sub(now)
	}
	return time.Duration(1<<63 - 1)
}

func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
