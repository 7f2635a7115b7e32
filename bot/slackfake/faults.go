package slackfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// script is the scripted behaviour of one method. Counted faults are consumed in this order:
// rate limit, HTTP status, error body.
type script struct {
	latency     time.Duration
	rateLimited int
	retryAfter  time.Duration
	httpFail    int
	httpStatus  int
	errFail     int
	errString   string
}

func (s *Server) scriptLocked(method string) *script {
	sc, ok := s.state.scripts[method]
	if !ok {
		sc = &script{}
		s.state.scripts[method] = sc
	}
	return sc
}

// RateLimitNext makes the next n calls to method answer HTTP 429 with a Retry-After header
// (whole seconds, rounded up: slack-go parses an integer), which slack-go turns into
// *slack.RateLimitedError. method may be "response_url" or "apps.connections.open".
func (s *Server) RateLimitNext(method string, n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := s.scriptLocked(method)
	sc.rateLimited, sc.retryAfter = n, retryAfter
}

// FailNext makes the next n calls to method answer {"ok":false,"error":errString}
// (slack-go: slack.SlackErrorResponse{Err: errString}).
func (s *Server) FailNext(method string, n int, errString string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := s.scriptLocked(method)
	sc.errFail, sc.errString = n, errString
}

// FailNextHTTP makes the next n calls to method answer the HTTP status (e.g. 500, 503) with an
// HTML body, as Slack does (slack-go: slack.StatusCodeError).
func (s *Server) FailNextHTTP(method string, n int, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := s.scriptLocked(method)
	sc.httpFail, sc.httpStatus = n, status
}

// SetLatency makes every call to method wait d before it is answered (honouring the request's
// context). 0 removes it.
func (s *Server) SetLatency(method string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scriptLocked(method).latency = d
}

// SetNotInChannel makes chat.postMessage/update/postEphemeral to channel fail with
// not_in_channel and conversations.info report is_member false.
func (s *Server) SetNotInChannel(channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.notInChannel[channel] = true
}

// SetUsergroup defines a user group (ID "S…") and its members for usergroups.users.list.
func (s *Server) SetUsergroup(id string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.usergroups[id] = append([]string{}, members...)
}

// SetUser defines (or replaces) a user for users.info. Users seen in payloads are known already.
func (s *Server) SetUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.users[u.ID] = u
}

// SetChannel defines (or replaces) a channel for conversations.info. Channels seen in payloads
// are known already.
func (s *Server) SetChannel(c Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.channels[c.ID] = c
}

// prelude counts the call and applies scripted latency and faults. It reports false when it
// has already answered.
func (s *Server) prelude(w http.ResponseWriter, r *http.Request, method string) bool {
	s.mu.Lock()
	s.state.calls[method]++
	sc := s.scriptLocked(method)
	latency := sc.latency
	var rateLimited, httpFail, errFail bool
	var retryAfter time.Duration
	var status int
	var errString string
	switch {
	case sc.rateLimited > 0:
		sc.rateLimited--
		rateLimited, retryAfter = true, sc.retryAfter
	case sc.httpFail > 0:
		sc.httpFail--
		httpFail, status = true, sc.httpStatus
	case sc.errFail > 0:
		sc.errFail--
		errFail, errString = true, sc.errString
	}
	s.mu.Unlock()

	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return false
		case <-s.ctx.Done():
			t.Stop()
			http.Error(w, "server closing", http.StatusServiceUnavailable)
			return false
		}
	}
	switch {
	case rateLimited:
		secs := int64((retryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", fmt.Sprint(secs))
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusTooManyRequests)
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": "ratelimited"})
		return false
	case httpFail:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, "<html><body>%d %s</body></html>", status, http.StatusText(status))
		return false
	case errFail:
		writeError(w, errString)
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, errString string) {
	writeJSON(w, map[string]any{"ok": false, "error": errString})
}
