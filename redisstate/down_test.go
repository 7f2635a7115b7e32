package redisstate_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kickbot/kickbot/internal/redistest"
	"github.com/kickbot/kickbot/redisstate"
)

// TestRedisDown stops the server mid-test: every call must come back with
// an error matching ErrUnavailable, at once (within the store's own
// timeouts), never a silent success or a hang.
func TestRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	rs := replicasOn(t, srv.URL(), 2, redisstate.WithOpTimeout(300*time.Millisecond))
	a, b := rs[0], rs[1]

	own, err := a.Claims(time.Minute).Take(ctx(t), "c", "p", "UALICE")
	if err != nil || !own.Mine {
		t.Fatal(own, err)
	}
	theirs, err := b.Claims(time.Minute).Take(ctx(t), "c", "p", "UBOB")
	if err != nil || theirs.Mine {
		t.Fatal(theirs, err)
	}
	// B is waiting for A's result when Redis goes away.
	waitErr := make(chan error, 1)
	go func() { _, err := b.Claims(time.Minute).Wait(ctx(t), theirs); waitErr <- err }()

	srv.Stop()

	var swallowed []error
	dd := a.Deduper(time.Minute, func(err error) { swallowed = append(swallowed, err) })
	if _, ok, _ := b.Leases("watch").Acquire(context.Background(), "x", "b", time.Minute); ok {
		t.Fatal("acquired a lease from a stopped server")
	}

	calls := map[string]func() error{
		"ping":   func() error { return a.Ping(context.Background()) },
		"dedupe": func() error { _, err := dd.Seen(context.Background(), "Ev1"); return err },
		"rate":   func() error { _, _, err := a.Limiter("commands", 30).Allow(context.Background(), "U1"); return err },
		"claim":  func() error { _, err := a.Claims(time.Minute).Take(context.Background(), "c", "q", "U1"); return err },
		"release": func() error {
			return a.Claims(time.Minute).Release(context.Background(), own, []byte("r"))
		},
		"claim wait": func() error { return <-waitErr },
		"list get":   func() error { _, _, err := a.Lists(time.Hour, 10, 0).Get(context.Background(), "L"); return err },
		"list put":   func() error { return a.Lists(time.Hour, 10, 0).Put(context.Background(), "L", []byte("x")) },
		"click": func() error {
			_, _, err := a.Clicks(time.Hour).Claim(context.Background(), "k", "U", time.Now(), time.Now())
			return err
		},
		"timer schedule": func() error {
			return a.Timers("unlock", time.Minute).Schedule(context.Background(), "m", time.Now(), nil)
		},
		"timer due": func() error {
			_, err := a.Timers("unlock", time.Minute).Due(context.Background(), time.Now(), 1)
			return err
		},
		"token renew": func() error {
			_, err := a.Tokens().Renew(context.Background(), "c", "a", func(redisstate.Token) bool { return true },
				func(context.Context, redisstate.Token) (redisstate.Token, error) {
					return redisstate.Token{}, errors.New("fetch must not run without the store")
				})
			return err
		},
		"lease": func() error {
			_, _, err := a.Leases("watch").Acquire(context.Background(), "m", "a", time.Minute)
			return err
		},
		"slack hold": func() error { return a.Slack().Hold(context.Background(), "C1", time.Second) },
		"slack take": func() error { _, err := a.Slack().Take(context.Background(), "C1", time.Second, 1); return err },
	}
	for name, call := range calls {
		done := make(chan error, 1)
		go func() { done <- call() }()
		select {
		case err := <-done:
			if !errors.Is(err, redisstate.ErrUnavailable) {
				t.Errorf("%s with Redis down: %v, want ErrUnavailable", name, err)
			}
		case <-time.After(20 * time.Second): // a hang detector, not a speed check
			t.Fatalf("%s with Redis down did not return", name)
		}
	}
	// FirstTime lets the envelope through (its claim fails closed) and
	// says so.
	if !dd.FirstTime("Ev2") || len(swallowed) != 1 || !errors.Is(swallowed[0], redisstate.ErrUnavailable) {
		t.Fatalf("FirstTime with Redis down: swallowed %v", swallowed)
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// TestRedisBack: after an outage the same Store works again once Redis is
// back, without reopening it (kickbot need not restart).
func TestRedisBack(t *testing.T) {
	srv := redistest.Start(t)
	s := replicasOn(t, srv.URL(), 1, redisstate.WithOpTimeout(300*time.Millisecond))[0]
	srv.Stop()
	if err := s.Ping(context.Background()); !errors.Is(err, redisstate.ErrUnavailable) {
		t.Fatalf("ping with Redis down: %v", err)
	}
	srv.Restart(t)
	deadline := time.Now().Add(10 * time.Second)
	for d := time.Millisecond; s.Ping(context.Background()) != nil; d = min(2*d, 100*time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the store did not reconnect within 10s of Redis coming back")
		}
		time.Sleep(d)
	}
	if first, err := s.Deduper(time.Minute, nil).Seen(context.Background(), "Ev1"); err != nil || !first {
		t.Fatalf("a call after Redis came back: %v %v", first, err)
	}
}
