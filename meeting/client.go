package meeting

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/singleflight"

	"github.com/kickbot/kickbot/secret"
)

// Defaults applied by New to zero Config fields.
const (
	defaultHTTPTimeout             = 10 * time.Second
	defaultMaxRetries              = 3
	defaultRetryBaseDelay          = 100 * time.Millisecond
	defaultRetryMaxDelay           = 2 * time.Second
	defaultControlTokenRenewBefore = 5 * time.Minute
	// The official SDKs re-authenticate after 10 h although tokens live 12–24 h.
	defaultAccessTokenMaxAge = 10 * time.Hour
)

// Config configures a Client. Secrets are secret.String so that printing a
// Config (%v, %+v, %#v, JSON) never shows them.
type Config struct {
	BaseURL string // required: MEETING_API_URL (configuration holds the default)

	// App ID authentication (preferred). UserID is whom the token acts as: use
	// the user who schedules the meetings, or the host password stays hidden.
	AppID, UserID string
	AppKey        secret.String

	// Account authentication (alternative).
	Account  string
	Password secret.String

	HTTPClient *http.Client     // default: own client (Timeout, pooled connections, no redirects)
	Timeout    time.Duration    // per HTTP attempt of the default client; default 10 s
	Now        func() time.Time // default time.Now

	MaxPerHangUp int // ids per hang-up call; 0 = one bulk call for any number

	MaxRetries                    int           // retries after the first try for 5xx/429/network; default 3, negative = none
	RetryBaseDelay, RetryMaxDelay time.Duration // default 100 ms / 2 s, jittered exponential

	ControlTokenRenewBefore time.Duration // default 5 m: renew when less than this is left
	AccessTokenMaxAge       time.Duration // default 10 h: re-authenticate after this

	Observer Observer       // optional metrics hooks; nil = none
	Logger   zerolog.Logger // zero value = disabled
}

// Observer receives metrics events. Implementations must be safe for
// concurrent use and fast: they run on the request path.
type Observer interface {
	// APICall reports one HTTP attempt; endpoint is the meetingtest name
	// ("appauth", "account", "confDetail", "token", "realTimeInfo", "hangup",
	// "lock", "moveToWaitingRoom", "batchMoveToWaitingRoom",
	// "allowWaitingParticipant", …),
	// status 0 means no response arrived.
	APICall(endpoint string, status int, d time.Duration)
	// TokenCache reports a cache look-up; token is "access" or "control".
	TokenCache(token string, hit bool)
}

// Client talks to the Huawei Cloud Meeting API. It is safe for concurrent use;
// create one per process and share it, so the token caches are shared too.
type Client struct {
	cfg    Config
	base   string
	hc     *http.Client
	ownHC  bool
	log    zerolog.Logger
	flight singleflight.Group

	// sleep waits between retries; tests replace it to record waits.
	sleep func(ctx context.Context, d time.Duration) error

	mu     sync.Mutex
	access accessState
	confs  map[string]*confEntry

	// tokens is the shared control-token cache (WithControlTokenCache);
	// nil: the in-process cache in confs. owner names this Client in its
	// renew lock.
	tokens TokenCache
	owner  string

	// bulkMoveMissing: batchMoveToWaitingRoom answered 404 APIGW.0101, so
	// moves go one pid per call for the life of the Client (keepout.go).
	bulkMoveMissing atomic.Bool
}

// New checks cfg, fills in defaults, applies opts and returns a Client. No
// network call is made; use Check for that.
func New(cfg Config, opts ...Option) (*Client, error) {
	appAuth := cfg.AppID != "" && !cfg.AppKey.IsZero()
	accountAuth := cfg.Account != "" && !cfg.Password.IsZero()
	if !appAuth && !accountAuth {
		return nil, errors.New("meeting: set AppID and AppKey, or Account and Password")
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	if !strings.HasPrefix(base, "https://") && !strings.HasPrefix(base, "http://") {
		return nil, errors.New("meeting: BaseURL must start with https:// or http://")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = defaultMaxRetries
	} else if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.RetryBaseDelay <= 0 {
		cfg.RetryBaseDelay = defaultRetryBaseDelay
	}
	if cfg.RetryMaxDelay <= 0 {
		cfg.RetryMaxDelay = defaultRetryMaxDelay
	}
	if cfg.RetryMaxDelay < cfg.RetryBaseDelay {
		cfg.RetryMaxDelay = cfg.RetryBaseDelay
	}
	if cfg.ControlTokenRenewBefore <= 0 {
		cfg.ControlTokenRenewBefore = defaultControlTokenRenewBefore
	}
	if cfg.AccessTokenMaxAge <= 0 {
		cfg.AccessTokenMaxAge = defaultAccessTokenMaxAge
	}
	if cfg.MaxPerHangUp < 0 {
		cfg.MaxPerHangUp = 0
	}
	c := &Client{
		cfg:   cfg,
		base:  base,
		hc:    cfg.HTTPClient,
		log:   cfg.Logger,
		sleep: sleepCtx,
		confs: make(map[string]*confEntry),
	}
	if c.hc == nil {
		c.hc = newHTTPClient(cfg.Timeout)
		c.ownHC = true
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// newHTTPClient is the default client. Redirects are refused: they would carry
// the X-Access-Token / X-Conference-Authorization headers to another host, and
// the API never redirects.
func newHTTPClient(timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = defaultHTTPTimeout
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// Kicks come in bursts against one host; the default of 2 idle conns per
	// host would make most of a burst open new TLS connections.
	tr.MaxIdleConnsPerHost = 16
	return &http.Client{
		Timeout:   timeout,
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// CloseIdleConnections closes idle keep-alive connections of the HTTP client.
// Optional; useful at shutdown and in tests that check for leaked goroutines.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// Check reports whether an access token can be obtained (a cached one counts).
// It is meant for readiness probes.
func (c *Client) Check(ctx context.Context) error {
	_, err := c.accessToken(ctx)
	return err
}

// String describes the client without any credential.
func (c *Client) String() string {
	return "meeting.Client{" + c.base + ", " + c.authMethod() + "}"
}

// GoString keeps %#v as safe as %v.
func (c *Client) GoString() string { return c.String() }

func (c *Client) authMethod() string {
	if c.useAppAuth() {
		return "app id " + c.cfg.AppID
	}
	return "account " + c.cfg.Account
}

func (c *Client) now() time.Time { return c.cfg.Now() }

func (c *Client) observeCall(endpoint string, status int, d time.Duration) {
	if c.cfg.Observer != nil {
		c.cfg.Observer.APICall(endpoint, status, d)
	}
}

func (c *Client) observeCache(token string, hit bool) {
	if c.cfg.Observer != nil {
		c.cfg.Observer.TokenCache(token, hit)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
