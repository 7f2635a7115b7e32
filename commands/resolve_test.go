package commands

import (
	"reflect"
	"testing"
	"time"

	"github.com/kickbot/kickbot/meeting"
)

// Participants of a sample meeting shaped like the simulator's.
var (
	alice = meeting.Participant{ID: "a0000000000000000000000000000001", Name: "Alice Chen", Phone: "+8613800000001", Host: true}
	bob   = meeting.Participant{ID: "b0000000000000000000000000000002", Name: "Bob Li", Phone: "+8613800000002", CoHost: true}
	jane1 = meeting.Participant{ID: "c0000000000000000000000000000003", Name: "Jane Doe", Phone: "+8613800000003"}
	jane2 = meeting.Participant{ID: "d0000000000000000000000000000004", Name: "jane  doe ", Phone: "", Muted: true}
	evil  = meeting.Participant{ID: "e0000000000000000000000000000005", Name: "<!channel>", Phone: "+86 138-0000-0000"}
	carl  = meeting.Participant{ID: "f0000000000000000000000000000006", Name: "Carl Berg", Phone: "8613800000006", State: meeting.StateCalling}
	dup1  = meeting.Participant{ID: "10000000000000000000000000000007", Name: "Dana", Phone: "+8613800000009"}
	dup2  = meeting.Participant{ID: "20000000000000000000000000000008", Name: "Dana (iPad)", Phone: "+8613800000009"}
	sip   = meeting.Participant{ID: "30000000000000000000000000000009", Name: "Room 4", Phone: "sip:8613800000010@example.com"}
)

func sampleRoster() *meeting.Roster {
	return &meeting.Roster{
		ConferenceID: "914083136",
		Subject:      "Weekly all-hands",
		Participants: []meeting.Participant{alice, bob, jane1, jane2, evil, carl, dup1, dup2, sip},
		ReadAt:       time.Date(2025, 11, 25, 10, 0, 0, 0, time.UTC),
		RequestID:    "req-roster-1",
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name    string
		targets []Target
		want    Resolution
	}{
		{"id", []Target{id(carl.ID)}, Resolution{Kick: []Match{{id(carl.ID), carl}}}},
		{"id is exact", []Target{id("F0000000000000000000000000000006")}, Resolution{NotFound: []Target{id("F0000000000000000000000000000006")}}},
		{"host by id is protected", []Target{id(alice.ID)}, Resolution{Protected: []Match{{id(alice.ID), alice}}}},
		{"co-host by name is protected", []Target{name("bob li")}, Resolution{Protected: []Match{{name("bob li"), bob}}}},
		{"host by phone is protected", []Target{phone("+8613800000001")}, Resolution{Protected: []Match{{phone("+8613800000001"), alice}}}},
		{"name is case- and space-insensitive", []Target{name("CARL BERG")}, Resolution{Kick: []Match{{name("CARL BERG"), carl}}}},
		{"two Jane Does are ambiguous", []Target{name("Jane Doe")},
			Resolution{Ambiguous: []Ambiguity{{name("Jane Doe"), []meeting.Participant{jane1, jane2}}}}},
		{"a name is not a prefix", []Target{name("Jane")}, Resolution{NotFound: []Target{name("Jane")}}},
		{"phone with formatting in the roster", []Target{phone("+8613800000000")}, Resolution{Kick: []Match{{phone("+8613800000000"), evil}}}},
		{"phone without plus matches same digits", []Target{phone("8613800000006")}, Resolution{Kick: []Match{{phone("8613800000006"), carl}}}},
		{"plus phone matches roster without plus", []Target{phone("+8613800000006")}, Resolution{Kick: []Match{{phone("+8613800000006"), carl}}}},
		{"no country-code guessing", []Target{phone("13800000006")}, Resolution{NotFound: []Target{phone("13800000006")}}},
		{"shared phone is ambiguous", []Target{phone("+8613800000009")},
			Resolution{Ambiguous: []Ambiguity{{phone("+8613800000009"), []meeting.Participant{dup1, dup2}}}}},
		{"SIP URI never matches digits", []Target{phone("8613800000010")}, Resolution{NotFound: []Target{phone("8613800000010")}}},
		{"same participant twice collapses", []Target{id(carl.ID), name("Carl Berg"), phone("8613800000006")},
			Resolution{Kick: []Match{{id(carl.ID), carl}}}},
		{"protected twice collapses", []Target{name("Alice Chen"), id(alice.ID)},
			Resolution{Protected: []Match{{name("Alice Chen"), alice}}}},
		{"mixed", []Target{id(carl.ID), name("Nobody"), name("Jane Doe"), id(alice.ID), name("<!channel>")},
			Resolution{
				Kick:      []Match{{id(carl.ID), carl}, {name("<!channel>"), evil}},
				Protected: []Match{{id(alice.ID), alice}},
				NotFound:  []Target{name("Nobody")},
				Ambiguous: []Ambiguity{{name("Jane Doe"), []meeting.Participant{jane1, jane2}}},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Resolve(sampleRoster(), tt.targets)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Resolve(%v)\n got  %+v\n want %+v", tt.targets, got, tt.want)
			}
		})
	}
}

func TestResolveEmptyRoster(t *testing.T) {
	targets := []Target{id(carl.ID), name("Jane Doe")}
	for _, r := range []*meeting.Roster{nil, {ConferenceID: "1"}} {
		got := Resolve(r, targets)
		want := Resolution{NotFound: targets}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Resolve(%v) = %+v, want %+v", r, got, want)
		}
	}
}

func TestResolveEmptyNameOrPhoneInRosterNeverMatches(t *testing.T) {
	r := &meeting.Roster{Participants: []meeting.Participant{{ID: "x1234567", Name: "  ", Phone: ""}}}
	got := Resolve(r, []Target{name(" "), phone("")})
	if len(got.Kick)+len(got.Protected)+len(got.Ambiguous) != 0 {
		t.Errorf("blank targets matched a blank participant: %+v", got)
	}
}

// TestResolveMaskedPhones: a masked number is never matched (it could be
// anyone); a phone target that matches no unmasked number is "hidden" only
// when the roster masks numbers, and an unmasked match still works.
func TestResolveMaskedPhones(t *testing.T) {
	masked := meeting.Participant{ID: "40000000000000000000000000000010", Name: "Hidden", Phone: "+86138****011"}
	withMasked := &meeting.Roster{Participants: []meeting.Participant{alice, jane1, masked}}
	tests := []struct {
		name   string
		roster *meeting.Roster
		target Target
		want   Resolution
	}{
		{"unmasked match in a masking roster", withMasked, phone("+8613800000003"), Resolution{Kick: []Match{{phone("+8613800000003"), jane1}}}},
		{"no match in a masking roster", withMasked, phone("+8613800000011"), Resolution{PhoneHidden: []Target{phone("+8613800000011")}}},
		{"the masked text itself", withMasked, phone("+86138****011"), Resolution{PhoneHidden: []Target{phone("+86138****011")}}},
		{"no match, nothing masked", sampleRoster(), phone("+8613800000011"), Resolution{NotFound: []Target{phone("+8613800000011")}}},
		{"a name is still not found", withMasked, name("Nobody"), Resolution{NotFound: []Target{name("Nobody")}}},
	}
	for _, tt := range tests {
		if got := Resolve(tt.roster, []Target{tt.target}); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
