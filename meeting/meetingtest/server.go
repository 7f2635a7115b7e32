package meetingtest

import (
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kickbot/kickbot/internal/fakeclock"
)

// Endpoint names one simulated API; used for fault injection, rate limits and
// call records.
type Endpoint string

// The six simulated endpoints of the hang-up; the keep-out controls are in
// keepout.go.
const (
	EndpointAppAuth      Endpoint = "appauth"      // POST /v2/usg/acs/auth/appauth
	EndpointAccountAuth  Endpoint = "account"      // POST /v1/usg/acs/auth/account
	EndpointConfDetail   Endpoint = "confDetail"   // GET  /v1/mmc/management/conferences/confDetail
	EndpointControlToken Endpoint = "token"        // GET  /v1/mmc/control/conferences/token
	EndpointRealTimeInfo Endpoint = "realTimeInfo" // GET  /v1/mmc/control/conferences/realTimeInfo
	EndpointHangUp       Endpoint = "hangup"       // POST /v1/mmc/control/conferences/participants/delete
	// EndpointWSToken (GET wsToken) is declared in ws.go.
)

// Paths of the simulated endpoints (exact and case-sensitive, as upstream).
const (
	PathAppAuth      = "/v2/usg/acs/auth/appauth"
	PathAccountAuth  = "/v1/usg/acs/auth/account"
	PathConfDetail   = "/v1/mmc/management/conferences/confDetail"
	PathControlToken = "/v1/mmc/control/conferences/token"
	PathRealTimeInfo = "/v1/mmc/control/conferences/realTimeInfo"
	PathHangUp       = "/v1/mmc/control/conferences/participants/delete"
)

// maxBody bounds what the simulator reads from a request body: far above a
// 3,000-pid hang-up (~110 KB), far below anything that could hurt a test run.
const maxBody = 4 << 20

type route struct {
	method   string
	endpoint Endpoint
	handle   func(s *Server, w http.ResponseWriter, r *http.Request, body []byte, bodyErr error)
}

// Server is the simulator. Create it with NewServer and Close it when done.
// All methods are safe for concurrent use, also while requests are running.
type Server struct {
	ts     *httptest.Server
	routes map[string]route
	done   chan struct{} // closed by Close: aborts injected waits so Close never hangs
	once   sync.Once
	active atomic.Int64 // requests being served now

	// Set by options before the server starts; read-only afterwards.
	clock        Clock
	accessTTL    time.Duration
	controlTTL   time.Duration
	strictHangUp bool
	hostHangUp   bool
	ctlFail      apiError
	hangUpLimit  int
	keepAliveNew bool
	lockoutAfter int
	lockoutFor   time.Duration
	endedFail    apiError
	maskPhones   bool
	repeatLock   RepeatLock // keepout.go
	noBulkMove   bool
	strictMove   bool
	waitIDs      WaitingIDs
	rosterIDs    bool

	mu           sync.Mutex // guards the meeting state below
	apps         map[string]app
	accounts     map[string]account
	confs        map[string]*conference
	accessTokens map[string]*accessToken
	userTokens   map[string][]string // user+clientType → live tokens, oldest first (64-token rule)
	ctlTokens    map[string]*controlToken
	ctlIssued    int // issues since the last prune of expired control tokens

	faultMu   sync.Mutex // guards fault injection and rate limits
	gatesMu   sync.Mutex
	gates     map[Endpoint]*gate // Hold
	faults    map[Endpoint][]pendingFault
	latency   map[Endpoint]time.Duration
	limits    map[Endpoint]*rateWindow
	throttles map[Endpoint]*rateWindow

	recMu   sync.Mutex // guards the call records
	calls   []Call
	counts  map[Endpoint]int
	hangUps map[string][]string

	ws wsState // the conference WebSocket (ws.go)
}

// NewServer starts a simulator on a loopback httptest server. It starts
// empty: seed it with AddApp/AddAccount/AddConference or Sample.
func NewServer(opts ...Option) *Server {
	s := &Server{
		done:         make(chan struct{}),
		clock:        fakeclock.Wall{},
		accessTTL:    12 * time.Hour,
		controlTTL:   30 * time.Minute,
		hostHangUp:   true,
		keepAliveNew: true,
		ctlFail:      apiError{http.StatusUnauthorized, CodeUserTokenAuthFailed, "USER_TOKEN_AUTH_FAILED"},
		endedFail:    errClosed,
		throttles:    map[Endpoint]*rateWindow{},
		apps:         map[string]app{},
		accounts:     map[string]account{},
		confs:        map[string]*conference{},
		accessTokens: map[string]*accessToken{},
		userTokens:   map[string][]string{},
		ctlTokens:    map[string]*controlToken{},
		faults:       map[Endpoint][]pendingFault{},
		gates:        map[Endpoint]*gate{},
		latency:      map[Endpoint]time.Duration{},
		limits:       map[Endpoint]*rateWindow{},
		counts:       map[Endpoint]int{},
		hangUps:      map[string][]string{},
		ws:           newWSState(),
	}
	for _, o := range opts {
		o(s)
	}
	s.routes = map[string]route{
		PathAppAuth:      {http.MethodPost, EndpointAppAuth, (*Server).handleAppAuth},
		PathAccountAuth:  {http.MethodPost, EndpointAccountAuth, (*Server).handleAccountAuth},
		PathConfDetail:   {http.MethodGet, EndpointConfDetail, (*Server).handleConfDetail},
		PathControlToken: {http.MethodGet, EndpointControlToken, (*Server).handleControlToken},
		PathRealTimeInfo: {http.MethodGet, EndpointRealTimeInfo, (*Server).handleRealTimeInfo},
		PathHangUp:       {http.MethodPost, EndpointHangUp, (*Server).handleHangUp},
		PathWSToken:      {http.MethodGet, EndpointWSToken, (*Server).handleWSToken},

		PathLock:              {http.MethodPut, EndpointLock, (*Server).handleLock},
		PathMoveToWaitingRoom: {http.MethodPut, EndpointMoveToWaitingRoom, (*Server).handleMove},
		PathAllowWaiting:      {http.MethodPut, EndpointAllowWaiting, (*Server).handleAllowWaiting},
	}
	if !s.noBulkMove {
		s.routes[PathBatchMoveToWaitingRoom] = route{http.MethodPut, EndpointBatchMoveToWaitingRoom, (*Server).handleBatchMove}
	}
	s.ts = httptest.NewUnstartedServer(s.Handler())
	// net/http would otherwise print hijack and handler messages to stderr;
	// the simulator stays silent so nothing it sees can leak into a log.
	s.ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.ts.Start()
	return s
}

// URL is the base URL to give the meeting client (no trailing slash).
func (s *Server) URL() string { return s.ts.URL }

// Client returns an *http.Client wired to this server (httptest's client).
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Close stops the server. Injected delays in flight are cut short so Close
// does not hang on them.
func (s *Server) Close() {
	s.mu.Lock() // see serveWebSocket: no socket is added once done is closed
	s.once.Do(func() { close(s.done) })
	s.mu.Unlock()
	// Hijacked WebSocket connections are not closed by httptest, and it
	// waits for their handlers (the readers): cut them first.
	s.closeWebSockets()
	s.ts.Close()
	s.ws.wg.Wait()
}

// Handler returns the simulator's http.Handler, for mounting it elsewhere or
// driving it with httptest.NewRecorder. It shares this Server's state.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == PathWebSocket {
			s.serveWebSocket(w, r) // hijacked: not buffered or recorded like the REST calls
			return
		}
		s.serve(w, r)
	})
}

// serve is the common front of every request, in the order a gateway would
// apply things: request id, routing, latency, injected faults, rate limit,
// then the endpoint itself. The reply is buffered and the call recorded
// before the first byte goes out, so a caller that has its answer always
// finds the call in Calls.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.active.Add(1)
	defer s.active.Add(-1)
	rt, known := s.routes[r.URL.Path]
	if known && r.Method != rt.method {
		known = false
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Request-ID", requestID(r.Header.Get("X-Request-ID")))

	body, bodyErr := readBody(r)
	call := s.newCall(r, rt.endpoint, known, body)
	bw := &bufferedWriter{header: h}
	switch s.handle(bw, r, rt, known, body, bodyErr) {
	case outcomeReply:
		s.record(call, bw.status)
		w.Header().Set("Content-Length", strconv.Itoa(len(bw.buf)))
		w.WriteHeader(bw.status)
		_, _ = w.Write(bw.buf)
	case outcomeDrop:
		s.record(call, 0)
		closeConn(w)
	case outcomeGone:
		s.record(call, 0)
	}
}

// outcome is what serve does with a request once it is handled.
type outcome int

const (
	outcomeReply outcome = iota // send the buffered reply
	outcomeDrop                 // close the connection without a reply
	outcomeGone                 // the caller gave up: nothing to send
)

// handle runs latency, faults, rate limit and the endpoint into bw.
func (s *Server) handle(bw *bufferedWriter, r *http.Request, rt route, known bool, body []byte, bodyErr error) (out outcome) {
	defer func() {
		if p := recover(); p != nil {
			// A bug in the simulator must show up as a visible 500, not a
			// silently dropped connection.
			bw.reset()
			writeError(bw, errPanic)
			out = outcomeReply
		}
	}()
	if !known {
		writeError(bw, errNotFound)
		return outcomeReply
	}
	if o, ok := s.passGate(r, rt.endpoint); !ok {
		return o
	}
	if d := s.latencyOf(rt.endpoint); d > 0 {
		if o, ok := s.wait(r, d); !ok {
			return o
		}
	}
	if f, ok := s.takeFault(rt.endpoint); ok {
		if f.Applied || f.Roster != RosterIntact {
			return s.applyThenFault(bw, r, rt, body, bodyErr, f)
		}
		if f.Delay > 0 {
			if o, ok := s.wait(r, f.Delay); !ok {
				return o
			}
		}
		if f.CloseConn {
			return outcomeDrop
		}
		if f.Status != 0 {
			s.writeFault(bw, rt.endpoint, f)
			return outcomeReply
		}
	}
	if limited, retry := s.rateCheck(rt.endpoint, bw.header); limited {
		bw.header.Set("Retry-After", retryAfterSeconds(retry))
		writeError(bw, apiError{http.StatusTooManyRequests, CodeRateLimited, "SERVER_FLOW_CONTROL"})
		return outcomeReply
	}
	if limit, throttled := s.throttleCheck(rt.endpoint); throttled {
		// Huawei's gateway documents no Retry-After for its throttling.
		writeError(bw, apiError{http.StatusTooManyRequests, CodeGatewayThrottled,
			"The throttling threshold has been reached: policy user over ratelimit,limit:" + strconv.Itoa(limit) + ",time:1 second"})
		return outcomeReply
	}
	rt.handle(s, bw, r, body, bodyErr)
	return outcomeReply
}

// applyThenFault runs the endpoint, so the call takes effect, and then lets
// f spoil the reply: a rewritten roster, a delay, a dropped connection or an
// error status in place of the real answer.
func (s *Server) applyThenFault(bw *bufferedWriter, r *http.Request, rt route, body []byte, bodyErr error, f Fault) outcome {
	rt.handle(s, bw, r, body, bodyErr)
	if f.Roster != RosterIntact && rt.endpoint == EndpointRealTimeInfo && bw.status == http.StatusOK {
		bw.buf = spoilRoster(bw.buf, f.Roster)
	}
	if f.Delay > 0 {
		if o, ok := s.wait(r, f.Delay); !ok {
			return o
		}
	}
	if f.CloseConn {
		return outcomeDrop
	}
	if f.Status != 0 {
		bw.reset()
		s.writeFault(bw, rt.endpoint, f)
	}
	return outcomeReply
}

// wait sleeps d in real time. It ends early when the caller gives up
// (nothing more to send) or the server is closing (the connection is
// dropped, as a real server going away would).
func (s *Server) wait(r *http.Request, d time.Duration) (outcome, bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return outcomeReply, true
	case <-r.Context().Done():
		return outcomeGone, false
	case <-s.done:
		return outcomeDrop, false
	}
}

// Active is the number of requests the simulator is serving right now, e.g.
// to wait until a call is stuck in injected latency.
func (s *Server) Active() int { return int(s.active.Load()) }

// closeConn drops the TCP connection without a response. Where hijacking is
// impossible (HTTP/2, a recorder) net/http's abort panic resets the stream.
func closeConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// readBody reads at most maxBody bytes; a longer body is an error.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return b, err
	}
	if len(b) > maxBody {
		return nil, errors.New("request body too large")
	}
	return b, nil
}

// bufferedWriter holds a reply until the call is recorded. Headers go
// straight to the real writer's header map.
type bufferedWriter struct {
	header http.Header
	status int
	buf    []byte
}

func (w *bufferedWriter) Header() http.Header { return w.header }

func (w *bufferedWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *bufferedWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.buf == nil {
		// Only the simulator's own handlers write here, each once with a
		// fresh slice it never touches again: keep it instead of copying.
		w.buf = b
		return len(b), nil
	}
	w.buf = append(w.buf, b...)
	return len(b), nil
}

func (w *bufferedWriter) reset() { w.status, w.buf = 0, w.buf[:0] }
