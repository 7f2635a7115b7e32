package commands

import (
	"context"
	"slices"
	"testing"

	"github.com/kickbot/kickbot/meeting"
)

// heldMeeting is fakeMeeting with a roster of its own to lend (a watched
// meeting) and a fresh read beside it.
type heldMeeting struct {
	*fakeMeeting
	lent, fresh int
}

func (h *heldMeeting) ReadRoster(conf string, fn func(*meeting.Roster)) bool {
	h.lent++
	r := *h.roster
	r.ConferenceID = conf
	fn(&r)
	return true
}

func (h *heldMeeting) FreshRoster(ctx context.Context, conf string) (*meeting.Roster, error) {
	h.fresh++
	return h.Roster(ctx, conf)
}

func TestKickResolvesAgainstALentRoster(t *testing.T) {
	tests := []struct {
		name        string
		targets     []Target
		wantReads   int  // Roster and FreshRoster calls
		wantWhole   bool // the roster returned carries its participants
		wantResults []string
	}{
		{"every target found: lent, no read", []Target{id(carl.ID), name("Room 4"), phone(jane1.Phone)}, 0, false,
			[]string{carl.ID + "=gone", `"Room 4"=gone`, jane1.Phone + "=gone"}},
		{"protected is found too", []Target{id(carl.ID), name("Alice Chen")}, 0, false,
			[]string{carl.ID + "=gone", `"Alice Chen"=refused`}},
		{"not found: read, then read fresh", []Target{id(carl.ID), name("Nobody")}, 2, true,
			[]string{carl.ID + "=gone", `"Nobody"=not_found`}},
		{"ambiguous: read whole for the candidates", []Target{name("Jane Doe")}, 1, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &heldMeeting{fakeMeeting: &fakeMeeting{roster: sampleRoster()}}
			svc := newService(h.fakeMeeting)
			svc.Meeting = h
			r, res, o, err := svc.Kick(context.Background(), Kick{Actor: "U1", Channel: "C1", Conference: "914083136", Targets: tt.targets}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if h.lent != 1 {
				t.Errorf("roster lent %d times, want 1", h.lent)
			}
			// The fake's Disconnect re-reads its roster as the real client
			// does, and FreshRoster reads it too: neither is a read of the
			// use case's own.
			if reads := h.rosterCall - len(h.calls); reads != tt.wantReads {
				t.Errorf("roster read %d times (%d of them fresh), want %d", reads, h.fresh, tt.wantReads)
			}
			if r == nil || r.Subject != "Weekly all-hands" || r.ConferenceID != "914083136" {
				t.Fatalf("roster returned = %+v, want the meeting's header at least", r)
			}
			if got := len(r.Participants) > 0; got != tt.wantWhole {
				t.Errorf("roster returned with %d participants, want whole = %v", len(r.Participants), tt.wantWhole)
			}
			if len(res.Ambiguous) > 0 {
				if len(h.calls) != 0 {
					t.Errorf("an ambiguous kick disconnected %v", h.calls)
				}
				if !slices.ContainsFunc(r.Participants, func(p meeting.Participant) bool { return p.ID == jane2.ID }) {
					t.Errorf("the candidates' roster lacks %s", jane2.ID)
				}
				return
			}
			if got := results(o); !slices.Equal(got, tt.wantResults) {
				t.Errorf("results = %v, want %v", got, tt.wantResults)
			}
			if o.Subject != "Weekly all-hands" {
				t.Errorf("outcome subject = %q", o.Subject)
			}
		})
	}
}
