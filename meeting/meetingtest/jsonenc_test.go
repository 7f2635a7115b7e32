package meetingtest

import (
	"encoding/json"
	"testing"
)

// The reference shape of realTimeInfo, encoded by encoding/json; the
// hand-written encoder must produce the same bytes.
type rtAttendee struct {
	AccountID string `json:"accountID"`
	UserUUID  string `json:"userUUID"`
	Name      string `json:"name"`
	Phone     string `json:"phone"`
}

type rtParticipant struct {
	PID   string `json:"pid"`
	Name  string `json:"name"`
	Phone string `json:"phone"`
	State int    `json:"state"`
	Video int    `json:"video"`
	Mute  int    `json:"mute"`
	Hand  int    `json:"hand"`
}

type rtParticipantIDs struct {
	rtParticipant
	UserUUID  string `json:"userUUID"`
	AccountID string `json:"accountID"`
}

type rtConfInfo struct {
	ChairID string   `json:"chairID"`
	CoHosts []string `json:"coHosts"`
}

type realTimeReply struct {
	Attendees    []rtAttendee    `json:"attendees"`
	Participants []rtParticipant `json:"participants"`
	ConfInfo     rtConfInfo      `json:"confInfo"`
}

func referenceRealTime(invited []attendee, roster []P, chairID string, coHosts []string, ids bool) []byte {
	reply := realTimeReply{
		Attendees:    make([]rtAttendee, len(invited)),
		Participants: make([]rtParticipant, len(roster)),
		ConfInfo:     rtConfInfo{ChairID: chairID, CoHosts: append([]string{}, coHosts...)},
	}
	for i, a := range invited {
		reply.Attendees[i] = rtAttendee{AccountID: a.accountID, UserUUID: a.userUUID, Name: a.name, Phone: a.phone}
	}
	for i, p := range roster {
		reply.Participants[i] = rtParticipant{PID: p.ID, Name: p.Name, Phone: p.Phone, State: p.State,
			Video: b2i(p.Video), Mute: b2i(p.Muted), Hand: b2i(p.Hand)}
	}
	if !ids {
		b, _ := json.Marshal(reply)
		return b
	}
	withIDs := struct {
		Attendees    []rtAttendee       `json:"attendees"`
		Participants []rtParticipantIDs `json:"participants"`
		ConfInfo     rtConfInfo         `json:"confInfo"`
	}{reply.Attendees, make([]rtParticipantIDs, len(roster)), reply.ConfInfo}
	for i, p := range roster {
		withIDs.Participants[i] = rtParticipantIDs{reply.Participants[i], p.UserUUID, p.AccountID}
	}
	b, _ := json.Marshal(withIDs)
	return b
}

func TestRealTimeJSONMatchesEncodingJSON(t *testing.T) {
	tests := []struct {
		name    string
		invited []attendee
		roster  []P
		chair   string
		co      []string
	}{
		{"empty", nil, nil, "", nil},
		{"awkward names", []attendee{{name: "<!channel>", phone: "+86", userUUID: "u<1>", accountID: "a&1"}, {name: "Tom & Jerry \"x\"\n\t\\"}},
			[]P{{ID: "a", Name: "\u2028\u2029\x00\x1f\x7f\xff\xfe ok é 中文 🎉", Phone: "p", State: 2, Video: true, Muted: true, Hand: true},
				{ID: "b", Name: "\b\f\r", UserUUID: "uuid-\u2028", AccountID: "acct\""}}, "a", []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, ids := range []bool{false, true} {
				got := string(appendRealTime(nil, tt.invited, tt.roster, tt.chair, tt.co, ids))
				want := string(referenceRealTime(tt.invited, tt.roster, tt.chair, tt.co, ids))
				if got != want {
					t.Fatalf("ids %v: got  %s\nwant %s", ids, got, want)
				}
			}
		})
	}
}

// FuzzAppendJSONString compares the hand-written string quoting with
// encoding/json's on arbitrary (also invalid UTF-8) input.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "Jane Doe", "<!channel>", "a&b", "\x00\u2028\xff", "\"\\", "é中🎉"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Fatalf("got %s, want %s", got, want)
		}
	})
}
