package meetingtest

import (
	"net/http"
	"sync"
)

// gate holds the calls to one endpoint until released, so a test can line
// up concurrent requests deterministically (a /kick and a click for the
// same person, a burst of kicks) instead of relying on timing.
type gate struct {
	mu      sync.Mutex
	open    chan struct{}
	waiting int
}

// Hold makes calls to e wait until the returned release is called (calls
// made after release pass at once). Held reports how many are waiting.
func (s *Server) Hold(e Endpoint) (release func()) {
	g := &gate{open: make(chan struct{})}
	s.gatesMu.Lock()
	s.gates[e] = g
	s.gatesMu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.gatesMu.Lock()
			if s.gates[e] == g {
				delete(s.gates, e)
			}
			s.gatesMu.Unlock()
			close(g.open)
		})
	}
}

// Held is the number of calls to e waiting at a Hold.
func (s *Server) Held(e Endpoint) int {
	s.gatesMu.Lock()
	g := s.gates[e]
	s.gatesMu.Unlock()
	if g == nil {
		return 0
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waiting
}

// passGate waits at e's gate, if any. It reports false when the request or
// the server ended first.
func (s *Server) passGate(r *http.Request, e Endpoint) (outcome, bool) {
	s.gatesMu.Lock()
	g := s.gates[e]
	s.gatesMu.Unlock()
	if g == nil {
		return outcomeReply, true
	}
	g.mu.Lock()
	g.waiting++
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.waiting--
		g.mu.Unlock()
	}()
	select {
	case <-g.open:
		return outcomeReply, true
	case <-r.Context().Done():
		return outcomeGone, false
	case <-s.done:
		return outcomeDrop, false
	}
}
