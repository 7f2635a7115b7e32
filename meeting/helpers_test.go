package meeting_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/kickbot/kickbot/internal/testlog"
	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/meeting/meetingtest"
	"github.com/kickbot/kickbot/secret"
)

// t0 is the fake clock's start: a Monday morning.
var t0 = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

// env is a simulator with the sample meeting and a real client pointed at it
// over real HTTP, sharing one fake clock.
type env struct {
	sim    *meetingtest.Server
	facts  meetingtest.SampleFacts
	clock  *meetingtest.FakeClock
	client *meeting.Client
	cfg    meeting.Config
	logs   *testlog.Buffer
	obs    *recObserver
	wire   *wireRecorder
	sleeps *sleepRecorder
}

type envOpt struct {
	sim []meetingtest.Option
	cfg func(*meeting.Config)
}

func newEnv(t testing.TB, o envOpt) *env {
	t.Helper()
	clock := meetingtest.NewFakeClock(t0)
	sim := meetingtest.NewServer(append([]meetingtest.Option{meetingtest.WithClock(clock)}, o.sim...)...)
	t.Cleanup(sim.Close)
	e := &env{sim: sim, clock: clock, logs: &testlog.Buffer{}, obs: newRecObserver(), sleeps: &sleepRecorder{}}
	e.facts = sim.Sample()
	e.wire = &wireRecorder{next: http.DefaultTransport.(*http.Transport).Clone()}
	e.cfg = meeting.Config{
		BaseURL:        sim.URL(),
		AppID:          e.facts.AppID,
		AppKey:         secret.New(e.facts.AppKey),
		UserID:         e.facts.UserID,
		HTTPClient:     &http.Client{Transport: e.wire, Timeout: 10 * time.Second},
		Now:            clock.Now,
		RetryBaseDelay: time.Millisecond,
		RetryMaxDelay:  5 * time.Millisecond,
		Observer:       e.obs,
		Logger:         zerolog.New(e.logs).Level(zerolog.DebugLevel),
	}
	if o.cfg != nil {
		o.cfg(&e.cfg)
	}
	c, err := meeting.New(e.cfg)
	if err != nil {
		t.Fatalf("meeting.New: %v", err)
	}
	meeting.SetSleep(c, e.sleeps.sleep)
	t.Cleanup(e.wire.next.CloseIdleConnections)
	e.client = c
	return e
}

// counts returns the simulator's call count per endpoint.
func (e *env) counts() map[meetingtest.Endpoint]int {
	m := map[meetingtest.Endpoint]int{}
	for _, ep := range []meetingtest.Endpoint{
		meetingtest.EndpointAppAuth, meetingtest.EndpointAccountAuth, meetingtest.EndpointConfDetail,
		meetingtest.EndpointControlToken, meetingtest.EndpointRealTimeInfo, meetingtest.EndpointHangUp,
	} {
		if n := e.sim.CallCount(ep); n > 0 {
			m[ep] = n
		}
	}
	return m
}

func (e *env) others(i int) string { return e.facts.Others[i].ID }

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// asError returns err as *meeting.Error or fails the test.
func asError(t testing.TB, err error) *meeting.Error {
	t.Helper()
	var me *meeting.Error
	if !errors.As(err, &me) {
		t.Fatalf("error %v (%T) is not a *meeting.Error", err, err)
	}
	return me
}

// recObserver counts Observer events.
type recObserver struct {
	mu    sync.Mutex
	calls map[string]int // endpoint → calls
	cache map[string]int // "control hit", "access miss", …
}

func newRecObserver() *recObserver {
	return &recObserver{calls: map[string]int{}, cache: map[string]int{}}
}

func (o *recObserver) APICall(endpoint string, status int, d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls[endpoint]++
}

func (o *recObserver) TokenCache(token string, hit bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := token + " miss"
	if hit {
		k = token + " hit"
	}
	o.cache[k]++
}

func (o *recObserver) get(m map[string]int, k string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return m[k]
}

// sleepRecorder replaces the client's retry wait: it records the wait and
// returns at once (or with ctx's error).
type sleepRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleepRecorder) get() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// wireRecorder sits between the client and the simulator and collects every
// credential that crosses the wire (tokens issued, passwords sent), so the
// leak test can search logs and errors for the real values.
type wireRecorder struct {
	next *http.Transport

	mu      sync.Mutex
	secrets map[string]bool
	headers []http.Header // request headers, in order
}

func (w *wireRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	w.mu.Lock()
	w.headers = append(w.headers, req.Header.Clone())
	for _, h := range []string{"X-Password", "X-Access-Token", "X-Conference-Authorization", "Authorization"} {
		if v := req.Header.Get(h); v != "" {
			w.addLocked(v)
		}
	}
	w.mu.Unlock()
	resp, err := w.next.RoundTrip(req)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	body, rerr := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if rerr != nil {
		return resp, nil
	}
	var r struct {
		AccessToken  string `json:"accessToken"`
		RefreshToken string `json:"refreshToken"`
		Data         *struct {
			Token      string `json:"token"`
			TmpWsToken string `json:"tmpWsToken"`
		} `json:"data"`
		ConferenceData *struct {
			PasswordEntry []struct {
				Password string `json:"password"`
			} `json:"passwordEntry"`
		} `json:"conferenceData"`
	}
	if json.Unmarshal(body, &r) == nil {
		w.mu.Lock()
		w.addLocked(r.AccessToken)
		w.addLocked(r.RefreshToken)
		if r.Data != nil {
			w.addLocked(r.Data.Token)
			w.addLocked(r.Data.TmpWsToken)
		}
		if r.ConferenceData != nil {
			for _, p := range r.ConferenceData.PasswordEntry {
				w.addLocked(p.Password)
			}
		}
		w.mu.Unlock()
	}
	return resp, nil
}

func (w *wireRecorder) addLocked(v string) {
	if w.secrets == nil {
		w.secrets = map[string]bool{}
	}
	if len(v) >= 4 { // shorter values would match by coincidence
		w.secrets[v] = true
	}
}

func (w *wireRecorder) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for s := range w.secrets {
		out = append(out, s)
	}
	return out
}

func (w *wireRecorder) requestHeaders() []http.Header {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]http.Header(nil), w.headers...)
}
