// Package health serves the operator endpoints: /healthz (liveness),
// /readyz (readiness) and /metrics (Prometheus).
package health

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const (
	// meetingCheckTimeout bounds one meeting readiness check so a slow
	// Huawei cannot hold probes (Kubernetes' default probe timeout is 1 s,
	// but operators raise it; 2 s keeps a token fetch possible).
	meetingCheckTimeout = 2 * time.Second
	// meetingCheckTTL is how long a meeting check result is reused, so
	// frequent probes from several sources do not hammer Huawei's auth API.
	meetingCheckTTL = 10 * time.Second
)

// Checks tells /readyz whether the bot can do its job. Implementations
// must be safe for concurrent use.
type Checks interface {
	// SlackConnected reports whether the Socket Mode connection is up.
	SlackConnected() bool
	// MeetingReady returns nil if the meeting API can be used (e.g. an
	// access token can be obtained). Its error is not shown to callers,
	// so log the detail there if you need it.
	MeetingReady(ctx context.Context) error
}

// WatchChecks is optionally implemented by a Checks whose bot watches
// meetings: /readyz then shows the watches. They never make the bot "not
// ready": without the socket, everything falls back to realTimeInfo.
type WatchChecks interface {
	Watches() Watches
}

// StateChecks is optionally implemented by a Checks whose replicas share
// their state in a store (Redis): /readyz then names it, and the bot is
// not ready while the store does not answer (kicks and clicks that need a
// claim are refused meanwhile).
type StateChecks interface {
	// StateReady names the store ("redis"; "" when there is none to
	// check) and returns nil when it answers. Its error is not shown.
	StateReady(ctx context.Context) (name string, err error)
}

// Watches is the /readyz "watch" section.
type Watches struct {
	Watched         int     `json:"watched"`           // meetings watched now
	Live            int     `json:"live"`              // of them, with the event socket up
	Reconnects      int     `json:"reconnects"`        // socket losses since start
	FrameLagSeconds float64 `json:"frame_lag_seconds"` // the largest frame lag
}

// Handler serves /healthz, /readyz and /metrics. The meeting check result
// is cached for about 10 s.
func Handler(checks Checks, gatherer prometheus.Gatherer) http.Handler {
	return newHandler(checks, gatherer, time.Now, meetingCheckTimeout)
}

func newHandler(checks Checks, gatherer prometheus.Gatherer, now func() time.Time, timeout time.Duration) http.Handler {
	r := &readiness{checks: checks, now: now, timeout: timeout}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /readyz", r)
	mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	return mux
}

// readiness answers /readyz and caches the meeting check.
type readiness struct {
	checks  Checks
	now     func() time.Time
	timeout time.Duration // of one meeting check

	// mu is held across a meeting check, so concurrent probes wait for
	// one check (≤ its timeout) instead of each starting their own.
	mu        sync.Mutex
	checkedAt time.Time
	meetErr   error
}

// readyBody is the /readyz answer: only fixed words, never error text,
// which could carry details an unauthenticated prober should not see.
type readyBody struct {
	Status  string   `json:"status"`          // "ready" | "not ready"
	Slack   string   `json:"slack"`           // "connected" | "disconnected"
	Meeting string   `json:"meeting"`         // "ok" | "timeout" | "error"
	State   string   `json:"state,omitempty"` // with a shared store: "redis: ok" | "redis: unavailable"
	Watch   *Watches `json:"watch,omitempty"` // when the Checks are WatchChecks
}

func (r *readiness) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body := readyBody{Status: "ready", Slack: "connected", Meeting: "ok"}
	if !r.checks.SlackConnected() {
		body.Slack = "disconnected"
	}
	if err := r.meeting(req.Context()); err != nil {
		body.Meeting = "error"
		if errors.Is(err, context.DeadlineExceeded) {
			body.Meeting = "timeout"
		}
	}
	stateOK := true
	if sc, ok := r.checks.(StateChecks); ok {
		sctx, cancel := context.WithTimeout(req.Context(), r.timeout)
		name, err := sc.StateReady(sctx)
		cancel()
		if name != "" {
			body.State, stateOK = name+": ok", err == nil
			if err != nil {
				body.State = name + ": unavailable"
			}
		}
	}
	if wc, ok := r.checks.(WatchChecks); ok {
		w := wc.Watches()
		body.Watch = &w
	}
	code := http.StatusOK
	if body.Slack != "connected" || body.Meeting != "ok" || !stateOK {
		body.Status = "not ready"
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}

// meeting returns the cached meeting check result, refreshing it when
// older than meetingCheckTTL.
func (r *readiness) meeting(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.checkedAt.IsZero() && r.now().Sub(r.checkedAt) < meetingCheckTTL {
		return r.meetErr
	}
	// The probe going away must not turn into a cached failure: the check
	// runs to its own deadline regardless.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.timeout)
	defer cancel()
	err := r.checks.MeetingReady(cctx)
	if err == nil && cctx.Err() != nil {
		err = cctx.Err() // a check that ignored its deadline still counts as too slow
	}
	r.meetErr, r.checkedAt = err, r.now()
	return err
}
