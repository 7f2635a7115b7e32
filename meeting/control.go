package meeting

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/kickbot/kickbot/secret"
)

const (
	pathConfDetail   = "/v1/mmc/management/conferences/confDetail"
	pathControlToken = "/v1/mmc/control/conferences/token"

	// defaultControlTokenLife is the documented 30 min, used when a reply
	// gives neither confTokenExpireTime nor expireTime.
	defaultControlTokenLife = 30 * time.Minute
	// maxConfEntries triggers a sweep of expired per-conference entries, so a
	// stream of different conference IDs cannot grow the cache without bound.
	maxConfEntries = 256
)

// confEntry is what we cache per conference: the host password and subject
// from confDetail, and the control token obtained with that password.
type confEntry struct {
	password secret.String
	subject  string
	token    secret.String
	expires  time.Time // cfg.Now time when the token stops working
	wsURL    string    // data.wsURL of the last control token reply ("" if none)
}

// control is a usable control token and the conference's subject.
type control struct {
	token   secret.String
	subject string
	shared  secret.String // the TokenCache value it came from (zero without one)
}

// controlToken returns a control token for conf with at least
// ControlTokenRenewBefore left, renewing (keep-alive) or issuing one as
// needed. Concurrent callers for the same conference share one fetch.
func (c *Client) controlToken(ctx context.Context, conf string) (control, error) {
	if c.tokens != nil {
		return c.sharedControlToken(ctx, conf)
	}
	if ct, ok := c.cachedControl(conf); ok {
		c.observeCache("control", true)
		return ct, nil
	}
	c.observeCache("control", false)
	v, err := c.shared(ctx, "token", "control\x00"+conf, func(fctx context.Context) (any, error) {
		return c.fetchControl(fctx, conf)
	})
	if err != nil {
		return control{}, err
	}
	return v.(control), nil
}

func (c *Client) cachedControl(conf string) (control, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.confs[conf]
	if e == nil || e.token.IsZero() || e.expires.Sub(c.now()) < c.cfg.ControlTokenRenewBefore {
		return control{}, false
	}
	return control{token: e.token, subject: e.subject}, true
}

// snapshot copies conf's entry (zero if none).
func (c *Client) snapshot(conf string) confEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.confs[conf]; e != nil {
		return *e
	}
	return confEntry{}
}

func (c *Client) fetchControl(ctx context.Context, conf string) (control, error) {
	if ct, ok := c.cachedControl(conf); ok {
		return ct, nil // renewed by a flight that just finished
	}
	e := c.snapshot(conf)
	if !e.token.IsZero() && c.now().Before(e.expires) {
		ct, err := c.keepAlive(ctx, conf, e)
		if err == nil {
			return ct, nil
		}
		if ctx.Err() != nil {
			return control{}, err
		}
		c.log.Debug().Str("conference", conf).Str("kind", KindOf(err).String()).
			Msg("control token keep-alive failed; issuing a new one")
	}
	c.dropControlToken(conf, e.token)
	return c.issueControl(ctx, conf)
}

// keepAlive extends the current token by presenting it; the host password is
// sent too, so that a token the server has already dropped is replaced in
// the same call.
func (c *Client) keepAlive(ctx context.Context, conf string, e confEntry) (control, error) {
	tok, exp, err := c.requestControlToken(ctx, conf, e.password, e.token)
	if err != nil {
		return control{}, err
	}
	return c.storeControl(conf, tok, exp), nil
}

// issueControl gets a new token with the host password and caches it.
func (c *Client) issueControl(ctx context.Context, conf string) (control, error) {
	tok, exp, err := c.issueToken(ctx, conf)
	if err != nil {
		return control{}, err
	}
	return c.storeControl(conf, tok, exp), nil
}

// issueToken gets a new token with the host password, looking the password
// up first if it is not cached. A cached password the server refuses may have
// been changed by the host: it is looked up once more.
func (c *Client) issueToken(ctx context.Context, conf string) (secret.String, time.Time, error) {
	e := c.snapshot(conf)
	cachedPassword := !e.password.IsZero()
	if !cachedPassword {
		d, err := c.hostPassword(ctx, conf)
		if err != nil {
			return secret.String{}, time.Time{}, err
		}
		e.password = d
	}
	tok, exp, err := c.requestControlToken(ctx, conf, e.password, secret.String{})
	if err != nil && cachedPassword && KindOf(err) == KindConferenceNotFound {
		c.forgetConference(conf)
		d, derr := c.hostPassword(ctx, conf)
		if derr != nil {
			return secret.String{}, time.Time{}, derr
		}
		tok, exp, err = c.requestControlToken(ctx, conf, d, secret.String{})
	}
	if err != nil {
		if k := KindOf(err); k == KindNotRunning || k == KindConferenceNotFound || k == KindMeetingEnded {
			c.forgetConference(conf)
		}
		return secret.String{}, time.Time{}, err
	}
	return tok, exp, nil
}

// requestControlToken calls CreateConfToken: with the host password to issue
// a token, plus the current token to keep it alive.
func (c *Client) requestControlToken(ctx context.Context, conf string, password, current secret.String) (secret.String, time.Time, error) {
	start := c.now()
	resp, err := c.do(ctx, apiCall{
		op:     "token",
		method: http.MethodGet,
		path:   pathControlToken,
		conf:   conf,
		prepare: func(h http.Header) ([]byte, error) {
			h.Set("X-Login-Type", "1")
			if !password.IsZero() {
				h.Set("X-Password", password.Reveal())
			}
			if !current.IsZero() {
				h.Set("X-Conference-Authorization", current.Reveal())
			}
			return nil, nil
		},
	})
	if err != nil {
		return secret.String{}, time.Time{}, err
	}
	r, derr := decodeControlToken(resp.body)
	if derr != nil {
		return secret.String{}, time.Time{}, malformed("token", resp, derr.Error())
	}
	c.rememberWSURL(conf, r.WsURL)
	// Prefer the relative lifetime: it is immune to skew between our clock
	// and Huawei's.
	var exp time.Time
	switch {
	case r.LifetimeS > 0:
		exp = start.Add(time.Duration(r.LifetimeS) * time.Second)
	case r.ExpireMS > 0:
		exp = time.UnixMilli(r.ExpireMS)
	default:
		exp = start.Add(defaultControlTokenLife)
	}
	return secret.New(r.Token), exp, nil
}

// hostPassword reads the chair password (and subject) from confDetail and
// caches both. A 401 drops the access token and retries once with a new one.
func (c *Client) hostPassword(ctx context.Context, conf string) (secret.String, error) {
	var resp *apiResponse
	for attempt := 0; ; attempt++ {
		tok, err := c.accessToken(ctx)
		if err != nil {
			return secret.String{}, err
		}
		resp, err = c.do(ctx, apiCall{
			op:     "confDetail",
			method: http.MethodGet,
			path:   pathConfDetail,
			conf:   conf,
			prepare: func(h http.Header) ([]byte, error) {
				h.Set("X-Access-Token", tok.Reveal())
				return nil, nil
			},
		})
		if err == nil {
			break
		}
		if k := KindOf(err); (k == KindUnauthorized || k == KindForbidden) && attempt == 0 {
			c.dropAccessToken(tok)
			continue
		}
		return secret.String{}, err
	}
	d, derr := decodeConfDetail(resp.body)
	if derr != nil {
		return secret.String{}, malformed("confDetail", resp, derr.Error())
	}
	switch {
	case strings.EqualFold(d.State, "Schedule"):
		return secret.String{}, &Error{Kind: KindNotRunning, Op: "confDetail", Status: resp.status,
			Message: "meeting has not started", RequestID: resp.requestID}
	case strings.EqualFold(d.State, "Destroyed"):
		return secret.String{}, &Error{Kind: KindMeetingEnded, Op: "confDetail", Status: resp.status,
			Message: "meeting has ended", RequestID: resp.requestID}
	case d.ChairPassword == "":
		return secret.String{}, &Error{Kind: KindForbidden, Op: "confDetail", Status: resp.status,
			Message:   "the host password is not visible to the authenticated user; authenticate as the user who scheduled the meeting",
			RequestID: resp.requestID}
	}
	pw := secret.New(d.ChairPassword)
	c.mu.Lock()
	e := c.entryLocked(conf)
	e.password, e.subject = pw, d.Subject
	c.mu.Unlock()
	return pw, nil
}

// entryLocked returns conf's entry, creating it (and sweeping stale entries
// when the cache is large). c.mu must be held.
func (c *Client) entryLocked(conf string) *confEntry {
	if e := c.confs[conf]; e != nil {
		return e
	}
	if len(c.confs) >= maxConfEntries {
		now := c.now()
		for k, e := range c.confs {
			if e.token.IsZero() || !now.Before(e.expires) {
				delete(c.confs, k)
			}
		}
	}
	e := &confEntry{}
	c.confs[conf] = e
	return e
}

func (c *Client) storeControl(conf string, tok secret.String, exp time.Time) control {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entryLocked(conf)
	e.token, e.expires = tok, exp
	return control{token: tok, subject: e.subject}
}

// dropControlToken forgets tok for conf (keeping the host password), unless
// another caller has already replaced it.
func (c *Client) dropControlToken(conf string, tok secret.String) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.confs[conf]; e != nil && e.token.Reveal() == tok.Reveal() {
		e.token, e.expires = secret.String{}, time.Time{}
	}
}

// forgetConference drops everything cached for conf: it ended, or its
// password no longer works.
func (c *Client) forgetConference(conf string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.confs, conf)
}

// controlCall sends a control API request with conf's control token. Huawei
// does not document how an expired, unknown or foreign control token is
// refused (docs/meeting-api.md §14e), so every auth-shaped answer — 401, 403, and
// the 4xx auth codes classify maps to Unauthorized, Forbidden or
// ConferenceNotFound — gets one retry with a fresh token. A refused request
// was not applied, so repeating a hang-up is safe.
func (c *Client) controlCall(ctx context.Context, conf string, call apiCall, body []byte) (*apiResponse, control, error) {
	for attempt := 0; ; attempt++ {
		ct, err := c.controlToken(ctx, conf)
		if err != nil {
			return nil, control{}, err
		}
		tok := ct.token
		call.conf = conf
		call.prepare = func(h http.Header) ([]byte, error) {
			h.Set("X-Conference-Authorization", tok.Reveal())
			return body, nil
		}
		resp, err := c.do(ctx, call)
		if err == nil {
			return resp, ct, nil
		}
		k := KindOf(err)
		if attempt == 0 && authShaped(k) {
			if k == KindConferenceNotFound {
				// CONF_NOT_FOUND_OR_AUTH_FAILED and the password codes may
				// mean the host password changed: look it up again too.
				c.forgetConference(conf)
			} else {
				c.dropControlToken(conf, tok)
			}
			if derr := c.dropShared(ctx, conf, ct); derr != nil {
				return nil, control{}, derr
			}
			continue
		}
		if k == KindNotRunning || k == KindConferenceNotFound || k == KindMeetingEnded {
			c.forgetConference(conf)
			_ = c.dropShared(ctx, conf, ct) // best effort: the token dies with the meeting anyway
		}
		return nil, control{}, err
	}
}

// authShaped says whether a control call's failure may be our token's fault.
func authShaped(k Kind) bool {
	return k == KindUnauthorized || k == KindForbidden || k == KindConferenceNotFound
}
