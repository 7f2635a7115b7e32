package meeting_test

import (
	"context"
	"testing"
	"time"

	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

func TestRetriesStopAtTheirBound(t *testing.T) {
	tests := []struct {
		name       string
		ep         meetingtest.Endpoint
		fault      meetingtest.Fault
		failures   int
		maxRetries int // 0 = default (3)
		wantCalls  int
		wantKind   meeting.Kind // KindUnknown = success
	}{
		{"503 forever", epRealTime, meetingtest.Fault{Status: 503}, 100, 0, 4, meeting.KindServer},
		{"500 forever, 1 retry", epRealTime, meetingtest.Fault{Status: 500}, 100, 1, 2, meeting.KindServer},
		{"no retries", epRealTime, meetingtest.Fault{Status: 500}, 100, -1, 1, meeting.KindServer},
		{"429 forever", epRealTime, meetingtest.Fault{Status: 429, Code: "100000429"}, 100, 0, 4, meeting.KindRateLimited},
		{"connection drops forever", epRealTime, meetingtest.Fault{CloseConn: true}, 100, 0, 4, meeting.KindNetwork},
		{"two 500s then success", epRealTime, meetingtest.Fault{Status: 500}, 2, 0, 3, meeting.KindUnknown},
		{"400 is not retried", epRealTime, meetingtest.Fault{Status: 400, Code: "MMC.111070001"}, 100, 0, 1, meeting.KindBadRequest},
		// Hang-up is retried: a pid already gone is ignored by the server,
		// and the roster re-read says who is really gone.
		{"hang-up 502 then success", epHangUp, meetingtest.Fault{Status: 502}, 1, 0, 2, meeting.KindUnknown},
		{"hang-up lost reply then success", epHangUp, meetingtest.Fault{CloseConn: true}, 1, 0, 2, meeting.KindUnknown},
		{"appauth 500 forever", epAppAuth, meetingtest.Fault{Status: 500}, 100, 0, 4, meeting.KindServer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpt{cfg: func(c *meeting.Config) { c.MaxRetries = tt.maxRetries }})
			e.sim.FailNext(tt.ep, tt.failures, tt.fault)
			var err error
			if tt.ep == epHangUp {
				_, err = e.client.Disconnect(ctxT(t), e.facts.ConferenceID, []string{e.others(0)})
			} else {
				_, err = e.client.Roster(ctxT(t), e.facts.ConferenceID)
			}
			if got := e.obs.get(e.obs.calls, string(tt.ep)); got != tt.wantCalls {
				t.Errorf("%s attempts = %d, want %d", tt.ep, got, tt.wantCalls)
			}
			// What the server saw: the same, except that net/http replays an
			// idempotent GET once by itself when a reused keep-alive
			// connection dies before any reply.
			got, maxServer := e.sim.CallCount(tt.ep), tt.wantCalls
			if tt.fault.CloseConn && tt.ep != epHangUp {
				maxServer++
			}
			if got < tt.wantCalls || got > maxServer {
				t.Errorf("%s calls seen by the server = %d, want %d–%d", tt.ep, got, tt.wantCalls, maxServer)
			}
			if got := meeting.KindOf(err); tt.wantKind == meeting.KindUnknown && err != nil || tt.wantKind != meeting.KindUnknown && got != tt.wantKind {
				t.Errorf("err = %v (kind %v), want kind %v", err, got, tt.wantKind)
			}
			for _, w := range e.sleeps.get() {
				if w > 5*time.Millisecond {
					t.Errorf("backoff wait %v exceeds RetryMaxDelay 5ms", w)
				}
			}
			if want := tt.wantCalls - 1; len(e.sleeps.get()) != want {
				t.Errorf("%d waits between tries, want %d", len(e.sleeps.get()), want)
			}
		})
	}
}

func TestBackoffGrows(t *testing.T) {
	e := newEnv(t, envOpt{cfg: func(c *meeting.Config) {
		c.RetryBaseDelay, c.RetryMaxDelay, c.MaxRetries = 100*time.Millisecond, time.Second, 5
	}})
	e.sim.FailNext(epRealTime, 100, meetingtest.Fault{Status: 503})
	_, _ = e.client.Roster(ctxT(t), e.facts.ConferenceID)
	w := e.sleeps.get()
	if len(w) != 5 {
		t.Fatalf("waits %v, want 5", w)
	}
	// Jitter is ±50 %: the first wait is 50–150 ms, later ones reach the cap.
	if w[0] < 50*time.Millisecond || w[0] > 150*time.Millisecond {
		t.Errorf("first wait %v, want 50–150ms", w[0])
	}
	if w[4] < 500*time.Millisecond || w[4] > time.Second {
		t.Errorf("fifth wait %v, want 500ms–1s (capped)", w[4])
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	t.Run("waits as told", func(t *testing.T) {
		e := newEnv(t, envOpt{})
		e.sim.FailNext(epRealTime, 1, meetingtest.Fault{Status: 429, Code: "100000429", RetryAfter: 3 * time.Second})
		if _, err := e.client.Roster(ctxT(t), e.facts.ConferenceID); err != nil {
			t.Fatalf("Roster: %v", err)
		}
		if w := e.sleeps.get(); len(w) != 1 || w[0] != 3*time.Second {
			t.Errorf("waits %v, want [3s] (Retry-After, not the 5ms backoff cap)", w)
		}
	})
	t.Run("not beyond the deadline", func(t *testing.T) {
		e := newEnv(t, envOpt{})
		if _, err := e.client.Roster(ctxT(t), e.facts.ConferenceID); err != nil { // warm caches
			t.Fatal(err)
		}
		e.sim.FailNext(epRealTime, 1, meetingtest.Fault{Status: 429, Code: "100000429", RetryAfter: 5 * time.Second})
		e.sim.ResetCalls()
		before := len(e.sleeps.get())
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := e.client.Roster(ctx, e.facts.ConferenceID)
		me := asError(t, err)
		if me.Kind != meeting.KindRateLimited || me.RetryAfter != 5*time.Second {
			t.Errorf("err = %v (RetryAfter %v), want rate_limited with RetryAfter 5s", err, me.RetryAfter)
		}
		if n := len(e.sleeps.get()) - before; n != 0 {
			t.Errorf("%d waits, want none: waiting would outlive the caller's deadline", n)
		}
		if got := e.sim.CallCount(epRealTime); got != 1 {
			t.Errorf("realTimeInfo calls = %d, want 1", got)
		}
	})
}

func TestContextDeadline(t *testing.T) {
	e := newEnv(t, envOpt{})
	if _, err := e.client.Roster(ctxT(t), e.facts.ConferenceID); err != nil {
		t.Fatal(err)
	}
	e.sim.SetLatency(epRealTime, 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := e.client.Roster(ctx, e.facts.ConferenceID)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Roster returned after %v, want it to stop at the 100ms deadline", took)
	}
	if meeting.KindOf(err) != meeting.KindCanceled {
		t.Errorf("err = %v, want canceled", err)
	}
	if got := e.obs.get(e.obs.calls, "realTimeInfo"); got != 2 {
		t.Errorf("realTimeInfo attempts = %d, want 2 (no retry after the deadline)", got)
	}
}
