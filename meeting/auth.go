package meeting

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/kickbot/kickbot/secret"
)

const (
	pathAppAuth     = "/v2/usg/acs/auth/appauth"
	pathAccountAuth = "/v1/usg/acs/auth/account"

	// clientTypeAPI is clientType 72, "API caller": up to 64 live tokens per
	// user, so our tokens do not log out a person's own clients.
	clientTypeAPI = 72
	// appAuthSignatureTTL is how long the appauth signature is valid; the
	// SDKs use 600 s.
	appAuthSignatureTTL = 600 * time.Second
	// accessRenewMargin: re-authenticate this long before the token's own
	// expiry (or a tenth of its lifetime, if shorter).
	accessRenewMargin = 5 * time.Minute
)

// accessState is the cached access token.
type accessState struct {
	token   secret.String
	renewAt time.Time // cfg.Now time at or after which we re-authenticate
}

// accessToken returns a valid access token, authenticating when the cache is
// empty or due for renewal. Concurrent callers share one authentication.
func (c *Client) accessToken(ctx context.Context) (secret.String, error) {
	if tok, ok := c.cachedAccess(); ok {
		c.observeCache("access", true)
		return tok, nil
	}
	c.observeCache("access", false)
	v, err := c.shared(ctx, c.authOp(), "access", func(fctx context.Context) (any, error) {
		// A flight that finished just before this one started may have
		// filled the cache already.
		if tok, ok := c.cachedAccess(); ok {
			return tok, nil
		}
		st, err := c.authenticate(fctx)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.access = st
		c.mu.Unlock()
		return st.token, nil
	})
	if err != nil {
		return secret.String{}, err
	}
	return v.(secret.String), nil
}

func (c *Client) cachedAccess() (secret.String, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.access.token.IsZero() || !c.now().Before(c.access.renewAt) {
		return secret.String{}, false
	}
	return c.access.token, true
}

// dropAccessToken forgets tok after the server refused it, unless another
// caller has already replaced it.
func (c *Client) dropAccessToken(tok secret.String) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.access.token.Reveal() == tok.Reveal() {
		c.access = accessState{}
	}
}

func (c *Client) useAppAuth() bool { return c.cfg.AppID != "" && !c.cfg.AppKey.IsZero() }

func (c *Client) authOp() string {
	if c.useAppAuth() {
		return "appauth"
	}
	return "account"
}

// authenticate obtains a new access token with App ID or account auth.
func (c *Client) authenticate(ctx context.Context) (accessState, error) {
	start := c.now()
	call := apiCall{op: "account", method: http.MethodPost, path: pathAccountAuth, prepare: c.prepareAccountAuth}
	if c.useAppAuth() {
		call = apiCall{op: "appauth", method: http.MethodPost, path: pathAppAuth, prepare: c.prepareAppAuth}
	}
	resp, err := c.do(ctx, call)
	if err != nil {
		return accessState{}, err
	}
	r, derr := decodeAuth(resp.body)
	if derr != nil {
		return accessState{}, malformed(call.op, resp, derr.Error())
	}
	return accessState{
		token:   secret.New(string(r.AccessToken)),
		renewAt: c.accessRenewAt(start, int64(r.ValidPeriod), int64(r.ExpireTime)),
	}, nil
}

// accessRenewAt decides when to re-authenticate: after AccessTokenMaxAge, or
// a margin before the token's own expiry, whichever is first. validPeriod
// (relative) is preferred to expireTime (absolute, server clock) because it
// is immune to clock skew.
func (c *Client) accessRenewAt(obtained time.Time, validPeriodS, expireTimeS int64) time.Time {
	renew := obtained.Add(c.cfg.AccessTokenMaxAge)
	var life time.Duration
	switch {
	case validPeriodS > 0:
		life = time.Duration(validPeriodS) * time.Second
	case expireTimeS > 0:
		life = time.Unix(expireTimeS, 0).Sub(obtained)
	default:
		return renew
	}
	margin := max(0, min(accessRenewMargin, life/10))
	if own := obtained.Add(life - margin); own.Before(renew) {
		return own
	}
	return renew
}

// appAuthBody is the CreateAppIdToken request body.
type appAuthBody struct {
	AppID      string `json:"appId"`
	ClientType int    `json:"clientType"`
	ExpireTime int64  `json:"expireTime"`
	Nonce      string `json:"nonce"`
	UserID     string `json:"userId,omitempty"`
}

func (c *Client) prepareAppAuth(h http.Header) ([]byte, error) {
	nonce := randomHex()
	exp := c.now().Add(appAuthSignatureTTL).Unix()
	sig := signAppAuth(c.cfg.AppKey.Reveal(), c.cfg.AppID, c.cfg.UserID, exp, nonce)
	h.Set("Authorization", appAuthHeader(sig, c.cfg.AppID))
	h.Set("X-Token-Type", "LongTicket")
	return json.Marshal(appAuthBody{
		AppID:      c.cfg.AppID,
		ClientType: clientTypeAPI,
		ExpireTime: exp,
		Nonce:      nonce,
		UserID:     c.cfg.UserID,
	})
}

// signAppAuth is hex(HMAC-SHA256(appKey, appId:userId:expireTime:nonce)) in
// lowercase, as the 2025 docs' samples show.
func signAppAuth(appKey, appID, userID string, expireTime int64, nonce string) string {
	m := hmac.New(sha256.New, []byte(appKey))
	m.Write([]byte(appID + ":" + userID + ":" + strconv.FormatInt(expireTime, 10) + ":" + nonce))
	return hex.EncodeToString(m.Sum(nil))
}

func appAuthHeader(signature, appID string) string {
	return "HMAC-SHA256 signature=" + signature + ",access=" + base64.StdEncoding.EncodeToString([]byte(appID))
}

type accountAuthBody struct {
	Account    string `json:"account"`
	ClientType int    `json:"clientType"`
}

func (c *Client) prepareAccountAuth(h http.Header) ([]byte, error) {
	cred := c.cfg.Account + ":" + c.cfg.Password.Reveal()
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(cred)))
	return json.Marshal(accountAuthBody{Account: c.cfg.Account, ClientType: clientTypeAPI})
}
