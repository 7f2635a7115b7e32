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
	"github.com/kickbot/kickbot/internal/redistest"
	"github.com/kickbot/kickbot/meeting/meetingtest"
	"github.com/kickbot/kickbot/memstate"
	"github.com/kickbot/kickbot/redisstate"
	"github.com/kickbot/kickbot/state"
)

// Claims shared by several replicas (issue 15): two Services, as two
// kickbot processes, each with its own Claims over one shared store.

// sharedBackends opens n replicas' claim stores on one fresh state, for
// each backend.
var sharedBackends = []struct {
	name string
	open func(t *testing.T, n int) []commands.ClaimStore
}{
	{"memstate", func(t *testing.T, n int) []commands.ClaimStore {
		s := memstate.New()
		out := make([]commands.ClaimStore, n)
		for i := range out {
			out[i] = s.Claims(time.Minute)
		}
		return out
	}},
	{"redis", func(t *testing.T, n int) []commands.ClaimStore {
		var out []commands.ClaimStore
		for _, s := range redisReplicas(t, redistest.URL(t), n) {
			out = append(out, s.Claims(time.Minute))
		}
		return out
	}},
}

// redisReplicas opens n stores on one Redis with one prefix, as n kickbot
// processes of one app would.
func redisReplicas(t *testing.T, url string, n int, opts ...redisstate.Option) []*redisstate.Store {
	t.Helper()
	prefix := redistest.Prefix(t)
	var out []*redisstate.Store
	for range n {
		s, err := redisstate.Open(url, append([]redisstate.Option{redisstate.WithPrefix(prefix)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		out = append(out, s)
	}
	return out
}

// replica is a Service of its own (one kickbot process) over the shared
// meeting, with claims shared through store.
func replica(e *realEnv, store commands.ClaimStore) (*commands.Service, *commands.Claims) {
	cl := commands.NewClaims(commands.WithClaimStore(store, time.Minute))
	return &commands.Service{Meeting: e.svc.Meeting, Claims: cl, BatchStall: time.Hour}, cl
}

func TestSharedClaimWaiterOnOtherReplicaReportsOwnersResult(t *testing.T) {
	for _, be := range sharedBackends {
		t.Run(be.name, func(t *testing.T) {
			e, ps := batchEnv(t, 2)
			stores := be.open(t, 2)
			a, _ := replica(e, stores[0])
			b, _ := replica(e, stores[1])

			release := e.sim.Hold(meetingtest.EndpointHangUp)
			t.Cleanup(release)
			var wg sync.WaitGroup
			var ra, rb kickResult
			wg.Go(func() { ra.roster, ra.res, ra.out, ra.err = a.Kick(testCtx(t), kickOf("UALICE", byID(ps[0].ID)), nil) })
			waitFor(t, "A's hang-up held", func() bool { return e.sim.Held(meetingtest.EndpointHangUp) == 1 })
			wg.Go(func() {
				rb.roster, rb.res, rb.out, rb.err = b.Kick(testCtx(t), kickOf("UBOB", byID(ps[0].ID), byID(ps[1].ID)), nil)
			})
			// B's own call (for its other target) is made after B found
			// A's claim: held, it proves B's claims were settled while A's
			// call was under way.
			waitFor(t, "B's hang-up held", func() bool { return e.sim.Held(meetingtest.EndpointHangUp) == 2 })
			release()
			wg.Wait()

			calls := hangUpCalls(e)
			if len(calls) != 2 || !sameSet(calls[0], []string{ps[0].ID}) && !sameSet(calls[1], []string{ps[0].ID}) {
				t.Fatalf("hang-up calls = %v, want %s in one call (A's) and %s in B's", calls, ps[0].ID, ps[1].ID)
			}
			for _, c := range calls {
				if len(c) != 1 {
					t.Fatalf("hang-up calls = %v, want one participant each", calls)
				}
			}
			if ra.err != nil || ra.out.Status != commands.StatusDone || ra.out.Targets[0].By != "" {
				t.Errorf("A: err %v, %s %+v; want done by A's own call", ra.err, ra.out.Status, ra.out.Targets)
			}
			if rb.err != nil || rb.out.Status != commands.StatusDone || len(rb.out.Targets) != 2 {
				t.Fatalf("B: err %v, %s %+v; want done, two targets", rb.err, rb.out.Status, rb.out.Targets)
			}
			shared, own := rb.out.Targets[0], rb.out.Targets[1]
			if shared.Result != commands.ResultGone || shared.By != "UALICE" || shared.Participant == nil || shared.Participant.ID != ps[0].ID {
				t.Errorf("B's report of %s: %+v; want gone, by UALICE", ps[0].Name, shared)
			}
			if own.Result != commands.ResultGone || own.By != "" {
				t.Errorf("B's own target: %+v; want gone by B's call", own)
			}
		})
	}
}

// TestSharedClaimOwnersFailureReachesOtherReplica: what A's call failed
// with is what B reports, with A's reason.
func TestSharedClaimOwnersFailureReachesOtherReplica(t *testing.T) {
	e, ps := batchEnv(t, 1)
	stores := sharedBackends[0].open(t, 2)
	a, _ := replica(e, stores[0])
	b, bClaims := replica(e, stores[1])
	e.sim.FailNext(meetingtest.EndpointHangUp, 2, meetingtest.Fault{Status: 403, Code: "MMC.111070005", Msg: "NO_PERMISSION"})
	release := e.sim.Hold(meetingtest.EndpointHangUp)
	t.Cleanup(release)
	var wg sync.WaitGroup
	var ra, rb kickResult
	wg.Go(func() { ra.roster, ra.res, ra.out, ra.err = a.Kick(testCtx(t), kickOf("UALICE", byID(ps[0].ID)), nil) })
	waitFor(t, "A's hang-up held", func() bool { return e.sim.Held(meetingtest.EndpointHangUp) == 1 })
	wg.Go(func() { rb.roster, rb.res, rb.out, rb.err = b.Kick(testCtx(t), kickOf("UBOB", byID(ps[0].ID)), nil) })
	waitFor(t, "B waiting for A's result", func() bool { return bClaims.Waiting() == 1 })
	release()
	wg.Wait()
	if n := len(hangUpCalls(e)); n != 2 { // A's, and A's again after renewing its token
		t.Fatalf("%d hang-up calls, want A's two", n)
	}
	at, bt := ra.out.Targets[0], rb.out.Targets[0]
	if at.Result != commands.ResultFailed || bt.Result != commands.ResultFailed || bt.Detail != at.Detail || bt.By != "UALICE" {
		t.Errorf("A: %+v; B: %+v; want both failed with A's reason, B naming UALICE", at, bt)
	}
}

// TestSharedClaimStoreDownFailsClosed: with Redis gone, a kick makes no
// hang-up call and says kickbot's state store is unavailable.
func TestSharedClaimStoreDownFailsClosed(t *testing.T) {
	srv := redistest.Start(t)
	e, ps := batchEnv(t, 2)
	stores := redisReplicas(t, srv.URL(), 1, redisstate.WithOpTimeout(300*time.Millisecond))
	svc, _ := replica(e, stores[0].Claims(time.Minute))
	srv.Stop()

	_, _, out, err := svc.Kick(testCtx(t), kickOf("UALICE", byID(ps[0].ID), byID(ps[1].ID)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if calls := hangUpCalls(e); len(calls) != 0 {
		t.Fatalf("hang-up calls = %v with the store down, want none", calls)
	}
	if out.Status != commands.StatusFailed || !errors.Is(out.Err, state.ErrUnavailable) ||
		!strings.Contains(out.UserMessage, "state store is unavailable") {
		t.Errorf("outcome %s, err %v, message %q; want failed, the store unavailable", out.Status, out.Err, out.UserMessage)
	}
	for _, to := range out.Targets {
		if to.Result != commands.ResultFailed || !strings.Contains(to.Detail, "state store is unavailable") {
			t.Errorf("%s: %s (%q), want failed: the store is unavailable", to.Participant.Name, to.Result, to.Detail)
		}
	}
	// Execute (the console's path) fails closed alike.
	roster, res, err := svc.Plan(testCtx(t), kickOf("UALICE", byID(ps[0].ID)))
	if err != nil {
		t.Fatal(err)
	}
	if o := svc.Execute(testCtx(t), kickOf("UALICE", byID(ps[0].ID)), roster, res); o.Status != commands.StatusFailed ||
		!errors.Is(o.Err, state.ErrUnavailable) || len(hangUpCalls(e)) != 0 {
		t.Errorf("Execute: %s %v, %d hang-up calls; want failed closed, none", o.Status, o.Err, len(hangUpCalls(e)))
	}
}

// TestSharedClaimStoreLostWhileWaiting: B waits for A's disconnect when
// Redis goes away; B reports it unconfirmed, naming A, and makes no call.
func TestSharedClaimStoreLostWhileWaiting(t *testing.T) {
	srv := redistest.Start(t)
	e, ps := batchEnv(t, 1)
	stores := redisReplicas(t, srv.URL(), 2, redisstate.WithOpTimeout(300*time.Millisecond))
	a, _ := replica(e, stores[0].Claims(time.Minute))
	b, bClaims := replica(e, stores[1].Claims(time.Minute))
	release := e.sim.Hold(meetingtest.EndpointHangUp)
	t.Cleanup(release)
	var wg sync.WaitGroup
	wg.Go(func() { _, _, _, _ = a.Kick(testCtx(t), kickOf("UALICE", byID(ps[0].ID)), nil) })
	waitFor(t, "A's hang-up held", func() bool { return e.sim.Held(meetingtest.EndpointHangUp) == 1 })
	bDone := make(chan commands.Outcome, 1)
	wg.Go(func() { _, _, o, _ := b.Kick(testCtx(t), kickOf("UBOB", byID(ps[0].ID)), nil); bDone <- o })
	waitFor(t, "B waiting for A's result", func() bool { return bClaims.Waiting() == 1 })
	srv.Stop()
	// B's answer does not wait for A's call, which is still held.
	out := <-bDone
	release()
	wg.Wait()
	to := out.Targets[0]
	if to.Result != commands.ResultUnconfirmed || to.By != "UALICE" || !strings.Contains(to.Detail, "state store") {
		t.Errorf("B: %+v; want unconfirmed, naming UALICE and the store", to)
	}
	if n := len(hangUpCalls(e)); n != 1 {
		t.Errorf("%d hang-up calls, want A's alone", n)
	}
}

// TestSharedClaimResultEncoding: what crosses replicas is the result's
// stable name and the detail; anything unreadable is "did not say".
func TestSharedClaimResultEncoding(t *testing.T) {
	s := memstate.New()
	a, b := s.Claims(time.Minute), s.Claims(time.Minute)
	ctx := context.Background()
	for _, tc := range []struct {
		stored []byte
		want   commands.Result
	}{
		{[]byte(`{"r":"still_present","d":"x"}`), commands.ResultStillPresent},
		{[]byte(`{"r":"no_such_result"}`), commands.ResultUnconfirmed},
		{[]byte(`not json`), commands.ResultUnconfirmed},
	} {
		e, ps := batchEnv(t, 1)
		own, err := a.Take(ctx, batchConf, ps[0].ID, "UALICE")
		if err != nil || !own.Mine {
			t.Fatal(own, err)
		}
		svc, claims := replica(e, b)
		done := make(chan commands.Outcome, 1)
		go func() { _, _, o, _ := svc.Kick(testCtx(t), kickOf("UBOB", byID(ps[0].ID)), nil); done <- o }()
		waitFor(t, "B waiting", func() bool { return claims.Waiting() == 1 })
		if err := a.Release(ctx, own, tc.stored); err != nil {
			t.Fatal(err)
		}
		o := <-done
		if got := o.Targets[0]; got.Result != tc.want || got.By != "UALICE" {
			t.Errorf("stored %q: B reports %+v, want %s by UALICE", tc.stored, got, tc.want)
		}
		if n := len(hangUpCalls(e)); n != 0 {
			t.Errorf("stored %q: %d hang-up calls, want none", tc.stored, n)
		}
	}
}

// TestSharedClaimSameReplicaWaitsInProcess: two kicks of one replica that
// name the same person make one call, as without a store.
func TestSharedClaimSameReplicaWaitsInProcess(t *testing.T) {
	e, ps := batchEnv(t, 2)
	svc, claims := replica(e, sharedBackends[0].open(t, 1)[0])
	e.svc = svc
	results := queueBehindHeldKick(t, e, kickOf("UALICE", byID(ps[0].ID)),
		[]commands.Kick{kickOf("UBOB", byID(ps[1].ID)), kickOf("UCAROL", byID(ps[1].ID))})()
	if calls := hangUpCalls(e); len(calls) != 2 || !slices.Equal(calls[1], []string{ps[1].ID}) {
		t.Fatalf("hang-up calls = %v, want %s once in the batch's call", calls, ps[1].Name)
	}
	// Whichever of the two the batch took first disconnected them; the
	// other is told who did.
	b, c := results[1].out.Targets[0], results[2].out.Targets[0]
	if b.Result != commands.ResultGone || c.Result != commands.ResultGone ||
		!(b.By == "" && c.By == "UBOB") && !(b.By == "UCAROL" && c.By == "") {
		t.Errorf("UBOB's %+v, UCAROL's %+v; want both gone, one told the other did it", b, c)
	}
	if n := claims.Waiting(); n != 0 {
		t.Errorf("%d still waiting", n)
	}
}

// TestSharedClaimExtendedWhileDisconnectRuns: a disconnect that outlives
// the claim's TTL keeps its claim; another replica's kick still finds it.
func TestSharedClaimExtendedWhileDisconnectRuns(t *testing.T) {
	const ttl = 300 * time.Millisecond
	e, ps := batchEnv(t, 1)
	stores := redisReplicas(t, redistest.URL(t), 2)
	a := &commands.Service{Meeting: e.svc.Meeting, BatchStall: time.Hour,
		Claims: commands.NewClaims(commands.WithClaimStore(stores[0].Claims(ttl), ttl))}
	release := e.sim.Hold(meetingtest.EndpointHangUp)
	t.Cleanup(release)
	done := make(chan struct{})
	go func() { defer close(done); _, _, _, _ = a.Kick(testCtx(t), kickOf("UALICE", byID(ps[0].ID)), nil) }()
	waitFor(t, "A's hang-up held", func() bool { return e.sim.Held(meetingtest.EndpointHangUp) == 1 })
	other := stores[1].Claims(ttl)
	// Several TTLs pass while A's call is held: its claim must stay.
	for end := time.Now().Add(4 * ttl); time.Now().Before(end); time.Sleep(ttl / 10) {
		cl, err := other.Take(testCtx(t), batchConf, ps[0].ID, "UBOB")
		if err != nil || cl.Mine || cl.Actor != "UALICE" {
			release()
			<-done
			t.Fatalf("another replica's take during A's call: %+v %v; want A's claim", cl, err)
		}
	}
	release()
	<-done
}

// panickyStore panics on its first Take, then is memstate's.
type panickyStore struct {
	commands.ClaimStore
	once sync.Once
}

func (p *panickyStore) Take(ctx context.Context, conference, participant, actor string) (state.Claim, error) {
	p.once.Do(func() { panic("store bug") })
	return p.ClaimStore.Take(ctx, conference, participant, actor)
}

// TestSharedClaimStorePanicLeavesNoStaleClaim: a store that panics fails
// that kick visibly, and the next kick for the same person is not left
// waiting on a claim nobody will settle.
func TestSharedClaimStorePanicLeavesNoStaleClaim(t *testing.T) {
	e, ps := batchEnv(t, 1)
	svc, _ := replica(e, &panickyStore{ClaimStore: sharedBackends[0].open(t, 1)[0]})
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the store's panic did not reach the kick's caller")
			}
		}()
		_, _, _, _ = svc.Kick(testCtx(t), kickOf("UALICE", byID(ps[0].ID)), nil)
	}()
	_, _, o, err := svc.Kick(testCtx(t), kickOf("UBOB", byID(ps[0].ID)), nil)
	if err != nil || o.Status != commands.StatusDone || o.Targets[0].By != "" {
		t.Fatalf("next kick: %v, %s %+v; want done by its own call", err, o.Status, o.Targets)
	}
}
