package meeting

import (
	"context"
	"encoding/json"
	"net/http"
)

const pathHangUp = "/v1/mmc/control/conferences/participants/delete"

type hangUpBody struct {
	IDs []string `json:"bulkHangUpParticipants"`
}

// Disconnect hangs up the participants with the given pids in one bulk call
// (or in chunks of MaxPerHangUp), then re-reads the roster: HangUp reports no
// per-participant result, so Gone and StillPresent come from that read.
//
// ids are validated (non-empty, ≤ 128 characters, no control characters) and
// de-duplicated in order. In strict mode an unknown pid fails the whole call
// with KindParticipantNotFound, and nothing is removed.
//
// If a later chunk fails after an earlier one succeeded, or the confirming
// roster read fails, Disconnect returns both the error and a result holding
// what is known (Requested, RequestIDs; After and Gone/StillPresent only if
// the roster could be read), so a caller can tell a moderator that some
// participants may already have been disconnected.
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
	for _, chunk := range chunks(ids, c.cfg.MaxPerHangUp) {
		body, merr := json.Marshal(hangUpBody{IDs: chunk})
		if merr != nil {
			return nil, &Error{Kind: KindUnknown, Op: "hangup", Err: merr}
		}
		// The reply body is ignored: it has no documented fields.
		resp, _, err := c.controlCall(ctx, conferenceID, apiCall{
			op:     "hangup",
			method: http.MethodPost,
			path:   pathHangUp,
		}, body)
		if err != nil {
			if len(res.RequestIDs) == 0 {
				return nil, err
			}
			_ = c.confirm(ctx, res) // best effort: the hang-up error is the one to report
			return res, err
		}
		res.RequestIDs = append(res.RequestIDs, resp.requestID)
	}
	if err := c.confirm(ctx, res); err != nil {
		return res, err
	}
	return res, nil
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
