package meeting

import (
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
