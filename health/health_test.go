package health

import (
	"github.com/kickbot/kickbot/internal/testlog"
	"github.com/kickbot/kickbot/metrics"

	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeChecks is a scriptable Checks that counts meeting checks.
type fakeChecks struct {
	slack   atomic.Bool
	mu      sync.Mutex
	meeting func(ctx context.Context) error
	calls   atomic.Int32
}

func (f *fakeChecks) SlackConnected() bool { return f.slack.Load() }

func (f *fakeChecks) MeetingReady(ctx context.Context) error {
	f.calls.Add(1)
	f.mu.Lock()
	fn := f.meeting
	f.mu.Unlock()
	if fn == nil {
		return nil
	}
	return fn(ctx)
}

func (f *fakeChecks) setMeeting(fn func(ctx context.Context) error) {
	f.mu.Lock()
	f.meeting = fn
	f.mu.Unlock()
}

// fakeClock is a settable clock for the cache.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// client returns an HTTP client whose idle connections are closed at the
// end of the test, so goleak sees no keep-alive goroutines.
func client(t *testing.T) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func get(t *testing.T, c *http.Client, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", url, err)
	}
	return resp.StatusCode, string(b), resp.Header
}

func newServer(t *testing.T, checks Checks, now func() time.Time, timeout time.Duration) (*httptest.Server, *prometheus.Registry) {
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(newHandler(checks, reg, now, timeout))
	t.Cleanup(srv.Close)
	return srv, reg
}

func TestHealthz(t *testing.T) {
	checks := &fakeChecks{} // Slack down, meeting fine: still alive
	srv, _ := newServer(t, checks, time.Now, time.Second)
	code, body, _ := get(t, client(t), srv.URL+"/healthz")
	if code != http.StatusOK || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz = %d %q, want 200 \"ok\"", code, body)
	}
	if checks.calls.Load() != 0 {
		t.Errorf("/healthz ran %d meeting checks, want 0 (liveness must not depend on Huawei)", checks.calls.Load())
	}
}

func TestReadyz(t *testing.T) {
	secretErr := errors.New("meeting appauth: unauthorized (key appkeysecretvalue)")
	tests := []struct {
		name     string
		slack    bool
		meeting  func(ctx context.Context) error
		wantCode int
		want     readyBody
	}{
		{"all good", true, nil, 200, readyBody{Status: "ready", Slack: "connected", Meeting: "ok"}},
		{"slack down", false, nil, 503, readyBody{Status: "not ready", Slack: "disconnected", Meeting: "ok"}},
		{"meeting error", true, func(context.Context) error { return secretErr }, 503, readyBody{Status: "not ready", Slack: "connected", Meeting: "error"}},
		{"meeting slow", true, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, 503, readyBody{Status: "not ready", Slack: "connected", Meeting: "timeout"}},
		{"meeting ignores its deadline", true, func(context.Context) error { time.Sleep(100 * time.Millisecond); return nil }, 503, readyBody{Status: "not ready", Slack: "connected", Meeting: "timeout"}},
		{"both down", false, func(context.Context) error { return secretErr }, 503, readyBody{Status: "not ready", Slack: "disconnected", Meeting: "error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checks := &fakeChecks{meeting: tt.meeting}
			checks.slack.Store(tt.slack)
			srv, _ := newServer(t, checks, time.Now, 50*time.Millisecond)
			code, body, h := get(t, client(t), srv.URL+"/readyz")
			var got readyBody
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("/readyz body %q is not JSON: %v", body, err)
			}
			if code != tt.wantCode || got != tt.want {
				t.Errorf("/readyz = %d %+v, want %d %+v", code, got, tt.wantCode, tt.want)
			}
			if ct := h.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			if strings.Contains(body, "secretvalue") || strings.Contains(body, "unauthorized") {
				t.Errorf("/readyz body %q shows error detail, want only fixed words", body)
			}
		})
	}
}

func TestReadyzCachesMeetingCheck(t *testing.T) {
	clock := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	checks := &fakeChecks{}
	checks.slack.Store(true)
	srv, _ := newServer(t, checks, clock.now, time.Second)
	c := client(t)

	steps := []struct {
		name      string
		advance   time.Duration
		meeting   error
		wantCode  int
		wantCalls int32
	}{
		{"first probe checks", 0, nil, 200, 1},
		{"within 10s reuses", 9 * time.Second, errors.New("down"), 200, 1},
		{"after 10s checks again", 2 * time.Second, errors.New("down"), 503, 2},
		{"failure is cached too", 5 * time.Second, nil, 503, 2},
		{"and expires", 6 * time.Second, nil, 200, 3},
	}
	for _, s := range steps {
		clock.advance(s.advance)
		err := s.meeting
		checks.setMeeting(func(context.Context) error { return err })
		code, body, _ := get(t, c, srv.URL+"/readyz")
		if code != s.wantCode || checks.calls.Load() != s.wantCalls {
			t.Errorf("%s: /readyz = %d (%s) after %d checks, want %d after %d", s.name, code, strings.TrimSpace(body), checks.calls.Load(), s.wantCode, s.wantCalls)
		}
	}
}

func TestConcurrentProbesShareOneCheck(t *testing.T) {
	release := make(chan struct{})
	checks := &fakeChecks{meeting: func(context.Context) error { <-release; return nil }}
	checks.slack.Store(true)
	srv, _ := newServer(t, checks, time.Now, 10*time.Second)
	c := client(t)

	const probes = 10
	codes := make(chan int, probes)
	var wg sync.WaitGroup
	for range probes {
		wg.Go(func() {
			resp, err := c.Get(srv.URL + "/readyz")
			if err != nil {
				codes <- 0
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		})
	}
	// Let the probes pile up behind the first check, then finish it.
	for checks.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	close(codes)
	for code := range codes {
		if code != 200 {
			t.Errorf("probe answered %d, want 200", code)
		}
	}
	if n := checks.calls.Load(); n != 1 {
		t.Errorf("%d concurrent probes ran %d meeting checks, want 1", probes, n)
	}
}

// A prober that hangs up must not leave a cached "not ready" behind.
func TestCanceledProbeDoesNotPoisonCache(t *testing.T) {
	checks := &fakeChecks{meeting: func(ctx context.Context) error { return ctx.Err() }}
	r := &readiness{checks: checks, now: time.Now, timeout: time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.meeting(ctx); err != nil {
		t.Errorf("meeting check with the probe's context canceled = %v, want nil (the check has its own deadline)", err)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	srv, reg := newServer(t, &fakeChecks{}, time.Now, time.Second)
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "kickbot_test_gauge", Help: "test"})
	reg.MustRegister(g)
	g.Set(42)
	code, body, _ := get(t, client(t), srv.URL+"/metrics")
	if code != 200 || !strings.Contains(body, "kickbot_test_gauge 42") {
		t.Errorf("/metrics = %d %q, want 200 containing kickbot_test_gauge 42", code, body)
	}
	if code, _, _ := get(t, client(t), srv.URL+"/nope"); code != http.StatusNotFound {
		t.Errorf("/nope = %d, want 404", code)
	}
}

func TestServeShutsDownOnCancel(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var logs testlog.Buffer
	done := make(chan error, 1)
	go func() {
		done <- ServeListener(ctx, ln, Handler(&fakeChecks{}, prometheus.NewRegistry()), zerolog.New(&logs))
	}()

	c := client(t)
	code, body, _ := get(t, c, "http://"+ln.Addr().String()+"/healthz")
	if code != 200 || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz over a real listener = %d %q, want 200 ok", code, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ServeListener after cancel = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ServeListener did not return after ctx was canceled")
	}
	if _, err := c.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		t.Error("GET after shutdown succeeded, want connection refused")
	}
	if !strings.Contains(logs.String(), ln.Addr().String()) {
		t.Errorf("logs = %q, want the listening address", logs.String())
	}
}

// watchChecks is a fakeChecks whose bot watches meetings.
type watchChecks struct {
	*fakeChecks
	mu sync.Mutex
	w  Watches
}

func (c *watchChecks) Watches() Watches { c.mu.Lock(); defer c.mu.Unlock(); return c.w }

// /readyz shows the watches, and sockets being down never makes the bot
// "not ready": kicks and lists fall back to the meeting API.
func TestReadyzShowsWatches(t *testing.T) {
	checks := &watchChecks{fakeChecks: &fakeChecks{}, w: Watches{Watched: 2, Live: 0, Reconnects: 7, FrameLagSeconds: 0}}
	checks.slack.Store(true)
	srv, _ := newServer(t, checks, time.Now, time.Second)
	code, body, _ := get(t, client(t), srv.URL+"/readyz")
	var got struct {
		Status string `json:"status"`
		Watch  *struct {
			Watched    *int     `json:"watched"`
			Live       *int     `json:"live"`
			Reconnects *int     `json:"reconnects"`
			Lag        *float64 `json:"frame_lag_seconds"`
		} `json:"watch"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("/readyz body %q is not JSON: %v", body, err)
	}
	if code != 200 || got.Status != "ready" {
		t.Errorf("/readyz with both sockets down = %d %q, want 200 ready (the meeting API still serves)", code, got.Status)
	}
	if w := got.Watch; w == nil || w.Watched == nil || *w.Watched != 2 || w.Live == nil || *w.Live != 0 ||
		w.Reconnects == nil || *w.Reconnects != 7 || w.Lag == nil || *w.Lag != 0 {
		t.Errorf("/readyz = %s; want watch {watched 2, live 0, reconnects 7, frame_lag_seconds 0}, zeros included", body)
	}

	// Without watching, no watch section at all.
	plain := &fakeChecks{}
	plain.slack.Store(true)
	srv2, _ := newServer(t, plain, time.Now, time.Second)
	if _, body, _ := get(t, client(t), srv2.URL+"/readyz"); strings.Contains(body, "watch") {
		t.Errorf("/readyz of a bot that does not watch = %s, want no watch section", body)
	}
}

// The watch families over a real scrape, read afresh each time.
func TestMetricsShowWatches(t *testing.T) {
	srv, reg := newServer(t, &fakeChecks{}, time.Now, time.Second)
	var mu sync.Mutex
	st := metrics.WatchStats{Watched: 1, Live: 1}
	reg.MustRegister(metrics.NewWatchCollector(func() metrics.WatchStats { mu.Lock(); defer mu.Unlock(); return st }))
	c := client(t)
	_, body, _ := get(t, c, srv.URL+"/metrics")
	for _, line := range []string{"kickbot_watched_meetings 1", "kickbot_watch_live 1", "kickbot_watch_reconnects_total 0", "kickbot_watch_frame_lag_seconds 0"} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("/metrics has no %q", line)
		}
	}
	mu.Lock()
	st = metrics.WatchStats{Watched: 1, Live: 0, Reconnects: 3, MaxLag: 2500 * time.Millisecond}
	mu.Unlock()
	_, body, _ = get(t, c, srv.URL+"/metrics")
	for _, line := range []string{"kickbot_watch_live 0", "kickbot_watch_reconnects_total 3", "kickbot_watch_frame_lag_seconds 2.5"} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("/metrics after the socket dropped has no %q", line)
		}
	}
}

// stateChecks adds a shared store to fakeChecks.
type stateChecks struct {
	*fakeChecks
	name string
	err  error
}

func (s *stateChecks) StateReady(context.Context) (string, error) { return s.name, s.err }

func TestReadyzNamesTheStateStore(t *testing.T) {
	tests := []struct {
		name     string
		checks   *stateChecks
		wantCode int
		want     readyBody
	}{
		{"redis answers", &stateChecks{name: "redis"}, 200, readyBody{Status: "ready", Slack: "connected", Meeting: "ok", State: "redis: ok"}},
		{"redis down", &stateChecks{name: "redis", err: errors.New("redis ping: dial tcp 127.0.0.1:6379: connect: connection refused")},
			503, readyBody{Status: "not ready", Slack: "connected", Meeting: "ok", State: "redis: unavailable"}},
		{"no store", &stateChecks{}, 200, readyBody{Status: "ready", Slack: "connected", Meeting: "ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.checks.fakeChecks = &fakeChecks{}
			tt.checks.slack.Store(true)
			srv, _ := newServer(t, tt.checks, time.Now, time.Second)
			code, body, _ := get(t, client(t), srv.URL+"/readyz")
			var got readyBody
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("/readyz body %q is not JSON: %v", body, err)
			}
			if code != tt.wantCode || got != tt.want {
				t.Errorf("/readyz = %d %+v, want %d %+v", code, got, tt.wantCode, tt.want)
			}
			if strings.Contains(body, "refused") || strings.Contains(body, "6379") {
				t.Errorf("/readyz body %q shows error detail, want only fixed words", body)
			}
			if tt.checks.name == "" && strings.Contains(body, "state") {
				t.Errorf("/readyz without a store = %s, want no state field", body)
			}
		})
	}
}
