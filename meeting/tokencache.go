package meeting

import (
	"context"
	"errors"
	"strings"

	"github.com/kickbot/kickbot/secret"
	"github.com/kickbot/kickbot/state"
)

// TokenCache is a control-token cache shared by several Clients (one per
// replica): one token per meeting for the whole deployment, renewed by one
// Client at a time. redisstate's and memstate's Tokens satisfy it.
//
// Errors matching state.ErrUnavailable mean the cache did not answer: the
// Client then fails closed with KindStateUnavailable and sends nothing.
type TokenCache interface {
	// Get returns conf's cached token (ok false when none).
	Get(ctx context.Context, conf string) (tok state.Token, ok bool, err error)
	// Drop forgets conf's token if it still is value (the server refused
	// it), leaving a newer one alone.
	Drop(ctx context.Context, conf, value string) error
	// Renew returns conf's token if fresh accepts it, or else gets one with
	// fetch (given the current token, zero when none, to keep alive) on one
	// caller of the whole deployment at a time and caches it; the others
	// wait for that token. owner names the caller in the renew lock.
	Renew(ctx context.Context, conf, owner string, fresh func(state.Token) bool,
		fetch func(ctx context.Context, current state.Token) (state.Token, error)) (state.Token, error)
}

// Option configures New.
type Option func(*Client)

// WithControlTokenCache makes the Client keep its meeting control tokens in
// tc, shared with the other replicas that use the same cache, instead of in
// its own memory: a replica uses the token another fetched, one replica at a
// time renews it, and a token the server refuses is dropped for everyone. The
// host password stays in each Client's memory. When tc does not answer, a
// control call (a kick, a roster read) fails with KindStateUnavailable
// without being sent.
//
// The cached value is the token, the conference WebSocket URL and the
// meeting's subject (the token is the only secret; it expires within 30
// minutes, and so does its entry). A nil tc keeps the in-process cache.
func WithControlTokenCache(tc TokenCache) Option {
	return func(c *Client) {
		c.tokens = tc
		if c.owner == "" {
			c.owner = randomHex()
		}
	}
}

// opTokenCache is the Op of a KindStateUnavailable error.
const opTokenCache = "control_token_cache"

// sharedControlToken is controlToken with a TokenCache: every call reads
// the shared token (a replica never acts on a token only it remembers, and
// fails closed when the cache is down); a missing or stale one is renewed
// through the cache, with one renewal in flight per Client (singleflight)
// and one per deployment (the cache's lock).
func (c *Client) sharedControlToken(ctx context.Context, conf string) (control, error) {
	tok, ok, err := c.tokens.Get(ctx, conf)
	if err != nil {
		return control{}, c.cacheError(ctx, err)
	}
	if ok && c.freshShared(tok) {
		c.observeCache("control", true)
		return c.useShared(conf, tok), nil
	}
	c.observeCache("control", false)
	v, err := c.shared(ctx, "token", "control\x00"+conf, func(fctx context.Context) (any, error) {
		t, err := c.tokens.Renew(fctx, conf, c.owner, c.freshShared,
			func(rctx context.Context, cur state.Token) (state.Token, error) {
				return c.fetchShared(rctx, conf, cur)
			})
		if err != nil {
			return nil, c.cacheError(fctx, err)
		}
		return c.useShared(conf, t), nil
	})
	if err != nil {
		return control{}, err
	}
	return v.(control), nil
}

// freshShared says whether a cached token has at least
// ControlTokenRenewBefore left.
func (c *Client) freshShared(t state.Token) bool {
	tok, _, _ := decodeShared(t.Value)
	return tok != "" && t.Expires.Sub(c.now()) >= c.cfg.ControlTokenRenewBefore
}

// fetchShared gets conf's next token for the cache: a keep-alive of cur
// while it still works, else a new one with this Client's host password.
func (c *Client) fetchShared(ctx context.Context, conf string, cur state.Token) (state.Token, error) {
	curTok, wsURL, subject := decodeShared(cur.Value)
	var (
		tok secret.String
		exp = cur.Expires
		err error
	)
	if curTok != "" && c.now().Before(cur.Expires) {
		// The password is sent when this Client knows it, so a token the
		// server has already dropped is replaced in the same call.
		tok, exp, err = c.requestControlToken(ctx, conf, c.snapshot(conf).password, secret.New(curTok))
		if err != nil {
			if ctx.Err() != nil {
				return state.Token{}, err
			}
			c.log.Debug().Str("conference", conf).Str("kind", KindOf(err).String()).
				Msg("shared control token keep-alive failed; issuing a new one")
		}
	}
	if tok.IsZero() {
		if tok, exp, err = c.issueToken(ctx, conf); err != nil {
			return state.Token{}, err
		}
	}
	// The reply's wsURL and this Client's subject (from its confDetail
	// read) are the newest; the cached ones are kept when this Client has
	// none.
	e := c.snapshot(conf)
	if e.wsURL != "" {
		wsURL = e.wsURL
	}
	if e.subject != "" {
		subject = e.subject
	}
	return state.Token{Value: encodeShared(tok.Reveal(), wsURL, subject), Expires: exp}, nil
}

// useShared turns a cached token into a control, keeping its WebSocket URL
// and subject where this Client's watch and roster read them.
func (c *Client) useShared(conf string, t state.Token) control {
	tok, wsURL, subject := decodeShared(t.Value)
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entryLocked(conf)
	if wsURL != "" {
		e.wsURL = wsURL
	}
	if subject != "" {
		e.subject = subject
	}
	return control{token: secret.New(tok), subject: e.subject, shared: secret.New(t.Value)}
}

// dropShared forgets ct's token in the cache after the server refused it,
// unless another replica has replaced it already.
func (c *Client) dropShared(ctx context.Context, conf string, ct control) error {
	if c.tokens == nil || ct.shared.IsZero() {
		return nil
	}
	if err := c.tokens.Drop(ctx, conf, ct.shared.Reveal()); err != nil {
		return c.cacheError(ctx, err)
	}
	return nil
}

// cacheError classifies what the cache (or a fetch through it) returned.
// The cache's own errors carry no token: the backends never put a value in
// an error.
func (c *Client) cacheError(ctx context.Context, err error) error {
	var me *Error
	switch {
	case errors.As(err, &me):
		return err // the fetch's, from the meeting API
	case errors.Is(err, state.ErrUnavailable):
		return &Error{Kind: KindStateUnavailable, Op: opTokenCache, Err: err}
	case ctx.Err() != nil:
		return canceledError(ctx, "token", err)
	}
	return &Error{Kind: KindUnknown, Op: opTokenCache, Err: err}
}

// The cached value is the token, the WebSocket URL and the subject, in that
// order, separated by newlines (which neither a token nor a URL holds; a
// subject may, so it comes last). A value without a newline is a bare token.
func encodeShared(tok, wsURL, subject string) string {
	if strings.ContainsAny(wsURL, "\r\n") {
		wsURL = ""
	}
	return tok + "\n" + wsURL + "\n" + subject
}

func decodeShared(v string) (tok, wsURL, subject string) {
	tok, rest, ok := strings.Cut(v, "\n")
	if !ok {
		return v, "", ""
	}
	wsURL, subject, _ = strings.Cut(rest, "\n")
	return tok, wsURL, subject
}
