package meeting

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Defaults of a watch; each has a WatchOption.
const (
	// defaultHeartbeat is Huawei's documented interval (meeting_21_1520);
	// the server closes a socket after 180 s without one.
	defaultHeartbeat = 60 * time.Second
	// defaultHostRefresh: the WebSocket's ROLE marks the host only, so
	// co-hosts come from realTimeInfo's confInfo, re-read this often.
	defaultHostRefresh  = 30 * time.Second
	defaultBackoffMin   = time.Second
	defaultBackoffMax   = 30 * time.Second
	defaultEventBuffer  = 256
	defaultHandshake    = 10 * time.Second
	socketWriteTimeout  = 10 * time.Second
	socketCloseTimeout  = time.Second
	readTimeoutPerBeats = 3 // silence of this many heartbeat intervals means a dead socket
)

// WatchOption configures Watch.
type WatchOption func(*watchConfig)

type watchConfig struct {
	heartbeat     time.Duration
	readTimeout   time.Duration
	hostRefresh   time.Duration
	backoffMin    time.Duration
	backoffMax    time.Duration
	firstFullOnly bool
	url           string
	dialer        *websocket.Dialer
}

// WithHeartbeat sets how often the HeartBeat is sent. Default 60 s, as
// documented; tests use milliseconds.
func WithHeartbeat(d time.Duration) WatchOption {
	return func(c *watchConfig) { c.heartbeat = d }
}

// WithReadTimeout sets how long the socket may stay silent before it is
// taken for dead and reconnected. The server echoes every heartbeat, so the
// default is three heartbeat intervals.
func WithReadTimeout(d time.Duration) WatchOption {
	return func(c *watchConfig) { c.readTimeout = d }
}

// WithHostRefresh sets how often the host and co-hosts are re-read from
// realTimeInfo while watched. Default 30 s.
func WithHostRefresh(d time.Duration) WatchOption {
	return func(c *watchConfig) { c.hostRefresh = d }
}

// WithReconnectBackoff sets the jittered exponential backoff between
// reconnects. Default 1 s growing to 30 s; it starts over once a connection
// has delivered a full roster.
func WithReconnectBackoff(initial, max time.Duration) WatchOption {
	return func(c *watchConfig) { c.backoffMin, c.backoffMax = initial, max }
}

// WithOnlyFirstFrameFull treats only the first participant frame after each
// Subscribe as the whole list and every later one as changes, whatever its
// msgMode says. Use it if the service labels its deltas msgMode 0 ("fixed
// at 0 (full)", meeting_21_1514, UNCONFIRMED): by default a msgMode 0 frame
// replaces the roster.
func WithOnlyFirstFrameFull() WatchOption {
	return func(c *watchConfig) { c.firstFullOnly = true }
}

// WithSocketURL overrides the WebSocket base URL (scheme and host, or the
// whole connection URL). By default it is data.wsURL of the control token
// reply, or else the API base URL.
func WithSocketURL(u string) WatchOption { return func(c *watchConfig) { c.url = u } }

// WithDialer sets the WebSocket dialer (proxy, TLS). Default: the proxy from
// the environment and the TLS settings of the client's HTTP transport.
func WithDialer(d *websocket.Dialer) WatchOption { return func(c *watchConfig) { c.dialer = d } }

// EventKind says what changed in a watched meeting.
type EventKind int

// Kinds of Event.
const (
	EventJoined        EventKind = iota + 1 // Participant joined the meeting
	EventLeft                               // Participant left: hung up, left, or moved to the waiting room
	EventUpdated                            // Participant's name, phone, state, mute, video or hand changed
	EventWaitingJoined                      // Participant arrived in the waiting room
	EventWaitingLeft                        // Participant left the waiting room (admitted or gone)
	EventLock                               // the meeting was locked or unlocked (Locked)
	EventWaitingRoom                        // the waiting room was turned on or off (WaitingRoom)
	EventAttendees                          // the invite list changed
	EventHosts                              // the host or co-hosts changed (confInfo re-read)
	EventLive                               // the live roster is current: subscribed and a full roster applied
	EventStale                              // the socket is down: fall back to realTimeInfo until EventLive
	EventEnded                              // the meeting ended; the watch has stopped
)

var eventNames = map[EventKind]string{
	EventJoined: "joined", EventLeft: "left", EventUpdated: "updated",
	EventWaitingJoined: "waiting_joined", EventWaitingLeft: "waiting_left",
	EventLock: "lock", EventWaitingRoom: "waiting_room", EventAttendees: "attendees",
	EventHosts: "hosts", EventLive: "live", EventStale: "stale", EventEnded: "ended",
}

func (k EventKind) String() string {
	if s, ok := eventNames[k]; ok {
		return s
	}
	return "unknown"
}

// Event is one change in a watched meeting.
type Event struct {
	Kind         EventKind
	ConferenceID string
	Participant  Participant // for participant and waiting-room events; Host/CoHost as of the event
	Locked       bool        // EventLock
	WaitingRoom  bool        // EventWaitingRoom
	// Resync: the change was found by comparing a full roster with what was
	// known, e.g. after a reconnect; it happened at some point before At.
	Resync bool
	At     time.Time
}

// Status is the state of a watch beyond its roster.
type Status struct {
	Live        bool // the roster is current (see Watcher.Live)
	Locked      bool // ConfDynamicInfoNotify lock
	WaitingRoom bool // ConfDynamicInfoNotify waitingRoomState
	CallIn      int  // ConfDynamicInfoNotify callInRestriction
	Waiting     []Participant
	Attendees   []Attendee
	Updated     time.Time     // when the last change was applied (client clock)
	HostsAt     time.Time     // when the host and co-hosts were last read
	Reconnects  int           // connections lost or refused since the watch started
	FrameLag    time.Duration // client clock minus the last frame's createTime; 0 if unknown
}

// Watcher keeps the roster of one meeting current from the conference
// WebSocket. Create it with Client.Watch; it is safe for concurrent use.
type Watcher struct {
	c    *Client
	conf string
	cfg  watchConfig

	cancel context.CancelFunc
	done   chan struct{}
	wg     sync.WaitGroup // the host refresher

	st         liveState
	reconnects atomic.Int64

	subsMu sync.Mutex
	subs   map[*Subscription]struct{}
	closed bool // no more events: subscriptions are closed

	errMu sync.Mutex
	err   error
}

// Watch starts watching a running meeting: it reads realTimeInfo once (the
// roster to start from, and the host and co-hosts), then keeps the roster
// current from the conference WebSocket in the background — reconnecting
// with backoff and a fresh token whenever the socket is lost — until ctx
// ends, Stop is called, or the meeting ends. Only the first read's failure
// is returned; a socket that cannot be opened leaves Live false, and
// Watcher.Roster falls back to realTimeInfo meanwhile.
func (c *Client) Watch(ctx context.Context, conferenceID string, opts ...WatchOption) (*Watcher, error) {
	if err := validateConference("watch", conferenceID); err != nil {
		return nil, err
	}
	cfg := watchConfig{
		heartbeat:   defaultHeartbeat,
		hostRefresh: defaultHostRefresh,
		backoffMin:  defaultBackoffMin,
		backoffMax:  defaultBackoffMax,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.heartbeat <= 0 {
		cfg.heartbeat = defaultHeartbeat
	}
	if cfg.readTimeout <= 0 {
		cfg.readTimeout = readTimeoutPerBeats * cfg.heartbeat
	}
	if cfg.hostRefresh <= 0 {
		cfg.hostRefresh = defaultHostRefresh
	}
	if cfg.backoffMin <= 0 {
		cfg.backoffMin = defaultBackoffMin
	}
	cfg.backoffMax = max(cfg.backoffMax, cfg.backoffMin)
	if cfg.dialer == nil {
		cfg.dialer = c.dialer()
	}

	r, chair, coHosts, err := c.realTimeConf(ctx, conferenceID)
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(ctx)
	w := &Watcher{
		c:      c,
		conf:   conferenceID,
		cfg:    cfg,
		cancel: cancel,
		done:   make(chan struct{}),
		subs:   map[*Subscription]struct{}{},
	}
	w.st.seed(r.Participants, chair, coHosts, c.now())
	w.wg.Add(1)
	go w.refreshHosts(wctx)
	go w.run(wctx)
	return w, nil
}

// dialer is the default WebSocket dialer: the HTTP client's proxy and TLS
// settings when it has an *http.Transport.
func (c *Client) dialer() *websocket.Dialer {
	d := &websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: defaultHandshake,
		WriteBufferPool: socketWriteBuffers}
	if tr, ok := c.hc.Transport.(*http.Transport); ok {
		d.Proxy = tr.Proxy
		if tr.TLSClientConfig != nil {
			d.TLSClientConfig = tr.TLSClientConfig.Clone()
		}
		if tr.DialContext != nil {
			d.NetDialContext = tr.DialContext
		}
	}
	return d
}

// socketWriteBuffers lend the sockets of every watch a write buffer for
// the length of one message: a watch writes a heartbeat a minute, and a
// buffer of its own (4 KB) would sit idle between them.
var socketWriteBuffers = new(sync.Pool)

// ConferenceID is the watched meeting.
func (w *Watcher) ConferenceID() string { return w.conf }

// Stop ends the watch and waits until its goroutines have returned. Safe to
// call more than once and after the watch ended by itself.
func (w *Watcher) Stop() {
	w.cancel()
	<-w.done
}

// Done is closed when the watch has stopped (Stop, ctx, meeting end).
func (w *Watcher) Done() <-chan struct{} { return w.done }

// Err says why the watch stopped: nil while running or after Stop or the
// end of ctx; a KindMeetingEnded *Error when the meeting ended; another
// *Error when the meeting cannot be watched any more (not running, not
// found).
func (w *Watcher) Err() error {
	w.errMu.Lock()
	defer w.errMu.Unlock()
	return w.err
}

// Live reports whether the live roster is current: the socket is
// subscribed and has delivered a full roster since it (re)connected.
// While it is false, use realTimeInfo (Watcher.Roster does).
func (w *Watcher) Live() bool {
	w.st.mu.RLock()
	defer w.st.mu.RUnlock()
	return w.st.live
}

// Snapshot returns the live roster and whether it is current. ReadAt is
// when the last change was applied. The Roster is the caller's, but its
// Participants are shared with the watch and other readers: read them, never
// change an entry (a copy is cheap to make where one is needed).
// Host comes from confInfo.chairID or the frames' ROLE, CoHost from
// confInfo.coHosts as last re-read (see WithHostRefresh).
func (w *Watcher) Snapshot() (*Roster, bool) {
	subject := w.c.snapshot(w.conf).subject
	w.st.mu.RLock()
	defer w.st.mu.RUnlock()
	r := &Roster{
		ConferenceID: w.conf,
		Subject:      subject,
		Participants: w.st.participants.view(),
		ReadAt:       w.st.updated,
	}
	return r, w.st.live
}

// ReadRoster lends fn the live roster, if it is current, and reports
// whether it did. The roster holds still while fn runs, and is the watch's
// own: fn reads it (ByID is an index lookup, not a scan), keeps nothing of
// it, and calls no method of w. Lending instead of sharing (Snapshot) is
// what lets the frame that removes a kicked participant do so in place: a
// roster handed out must be copied whole before it changes, 150 KB in a
// 1,100-person meeting, on every kick. Attendees are not filled in.
func (w *Watcher) ReadRoster(fn func(*Roster)) bool {
	subject := w.c.snapshot(w.conf).subject
	w.st.mu.RLock()
	defer w.st.mu.RUnlock()
	if !w.st.live {
		return false
	}
	l := &w.st.participants
	r := &Roster{ConferenceID: w.conf, Subject: subject, Participants: l.ps[:len(l.ps):len(l.ps)],
		ReadAt: w.st.updated, find: l.get}
	fn(r)
	// Whatever fn kept of it holds nothing from now on.
	*r = Roster{ConferenceID: r.ConferenceID, Subject: r.Subject, ReadAt: r.ReadAt}
	return true
}

// header is the live roster without its participants.
func (w *Watcher) header() *Roster {
	subject := w.c.snapshot(w.conf).subject
	w.st.mu.RLock()
	defer w.st.mu.RUnlock()
	return &Roster{ConferenceID: w.conf, Subject: subject, ReadAt: w.st.updated}
}

// Participant looks one pid up in the live roster without copying it; ok is
// false when the pid is not there, live as in Live.
func (w *Watcher) Participant(pid string) (p Participant, ok, live bool) {
	w.st.mu.RLock()
	defer w.st.mu.RUnlock()
	p, ok = w.st.participants.get(pid)
	return p, ok, w.st.live
}

// Roster is the live roster when it is current, and otherwise a
// realTimeInfo read (the fallback while the socket is down).
func (w *Watcher) Roster(ctx context.Context) (*Roster, error) {
	if r, live := w.Snapshot(); live {
		return r, nil
	}
	return w.c.Roster(ctx, w.conf)
}

// Status returns the lock and waiting-room state, the waiting list, the
// invite list and the connection's health. Waiting and Attendees are shared
// like Snapshot's Participants: never change an entry.
func (w *Watcher) Status() Status {
	w.st.mu.RLock()
	defer w.st.mu.RUnlock()
	s := Status{
		Live:        w.st.live,
		Locked:      w.st.locked,
		WaitingRoom: w.st.waitingRoom,
		CallIn:      int(w.st.callIn),
		Waiting:     w.st.waiting.view(),
		Attendees:   w.st.attendeesView(),
		Updated:     w.st.updated,
		HostsAt:     w.st.hostsAt,
		Reconnects:  int(w.reconnects.Load()),
	}
	if !w.st.frameAt.IsZero() {
		s.FrameLag = max(w.c.now().Sub(w.st.frameAt), 0)
	}
	return s
}

// Subscription delivers a watch's events on C, which is closed when the
// watch stops or the subscription is closed. Events are never waited for:
// when buffer events are already waiting the event is dropped and counted
// in Dropped, and the subscriber should re-read the roster (Snapshot) to
// catch up.
//
// C itself holds a few events; the rest of the buffer is a queue that
// exists only while events wait in it, moved onto C by a goroutine of the
// subscription's own. A channel of the whole buffer was allocated up front:
// 200 KB per watch for the bot's 1,024 events, a sixth of what a watched
// 3,000-person meeting kept.
type Subscription struct {
	C       <-chan Event
	ch      chan Event
	w       *Watcher
	limit   int // events waiting at most, in ch and pending
	dropped atomic.Uint64

	mu         sync.Mutex // guards pending, forwarding; taken under w.subsMu
	pending    []Event    // events that did not fit in ch, oldest first
	forwarding bool       // forward is running
	stop       chan struct{}
	forwarded  chan struct{} // closed when forward returns, if it was started
}

// subscriptionChannel is how many events a subscription's channel holds.
const subscriptionChannel = 32

// Subscribe returns a subscription that holds up to buffer events waiting
// (default 256 when buffer ≤ 0).
func (w *Watcher) Subscribe(buffer int) *Subscription {
	if buffer <= 0 {
		buffer = defaultEventBuffer
	}
	s := &Subscription{ch: make(chan Event, min(buffer, subscriptionChannel)), w: w, limit: buffer,
		stop: make(chan struct{})}
	s.C = s.ch
	w.subsMu.Lock()
	defer w.subsMu.Unlock()
	if w.closed {
		close(s.ch)
		return s
	}
	w.subs[s] = struct{}{}
	return s
}

// Dropped is how many events did not fit in the buffer.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close ends the subscription and closes C. Safe to call more than once.
func (s *Subscription) Close() {
	s.w.subsMu.Lock()
	defer s.w.subsMu.Unlock()
	if _, ok := s.w.subs[s]; ok {
		delete(s.w.subs, s)
		s.end()
	}
}

// end stops the forwarding and closes C; w.subsMu held, so no event is
// being added meanwhile.
func (s *Subscription) end() {
	close(s.stop)
	s.mu.Lock()
	done := s.forwarded
	s.mu.Unlock()
	if done != nil {
		<-done // it sends on ch no more
	}
	close(s.ch)
}

// add queues ev without blocking; w.subsMu held.
func (s *Subscription) add(ev Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.forwarding {
		// Straight onto C only while nothing waits to be forwarded (one
		// may be on its way there): events keep their order.
		select {
		case s.ch <- ev:
			return
		default:
		}
	}
	if len(s.ch)+len(s.pending) >= s.limit {
		s.dropped.Add(1)
		return
	}
	s.pending = append(s.pending, ev)
	if !s.forwarding {
		s.forwarding = true
		s.forwarded = make(chan struct{})
		go s.forward(s.forwarded)
	}
}

// forward moves pending events onto ch, in order, until none is left or
// the subscription ends.
func (s *Subscription) forward(done chan struct{}) {
	defer close(done)
	defer func() {
		if r := recover(); r != nil {
			// Nothing here can panic; if it does, what is pending is lost
			// (counted), never the watch.
			s.mu.Lock()
			s.dropped.Add(uint64(len(s.pending)))
			s.pending, s.forwarding = nil, false
			s.mu.Unlock()
		}
	}()
	for {
		s.mu.Lock()
		if len(s.pending) == 0 {
			s.pending, s.forwarding = nil, false // let a burst's queue go
			s.mu.Unlock()
			return
		}
		ev := s.pending[0] // stays pending, and counted, until it is on ch
		s.mu.Unlock()
		select {
		case s.ch <- ev:
		case <-s.stop:
			return
		}
		s.mu.Lock()
		s.pending[0] = Event{}
		s.pending = s.pending[1:]
		s.mu.Unlock()
	}
}

// emit delivers events to every subscriber without ever blocking.
func (w *Watcher) emit(evs ...Event) {
	if len(evs) == 0 {
		return
	}
	w.subsMu.Lock()
	defer w.subsMu.Unlock()
	for s := range w.subs {
		for _, e := range evs {
			s.add(e)
		}
	}
}

// closeSubs closes every subscription: the watch is over.
func (w *Watcher) closeSubs() {
	w.subsMu.Lock()
	defer w.subsMu.Unlock()
	w.closed = true
	for s := range w.subs {
		s.end()
		delete(w.subs, s)
	}
}

func (w *Watcher) setErr(err error) {
	w.errMu.Lock()
	defer w.errMu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

// refreshHosts re-reads confInfo every hostRefresh while watched. A failed
// read keeps the last known host and co-hosts (Status.HostsAt tells how old
// they are); the supervisor decides whether the meeting is gone.
func (w *Watcher) refreshHosts(ctx context.Context) {
	defer w.wg.Done()
	defer w.recoverTo("host refresh", nil)
	t := time.NewTicker(w.cfg.hostRefresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_, chair, coHosts, err := w.c.realTimeConf(ctx, w.conf)
		if err != nil {
			if ctx.Err() == nil {
				w.c.log.Debug().Str("conference", w.conf).Str("kind", KindOf(err).String()).
					Msg("watch: host refresh failed; keeping the last host and co-hosts")
			}
			continue
		}
		now := w.c.now()
		w.st.mu.Lock()
		changed := w.st.setHostsLocked(chair, coHosts, now)
		w.st.mu.Unlock()
		if changed {
			w.emit(Event{Kind: EventHosts, ConferenceID: w.conf, At: now})
		}
	}
}

// recoverTo turns a panic in a watch goroutine into a logged, visible end of
// the watch instead of a crash. Deferred by every goroutine of a watch.
func (w *Watcher) recoverTo(what string, also func()) {
	if r := recover(); r != nil {
		w.c.log.Error().Str("conference", w.conf).Str("goroutine", what).Str("panic", fmt.Sprint(r)).
			Str("stack", string(debug.Stack())).Msg("watch goroutine panicked; the watch stops")
		w.setErr(&Error{Kind: KindUnknown, Op: "watch", Err: errors.New("internal error in " + what)})
		w.cancel()
		if also != nil {
			also()
		}
	}
}
