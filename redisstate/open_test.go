package redisstate_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kickbot/kickbot/internal/redistest"
	"github.com/kickbot/kickbot/redisstate"
)

func TestOpenRedactsPassword(t *testing.T) {
	_, err := redisstate.Open("redis://user:hunter2@127.0.0.1:6379/notadb")
	if err == nil {
		t.Fatal("Open accepted a bad database number")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error leaks the password: %v", err)
	}
	if _, err := redisstate.Open("rediss://:pw@redis.example:6380/2"); err != nil {
		t.Fatalf("rediss URL with password: %v", err)
	}
}

// TestTLSWithPassword connects over rediss:// with a password, as a managed
// Redis is reached, and checks a wrong password is refused.
func TestTLSWithPassword(t *testing.T) {
	srv := redistest.Start(t, redistest.TLS(), redistest.Password("s3cret"))
	s, err := redisstate.Open(srv.URL(), redisstate.WithRootCAs(srv.RootCAs()), redisstate.WithPrefix(redistest.Prefix(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("ping over TLS with the password: %v", err)
	}
	if first, err := s.Deduper(time.Minute, nil).Seen(context.Background(), "Ev1"); err != nil || !first {
		t.Fatalf("a call over TLS: %v %v", first, err)
	}

	wrong, err := redisstate.Open(strings.Replace(srv.URL(), "s3cret", "wrong", 1), redisstate.WithRootCAs(srv.RootCAs()))
	if err != nil {
		t.Fatal(err)
	}
	defer wrong.Close()
	err = wrong.Ping(context.Background())
	if !errors.Is(err, redisstate.ErrUnavailable) || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("wrong password: %v, want ErrUnavailable without the password", err)
	}
	untrusted, err := redisstate.Open(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer untrusted.Close()
	if err := untrusted.Ping(context.Background()); !errors.Is(err, redisstate.ErrUnavailable) {
		t.Fatalf("a certificate nobody trusts: %v, want refused", err)
	}
}
