package meeting_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kickbot/kickbot/internal/redistest"
	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/memstate"
	"github.com/kickbot/kickbot/redisstate"
	"github.com/kickbot/kickbot/state"
)

// backends opens one shared control-token cache per backend, on the fake
// clock (token expiry is an absolute time the cache turns into a TTL).
var backends = []struct {
	name string
	open func(t *testing.T, e *env) meeting.TokenCache
}{
	{"redis", func(t *testing.T, e *env) meeting.TokenCache {
		return openRedis(t, e, redistest.URL(t)).Tokens()
	}},
	{"memory", func(t *testing.T, e *env) meeting.TokenCache {
		return memstate.New(memstate.WithClock(e.clock.Now)).Tokens()
	}},
}

func openRedis(t *testing.T, e *env, url string, opts ...redisstate.Option) *redisstate.Store {
	t.Helper()
	s, err := redisstate.Open(url, append([]redisstate.Option{
		redisstate.WithPrefix(redistest.Prefix(t)), redisstate.WithClock(e.clock.Now)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// replica is one more Client ("replica") on e's simulator, with e's
// configuration and the shared cache tc.
func replica(t *testing.T, e *env, tc meeting.TokenCache) *meeting.Client {
	t.Helper()
	c, err := meeting.New(e.cfg, meeting.WithControlTokenCache(tc))
	if err != nil {
		t.Fatal(err)
	}
	meeting.SetSleep(c, e.sleeps.sleep)
	return c
}

// TestSharedControlTokenOneFetch: two replicas sharing one cache fetch one
// control token between them for one meeting, one after the other and
// when both kick at once.
func TestSharedControlTokenOneFetch(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name+"/in turn", func(t *testing.T) {
			e := newEnv(t, envOpt{})
			tc := be.open(t, e)
			a, b := replica(t, e, tc), replica(t, e, tc)
			if _, err := a.Disconnect(ctxT(t), e.facts.ConferenceID, []string{e.others(0)}); err != nil {
				t.Fatalf("A: %v", err)
			}
			r, err := b.Disconnect(ctxT(t), e.facts.ConferenceID, []string{e.others(1)})
			if err != nil {
				t.Fatalf("B: %v", err)
			}
			if got := e.sim.CallCount(epToken); got != 1 {
				t.Errorf("control token fetches = %d, want 1 (B uses A's)", got)
			}
			// Only A read confDetail; B still names the meeting.
			if got, want := r.After.Subject, e.facts.Subject; got != want {
				t.Errorf("B's roster subject = %q, want %q", got, want)
			}
		})
		t.Run(be.name+"/at once", func(t *testing.T) {
			e := newEnv(t, envOpt{})
			// Both replicas are inside Renew before either goes on, so
			// they race for the one fetch.
			tc := &gatedCache{TokenCache: be.open(t, e), n: 2}
			tc.cond = sync.NewCond(&tc.mu)
			a, b := replica(t, e, tc), replica(t, e, tc)
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, c := range []*meeting.Client{a, b} {
				wg.Go(func() {
					_, errs[i] = c.Disconnect(ctxT(t), e.facts.ConferenceID, []string{e.others(i)})
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("replica %d: %v", i, err)
				}
			}
			if got := e.sim.CallCount(epToken); got != 1 {
				t.Errorf("control token fetches = %d, want 1", got)
			}
			if got := e.sim.CallCount(epHangUp); got != 2 {
				t.Errorf("hang-ups = %d, want 2", got)
			}
		})
	}
}

// gatedCache holds each Renew until n have started.
type gatedCache struct {
	meeting.TokenCache
	n    int
	mu   sync.Mutex
	cond *sync.Cond
	in   int
}

func (g *gatedCache) Renew(ctx context.Context, conf, owner string, fresh func(state.Token) bool,
	fetch func(ctx context.Context, current state.Token) (state.Token, error)) (state.Token, error) {
	g.mu.Lock()
	g.in++
	g.cond.Broadcast()
	for g.in < g.n {
		g.cond.Wait()
	}
	g.mu.Unlock()
	return g.TokenCache.Renew(ctx, conf, owner, fresh, fetch)
}

// dropRecorder records the values Drop was given.
type dropRecorder struct {
	meeting.TokenCache
	mu    sync.Mutex
	drops []string
}

func (d *dropRecorder) Drop(ctx context.Context, conf, value string) error {
	d.mu.Lock()
	d.drops = append(d.drops, value)
	d.mu.Unlock()
	return d.TokenCache.Drop(ctx, conf, value)
}

func (d *dropRecorder) dropped() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.drops...)
}

// TestSharedControlTokenRefused: the server refuses the shared token (it
// expired early): the replica that sees it drops it from the cache — the
// value it used, not whatever is there — and one renewal serves both
// replicas, also when both are refused at once.
func TestSharedControlTokenRefused(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			e := newEnv(t, envOpt{})
			tc := &dropRecorder{TokenCache: be.open(t, e)}
			a, b := replica(t, e, tc), replica(t, e, tc)
			if _, err := a.Roster(ctxT(t), e.facts.ConferenceID); err != nil {
				t.Fatal(err)
			}
			old, ok, err := tc.Get(ctxT(t), e.facts.ConferenceID)
			if err != nil || !ok {
				t.Fatalf("cached token: %v %v", ok, err)
			}

			e.sim.ExpireControlTokens()
			e.sim.ResetCalls()
			if _, err := a.Disconnect(ctxT(t), e.facts.ConferenceID, []string{e.others(0)}); err != nil {
				t.Fatalf("A after the token was refused: %v", err)
			}
			if got := tc.dropped(); len(got) != 1 || got[0] != old.Value {
				t.Errorf("A dropped %d values (the refused one: %v), want exactly the refused one",
					len(got), len(got) == 1 && got[0] == old.Value)
			}
			if _, err := b.Disconnect(ctxT(t), e.facts.ConferenceID, []string{e.others(1)}); err != nil {
				t.Fatalf("B: %v", err)
			}
			if got := e.sim.CallCount(epToken); got != 1 {
				t.Errorf("control token fetches after the refusal = %d, want 1 (one renewal for both)", got)
			}
			if got := e.sim.CallCount(epHangUp); got != 3 {
				t.Errorf("hang-ups = %d, want 3 (A refused, A again, B)", got)
			}

			// Both refused at once: one of them renews, the other's Drop
			// of the same old value must not throw the new token away.
			e.sim.ExpireControlTokens()
			e.sim.ResetCalls()
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, c := range []*meeting.Client{a, b} {
				wg.Go(func() { _, errs[i] = c.Roster(ctxT(t), e.facts.ConferenceID) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("replica %d: %v", i, err)
				}
			}
			if got := e.sim.CallCount(epToken); got != 1 {
				t.Errorf("control token fetches when both were refused = %d, want 1", got)
			}
		})
	}
}

// TestSharedControlTokenStoreDown: with Redis gone a kick fails closed —
// KindStateUnavailable, nothing sent to the meeting — without naming the
// token; once Redis is back, kicks work again.
func TestSharedControlTokenStoreDown(t *testing.T) {
	e := newEnv(t, envOpt{})
	srv := redistest.Start(t)
	store := openRedis(t, e, srv.URL(), redisstate.WithOpTimeout(300*time.Millisecond))
	a := replica(t, e, store.Tokens())
	if _, err := a.Disconnect(ctxT(t), e.facts.ConferenceID, []string{e.others(0)}); err != nil {
		t.Fatal(err)
	}

	srv.Stop()
	e.sim.ResetCalls()
	r, err := a.Disconnect(ctxT(t), e.facts.ConferenceID, []string{e.others(1)})
	if err == nil {
		t.Fatalf("kick with Redis stopped succeeded: %+v", r)
	}
	if got := meeting.KindOf(err); got != meeting.KindStateUnavailable {
		t.Errorf("kind = %v, want %v (err %v)", got, meeting.KindStateUnavailable, err)
	}
	if !errors.Is(err, state.ErrUnavailable) {
		t.Errorf("%v does not match state.ErrUnavailable", err)
	}
	if r != nil {
		t.Errorf("result %+v, want none: nothing was sent", r)
	}
	if got := e.counts(); len(got) != 0 {
		t.Errorf("meeting API calls with Redis stopped: %v, want none", got)
	}
	for _, s := range e.wire.all() {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q shows a credential", err)
		}
	}

	srv.Restart(t)
	if _, err := a.Disconnect(ctxT(t), e.facts.ConferenceID, []string{e.others(1)}); err != nil {
		t.Fatalf("kick once Redis is back: %v", err)
	}
	if got := e.sim.CallCount(epToken); got != 1 {
		t.Errorf("control token fetches once Redis is back (empty) = %d, want 1", got)
	}
}

// TestSharedControlTokenKeepAlive: two replicas take turns reading the
// roster for an hour of fake time. The shared token is kept alive (by
// whichever replica finds it due, also one that never read the host
// password), never lapses, and no credential reaches a log line.
func TestSharedControlTokenKeepAlive(t *testing.T) {
	e := newEnv(t, envOpt{})
	tc := openRedis(t, e, redistest.URL(t)).Tokens()
	rs := []*meeting.Client{replica(t, e, tc), replica(t, e, tc)}
	for minute := 0; minute <= 60; minute++ {
		// A until minute 26, when B renews (B never read the password),
		// then A again from minute 52, when A renews.
		if _, err := rs[(minute/26)%2].Roster(ctxT(t), e.facts.ConferenceID); err != nil {
			t.Fatalf("minute %d: Roster: %v", minute, err)
		}
		e.clock.Advance(time.Minute)
	}
	var at []time.Duration
	for _, c := range e.sim.Calls() {
		if c.Endpoint == epToken {
			if c.Status != 200 {
				t.Errorf("token call at %v answered %d", c.At.Sub(t0), c.Status)
			}
			at = append(at, c.At.Sub(t0))
		}
	}
	// Renewed once less than 5 min is left (ControlTokenRenewBefore), once
	// for both replicas.
	if want := []time.Duration{0, 26 * time.Minute, 52 * time.Minute}; !slices.Equal(at, want) {
		t.Errorf("token calls at %v, want %v", at, want)
	}
	if got := e.sim.CallCount(epDetail); got != 1 {
		t.Errorf("confDetail calls = %d, want 1 (a keep-alive needs no password)", got)
	}
	if got := e.sim.CallCount(epRealTime); got != 61 {
		t.Errorf("realTimeInfo calls = %d, want 61 (no retries: the token never lapsed)", got)
	}
	renewals := 0
	for _, h := range e.wire.requestHeaders() {
		if h.Get("X-Login-Type") == "1" && h.Get("X-Conference-Authorization") != "" {
			renewals++
		}
	}
	if renewals != 2 {
		t.Errorf("keep-alives presenting the current token = %d, want 2", renewals)
	}
	logs := e.logs.String()
	for _, s := range append(e.wire.all(), e.facts.HostPassword) {
		if strings.Contains(logs, s) {
			t.Errorf("a credential is in the log")
		}
	}
}
