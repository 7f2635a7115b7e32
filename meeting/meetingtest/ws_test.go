package meetingtest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// These tests speak the conference WebSocket by hand (gorilla/websocket),
// to pin down what the simulator accepts and refuses; meeting's watch tests
// run the real client against it.

const seq24 = "123456789012345678901234"

// wsToken fetches a WebSocket token with a control token.
func (e *env) wsToken(conf, ctl string) reply {
	e.t.Helper()
	return e.do(http.MethodGet, meetingtest.PathWSToken+"?conferenceID="+conf,
		map[string]string{"X-Conference-Authorization": ctl}, "")
}

func (e *env) mustWSToken(conf, ctl string) string {
	e.t.Helper()
	r := e.wsToken(conf, ctl)
	tok, _ := r.body["webSocketToken"].(string)
	if r.status != http.StatusOK || tok == "" {
		e.t.Fatalf("wsToken: got %d %s, want 200 with a token", r.status, r.raw)
	}
	return tok
}

// dial opens a socket with tok; resp is the handshake reply.
func (e *env) dial(conf, tok string) (*websocket.Conn, *http.Response, error) {
	e.t.Helper()
	u := "ws" + strings.TrimPrefix(e.srv.URL(), "http") + meetingtest.PathWebSocket +
		"?confID=" + url.QueryEscape(conf) + "&tmpToken=" + url.QueryEscape(tok)
	c, resp, err := websocket.DefaultDialer.Dial(u, nil)
	if err == nil {
		e.t.Cleanup(func() { _ = c.Close() })
	}
	return c, resp, err
}

// sock is a subscribed test socket.
type sock struct {
	t *testing.T
	c *websocket.Conn
}

func (s sock) send(v any) {
	s.t.Helper()
	if err := s.c.WriteJSON(v); err != nil {
		s.t.Fatalf("write: %v", err)
	}
}

// frame is a decoded server message; data is unwrapped if it was a string.
type frame struct {
	Action   string          `json:"action"`
	MsgMode  int             `json:"msgMode"`
	ConfID   string          `json:"confID"`
	Sequence string          `json:"sequence"`
	Data     json.RawMessage `json:"data"`
}

type item struct {
	PID      string         `json:"pid"`
	Mode     int            `json:"mode"`
	PinfoMap map[string]any `json:"pinfoMap"`
}

func (s sock) next() frame {
	s.t.Helper()
	_ = s.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, b, err := s.c.ReadMessage()
	if err != nil {
		s.t.Fatalf("read: %v", err)
	}
	var f frame
	if err := json.Unmarshal(b, &f); err != nil {
		s.t.Fatalf("frame %s: %v", b, err)
	}
	var str string
	if json.Unmarshal(f.Data, &str) == nil {
		f.Data = json.RawMessage(str)
	}
	return f
}

func (s sock) nextOf(action string) frame {
	s.t.Helper()
	for {
		if f := s.next(); f.Action == action {
			return f
		}
	}
}

func items(t *testing.T, f frame) []item {
	t.Helper()
	var its []item
	if err := json.Unmarshal(f.Data, &its); err != nil {
		t.Fatalf("%s data %s: %v", f.Action, f.Data, err)
	}
	return its
}

func subscribeMsg(conf, ctl string, types ...string) map[string]any {
	data, _ := json.Marshal(map[string]any{"subscribeType": types, "confToken": basic(ctl), "conferenceID": conf})
	return map[string]any{"sequence": seq24, "action": "Subscribe", "data": string(data)}
}

var allTypes = []string{meetingtest.NotifyParticipants, meetingtest.NotifyConfDynamic,
	meetingtest.NotifyWaitingList, meetingtest.NotifyAttendees}

// open returns a socket subscribed to every type, with the initial frames
// read up to the participant list, which it returns.
func (e *env) open(conf string) (sock, string, []item) {
	e.t.Helper()
	ctl := e.mustControlToken(conf, meetingtest.SampleHostPassword)
	c, _, err := e.dial(conf, e.mustWSToken(conf, ctl))
	if err != nil {
		e.t.Fatalf("dial: %v", err)
	}
	s := sock{e.t, c}
	s.send(subscribeMsg(conf, ctl, allTypes...))
	r := s.nextOf("Subscribe")
	if string(r.Data) != `{"returnCode":0}` || r.Sequence != seq24 {
		e.t.Fatalf("Subscribe reply %+v", r)
	}
	f := s.nextOf(meetingtest.NotifyParticipants)
	if f.MsgMode != 0 {
		e.t.Fatalf("first participant frame has msgMode %d, want 0 (full)", f.MsgMode)
	}
	return s, ctl, items(e.t, f)
}

func TestWSTokenIsSingleUseAndShortLived(t *testing.T) {
	e := newEnv(t)
	e.srv.Sample()
	conf := meetingtest.SampleConferenceID
	ctl := e.mustControlToken(conf, meetingtest.SampleHostPassword)

	if r := e.wsToken(conf, "not-a-token"); r.status != http.StatusUnauthorized {
		t.Errorf("wsToken with a bad control token: %d, want 401", r.status)
	}
	tok := e.mustWSToken(conf, basic(ctl))
	if _, _, err := e.dial(conf, tok); err != nil {
		t.Fatalf("first use: %v", err)
	}
	// Second use: refused (after the upgrade, by default: 1008).
	c, _, err := e.dial(conf, tok)
	if err != nil {
		t.Fatalf("second dial: %v", err)
	}
	_, _, err = c.ReadMessage()
	if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
		t.Errorf("reused token: %v, want close 1008", err)
	}

	expired := e.mustWSToken(conf, ctl)
	e.clock.Advance(time.Minute)
	c, _, err = e.dial(conf, expired)
	if err == nil {
		_, _, err = c.ReadMessage()
	}
	if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
		t.Errorf("token a minute old: %v, want close 1008", err)
	}
	// The server counts a socket once its handler has registered it, which
	// may be just after the client's handshake returned: wait for it.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	want := func(st meetingtest.WebSocketStats) bool { return st.Tokens == 2 && st.Refused == 2 && st.Opened == 1 }
	if err := e.srv.WaitWebSockets(ctx, conf, want); err != nil {
		t.Errorf("stats %+v; want 2 tokens, 2 refused, 1 opened", e.srv.WebSocketStats(conf))
	}
}

func TestWSRefusalAtUpgrade(t *testing.T) {
	e := newEnv(t, meetingtest.WithWebSocketAuthRefusal(meetingtest.RefuseAtUpgrade))
	e.srv.Sample()
	conf := meetingtest.SampleConferenceID
	ctl := e.mustControlToken(conf, meetingtest.SampleHostPassword)
	e.srv.RefuseWebSockets(1)
	_, resp, err := e.dial(conf, e.mustWSToken(conf, ctl))
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("refused dial: %v, %v; want a 401 handshake", resp, err)
	}
	if _, _, err := e.dial(conf, e.mustWSToken(conf, ctl)); err != nil {
		t.Errorf("after the refusal: %v", err)
	}
}

func TestWSSubscribeIsChecked(t *testing.T) {
	e := newEnv(t)
	e.srv.Sample()
	conf := meetingtest.SampleConferenceID
	ctl := e.mustControlToken(conf, meetingtest.SampleHostPassword)
	bad := map[string]map[string]any{
		"bad control token": subscribeMsg(conf, "nope", allTypes...),
		"other conference":  subscribeMsg("111111111", ctl, allTypes...),
		"no types":          subscribeMsg(conf, ctl),
		"short sequence":    func() map[string]any { m := subscribeMsg(conf, ctl, allTypes...); m["sequence"] = "1"; return m }(),
	}
	for name, msg := range bad {
		t.Run(name, func(t *testing.T) {
			c, _, err := e.dial(conf, e.mustWSToken(conf, ctl))
			if err != nil {
				t.Fatal(err)
			}
			s := sock{t, c}
			s.send(msg)
			if r := s.nextOf("Subscribe"); string(r.Data) == `{"returnCode":0}` {
				t.Fatalf("accepted: %s", r.Data)
			}
			if _, _, err := c.ReadMessage(); !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
				t.Errorf("after a refused Subscribe: %v, want close 1008", err)
			}
		})
	}
	t.Run("data as an object, raw token", func(t *testing.T) {
		c, _, err := e.dial(conf, e.mustWSToken(conf, ctl))
		if err != nil {
			t.Fatal(err)
		}
		s := sock{t, c}
		s.send(map[string]any{"sequence": seq24, "action": "Subscribe",
			"data": map[string]any{"subscribeType": []string{meetingtest.NotifyParticipants}, "confToken": ctl}})
		if r := s.nextOf("Subscribe"); string(r.Data) != `{"returnCode":0}` {
			t.Fatalf("refused: %s", r.Data)
		}
	})
}

func TestWSFramesFollowTheMeeting(t *testing.T) {
	e := newEnv(t)
	e.srv.Sample()
	conf := meetingtest.SampleConferenceID
	s, ctl, first := e.open(conf)
	var got []string
	for _, it := range first {
		got = append(got, it.PID)
		if it.PID == meetingtest.SampleHostPID && it.PinfoMap["ROLE"] != "1" {
			t.Errorf("host ROLE = %v, want \"1\"", it.PinfoMap["ROLE"])
		}
		if it.PID == meetingtest.SampleCoHostPID && it.PinfoMap["ROLE"] != "0" {
			t.Errorf("co-host ROLE = %v, want \"0\" (ROLE does not mark co-hosts)", it.PinfoMap["ROLE"])
		}
	}
	if want := onlineIDs(e.srv.Online(conf)); !slices.Equal(got, want) {
		t.Errorf("full frame pids %v, want %v", got, want)
	}

	e.clock.Advance(time.Second)
	e.srv.Join(conf, meetingtest.P{ID: "aa11", Name: "New", Device: "Pad"})
	f := s.nextOf(meetingtest.NotifyParticipants)
	its := items(t, f)
	if f.MsgMode != 1 || len(its) != 1 || its[0].PID != "aa11" || its[0].Mode != 0 ||
		its[0].PinfoMap["CLICENT_LOGIN_TYPE"] != "Pad" || its[0].PinfoMap["ADDTIME"] != "1764061201000" {
		t.Errorf("join frame %+v %+v", f, its)
	}

	// A hang-up through the REST API is a remove frame.
	if r := e.hangUp(conf, ctl, hangUpBody("aa11", meetingtest.SampleCarlosPID)); r.status != http.StatusOK {
		t.Fatalf("hangUp %d", r.status)
	}
	its = items(t, s.nextOf(meetingtest.NotifyParticipants))
	if len(its) != 2 || its[0].Mode != 1 || its[1].Mode != 1 || its[0].PID != meetingtest.SampleCarlosPID || its[1].PID != "aa11" {
		t.Errorf("hang-up frame %+v, want two removes", its)
	}

	e.srv.MoveToWaitingRoom(conf, meetingtest.SampleJaneDoe1PID)
	if its = items(t, s.nextOf(meetingtest.NotifyParticipants)); len(its) != 1 || its[0].Mode != 1 {
		t.Errorf("move to waiting room: participants %+v", its)
	}
	if its = items(t, s.nextOf(meetingtest.NotifyWaitingList)); len(its) != 1 || its[0].PID != meetingtest.SampleJaneDoe1PID || its[0].Mode != 0 {
		t.Errorf("move to waiting room: waiting list %+v", its)
	}

	e.srv.End(conf)
	d := s.nextOf(meetingtest.NotifyConfDynamic)
	if !strings.Contains(string(d.Data), `"state":"Destroyed"`) {
		t.Errorf("end frame %s", d.Data)
	}
	if _, _, err := s.c.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Errorf("after the end: %v, want a normal close", err)
	}
}

func TestWSHeartbeat(t *testing.T) {
	e := newEnv(t, meetingtest.WithWebSocketHeartbeatTimeout(300*time.Millisecond))
	e.srv.Sample()
	conf := meetingtest.SampleConferenceID
	s, _, _ := e.open(conf)
	s.send(map[string]string{"action": "HeartBeat", "sequence": "1764061200000"})
	if f := s.nextOf("HeartBeat"); f.Sequence != "1764061200000" {
		t.Errorf("echo %+v", f)
	}
	// Silence: the server closes the socket after its timeout.
	for {
		_ = s.c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, _, err := s.c.ReadMessage(); err != nil {
			if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
				t.Errorf("silent socket: %v, want a normal close", err)
			}
			break
		}
	}
	if st := e.srv.WebSocketStats(conf); st.TimedOut != 1 || st.Heartbeats != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestWSFullModeAndDrop(t *testing.T) {
	e := newEnv(t, meetingtest.WithFrameMode(meetingtest.FramesFull), meetingtest.WithStringFrameData(true))
	e.srv.Sample()
	conf := meetingtest.SampleConferenceID
	s, _, first := e.open(conf)
	e.srv.Leave(conf, meetingtest.SampleCarlosPID)
	f := s.nextOf(meetingtest.NotifyParticipants)
	if its := items(t, f); f.MsgMode != 0 || len(its) != len(first)-1 {
		t.Errorf("full mode leave: msgMode %d, %d items; want 0 and %d", f.MsgMode, len(its), len(first)-1)
	}
	if n := e.srv.DropWebSockets(conf); n != 1 {
		t.Fatalf("dropped %d", n)
	}
	_ = s.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, _, err := s.c.ReadMessage(); err == nil || websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.ClosePolicyViolation) {
		t.Errorf("dropped socket: %v, want a connection error without a close frame", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.srv.WaitWebSockets(ctx, conf, func(s meetingtest.WebSocketStats) bool { return s.Open == 0 }); err != nil {
		t.Fatal(err)
	}
}
