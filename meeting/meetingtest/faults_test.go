package meetingtest_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kickbot/kickbot/meeting/meetingtest"
)

func TestFailNext(t *testing.T) {
	tests := []struct {
		name       string
		fault      meetingtest.Fault
		wantStatus int
		wantCode   string
		wantRetry  string
	}{
		{"503 with default code", meetingtest.Fault{Status: 503}, 503, meetingtest.CodeServerError, ""},
		{"429 with Retry-After", meetingtest.Fault{Status: 429, RetryAfter: 1500 * time.Millisecond}, 429, meetingtest.CodeRateLimited, "2"},
		{"401 on a control call uses the control failure", meetingtest.Fault{Status: 401}, 401, meetingtest.CodeUserTokenAuthFailed, ""},
		{"explicit code", meetingtest.Fault{Status: 400, Code: "MMC.111070113", Msg: "HANGUP_EXCEPTION"}, 400, "MMC.111070113", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.srv.AddConference("555").Passwords("111111", "x")
			tok := e.mustControlToken("555", "111111")
			e.srv.FailNext(meetingtest.EndpointRealTimeInfo, 2, tt.fault)
			for i := range 2 {
				r := e.realTimeInfo("555", tok)
				if r.status != tt.wantStatus || r.errorCode() != tt.wantCode || r.header.Get("Retry-After") != tt.wantRetry {
					t.Fatalf("call %d: got %d %q Retry-After %q, want %d %q %q", i+1, r.status, r.errorCode(), r.header.Get("Retry-After"), tt.wantStatus, tt.wantCode, tt.wantRetry)
				}
			}
			if r := e.realTimeInfo("555", tok); r.status != 200 {
				t.Fatalf("third call: got %d, want 200 (only 2 failures were injected)", r.status)
			}
			if got := e.srv.CallCount(meetingtest.EndpointRealTimeInfo); got != 3 {
				t.Fatalf("got %d calls recorded, want 3", got)
			}
		})
	}
}

func TestFailNextCloseConn(t *testing.T) {
	e := newEnv(t)
	e.srv.AddConference("555").Passwords("111111", "x").Participant(meetingtest.P{ID: "a"})
	tok := e.mustControlToken("555", "111111")
	e.srv.FailNext(meetingtest.EndpointHangUp, 1, meetingtest.Fault{CloseConn: true})
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL()+meetingtest.PathHangUp+"?conferenceID=555", strings.NewReader(hangUpBody("a")))
	req.Header.Set("X-Conference-Authorization", tok)
	resp, err := e.hc.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got status %d, want a network error (connection closed)", resp.StatusCode)
	}
	// Nothing was done, but the call and its ids were seen.
	if got := onlineIDs(e.srv.Online("555")); len(got) != 1 {
		t.Fatalf("got online %v, want a still online", got)
	}
	calls := e.srv.Calls()
	last := calls[len(calls)-1]
	if last.Endpoint != meetingtest.EndpointHangUp || last.Status != 0 || len(last.HangUpIDs) != 1 {
		t.Fatalf("got last call %+v, want a hang-up with status 0 and the id", last)
	}
	if r := e.hangUp("555", tok, hangUpBody("a")); r.status != 200 {
		t.Fatalf("next call: got %d, want 200", r.status)
	}
}

func TestDelayHonoursTheCallersContext(t *testing.T) {
	tests := []struct {
		name  string
		setup func(s *meetingtest.Server)
	}{
		{"SetLatency", func(s *meetingtest.Server) { s.SetLatency(meetingtest.EndpointRealTimeInfo, time.Minute) }},
		{"Fault.Delay", func(s *meetingtest.Server) {
			s.FailNext(meetingtest.EndpointRealTimeInfo, 1, meetingtest.Fault{Delay: time.Minute})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.srv.AddConference("555").Passwords("111111", "x")
			tok := e.mustControlToken("555", "111111")
			tt.setup(e.srv)
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.URL()+meetingtest.PathRealTimeInfo+"?conferenceID=555", nil)
			req.Header.Set("X-Conference-Authorization", tok)
			resp, err := e.hc.Do(req)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("got status %d, want the deadline to end the call", resp.StatusCode)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("got %v, want context.DeadlineExceeded", err)
			}
			// Cleanup's Close must not wait out the minute: the handler saw the
			// cancellation (goleak would also notice a stuck handler).
		})
	}
}

func TestDelayOnlyFaultThenProceeds(t *testing.T) {
	e := newEnv(t)
	e.srv.AddConference("555").Passwords("111111", "x")
	tok := e.mustControlToken("555", "111111")
	e.srv.FailNext(meetingtest.EndpointRealTimeInfo, 1, meetingtest.Fault{Delay: 10 * time.Millisecond})
	if r := e.realTimeInfo("555", tok); r.status != 200 {
		t.Fatalf("got %d, want 200 after the delay", r.status)
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t)
	e.srv.AddConference("555").Passwords("111111", "x")
	tok := e.mustControlToken("555", "111111")
	e.srv.RateLimit(meetingtest.EndpointRealTimeInfo, 3)
	for i, remain := range []string{"2", "1", "0"} {
		r := e.realTimeInfo("555", tok)
		want := "remain:" + remain + ",limit:3,time:1 minute"
		if r.status != 200 || r.header.Get("X-APIG-Ratelimit-Api") != want {
			t.Fatalf("call %d: got %d %q, want 200 %q", i+1, r.status, r.header.Get("X-APIG-Ratelimit-Api"), want)
		}
	}
	e.clock.Advance(20 * time.Second)
	r := e.realTimeInfo("555", tok)
	if r.status != 429 || r.errorCode() != meetingtest.CodeRateLimited || r.header.Get("Retry-After") != "40" {
		t.Fatalf("over the limit: got %d %q Retry-After %q, want 429 %q 40", r.status, r.errorCode(), r.header.Get("Retry-After"), meetingtest.CodeRateLimited)
	}
	// Other endpoints are not limited.
	if r := e.hangUp("555", tok, hangUpBody("x")); r.status != 200 {
		t.Fatalf("hang-up: got %d, want 200", r.status)
	}
	e.clock.Advance(40 * time.Second)
	if r := e.realTimeInfo("555", tok); r.status != 200 {
		t.Fatalf("next window: got %d, want 200", r.status)
	}
	e.srv.RateLimit(meetingtest.EndpointRealTimeInfo, 0)
	if r := e.realTimeInfo("555", tok); r.header.Get("X-APIG-Ratelimit-Api") != "" {
		t.Fatalf("limit removed: got header %q, want none", r.header.Get("X-APIG-Ratelimit-Api"))
	}
}

func TestRequestIDAndContentType(t *testing.T) {
	e := newEnv(t)
	e.srv.AddConference("555").Passwords("111111", "x")
	tests := []struct {
		name, method, path, reqID string
		wantStatus                int
		wantCode                  string
		wantEcho                  bool
	}{
		{"echoed on success", http.MethodGet, meetingtest.PathControlToken + "?conferenceID=555", "trace-123", 200, "", true},
		{"echoed on error", http.MethodGet, meetingtest.PathControlToken + "?conferenceID=999", "trace-456", 400, meetingtest.CodeConfNotFoundOrAuthFailed, true},
		{"generated when absent", http.MethodGet, meetingtest.PathControlToken + "?conferenceID=555", "", 200, "", false},
		{"generated when unsafe", http.MethodGet, meetingtest.PathControlToken + "?conferenceID=555", "a b", 200, "", false},
		{"unknown path", http.MethodGet, "/v1/mmc/control/conferences/realtimeinfo", "t", 404, meetingtest.CodeAPINotFound, true},
		{"wrong method", http.MethodPost, meetingtest.PathRealTimeInfo, "t", 404, meetingtest.CodeAPINotFound, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{"X-Login-Type": "1", "X-Password": "111111"}
			if tt.reqID != "" {
				h["X-Request-ID"] = tt.reqID
			}
			r := e.do(tt.method, tt.path, h, "")
			if r.status != tt.wantStatus || r.errorCode() != tt.wantCode {
				t.Fatalf("got %d %q, want %d %q", r.status, r.errorCode(), tt.wantStatus, tt.wantCode)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json;charset=UTF-8" {
				t.Fatalf("got Content-Type %q, want application/json;charset=UTF-8", ct)
			}
			id := r.header.Get("X-Request-ID")
			if tt.wantEcho && id != tt.reqID || !tt.wantEcho && (len(id) != 32 || id == tt.reqID) {
				t.Fatalf("got X-Request-ID %q, want echo=%v of %q", id, tt.wantEcho, tt.reqID)
			}
			if r.status != 200 {
				if _, ok := r.body["error_msg"].(string); !ok {
					t.Fatalf("got error body %s, want error_code and error_msg", r.raw)
				}
			}
		})
	}
}

func TestCloseDoesNotWaitForInjectedLatency(t *testing.T) {
	srv := meetingtest.NewServer(meetingtest.WithClock(meetingtest.NewFakeClock(t0)))
	srv.AddConference("555").Passwords("111111", "x")
	srv.SetLatency(meetingtest.EndpointControlToken, time.Hour)
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, srv.URL()+meetingtest.PathControlToken+"?conferenceID=555", nil)
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for srv.Active() == 0 {
		time.Sleep(time.Millisecond)
	}
	srv.Close() // would block for an hour if the latency ignored Close
	if err := <-done; err == nil {
		t.Fatal("got a response, want the connection dropped by Close")
	}
	if got := srv.CallCount(meetingtest.EndpointControlToken); got != 1 {
		t.Fatalf("got %d calls recorded, want 1", got)
	}
}
