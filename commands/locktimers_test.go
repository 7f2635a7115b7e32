package commands_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/commands/commandstest"
	"github.com/kickbot/kickbot/internal/redistest"
	"github.com/kickbot/kickbot/meeting/meetingtest"
	"github.com/kickbot/kickbot/memstate"
	"github.com/kickbot/kickbot/redisstate"
	"github.com/kickbot/kickbot/state"
)

// Durable auto-unlock timers (issue 15): a lock set through one replica
// unlocks once, on time, through another, after the first is gone. The
// replicas share a hand-moved clock: Advance runs every poll round that
// falls due, so when it returns, whatever was due has been fired.

var timerBackends = []struct {
	name string
	open func(t *testing.T, n int) []commands.TimerStore
}{
	{"memstate", func(t *testing.T, n int) []commands.TimerStore {
		s := memstate.New()
		out := make([]commands.TimerStore, n)
		for i := range out {
			out[i] = s.Timers("unlock", redisstate.DefaultFireLease)
		}
		return out
	}},
	{"redis", func(t *testing.T, n int) []commands.TimerStore {
		var out []commands.TimerStore
		for _, s := range redisReplicas(t, redistest.URL(t), n) {
			out = append(out, s.Timers("unlock", redisstate.DefaultFireLease))
		}
		return out
	}},
}

// expiries records what a replica's expired callback is told.
type expiries struct {
	mu   sync.Mutex
	outs []commands.LockOutcome
	data []any
}

func (x *expiries) expired(o commands.LockOutcome, data any) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.outs, x.data = append(x.outs, o), append(x.data, data)
}

func (x *expiries) len() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.outs)
}

type lockReplica struct {
	locks *commands.Locks
	got   *expiries
}

func newLockReplica(t *testing.T, e *realEnv, clock *commandstest.Clock, store commands.TimerStore, errs func(error)) lockReplica {
	t.Helper()
	x := &expiries{}
	l := commands.NewLocks(e.svc.Meeting.(commands.Locker), clock, x.expired,
		commands.WithTimerStore(store), commands.WithTimerPoll(time.Second), commands.WithTimerErrors(errs))
	t.Cleanup(func() { l.Stop(context.Background()) })
	return lockReplica{l, x}
}

func lockCalls(e *realEnv) int { return e.sim.CallCount(meetingtest.EndpointLock) }

func lockReq(e *realEnv, actor string, lock bool, d time.Duration) commands.LockRequest {
	return commands.LockRequest{Actor: actor, Channel: "C1", Conference: e.facts.ConferenceID, Lock: lock, Duration: d}
}

func TestDurableUnlockFiresOnceOnAnotherReplica(t *testing.T) {
	for _, be := range timerBackends {
		t.Run(be.name, func(t *testing.T) {
			e := newRealEnv(t)
			clock := commandstest.NewClock(commandstest.SampleTime)
			stores := be.open(t, 3)
			var errs []error
			var errMu sync.Mutex
			onErr := func(err error) { errMu.Lock(); errs = append(errs, err); errMu.Unlock() }
			a := newLockReplica(t, e, clock, stores[0], onErr)
			a.locks.Start(testCtx(t))

			o := a.locks.Do(testCtx(t), lockReq(e, "UALICE", true, time.Minute), []byte("thread C1/1700000000.000100"))
			if o.Status != commands.LockDone || !o.Until.Equal(commandstest.SampleTime.Add(time.Minute)) {
				t.Fatalf("lock: %s until %v (%s), want done until a minute on", o.Status, o.Until, o.UserMessage)
			}
			if pending := a.locks.Stop(testCtx(t)); len(pending) != 0 {
				t.Errorf("Stop reports %v as never unlocking; the store keeps them for the others", pending)
			}
			b := newLockReplica(t, e, clock, stores[1], onErr)
			c := newLockReplica(t, e, clock, stores[2], onErr)
			b.locks.Start(testCtx(t))
			c.locks.Start(testCtx(t))

			clock.Advance(59 * time.Second)
			if n := lockCalls(e); n != 1 || !e.sim.Locked(e.facts.ConferenceID) {
				t.Fatalf("%d lock calls before the due time, locked %v; want the lock alone", n, e.sim.Locked(e.facts.ConferenceID))
			}
			clock.Advance(time.Second)
			if n := lockCalls(e); n != 2 || e.sim.Locked(e.facts.ConferenceID) {
				t.Fatalf("%d lock calls at the due time, locked %v; want one unlock", n, e.sim.Locked(e.facts.ConferenceID))
			}
			// Past the fire lease too: nobody fires it again.
			clock.Advance(2 * redisstate.DefaultFireLease)
			if n := lockCalls(e); n != 2 {
				t.Fatalf("%d lock calls, want the lock and one unlock", n)
			}
			if got := a.got.len() + b.got.len() + c.got.len(); got != 1 || a.got.len() != 0 {
				t.Fatalf("expired told %d times (A %d, B %d, C %d), want once, by B or C", got, a.got.len(), b.got.len(), c.got.len())
			}
			x := b.got
			if x.len() == 0 {
				x = c.got
			}
			out, data := x.outs[0], x.data[0]
			if !out.Auto || out.Status != commands.LockDone || out.LockedBy != "UALICE" || out.Request.Channel != "C1" ||
				out.Request.Conference != e.facts.ConferenceID || !out.Until.Equal(commandstest.SampleTime.Add(time.Minute)) {
				t.Errorf("expired with %+v; want the auto-unlock of UALICE's lock from C1, done", out)
			}
			if b, ok := data.([]byte); !ok || string(b) != "thread C1/1700000000.000100" {
				t.Errorf("expired with data %#v, want the lock's bytes", data)
			}
			errMu.Lock()
			defer errMu.Unlock()
			if len(errs) != 0 {
				t.Errorf("poll errors: %v", errs)
			}
		})
	}
}

func TestDurableUnlockCancelledByUnlock(t *testing.T) {
	for _, be := range timerBackends {
		t.Run(be.name, func(t *testing.T) {
			e := newRealEnv(t)
			clock := commandstest.NewClock(commandstest.SampleTime)
			stores := be.open(t, 2)
			a := newLockReplica(t, e, clock, stores[0], nil)
			b := newLockReplica(t, e, clock, stores[1], nil)
			b.locks.Start(testCtx(t))

			if o := a.locks.Do(testCtx(t), lockReq(e, "UALICE", true, time.Minute), nil); o.Status != commands.LockDone {
				t.Fatalf("lock: %s (%s)", o.Status, o.UserMessage)
			}
			clock.Advance(30 * time.Second)
			// Unlocked through the other replica, which learns of the timer
			// from the store.
			o := b.locks.Do(testCtx(t), lockReq(e, "UBOB", false, 0), nil)
			if o.Status != commands.LockDone || o.LockedBy != "UALICE" || !o.Cancelled.Equal(commandstest.SampleTime.Add(time.Minute)) {
				t.Fatalf("unlock: %s, cancelled %v of %q; want done, UALICE's timer cancelled", o.Status, o.Cancelled, o.LockedBy)
			}
			clock.Advance(5 * time.Minute)
			if n := lockCalls(e); n != 2 || a.got.len()+b.got.len() != 0 {
				t.Fatalf("%d lock calls, %d expiries; want the lock and the unlock, no auto-unlock", n, a.got.len()+b.got.len())
			}
		})
	}
}

// TestDurableLockReplacedFiresTheNewerOnly: a newer lock through another
// replica replaces the timer; only its due time unlocks.
func TestDurableLockReplacedFiresTheNewerOnly(t *testing.T) {
	e := newRealEnv(t)
	clock := commandstest.NewClock(commandstest.SampleTime)
	stores := timerBackends[0].open(t, 2)
	a := newLockReplica(t, e, clock, stores[0], nil)
	b := newLockReplica(t, e, clock, stores[1], nil)
	a.locks.Start(testCtx(t))
	b.locks.Start(testCtx(t))
	a.locks.Do(testCtx(t), lockReq(e, "UALICE", true, time.Minute), nil)
	clock.Advance(30 * time.Second)
	o := b.locks.Do(testCtx(t), lockReq(e, "UBOB", true, 10*time.Minute), nil)
	if o.Status != commands.LockDone || o.LockedBy != "UALICE" || o.Cancelled.IsZero() {
		t.Fatalf("newer lock: %+v; want done, replacing UALICE's timer", o)
	}
	clock.Advance(9*time.Minute + 59*time.Second) // A's due time is long past
	if n := lockCalls(e); n != 2 || !e.sim.Locked(e.facts.ConferenceID) {
		t.Fatalf("%d lock calls before the newer lock's time; want two locks, no unlock", n)
	}
	clock.Advance(time.Second)
	if n := lockCalls(e); n != 3 || e.sim.Locked(e.facts.ConferenceID) {
		t.Fatalf("%d lock calls; want the newer lock's unlock", n)
	}
	all := slices.Concat(a.got.outs, b.got.outs)
	if len(all) != 1 || all[0].LockedBy != "UBOB" {
		t.Fatalf("expiries %+v; want one, of UBOB's lock", all)
	}
	// A double click on Lock through A sees B's lock from the store.
	o = a.locks.Do(testCtx(t), commands.LockRequest{Actor: "UCAROL", Channel: "C1", Conference: e.facts.ConferenceID,
		Lock: true, Duration: time.Minute, IfUnlocked: true}, nil)
	if o.Status != commands.LockDone {
		t.Fatalf("lock after the auto-unlock: %s, want done", o.Status)
	}
	o = b.locks.Do(testCtx(t), commands.LockRequest{Actor: "UDAVE", Channel: "C1", Conference: e.facts.ConferenceID,
		Lock: true, Duration: time.Minute, IfUnlocked: true}, nil)
	if o.Status != commands.LockAlready || o.LockedBy != "UCAROL" {
		t.Fatalf("second click on the other replica: %s by %q, want already locked by UCAROL", o.Status, o.LockedBy)
	}
}

// TestDurableLockStoreDownFailsClosed: with Redis gone, a lock is refused
// with no call (its timer could not be kept); an unlock still goes ahead.
func TestDurableLockStoreDownFailsClosed(t *testing.T) {
	srv := redistest.Start(t)
	e := newRealEnv(t)
	clock := commandstest.NewClock(commandstest.SampleTime)
	st := redisReplicas(t, srv.URL(), 1, redisstate.WithOpTimeout(300*time.Millisecond))[0]
	a := newLockReplica(t, e, clock, st.Timers("unlock", redisstate.DefaultFireLease), nil)
	srv.Stop()

	for _, d := range []time.Duration{time.Minute, 0} {
		o := a.locks.Do(testCtx(t), lockReq(e, "UALICE", true, d), nil)
		if o.Status != commands.LockFailed || !errors.Is(o.Err, state.ErrUnavailable) ||
			!strings.Contains(o.UserMessage, "state store is unavailable") {
			t.Errorf("lock for %v: %s, %v, %q; want failed: the store is unavailable", d, o.Status, o.Err, o.UserMessage)
		}
	}
	if n := lockCalls(e); n != 0 {
		t.Fatalf("%d lock calls with the store down, want none", n)
	}
	if o := a.locks.Do(testCtx(t), lockReq(e, "UALICE", false, 0), nil); o.Status != commands.LockDone {
		t.Errorf("unlock: %s (%s), want done", o.Status, o.UserMessage)
	}
}

// TestDurableLockDataMustBeBytes: a timed lock's data is stored; a value
// that cannot be is a caller's bug, refused before any call.
func TestDurableLockDataMustBeBytes(t *testing.T) {
	e := newRealEnv(t)
	a := newLockReplica(t, e, commandstest.NewClock(commandstest.SampleTime), timerBackends[0].open(t, 1)[0], nil)
	o := a.locks.Do(testCtx(t), lockReq(e, "UALICE", true, time.Minute), &struct{ thread string }{"x"})
	if o.Status != commands.LockFailed || lockCalls(e) != 0 {
		t.Fatalf("lock with a pointer as data: %s, %d lock calls; want failed, none", o.Status, lockCalls(e))
	}
}

// TestDurablePollSurvivesRedisOutage: while Redis is down the poll reports
// the outage and fires nothing; once Redis is back (empty: the test server
// keeps no data) it fires again. Rounds are 20 s apart here, so the client
// sees few failed dials and never trips its dial breaker.
func TestDurablePollSurvivesRedisOutage(t *testing.T) {
	e := newRealEnv(t)
	srv := redistest.Start(t) // after newRealEnv: stopped before its leak check
	clock := commandstest.NewClock(commandstest.SampleTime)
	st := redisReplicas(t, srv.URL(), 1, redisstate.WithOpTimeout(300*time.Millisecond))[0]
	var errs []error
	var mu sync.Mutex
	x := &expiries{}
	a := commands.NewLocks(e.svc.Meeting.(commands.Locker), clock, x.expired,
		commands.WithTimerStore(st.Timers("unlock", redisstate.DefaultFireLease)), commands.WithTimerPoll(20*time.Second),
		commands.WithTimerErrors(func(err error) {
			mu.Lock()
			defer mu.Unlock()
			errs = append(errs, err)
		}))
	t.Cleanup(func() { a.Stop(context.Background()) })
	a.Start(testCtx(t))
	srv.Stop()
	clock.Advance(time.Minute)
	mu.Lock()
	n := len(errs)
	mu.Unlock()
	if n == 0 || !errors.Is(errs[0], state.ErrUnavailable) {
		t.Fatalf("poll errors with Redis down: %v; want the outage reported", errs)
	}
	srv.Restart(t)
	if o := a.Do(testCtx(t), lockReq(e, "UALICE", true, time.Minute), nil); o.Status != commands.LockDone {
		t.Fatalf("lock once Redis is back: %s (%s)", o.Status, o.UserMessage)
	}
	clock.Advance(time.Minute)
	if lockCalls(e) != 2 || x.len() != 1 || x.outs[0].Status != commands.LockDone {
		t.Fatalf("%d lock calls, %d expiries; want the lock and its auto-unlock", lockCalls(e), x.len())
	}
}

// TestDurableLockClickAfterAnotherReplicaUnlocked: A locked for a minute and
// B's poll unlocked it; a Lock click through A locks again rather than
// answering "already locked" from A's own memory.
func TestDurableLockClickAfterAnotherReplicaUnlocked(t *testing.T) {
	e := newRealEnv(t)
	clock := commandstest.NewClock(commandstest.SampleTime)
	stores := timerBackends[0].open(t, 2)
	a := newLockReplica(t, e, clock, stores[0], nil) // not polling
	b := newLockReplica(t, e, clock, stores[1], nil)
	b.locks.Start(testCtx(t))
	a.locks.Do(testCtx(t), lockReq(e, "UALICE", true, time.Minute), nil)
	clock.Advance(time.Minute)
	if b.got.len() != 1 || e.sim.Locked(e.facts.ConferenceID) {
		t.Fatalf("B's poll fired %d times, locked %v; want the auto-unlock", b.got.len(), e.sim.Locked(e.facts.ConferenceID))
	}
	click := lockReq(e, "UBOB", true, time.Minute)
	click.IfUnlocked = true
	if o := a.locks.Do(testCtx(t), click, nil); o.Status != commands.LockDone || !e.sim.Locked(e.facts.ConferenceID) {
		t.Fatalf("Lock click through A: %s (%s by %s), want locked again", o.Status, o.UserMessage, o.LockedBy)
	}
}
