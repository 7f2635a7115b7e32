package meeting

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// decodeRealTime reads participants and attendees without reflection; it
// must read every valid reply exactly as encoding/json reads it into the
// field types (key matching by case folding, the last duplicate winning,
// escapes in keys, values of every type).

// reflectParticipants is encoding/json's reading of participants (the
// decoder before the hand-written one), or ok false where it fails.
func reflectParticipants(body []byte) (list []realTimeParticipant, chair string, coHosts []string, ok bool) {
	var r struct {
		Participants json.RawMessage `json:"participants"`
		ConfInfo     json.RawMessage `json:"confInfo"`
	}
	if json.Unmarshal(body, &r) != nil {
		return nil, "", nil, false
	}
	chair, coHosts, err := decodeConfInfo(r.ConfInfo)
	if err != nil {
		return nil, "", nil, false
	}
	if isNull(r.Participants) {
		return nil, chair, coHosts, true
	}
	if firstByte(r.Participants) != '[' || json.Unmarshal(r.Participants, &list) != nil {
		return nil, "", nil, false
	}
	return list, chair, coHosts, true
}

// reflectAttendees is encoding/json's reading of the invite list.
func reflectAttendees(body []byte) ([]attendeeReply, bool) {
	var r struct {
		Attendees json.RawMessage `json:"attendees"`
	}
	if json.Unmarshal(body, &r) != nil || isNull(r.Attendees) || firstByte(r.Attendees) != '[' {
		return nil, false
	}
	var raw []json.RawMessage
	if json.Unmarshal(r.Attendees, &raw) != nil {
		return nil, false
	}
	list := []attendeeReply{}
	for _, e := range raw {
		if firstByte(e) != '{' {
			return nil, false
		}
		var a attendeeReply
		if json.Unmarshal(e, &a) != nil {
			return nil, false
		}
		list = append(list, a)
	}
	return list, true
}

func TestDecodeRealTimeAgreesWithReflection(t *testing.T) {
	keys := []string{`"pid"`, `"PID"`, `"Pid"`, `"p\u0069d"`, `"name"`, `"NAME"`, `"phone"`, `"state"`, `"STATE"`, `"video"`,
		`"mute"`, `"hand"`, `"userUUID"`, `"useruuid"`, `"accountID"`, `"accountId"`, `"ACCOUNTID"`, `"extra"`, `"\u017ftate"`,
		`"accountid"`, `"confInfo"`, `"x\"y"`, `""`, `"pid "`, `"ph\u006fne"`, "\"na\xffme\"",
		`"participants"`, `"attendees"`, `"Attendees"`, `"Participants"`, `"confinfo"`}
	vals := []string{`{"chairID":"b"}`, `{"coHosts":["a"]}`, `"a"`, `"b"`, `""`, `null`, `1`, `-2.5e3`, `true`, `false`, `"\u00e9\"x"`, `"7"`, `{"pid":"z","a":[1,{"b":"]"}]}`,
		`[]`, `[1,"x",{}]`, `{}`, `"\\"`, `" 12 "`, `1e400`, `"}"`, `"]"`, `"a,b"`, "\"\xff\"", `"line\nbreak"`}
	r := rand.New(rand.NewPCG(11, 12))
	space := func() string { return []string{"", " ", "\n\t", ""}[r.IntN(4)] }
	object := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = space() + keys[r.IntN(len(keys))] + space() + ":" + space() + vals[r.IntN(len(vals))] + space()
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	list := func() string {
		switch r.IntN(12) {
		case 0:
			return "null"
		case 1:
			return vals[r.IntN(len(vals))]
		}
		elems := make([]string, r.IntN(5))
		for i := range elems {
			switch r.IntN(15) {
			case 0:
				elems[i] = "null"
			case 1:
				elems[i] = vals[r.IntN(len(vals))]
			default:
				elems[i] = object(r.IntN(6))
			}
		}
		return space() + "[" + space() + strings.Join(elems, space()+","+space()) + space() + "]" + space()
	}
	for range 20000 {
		var top []string
		for range r.IntN(4) + 1 {
			switch r.IntN(3) {
			case 0:
				top = append(top, `"participants":`+list())
			case 1:
				top = append(top, `"attendees":`+list())
			default:
				top = append(top, keys[r.IntN(len(keys))]+":"+list())
			}
		}
		body := []byte(`{"confInfo":{"chairID":"a","coHosts":["b"]},` + strings.Join(top, ",") + `}`)
		if !json.Valid(body) {
			t.Fatalf("test built invalid JSON: %s", body)
		}
		rt, err := decodeRealTime(body)
		want, chair, coHosts, ok := reflectParticipants(body)
		if ok {
			// The old decoder's checks after encoding/json: every entry has a pid.
			for _, p := range want {
				if !p.PID.ok {
					ok = false
				}
			}
		}
		if (err == nil) != ok {
			t.Fatalf("%s\ndecodeRealTime error %v; encoding/json ok=%v", body, err, ok)
		}
		if ok {
			old := make([]Participant, 0)
			seen := map[string]bool{}
			for _, p := range want {
				if seen[p.PID.v] {
					continue
				}
				seen[p.PID.v] = true
				old = append(old, Participant{ID: p.PID.v, Name: string(p.Name), Phone: string(p.Phone), State: State(p.State),
					Video: p.Video != 0, Muted: p.Mute != 0, HandRaised: p.Hand != 0, Host: chair != "" && p.PID.v == chair, CoHost: slices.Contains(coHosts, p.PID.v),
					UserUUID: string(p.UserUUID), AccountID: string(p.AccountID) + map[bool]string{true: string(p.AccountID2)}[p.AccountID == ""]})
			}
			if !reflect.DeepEqual(rt.participants, old) {
				t.Fatalf("%s\nparticipants\n got  %+v\n want %+v", body, rt.participants, old)
			}
			wantA, okA := reflectAttendees(body)
			if okA != rt.attendeesKnown || len(wantA) != len(rt.attendees) {
				t.Fatalf("%s\nattendees %+v (%v); encoding/json %+v (%v)", body, rt.attendees, rt.attendeesKnown, wantA, okA)
			}
			for i, a := range wantA {
				acct := a.AccountID
				if acct == "" {
					acct = a.AccountID2
				}
				w := Attendee{AccountID: string(acct), UserUUID: string(a.UserUUID), Name: string(a.Name), Phone: string(a.Phone)}
				if rt.attendees[i] != w {
					t.Fatalf("%s\nattendee %d = %+v, want %+v", body, i, rt.attendees[i], w)
				}
			}
		}
	}
}
