package bot

import (
	"testing"

	"github.com/kickbot/kickbot/meeting"
)

// TestFindWaiting: a held person is found in the waiting list by their own
// ID, else by exactly one user UUID, account or full phone match — never
// by name, a masked number, or an identity two people share.
func TestFindWaiting(t *testing.T) {
	carlos := meeting.Participant{ID: "pid-carlos", Name: "Carlos", Phone: "+8613800000004"}
	wait := []meeting.Participant{
		{ID: "w1", Name: "Carlos", Phone: "+8613800000004"},
		{ID: "w2", Name: "Jane", UserUUID: "uuid-jane"},
		{ID: "w3", Name: "Twin", Phone: "+100"},
		{ID: "w4", Name: "Twin", Phone: "+100"},
		{ID: "pid-same", Name: "Same"},
		{ID: "w5", Name: "Masked", Phone: "+86138****004"},
	}
	for _, tc := range []struct {
		name string
		p    meeting.Participant
		want string
		ok   bool
	}{
		{"own ID", meeting.Participant{ID: "pid-same"}, "pid-same", true},
		{"phone", carlos, "w1", true},
		{"user UUID", meeting.Participant{ID: "pid-jane", UserUUID: "uuid-jane"}, "w2", true},
		{"shared phone", meeting.Participant{ID: "pid-twin", Phone: "+100"}, "", false},
		{"name only", meeting.Participant{ID: "pid-x", Name: "Carlos"}, "", false},
		{"masked phone", meeting.Participant{ID: "pid-m", Phone: "+86138****004"}, "", false},
	} {
		got, ok := findWaiting(wait, tc.p)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("%s: findWaiting = %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
