package meeting

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"time"

	"github.com/cenkalti/backoff/v5"
)

const (
	// maxResponseBody bounds what we read from one reply. A 3,000-person
	// realTimeInfo is well under 2 MB.
	maxResponseBody = 16 << 20
	// maxRetryAfterWait is the longest Retry-After we sleep through. Longer
	// waits are returned to the caller as KindRateLimited with RetryAfter set:
	// a moderator in Slack is better told "try again later" than kept waiting.
	maxRetryAfterWait = 30 * time.Second
)

// apiCall is one logical API request; do sends it, retrying when that is safe.
type apiCall struct {
	op     string // endpoint name, as meetingtest names it
	method string
	path   string
	conf   string // conferenceID query parameter; "" = none
	// prepare sets the per-call headers (auth) and returns the body (nil =
	// none). It runs for every attempt, so appauth signs a fresh nonce each
	// time. nil = no headers, no body.
	prepare func(h http.Header) ([]byte, error)
}

// apiResponse is a 2xx reply.
type apiResponse struct {
	status    int
	body      []byte
	requestID string
}

// do sends call, retrying 5xx, 429 and network failures with jittered
// exponential backoff (or the server's Retry-After), at most cfg.MaxRetries
// times and never past ctx's deadline. Every failure is an *Error.
func (c *Client) do(ctx context.Context, call apiCall) (*apiResponse, error) {
	u := c.base + call.path
	if call.conf != "" {
		u += "?conferenceID=" + url.QueryEscape(call.conf)
	}
	bo := backoff.ExponentialBackOff{
		InitialInterval:     c.cfg.RetryBaseDelay,
		RandomizationFactor: 0.5,
		Multiplier:          2,
		MaxInterval:         c.cfg.RetryMaxDelay,
	}
	bo.Reset()
	for attempt := 0; ; attempt++ {
		resp, err := c.attempt(ctx, call, u, attempt)
		if err == nil {
			return resp, nil
		}
		if !retryable(err.Kind) || attempt >= c.cfg.MaxRetries {
			return nil, err
		}
		wait := min(bo.NextBackOff(), c.cfg.RetryMaxDelay)
		if err.Kind == KindRateLimited && err.RetryAfter == 0 {
			// Throttled without a Retry-After (APIG.0308, 100000429): the
			// gateway counts per second, so a retry 100 ms later is
			// throttled again. Wait a jittered quarter to three quarters of
			// RetryMaxDelay at least, so replicas do not retry in step.
			wait = max(wait, throttleWait(c.cfg.RetryMaxDelay))
		}
		if err.RetryAfter > 0 {
			if err.RetryAfter > maxRetryAfterWait {
				return nil, err
			}
			wait = err.RetryAfter
		}
		// ctx deadlines are wall clock, whatever cfg.Now says.
		if dl, ok := ctx.Deadline(); ok && time.Now().Add(wait).After(dl) {
			// Sleeping would outlive the caller: report the failure now.
			return nil, err
		}
		c.log.Debug().Str("endpoint", call.op).Str("kind", err.Kind.String()).
			Int("attempt", attempt+1).Dur("wait", wait).Msg("meeting api retry")
		if serr := c.sleep(ctx, wait); serr != nil {
			return nil, canceledError(ctx, call.op, serr)
		}
	}
}

// throttleWait is a random wait in [max/4, 3·max/4).
func throttleWait(maxDelay time.Duration) time.Duration {
	half := maxDelay / 2
	if half <= 0 {
		return maxDelay
	}
	return half/2 + mrand.N(half)
}

// retryable says which failures are worth the same request again. HangUp is
// retried too: disconnecting a pid that is already gone is harmless (lenient
// mode ignores it, and Disconnect re-reads the roster to say who is gone), so a
// retry after a 5xx or lost reply where the server may have acted is safe.
func retryable(k Kind) bool {
	return k == KindServer || k == KindNetwork || k == KindRateLimited
}

func (c *Client) attempt(ctx context.Context, call apiCall, u string, attempt int) (*apiResponse, *Error) {
	if err := ctx.Err(); err != nil {
		return nil, canceledError(ctx, call.op, err)
	}
	h := make(http.Header, 4)
	var body io.Reader
	if call.prepare != nil {
		b, err := call.prepare(h)
		if err != nil {
			return nil, &Error{Kind: KindUnknown, Op: call.op, Err: err}
		}
		if b != nil {
			body = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequestWithContext(ctx, call.method, u, body)
	if err != nil {
		return nil, &Error{Kind: KindBadRequest, Op: call.op, Err: errors.New("building request failed")}
	}
	ourID := randomHex()
	req.Header.Set("X-Request-ID", ourID)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	}
	for k, v := range h {
		req.Header[k] = v
	}

	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		d := time.Since(start)
		c.observeCall(call.op, 0, d)
		e := transportError(ctx, call.op, err)
		e.RequestID = ourID
		c.log.Debug().Str("endpoint", call.op).Str("conference", call.conf).Int("status", 0).
			Dur("duration", d).Str("request_id", ourID).Int("attempt", attempt+1).
			Str("kind", e.Kind.String()).Msg("meeting api call")
		return nil, e
	}
	data, rerr := readBody(resp)
	_ = resp.Body.Close()
	d := time.Since(start)
	c.observeCall(call.op, resp.StatusCode, d)
	reqID := resp.Header.Get("X-Request-ID")
	if reqID == "" {
		reqID = ourID
	}
	c.log.Debug().Str("endpoint", call.op).Str("conference", call.conf).Int("status", resp.StatusCode).
		Dur("duration", d).Str("request_id", reqID).Int("attempt", attempt+1).Msg("meeting api call")

	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if rerr != nil {
			e := transportError(ctx, call.op, rerr)
			e.Status, e.RequestID = resp.StatusCode, reqID
			return nil, e
		}
		return &apiResponse{status: resp.StatusCode, body: data, requestID: reqID}, nil
	}
	code, msg := decodeError(data)
	e := &Error{
		Kind:      classify(resp.StatusCode, code, msg),
		Op:        call.op,
		Status:    resp.StatusCode,
		Code:      code,
		Message:   msg,
		RequestID: reqID,
	}
	if e.Kind == KindRateLimited || resp.StatusCode == http.StatusServiceUnavailable {
		e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return nil, e
}

// transportError classifies a failure without an HTTP status.
func transportError(ctx context.Context, op string, err error) *Error {
	if ctx.Err() != nil {
		return canceledError(ctx, op, ctx.Err())
	}
	// Strip url.Error's method and URL: the message stays short and the
	// cause (timeout, reset, refused) is what matters.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &Error{Kind: KindNetwork, Op: op, Err: err}
}

// canceledError reports that ctx ended. A shared fetch runs under its own
// bounded context (see flight); when that bound, not a caller, ends it, the
// failure is a network timeout rather than a cancellation.
func canceledError(ctx context.Context, op string, err error) *Error {
	if errors.Is(context.Cause(ctx), errFetchTimeout) {
		return &Error{Kind: KindNetwork, Op: op, Err: errFetchTimeout}
	}
	return &Error{Kind: KindCanceled, Op: op, Err: err}
}

// randomHex is 32 random hex characters: our request IDs, and appauth nonces
// (the API accepts 32–64).
// crypto/rand.Read never fails (Go 1.24+).
func randomHex() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// malformed is the error for a 2xx reply we cannot use. It is not retried:
// a reply of the wrong shape is unlikely to change a moment later, and a
// roster that cannot prove who the host is must stop the kick, not delay it.
func malformed(op string, resp *apiResponse, what string) *Error {
	return &Error{
		Kind:      KindMalformed,
		Op:        op,
		Status:    resp.status,
		Message:   "malformed response",
		RequestID: resp.requestID,
		Err:       fmt.Errorf("malformed %s response: %s", op, what),
	}
}

// readBody reads a reply of up to maxResponseBody bytes. When its length is
// known it reads into a buffer of that size: io.ReadAll grows its buffer by
// doubling, which for a 3,000-person realTimeInfo (about 1 MB, read when a
// watch starts) allocated about twice the body in garbage.
func readBody(resp *http.Response) ([]byte, error) {
	n := resp.ContentLength
	if n < 0 || n > maxResponseBody {
		return io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	}
	data := make([]byte, n)
	if _, err := io.ReadFull(resp.Body, data); err != nil {
		return nil, err
	}
	return data, nil
}
