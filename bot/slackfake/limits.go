package slackfake

import (
	"math"
	"time"

	"github.com/kickbot/kickbot/internal/fakeclock"
)

// Clock is the fake's sense of time: rate-limit buckets, Retry-After windows, response_url
// lifetimes, the edit window and every recorded timestamp (Message.At, Ack.Sent/Received,
// Call.At) use it. Socket deadlines, pings and scripted latency stay on real time, because the
// network underneath is real.
type Clock = fakeclock.Source

// ManualClock is a Clock that moves only when told to, for deterministic
// tests of limits. Safe for concurrent use.
type ManualClock = fakeclock.Clock

// NewManualClock returns a clock standing at start.
func NewManualClock(start time.Time) *ManualClock { return fakeclock.New(start) }

// WithClock makes the server read time from c (default: the wall clock).
func WithClock(c Clock) Option { return func(cfg *config) { cfg.clock = c } }

// Limit is a token bucket: up to Burst calls at once, then one more every Every. A zero Every
// or Burst means no limit. PerChannel keeps one bucket (and one Retry-After) per channel
// instead of one per method.
type Limit struct {
	Every      time.Duration
	Burst      int
	PerChannel bool
}

func (l Limit) off() bool { return l.Every <= 0 || l.Burst <= 0 }

// Slack's tiers are "N+ per minute" with bursts "tolerated"; the bursts below are our choice,
// kept small so a client that leans on them is caught (slack-platform.md §5, §6).
var (
	tier2 = Limit{Every: 3 * time.Second, Burst: 3}         // 20/min
	tier3 = Limit{Every: 1200 * time.Millisecond, Burst: 5} // 50/min
	tier4 = Limit{Every: 600 * time.Millisecond, Burst: 10} // 100/min
)

// DefaultLimits is the strict default: Slack's documented rate for each method the bot uses.
// The returned map is fresh; change it and pass it to WithRateLimits.
//
//   - chat.postMessage: "1 per second per channel, short bursts allowed" — burst 3 is our
//     choice (Slack gives no number); one bucket per channel.
//   - chat.update: Tier 3, app-wide.
//   - chat.getPermalink: Slack lists it as "Special" with no number; we use Tier 3 (50/min),
//     the stricter of the usual readings.
//   - usergroups.users.list: Tier 2.
//   - chat.postEphemeral, users.info: Tier 4. conversations.info: Tier 3.
//
// apps.connections.open (Tier 1 or 3, the docs disagree) and response_url (no per-channel
// limit, but 5 uses in 30 minutes: see WithResponseURLLimit) are not rate limited.
func DefaultLimits() map[string]Limit {
	post := Limit{Every: time.Second, Burst: 3, PerChannel: true}
	return map[string]Limit{
		"chat.postMessage":      post,
		"chat.update":           tier3,
		"chat.getPermalink":     tier3,
		"usergroups.users.list": tier2,
		"chat.postEphemeral":    tier4,
		"users.info":            tier4,
		"conversations.info":    tier3,
	}
}

// WithRateLimits replaces the whole table of limits (see DefaultLimits).
func WithRateLimits(limits map[string]Limit) Option {
	return func(c *config) {
		c.limits = map[string]Limit{}
		for m, l := range limits {
			c.limits[m] = l
		}
	}
}

// WithRateLimit sets (or, with a zero Limit, removes) the limit of one method.
func WithRateLimit(method string, l Limit) Option {
	return func(c *config) { c.limits[method] = l }
}

// WithoutRateLimit lifts the limit of one method; a test that needs this says why.
func WithoutRateLimit(method string) Option {
	return func(c *config) {
		l := c.limits[method]
		l.Every, l.Burst = 0, 0 // keep PerChannel: scripted Retry-Afters stay per channel
		c.limits[method] = l
	}
}

// WithRateLimitBodyError makes every rate-limit answer (scripted or from the limits) HTTP 200
// with {"ok":false,"error":"rate_limited"} instead of HTTP 429 "ratelimited", as Slack does on
// some paths (slack-go: SlackErrorResponse{Err:"rate_limited"}, not RateLimitedError). The
// Retry-After header is still sent (whether Slack sends it with this form is unconfirmed; a
// client must cope without it). SetRateLimitBodyError switches it at run time.
func WithRateLimitBodyError(on bool) Option { return func(c *config) { c.rateLimitBody = on } }

// Lenient turns off the usage limits of a strict Slack: rate limits (and the enforcement of a
// running Retry-After, scripted or not), response_url use count and lifetime, the edit window,
// and redelivery of unacked envelopes after a dropped socket. Message validation (Block Kit
// limits) stays. Options after it still apply: Lenient(), WithRateLimit("chat.update", l) limits
// just chat.update. A test that needs it says so by using it.
func Lenient() Option {
	return func(c *config) {
		for m, l := range c.limits {
			l.Every, l.Burst = 0, 0 // keep PerChannel: Retry-After windows stay per channel
			c.limits[m] = l
		}
		c.retryAfterLoose = true
		c.maxResponseURLUses = 0
		c.responseURLLifetime = 0
		c.editWindow = 0
		c.redeliverUnacked = false
	}
}

// Call is one request that reached a Web API method, response_url or apps.connections.open.
type Call struct {
	Method  string
	Channel string // the channel argument, if any
	At      time.Time
	Status  int    // HTTP status answered (0 if the client went away first)
	Error   string // Slack's error ("ratelimited", "rate_limited", "not_in_channel", …); "" if ok
	// RetryAfter is the Retry-After this call was given (0 unless rate limited).
	RetryAfter time.Duration
	// DuringRetryAfter: the call arrived while a Retry-After given earlier for the same
	// channel (chat.postMessage) or method was still running — a client that honours
	// Retry-After never makes one.
	DuringRetryAfter bool
}

// LimitStats sums up the rate limiting so far.
type LimitStats struct {
	RateLimited      int // calls refused for rate (HTTP 429 or body rate_limited)
	DuringRetryAfter int // calls that arrived while a Retry-After for their channel/method ran
}

// bucket is one token bucket (per method, or per method and channel).
type bucket struct {
	tokens float64
	last   time.Time
}

// limitKey is the key of the bucket and Retry-After window of a call.
func (s *Server) limitKey(method, channel string) string {
	if s.cfg.limits[method].PerChannel {
		return method + "\x00" + channel
	}
	return method
}

// takeLocked decides whether a call at now passes method's limit; if not, it returns the
// Retry-After to give and starts that Retry-After's window. A call made while an earlier
// Retry-After is running is refused with the time left (the window is not extended): Slack
// does not promise to serve it, and refusing makes a client that ignores Retry-After visible.
func (s *Server) takeLocked(method, key string, now time.Time) time.Duration {
	if until := s.state.retryUntil[key]; now.Before(until) && !s.cfg.retryAfterLoose {
		return ceilSecond(until.Sub(now))
	}
	ra := s.bucketLocked(method, key, now)
	if ra > 0 {
		s.state.retryUntil[key] = now.Add(ra)
	}
	return ra
}

// bucketLocked takes a token from the bucket of key, or returns how long until one is there.
func (s *Server) bucketLocked(method, key string, now time.Time) time.Duration {
	l := s.cfg.limits[method]
	if l.off() {
		return 0
	}
	b, ok := s.state.buckets[key]
	if !ok {
		b = &bucket{tokens: float64(l.Burst), last: now}
		s.state.buckets[key] = b
	}
	if now.After(b.last) {
		b.tokens = math.Min(float64(l.Burst), b.tokens+float64(now.Sub(b.last))/float64(l.Every))
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	return ceilSecond(time.Duration((1 - b.tokens) * float64(l.Every)))
}

// ceilSecond rounds up to whole seconds, at least 1: Retry-After is an integer and slack-go
// parses it as one.
func ceilSecond(d time.Duration) time.Duration {
	secs := (d + time.Second - 1) / time.Second
	return max(secs, 1) * time.Second
}

// SetRateLimitBodyError switches between HTTP 429 (false) and HTTP 200 rate_limited (true).
func (s *Server) SetRateLimitBodyError(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.rateLimitBody = on
}

// CallLog returns every call so far, in arrival order.
func (s *Server) CallLog() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.state.callLog...)
}

// LimitStats counts the rate-limit answers given and the calls that ignored a Retry-After.
func (s *Server) LimitStats() LimitStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	var st LimitStats
	for _, c := range s.state.callLog {
		if c.Error == "ratelimited" || c.Error == "rate_limited" {
			st.RateLimited++
		}
		if c.DuringRetryAfter {
			st.DuringRetryAfter++
		}
	}
	return st
}
