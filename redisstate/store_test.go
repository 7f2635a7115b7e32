package redisstate_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

func TestDedupeOneWinnerAcrossReplicas(t *testing.T) {
	rs := replicas(t, 2)
	a, b := rs[0].Deduper(time.Minute, nil), rs[1].Deduper(time.Minute, nil)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		d := a
		if i%2 == 1 {
			d = b
		}
		wg.Go(func() {
			if d.FirstTime("Ev0123") {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if got := wins.Load(); got != 1 {
		t.Fatalf("FirstTime answered true %d times across two replicas, want 1", got)
	}
	if !b.FirstTime("Ev0456") {
		t.Fatal("a new key was not first")
	}
}

func TestRateLimitShared(t *testing.T) {
	rs := replicas(t, 2)
	a, b := rs[0].Limiter("commands", 3), rs[1].Limiter("commands", 3)
	for i, l := range []*redisstate.Limiter{a, b, a} {
		if ok, _, err := l.Allow(ctx(t), "U1"); err != nil || !ok {
			t.Fatalf("call %d: ok=%v err=%v, want allowed (burst 3)", i+1, ok, err)
		}
	}
	ok, retry, err := b.Allow(ctx(t), "U1")
	if err != nil || ok {
		t.Fatalf("4th call on the other replica: ok=%v err=%v, want refused", ok, err)
	}
	if retry <= 0 || retry > 20*time.Second {
		t.Fatalf("retry in %v, want (0, 20s] for 3 a minute", retry)
	}
	if ok, _, _ := b.Allow(ctx(t), "U2"); !ok {
		t.Fatal("another user was refused")
	}
}

func TestClaimWaiterOnOtherReplicaGetsOwnersResult(t *testing.T) {
	rs := replicas(t, 2)
	a, b := rs[0].Claims(time.Minute), rs[1].Claims(time.Minute)
	own, err := a.Take(ctx(t), "914083136", "p1", "UALICE")
	if err != nil || !own.Mine {
		t.Fatalf("A's take: %+v %v", own, err)
	}
	theirs, err := b.Take(ctx(t), "914083136", "p1", "UBOB")
	if err != nil || theirs.Mine {
		t.Fatalf("B's take: %+v %v, want A's claim", theirs, err)
	}
	if theirs.Actor != "UALICE" {
		t.Fatalf("B sees the claim as %q's, want UALICE", theirs.Actor)
	}
	type res struct {
		b   []byte
		err error
	}
	got := make(chan res, 1)
	go func() { r, err := b.Wait(ctx(t), theirs); got <- res{r, err} }()
	if err := a.Release(ctx(t), own, []byte(`{"result":"disconnected"}`)); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if r.err != nil || string(r.b) != `{"result":"disconnected"}` {
		t.Fatalf("B's wait: %q %v, want A's result", r.b, r.err)
	}
	// Released: the next kick of the same person claims afresh.
	again, err := b.Take(ctx(t), "914083136", "p1", "UBOB")
	if err != nil || !again.Mine {
		t.Fatalf("take after release: %+v %v", again, err)
	}
}

func TestClaimOwnerGoneWithoutResult(t *testing.T) {
	rs := replicas(t, 2)
	a, b := rs[0].Claims(50*time.Millisecond), rs[1].Claims(time.Minute)
	if own, err := a.Take(ctx(t), "c", "p", "UALICE"); err != nil || !own.Mine {
		t.Fatal(own, err)
	}
	theirs, err := b.Take(ctx(t), "c", "p", "UBOB")
	if err != nil || theirs.Mine {
		t.Fatal(theirs, err)
	}
	// A dies: its claim lapses, and B must not wait for ever.
	if _, err := b.Wait(ctx(t), theirs); !errors.Is(err, redisstate.ErrNoResult) {
		t.Fatalf("wait on a dead owner: %v, want ErrNoResult", err)
	}
}

func TestListWrittenByAUpdatedByBWithConflicts(t *testing.T) {
	rs := replicas(t, 2)
	a, b := rs[0].Lists(redisstate.ListRetention, 100, 0), rs[1].Lists(redisstate.ListRetention, 100, 0)
	if err := a.Put(ctx(t), "L1", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx(t), "L1", []byte("other")); !errors.Is(err, redisstate.ErrConflict) {
		t.Fatalf("second Put of one id: %v, want ErrConflict", err)
	}
	data, v, err := b.Get(ctx(t), "L1")
	if err != nil || string(data) != "v1" || v != 1 {
		t.Fatalf("B reads %q v%d %v, want v1 v1", data, v, err)
	}
	if _, err := a.Update(ctx(t), "L1", v, []byte("by A")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Update(ctx(t), "L1", v, []byte("by B")); !errors.Is(err, redisstate.ErrConflict) {
		t.Fatalf("B's update on a stale version: %v, want ErrConflict", err)
	}
	// Modify retries: 10 writers on two replicas each append once.
	var wg sync.WaitGroup
	for i := range 10 {
		l := []*redisstate.Lists{a, b}[i%2]
		wg.Go(func() {
			if _, err := l.Modify(ctx(t), "L1", func(d []byte) ([]byte, error) {
				return append(bytes.Clone(d), fmt.Sprint(i%10)...), nil
			}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	data, v, _ = a.Get(ctx(t), "L1")
	if len(data) != len("by A")+10 || v != 12 {
		t.Fatalf("after 10 concurrent modifies: %q v%d, want 10 digits appended, v12", data, v)
	}
	if _, _, err := b.Get(ctx(t), "nope"); !errors.Is(err, redisstate.ErrNotFound) {
		t.Fatalf("Get of an unknown list: %v", err)
	}
}

func TestListsBounded(t *testing.T) {
	rs := replicas(t, 1)
	l := rs[0].Lists(redisstate.ListRetention, 3, 16)
	if err := l.Put(ctx(t), "big", bytes.Repeat([]byte("x"), 17)); !errors.Is(err, redisstate.ErrTooLarge) {
		t.Fatalf("oversize Put: %v", err)
	}
	for i := range 5 {
		if err := l.Put(ctx(t), fmt.Sprint("L", i), []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := l.Count(ctx(t)); n != 3 {
		t.Fatalf("kept %d lists, want 3", n)
	}
	if _, _, err := l.Get(ctx(t), "L0"); !errors.Is(err, redisstate.ErrNotFound) {
		t.Fatalf("oldest list: %v, want evicted", err)
	}
	if _, _, err := l.Get(ctx(t), "L4"); err != nil {
		t.Fatalf("newest list: %v", err)
	}
}

func TestClickClaimsAcrossReplicas(t *testing.T) {
	rs := replicas(t, 2)
	a, b := rs[0].Clicks(time.Hour), rs[1].Clicks(time.Hour)
	t0 := time.UnixMilli(1_700_000_000_000)
	if _, ok, err := a.Claim(ctx(t), "L1/p1", "UALICE", t0, t0); err != nil || !ok {
		t.Fatal(ok, err)
	}
	c, ok, err := b.Claim(ctx(t), "L1/p1", "UBOB", t0, t0.Add(time.Second))
	if err != nil || ok || c.User != "UALICE" || c.Done {
		t.Fatalf("B's click: %+v ok=%v %v, want Alice's running claim", c, ok, err)
	}
	if err := a.Finish(ctx(t), "L1/p1", "UALICE", true, t0.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	c, ok, _ = b.Claim(ctx(t), "L1/p1", "UBOB", t0, t0.Add(3*time.Second))
	if ok || !c.Done || !c.At.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("click on the old roster: %+v ok=%v, want Alice's finished claim", c, ok)
	}
	// After a Refresh read later, the person (rejoined) may be kicked again.
	if _, ok, _ := b.Claim(ctx(t), "L1/p1", "UBOB", t0.Add(4*time.Second), t0.Add(5*time.Second)); !ok {
		t.Fatal("click on a roster read after the finish was refused")
	}
	// A failed attempt frees the claim.
	if err := b.Finish(ctx(t), "L1/p1", "UBOB", false, t0); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := a.Claim(ctx(t), "L1/p1", "UALICE", t0, t0); !ok {
		t.Fatal("claim after a failed attempt was refused")
	}
}
