package slackfake

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

const writeWait = 5 * time.Second

// link is one Socket Mode WebSocket.
type link struct {
	id   int
	conn *websocket.Conn
	// writeMu serialises text frames (gorilla allows one concurrent writer; control frames are
	// exempt). Lock order: writeMu before Server.mu.
	writeMu  sync.Mutex
	draining bool     // a disconnect frame was sent: deliver nothing more here (guarded by Server.mu)
	sent     []string // envelope IDs written here (guarded by Server.mu)
	done     chan struct{}
	once     sync.Once
}

// kill closes the TCP connection without a close frame (an abrupt drop).
func (l *link) kill() {
	l.once.Do(func() {
		close(l.done)
		_ = l.conn.Close()
	})
}

// handleConnectionsOpen is apps.connections.open: app token as Bearer, returns a single-use
// ticket URL for /link/.
func (s *Server) handleConnectionsOpen(w http.ResponseWriter, r *http.Request) {
	const method = "apps.connections.open"
	rec, finish := s.startCall(w, method, "")
	defer finish()
	w = rec
	if !s.prelude(w, r, method, "") || !s.limit(w, method, "") {
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch {
	case !ok || strings.TrimSpace(tok) == "":
		writeError(w, "not_authed")
		return
	case tok == s.cfg.botToken:
		writeError(w, "not_allowed_token_type")
		return
	case tok != s.cfg.appToken:
		writeError(w, "invalid_auth")
		return
	}
	s.mu.Lock()
	s.state.ticketSeq++
	ticket := fmt.Sprint(s.state.ticketSeq)
	s.state.tickets[ticket] = false
	s.state.opens++
	s.state.notifyLocked()
	s.mu.Unlock()
	writeJSON(w, map[string]any{
		"ok":  true,
		"url": fmt.Sprintf("ws://%s/link/?ticket=%s&app_id=%s", r.Host, ticket, s.cfg.appID),
	})
}

// handleLink upgrades to the Socket Mode WebSocket, sends hello, then serves it: a writer
// goroutine delivers envelopes, a pinger sends ping control frames, and this goroutine reads
// acks until the socket dies.
func (s *Server) handleLink(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	used, known := s.state.tickets[ticket]
	if known && !used {
		s.state.tickets[ticket] = true
	}
	closed := s.state.closed
	if !closed {
		// The socket outlives net/http's bookkeeping once hijacked, so Close waits for it here.
		s.wg.Add(1)
		defer s.wg.Done()
	}
	s.mu.Unlock()
	if !known || used || closed {
		// Tickets are single-use: a reused ticket means the client skipped apps.connections.open.
		http.Error(w, "invalid or used ticket", http.StatusUnauthorized)
		return
	}
	conn, err := s.up.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade already replied
	}
	conn.SetReadLimit(1 << 20) // far above MaxFrameSize, so oversized frames are seen and reported

	// Register the link before hello is written (holding writeMu so nothing else is written
	// first): once the client has seen hello, SendDisconnect and DropConnection must find it.
	l := &link{conn: conn, done: make(chan struct{})}
	l.writeMu.Lock()
	s.mu.Lock()
	if s.state.closed {
		s.mu.Unlock()
		l.writeMu.Unlock()
		_ = conn.Close()
		return
	}
	s.state.linkSeq++
	l.id = s.state.linkSeq
	s.state.links[l.id] = l
	numConns := len(s.state.links)
	s.mu.Unlock()

	hello, _ := json.Marshal(map[string]any{
		"type":            "hello",
		"num_connections": numConns,
		"debug_info": map[string]any{
			"host":                        fmt.Sprintf("applink-fake-%d", l.id),
			"build_number":                1,
			"approximate_connection_time": s.cfg.approxConnectionSec,
		},
		"connection_info": map[string]any{"app_id": s.cfg.appID},
	})
	_ = conn.SetWriteDeadline(time.Now().Add(writeWait))
	err = conn.WriteMessage(websocket.TextMessage, hello)
	if err == nil {
		s.mu.Lock()
		s.state.sockets++
		s.state.notifyLocked()
		s.mu.Unlock()
	}
	l.writeMu.Unlock()
	if err != nil {
		l.kill()
		s.unlink(l)
		return
	}

	if !s.goOwned(func() { s.writeLoop(l) }) || !s.goOwned(func() { s.pingLoop(l) }) {
		l.kill()
	}
	s.readLoop(l)
	l.kill()
	s.unlink(l)
}

// unlink forgets a dead socket and, with WithRedeliverUnacked, re-queues what it never acked.
func (s *Server) unlink(l *link) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.state.links, l.id)
	// After a disconnect frame Slack hands what this socket never acked to the next one.
	if s.cfg.redeliverUnacked || l.draining {
		var again []*envelope
		seen := map[string]bool{}
		for _, id := range l.sent {
			if s.state.acked[id] > 0 || seen[id] {
				continue
			}
			seen[id] = true
			again = append(again, s.state.envelopes[id])
		}
		s.state.pending = append(again, s.state.pending...)
	}
	s.state.wakeLinksLocked() // the turn may have been this link's
	s.state.notifyLocked()
}

// writeLoop delivers pending envelopes, oldest first, to this socket.
func (s *Server) writeLoop(l *link) {
	for {
		l.writeMu.Lock()
		s.mu.Lock()
		if len(s.state.pending) == 0 || l.draining || s.state.turnLocked() != l.id {
			wake := s.state.work
			s.mu.Unlock()
			l.writeMu.Unlock()
			select {
			case <-wake:
				continue
			case <-l.done:
				return
			}
		}
		env := s.state.pending[0]
		s.state.pending[0] = nil
		s.state.pending = s.state.pending[1:]
		s.state.lastTaker = l.id
		s.state.wakeLinksLocked() // the next envelope is another link's turn
		// Sent is stamped before the write so an ack can never be seen before its Sent time.
		env.sent = s.now()
		env.deliveries++
		if env.id != "" {
			l.sent = append(l.sent, env.id)
		}
		s.mu.Unlock()

		_ = l.conn.SetWriteDeadline(time.Now().Add(writeWait))
		err := l.conn.WriteMessage(websocket.TextMessage, env.frame)
		l.writeMu.Unlock()
		if err != nil {
			// Not delivered: keep it for the next socket, like Slack would.
			s.mu.Lock()
			env.deliveries--
			if env.id != "" {
				l.sent = l.sent[:len(l.sent)-1]
			}
			s.state.pending = append([]*envelope{env}, s.state.pending...)
			s.mu.Unlock()
			l.kill()
			return
		}
	}
}

// pingLoop sends WebSocket ping control frames; slack-go reconnects if they stop.
func (s *Server) pingLoop(l *link) {
	if s.cfg.pingInterval <= 0 {
		<-l.done
		return
	}
	t := time.NewTicker(s.cfg.pingInterval)
	defer t.Stop()
	for {
		select {
		case <-l.done:
			return
		case <-t.C:
			s.mu.Lock()
			on := s.state.pings
			s.mu.Unlock()
			if !on {
				continue
			}
			// WriteControl may run concurrently with WriteMessage (gorilla's documented exception).
			if err := l.conn.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(writeWait)); err != nil {
				l.kill()
				return
			}
		}
	}
}

// readLoop collects ack frames until the socket fails.
func (s *Server) readLoop(l *link) {
	for {
		typ, data, err := l.conn.ReadMessage()
		if err != nil {
			return
		}
		received := s.now()
		if len(data) >= MaxFrameSize {
			s.mu.Lock()
			s.state.oversized++
			s.state.problems = append(s.state.problems,
				fmt.Sprintf("socket %d: client frame of %d bytes (limit %d)", l.id, len(data), MaxFrameSize))
			s.state.notifyLocked()
			s.mu.Unlock()
			msg := websocket.FormatCloseMessage(websocket.CloseMessageTooBig,
				fmt.Sprintf("Max frame length of %d has been exceeded.", MaxFrameSize))
			_ = l.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(writeWait))
			return
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if typ != websocket.TextMessage || json.Unmarshal(data, &ack) != nil || ack.EnvelopeID == "" {
			s.mu.Lock()
			s.state.badFrames++
			s.state.problems = append(s.state.problems, fmt.Sprintf("socket %d: unusable frame %.200q", l.id, data))
			s.state.notifyLocked()
			s.mu.Unlock()
			continue
		}
		if string(ack.Payload) == "null" {
			ack.Payload = nil
		}
		s.mu.Lock()
		a := Ack{EnvelopeID: ack.EnvelopeID, Payload: ack.Payload, Received: received, FrameSize: len(data), Socket: l.id}
		if env, ok := s.state.envelopes[ack.EnvelopeID]; ok {
			a.Type, a.Sent = env.typ, env.sent
		}
		s.state.acks = append(s.state.acks, a)
		s.state.acked[ack.EnvelopeID]++
		s.state.notifyLocked()
		s.mu.Unlock()
	}
}

// SendDisconnect writes {"type":"disconnect","reason":…} ("warning", "refresh_requested",
// "link_disabled", …) to every open socket and stops delivering on them; queued envelopes wait
// for the client's next socket. Like Slack, the server then closes each of those sockets (close
// frame 1001) if the client has not done so within the disconnect grace (WithDisconnectGrace),
// and envelopes written to them but never acked are delivered again on the next socket.
func (s *Server) SendDisconnect(reason string) {
	s.mu.Lock()
	links := s.state.linkList()
	s.mu.Unlock()
	for _, l := range links {
		frame, _ := json.Marshal(map[string]any{
			"type":       "disconnect",
			"reason":     reason,
			"debug_info": map[string]any{"host": fmt.Sprintf("applink-fake-%d", l.id)},
		})
		l.writeMu.Lock()
		s.mu.Lock()
		l.draining = true
		s.state.wakeLinksLocked()
		s.mu.Unlock()
		_ = l.conn.SetWriteDeadline(time.Now().Add(writeWait))
		err := l.conn.WriteMessage(websocket.TextMessage, frame)
		l.writeMu.Unlock()
		if err != nil {
			l.kill()
			continue
		}
		if !s.goOwned(func() { s.closeAfterGrace(l) }) {
			l.kill()
		}
	}
}

// closeAfterGrace closes a socket that was sent a disconnect frame once the grace has passed.
func (s *Server) closeAfterGrace(l *link) {
	t := time.NewTimer(s.cfg.disconnectGap)
	defer t.Stop()
	select {
	case <-l.done:
		return
	case <-s.ctx.Done():
		return
	case <-t.C:
	}
	l.writeMu.Lock()
	msg := websocket.FormatCloseMessage(websocket.CloseGoingAway, "disconnect")
	_ = l.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(writeWait))
	l.writeMu.Unlock()
	l.kill()
}

// DropConnection closes every open socket's TCP connection abruptly (no close frame).
func (s *Server) DropConnection() {
	s.mu.Lock()
	links := s.state.linkList()
	s.mu.Unlock()
	for _, l := range links {
		l.kill()
	}
}

// SetPings turns server pings on or off at runtime (off: slack-go's ping timeout fires).
func (s *Server) SetPings(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.pings = on
}

// Connections is how many apps.connections.open calls succeeded.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.opens
}

// Sockets is how many WebSockets were established (got their hello) so far.
func (s *Server) Sockets() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.sockets
}

// NumConnections is how many sockets are open right now.
func (s *Server) NumConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.state.links)
}

// WaitSockets waits until at least n sockets have been established in total and one is open.
func (s *Server) WaitSockets(ctx context.Context, n int) error {
	return s.wait(ctx, fmt.Sprintf("%d sockets", n), func() bool {
		return s.state.sockets >= n && len(s.state.links) > 0
	})
}

// Oversized is how many client frames were at or above MaxFrameSize (each closed the socket
// with 1009). Tests should assert it stays 0.
func (s *Server) Oversized() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.oversized
}

// BadFrames is how many client frames were not a usable ack (not JSON, no envelope_id, binary).
func (s *Server) BadFrames() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.badFrames
}

// Problems lists everything the fake found wrong with what the client did (oversized or
// unusable frames, internal errors). Empty in a healthy run.
func (s *Server) Problems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.state.problems...)
}
