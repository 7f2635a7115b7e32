package redisstate

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/kickbot/kickbot/state"
)

// DefaultPrefix namespaces every key (KICK_REDIS_PREFIX), so two kickbot
// apps can share a server.
const DefaultPrefix = "kickbot:"

const (
	// defaultOpTimeout bounds one store call. Every use is on a user's
	// path (a click, a kick), so a dead Redis must turn into "state store
	// unavailable" within about a second, not hang the worker.
	defaultOpTimeout = time.Second
	// defaultDialTimeout: a loopback or in-cluster Redis connects in
	// milliseconds; longer means it is not there.
	defaultDialTimeout = 500 * time.Millisecond
)

// The sentinel errors are package state's; these names are for callers
// that only see this package.
var (
	ErrUnavailable = state.ErrUnavailable
	ErrNotFound    = state.ErrNotFound
	ErrConflict    = state.ErrConflict
	ErrLeaseLost   = state.ErrLeaseLost
	ErrNoResult    = state.ErrNoResult
	ErrTooLarge    = state.ErrTooLarge
)

// unavailableError carries Redis's own error for the log; it matches
// ErrUnavailable.
type unavailableError struct {
	op  string
	err error
}

func (e *unavailableError) Error() string {
	return "redis " + e.op + ": " + ErrUnavailable.Error() + ": " + e.err.Error()
}
func (e *unavailableError) Unwrap() error        { return e.err }
func (e *unavailableError) Is(target error) bool { return target == ErrUnavailable }

// Store is a connection to Redis with a key prefix. It is safe for
// concurrent use; Close it when done.
type Store struct {
	rdb       *redis.Client
	prefix    string
	opTimeout time.Duration
	now       func() time.Time
}

// Option configures Open.
type Option func(*config)

type config struct {
	rootCAs     *x509.CertPool
	prefix      string
	opTimeout   time.Duration
	dialTimeout time.Duration
	now         func() time.Time
}

// WithPrefix sets the key prefix (default DefaultPrefix). An empty prefix
// keeps the default: kickbot's keys are always namespaced.
func WithPrefix(p string) Option {
	return func(c *config) {
		if p != "" {
			c.prefix = p
		}
	}
}

// WithOpTimeout bounds each store call (default 1s).
func WithOpTimeout(d time.Duration) Option { return func(c *config) { c.opTimeout = d } }

// WithDialTimeout bounds connecting to Redis (default 500ms).
func WithDialTimeout(d time.Duration) Option { return func(c *config) { c.dialTimeout = d } }

// WithRootCAs sets the certificates a rediss:// server's is checked
// against, for a private CA (default: the system's).
func WithRootCAs(pool *x509.CertPool) Option { return func(c *config) { c.rootCAs = pool } }

// WithClock sets the clock used for times the caller gives as absolute
// (token expiry). Rate limits use Redis's own clock, shared by every
// replica.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// Open connects to the Redis rawURL names (redis:// or rediss://, with
// user, password, database and TLS as redis.ParseURL reads them). It does
// not wait for Redis: Ping says whether it answers.
func Open(rawURL string, opts ...Option) (*Store, error) {
	cfg := config{prefix: DefaultPrefix, opTimeout: defaultOpTimeout, dialTimeout: defaultDialTimeout, now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	o, err := redis.ParseURL(rawURL)
	if err != nil {
		// ParseURL's error may quote the URL, password and all.
		return nil, fmt.Errorf("REDIS_URL: %s", redact(err.Error(), rawURL))
	}
	if o.TLSConfig != nil && cfg.rootCAs != nil {
		o.TLSConfig.RootCAs = cfg.rootCAs
	}
	o.DialTimeout = cfg.dialTimeout
	o.ReadTimeout = cfg.opTimeout
	o.WriteTimeout = cfg.opTimeout
	o.PoolTimeout = cfg.opTimeout
	// Each call's context deadline reaches the socket, so a call never
	// outlives its caller's budget.
	o.ContextTimeoutEnabled = true
	// No retries: a call is already bounded by opTimeout, and a retried
	// script whose first reply was lost would act twice (take a timer,
	// spend a budget). The caller sees ErrUnavailable and fails closed.
	o.MaxRetries = -1
	o.DialerRetries = 1
	// RESP2 and no maintenance notifications: plain request/response, no
	// background push handling this package would have to own.
	o.Protocol = 2
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	o.DisableIdentity = true
	return &Store{rdb: redis.NewClient(o), prefix: cfg.prefix, opTimeout: cfg.opTimeout, now: cfg.now}, nil
}

// redact removes rawURL's password (and the URL itself) from msg.
func redact(msg, rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			msg = strings.ReplaceAll(msg, p, "xxxxx")
		}
	}
	if rawURL != "" {
		msg = strings.ReplaceAll(msg, rawURL, "<REDIS_URL>")
	}
	return msg
}

// Close closes the connections.
func (s *Store) Close() error { return s.rdb.Close() }

// Prefix is the store's key prefix.
func (s *Store) Prefix() string { return s.prefix }

// Ping checks that Redis answers, for /readyz. Its error matches
// ErrUnavailable.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	return s.wrap("ping", s.rdb.Ping(ctx).Err())
}

// Name is how /readyz names this dependency.
func (s *Store) Name() string { return "redis" }

// op bounds one call.
func (s *Store) op(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.opTimeout)
}

// key builds a namespaced key.
func (s *Store) key(parts ...string) string {
	return s.prefix + strings.Join(parts, ":")
}

// wrap turns a Redis failure into an error matching ErrUnavailable;
// redis.Nil (no such key) is not a failure, nor is the caller's own
// cancellation: both are returned as they are.
func (s *Store) wrap(op string, err error) error {
	if err == nil || errors.Is(err, redis.Nil) || errors.Is(err, context.Canceled) {
		return err
	}
	return &unavailableError{op: op, err: err}
}

// newToken is a random owner token: 32 hex characters.
func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// tokenLen is the length of newToken's tokens; values that carry a token
// start with it.
const tokenLen = 32

// ms rounds d up to whole milliseconds, at least 1: PX 0 is an error.
func ms(d time.Duration) int64 {
	m := (d + time.Millisecond - 1) / time.Millisecond
	return max(int64(m), 1)
}

// backoff is the polling schedule of a waiter: quick at first (most waits
// are one disconnect call), then at most a few times a second.
type backoff struct{ d time.Duration }

func (b *backoff) wait(ctx context.Context) error {
	b.d = min(max(2*b.d, 5*time.Millisecond), 200*time.Millisecond)
	return state.Sleep(ctx, b.d)
}
