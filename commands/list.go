package commands

import (
	"context"

	"github.com/kickbot/kickbot/meeting"
)

// List is the list use case (`/kick <meeting ID>`, a list's Refresh, the
// console's list): the meeting's roster, read through Meeting (the live
// roster when the meeting is watched). A failure names the meeting as a
// kick's does, so UserMessage reads "Meeting 914083136 was not found — …"
// on every surface. The roster is never nil when err is nil.
func (s *Service) List(ctx context.Context, conference string) (*meeting.Roster, error) {
	r, err := s.Meeting.Roster(ctx, conference)
	if err != nil {
		return nil, &conferenceError{conference: conference, err: err}
	}
	if r == nil {
		r = &meeting.Roster{ConferenceID: conference}
	}
	return r, nil
}

// ListUninvited is the uninvited use case (`/kick <meeting ID> uninvited`,
// the console's uninvited): who is online but not invited, read as List
// reads. The roster is returned too, for the rows a sweep acts on.
func (s *Service) ListUninvited(ctx context.Context, conference string) (*meeting.Roster, UninvitedView, error) {
	r, err := s.List(ctx, conference)
	if err != nil {
		return nil, UninvitedView{Conference: conference}, err
	}
	return r, Uninvited(r), nil
}
