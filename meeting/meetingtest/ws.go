package meetingtest

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// The conference WebSocket (meeting-api.md §15a): a one-minute single-use
// token from GET wsToken, a connection to PathWebSocket with that token, a
// Subscribe carrying the control token, pushed notify frames, and a
// HeartBeat the server echoes and closes the socket without.
//
// Where §15 is UNCONFIRMED the simulator has a switch for each plausible
// answer: full or incremental participant frames (WithFrameMode), frame data
// as an object or as a JSON-encoded string (WithStringFrameData), pinfoMap
// values as strings or numbers (WithNumericPinfo), a refused token refused
// at the HTTP upgrade or by closing the socket after it
// (WithWebSocketAuthRefusal), and wsURL given as a host, as the full
// connection URL, or not at all (WithWebSocketURL).

// EndpointWSToken is the WebSocket token endpoint (for FailNext, Hold, records).
const EndpointWSToken Endpoint = "wsToken" // GET /v1/mmc/control/conferences/wsToken

// Paths of the WebSocket bootstrap.
const (
	PathWSToken   = "/v1/mmc/control/conferences/wsToken"
	PathWebSocket = "/cms/open/websocket/confctl/increment/conn"
)

// Notify frame types the simulator pushes (the "action" of a frame).
const (
	NotifyParticipants = "ParticipantsNotify"
	NotifyConfDynamic  = "ConfDynamicInfoNotify"
	NotifyWaitingList  = "WaitingListNotify"
	NotifyAttendees    = "AttendeesNotify"
)

// Defaults of the WebSocket side.
const (
	defaultWSTokenTTL       = time.Minute       // meeting_21_1506: valid 1 minute, single use
	defaultHeartbeatTimeout = 180 * time.Second // meeting_21_1520: closed after 180 s without a heartbeat
	// maxQueuedFrames bounds what waits for a slow client; past it the
	// socket is dropped, as a real server sheds a consumer that does not read.
	maxQueuedFrames = 4096
	wsWriteTimeout  = 10 * time.Second
	maxWSMessage    = 64 << 10 // what the simulator reads from a client message
)

// FrameMode is how participant and waiting-list changes are pushed. Huawei's
// docs say msgMode is "fixed at 0 (full)" and also that pinfoMap carries the
// "changed fields", so all three are plausible.
type FrameMode int

const (
	// FramesIncremental: a full frame (msgMode 0) after Subscribe, then one
	// msgMode 1 frame per change carrying only what changed (mode 0 refresh,
	// mode 1 remove).
	FramesIncremental FrameMode = iota
	// FramesFull: every change re-sends the whole list with msgMode 0; a
	// leaver is simply absent.
	FramesFull
	// FramesUnlabelled: like FramesIncremental, but the deltas are labelled
	// msgMode 0 too ("fixed at 0"). Only the first frame after Subscribe is
	// the whole list.
	FramesUnlabelled
)

// WSAuthRefusal is how a bad, used, expired or refused WebSocket token is
// turned away. The docs only say "the server closes the socket".
type WSAuthRefusal int

const (
	// RefuseAfterUpgrade accepts the upgrade, then closes the socket with
	// 1008 (policy violation). The default.
	RefuseAfterUpgrade WSAuthRefusal = iota
	// RefuseAtUpgrade answers the upgrade request with 401 and Huawei's
	// error body.
	RefuseAtUpgrade
)

// WSURLStyle is what CreateConfToken's data.wsURL holds.
type WSURLStyle int

const (
	WSURLHost WSURLStyle = iota // "ws://127.0.0.1:port": scheme and host (the default)
	WSURLFull                   // the whole connection URL, PathWebSocket included
	WSURLNone                   // empty: the client must find the socket another way
)

// WithFrameMode selects full or incremental participant frames; default
// FramesIncremental.
func WithFrameMode(m FrameMode) Option { return func(s *Server) { s.ws.mode = m } }

// WithStringFrameData sends each notify frame's data as a JSON-encoded
// string, the way the documented Subscribe request carries its data.
func WithStringFrameData(on bool) Option { return func(s *Server) { s.ws.stringData = on } }

// WithNumericPinfo sends pinfoMap's numeric fields (STATE, MUTE, ADDTIME…) as
// JSON numbers instead of strings.
func WithNumericPinfo(on bool) Option { return func(s *Server) { s.ws.numeric = on } }

// WithWebSocketHeartbeatTimeout sets how long a socket may stay silent (no
// HeartBeat) before the server closes it; real time. Default 180 s.
func WithWebSocketHeartbeatTimeout(d time.Duration) Option {
	return func(s *Server) { s.ws.hbTimeout = d }
}

// WithWebSocketTokenTTL sets how long a WebSocket token lives (on the
// server clock). Default 1 minute.
func WithWebSocketTokenTTL(d time.Duration) Option { return func(s *Server) { s.ws.tokenTTL = d } }

// WithWebSocketAuthRefusal sets how a refused token is turned away.
func WithWebSocketAuthRefusal(m WSAuthRefusal) Option { return func(s *Server) { s.ws.refusal = m } }

// WithWebSocketURL sets what data.wsURL of a control token reply holds.
func WithWebSocketURL(style WSURLStyle) Option { return func(s *Server) { s.ws.urlStyle = style } }

// WebSocketStats counts what happened on one conference's sockets.
type WebSocketStats struct {
	Tokens     int // WebSocket tokens issued
	Opened     int // sockets upgraded
	Refused    int // connections or subscriptions refused (bad token, RefuseWebSockets)
	Subscribed int // successful Subscribes
	Open       int // sockets open now
	Heartbeats int // HeartBeat messages received
	TimedOut   int // sockets closed for want of a heartbeat
	Dropped    int // sockets dropped by DropWebSockets or a full queue
	Frames     int // notify frames written
}

// wsState is the WebSocket half of the simulator. Everything but the fields
// marked otherwise is guarded by Server.mu, so a change to the meeting and
// the frames announcing it are ordered the same way for every socket.
type wsState struct {
	// Set by options before the server starts; read-only afterwards.
	mode       FrameMode
	stringData bool
	numeric    bool
	hbTimeout  time.Duration
	tokenTTL   time.Duration
	refusal    WSAuthRefusal
	urlStyle   WSURLStyle

	frameDelay atomic.Int64 // DelayFrames, ns; read by writers without Server.mu
	wg         sync.WaitGroup

	tokens  map[string]wsToken
	confs   map[string]*liveConf
	refuse  int // RefuseWebSockets: refuse this many more connections
	msgSeq  int
	changed chan struct{} // closed and replaced on every stats change
}

type wsToken struct {
	conf    string
	expires time.Time
}

// liveConf is what the WebSocket side keeps per conference beyond the REST
// state: open sockets, join times, the waiting room, the lock.
type liveConf struct {
	conns       map[*wsConn]struct{}
	joinedAt    map[string]time.Time
	waiting     []P               // ID is the waiting-room ID (see WithWaitingRoomIDs)
	waitOrig    map[string]string // waiting-room ID → the pid the person had, when they differ
	locked      bool
	waitingRoom bool
	stats       WebSocketStats

	refusedJoins int // guest Joins refused by the lock
}

func newWSState() wsState {
	return wsState{
		hbTimeout: defaultHeartbeatTimeout,
		tokenTTL:  defaultWSTokenTTL,
		tokens:    map[string]wsToken{},
		confs:     map[string]*liveConf{},
		changed:   make(chan struct{}),
	}
}

// live returns conf's WebSocket state, creating it; s.mu held.
func (s *Server) live(conf string) *liveConf {
	lc := s.ws.confs[conf]
	if lc == nil {
		lc = &liveConf{conns: map[*wsConn]struct{}{}, joinedAt: map[string]time.Time{}}
		s.ws.confs[conf] = lc
	}
	return lc
}

// statsChanged wakes WaitWebSockets; s.mu held.
func (s *Server) statsChanged() {
	close(s.ws.changed)
	s.ws.changed = make(chan struct{})
}

// WebSocketStats returns the counters of conf's sockets.
func (s *Server) WebSocketStats(conf string) WebSocketStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live(conf).stats
}

// WaitWebSockets blocks until cond holds for conf's counters or ctx ends:
// tests synchronise on what the server saw instead of sleeping.
func (s *Server) WaitWebSockets(ctx context.Context, conf string, cond func(WebSocketStats) bool) error {
	for {
		s.mu.Lock()
		st, ch := s.live(conf).stats, s.ws.changed
		s.mu.Unlock()
		if cond(st) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return http.ErrServerClosed
		}
	}
}

// wsURL is data.wsURL of a control token reply.
func (s *Server) wsURL() string {
	base := "ws" + strings.TrimPrefix(s.ts.URL, "http")
	switch s.ws.urlStyle {
	case WSURLFull:
		return base + PathWebSocket
	case WSURLNone:
		return ""
	}
	return base
}

type wsTokenReply struct {
	WebSocketToken string `json:"webSocketToken"`
}

// handleWSToken is GET wsToken: a fresh single-use token for one minute,
// authorised by the control token like every control call.
func (s *Server) handleWSToken(w http.ResponseWriter, r *http.Request, _ []byte, _ error) {
	s.mu.Lock()
	c, e := s.controlAuth(r)
	if e != nil {
		s.mu.Unlock()
		writeError(w, *e)
		return
	}
	now := s.clock.Now()
	for tok, t := range s.ws.tokens { // tokens are few and short-lived
		if !now.Before(t.expires) {
			delete(s.ws.tokens, tok)
		}
	}
	tok := randomHex(20)
	s.ws.tokens[tok] = wsToken{conf: c.id, expires: now.Add(s.ws.tokenTTL)}
	s.live(c.id).stats.Tokens++
	s.statsChanged()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, wsTokenReply{WebSocketToken: tok})
}

// RefuseWebSockets makes the next n connections fail authentication even
// with a good token (the way WithWebSocketAuthRefusal says).
func (s *Server) RefuseWebSockets(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ws.refuse = n
}

// DelayFrames delays every notify frame by d (real time) before it is
// written; replies to Subscribe and HeartBeat are not delayed. 0 removes it.
func (s *Server) DelayFrames(d time.Duration) { s.ws.frameDelay.Store(int64(d)) }

// DropWebSockets cuts every socket of conf at the TCP level, with no close
// frame, as a network failure would; it returns how many it cut. Frames for
// changes made before the client reconnects are lost, as upstream.
func (s *Server) DropWebSockets(conf string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	lc := s.live(conf)
	n := 0
	for wc := range lc.conns {
		wc.drop()
		n++
	}
	lc.stats.Dropped += n
	s.statsChanged()
	return n
}

var upgrader = websocket.Upgrader{
	ReadBufferSize:  4096,
	WriteBufferSize: 4096,
	// Server-side clients send no Origin; browsers are not part of this API.
	CheckOrigin: func(*http.Request) bool { return true },
}

// serveWebSocket upgrades a connection. The handler goroutine then reads the
// socket; a second goroutine, owned by the server's WaitGroup, writes it.
func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeJSONHeader(w)
		writeError(w, errNotFound)
		return
	}
	q := r.URL.Query()
	conf, tok := q.Get("confID"), q.Get("tmpToken")

	s.mu.Lock()
	ok := s.takeWSToken(conf, tok)
	if !ok {
		s.live(conf).stats.Refused++
		s.statsChanged()
	}
	s.mu.Unlock()
	if !ok && s.ws.refusal == RefuseAtUpgrade {
		writeJSONHeader(w)
		writeError(w, errWSAuth)
		return
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered the client already
	}
	wc := &wsConn{s: s, conf: conf, conn: conn, wake: make(chan struct{}, 1), done: make(chan struct{})}
	// Add under s.mu, after checking done, which Close closes under s.mu
	// before it waits: an Add may never race Close's Wait.
	s.mu.Lock()
	select {
	case <-s.done:
		s.mu.Unlock()
		_ = conn.Close()
		return
	default:
	}
	s.ws.wg.Add(1)
	s.mu.Unlock()
	go wc.writeLoop()
	if !ok {
		wc.enqueue(closeFrame(websocket.ClosePolicyViolation, "authentication failed"))
		wc.finish()
		return
	}
	s.mu.Lock()
	select {
	case <-s.done:
		// Close has run closeWebSockets already: this socket would outlive it.
		s.mu.Unlock()
		wc.drop()
		wc.finish()
		return
	default:
	}
	lc := s.live(conf)
	lc.conns[wc] = struct{}{}
	lc.stats.Opened++
	lc.stats.Open++
	s.statsChanged()
	s.mu.Unlock()
	wc.readLoop()
}

// takeWSToken consumes tok for conf: single use, within its lifetime, for a
// running meeting, and not refused by RefuseWebSockets; s.mu held.
func (s *Server) takeWSToken(conf, tok string) bool {
	t, ok := s.ws.tokens[tok]
	if ok {
		delete(s.ws.tokens, tok) // single use, whatever happens next
	}
	if !ok || t.conf != conf || !s.clock.Now().Before(t.expires) {
		return false
	}
	if c, known := s.confs[conf]; !known || c.state != stateRunning {
		return false
	}
	if s.ws.refuse > 0 {
		s.ws.refuse--
		return false
	}
	return true
}

func writeJSONHeader(w http.ResponseWriter) {
	w.Header().Set("Content-Type", contentType)
}

var errWSAuth = apiError{http.StatusUnauthorized, CodeConfAuthFail, "CONF_AUTH_FAIL"}

// wsConn is one simulated socket.
type wsConn struct {
	s    *Server
	conf string
	conn *websocket.Conn

	mu    sync.Mutex // guards queue
	queue []outFrame
	wake  chan struct{}
	done  chan struct{} // closed by finish: the writer stops
	once  sync.Once

	// Guarded by Server.mu.
	subscribed bool
	types      map[string]bool
}

type outFrame struct {
	data      []byte
	notify    bool // a pushed frame: counted and subject to DelayFrames
	closeCode int  // > 0: write a close frame with closeText and stop
	closeText string
	drop      bool // stop without a close frame
}

func closeFrame(code int, text string) outFrame { return outFrame{closeCode: code, closeText: text} }

// enqueue hands f to the writer; a client too slow to keep up is dropped.
// Callable with Server.mu held (the writer never takes it while holding mu).
func (wc *wsConn) enqueue(f outFrame) {
	wc.mu.Lock()
	if len(wc.queue) >= maxQueuedFrames {
		f = outFrame{drop: true}
	}
	wc.queue = append(wc.queue, f)
	wc.mu.Unlock()
	select {
	case wc.wake <- struct{}{}:
	default:
	}
}

// drop cuts the TCP connection now; the reader and writer then end.
func (wc *wsConn) drop() { _ = wc.conn.NetConn().Close() }

// finish stops the writer once its queue is written.
func (wc *wsConn) finish() { wc.once.Do(func() { close(wc.done) }) }

// writeLoop is the only writer of the socket: queued frames in order, then
// a close frame or a drop. It owns closing the connection.
func (wc *wsConn) writeLoop() {
	defer wc.s.ws.wg.Done()
	defer func() { _ = wc.conn.Close() }()
	defer func() { _ = recover() }() // a simulator bug must not crash the test binary
	for {
		wc.mu.Lock()
		q := wc.queue
		wc.queue = nil
		wc.mu.Unlock()
		if len(q) == 0 {
			select {
			case <-wc.wake:
				continue
			case <-wc.done:
				// Drain what finish raced with, then stop.
				wc.mu.Lock()
				q = wc.queue
				wc.queue = nil
				wc.mu.Unlock()
				if len(q) == 0 {
					return
				}
			}
		}
		for _, f := range q {
			if !wc.write(f) {
				return
			}
		}
	}
}

// write sends one frame; false means the socket is finished.
func (wc *wsConn) write(f outFrame) bool {
	switch {
	case f.drop:
		wc.drop()
		return false
	case f.closeCode > 0:
		msg := websocket.FormatCloseMessage(f.closeCode, f.closeText)
		_ = wc.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		return false
	}
	if f.notify {
		if d := time.Duration(wc.s.ws.frameDelay.Load()); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-wc.s.done:
				t.Stop()
				return false
			}
		}
	}
	_ = wc.conn.SetWriteDeadline(time.Now().Add(wsWriteTimeout))
	if wc.conn.WriteMessage(websocket.TextMessage, f.data) != nil {
		return false
	}
	if f.notify {
		wc.s.mu.Lock()
		wc.s.live(wc.conf).stats.Frames++
		wc.s.statsChanged()
		wc.s.mu.Unlock()
	}
	return true
}

// clientMessage is what a client sends: Subscribe or HeartBeat.
type clientMessage struct {
	Sequence json.RawMessage `json:"sequence"`
	Action   string          `json:"action"`
	Data     json.RawMessage `json:"data"`
}

type subscribeData struct {
	SubscribeType []string `json:"subscribeType"`
	ConfToken     string   `json:"confToken"`
	ConferenceID  string   `json:"conferenceID"`
}

// readLoop reads client messages until the socket fails, the client goes
// silent for the heartbeat timeout, or the server closes it.
func (wc *wsConn) readLoop() {
	s := wc.s
	defer func() {
		_ = recover()
		s.mu.Lock()
		lc := s.live(wc.conf)
		if _, ok := lc.conns[wc]; ok {
			delete(lc.conns, wc)
			lc.stats.Open--
			s.statsChanged()
		}
		s.mu.Unlock()
		wc.finish()
	}()
	wc.conn.SetReadLimit(maxWSMessage)
	deadline := time.Now().Add(s.ws.hbTimeout)
	for {
		_ = wc.conn.SetReadDeadline(deadline)
		_, b, err := wc.conn.ReadMessage()
		if err != nil {
			if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
				s.mu.Lock()
				s.live(wc.conf).stats.TimedOut++
				s.statsChanged()
				s.mu.Unlock()
				wc.enqueue(closeFrame(websocket.CloseNormalClosure, "heartbeat timeout"))
			}
			return
		}
		var m clientMessage
		if json.Unmarshal(b, &m) != nil {
			continue // not JSON: ignored, as an unknown action is
		}
		switch m.Action {
		case "HeartBeat":
			deadline = time.Now().Add(s.ws.hbTimeout)
			s.mu.Lock()
			s.live(wc.conf).stats.Heartbeats++
			s.statsChanged()
			s.mu.Unlock()
			wc.enqueue(outFrame{data: mustJSON(map[string]json.RawMessage{
				"action": json.RawMessage(`"HeartBeat"`), "sequence": rawOr(m.Sequence, `""`),
			})})
		case "Subscribe":
			if !wc.subscribe(m) {
				return
			}
		}
	}
}

// subscribe validates a Subscribe and, on success, queues the reply and the
// full state of every subscribed type; it reports false when the socket is
// being closed for a bad request.
func (wc *wsConn) subscribe(m clientMessage) bool {
	s := wc.s
	seq := jsonString(m.Sequence)
	d, ok := decodeSubscribeData(m.Data)
	s.mu.Lock()
	defer s.mu.Unlock()
	c, known := s.confs[wc.conf]
	lc := s.live(wc.conf)
	if ok {
		_, ct := s.lookupControlToken(d.ConfToken)
		ok = len(seq) >= 20 && len(seq) <= 30 && len(d.SubscribeType) > 0 &&
			known && c.state == stateRunning && ct != nil && ct.conf == wc.conf &&
			ct.session == c.session && s.clock.Now().Before(ct.expires) &&
			(d.ConferenceID == "" || d.ConferenceID == wc.conf)
	}
	reply := func(code int) outFrame {
		return outFrame{data: mustJSON(map[string]any{
			"action": "Subscribe", "sequence": seq, "data": map[string]int{"returnCode": code},
		})}
	}
	if !ok {
		lc.stats.Refused++
		s.statsChanged()
		wc.enqueue(reply(1))
		wc.enqueue(closeFrame(websocket.ClosePolicyViolation, "subscribe refused"))
		return false
	}
	wc.subscribed = true
	wc.types = map[string]bool{}
	for _, t := range d.SubscribeType {
		wc.types[t] = true
	}
	lc.stats.Subscribed++
	s.statsChanged()
	wc.enqueue(reply(0))
	// The whole state, as of this instant: every later change is pushed
	// after it, so nothing falls between the two.
	for _, t := range []string{NotifyConfDynamic, NotifyAttendees, NotifyParticipants, NotifyWaitingList} {
		if wc.types[t] {
			wc.enqueue(outFrame{data: s.fullFrame(c, lc, t), notify: true})
		}
	}
	return true
}

// decodeSubscribeData accepts data as an object or as a JSON-encoded string
// (the documented sample).
func decodeSubscribeData(raw json.RawMessage) (subscribeData, bool) {
	var d subscribeData
	var str string
	if json.Unmarshal(raw, &str) == nil {
		raw = json.RawMessage(str)
	}
	if json.Unmarshal(raw, &d) != nil {
		return subscribeData{}, false
	}
	return d, true
}

func jsonString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return strings.TrimSpace(string(raw))
}

func rawOr(raw json.RawMessage, def string) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage(def)
	}
	return raw
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // our own frame types always marshal
	}
	return b
}

// --- frames ---------------------------------------------------------------

type notifyFrame struct {
	Action     string `json:"action"`
	Version    string `json:"version"`
	CreateTime int64  `json:"createTime"`
	MsgID      string `json:"msgID"`
	MsgMode    int    `json:"msgMode"`
	ConfID     string `json:"confID"`
	Data       any    `json:"data"`
}

type pItem struct {
	PID      string         `json:"pid"`
	Mode     int            `json:"mode"` // 0 refresh, 1 remove
	PinfoMap map[string]any `json:"pinfoMap,omitempty"`
}

type attendeeItem struct {
	UserUUID      string `json:"userUUID"`
	ParticipantID string `json:"participantID"`
	Mode          int    `json:"mode"`
	Phone         string `json:"phone"`
	Name          string `json:"name"`
	AccountID     string `json:"accountId"`
	Role          int    `json:"role"`
	Email         string `json:"email"`
	SMS           string `json:"sms"`
	IsMute        int    `json:"isMute"`
}

type dynamicInfo struct {
	Lock              int    `json:"lock"`
	LockSharing       int    `json:"lockSharing"`
	CallInRestriction int    `json:"callInRestriction"`
	WaitingRoomState  int    `json:"waitingRoomState"`
	State             string `json:"state"`
}

// frame encodes one notify frame; s.mu held.
func (s *Server) frame(c *conference, action string, msgMode int, data any) []byte {
	s.ws.msgSeq++
	f := notifyFrame{
		Action: action, Version: "1.0", CreateTime: s.clock.Now().UnixMilli(),
		MsgID: strconv.Itoa(s.ws.msgSeq), MsgMode: msgMode, ConfID: c.id, Data: data,
	}
	if s.ws.stringData {
		f.Data = string(mustJSON(data))
	}
	return mustJSON(f)
}

// num renders a pinfoMap number as a string or a number (WithNumericPinfo).
func (s *Server) num(n int64) any {
	if s.ws.numeric {
		return n
	}
	return strconv.FormatInt(n, 10)
}

// joinedAt is when pid joined: the first time the WebSocket side saw it;
// s.mu held.
func (s *Server) joinedAt(lc *liveConf, pid string) time.Time {
	t, ok := lc.joinedAt[pid]
	if !ok {
		t = s.clock.Now()
		lc.joinedAt[pid] = t
	}
	return t
}

// pinfo is a participant's full pinfoMap (meeting_21_1514). ROLE marks the
// host only: co-hosts are "0", as upstream.
func (s *Server) pinfo(c *conference, lc *liveConf, p P) map[string]any {
	device := p.Device
	if device == "" {
		device = "Desktop"
	}
	role := int64(0)
	if p.ID == c.chairID {
		role = 1
	}
	return map[string]any{
		"NAME":               p.Name,
		"TEL":                p.Phone,
		"STATE":              s.num(int64(p.State)),
		"MUTE":               s.num(int64(b2i(p.Muted))),
		"VIDEO":              s.num(int64(b2i(p.Video))),
		"SHARE":              s.num(0),
		"HAND":               s.num(int64(b2i(p.Hand))),
		"ROLE":               s.num(role),
		"ADDTIME":            s.num(s.joinedAt(lc, p.ID).UnixMilli()),
		"CLICENT_LOGIN_TYPE": device, // sic, as upstream
		"ANONYMOUS":          s.num(int64(b2i(p.Anonymous))),
		"LOCALREC":           s.num(0),
	}
}

func (s *Server) fullList(c *conference, lc *liveConf, ps []P) []pItem {
	items := make([]pItem, 0, len(ps))
	for _, p := range ps {
		items = append(items, pItem{PID: p.ID, PinfoMap: s.pinfo(c, lc, p)})
	}
	return items
}

// fullFrame is the whole state of one notify type; s.mu held.
func (s *Server) fullFrame(c *conference, lc *liveConf, action string) []byte {
	switch action {
	case NotifyParticipants:
		return s.frame(c, action, 0, s.fullList(c, lc, c.roster))
	case NotifyWaitingList:
		return s.frame(c, action, 0, s.fullList(c, lc, lc.waiting))
	case NotifyAttendees:
		items := make([]attendeeItem, 0, len(c.invited))
		for _, a := range c.invited {
			items = append(items, attendeeItem{UserUUID: a.userUUID, ParticipantID: a.phone, Phone: a.phone,
				Name: a.name, AccountID: a.accountID, Role: b2i(a.host)})
		}
		return s.frame(c, action, 0, items)
	default: // NotifyConfDynamic
		state := stateNames[c.state]
		return s.frame(c, NotifyConfDynamic, 0, dynamicInfo{
			Lock: b2i(lc.locked), WaitingRoomState: b2i(lc.waitingRoom), State: state,
		})
	}
}

// broadcast queues data for every subscribed socket of c that asked for
// action; s.mu held.
func (s *Server) broadcast(c *conference, lc *liveConf, action string, data func() []byte) {
	var b []byte
	for wc := range lc.conns {
		if !wc.subscribed || !wc.types[action] {
			continue
		}
		if b == nil {
			b = data()
		}
		wc.enqueue(outFrame{data: b, notify: true})
	}
}

// listChanged pushes a change to the participant list or the waiting list:
// the whole list (FramesFull) or only the changed entries; s.mu held.
func (s *Server) listChanged(c *conference, action string, refreshed []P, removed []string) {
	lc := s.live(c.id)
	for _, p := range refreshed {
		s.joinedAt(lc, p.ID) // stamped at the change, not at the next frame
	}
	for _, id := range removed {
		delete(lc.joinedAt, id)
	}
	if len(refreshed) == 0 && len(removed) == 0 {
		return
	}
	s.broadcast(c, lc, action, func() []byte {
		if s.ws.mode == FramesFull {
			return s.fullFrame(c, lc, action)
		}
		items := s.fullList(c, lc, refreshed)
		for _, id := range removed {
			items = append(items, pItem{PID: id, Mode: 1})
		}
		msgMode := 1
		if s.ws.mode == FramesUnlabelled {
			msgMode = 0
		}
		return s.frame(c, action, msgMode, items)
	})
}

// dynamicChanged pushes ConfDynamicInfoNotify; s.mu held.
func (s *Server) dynamicChanged(c *conference) {
	lc := s.live(c.id)
	s.broadcast(c, lc, NotifyConfDynamic, func() []byte { return s.fullFrame(c, lc, NotifyConfDynamic) })
}

// wsEnded announces the end (state Destroyed) and closes every socket of c;
// s.mu held.
func (s *Server) wsEnded(c *conference) {
	s.dynamicChanged(c)
	lc := s.live(c.id)
	for wc := range lc.conns {
		wc.enqueue(closeFrame(websocket.CloseNormalClosure, "conference ended"))
	}
	lc.waiting = nil
	clear(lc.waitOrig)
	clear(lc.joinedAt)
}

// closeWebSockets cuts every socket and waits for their writers; Close runs
// it before stopping the HTTP server, which waits for the readers.
func (s *Server) closeWebSockets() {
	s.mu.Lock()
	for _, lc := range s.ws.confs {
		for wc := range lc.conns {
			wc.drop()
		}
	}
	s.mu.Unlock()
}

// --- waiting room and lock --------------------------------------------------

// MoveToWaitingRoom moves an online participant to the waiting room, as the
// host's own client would: a leave on ParticipantsNotify, an arrival on
// WaitingListNotify (under its waiting-room ID, see WithWaitingRoomIDs). It
// reports whether pid was online. The REST moveToWaitingRoom calls share
// this state and these frames.
func (s *Server) MoveToWaitingRoom(confID, pid string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.moveToWaiting(s.conf(confID), pid, true)
	return ok
}

// ArriveInWaitingRoom puts p (a new arrival) in the waiting room; an empty
// ID gets a generated pid, which is returned.
func (s *Server) ArriveInWaitingRoom(confID string, p P) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conf(confID)
	if p.ID == "" {
		c.seq++
		p.ID = stablePID(c.id, c.seq)
	}
	lc := s.live(confID)
	lc.waiting = append(lc.waiting, p)
	s.listChanged(c, NotifyWaitingList, []P{p}, nil)
	return p.ID
}

// Admit lets id in from the waiting room, as the host's own client would;
// it reports whether id was admitted. id is the waiting-room ID
// (WaitingListNotify's pid); the pid the person had is accepted only where
// WithWaitingRoomIDs says so. Admitted people come back with the pid they
// had.
func (s *Server) Admit(confID, id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.admit(s.conf(confID), id)
}

// Waiting returns who is in conf's waiting room, in arrival order; each
// P's ID is the waiting-room ID.
func (s *Server) Waiting(confID string) []P {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]P(nil), s.live(confID).waiting...)
}

// SetLocked locks or unlocks the meeting, announced on ConfDynamicInfoNotify.
func (s *Server) SetLocked(confID string, locked bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setLocked(s.conf(confID), locked)
}

// SetWaitingRoom turns the waiting room on or off (waitingRoomState).
func (s *Server) SetWaitingRoom(confID string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conf(confID)
	s.live(confID).waitingRoom = on
	s.dynamicChanged(c)
}

// SetCoHost makes pid a co-host or not (SetCohost upstream). Only
// realTimeInfo's confInfo.coHosts shows it: the WebSocket's ROLE does not
// mark co-hosts, so no frame is pushed.
func (s *Server) SetCoHost(confID, pid string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conf(confID)
	i := slices.Index(c.coHosts, pid)
	switch {
	case on && i < 0:
		c.coHosts = append(c.coHosts, pid)
	case !on && i >= 0:
		c.coHosts = slices.Delete(c.coHosts, i, i+1)
	}
}
