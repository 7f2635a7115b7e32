package statetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kickbot/kickbot/state"
)

func testDedupeOneWinnerAcrossReplicas(t *testing.T, newReplicas NewReplicas) {
	rs := newReplicas(t, 2)
	a, b := rs[0].Deduper(time.Minute), rs[1].Deduper(time.Minute)
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

func testRateLimitShared(t *testing.T, newReplicas NewReplicas) {
	rs := newReplicas(t, 2)
	a, b := rs[0].Limiter("commands", 3), rs[1].Limiter("commands", 3)
	for i, l := range []Limiter{a, b, a} {
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

func testClaimWaiterOnOtherReplicaGetsOwnersResult(t *testing.T, newReplicas NewReplicas) {
	rs := newReplicas(t, 2)
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
	if err := a.Extend(ctx(t), own, time.Minute); err != nil {
		t.Fatalf("owner's extend: %v", err)
	}
	if err := b.Extend(ctx(t), theirs, time.Minute); err == nil {
		t.Fatalf("a waiter extended the owner's claim: %v", err)
	}
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

func testClaimOwnerGoneWithoutResult(t *testing.T, newReplicas NewReplicas) {
	rs := newReplicas(t, 2)
	a, b := rs[0].Claims(50*time.Millisecond), rs[1].Claims(time.Minute)
	own, err := a.Take(ctx(t), "c", "p", "UALICE")
	if err != nil || !own.Mine {
		t.Fatal(own, err)
	}
	theirs, err := b.Take(ctx(t), "c", "p", "UBOB")
	if err != nil || theirs.Mine {
		t.Fatal(theirs, err)
	}
	// A hangs: its claim lapses, and B must not wait for ever.
	if _, err := b.Wait(ctx(t), theirs); !errors.Is(err, state.ErrNoResult) {
		t.Fatalf("wait on a dead owner: %v, want ErrNoResult", err)
	}
	// A, back, learns its claim is gone rather than extending it.
	if err := a.Extend(ctx(t), own, time.Minute); !errors.Is(err, state.ErrLeaseLost) {
		t.Fatalf("extend of a lapsed claim: %v, want ErrLeaseLost", err)
	}
}

func testListWrittenByAUpdatedByBWithConflicts(t *testing.T, newReplicas NewReplicas) {
	rs := newReplicas(t, 2)
	a, b := rs[0].Lists(24*time.Hour, 100, 0), rs[1].Lists(24*time.Hour, 100, 0)
	if err := a.Put(ctx(t), "L1", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx(t), "L1", []byte("other")); !errors.Is(err, state.ErrConflict) {
		t.Fatalf("second Put of one id: %v, want ErrConflict", err)
	}
	data, v, err := b.Get(ctx(t), "L1")
	if err != nil || string(data) != "v1" || v != 1 {
		t.Fatalf("B reads %q v%d %v, want v1 v1", data, v, err)
	}
	if _, err := a.Update(ctx(t), "L1", v, []byte("by A")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Update(ctx(t), "L1", v, []byte("by B")); !errors.Is(err, state.ErrConflict) {
		t.Fatalf("B's update on a stale version: %v, want ErrConflict", err)
	}
	// Modify retries: 10 writers on two replicas each append once.
	var wg sync.WaitGroup
	for i := range 10 {
		l := []Lists{a, b}[i%2]
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
	if _, _, err := b.Get(ctx(t), "nope"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("Get of an unknown list: %v", err)
	}
}

func testListsBounded(t *testing.T, newReplicas NewReplicas) {
	rs := newReplicas(t, 1)
	l := rs[0].Lists(24*time.Hour, 3, 16)
	if err := l.Put(ctx(t), "big", bytes.Repeat([]byte("x"), 17)); !errors.Is(err, state.ErrTooLarge) {
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
	if _, _, err := l.Get(ctx(t), "L0"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("oldest list: %v, want evicted", err)
	}
	if _, _, err := l.Get(ctx(t), "L4"); err != nil {
		t.Fatalf("newest list: %v", err)
	}
}

func testClickClaimsAcrossReplicas(t *testing.T, newReplicas NewReplicas) {
	rs := newReplicas(t, 2)
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

func testTimerFiresOnceWhenSchedulerIsGone(t *testing.T, newReplicas NewReplicas) {
	rs := newReplicas(t, 3)
	t0 := time.Now()
	due := t0.Add(10 * time.Minute)
	a := rs[0].Timers("unlock", time.Minute)
	if err := a.Schedule(ctx(t), "914083136", due, []byte(`{"by":"UALICE"}`)); err != nil {
		t.Fatal(err)
	}
	_ = rs[0].Close() // A is gone

	pollers := []Timers{rs[1].Timers("unlock", time.Minute), rs[2].Timers("unlock", time.Minute)}
	// Before it is due, nobody takes it.
	if got, err := pollers[0].Due(ctx(t), due.Add(-time.Second), 10); err != nil || len(got) != 0 {
		t.Fatalf("before due: %v %v", got, err)
	}

	// B and C poll with a clock past the due time; each counts its polls,
	// so the test knows both have looked again after the fire.
	var fired atomic.Int32
	var polls [2]atomic.Int32
	var payload atomic.Value
	pctx, cancel := context.WithCancel(ctx(t))
	var wg sync.WaitGroup
	for i, p := range pollers {
		wg.Go(func() {
			p.Poll(pctx, time.Millisecond, func() time.Time { polls[i].Add(1); return due.Add(time.Second) },
				func(_ context.Context, tm state.Timer) {
					fired.Add(1)
					payload.Store(string(tm.Payload))
				}, func(err error) { t.Error(err) })
		})
	}
	eventually(t, "the timer fired", func() bool { return fired.Load() > 0 })
	b0, c0 := polls[0].Load(), polls[1].Load()
	eventually(t, "both pollers polled again", func() bool { return polls[0].Load() > b0+2 && polls[1].Load() > c0+2 })
	cancel()
	wg.Wait()
	if n := fired.Load(); n != 1 {
		t.Fatalf("fired %d times, want once", n)
	}
	if p := payload.Load(); p != `{"by":"UALICE"}` {
		t.Fatalf("payload %v", p)
	}
	if left, _ := pollers[0].Pending(ctx(t)); len(left) != 0 {
		t.Fatalf("still pending after firing: %v", left)
	}
}

func testTimerRaceManyPollers(t *testing.T, newReplicas NewReplicas) {
	rs := newReplicas(t, 2)
	now := time.Now()
	a, b := rs[0].Timers("unlock", time.Minute), rs[1].Timers("unlock", time.Minute)
	for i := range 50 {
		if err := a.Schedule(ctx(t), fmt.Sprint("c", i), now, nil); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for i := range 8 {
		tm := []Timers{a, b}[i%2]
		wg.Go(func() {
			for {
				got, err := tm.Due(ctx(t), now, 3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, x := range got {
					seen[x.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 50 {
		t.Fatalf("%d timers taken, want 50", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("timer %s taken %d times", id, n)
		}
	}
}

func testTimerRetakenWhenFirerDies(t *testing.T, newReplicas NewReplicas) {
	rs := newReplicas(t, 2)
	now := time.Now()
	b, c := rs[0].Timers("unlock", time.Minute), rs[1].Timers("unlock", time.Minute)
	if err := b.Schedule(ctx(t), "m1", now, []byte("x")); err != nil {
		t.Fatal(err)
	}
	got, _ := b.Due(ctx(t), now, 10)
	if len(got) != 1 {
		t.Fatalf("B took %d", len(got))
	}
	// B dies before Done. Within its lease nobody else fires it...
	if again, _ := c.Due(ctx(t), now.Add(30*time.Second), 10); len(again) != 0 {
		t.Fatalf("C took a timer B is firing: %v", again)
	}
	// ...after it, C does.
	again, _ := c.Due(ctx(t), now.Add(61*time.Second), 10)
	if len(again) != 1 || string(again[0].Payload) != "x" {
		t.Fatalf("after B's lease lapsed C took %v, want the timer", again)
	}
	if err := c.Done(ctx(t), again[0]); err != nil {
		t.Fatal(err)
	}
	if more, _ := c.Due(ctx(t), now.Add(time.Hour), 10); len(more) != 0 {
		t.Fatalf("a done timer came back: %v", more)
	}
}

func testTimerCancelAndReplace(t *testing.T, newReplicas NewReplicas) {
	rs := newReplicas(t, 1)
	tm := rs[0].Timers("unlock", time.Minute)
	now := time.Now()
	_ = tm.Schedule(ctx(t), "m1", now.Add(time.Minute), []byte("old"))
	_ = tm.Schedule(ctx(t), "m1", now.Add(2*time.Minute), []byte("new"))
	if got, _ := tm.Due(ctx(t), now.Add(90*time.Second), 10); len(got) != 0 {
		t.Fatalf("the replaced timer fired: %v", got)
	}
	p, _ := tm.Pending(ctx(t))
	if len(p) != 1 || string(p[0].Payload) != "new" {
		t.Fatalf("pending %v, want the new one", p)
	}
	if ok, err := tm.Cancel(ctx(t), "m1"); !ok || err != nil {
		t.Fatalf("cancel: %v %v", ok, err)
	}
	if got, _ := tm.Due(ctx(t), now.Add(time.Hour), 10); len(got) != 0 {
		t.Fatalf("a cancelled timer fired: %v", got)
	}
}

func testTokenRenewedByOneReplicaAtATime(t *testing.T, newReplicas NewReplicas) {
	rs := newReplicas(t, 2)
	tokens := []Tokens{rs[0].Tokens(), rs[1].Tokens()}
	const callers = 20
	var entered sync.WaitGroup
	entered.Add(callers)
	var fetches atomic.Int32
	fresh := func(tok state.Token) bool { return time.Until(tok.Expires) > 5*time.Minute }
	fetch := func(fctx context.Context, cur state.Token) (state.Token, error) {
		if fetches.Add(1) > 1 {
			return state.Token{}, errors.New("a second fetch ran")
		}
		// Hold the lock until every caller is in Renew, so they all meet it.
		done := make(chan struct{})
		go func() { entered.Wait(); close(done) }()
		select {
		case <-done:
		case <-fctx.Done():
			return state.Token{}, fctx.Err()
		}
		return state.Token{Value: "ctok-1", Expires: time.Now().Add(30 * time.Minute)}, nil
	}
	var wg sync.WaitGroup
	got := make([]string, callers)
	for i := range callers {
		wg.Go(func() {
			entered.Done()
			tok, err := tokens[i%2].Renew(ctx(t), "914083136", fmt.Sprint("replica-", i%2), fresh, fetch)
			if err != nil {
				t.Error(err)
			}
			got[i] = tok.Value
		})
	}
	wg.Wait()
	if n := fetches.Load(); n != 1 {
		t.Fatalf("%d fetches, want 1", n)
	}
	for i, v := range got {
		if v != "ctok-1" {
			t.Fatalf("caller %d got %q", i, v)
		}
	}
	// Due for renewal: the next caller keeps the current one alive.
	var kept string
	tok, err := tokens[1].Renew(ctx(t), "914083136", "replica-1",
		func(state.Token) bool { return kept != "" },
		func(_ context.Context, cur state.Token) (state.Token, error) {
			kept = cur.Value
			return state.Token{Value: "ctok-2", Expires: time.Now().Add(30 * time.Minute)}, nil
		})
	if err != nil || tok.Value != "ctok-2" || kept != "ctok-1" {
		t.Fatalf("renewal: %q %v, kept %q", tok.Value, err, kept)
	}
	// A refused token is dropped, unless it was replaced already.
	_ = tokens[0].Drop(ctx(t), "914083136", "ctok-1")
	if cur, ok, _ := tokens[0].Get(ctx(t), "914083136"); !ok || cur.Value != "ctok-2" {
		t.Fatalf("dropping an old token removed the new one: %v %v", cur, ok)
	}
	_ = tokens[0].Drop(ctx(t), "914083136", "ctok-2")
	if _, ok, _ := tokens[1].Get(ctx(t), "914083136"); ok {
		t.Fatal("a dropped token is still cached")
	}
}

func testWatcherLeaseTakenOverWhenLapsed(t *testing.T, newReplicas NewReplicas) {
	rs := newReplicas(t, 2)
	a, b := rs[0].Leases("watch"), rs[1].Leases("watch")
	la, ok, err := a.Acquire(ctx(t), "914083136", "replica-a", 100*time.Millisecond)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if _, ok, err := b.Acquire(ctx(t), "914083136", "replica-b", time.Minute); err != nil || ok {
		t.Fatalf("B acquired a held lease: %v", err)
	}
	if holder, _ := b.Holder(ctx(t), "914083136"); holder != "replica-a" {
		t.Fatalf("holder %q, want replica-a", holder)
	}
	if err := a.Renew(ctx(t), la, 100*time.Millisecond); err != nil {
		t.Fatalf("renew while held: %v", err)
	}
	// A stops renewing (it hangs, or died): B takes over once it lapses.
	var lb state.Lease
	eventually(t, "B takes the lapsed lease", func() bool {
		lb, ok, err = b.Acquire(ctx(t), "914083136", "replica-b", time.Minute)
		return err == nil && ok
	})
	if err := a.Renew(ctx(t), la, time.Minute); !errors.Is(err, state.ErrLeaseLost) {
		t.Fatalf("A's renew after takeover: %v, want ErrLeaseLost", err)
	}
	_ = a.Release(ctx(t), la) // must not free B's lease
	if h, _ := a.Holder(ctx(t), "914083136"); h != "replica-b" {
		t.Fatalf("holder after A's late release: %q", h)
	}
	_ = b.Release(ctx(t), lb)
	if h, _ := a.Holder(ctx(t), "914083136"); h != "" {
		t.Fatalf("holder after release: %q", h)
	}
}

func testRetryAfterSetByAHoldsB(t *testing.T, newReplicas NewReplicas) {
	rs := newReplicas(t, 2)
	a, b := rs[0].Slack(), rs[1].Slack()
	if w, err := b.Take(ctx(t), "C123", time.Second, 1); err != nil || w != 0 {
		t.Fatalf("first post: wait %v %v", w, err)
	}
	if err := a.Hold(ctx(t), "C123", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	_ = b.Hold(ctx(t), "C123", time.Second) // a shorter Retry-After does not cut it short
	w, err := b.Take(ctx(t), "C123", time.Second, 1)
	if err != nil || w <= 20*time.Second || w > 30*time.Second {
		t.Fatalf("B's wait under A's Retry-After: %v %v, want about 30s", w, err)
	}
	if w, _ := b.Take(ctx(t), "C999", time.Second, 1); w != 0 {
		t.Fatalf("another channel waits %v", w)
	}
	// The chat.update budget is one for both.
	for i, s := range []Slack{a, b} {
		if w, _ := s.Take(ctx(t), "chat.update", time.Minute, 1); (w == 0) != (i == 0) {
			t.Fatalf("replica %d: wait %v", i, w)
		}
	}
	if d, _ := a.Delay(ctx(t), "chat.update", time.Minute, 1); d <= 0 {
		t.Fatalf("Delay after the budget was spent: %v", d)
	}
}
