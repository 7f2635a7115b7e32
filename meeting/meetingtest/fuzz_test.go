package meetingtest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// FuzzHandler sends arbitrary bodies and header values to every endpoint: the
// simulator must always answer with a JSON object, with Huawei's error body
// on failure, and never panic (a recovered panic would show as SIMULATOR_PANIC).
func FuzzHandler(f *testing.F) {
	f.Add(0, `{"bulkHangUpParticipants":["a"]}`, "tok")
	f.Add(0, `{"bulkHangUpParticipants":[1,{"x":null}]}`, "Basic !!")
	f.Add(1, `{"appId":"app1","clientType":72,"expireTime":0,"nonce":"0123456789abcdef0123456789abcdef"}`, "HMAC-SHA256 signature=zz,access=%%")
	f.Add(2, `{"account":"a","clientType":"x"}`, "Basic YTpi")
	f.Add(3, ``, "")
	f.Add(4, `null`, "HMAC-SHA256 ")
	f.Add(5, `[[[[`, "Basic ")
	f.Add(1, `{"appId":"app1","clientType":72,"expireTime":-9223372036854775808,"nonce":"0123456789abcdef0123456789abcdef0"}`, "HMAC-SHA256 signature=,")
	paths := []string{
		meetingtest.PathHangUp, meetingtest.PathAppAuth, meetingtest.PathAccountAuth,
		meetingtest.PathControlToken, meetingtest.PathRealTimeInfo, meetingtest.PathConfDetail, "/nope",
	}
	srv := meetingtest.NewServer()
	defer srv.Close()
	srv.Sample()
	h := srv.Handler()
	f.Fuzz(func(t *testing.T, which int, body, header string) {
		if which < 0 {
			which = -which
		}
		path := paths[which%len(paths)]
		for _, method := range []string{http.MethodPost, http.MethodGet} {
			req := httptest.NewRequest(method, path+"?conferenceID="+meetingtest.SampleConferenceID+"&limit=7", strings.NewReader(body))
			for _, k := range []string{"Authorization", "X-Conference-Authorization", "X-Access-Token", "X-Password", "X-Request-ID"} {
				req.Header.Set(k, strings.Map(func(r rune) rune {
					if r < 0x20 || r == 0x7f {
						return -1
					}
					return r
				}, header))
			}
			req.Header.Set("X-Login-Type", "1")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			var m map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
				t.Fatalf("%s %s: got body %q, want a JSON object", method, path, rec.Body.String())
			}
			if rec.Code >= 300 {
				if _, ok := m["error_code"].(string); !ok {
					t.Fatalf("%s %s: got %d %q, want error_code", method, path, rec.Code, rec.Body.String())
				}
			}
			if m["error_msg"] == "SIMULATOR_PANIC" {
				t.Fatalf("%s %s: the simulator panicked on body %q header %q", method, path, body, header)
			}
		}
		srv.ResetCalls() // keep memory flat over a long fuzz run
	})
}
