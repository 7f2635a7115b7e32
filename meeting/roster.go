package meeting

import (
	"context"
	"net/http"
)

const pathRealTimeInfo = "/v1/mmc/control/conferences/realTimeInfo"

// Roster reads the live participant list of a running conference
// (realTimeInfo). Host and CoHost come from confInfo; Subject from confDetail.
func (c *Client) Roster(ctx context.Context, conferenceID string) (*Roster, error) {
	if err := validateConference("realTimeInfo", conferenceID); err != nil {
		return nil, err
	}
	resp, ct, err := c.controlCall(ctx, conferenceID, apiCall{
		op:     "realTimeInfo",
		method: http.MethodGet,
		path:   pathRealTimeInfo,
	}, nil)
	if err != nil {
		return nil, err
	}
	rt, derr := decodeRealTime(resp.body)
	if derr != nil {
		return nil, malformed("realTimeInfo", resp, derr.Error())
	}
	r := &Roster{
		ConferenceID: conferenceID,
		Subject:      ct.subject,
		Participants: rt.participants,
		ReadAt:       c.now(),
		RequestID:    resp.requestID,
	}
	r.Attendees, r.AttendeesKnown = rt.attendees, rt.attendeesKnown // keepout: the invite list
	return r, nil
}
