package meeting_test

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

func TestAccessTokenRenewal(t *testing.T) {
	tests := []struct {
		name    string
		simTTL  time.Duration // 0 = simulator default (12 h)
		maxAge  time.Duration // 0 = client default (10 h)
		steps   []time.Duration
		wantNew []bool // per step: a new appauth call expected
	}{
		{"renewed before the token's own expiry", time.Hour, 0,
			[]time.Duration{0, 30 * time.Minute, 20 * time.Minute, 6 * time.Minute, 30 * time.Minute},
			[]bool{true, false, false, true, false}},
		{"renewed after AccessTokenMaxAge", 0, 2 * time.Hour,
			[]time.Duration{0, 119 * time.Minute, 2 * time.Minute, time.Hour},
			[]bool{true, false, true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var simOpts []meetingtest.Option
			if tt.simTTL > 0 {
				simOpts = append(simOpts, meetingtest.WithAccessTokenTTL(tt.simTTL))
			}
			e := newEnv(t, envOpt{sim: simOpts, cfg: func(c *meeting.Config) { c.AccessTokenMaxAge = tt.maxAge }})
			prev := 0
			for i, d := range tt.steps {
				e.clock.Advance(d)
				if err := e.client.Check(ctxT(t)); err != nil {
					t.Fatalf("step %d: Check: %v", i, err)
				}
				n := e.sim.CallCount(epAppAuth)
				if got := n > prev; got != tt.wantNew[i] {
					t.Errorf("step %d (+%v): new appauth = %v, want %v", i, d, got, tt.wantNew[i])
				}
				prev = n
			}
		})
	}
}

// TestAccessToken401 covers a token the server dropped early: the management
// call's 401 makes the client re-authenticate once and retry.
func TestAccessToken401(t *testing.T) {
	e := newEnv(t, envOpt{})
	if err := e.client.Check(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	e.sim.ExpireAccessTokens()
	e.sim.ResetCalls()
	if _, err := e.client.Roster(ctxT(t), e.facts.ConferenceID); err != nil {
		t.Fatalf("Roster after access tokens expired: %v", err)
	}
	want := counts{epAppAuth: 1, epDetail: 2, epToken: 1, epRealTime: 1}
	if got := e.counts(); !equalCounts(got, want) {
		t.Errorf("calls %v, want %v (one refused confDetail, one re-auth)", got, want)
	}
}

// TestControlTokenKeepAlive reads the roster every minute for two hours of
// fake time: the control token must be renewed by keep-alive at most once per
// 25 minutes, never lapse, and never need the host password lookup again.
func TestControlTokenKeepAlive(t *testing.T) {
	e := newEnv(t, envOpt{})
	for minute := 0; minute <= 120; minute++ {
		if _, err := e.client.Roster(ctxT(t), e.facts.ConferenceID); err != nil {
			t.Fatalf("minute %d: Roster: %v", minute, err)
		}
		e.clock.Advance(time.Minute)
	}
	var at []time.Time
	for _, c := range e.sim.Calls() {
		if c.Endpoint == epToken {
			if c.Status != 200 {
				t.Errorf("token call at %v answered %d", c.At.Sub(t0), c.Status)
			}
			at = append(at, c.At)
		}
	}
	if len(at) < 2 || len(at) > 5 {
		t.Errorf("%d token calls in 2 h, want 2–5 (renewed, ≤ 1 per 25 min)", len(at))
	}
	for i := 1; i < len(at); i++ {
		if gap := at[i].Sub(at[i-1]); gap < 25*time.Minute {
			t.Errorf("token calls %v apart, want ≥ 25 min", gap)
		}
	}
	if got := e.sim.CallCount(epDetail); got != 1 {
		t.Errorf("confDetail calls = %d, want 1 (password cached)", got)
	}
	if got := e.sim.CallCount(epRealTime); got != 121 {
		t.Errorf("realTimeInfo calls = %d, want 121 (no 401 retries: the token never lapsed)", got)
	}
	// Keep-alive presents the current token.
	renewals := 0
	for _, h := range e.wire.requestHeaders() {
		if h.Get("X-Login-Type") == "1" && h.Get("X-Conference-Authorization") != "" {
			renewals++
		}
	}
	if renewals != len(at)-1 {
		t.Errorf("%d token calls carried the current token, want %d (all but the first)", renewals, len(at)-1)
	}
}

func TestSingleFlight(t *testing.T) {
	e := newEnv(t, envOpt{})
	// Slow auth so that all callers overlap the first fetch.
	e.sim.SetLatency(epAppAuth, 100*time.Millisecond)
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			_, err := e.client.Roster(ctxT(t), e.facts.ConferenceID)
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Roster: %v", err)
		}
	}
	want := counts{epAppAuth: 1, epDetail: 1, epToken: 1, epRealTime: n}
	if got := e.counts(); !equalCounts(got, want) {
		t.Errorf("calls with %d concurrent callers %v, want %v", n, got, want)
	}
}

// TestFailedFetchNotCached: a failed token fetch is reported to every waiter
// and the next call tries again.
func TestFailedFetchNotCached(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.sim.FailNext(epAppAuth, 1, meetingtest.Fault{Status: 401, Code: "USG.206010025"})
	if err := e.client.Check(ctxT(t)); meeting.KindOf(err) != meeting.KindUnauthorized {
		t.Fatalf("first Check = %v, want unauthorized", err)
	}
	if err := e.client.Check(ctxT(t)); err != nil {
		t.Fatalf("second Check = %v, want success", err)
	}
}

// TestCanceledCallerDoesNotPoisonFetch: the caller that started a shared
// fetch gives up; the others still get the token from that same fetch.
func TestCanceledCallerDoesNotPoisonFetch(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.sim.SetLatency(epAppAuth, 300*time.Millisecond)
	short, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	var errShort, errLong error
	wg.Go(func() { _, errShort = e.client.Roster(short, e.facts.ConferenceID) })
	// The short caller's appauth request reaching the simulator is the sign
	// that it started the fetch; it gives up while the fetch is in flight.
	wait := ctxT(t)
	for e.sim.Active() == 0 {
		if wait.Err() != nil {
			t.Fatal("the first caller's token fetch never reached the simulator")
		}
		runtime.Gosched()
	}
	wg.Go(func() { _, errLong = e.client.Roster(ctxT(t), e.facts.ConferenceID) })
	cancel()
	wg.Wait()
	if meeting.KindOf(errShort) != meeting.KindCanceled {
		t.Errorf("short caller: %v, want canceled", errShort)
	}
	if errLong != nil {
		t.Errorf("patient caller: %v, want success", errLong)
	}
	if got := e.sim.CallCount(epAppAuth); got != 1 {
		t.Errorf("appauth calls = %d, want 1 (shared)", got)
	}
}

// TestControlToken401 covers tokens the server dropped early (a restart, a
// host action): the control call's 401 makes the client fetch one new token
// with the cached password and retry once.
func TestControlToken401(t *testing.T) {
	tests := []struct {
		name string
		call func(ctx context.Context, e *env) error
		ep   meetingtest.Endpoint
	}{
		{"roster", func(ctx context.Context, e *env) error {
			_, err := e.client.Roster(ctx, e.facts.ConferenceID)
			return err
		}, epRealTime},
		{"disconnect", func(ctx context.Context, e *env) error {
			res, err := e.client.Disconnect(ctx, e.facts.ConferenceID, []string{e.others(0)})
			if err == nil && len(res.Gone) != 1 {
				t.Errorf("Gone = %v, want one", res.Gone)
			}
			return err
		}, epHangUp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpt{})
			if _, err := e.client.Roster(ctxT(t), e.facts.ConferenceID); err != nil {
				t.Fatal(err)
			}
			e.sim.ExpireControlTokens()
			e.sim.ResetCalls()
			if err := tt.call(ctxT(t), e); err != nil {
				t.Fatalf("after ExpireControlTokens: %v", err)
			}
			got := e.counts()
			if got[epToken] != 1 || got[epDetail] != 0 || got[epAppAuth] != 0 || got[tt.ep] != 2 {
				t.Errorf("calls %v, want 1 token, no confDetail/appauth, %s twice (401, retry)", got, tt.ep)
			}
		})
	}
}

// TestChangedHostPassword: the cached host password stops working (the host
// changed it); the client looks it up again once.
func TestChangedHostPassword(t *testing.T) {
	e := newEnv(t, envOpt{})
	if _, err := e.client.Roster(ctxT(t), e.facts.ConferenceID); err != nil {
		t.Fatal(err)
	}
	e.sim.ExpireControlTokens()
	e.sim.ResetCalls()
	// The re-issue with the cached password is refused once.
	e.sim.FailNext(epToken, 1, meetingtest.Fault{Status: 400, Code: "MMC.111072065", Msg: "CONF_NOT_FOUND_OR_AUTH_FAILED"})
	if _, err := e.client.Roster(ctxT(t), e.facts.ConferenceID); err != nil {
		t.Fatalf("Roster: %v", err)
	}
	if got := e.counts(); got[epDetail] != 1 || got[epToken] != 2 {
		t.Errorf("calls %v, want confDetail again and a second token request", got)
	}
}

func equalCounts(a, b counts) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
