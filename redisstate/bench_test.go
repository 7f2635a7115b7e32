package redisstate_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kickbot/kickbot/internal/redistest"
	"github.com/kickbot/kickbot/redisstate"
)

// The round trips a command or click adds when state is shared: the dedupe
// before the ack, the claim around a disconnect, a list read and CAS
// update. Figures: BENCHMARKS.md.

func benchStore(b *testing.B) *redisstate.Store {
	s, err := redisstate.Open(redistest.URL(b), redisstate.WithPrefix(redistest.Prefix(b)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

func BenchmarkDedupeSeen(b *testing.B) {
	d := benchStore(b).Deduper(time.Minute, nil)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		if _, err := d.Seen(ctx, fmt.Sprint("Ev", i)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkClaimTakeRelease(b *testing.B) {
	c := benchStore(b).Claims(time.Minute)
	ctx := context.Background()
	for b.Loop() {
		cl, err := c.Take(ctx, "914083136", "p1", "U1")
		if err != nil || !cl.Mine {
			b.Fatal(cl, err)
		}
		if err := c.Release(ctx, cl, []byte("done")); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkListGetUpdate(b *testing.B) {
	l := benchStore(b).Lists(24*time.Hour, 100, 0)
	ctx := context.Background()
	data := make([]byte, 20<<10) // a 50-person list
	if err := l.Put(ctx, "L", data); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		d, v, err := l.Get(ctx, "L")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := l.Update(ctx, "L", v, d); err != nil {
			b.Fatal(err)
		}
	}
}
