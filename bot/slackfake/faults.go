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
// (whole seconds, rounded up, at least 1: slack-go parses an integer), which slack-go turns into
// *slack.RateLimitedError. method may be "response_url" or "apps.connections.open". Like a
// real one, the Retry-After holds for the method (for chat.postMessage: the channel) until it
// has run out, unless the server is Lenient.
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

// recorder remembers what a handler answered, for the call log.
type recorder struct {
	http.ResponseWriter
	status     int
	err        string
	retryAfter time.Duration
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// noteError records Slack's error string of the answer being written.
func noteError(w http.ResponseWriter, e string) {
	if r, ok := w.(*recorder); ok {
		r.err = e
	}
}

// startCall counts and logs a call on arrival (noting whether a Retry-After given for its
// channel/method is still running); finish, deferred by the caller, logs the answer.
func (s *Server) startCall(w http.ResponseWriter, method, channel string) (*recorder, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.calls[method]++
	now := s.now()
	until, ok := s.state.retryUntil[s.limitKey(method, channel)]
	s.state.callLog = append(s.state.callLog, Call{
		Method: method, Channel: channel, At: now, DuringRetryAfter: ok && now.Before(until),
	})
	i := len(s.state.callLog) - 1
	rec := &recorder{ResponseWriter: w}
	return rec, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		c := &s.state.callLog[i]
		c.Status, c.Error, c.RetryAfter = rec.status, rec.err, rec.retryAfter
		s.state.notifyLocked()
	}
}

// prelude applies scripted latency and faults. It reports false when it has already answered.
func (s *Server) prelude(w http.ResponseWriter, r *http.Request, method, channel string) bool {
	s.mu.Lock()
	sc := s.scriptLocked(method)
	latency := sc.latency
	var rateLimited, httpFail, errFail bool
	var retryAfter time.Duration
	var status int
	var errString string
	switch {
	case sc.rateLimited > 0:
		sc.rateLimited--
		rateLimited, retryAfter = true, ceilSecond(sc.retryAfter)
		// A scripted Retry-After binds the client like a real one.
		s.state.retryUntil[s.limitKey(method, channel)] = s.now().Add(retryAfter)
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
		s.writeRateLimited(w, retryAfter)
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

// limit applies the method's rate limit (and any running Retry-After). It reports false when
// it has answered with a rate-limit error.
func (s *Server) limit(w http.ResponseWriter, method, channel string) bool {
	s.mu.Lock()
	retryAfter := s.takeLocked(method, s.limitKey(method, channel), s.now())
	s.mu.Unlock()
	if retryAfter == 0 {
		return true
	}
	s.writeRateLimited(w, retryAfter)
	return false
}

// writeRateLimited answers as Slack does: HTTP 429 + Retry-After (whole seconds) and
// "ratelimited", or in body-error mode HTTP 200 "rate_limited".
func (s *Server) writeRateLimited(w http.ResponseWriter, retryAfter time.Duration) {
	s.mu.Lock()
	body := s.state.rateLimitBody
	s.mu.Unlock()
	retryAfter = ceilSecond(retryAfter)
	if r, ok := w.(*recorder); ok {
		r.retryAfter = retryAfter
	}
	w.Header().Set("Retry-After", fmt.Sprint(int64(retryAfter/time.Second)))
	if body {
		writeError(w, "rate_limited")
		return
	}
	noteError(w, "ratelimited")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusTooManyRequests)
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": "ratelimited"})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, errString string) {
	noteError(w, errString)
	writeJSON(w, map[string]any{"ok": false, "error": errString})
}

// UserMessage records a message posted in channel by someone other than the bot (a user, or
// another app) and returns its ts. It is not in Messages (the app did not send it); chat.update
// of it fails with cant_update_message, as Slack only lets an app edit its own messages.
func (s *Server) UserMessage(channel, user, text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.nextTSLocked()
	now := s.now()
	key := msgKey{channel, ts}
	s.state.posted[key] = &Message{Method: "user", Channel: channel, TS: ts, Text: text, User: user, At: now, postedAt: now}
	s.state.foreign[key] = true
	return ts
}

// SetUpdateError makes every chat.update of the message (channel, ts) fail with errString
// (e.g. "edit_window_closed", "cant_update_message") until called again with "".
func (s *Server) SetUpdateError(channel, ts, errString string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if errString == "" {
		delete(s.state.updateErrs, msgKey{channel, ts})
		return
	}
	s.state.updateErrs[msgKey{channel, ts}] = errString
}
