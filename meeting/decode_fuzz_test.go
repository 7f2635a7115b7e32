package meeting

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeResponses feeds arbitrary bytes to every response decoder. They
// must never panic, and what they return must be usable: participants always
// have an ID, an error body yields bounded, printable text.
func FuzzDecodeResponses(f *testing.F) {
	seeds := []string{
		// realTimeInfo
		`{"participants":[{"pid":"ba9acb1e216d11eabc5165c2b91ad427","name":"Alice","phone":"+8613800000001","state":0,"video":1,"mute":0,"hand":0}],"confInfo":{"chairID":"ba9acb1e216d11eabc5165c2b91ad427","coHosts":[]},"attendees":[]}`,
		`{"participants":[{"pid":1,"state":"2","mute":true},null,"x",{"pid":"a","pid":"b"}],"confInfo":{"coHosts":"a"}}`,
		`{"participants":null,"confInfo":null}`,
		`{"participants":{"pid":"a"}}`,
		// confDetail
		`{"conferenceData":{"conferenceID":"914083136","subject":"Weekly","conferenceState":"Created","passwordEntry":[{"conferenceRole":"chair","password":"123456"},{"conferenceRole":"general","password":"654321"}]},"data":{"data":[],"offset":0,"limit":20,"count":0}}`,
		`{"conferenceData":{"conferenceState":"Schedule","passwordEntry":[{"conferenceRole":"general","password":1}]}}`,
		`{"conferenceData":[]}`,
		// token
		`{"data":{"token":"stbXeOdSh0c3jOPkZSgMvJ3rNgUvAJ7n","expireTime":1700001800000,"confTokenExpireTime":1800,"role":1},"addressToken":"","gloablPublicIP":""}`,
		`{"data":{"token":"t","expireTime":"1e30","confTokenExpireTime":"-5"}}`,
		// appauth / account
		`{"accessToken":"cnr1lGxx","validPeriod":43200,"expireTime":1700043200,"createTime":1700000000000,"user":{"userId":"u"}}`,
		`{"accessToken":{"nested":true},"validPeriod":"NaN"}`,
		// error bodies
		`{"error_code":"MMC.111072065","error_msg":"CONF_NOT_FOUND_OR_AUTH_FAILED"}`,
		`{"error_code":100000429,"error_msg":null}`,
		"{\"error_msg\":\"\xff\xfe\u0000\"}",
		`<html><body>502 Bad Gateway</body></html>`,
		``, `null`, `[]`, `{`, `{"a":1e999}`, `9999999999999999999999`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if ps, err := decodeRealTimeInfo(b); err == nil {
			seen := map[string]bool{}
			for _, p := range ps {
				if p.ID == "" || seen[p.ID] {
					t.Fatalf("participant with empty or repeated ID: %+v", ps)
				}
				seen[p.ID] = true
			}
		}
		_, _ = decodeConfDetail(b)
		if ct, err := decodeControlToken(b); err == nil && ct.Token == "" {
			t.Fatal("control token decoded without a token")
		}
		if a, err := decodeAuth(b); err == nil && a.AccessToken == "" {
			t.Fatal("auth decoded without a token")
		}
		code, msg := decodeError(b)
		if len(code) > 64 || len(msg) > 200 || !utf8.ValidString(code+msg) {
			t.Fatalf("decodeError gave unbounded or broken text: %q %q", code, msg)
		}
		_ = classify(400, code, msg)
	})
}

// rosterSlots are realTimeInfo replies with one value left open (%s). Around
// it, everything is well typed: host "h", co-host "c", participants h, c, o.
var rosterSlots = []string{
	`{"participants":%s,"confInfo":{"chairID":"h","coHosts":["c"]}}`,
	`{"participants":[{"pid":"h"},%s,{"pid":"c"}],"confInfo":{"chairID":"h","coHosts":["c"]}}`,
	`{"participants":[{"pid":"h"},{"pid":"c"},{"pid":%s,"name":"x"}],"confInfo":{"chairID":"h","coHosts":["c"]}}`,
	`{"participants":[{"pid":"h"},{"pid":"c"},{"pid":"o"}],"confInfo":{"chairID":%s,"coHosts":["c"]}}`,
	`{"participants":[{"pid":"h"},{"pid":"c"},{"pid":"o"}],"confInfo":{"chairID":"h","coHosts":%s}}`,
	`{"participants":[{"pid":"h"},{"pid":"c"},{"pid":"o"}],"confInfo":%s}`,
}

// FuzzDecodeRosterTypes puts any JSON value into one field of an otherwise
// good roster and checks the decoder against an independent reading of the
// same bytes: it succeeds exactly when the value has a type that lets the
// roster prove who the host is and who is there (null is an empty meeting or
// no host; a wrong type is an error), and then it lists every participant —
// so a re-read can never report someone gone who is still there.
func FuzzDecodeRosterTypes(f *testing.F) {
	for slot := range rosterSlots {
		for _, v := range []string{`null`, `"h"`, `""`, `12345`, `1.5e3`, `true`, `{}`, `[]`, `["c"]`, `[1]`, `[null]`,
			`{"pid":"o"}`, `{"pid":7}`, `{"PID":"o"}`, `[{"pid":"o"}]`, `[{"pid":"o"},{}]`, `{"chairID":"h"}`,
			`{"chairID":1}`, `{"coHosts":"c"}`, ` null `, `"\u0000"`, `[{"pid":"o","pid":null}]`} {
			f.Add(uint8(slot), []byte(v))
		}
	}
	f.Fuzz(func(t *testing.T, slot uint8, value []byte) {
		if !json.Valid(value) {
			t.Skip()
		}
		tmpl := rosterSlots[int(slot)%len(rosterSlots)]
		body := []byte(strings.Replace(tmpl, "%s", string(value), 1))
		var generic map[string]any
		if err := json.Unmarshal(body, &generic); err != nil {
			t.Skip()
		}
		want, chair, coHosts, decidable := rosterOracle(generic)
		if !decidable {
			t.Skip()
		}
		got, err := decodeRealTimeInfo(body)
		if want == nil {
			if err == nil {
				t.Fatalf("%s\ndecoded to %+v; want an error (the roster cannot be read safely)", body, got)
			}
			return
		}
		if err != nil {
			t.Fatalf("%s\nerror %v; want participants %v", body, err, want)
		}
		var ids []string
		for _, p := range got {
			ids = append(ids, p.ID)
			if p.Host != (p.ID == chair && chair != "") || p.CoHost != slices.Contains(coHosts, p.ID) {
				t.Fatalf("%s\n%+v: wrong role (chair %q, co-hosts %q)", body, p, chair, coHosts)
			}
		}
		if !slices.Equal(ids, want) {
			t.Fatalf("%s\nparticipants %q, want %q", body, ids, want)
		}
	})
}

// rosterOracle reads a generically decoded roster the way the contract
// says: it returns the participants' pids (non-nil, maybe empty, on
// success; nil when the roster is unreadable). decidable is false for keys
// that differ from the documented names only in case, where encoding/json's
// case-insensitive matching makes the answer depend on key order.
func rosterOracle(r map[string]any) (pids []string, chair string, coHosts []string, decidable bool) {
	if ambiguousKeys(r, "participants", "confInfo") {
		return nil, "", nil, false
	}
	ci, ok := r["confInfo"].(map[string]any)
	if !ok {
		return nil, "", nil, true
	}
	if ambiguousKeys(ci, "chairID", "coHosts") {
		return nil, "", nil, false
	}
	switch v := ci["chairID"].(type) {
	case nil:
	case string:
		chair = v
	default:
		return nil, "", nil, true
	}
	switch v := ci["coHosts"].(type) {
	case nil:
	case []any:
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, "", nil, true
			}
			if s != "" {
				coHosts = append(coHosts, s)
			}
		}
	default:
		return nil, "", nil, true
	}
	pids = []string{}
	switch v := r["participants"].(type) {
	case nil:
		return pids, chair, coHosts, true
	case []any:
		for _, e := range v {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, "", nil, true
			}
			if ambiguousKeys(m, "pid") {
				return nil, "", nil, false
			}
			id, ok := m["pid"].(string)
			if !ok || id == "" {
				return nil, "", nil, true
			}
			if !slices.Contains(pids, id) {
				pids = append(pids, id)
			}
		}
		return pids, chair, coHosts, true
	}
	return nil, "", nil, true
}

// ambiguousKeys reports a key that is not one of names but equals one of
// them ignoring case.
func ambiguousKeys(m map[string]any, names ...string) bool {
	for k := range m {
		for _, n := range names {
			if k != n && strings.EqualFold(k, n) {
				return true
			}
		}
	}
	return false
}
