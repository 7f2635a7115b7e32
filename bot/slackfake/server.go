// Package slackfake is a fake Slack for tests: the real slack-go client talks to it over real
// HTTP (apps.connections.open, the Web API, response_url) and a real WebSocket (Socket Mode).
//
// It speaks the wire formats slack-go v0.35.0 expects (see /work/shared/slack-platform.md):
// a hello frame first, WebSocket ping control frames, envelopes whose slash-command payload
// fields are JSON strings, acks read back as {envelope_id, payload}, HTTP 429 with Retry-After.
// Everything the client does is recorded with timestamps so tests can assert on what a user
// would see (messages, threads, ack latency) and fault tests can script failures.
//
// It is as strict as Slack by default, because a kind fake once hid kicks lost in a throttled
// raid: Web API rate limits answered with HTTP 429 + Retry-After (DefaultLimits; the body error
// rate_limited with WithRateLimitBodyError), a running Retry-After enforced and every call that
// ignored one counted (LimitStats, CallLog), Block Kit limits (invalid_blocks,
// msg_blocks_too_long, msg_too_long), response_url usable 5 times within 30 minutes, chat.update
// only on the app's own messages, unacked envelopes redelivered after a lost socket. A test that
// needs a kinder Slack says so: Lenient, WithoutRateLimit, WithRateLimit, WithResponseURLLimit.
// WithClock makes the limits deterministic.
//
// A Server is safe for concurrent use.
package slackfake

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/kickbot/kickbot/internal/fakeclock"
)

// Defaults used when no Option overrides them.
const (
	DefaultBotToken     = "xoxb-test"
	DefaultAppToken     = "xapp-test"
	DefaultBotUserID    = "UBOT"
	DefaultBotID        = "BBOT"
	DefaultAppID        = "A0FAKEAPP"
	DefaultTeamID       = "T0FAKE"
	DefaultTeamDomain   = "fake"
	DefaultPingInterval = time.Second

	// MaxFrameSize is Slack's limit for frames sent by the app: a frame this big or bigger is
	// refused (socket closed with 1009), exactly like "Max frame length of 20480 has been exceeded".
	MaxFrameSize = 20480

	permalinkBase = "https://fake.slack/archives/"
)

type config struct {
	botToken, appToken  string
	botUserID, botID    string
	appID               string
	teamID, teamDomain  string
	pingInterval        time.Duration
	redeliverUnacked    bool
	maxResponseURLUses  int
	responseURLLifetime time.Duration
	approxConnectionSec int

	clock           Clock
	limits          map[string]Limit
	retryAfterLoose bool // a running Retry-After does not refuse calls by itself (Lenient)
	rateLimitBody   bool
	editWindow      time.Duration
	disconnectGap   time.Duration
}

// Option configures a Server.
type Option func(*config)

// WithBotToken sets the bot token (xoxb-…) every Web API call must carry.
func WithBotToken(tok string) Option { return func(c *config) { c.botToken = tok } }

// WithAppToken sets the app-level token (xapp-…) apps.connections.open must carry.
func WithAppToken(tok string) Option { return func(c *config) { c.appToken = tok } }

// WithPingInterval sets how often the server pings each socket. d <= 0 disables pings, which
// makes slack-go declare the link dead after its own OptionPingInterval (a fault test).
func WithPingInterval(d time.Duration) Option { return func(c *config) { c.pingInterval = d } }

// WithBotUserID sets the bot's user ID (auth.test user_id, author of posted messages).
func WithBotUserID(id string) Option { return func(c *config) { c.botUserID = id } }

// WithAppID sets the app ID (hello connection_info.app_id, payload api_app_id).
func WithAppID(id string) Option { return func(c *config) { c.appID = id } }

// WithTeam sets the workspace ID and domain used in payloads and auth.test.
func WithTeam(id, domain string) Option {
	return func(c *config) { c.teamID, c.teamDomain = id, domain }
}

// WithRedeliverUnacked makes the server re-queue every envelope that was written to a socket
// but not acked when that socket goes away (drop, oversized frame), as Slack has been observed
// to do. On by default (strict): the app must be idempotent. A socket closed after a
// disconnect frame always hands its unacked envelopes to the next socket, whatever this says.
func WithRedeliverUnacked(on bool) Option { return func(c *config) { c.redeliverUnacked = on } }

// WithResponseURLLimit caps how many times one response_url may be used (default 5, Slack's
// "up to 5 times within 30 minutes"). Uses beyond the cap get HTTP 404 "used_url" and are not
// recorded as messages. 0 = no cap.
func WithResponseURLLimit(n int) Option { return func(c *config) { c.maxResponseURLUses = n } }

// WithResponseURLLifetime sets how long a response_url works after its envelope was created
// (default 30 minutes). Later uses get HTTP 404 "expired_url" (Slack documents the lifetime but
// not the error; the fake's choice). 0 = forever.
func WithResponseURLLifetime(d time.Duration) Option {
	return func(c *config) { c.responseURLLifetime = d }
}

// WithEditWindow makes chat.update of a message older than d fail with edit_window_closed, as
// in a workspace whose admins limit message editing. Off (0) by default, like Slack's default.
func WithEditWindow(d time.Duration) Option { return func(c *config) { c.editWindow = d } }

// WithDisconnectGrace sets how long a socket stays open after SendDisconnect wrote its
// disconnect frame before the server closes it (Slack: about 10 s after "warning"). Default 10 s;
// slack-go reconnects at once, so it normally closes the socket itself long before.
func WithDisconnectGrace(d time.Duration) Option { return func(c *config) { c.disconnectGap = d } }

// Server is the fake Slack. Create it with New or NewT.
type Server struct {
	cfg    config
	http   *httptest.Server
	ctx    context.Context // canceled by Close: ends sockets, latency sleeps and waiters
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine the server starts itself
	up     websocket.Upgrader

	mu    sync.Mutex
	state state
}

// New starts a fake Slack on a loopback httptest server. Call Close when done.
func New(opts ...Option) *Server {
	cfg := config{
		botToken:            DefaultBotToken,
		appToken:            DefaultAppToken,
		botUserID:           DefaultBotUserID,
		botID:               DefaultBotID,
		appID:               DefaultAppID,
		teamID:              DefaultTeamID,
		teamDomain:          DefaultTeamDomain,
		pingInterval:        DefaultPingInterval,
		approxConnectionSec: 18060,
		redeliverUnacked:    true,
		maxResponseURLUses:  5,
		responseURLLifetime: 30 * time.Minute,
		clock:               fakeclock.Wall{},
		limits:              DefaultLimits(),
		disconnectGap:       10 * time.Second,
	}
	for _, o := range opts {
		o(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:    cfg,
		ctx:    ctx,
		cancel: cancel,
		// slack-go sends Origin: https://api.slack.com; a fake has no reason to refuse it.
		up: websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }},
	}
	s.state.init()
	s.state.rateLimitBody = cfg.rateLimitBody
	s.state.users[cfg.botUserID] = User{ID: cfg.botUserID, Name: "kickbot", RealName: "kickbot", IsBot: true}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /apps.connections.open", s.handleConnectionsOpen)
	mux.HandleFunc("GET /link/", s.handleLink)
	mux.HandleFunc("POST /response/{id}", s.handleResponseURL)
	mux.HandleFunc("/{method}", s.handleWebAPI)
	s.http = httptest.NewServer(mux)
	return s
}

// NewT is New plus tb.Cleanup(Close).
func NewT(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := New(opts...)
	tb.Cleanup(s.Close)
	return s
}

// URL is the server's base URL without a trailing slash.
func (s *Server) URL() string { return s.http.URL }

// APIURL is the value for slack.OptionAPIURL (base URL with the trailing slash slack-go needs).
func (s *Server) APIURL() string { return s.http.URL + "/" }

// Close drops every socket, stops every goroutine the server started and shuts the HTTP
// server down. Safe to call more than once.
func (s *Server) Close() {
	s.mu.Lock()
	if s.state.closed {
		s.mu.Unlock()
		return
	}
	s.state.closed = true
	links := s.state.linkList()
	s.state.notifyLocked()
	s.mu.Unlock()

	s.cancel()
	for _, l := range links {
		l.kill()
	}
	s.http.Close()
	s.wg.Wait()
}

// now is the time on the server's clock.
func (s *Server) now() time.Time { return s.cfg.clock.Now() }

// goOwned runs f in a goroutine owned by the server (waited for by Close). It reports false,
// without running f, when the server is already closed.
func (s *Server) goOwned(f func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state.closed {
		return false
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() {
			// A fake must never take the test binary down; the panic is reported via Problems.
			if v := recover(); v != nil {
				s.mu.Lock()
				s.state.problems = append(s.state.problems, fmt.Sprintf("panic: %v", v))
				s.mu.Unlock()
			}
		}()
		f()
	}()
	return true
}
