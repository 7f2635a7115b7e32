package meeting

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

const pathHangUp = "/v1/mmc/control/conferences/participants/delete"

type hangUpBody struct {
	IDs []string `json:"bulkHangUpParticipants"`
}

// settleTimeout bounds the roster read that settles an ambiguous hang-up
// when the caller's context has already ended (a timeout or a shutdown
// while the reply was awaited): the moderator must still learn whether the
// people are gone, and a shutdown must still end within seconds.
const settleTimeout = 2 * time.Second

// Disconnect hangs up the participants with the given pids in one bulk call
// (or in chunks of MaxPerHangUp), then re-reads the roster: HangUp reports no
// per-participant result, so Gone and StillPresent come from that read.
//
// ids are validated (non-empty, ≤ 128 characters, no control characters) and
// de-duplicated in order.
//
// An ambiguous answer is settled by the roster, never reported as a plain
// failure: a lost reply (connection closed or timed out after sending), a
// 5xx, or a strict server's MMC.111072008 (one of the pids is no longer
// online — they left, or an earlier attempt of ours was applied and its
// reply lost; whoever is still online is hung up once more). If the roster
// then shows every requested pid gone, Disconnect succeeds. Otherwise it
// returns both the error and a result holding what is known: Requested,
// RequestIDs, MaybeApplied, and After with Gone/StillPresent when the roster
// could be read. A definite refusal (auth, bad request, meeting ended or
// locked, rate limit) with nothing sent before it returns only the error.
func (c *Client) Disconnect(ctx context.Context, conferenceID string, ids []string) (*DisconnectResult, error) {
	if err := validateConference("hangup", conferenceID); err != nil {
		return nil, err
	}
	ids, err := dedupe("hangup", ids)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, badInput("hangup", "no participant IDs to disconnect")
	}
	res := &DisconnectResult{ConferenceID: conferenceID, Requested: ids}
	var callErr error
	for _, chunk := range chunks(ids, c.cfg.MaxPerHangUp) {
		if callErr = c.hangUpChunk(ctx, res, chunk); callErr != nil {
			break
		}
	}
	if callErr != nil && !res.MaybeApplied {
		return nil, callErr
	}
	sctx := ctx
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		sctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
		defer cancel()
	}
	cerr := c.confirm(sctx, res)
	switch {
	case callErr == nil:
		return res, cerr
	case cerr == nil && len(res.StillPresent) == 0:
		// The roster shows everyone gone: what the lost or failed reply
		// would have said no longer matters.
		c.log.Debug().Str("conference", conferenceID).Str("kind", KindOf(callErr).String()).
			Msg("hang-up settled by the roster: everyone requested is gone")
		return res, nil
	}
	return res, callErr
}

// hangUpChunk sends one hang-up and records it in res. A strict server's
// "participant does not exist" is answered by hanging up, once, whoever of
// chunk the roster still lists.
func (c *Client) hangUpChunk(ctx context.Context, res *DisconnectResult, chunk []string) error {
	err := c.hangUp(ctx, res, chunk)
	if KindOf(err) != KindParticipantNotFound {
		return err
	}
	r, rerr := c.Roster(ctx, res.ConferenceID)
	if rerr != nil {
		return err
	}
	online := make(map[string]struct{}, len(r.Participants))
	for _, p := range r.Participants {
		online[p.ID] = struct{}{}
	}
	var rest []string
	for _, id := range chunk {
		if _, ok := online[id]; ok {
			rest = append(rest, id)
		}
	}
	if len(rest) == 0 {
		return nil // all of chunk already gone; confirm reports them
	}
	return c.hangUp(ctx, res, rest)
}

// hangUp makes one hang-up call (with the transport's retries).
func (c *Client) hangUp(ctx context.Context, res *DisconnectResult, ids []string) error {
	body, merr := json.Marshal(hangUpBody{IDs: ids})
	if merr != nil {
		return &Error{Kind: KindUnknown, Op: "hangup", Err: merr}
	}
	// The reply body is ignored: it has no documented fields.
	resp, _, err := c.controlCall(ctx, res.ConferenceID, apiCall{
		op:     "hangup",
		method: http.MethodPost,
		path:   pathHangUp,
	}, body)
	if err != nil {
		if mayHaveApplied(KindOf(err)) {
			res.MaybeApplied = true
		}
		return err
	}
	res.RequestIDs = append(res.RequestIDs, resp.requestID)
	res.MaybeApplied = true
	return nil
}

// mayHaveApplied says whether a hang-up that failed this way may still have
// disconnected people: its reply was lost or cut short (network, the
// caller's context ending mid-call), the server failed while acting (5xx),
// a retry found the pid gone (the first try was applied), or the answer was
// something we do not understand. Refusals the server made before acting
// are not ambiguous.
func mayHaveApplied(k Kind) bool {
	switch k {
	case KindNetwork, KindServer, KindParticipantNotFound, KindCanceled, KindUnknown:
		return true
	}
	return false
}

// confirm re-reads the roster and splits res.Requested into Gone and
// StillPresent.
func (c *Client) confirm(ctx context.Context, res *DisconnectResult) error {
	after, err := c.Roster(ctx, res.ConferenceID)
	if err != nil {
		return err
	}
	res.After = after
	present := make(map[string]struct{}, len(after.Participants))
	for _, p := range after.Participants {
		present[p.ID] = struct{}{}
	}
	for _, id := range res.Requested {
		if _, ok := present[id]; ok {
			res.StillPresent = append(res.StillPresent, id)
		} else {
			res.Gone = append(res.Gone, id)
		}
	}
	return nil
}

// chunks splits ids into slices of at most n (n ≤ 0: one slice).
func chunks(ids []string, n int) [][]string {
	if n <= 0 || len(ids) <= n {
		return [][]string{ids}
	}
	out := make([][]string, 0, (len(ids)+n-1)/n)
	for len(ids) > n {
		out = append(out, ids[:n:n])
		ids = ids[n:]
	}
	return append(out, ids)
}
