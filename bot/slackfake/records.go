package slackfake

import (
	"context"
	"errors"
	"fmt"
)

// ErrClosed is returned by the Wait methods once the server is closed.
var ErrClosed = errors.New("slackfake: server closed")

// wait blocks until cond (called with s.mu held) is true, ctx ends or the server closes.
func (s *Server) wait(ctx context.Context, what string, cond func() bool) error {
	for {
		s.mu.Lock()
		if cond() {
			s.mu.Unlock()
			return nil
		}
		closed, changed := s.state.closed, s.state.changed
		s.mu.Unlock()
		if closed {
			return fmt.Errorf("%w (waiting for %s)", ErrClosed, what)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("slackfake: waiting for %s: %w", what, ctx.Err())
		}
	}
}

// Acks returns every ack received so far, in arrival order.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Ack(nil), s.state.acks...)
}

// AckCount is how many times the envelope was acked (0 = never).
func (s *Server) AckCount(envelopeID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.acked[envelopeID]
}

// WaitAck waits for the first ack of envelopeID.
func (s *Server) WaitAck(ctx context.Context, envelopeID string) (Ack, error) {
	var got Ack
	err := s.wait(ctx, "ack of "+envelopeID, func() bool {
		if s.state.acked[envelopeID] == 0 {
			return false
		}
		for _, a := range s.state.acks {
			if a.EnvelopeID == envelopeID {
				got = a
				return true
			}
		}
		return false
	})
	return got, err
}

// WaitAcks waits until at least n acks have arrived in total.
func (s *Server) WaitAcks(ctx context.Context, n int) error {
	return s.wait(ctx, fmt.Sprintf("%d acks", n), func() bool { return len(s.state.acks) >= n })
}

// Messages returns every message the app sent so far, in arrival order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.state.messages...)
}

// MessagesSince returns the messages recorded after the first i, so a
// poller reads each message once instead of copying them all every time.
func (s *Server) MessagesSince(i int) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i >= len(s.state.messages) {
		return nil
	}
	return append([]Message(nil), s.state.messages[max(i, 0):]...)
}

// WaitMessage waits for the first message (already recorded or yet to come) matching pred.
// pred runs with the server's lock held: it must not call the Server.
func (s *Server) WaitMessage(ctx context.Context, pred func(Message) bool) (Message, error) {
	var got Message
	err := s.wait(ctx, "message", func() bool {
		for _, m := range s.state.messages {
			if pred(m) {
				got = m
				return true
			}
		}
		return false
	})
	return got, err
}

// WaitMessages waits until at least n messages matching pred have been recorded and returns them.
// pred runs with the server's lock held: it must not call the Server.
func (s *Server) WaitMessages(ctx context.Context, n int, pred func(Message) bool) ([]Message, error) {
	var got []Message
	err := s.wait(ctx, fmt.Sprintf("%d messages", n), func() bool {
		got = got[:0]
		for _, m := range s.state.messages {
			if pred(m) {
				got = append(got, m)
			}
		}
		return len(got) >= n
	})
	return got, err
}

// Thread returns the replies posted in the thread of (channel, parentTS), in order.
func (s *Server) Thread(channel, parentTS string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.state.messages {
		if m.Method == "chat.postMessage" && m.Channel == channel && m.ThreadTS == parentTS && m.TS != parentTS {
			out = append(out, m)
		}
	}
	return out
}

// Current returns the message at (channel, ts) as a user would see it now (after every
// chat.update), and whether such a message exists.
func (s *Server) Current(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.state.posted[msgKey{channel, ts}]
	if !ok {
		return Message{}, false
	}
	return *m, true
}

// Calls is how many requests reached the named method ("chat.postMessage", "response_url",
// "apps.connections.open", …), failed or not.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.calls[method]
}
