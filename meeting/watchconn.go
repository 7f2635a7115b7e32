package meeting

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/gorilla/websocket"
)

// One watch runs two long-lived goroutines, both owned by the Watcher and
// stopped through its context: the supervisor (run), which connects,
// reconnects and is the socket's only reader, and the host refresher. Each
// connection adds one writer goroutine (writeLoop), which owns the
// heartbeats and closing the socket, as in gorilla/websocket's
// examples/chat (readPump/writePump); the supervisor waits for it before
// connecting again.

// errEnded is how the reader reports state Destroyed.
var errEnded = errors.New("meeting ended")

// run is the supervisor: sessions one after another, with backoff between
// them, until ctx ends or the meeting cannot be watched any more.
func (w *Watcher) run(ctx context.Context) {
	defer func() {
		w.cancel()
		w.wg.Wait()
		w.st.mu.Lock()
		w.st.live = false
		w.st.mu.Unlock()
		w.closeSubs()
		close(w.done)
	}()
	defer w.recoverTo("supervisor", nil)

	bo := &backoff.ExponentialBackOff{
		InitialInterval:     w.cfg.backoffMin,
		RandomizationFactor: 0.5,
		Multiplier:          2,
		MaxInterval:         w.cfg.backoffMax,
	}
	bo.Reset()
	for {
		reachedLive, err := w.session(ctx)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, errEnded) || isGone(err) {
			w.end(err)
			return
		}
		w.reconnects.Add(1)
		w.setStale()
		if reachedLive {
			bo.Reset()
		}
		wait := bo.NextBackOff()
		w.c.log.Debug().Str("conference", w.conf).Str("kind", KindOf(err).String()).
			Dur("wait", wait).Msg("watch: socket lost; reconnecting")
		if sleepCtx(ctx, wait) != nil {
			return
		}
	}
}

// isGone says whether err means the meeting is over or unknown, so there
// is nothing left to watch.
func isGone(err error) bool {
	switch KindOf(err) {
	case KindMeetingEnded, KindNotRunning, KindConferenceNotFound:
		return true
	}
	return false
}

// end stops the watch because the meeting ended or vanished.
func (w *Watcher) end(err error) {
	if errors.Is(err, errEnded) {
		err = &Error{Kind: KindMeetingEnded, Op: "watch", Message: "meeting has ended"}
	}
	w.setErr(err)
	w.st.mu.Lock()
	w.st.live = false
	w.st.mu.Unlock()
	w.emit(Event{Kind: EventEnded, ConferenceID: w.conf, At: w.c.now()})
}

// setStale marks the roster not current and says so, once per loss.
func (w *Watcher) setStale() {
	w.st.mu.Lock()
	was := w.st.live
	w.st.live = false
	w.st.mu.Unlock()
	if was {
		w.emit(Event{Kind: EventStale, ConferenceID: w.conf, At: w.c.now()})
	}
}

// session is one connection: a fresh token, the dial, Subscribe, and the
// frames until the socket ends. It reports whether it delivered a full
// roster (the backoff then starts over).
func (w *Watcher) session(ctx context.Context) (reachedLive bool, err error) {
	tok, ct, wsURL, err := w.c.wsToken(ctx, w.conf)
	if err != nil {
		return false, err
	}
	u, err := socketURL(w.c.base, w.cfg.url, wsURL, w.conf, tok)
	if err != nil {
		return false, &Error{Kind: KindBadRequest, Op: "websocket", Err: err}
	}
	sub, err := subscribeMessage(w.conf, ct.token)
	if err != nil {
		return false, &Error{Kind: KindUnknown, Op: "websocket", Err: err}
	}
	conn, resp, err := w.cfg.dialer.DialContext(ctx, u, nil)
	if err != nil {
		return false, dialError(ctx, resp, err, tok)
	}
	conn.SetReadLimit(maxFrame)

	sctx, stop := context.WithCancel(ctx)
	writerDone := make(chan struct{})
	go w.writeLoop(sctx, conn, sub, writerDone)
	defer func() {
		stop()
		<-writerDone
	}()
	return w.readLoop(ctx, conn)
}

// dialError classifies a failed dial without the URL, which holds the token.
func dialError(ctx context.Context, resp *http.Response, err error, tok string) *Error {
	if ctx.Err() != nil {
		return &Error{Kind: KindCanceled, Op: "websocket", Err: ctx.Err()}
	}
	if resp != nil {
		e := &Error{Kind: classify(resp.StatusCode, "", ""), Op: "websocket", Status: resp.StatusCode,
			Message: "WebSocket upgrade refused", RequestID: resp.Header.Get("X-Request-ID")}
		if e.Kind == KindUnknown {
			e.Kind = KindNetwork
		}
		return e
	}
	msg := strings.ReplaceAll(err.Error(), tok, "REDACTED")
	return &Error{Kind: KindNetwork, Op: "websocket", Err: errors.New(msg)}
}

// writeLoop is the socket's only writer: Subscribe first, then a HeartBeat
// every interval; when ctx ends it sends a close frame and closes the
// connection, which ends the reader too.
func (w *Watcher) writeLoop(ctx context.Context, conn *websocket.Conn, sub []byte, done chan<- struct{}) {
	defer close(done)
	defer func() { _ = conn.Close() }()
	defer w.recoverTo("socket writer", nil)

	_ = conn.SetWriteDeadline(time.Now().Add(socketWriteTimeout))
	if conn.WriteMessage(websocket.TextMessage, sub) != nil {
		return
	}
	t := time.NewTicker(w.cfg.heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
			_ = conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(socketCloseTimeout))
			return
		case <-t.C:
			_ = conn.SetWriteDeadline(time.Now().Add(socketWriteTimeout))
			if conn.WriteMessage(websocket.TextMessage, heartbeatMessage(w.c.now())) != nil {
				return
			}
		}
	}
}

// readLoop reads frames until the socket fails, goes silent for the read
// timeout, is refused, or the meeting ends.
func (w *Watcher) readLoop(ctx context.Context, conn *websocket.Conn) (reachedLive bool, err error) {
	lists := wholeLists{seen: map[string]bool{}, firstOnly: w.cfg.firstFullOnly}
	for {
		_ = conn.SetReadDeadline(time.Now().Add(w.cfg.readTimeout))
		_, r, rerr := conn.NextReader()
		var evs []Event
		var whole bool
		if rerr == nil {
			// A buffer only while a frame is read and applied: a watch
			// waiting for its next frame holds none (the full frame of a
			// 3,000-person meeting grows one to 1 MB).
			buf := frameBuffers.Get().(*bytes.Buffer)
			buf.Reset()
			if _, rerr = buf.ReadFrom(r); rerr == nil {
				evs, whole, err = w.applyFrame(buf.Bytes(), &lists)
			}
			frameBuffers.Put(buf)
		}
		if rerr != nil {
			if ctx.Err() != nil {
				return reachedLive, &Error{Kind: KindCanceled, Op: "websocket", Err: ctx.Err()}
			}
			return reachedLive, &Error{Kind: KindNetwork, Op: "websocket", Err: rerr}
		}
		reachedLive = reachedLive || whole
		w.emit(evs...)
		if err != nil {
			return reachedLive, err
		}
	}
}

// wholeLists tells which frames of a session are whole lists.
type wholeLists struct {
	// seen: the notify types that have had a frame in this session. With
	// WithOnlyFirstFrameFull, only a type's first frame is its whole list.
	seen      map[string]bool
	firstOnly bool
}

func (l *wholeLists) full(f *frame, removes bool) bool {
	first := !l.seen[string(f.Action)]
	l.seen[string(f.Action)] = true
	return f.MsgMode == 0 && !removes && (first || !l.firstOnly)
}

// applyFrame applies one frame, b, which it keeps nothing of; whole says
// it was a whole participant list. An error ends the session, after evs
// are delivered (errEnded: the meeting ended).
func (w *Watcher) applyFrame(b []byte, lists *wholeLists) (evs []Event, whole bool, err error) {
	f, derr := decodeFrame(b)
	if derr != nil {
		// A frame we cannot read may have carried a change: resync.
		return nil, false, &Error{Kind: KindMalformed, Op: "websocket", Err: errors.New("unreadable frame")}
	}
	switch string(f.Action) {
	case actionSubscribe:
		if rc := subscribeReturnCode(f.payload()); rc != 0 {
			return nil, false, &Error{Kind: KindUnauthorized, Op: "websocket", Message: "Subscribe refused"}
		}
	case notifyParticipants:
		items, ierr := decodeList(f.payload())
		if ierr != nil {
			return nil, false, &Error{Kind: KindMalformed, Op: "websocket", Err: ierr}
		}
		whole = lists.full(&f, anyRemove(items))
		return w.applyParticipants(&f, items, whole), whole, nil
	case notifyWaitingList:
		items, ierr := decodeList(f.payload())
		if ierr != nil {
			return nil, false, &Error{Kind: KindMalformed, Op: "websocket", Err: ierr}
		}
		return w.applyWaiting(&f, items, lists.full(&f, anyRemove(items))), false, nil
	case notifyAttendees:
		items, ierr := decodeAttendees(f.payload())
		if ierr != nil {
			return nil, false, &Error{Kind: KindMalformed, Op: "websocket", Err: ierr}
		}
		w.st.mu.Lock()
		w.st.applyAttendees(items, lists.full(&f, anyAttendeeRemove(items)))
		w.touch(&f)
		w.st.mu.Unlock()
		return []Event{{Kind: EventAttendees, ConferenceID: w.conf, At: w.c.now()}}, false, nil
	case notifyConfDynamic:
		d, derr := decodeDynamic(f.payload())
		if derr != nil {
			return nil, false, &Error{Kind: KindMalformed, Op: "websocket", Err: derr}
		}
		evs = w.applyDynamic(&f, d)
		if d.State.set && strings.EqualFold(d.State.v, "Destroyed") {
			return evs, false, errEnded
		}
		return evs, false, nil
	}
	// HeartBeat echoes and other notify types only prove the socket alive.
	return nil, false, nil
}

// frameBuffers are the buffers frames are read into, shared by every
// watch: gorilla's ReadMessage reads each frame into a new buffer grown by
// doubling. A watch holds one only while it reads and applies a frame
// (see readLoop).
var frameBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func anyRemove(items []listItem) bool {
	for _, it := range items {
		if it.Mode == 1 {
			return true
		}
	}
	return false
}

func anyAttendeeRemove(items []attendeeItem) bool {
	for _, it := range items {
		if it.Mode == 1 {
			return true
		}
	}
	return false
}

// touch records that a frame was applied; st.mu held.
func (w *Watcher) touch(f *frame) {
	w.st.updated = w.c.now()
	if f.CreateTime > 0 {
		w.st.frameAt = time.UnixMilli(int64(f.CreateTime))
	}
}

// applyParticipants applies a ParticipantsNotify, as the whole roster when
// full. A msgMode 0 frame is the whole roster — unless it carries a remove
// (a whole roster never lists leavers), or WithOnlyFirstFrameFull is set and
// it is not the session's first. Applying a whole roster makes the watch
// live: after a reconnect, the first full frame is the truth, and what
// changed meanwhile comes out as Resync events.
func (w *Watcher) applyParticipants(f *frame, items []listItem, full bool) []Event {
	now := w.c.now()
	w.st.mu.Lock()
	wasLive := w.st.live
	ch := w.st.participants.apply(items, full, w.st.fill)
	w.touch(f)
	if full {
		w.st.live = true
	}
	evs := make([]Event, 0, len(ch.joined)+len(ch.left)+len(ch.updated)+1)
	resync := full && !wasLive
	add := func(k EventKind, ps []Participant) {
		for _, p := range ps {
			if cur, ok := w.st.participants.get(p.ID); ok {
				p = cur
			} else {
				w.st.fill(&p, false) // gone: as confInfo says, without the frames' mark
			}
			evs = append(evs, Event{Kind: k, ConferenceID: w.conf, Participant: p, Resync: resync, At: now})
		}
	}
	add(EventLeft, ch.left)
	add(EventJoined, ch.joined)
	if !resync {
		// A resync would otherwise report every participant the
		// realTimeInfo seed knew without join time and device as updated.
		add(EventUpdated, ch.updated)
	}
	w.st.mu.Unlock()
	if full && !wasLive {
		evs = append(evs, Event{Kind: EventLive, ConferenceID: w.conf, At: now})
	}
	return evs
}

// applyWaiting applies a WaitingListNotify (same shapes as participants).
func (w *Watcher) applyWaiting(f *frame, items []listItem, full bool) []Event {
	now := w.c.now()
	w.st.mu.Lock()
	ch := w.st.waiting.apply(items, full, nil)
	w.touch(f)
	w.st.mu.Unlock()
	evs := make([]Event, 0, len(ch.joined)+len(ch.left))
	for _, p := range ch.left {
		evs = append(evs, Event{Kind: EventWaitingLeft, ConferenceID: w.conf, Participant: p, At: now})
	}
	for _, p := range ch.joined {
		evs = append(evs, Event{Kind: EventWaitingJoined, ConferenceID: w.conf, Participant: p, At: now})
	}
	return evs
}

// applyDynamic applies a ConfDynamicInfoNotify: lock and waiting room.
func (w *Watcher) applyDynamic(f *frame, d dynamic) []Event {
	now := w.c.now()
	var evs []Event
	w.st.mu.Lock()
	defer w.st.mu.Unlock()
	w.touch(f)
	if d.Lock.set && (d.Lock.v != 0) != w.st.locked {
		w.st.locked = d.Lock.v != 0
		evs = append(evs, Event{Kind: EventLock, ConferenceID: w.conf, Locked: w.st.locked, At: now})
	}
	if d.WaitingRoomState.set && (d.WaitingRoomState.v != 0) != w.st.waitingRoom {
		w.st.waitingRoom = d.WaitingRoomState.v != 0
		evs = append(evs, Event{Kind: EventWaitingRoom, ConferenceID: w.conf, WaitingRoom: w.st.waitingRoom, At: now})
	}
	if d.CallInRestriction.set {
		w.st.callIn = d.CallInRestriction.v
	}
	return evs
}

// realTimeConf reads realTimeInfo with confInfo's chairID and coHosts.
func (c *Client) realTimeConf(ctx context.Context, conf string) (*Roster, string, []string, error) {
	resp, ct, err := c.controlCall(ctx, conf, apiCall{
		op:     "realTimeInfo",
		method: http.MethodGet,
		path:   pathRealTimeInfo,
	}, nil)
	if err != nil {
		return nil, "", nil, err
	}
	rt, derr := decodeRealTime(resp.body)
	if derr != nil {
		return nil, "", nil, malformed("realTimeInfo", resp, derr.Error())
	}
	return &Roster{
		ConferenceID: conf,
		Subject:      ct.subject,
		Participants: rt.participants,
		ReadAt:       c.now(),
		RequestID:    resp.requestID,
	}, rt.chair, rt.coHosts, nil
}
