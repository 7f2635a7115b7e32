package redisstate_test

import (
	"context"
	"testing"

	"go.uber.org/goleak"

	"github.com/kickbot/kickbot/internal/redistest"
	"github.com/kickbot/kickbot/redisstate"
)

func TestMain(m *testing.M) {
	// After enough failed dials (TestRedisDown) go-redis's pool starts a
	// prober that sleeps a second between dials and ends on its next wake
	// after Close: the library's goroutine, owned by the closed pool.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).tryDial"))
}

// replicas opens n stores ("replicas") on one Redis with one prefix, as n
// kickbot processes of one app would.
func replicas(t *testing.T, n int, opts ...redisstate.Option) []*redisstate.Store {
	t.Helper()
	return replicasOn(t, redistest.URL(t), n, opts...)
}

func replicasOn(t *testing.T, url string, n int, opts ...redisstate.Option) []*redisstate.Store {
	t.Helper()
	prefix := redistest.Prefix(t)
	var out []*redisstate.Store
	for range n {
		s, err := redisstate.Open(url, append([]redisstate.Option{redisstate.WithPrefix(prefix)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		if err := s.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}
