package meetingtest

import (
	"bytes"
	"encoding/json"
	"strings"
)

// RosterFault is a way a realTimeInfo reply can be malformed. Huawei
// documents the types (docs/meeting-api.md §8a) but a gateway, a version change or
// a bug can send others; a client must fail closed on each of these.
type RosterFault int

// Roster faults for Fault.Roster.
const (
	RosterIntact             RosterFault = iota // no rewrite
	RosterNoConfInfo                            // confInfo missing: nobody can be proved the host
	RosterChairIDNumber                         // confInfo.chairID is a number, not a string
	RosterChairIDObject                         // confInfo.chairID is an object
	RosterCoHostsString                         // confInfo.coHosts is one comma-joined string, not an array
	RosterCoHostsNumbers                        // confInfo.coHosts is an array of numbers
	RosterParticipantsObject                    // participants is an object keyed by pid, not an array
	RosterParticipantsString                    // participants is a string
	RosterEntryWithoutPID                       // the last participant has no pid
	RosterEntryNumericPID                       // the last participant's pid is a number
	RosterNoAttendees                           // attendees (the invite list) missing: nobody can be called uninvited
)

// spoilRoster rewrites a good realTimeInfo reply. It works on a generic
// decoding: speed does not matter on this path.
func spoilRoster(body []byte, f RosterFault) []byte {
	var r map[string]any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if d.Decode(&r) != nil {
		return body
	}
	ci, _ := r["confInfo"].(map[string]any)
	ps, _ := r["participants"].([]any)
	var pids []string
	for _, p := range ps {
		if m, ok := p.(map[string]any); ok {
			if id, ok := m["pid"].(string); ok {
				pids = append(pids, id)
			}
		}
	}
	last := func() map[string]any {
		if len(ps) == 0 {
			return nil
		}
		m, _ := ps[len(ps)-1].(map[string]any)
		return m
	}
	switch f {
	case RosterNoAttendees:
		delete(r, "attendees")
	case RosterNoConfInfo:
		delete(r, "confInfo")
	case RosterChairIDNumber:
		if ci != nil {
			ci["chairID"] = json.Number("12345")
		}
	case RosterChairIDObject:
		if ci != nil {
			ci["chairID"] = map[string]any{"pid": ci["chairID"]}
		}
	case RosterCoHostsString:
		if ci != nil {
			var ids []string
			for _, v := range asSlice(ci["coHosts"]) {
				if s, ok := v.(string); ok {
					ids = append(ids, s)
				}
			}
			ci["coHosts"] = strings.Join(ids, ",")
		}
	case RosterCoHostsNumbers:
		if ci != nil {
			ci["coHosts"] = []any{json.Number("1"), json.Number("2")}
		}
	case RosterParticipantsObject:
		m := map[string]any{}
		for i, p := range ps {
			if i < len(pids) {
				m[pids[i]] = p
			}
		}
		r["participants"] = m
	case RosterParticipantsString:
		r["participants"] = strings.Join(pids, ",")
	case RosterEntryWithoutPID:
		if m := last(); m != nil {
			delete(m, "pid")
		}
	case RosterEntryNumericPID:
		if m := last(); m != nil {
			m["pid"] = json.Number("42")
		}
	}
	out, err := json.Marshal(r)
	if err != nil {
		return body
	}
	return out
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// MaskPhone hides the middle of a phone number as Huawei's doc example does:
// "+991112345815" becomes "+99111****815" (the first six and last three
// characters kept). Shorter numbers keep only their last two characters.
// "" stays "".
func MaskPhone(phone string) string {
	r := []rune(phone)
	switch {
	case len(r) == 0:
		return ""
	case len(r) >= 10:
		return string(r[:6]) + "****" + string(r[len(r)-3:])
	case len(r) > 2:
		return strings.Repeat("*", len(r)-2) + string(r[len(r)-2:])
	}
	return strings.Repeat("*", len(r))
}
