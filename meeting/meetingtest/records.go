package meetingtest

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// maxCalls bounds the call log so a long load test cannot exhaust memory;
// CallCount and HangUpIDs are kept separately and stay exact.
const maxCalls = 100_000

// Call is the record of one request. It holds no secret: no token, password,
// app key or Authorization value; the bodies of appauth and account calls are
// dropped, and query parameters other than the documented non-secret ones
// are redacted.
type Call struct {
	Endpoint     Endpoint // "" for an unknown path or method
	Method, Path string
	Query        string // redacted raw query
	Status       int    // 0: no response (CloseConn, caller gave up, server closed)
	Body         []byte // request body; nil for the auth endpoints
	At           time.Time
	ConferenceID string   // the conferenceID query parameter
	HangUpIDs    []string // pids in a HangUp body (parsed leniently), in order
}

// safeQuery reports the query parameters that never carry secrets.
func safeQuery(name string) bool {
	switch name {
	case "conferenceID", "offset", "limit", "searchKey", "conf_id":
		return true
	}
	return false
}

func redactQuery(q url.Values) string {
	for k := range q {
		if !safeQuery(k) {
			q[k] = []string{"REDACTED"}
		}
	}
	return q.Encode()
}

func (s *Server) newCall(r *http.Request, e Endpoint, known bool, body []byte) *Call {
	q := r.URL.Query()
	c := &Call{
		Endpoint:     e,
		Method:       r.Method,
		Path:         r.URL.Path,
		Query:        redactQuery(q),
		At:           s.clock.Now(),
		ConferenceID: q.Get("conferenceID"),
	}
	if !known {
		c.Endpoint = ""
	}
	switch {
	case c.Endpoint == EndpointAppAuth || c.Endpoint == EndpointAccountAuth:
		// Dropped: these bodies are credentials material.
	case c.Endpoint == "" && strings.Contains(strings.ToLower(r.URL.Path), "auth"):
		// An auth call to a wrong path may still carry credentials.
	case len(body) > 0:
		c.Body = slices.Clone(body)
	}
	if c.Endpoint == EndpointHangUp {
		c.HangUpIDs = lenientIDs(body)
	}
	return c
}

// lenientIDs extracts what pids it can from a HangUp body, for the records.
func lenientIDs(body []byte) []string {
	ids, err := parseHangUp(body)
	if err != nil {
		return nil
	}
	return ids
}

func (s *Server) record(c *Call, status int) {
	c.Status = status
	s.recMu.Lock()
	defer s.recMu.Unlock()
	if len(s.calls) >= maxCalls {
		s.calls = slices.Delete(s.calls, 0, len(s.calls)/2)
	}
	s.calls = append(s.calls, *c)
	s.counts[c.Endpoint]++
	if c.Endpoint == EndpointHangUp && len(c.HangUpIDs) > 0 {
		s.hangUps[c.ConferenceID] = append(s.hangUps[c.ConferenceID], c.HangUpIDs...)
	}
}

// Calls returns the recorded calls in the order they completed (at most the
// most recent maxCalls). A call is recorded before its reply is sent, so a
// caller holding a reply always finds its call here. A call whose caller gave
// up (context ended during injected latency) is recorded, with Status 0, only
// once the server notices.
func (s *Server) Calls() []Call {
	s.recMu.Lock()
	defer s.recMu.Unlock()
	return slices.Clone(s.calls)
}

// CallCount is the number of calls to e received (whatever their outcome)
// since the start or the last ResetCalls.
func (s *Server) CallCount(e Endpoint) int {
	s.recMu.Lock()
	defer s.recMu.Unlock()
	return s.counts[e]
}

// HangUpIDs returns every pid ever sent to HangUp for the conference, in
// order, duplicates kept — including calls that failed or were faulted, since
// they were sent.
func (s *Server) HangUpIDs(confID string) []string {
	s.recMu.Lock()
	defer s.recMu.Unlock()
	return slices.Clone(s.hangUps[confID])
}

// ResetCalls forgets all records (calls, counts, hang-up ids).
func (s *Server) ResetCalls() {
	s.recMu.Lock()
	defer s.recMu.Unlock()
	s.calls = nil
	clear(s.counts)
	clear(s.hangUps)
}
