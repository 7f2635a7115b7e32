package meeting

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// The fast paths of flexString and flexList (decode.go) must give exactly
// what the general decoding gives.

// slowFlexList is flexList's general path: element by element.
func slowFlexList[T any](b []byte) []T {
	var out []T
	var raw []json.RawMessage
	if json.Unmarshal(b, &raw) != nil {
		return nil
	}
	for _, r := range raw {
		var v T
		if json.Unmarshal(r, &v) == nil {
			out = append(out, v)
		}
	}
	return out
}

func TestFlexStringFastPathAgreesWithJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	pieces := []string{"a", "Z", " ", "é", "中", "\\\"", "\\\\", "\\n", "\\u00e9", "\\ud83d\\ude00", "<", "&", "\t", "\x01", "\xff", "\xc3", "'", "/"}
	inputs := []string{`""`, `"a"`, `"\"`, `"`, `"a\"b"`, "\"\xff\"", "\"a\tb\"", `"\u0000"`}
	for range 5000 {
		var b strings.Builder
		for range r.IntN(10) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		inputs = append(inputs, `"`+b.String()+`"`)
	}
	for _, in := range inputs {
		var got flexString
		_ = got.UnmarshalJSON([]byte(in))
		var want string
		if json.Unmarshal([]byte(in), &want) != nil {
			want = ""
		}
		if string(got) != want {
			t.Errorf("flexString(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFlexListFastPathAgreesWithElementByElement(t *testing.T) {
	elems := []string{
		`{"pid":"a","name":"Ann","phone":"+86 1","state":1,"video":1,"mute":0,"hand":1}`,
		`{"pid":7,"name":"\u00e9\"x","state":"2","mute":true}`,
		`null`, `"x"`, `1`, `[]`, `{}`, `{"pid":"a","pid":"b"}`, `{"PID":"upper","Name":"Case"}`,
		`{"pid":{"nested":1},"name":["x"]}`, `{"state":1e400}`, `true`,
	}
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 3000 {
		n := r.IntN(6)
		parts := make([]string, n)
		for j := range parts {
			parts[j] = elems[r.IntN(len(elems))]
		}
		in := "[" + strings.Join(parts, ",") + "]"
		if i%50 == 0 {
			in = parts0(parts) // not an array at all
		}
		var got flexList[realTimeParticipant]
		_ = got.UnmarshalJSON([]byte(in))
		want := slowFlexList[realTimeParticipant]([]byte(in))
		if len(got) != len(want) || (len(got) > 0 && !reflect.DeepEqual([]realTimeParticipant(got), want)) {
			t.Errorf("flexList(%s)\n got  %+v\n want %+v", in, got, want)
		}
	}
}

func parts0(parts []string) string {
	if len(parts) == 0 {
		return "null"
	}
	return parts[0]
}

// BenchmarkDecodeRealTimeInfo1000 decodes a realTimeInfo reply of 1,000
// participants, as the simulator writes it: the client does this twice per
// kick (the roster read before and the confirmation after).
func BenchmarkDecodeRealTimeInfo1000(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"participants":[`)
	for i := range 1000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"pid":"%032x","name":"Participant %04d","phone":"+86139%08d","state":0,"video":%d,"mute":%d,"hand":0}`, i, i, i, i%2, i%3%2)
	}
	sb.WriteString(`],"confInfo":{"chairID":"` + fmt.Sprintf("%032x", 0) + `","coHosts":[]},"attendees":[]}`)
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		ps, err := decodeRealTimeInfo(body)
		if err != nil || len(ps) != 1000 {
			b.Fatalf("%d participants, %v", len(ps), err)
		}
	}
}

// BenchmarkDecodeRoster1000 is all a roster read decodes from one reply:
// 1,000 participants, the host and co-hosts, and an invite list of 200.
func BenchmarkDecodeRoster1000(b *testing.B) {
	body := rosterBody(1000, 200)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		rt, err := decodeRealTime(body)
		if err != nil || len(rt.participants) != 1000 || !rt.attendeesKnown || len(rt.attendees) != 200 {
			b.Fatalf("%d participants, %d attendees, %v", len(rt.participants), len(rt.attendees), err)
		}
	}
}

// rosterBody is a realTimeInfo reply as the simulator writes it.
func rosterBody(participants, attendees int) []byte {
	var sb strings.Builder
	sb.WriteString(`{"participants":[`)
	for i := range participants {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"pid":"%032x","name":"Participant %04d","phone":"+86139%08d","state":0,"video":%d,"mute":%d,"hand":0}`, i, i, i, i%2, i%3%2)
	}
	sb.WriteString(`],"confInfo":{"chairID":"` + fmt.Sprintf("%032x", 0) + `","coHosts":[]},"attendees":[`)
	for i := range attendees {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"accountID":"acct%04d","userUUID":"%032x","name":"Invitee %04d","phone":"+86139%08d"}`, i, i, i, i)
	}
	sb.WriteString(`]}`)
	return []byte(sb.String())
}
