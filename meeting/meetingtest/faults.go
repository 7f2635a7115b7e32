package meetingtest

import (
	"fmt"
	"net/http"
	"time"
)

// Fault is what an injected failure does to one call. Delay waits first
// (real time, cut short when the caller gives up). Then CloseConn drops the
// TCP connection with no response; otherwise a non-zero Status is sent with
// Huawei's error body (Code/Msg default sensibly for the status) and, if
// RetryAfter is set, a Retry-After header. A Fault with only Delay slows the
// call down and then lets it proceed normally. (Through Handler() without a
// real connection, CloseConn aborts with http.ErrAbortHandler instead.)
//
// With Applied, the call first takes effect as normal (a hang-up removes its
// participants) and only then does the fault spoil the reply: CloseConn then
// models a reply lost after the server acted, Status a 5xx sent after the
// change was made, Delay a reply so late the caller gives up. Roster
// (realTimeInfo only) rewrites an otherwise good roster into a malformed one;
// it implies Applied.
type Fault struct {
	Status     int
	Code, Msg  string
	RetryAfter time.Duration
	CloseConn  bool
	Delay      time.Duration
	Applied    bool
	Roster     RosterFault
}

type pendingFault struct {
	f    Fault
	left int
}

// FailNext makes the next n calls to e fail as f. Calls queue up: a later
// FailNext applies after the earlier ones are used up.
func (s *Server) FailNext(e Endpoint, n int, f Fault) {
	if n <= 0 {
		return
	}
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.faults[e] = append(s.faults[e], pendingFault{f: f, left: n})
}

// ClearFaults drops every pending FailNext, latency and rate limit.
func (s *Server) ClearFaults() {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	clear(s.faults)
	clear(s.latency)
	clear(s.limits)
	clear(s.throttles)
}

func (s *Server) takeFault(e Endpoint) (Fault, bool) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	q := s.faults[e]
	if len(q) == 0 {
		return Fault{}, false
	}
	f := q[0].f
	if q[0].left--; q[0].left == 0 {
		q = q[1:]
	}
	if len(q) == 0 {
		delete(s.faults, e)
	} else {
		s.faults[e] = q
	}
	return f, true
}

// SetLatency makes every call to e wait d (real time) before it is handled;
// the wait ends early when the caller's request context does. 0 removes it.
func (s *Server) SetLatency(e Endpoint, d time.Duration) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	if d <= 0 {
		delete(s.latency, e)
		return
	}
	s.latency[e] = d
}

func (s *Server) latencyOf(e Endpoint) time.Duration {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return s.latency[e]
}

// writeFault sends an injected error reply.
func (s *Server) writeFault(w http.ResponseWriter, e Endpoint, f Fault) {
	code, msg := f.Code, f.Msg
	if code == "" {
		switch {
		case f.Status == http.StatusTooManyRequests:
			code, msg = CodeRateLimited, "SERVER_FLOW_CONTROL"
		case f.Status >= 500:
			code, msg = CodeServerError, "CONF_EXCEPTION"
		case f.Status == http.StatusUnauthorized && controlEndpoint(e):
			code, msg = s.ctlFail.code, s.ctlFail.msg
		case f.Status == http.StatusUnauthorized:
			code, msg = CodeAccessTokenInvalid, "AUTH_TOKEN_INVALID"
		default:
			code, msg = CodeBadRequest, "CONF_BAD_REQUEST"
		}
	}
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", retryAfterSeconds(f.RetryAfter))
	}
	writeError(w, apiError{status: f.Status, code: code, msg: msg})
}

// rateWindow is a fixed one-minute window on the server clock.
type rateWindow struct {
	limit int
	start time.Time
	used  int
}

// RateLimit allows perMinute calls to e per minute of the server clock
// (fixed windows). Beyond it a call gets 429, error_code "100000429" and a
// Retry-After header; every call to e carries an X-APIG-Ratelimit-Api header
// like Huawei's gateway. perMinute <= 0 removes the limit.
func (s *Server) RateLimit(e Endpoint, perMinute int) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	if perMinute <= 0 {
		delete(s.limits, e)
		return
	}
	s.limits[e] = &rateWindow{limit: perMinute}
}

// rateCheck counts the call and sets the gateway headers; limited reports a
// call over the limit, with how long until the window reopens.
func (s *Server) rateCheck(e Endpoint, h http.Header) (limited bool, retry time.Duration) {
	now := s.clock.Now()
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	rw, ok := s.limits[e]
	if !ok {
		return false, 0
	}
	if rw.start.IsZero() || !now.Before(rw.start.Add(time.Minute)) {
		rw.start, rw.used = now, 0
	}
	if rw.used >= rw.limit {
		h.Set("X-APIG-Ratelimit-Api", fmt.Sprintf("remain:0,limit:%d,time:1 minute", rw.limit))
		return true, rw.start.Add(time.Minute).Sub(now)
	}
	rw.used++
	h.Set("X-APIG-Ratelimit-Api", fmt.Sprintf("remain:%d,limit:%d,time:1 minute", rw.limit-rw.used, rw.limit))
	return false, 0
}

// Throttle allows perSecond calls to e per second of the server clock, like
// Huawei's API gateway ("time: 1 second"). Beyond it a call gets 429 with
// error_code APIG.0308 and, as documented, no Retry-After. perSecond <= 0
// removes the throttle.
func (s *Server) Throttle(e Endpoint, perSecond int) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	if perSecond <= 0 {
		delete(s.throttles, e)
		return
	}
	s.throttles[e] = &rateWindow{limit: perSecond}
}

// throttleCheck counts a call against e's per-second throttle.
func (s *Server) throttleCheck(e Endpoint) (limit int, throttled bool) {
	now := s.clock.Now()
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	rw, ok := s.throttles[e]
	if !ok {
		return 0, false
	}
	if rw.start.IsZero() || !now.Before(rw.start.Add(time.Second)) {
		rw.start, rw.used = now, 0
	}
	if rw.used >= rw.limit {
		return rw.limit, true
	}
	rw.used++
	return rw.limit, false
}

// controlEndpoint reports the endpoints authorised by a control token.
func controlEndpoint(e Endpoint) bool {
	switch e {
	case EndpointRealTimeInfo, EndpointHangUp, EndpointWSToken, EndpointLock,
		EndpointMoveToWaitingRoom, EndpointBatchMoveToWaitingRoom, EndpointAllowWaiting:
		return true
	}
	return false
}
