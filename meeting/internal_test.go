package meeting

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSignAppAuth(t *testing.T) {
	// Expected values computed independently (Python hmac/hashlib).
	tests := []struct {
		key, appID, userID string
		exp                int64
		nonce, want        string
	}{
		{"appkey-secret", "app123", "user1", 1700000600, "0123456789abcdef0123456789abcdef",
			"1e75b2f41ea8e47564bf4fc26330a0c0eed867a4a965c469e52124869083ccc3"},
		{"k", "a", "", 0, "n", "5962e52aeec770273ea14ec22582ffe936a53f35dd0fe92459273280990ad13a"},
	}
	for _, tt := range tests {
		if got := signAppAuth(tt.key, tt.appID, tt.userID, tt.exp, tt.nonce); got != tt.want {
			t.Errorf("signAppAuth(%q, %q, %q, %d, %q) = %s, want %s", tt.key, tt.appID, tt.userID, tt.exp, tt.nonce, got, tt.want)
		}
	}
	if got, want := appAuthHeader("abc", "app123"), "HMAC-SHA256 signature=abc,access=YXBwMTIz"; got != want {
		t.Errorf("appAuthHeader = %q, want %q", got, want)
	}
}

func TestNonce(t *testing.T) {
	a, b := randomHex(), randomHex()
	if len(a) < 32 || len(a) > 64 || a == b {
		t.Errorf("nonces %q, %q: want two different 32–64 char values", a, b)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		status    int
		code, msg string
		want      Kind
	}{
		{400, "MMC.111072065", "CONF_NOT_FOUND_OR_AUTH_FAILED", KindConferenceNotFound},
		{400, "MMC.111070005", "CONF_DATA_NOT_FOUND", KindConferenceNotFound},
		{400, "", "CONF_DATA_NOT_FOUND", KindConferenceNotFound},
		{400, "MMC.111072005", "", KindNotRunning},
		{409, "MMC.111072006", "", KindMeetingEnded},
		{401, "", "", KindUnauthorized},
		{401, "USG.206020000", "", KindUnauthorized},
		{400, "USG.206020000", "", KindUnauthorized},
		{401, "MMC.118000001", "USER_TOKEN_AUTH_FAILED", KindUnauthorized},
		{403, "", "", KindForbidden},
		{400, "MMC.111070002", "", KindForbidden},
		{400, "MMC.111070010", "", KindForbidden},
		{400, "MMC.111072008", "", KindParticipantNotFound},
		{400, "MMC.111072006", "", KindMeetingEnded},
		{400, "MMC.111071072", "", KindMeetingEnded},
		{400, "MMC.111072003", "", KindMeetingEnded},
		{400, "", "CONF_IS_CLOSING", KindMeetingEnded},
		{400, "MMC.111072050", "", KindMeetingLocked},
		{400, "MMC.111070004", "", KindUnauthorized},
		{400, "MMC.111070111", "", KindUnauthorized},
		{400, "MMC.111071091", "", KindConferenceNotFound},
		{429, "APIG.0308", "", KindRateLimited},
		{400, "XYZ.0308", "", KindBadRequest},
		{429, "", "", KindRateLimited},
		{429, "100000429", "", KindRateLimited},
		{400, "100000429", "", KindRateLimited},
		{400, "MMC.111072064", "", KindLocked},
		{423, "", "", KindLocked},
		{500, "", "", KindServer},
		{503, "", "", KindServer},
		{400, "MMC.111070003", "CONF_EXCEPTION", KindServer},
		{400, "", "", KindBadRequest},
		{404, "", "", KindBadRequest},
		{404, "APIGW.0101", "The API does not exist or has not been published in the environment", KindUnsupported},
		{404, "apig.0101", "", KindUnsupported},
		{400, "MMC.999", "SOMETHING_NEW", KindBadRequest},
		{302, "", "", KindUnknown},
	}
	for _, tt := range tests {
		if got := classify(tt.status, tt.code, tt.msg); got != tt.want {
			t.Errorf("classify(%d, %q, %q) = %v, want %v", tt.status, tt.code, tt.msg, got, tt.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{" 1.5 ", 1500 * time.Millisecond},
		{"0", 0},
		{"-1", 0},
		{"soon", 0},
		{now.Add(7 * time.Second).Format(http.TimeFormat), 7 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestChunks(t *testing.T) {
	ids := []string{"a", "b", "c", "d", "e"}
	tests := []struct {
		n    int
		want [][]string
	}{
		{0, [][]string{ids}},
		{5, [][]string{ids}},
		{10, [][]string{ids}},
		{2, [][]string{{"a", "b"}, {"c", "d"}, {"e"}}},
		{1, [][]string{{"a"}, {"b"}, {"c"}, {"d"}, {"e"}}},
	}
	for _, tt := range tests {
		if got := chunks(ids, tt.n); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("chunks(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
}

func TestValidation(t *testing.T) {
	confs := []struct {
		id string
		ok bool
	}{
		{"914083136", true},
		{"abcXYZ019", true},
		{strings.Repeat("1", 64), true},
		{strings.Repeat("1", 65), false},
		{"", false},
		{"914 083", false},
		{"914&x=1", false},
		{"9140８3", false},
	}
	for _, tt := range confs {
		err := validateConference("op", tt.id)
		if got := err == nil; got != tt.ok {
			t.Errorf("validateConference(%q) ok = %v, want %v (err %v)", tt.id, got, tt.ok, err)
		}
		if err != nil && KindOf(err) != KindBadRequest {
			t.Errorf("validateConference(%q) kind = %v, want bad_request", tt.id, KindOf(err))
		}
	}
	ids := []struct {
		in   []string
		want []string
		ok   bool
	}{
		{[]string{"a", "b", "a", "c", "b"}, []string{"a", "b", "c"}, true},
		{[]string{"x"}, []string{"x"}, true},
		{[]string{}, []string{}, true},
		{[]string{"a", ""}, nil, false},
		{[]string{"a\nb"}, nil, false},
		{[]string{strings.Repeat("p", 129)}, nil, false},
		{[]string{strings.Repeat("p", 128)}, []string{strings.Repeat("p", 128)}, true},
		{[]string{"\xff"}, nil, false},
	}
	for _, tt := range ids {
		got, err := dedupe("hangup", tt.in)
		if (err == nil) != tt.ok || (tt.ok && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("dedupe(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestDecodeRealTimeInfo(t *testing.T) {
	body := `{"participants":[
		{"pid":"p1","name":"Alice","phone":"+861","state":0,"video":1,"mute":0,"hand":0,"extra":{"x":1}},
		{"pid":"p2","name":"Bob","state":"1","video":"0","mute":true,"hand":"1"},
		{"pid":"p1","name":"dup"},
		{"pid":"p3","name":null,"state":2.0}
	],"confInfo":{"chairID":"p1","coHosts":["p2"]},"attendees":[{"name":"x"}]}`
	got, err := decodeRealTimeInfo([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := []Participant{
		{ID: "p1", Name: "Alice", Phone: "+861", State: StateInMeeting, Video: true, Host: true},
		{ID: "p2", Name: "Bob", State: StateCalling, Muted: true, HandRaised: true, CoHost: true},
		{ID: "p3", State: StateJoining},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decodeRealTimeInfo =\n%+v\nwant\n%+v", got, want)
	}

	// Empty meetings: null or absent participants, with a readable confInfo.
	for _, empty := range []string{
		`{"participants":null,"confInfo":{"chairID":"","coHosts":[]}}`,
		`{"participants":[],"confInfo":{}}`,
		`{"confInfo":{"chairID":"x"}}`,
		`{"confInfo":{"chairID":null,"coHosts":null}}`,
		` { "participants" : null , "confInfo" : { "chairID" : "" } } `,
	} {
		if ps, err := decodeRealTimeInfo([]byte(empty)); err != nil || len(ps) != 0 {
			t.Errorf("decodeRealTimeInfo(%s) = %v, %v; want empty, nil", empty, ps, err)
		}
	}

	// Unreadable: not a roster at all, no proof of the host, or a
	// participant list that cannot say who is there.
	ok := `"participants":[{"pid":"a"}]`
	for _, bad := range []string{
		``, `[]`, `null`, `{}`, `{"error_code":"x"}`, `<html>`, `{"attendees":[]}`,
		`{` + ok + `}`,
		`{` + ok + `,"confInfo":null}`,
		`{` + ok + `,"confInfo":[]}`,
		`{` + ok + `,"confInfo":"a"}`,
		`{` + ok + `,"confInfo":{"chairID":12345}}`,
		`{` + ok + `,"confInfo":{"chairID":{"pid":"a"}}}`,
		`{` + ok + `,"confInfo":{"chairID":["a"]}}`,
		`{` + ok + `,"confInfo":{"chairID":true}}`,
		`{` + ok + `,"confInfo":{"coHosts":"a"}}`,
		`{` + ok + `,"confInfo":{"coHosts":[1,2]}}`,
		`{` + ok + `,"confInfo":{"coHosts":["a",null]}}`,
		`{` + ok + `,"confInfo":{"coHosts":{"a":1}}}`,
		`{"participants":{"a":{"pid":"a"}},"confInfo":{}}`,
		`{"participants":"a,b","confInfo":{}}`,
		`{"participants":0,"confInfo":{}}`,
		`{"participants":[{"pid":"a"},"garbage"],"confInfo":{}}`,
		`{"participants":[{"pid":"a"},null],"confInfo":{}}`,
		`{"participants":[{"pid":"a"},{"name":"no pid"}],"confInfo":{}}`,
		`{"participants":[{"pid":"a"},{"pid":""}],"confInfo":{}}`,
		`{"participants":[{"pid":"a"},{"pid":12345}],"confInfo":{}}`,
		`{"participants":[{"pid":"a"},{"pid":null}],"confInfo":{}}`,
		`{"participants":[{"pid":"a"},[]],"confInfo":{}}`,
	} {
		if ps, err := decodeRealTimeInfo([]byte(bad)); err == nil {
			t.Errorf("decodeRealTimeInfo(%s) = %+v, nil; want an error", bad, ps)
		}
	}
}

func TestDecodeConfDetail(t *testing.T) {
	tests := []struct {
		body string
		want confDetail
		ok   bool
	}{
		{`{"conferenceData":{"subject":"S","conferenceState":"Created","passwordEntry":[
			{"conferenceRole":"general","password":"g"},{"conferenceRole":"chair","password":"c"}]},"data":{}}`,
			confDetail{Subject: "S", State: "Created", ChairPassword: "c"}, true},
		{`{"conferenceData":{"subject":"S","conferenceState":"Schedule","passwordEntry":[{"conferenceRole":"general","password":"g"}]}}`,
			confDetail{Subject: "S", State: "Schedule"}, true},
		{`{"conferenceData":{"passwordEntry":{"oops":1},"subject":7}}`, confDetail{Subject: "7"}, true},
		{`{"conferenceData":{"passwordEntry":[{"conferenceRole":"CHAIR","password":123456}]}}`, confDetail{ChairPassword: "123456"}, true},
		{`{}`, confDetail{}, false},
		{`not json`, confDetail{}, false},
	}
	for _, tt := range tests {
		got, err := decodeConfDetail([]byte(tt.body))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("decodeConfDetail(%s) = %+v, %v; want %+v, ok=%v", tt.body, got, err, tt.want, tt.ok)
		}
	}
}

func TestDecodeTokens(t *testing.T) {
	ct, err := decodeControlToken([]byte(`{"data":{"token":"T","expireTime":"1700000000000","confTokenExpireTime":1800,"role":1},"addressToken":"x"}`))
	if want := (controlToken{Token: "T", ExpireMS: 1700000000000, LifetimeS: 1800}); err != nil || ct != want {
		t.Errorf("decodeControlToken = %+v, %v; want %+v", ct, err, want)
	}
	for _, bad := range []string{`{"data":{}}`, `{"data":null}`, `{}`, `"T"`} {
		if _, err := decodeControlToken([]byte(bad)); err == nil {
			t.Errorf("decodeControlToken(%s): want error", bad)
		}
	}
	a, err := decodeAuth([]byte(`{"accessToken":"A","validPeriod":"43200","expireTime":1.7e9,"user":{"userId":"u"}}`))
	if err != nil || a.AccessToken != "A" || a.ValidPeriod != 43200 || a.ExpireTime != 1700000000 {
		t.Errorf("decodeAuth = %+v, %v", a, err)
	}
	if _, err := decodeAuth([]byte(`{"validPeriod":1}`)); err == nil {
		t.Error("decodeAuth without accessToken: want error")
	}
}

func TestDecodeError(t *testing.T) {
	tests := []struct {
		body, code, msg string
	}{
		{`{"error_code":"MMC.111072065","error_msg":"CONF_NOT_FOUND_OR_AUTH_FAILED"}`, "MMC.111072065", "CONF_NOT_FOUND_OR_AUTH_FAILED"},
		{`{"errorCode":"USG.1","errorMsg":"X"}`, "USG.1", "X"},
		{`{"error_code":100000429}`, "100000429", ""},
		{`<html>502</html>`, "", ""},
		{``, "", ""},
		{`{"error_code":"A\u0000B\nC","error_msg":"` + strings.Repeat("x", 500) + `"}`, "ABC", strings.Repeat("x", 200)},
	}
	for _, tt := range tests {
		code, msg := decodeError([]byte(tt.body))
		if code != tt.code || msg != tt.msg {
			t.Errorf("decodeError(%.40s) = %q, %q; want %q, %q", tt.body, code, msg, tt.code, tt.msg)
		}
	}
}

func TestAccessRenewAt(t *testing.T) {
	c := &Client{cfg: Config{AccessTokenMaxAge: 10 * time.Hour}}
	t0 := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name           string
		valid, expires int64
		want           time.Duration
	}{
		{"max age caps a 12 h token", 12 * 3600, 0, 10 * time.Hour},
		{"short validPeriod", 3600, 0, 55 * time.Minute},
		{"very short validPeriod", 600, 0, 9 * time.Minute},
		{"expireTime only", 0, t0.Unix() + 7200, 115 * time.Minute},
		{"nothing given", 0, 0, 10 * time.Hour},
		{"expireTime in the past", 0, t0.Unix() - 60, -60 * time.Second},
	}
	for _, tt := range tests {
		if got := c.accessRenewAt(t0, tt.valid, tt.expires).Sub(t0); got != tt.want {
			t.Errorf("%s: renew after %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestErrorsCarryNoInput(t *testing.T) {
	// Validation errors describe the problem without echoing the input (which
	// may be anything a user typed).
	err := validateConference("op", "secret-ish value")
	if s := fmt.Sprint(err); strings.Contains(s, "secret-ish") {
		t.Errorf("error %q echoes its input", s)
	}
}
