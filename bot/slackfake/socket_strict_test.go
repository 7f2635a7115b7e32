package slackfake

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

func TestRedeliverAsNewEnvelope(t *testing.T) {
	fake := NewT(t)
	c := startClient(t, fake, clientOpt{})
	id := fake.SlashCommand(Slash{UserID: "U1", ChannelID: "C1", Text: "914083136 jane"})
	first := c.next(socketmode.EventTypeSlashCommand)
	again, ok := fake.RedeliverAsNew(id, "timeout")
	if !ok || again == id {
		t.Fatalf("RedeliverAsNew = %q, %v; want a new envelope ID", again, ok)
	}
	second := c.next(socketmode.EventTypeSlashCommand)
	cmd1, cmd2 := first.Data.(slack.SlashCommand), second.Data.(slack.SlashCommand)
	if second.Request.EnvelopeID != again || second.Request.RetryAttempt != 1 || second.Request.RetryReason != "timeout" {
		t.Errorf("redelivery envelope %s retry %d %q, want %s retry 1 timeout",
			second.Request.EnvelopeID, second.Request.RetryAttempt, second.Request.RetryReason, again)
	}
	if first.Request.RetryAttempt != 0 || first.Request.RetryReason != "" {
		t.Errorf("first delivery retry %d %q, want 0 and empty", first.Request.RetryAttempt, first.Request.RetryReason)
	}
	if cmd1.TriggerID != cmd2.TriggerID || cmd1.ResponseURL != cmd2.ResponseURL || cmd2.Text != "914083136 jane" || cmd2.UserID != "U1" {
		t.Errorf("redelivered command %+v differs from the original %+v", cmd2, cmd1)
	}

	click := fake.BlockAction(Action{UserID: "U2", ChannelID: "C1", MessageTS: "1700000000.000100", ActionID: "disconnect", Value: "p1"})
	c.next(socketmode.EventTypeInteractive)
	clickAgain, _ := fake.RedeliverAsNew(click, "timeout")
	e := c.next(socketmode.EventTypeInteractive)
	cb := e.Data.(slack.InteractionCallback)
	if e.Request.EnvelopeID != clickAgain || e.Request.RetryAttempt != 1 || cb.ActionCallback.BlockActions[0].Value != "p1" {
		t.Errorf("redelivered click %s retry %d value %q", e.Request.EnvelopeID, e.Request.RetryAttempt, cb.ActionCallback.BlockActions[0].Value)
	}
	if _, ok := fake.RedeliverAsNew("nope", "timeout"); ok {
		t.Error("RedeliverAsNew of an unknown envelope reported true")
	}
}

// waitOpen waits until exactly n sockets are open.
func waitOpen(t *testing.T, fake *Server, n int) {
	t.Helper()
	if err := fake.wait(ctxT(t), "open sockets", func() bool { return len(fake.state.links) == n }); err != nil {
		t.Fatalf("%v (open: %d)", err, fake.NumConnections())
	}
}

func TestDisconnectClosesOldSocketAndRedeliversUnacked(t *testing.T) {
	for _, reason := range []string{"warning", "refresh_requested"} {
		t.Run(reason, func(t *testing.T) {
			// Redelivery after a drop is off: what comes back below is the disconnect's doing.
			fake := NewT(t, WithRedeliverUnacked(false))
			c := startClient(t, fake, clientOpt{})
			c.next(socketmode.EventTypeHello)
			acked := fake.SlashCommand(Slash{UserID: "U1", ChannelID: "C1", Text: "acked"})
			_ = c.sm.Ack(*c.next(socketmode.EventTypeSlashCommand).Request)
			if _, err := fake.WaitAck(ctxT(t), acked); err != nil {
				t.Fatal(err)
			}
			unacked := fake.SlashCommand(Slash{UserID: "U1", ChannelID: "C1", Text: "not acked"})
			c.next(socketmode.EventTypeSlashCommand)

			fake.SendDisconnect(reason)
			e := c.next(socketmode.EventTypeSlashCommand)
			if e.Request.EnvelopeID != unacked {
				t.Errorf("after the disconnect got %s, want the unacked %s again", e.Request.EnvelopeID, unacked)
			}
			_ = c.sm.Ack(*e.Request)
			if ack, err := fake.WaitAck(ctxT(t), unacked); err != nil || ack.Socket != 2 {
				t.Errorf("ack of the redelivery on socket %d (%v), want 2", ack.Socket, err)
			}
			waitOpen(t, fake, 1) // the old socket is gone, not merely idle
			if d := [2]int{fake.Deliveries(acked), fake.Deliveries(unacked)}; d != [2]int{1, 2} {
				t.Errorf("deliveries acked/unacked = %v, want [1 2]", d)
			}
		})
	}
}

// A client that ignores the disconnect frame has its socket closed by the server, and what it
// never acked goes to the next socket.
func TestServerClosesSocketThatIgnoresDisconnect(t *testing.T) {
	fake := NewT(t, WithDisconnectGrace(50*time.Millisecond), WithRedeliverUnacked(false))
	old := rawSocket(t, fake)
	id := fake.SlashCommand(Slash{UserID: "U1", ChannelID: "C1"})
	readType := func(conn *websocket.Conn) (string, string) {
		t.Helper()
		_ = conn.SetReadDeadline(time.Now().Add(waitLong))
		_, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		var f struct {
			Type       string `json:"type"`
			EnvelopeID string `json:"envelope_id"`
		}
		_ = json.Unmarshal(data, &f)
		return f.Type, f.EnvelopeID
	}
	if typ, got := readType(old); typ != "slash_commands" || got != id {
		t.Fatalf("first frame %s %s, want the slash command %s", typ, got, id)
	}
	fake.SendDisconnect("warning")
	if typ, _ := readType(old); typ != "disconnect" {
		t.Fatalf("frame %q, want disconnect", typ)
	}
	_ = old.SetReadDeadline(time.Now().Add(waitLong))
	_, _, err := old.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Errorf("after the grace: %v, want close 1001", err)
	}
	waitOpen(t, fake, 0)
	next := rawSocket(t, fake)
	if typ, got := readType(next); typ != "slash_commands" || got != id {
		t.Errorf("new socket got %s %s, want the unacked %s", typ, got, id)
	}
}

func TestEachEnvelopeGoesToOneSocket(t *testing.T) {
	fake := NewT(t)
	a := startClient(t, fake, clientOpt{})
	a.next(socketmode.EventTypeHello)
	b := startClient(t, fake, clientOpt{})
	if hello := b.next(socketmode.EventTypeHello); hello.Request.NumConnections != 2 {
		t.Errorf("second hello num_connections = %d, want 2", hello.Request.NumConnections)
	}
	ctx, cancel := context.WithCancel(ctxT(t))
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	// Each "replica" acks whatever it gets; a shared counter of events proves no envelope is
	// handed to both.
	got := make(chan string, 100)
	for _, c := range []*client{a, b} {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case e := <-c.events:
					if e.Type == socketmode.EventTypeSlashCommand {
						_ = c.sm.AckCtx(ctx, e.Request.EnvelopeID, nil)
						got <- e.Request.EnvelopeID
					}
				}
			}
		})
	}
	const n = 40
	ids := map[string]bool{}
	for range n {
		ids[fake.SlashCommand(Slash{UserID: "U1", ChannelID: "C1"})] = true
	}
	if err := fake.WaitAcks(ctxT(t), n); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for range n {
		seen[<-got]++
	}
	for id := range ids {
		if seen[id] != 1 || fake.Deliveries(id) != 1 || fake.AckCount(id) != 1 {
			t.Errorf("envelope %s: seen %d, delivered %d, acked %d; want 1 each", id, seen[id], fake.Deliveries(id), fake.AckCount(id))
		}
	}
	select {
	case extra := <-got:
		t.Errorf("envelope %s handed out again", extra)
	default:
	}
	perSocket := map[int]int{}
	for _, ack := range fake.Acks() {
		perSocket[ack.Socket]++
	}
	// The fake deals envelopes round robin, so two replicas share the work evenly.
	if perSocket[1] != n/2 || perSocket[2] != n/2 {
		t.Errorf("acks per socket = %v, want %d on each", perSocket, n/2)
	}
	if p := fake.Problems(); len(p) != 0 {
		t.Errorf("problems: %v", p)
	}
}
