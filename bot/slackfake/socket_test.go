package slackfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

func TestHelloThenSlashCommandAndAck(t *testing.T) {
	fake := NewT(t)
	c := startClient(t, fake, clientOpt{})

	c.next(socketmode.EventTypeConnected)
	hello := c.next(socketmode.EventTypeHello)
	if got, want := hello.Request.NumConnections, 1; got != want {
		t.Errorf("hello num_connections = %d, want %d", got, want)
	}
	if got, want := hello.Request.ConnectionInfo.AppID, DefaultAppID; got != want {
		t.Errorf("hello app_id = %q, want %q", got, want)
	}

	id := fake.SlashCommand(Slash{
		Text: `914083136 "Jane Doe"`, UserID: "U123", UserName: "mod", ChannelID: "C42", ChannelName: "ops",
	})
	evt := c.next(socketmode.EventTypeSlashCommand)
	cmd, ok := evt.Data.(slack.SlashCommand)
	if !ok {
		t.Fatalf("slash event data is %T, want slack.SlashCommand", evt.Data)
	}
	want := slack.SlashCommand{
		Token: "fake-verification-token", TeamID: DefaultTeamID, TeamDomain: DefaultTeamDomain,
		ChannelID: "C42", ChannelName: "ops", UserID: "U123", UserName: "mod", Command: "/kick",
		Text: `914083136 "Jane Doe"`, ResponseURL: fake.URL() + "/response/" + id, APIAppID: DefaultAppID,
		TriggerID: cmd.TriggerID,
	}
	if cmd != want {
		t.Errorf("slash command\n got %+v\nwant %+v", cmd, want)
	}
	if cmd.TriggerID == "" {
		t.Error("trigger_id is empty")
	}
	if evt.Request.EnvelopeID != id || !evt.Request.AcceptsResponsePayload {
		t.Errorf("envelope id=%q accepts_response_payload=%v, want %q true", evt.Request.EnvelopeID, evt.Request.AcceptsResponsePayload, id)
	}
	// Slack sends every slash payload field as a JSON string.
	var raw map[string]any
	if err := json.Unmarshal(evt.Request.Payload, &raw); err != nil {
		t.Fatal(err)
	}
	for k, v := range raw {
		if _, ok := v.(string); !ok {
			t.Errorf("payload field %q is %T, want string", k, v)
		}
	}
	if got := raw["is_enterprise_install"]; got != "false" {
		t.Errorf("is_enterprise_install = %#v, want \"false\"", got)
	}

	before := time.Now()
	if err := c.sm.Ack(*evt.Request, map[string]any{"response_type": "ephemeral", "text": "working on it"}); err != nil {
		t.Fatal(err)
	}
	ack, err := fake.WaitAck(ctxT(t), id)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(ack.Payload), `{"response_type":"ephemeral","text":"working on it"}`; got != want {
		t.Errorf("ack payload = %s, want %s", got, want)
	}
	if ack.Type != "slash_commands" || ack.Sent.IsZero() || ack.Sent.After(before) || ack.Received.Before(before) {
		t.Errorf("ack type=%q sent=%v received=%v, want slash_commands, sent before %v <= received", ack.Type, ack.Sent, ack.Received, before)
	}
	if ack.Latency() <= 0 || ack.FrameSize < len(id) {
		t.Errorf("ack latency=%v frame size=%d, want > 0 and >= %d", ack.Latency(), ack.FrameSize, len(id))
	}
	if got := fake.Calls("apps.connections.open"); got != 1 {
		t.Errorf("apps.connections.open calls = %d, want 1", got)
	}
}

func TestBlockActionCarriesClickedButtonAndMessage(t *testing.T) {
	fake := NewT(t)
	c := startClient(t, fake, clientOpt{})
	c.next(socketmode.EventTypeHello)

	blocks := slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "Roster", false, false), nil, nil))
	ch, ts, err := c.api.PostMessageContext(ctxT(t), "C42", slack.MsgOptionText("Roster of 914083136", false), blocks)
	if err != nil {
		t.Fatal(err)
	}
	id := fake.BlockAction(Action{
		UserID: "U7", UserName: "bob", ChannelID: ch, ChannelName: "ops", MessageTS: ts,
		ActionID: "kick", BlockID: "p1", Value: "914083136|abc", Text: "Disconnect",
	})
	evt := c.next(socketmode.EventTypeInteractive)
	cb, ok := evt.Data.(slack.InteractionCallback)
	if !ok {
		t.Fatalf("interactive data is %T, want slack.InteractionCallback", evt.Data)
	}
	if cb.Type != slack.InteractionTypeBlockActions || len(cb.ActionCallback.BlockActions) != 1 {
		t.Fatalf("type=%q actions=%d, want block_actions with 1 action", cb.Type, len(cb.ActionCallback.BlockActions))
	}
	act := cb.ActionCallback.BlockActions[0]
	got := fmt.Sprintf("%s %s %s %s %s %s %s %s %s %s %v %d", act.ActionID, act.BlockID, act.Value, act.Type,
		cb.User.ID, cb.User.Name, cb.Channel.ID, cb.Container.ChannelID, cb.Container.MessageTs, cb.Message.Timestamp,
		cb.Container.IsEphemeral, len(cb.Message.Blocks.BlockSet))
	want := fmt.Sprintf("kick p1 914083136|abc button U7 bob %s %s %s %s false 1", ch, ch, ts, ts)
	if got != want {
		t.Errorf("callback\n got %s\nwant %s", got, want)
	}
	if cb.Message.Text != "Roster of 914083136" || cb.ResponseURL != fake.URL()+"/response/"+id || cb.TriggerID == "" {
		t.Errorf("message text=%q response_url=%q trigger=%q", cb.Message.Text, cb.ResponseURL, cb.TriggerID)
	}
	if cb.BlockActionState == nil {
		t.Error("state.values missing")
	}
	if !evt.Request.AcceptsResponsePayload {
		t.Error("accepts_response_payload = false, want true")
	}
	if err := c.sm.Ack(*evt.Request); err != nil {
		t.Fatal(err)
	}
	ack, err := fake.WaitAck(ctxT(t), id)
	if err != nil {
		t.Fatal(err)
	}
	if ack.Payload != nil || ack.Type != "interactive" {
		t.Errorf("bare ack payload=%s type=%q, want none, interactive", ack.Payload, ack.Type)
	}
}

func TestEphemeralBlockActionHasNoMessage(t *testing.T) {
	fake := NewT(t)
	c := startClient(t, fake, clientOpt{})
	fake.BlockAction(Action{UserID: "U7", ChannelID: "C42", MessageTS: "1700000000.000900", IsEphemeral: true, ActionID: "a", BlockID: "b"})
	cb := c.next(socketmode.EventTypeInteractive).Data.(slack.InteractionCallback)
	if !cb.Container.IsEphemeral || cb.Message.Timestamp != "" {
		t.Errorf("ephemeral=%v message ts=%q, want true and no message", cb.Container.IsEphemeral, cb.Message.Timestamp)
	}
}

func TestEnvelopeQueuedBeforeConnectIsDeliveredAfterHello(t *testing.T) {
	fake := NewT(t)
	id := fake.SlashCommand(Slash{UserID: "U1", ChannelID: "C1", Text: "help"})
	if got := fake.Pending(); got != 1 {
		t.Fatalf("pending before connect = %d, want 1", got)
	}
	c := startClient(t, fake, clientOpt{})
	var order []string
	deadline := time.After(waitLong)
	for len(order) < 2 {
		var e socketmode.Event
		select {
		case e = <-c.events:
		case <-deadline:
			t.Fatalf("saw only %v", order)
		}
		if e.Type == socketmode.EventTypeHello || e.Type == socketmode.EventTypeSlashCommand {
			order = append(order, string(e.Type))
			if e.Request.EnvelopeID != "" && e.Request.EnvelopeID != id {
				t.Errorf("envelope id = %q, want %q", e.Request.EnvelopeID, id)
			}
		}
	}
	if got, want := strings.Join(order, ","), "hello,slash_commands"; got != want {
		t.Errorf("frame order = %s, want %s", got, want)
	}
}

func TestReconnects(t *testing.T) {
	tests := []struct {
		name  string
		fault func(*Server)
	}{
		{"refresh_requested", func(s *Server) { s.SendDisconnect("refresh_requested") }},
		{"warning", func(s *Server) { s.SendDisconnect("warning") }},
		{"dropped TCP", func(s *Server) { s.DropConnection() }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := NewT(t)
			c := startClient(t, fake, clientOpt{})
			c.next(socketmode.EventTypeHello)

			tc.fault(fake)
			id := fake.SlashCommand(Slash{UserID: "U1", ChannelID: "C1", Text: "during the gap"})
			evt := c.next(socketmode.EventTypeSlashCommand)
			if got := evt.Data.(slack.SlashCommand).Text; got != "during the gap" || evt.Request.EnvelopeID != id {
				t.Errorf("got %q (%s), want %q (%s)", got, evt.Request.EnvelopeID, "during the gap", id)
			}
			if err := fake.WaitSockets(ctxT(t), 2); err != nil {
				t.Fatalf("%v: sockets=%d open=%d conns=%d problems=%v", err, fake.Sockets(), fake.NumConnections(), fake.Connections(), fake.Problems())
			}
			if got, want := fake.Connections(), 2; got != want {
				t.Errorf("connections = %d, want %d", got, want)
			}
			if got, want := fake.Deliveries(id), 1; got != want {
				t.Errorf("deliveries = %d, want %d", got, want)
			}
			if err := c.sm.Ack(*evt.Request); err != nil {
				t.Fatal(err)
			}
			ack, err := fake.WaitAck(ctxT(t), id)
			if err != nil {
				t.Fatal(err)
			}
			if ack.Socket != 2 {
				t.Errorf("ack arrived on socket %d, want 2", ack.Socket)
			}
		})
	}
}

func TestMissingPingsMakeClientReconnect(t *testing.T) {
	fake := NewT(t, WithPingInterval(0))
	startClient(t, fake, clientOpt{smOpts: []socketmode.Option{socketmode.OptionPingInterval(100 * time.Millisecond)}})
	if err := fake.WaitSockets(ctxT(t), 2); err != nil {
		t.Fatal(err)
	}
}

func TestPingsKeepClientConnected(t *testing.T) {
	fake := NewT(t, WithPingInterval(20*time.Millisecond))
	c := startClient(t, fake, clientOpt{smOpts: []socketmode.Option{socketmode.OptionPingInterval(500 * time.Millisecond)}})
	c.next(socketmode.EventTypeHello)
	time.Sleep(1100 * time.Millisecond) // over two of the client's ping-timeout periods
	if got := fake.Sockets(); got != 1 {
		t.Errorf("sockets = %d, want 1 (pings should keep the link alive)", got)
	}
	fake.SetPings(false)
	if err := fake.WaitSockets(ctxT(t), 2); err != nil {
		t.Fatal(err)
	}
}

func TestWrongAppTokenStopsClient(t *testing.T) {
	tests := []struct {
		appToken, want string
	}{
		{"xapp-wrong", "invalid_auth"},
		{" ", "not_authed"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			fake := NewT(t)
			c := startClient(t, fake, clientOpt{appToken: tc.appToken})
			select {
			case err := <-c.runErr:
				c.runErr <- err
				if got := fmt.Sprint(err); got != tc.want {
					t.Errorf("RunContext error = %s, want %s", got, tc.want)
				}
			case <-time.After(waitLong):
				t.Fatal("RunContext did not return")
			}
			if got := fake.Connections(); got != 0 {
				t.Errorf("connections = %d, want 0", got)
			}
		})
	}
}

func TestRedeliverSendsIdenticalEnvelope(t *testing.T) {
	fake := NewT(t)
	c := startClient(t, fake, clientOpt{})
	id := fake.SlashCommand(Slash{UserID: "U1", ChannelID: "C1", Text: "914083136 x"})
	first := c.next(socketmode.EventTypeSlashCommand)
	if !fake.Redeliver(id) {
		t.Fatal("Redeliver reported unknown envelope")
	}
	second := c.next(socketmode.EventTypeSlashCommand)
	if first.Request.EnvelopeID != second.Request.EnvelopeID || string(first.Request.Payload) != string(second.Request.Payload) {
		t.Errorf("redelivery differs:\n%s %s\n%s %s", first.Request.EnvelopeID, first.Request.Payload, second.Request.EnvelopeID, second.Request.Payload)
	}
	if fake.Redeliver("nope") {
		t.Error("Redeliver of unknown id reported true")
	}
	_ = c.sm.Ack(*first.Request)
	_ = c.sm.Ack(*second.Request)
	if err := fake.WaitAcks(ctxT(t), 2); err != nil {
		t.Fatal(err)
	}
	if got := fake.AckCount(id); got != 2 {
		t.Errorf("acks = %d, want 2", got)
	}
}

func TestRedeliverUnackedAfterDrop(t *testing.T) {
	fake := NewT(t, WithRedeliverUnacked(true))
	c := startClient(t, fake, clientOpt{})
	acked := fake.SlashCommand(Slash{UserID: "U1", ChannelID: "C1", Text: "acked"})
	e := c.next(socketmode.EventTypeSlashCommand)
	_ = c.sm.Ack(*e.Request)
	if _, err := fake.WaitAck(ctxT(t), acked); err != nil {
		t.Fatal(err)
	}
	unacked := fake.SlashCommand(Slash{UserID: "U1", ChannelID: "C1", Text: "never acked"})
	c.next(socketmode.EventTypeSlashCommand)
	fake.DropConnection()
	again := c.next(socketmode.EventTypeSlashCommand)
	if again.Request.EnvelopeID != unacked {
		t.Errorf("redelivered %q, want %q", again.Request.EnvelopeID, unacked)
	}
	if got := fmt.Sprint(fake.Deliveries(acked), fake.Deliveries(unacked)); got != "1 2" {
		t.Errorf("deliveries acked/unacked = %s, want 1 2", got)
	}
}

func TestBurstOfThousandCommandsAllAcked(t *testing.T) {
	fake := NewT(t)
	c := startClient(t, fake, clientOpt{})
	c.next(socketmode.EventTypeHello)
	const n = 1000
	ids := map[string]bool{}
	for i := range n {
		ids[fake.SlashCommand(Slash{UserID: "U1", ChannelID: "C1", Text: fmt.Sprint(i)})] = true
	}
	if len(ids) != n {
		t.Fatalf("unique envelope ids = %d, want %d", len(ids), n)
	}
	for range n {
		e := c.next(socketmode.EventTypeSlashCommand)
		if err := c.sm.AckCtx(ctxT(t), e.Request.EnvelopeID, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := fake.WaitAcks(ctxT(t), n); err != nil {
		t.Fatal(err)
	}
	for _, a := range fake.Acks() {
		if !ids[a.EnvelopeID] || a.Latency() <= 0 {
			t.Fatalf("ack %s latency %v: unknown id or non-positive latency", a.EnvelopeID, a.Latency())
		}
	}
	if got := fake.Problems(); len(got) != 0 {
		t.Errorf("problems: %v", got)
	}
}

// rawSocket opens a socket with gorilla directly, for frames slack-go refuses to send.
func rawSocket(t *testing.T, fake *Server) *websocket.Conn {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, fake.APIURL()+"apps.connections.open", nil)
	req.Header.Set("Authorization", "Bearer "+DefaultAppToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var open struct {
		OK  bool
		URL string
	}
	if err := json.NewDecoder(resp.Body).Decode(&open); err != nil || !open.OK {
		t.Fatalf("open: %v %+v", err, open)
	}
	conn, _, err := websocket.DefaultDialer.Dial(open.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	// The ticket is single-use.
	if _, resp, err := websocket.DefaultDialer.Dial(open.URL, nil); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("second dial with the same ticket: err=%v, want HTTP 401", err)
	}
	if _, hello, err := conn.ReadMessage(); err != nil || !strings.Contains(string(hello), `"type":"hello"`) {
		t.Fatalf("first frame %s (%v), want hello", hello, err)
	}
	return conn
}

func TestOversizedFrameClosesWith1009(t *testing.T) {
	fake := NewT(t)
	conn := rawSocket(t, fake)
	big := fmt.Sprintf(`{"envelope_id":"x","payload":{"text":%q}}`, strings.Repeat("a", MaxFrameSize))
	if err := conn.WriteMessage(websocket.TextMessage, []byte(big)); err != nil {
		t.Fatal(err)
	}
	_, _, err := conn.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig {
		t.Fatalf("read after oversized frame: %v, want close 1009", err)
	}
	if got := fake.Oversized(); got != 1 {
		t.Errorf("oversized = %d, want 1", got)
	}
	if len(fake.Acks()) != 0 || len(fake.Problems()) != 1 {
		t.Errorf("acks=%d problems=%v, want 0 acks and 1 problem", len(fake.Acks()), fake.Problems())
	}
}

func TestUnusableFramesAreCounted(t *testing.T) {
	fake := NewT(t)
	conn := rawSocket(t, fake)
	for _, f := range []string{"not json", `{"payload":{}}`} {
		if err := conn.WriteMessage(websocket.TextMessage, []byte(f)); err != nil {
			t.Fatal(err)
		}
	}
	_ = conn.WriteMessage(websocket.TextMessage, []byte(`{"envelope_id":"ghost"}`))
	if err := fake.WaitAcks(ctxT(t), 1); err != nil {
		t.Fatal(err)
	}
	if got := fake.BadFrames(); got != 2 {
		t.Errorf("bad frames = %d, want 2", got)
	}
	if a := fake.Acks()[0]; a.EnvelopeID != "ghost" || !a.Sent.IsZero() || a.Type != "" {
		t.Errorf("ack of unknown envelope = %+v, want ghost with zero Sent", a)
	}
}

func TestSendRawMalformedFrameReachesClient(t *testing.T) {
	fake := NewT(t)
	c := startClient(t, fake, clientOpt{})
	fake.SendRaw([]byte(`{"type":"slash_commands","envelope_id":"bad","payload":{"text":1}}`))
	e := c.next(socketmode.EventTypeErrorBadMessage)
	if bad, ok := e.Data.(*socketmode.ErrorBadMessage); !ok || !strings.Contains(string(bad.Message), `"bad"`) {
		t.Errorf("bad message event = %#v", e.Data)
	}
}

func TestCloseIsIdempotentAndEndsWaits(t *testing.T) {
	fake := New()
	fake.Close()
	fake.Close()
	if _, err := fake.WaitAck(ctxT(t), "x"); !errors.Is(err, ErrClosed) {
		t.Errorf("WaitAck after Close = %v, want ErrClosed", err)
	}
}
