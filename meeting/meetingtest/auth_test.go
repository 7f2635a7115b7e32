package meetingtest_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kickbot/kickbot/meeting/meetingtest"
)

func TestAppAuthSignature(t *testing.T) {
	e := newEnv(t)
	e.srv.AddApp("app1", "key1", "u1")
	valid := appAuthRequest{appID: "app1", key: "key1", userID: "u1", nonce: nonce32, expire: t0.Add(10 * time.Minute).Unix(), clientType: 72}

	tests := []struct {
		name       string
		mutate     func(h map[string]string, body string) (map[string]string, string)
		req        appAuthRequest
		wantStatus int
		wantCode   string
	}{
		{name: "valid new form", req: valid, wantStatus: 200},
		{name: "uppercase hex accepted", req: valid, mutate: func(h map[string]string, b string) (map[string]string, string) {
			sig := meetingtest.SignAppAuth("app1", "u1", valid.expire, nonce32, "key1")
			h["Authorization"] = "HMAC-SHA256 signature=" + strings.ToUpper(sig)
			return h, b
		}, wantStatus: 200},
		{name: "old form: no access, no X-Token-Type", req: valid, mutate: func(h map[string]string, b string) (map[string]string, string) {
			sig := meetingtest.SignAppAuth("app1", "u1", valid.expire, nonce32, "key1")
			return map[string]string{"Authorization": "HMAC-SHA256 signature=" + sig}, b
		}, wantStatus: 200},
		{name: "expireTime 0 never expires", req: func() appAuthRequest { r := valid; r.expire = 0; return r }(), wantStatus: 200},
		{name: "no userId: acts as the app's default user", req: func() appAuthRequest { r := valid; r.userID = ""; return r }(), wantStatus: 200},
		{name: "nonce of 64 chars", req: func() appAuthRequest { r := valid; r.nonce = nonce32 + nonce32; return r }(), wantStatus: 200},
		{name: "bad signature", req: func() appAuthRequest { r := valid; r.key = "wrong"; return r }(), wantStatus: 401, wantCode: meetingtest.CodeAppIDCheckFailed},
		{name: "expireTime in the past", req: func() appAuthRequest { r := valid; r.expire = t0.Add(-time.Second).Unix(); return r }(), wantStatus: 401, wantCode: meetingtest.CodeAppIDAuthExpired},
		{name: "nonce of 31 chars", req: func() appAuthRequest { r := valid; r.nonce = nonce32[:31]; return r }(), wantStatus: 400, wantCode: meetingtest.CodeAppIDCheckFailed},
		{name: "nonce of 65 chars", req: func() appAuthRequest { r := valid; r.nonce = nonce32 + nonce32 + "x"; return r }(), wantStatus: 400, wantCode: meetingtest.CodeAppIDCheckFailed},
		{name: "unknown app", req: func() appAuthRequest { r := valid; r.appID = "nope"; return r }(), wantStatus: 401, wantCode: meetingtest.CodeAppIDCheckFailed},
		{name: "userId signed but not sent", req: valid, mutate: func(h map[string]string, b string) (map[string]string, string) {
			return h, strings.Replace(b, `"userId":"u1"`, `"userId":""`, 1)
		}, wantStatus: 401, wantCode: meetingtest.CodeAppIDCheckFailed},
		{name: "access names another app", req: valid, mutate: func(h map[string]string, b string) (map[string]string, string) {
			h["Authorization"] = strings.Split(h["Authorization"], ",")[0] + ",access=" + base64.StdEncoding.EncodeToString([]byte("app2"))
			return h, b
		}, wantStatus: 401, wantCode: meetingtest.CodeAppIDCheckFailed},
		{name: "no Authorization", req: valid, mutate: func(h map[string]string, b string) (map[string]string, string) {
			delete(h, "Authorization")
			return h, b
		}, wantStatus: 401, wantCode: meetingtest.CodeAppIDCheckFailed},
		{name: "garbage body", req: valid, mutate: func(h map[string]string, _ string) (map[string]string, string) {
			return h, "{not json"
		}, wantStatus: 400, wantCode: meetingtest.CodeAppIDCheckFailed},
		{name: "missing clientType", req: valid, mutate: func(h map[string]string, b string) (map[string]string, string) {
			return h, strings.Replace(b, `"clientType":72,`, ``, 1)
		}, wantStatus: 400, wantCode: meetingtest.CodeAppIDCheckFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, b := tt.req.headersBody()
			if tt.mutate != nil {
				h, b = tt.mutate(h, b)
			}
			r := e.do(http.MethodPost, meetingtest.PathAppAuth, h, b)
			if r.status != tt.wantStatus || r.errorCode() != tt.wantCode {
				t.Fatalf("got %d %q (%s), want %d %q", r.status, r.errorCode(), r.raw, tt.wantStatus, tt.wantCode)
			}
			if tt.wantStatus == 200 {
				tok, _ := r.body["accessToken"].(string)
				exp, _ := r.body["expireTime"].(float64)
				if tok == "" || int64(exp) != t0.Add(12*time.Hour).Unix() {
					t.Fatalf("got token %q expireTime %v, want a token expiring at %d", tok, exp, t0.Add(12*time.Hour).Unix())
				}
			}
		})
	}
}

func TestAccountAuth(t *testing.T) {
	e := newEnv(t)
	e.srv.AddAccount("alice@example.com", "Correct-Horse-1", "u1")
	body := `{"account":"alice@example.com","clientType":72}`
	tests := []struct {
		name, auth, body string
		wantStatus       int
		wantCode         string
	}{
		{"valid", basic("alice@example.com:Correct-Horse-1"), body, 200, ""},
		{"wrong password", basic("alice@example.com:nope"), body, 401, meetingtest.CodeAccountAuthFailed},
		{"unknown account", basic("bob@example.com:Correct-Horse-1"), `{"account":"bob@example.com","clientType":72}`, 401, meetingtest.CodeAccountAuthFailed},
		{"no Authorization", "", body, 401, meetingtest.CodeAccountAuthFailed},
		{"not base64", "Basic !!!", body, 401, meetingtest.CodeAccountAuthFailed},
		{"body names another account", basic("alice@example.com:Correct-Horse-1"), `{"account":"bob@example.com","clientType":72}`, 401, meetingtest.CodeAccountAuthFailed},
		{"missing clientType", basic("alice@example.com:Correct-Horse-1"), `{"account":"alice@example.com"}`, 400, meetingtest.CodeAccountAuthFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{"Content-Type": "application/json;charset=UTF-8"}
			if tt.auth != "" {
				h["Authorization"] = tt.auth
			}
			r := e.do(http.MethodPost, meetingtest.PathAccountAuth, h, tt.body)
			if r.status != tt.wantStatus || r.errorCode() != tt.wantCode {
				t.Fatalf("got %d %q (%s), want %d %q", r.status, r.errorCode(), r.raw, tt.wantStatus, tt.wantCode)
			}
		})
	}
	// The account's token acts as its user: a meeting scheduled by u1 shows it the chair password.
	e.srv.AddConference("555").Scheduler("u1").Passwords("111111", "222222")
	r := e.do(http.MethodPost, meetingtest.PathAccountAuth, map[string]string{"Authorization": basic("alice@example.com:Correct-Horse-1")}, body)
	tok, _ := r.body["accessToken"].(string)
	d := e.do(http.MethodGet, meetingtest.PathConfDetail+"?conferenceID=555", map[string]string{"X-Access-Token": tok}, "")
	if got := passwords(d); got["chair"] != "111111" {
		t.Fatalf("got passwords %v, want the chair password for the scheduler's account", got)
	}
}

func TestAccessTokenExpiresOnTheClock(t *testing.T) {
	e := newEnv(t, meetingtest.WithAccessTokenTTL(time.Hour))
	e.srv.AddApp("app1", "key1", "u1")
	e.srv.AddConference("555")
	detail := func(tok string) reply {
		return e.do(http.MethodGet, meetingtest.PathConfDetail+"?conferenceID=555", map[string]string{"X-Access-Token": tok}, "")
	}
	tok := e.accessToken("app1", "key1", "u1")
	steps := []struct {
		name       string
		advance    time.Duration
		expireAll  bool
		wantStatus int
	}{
		{"fresh", 0, false, 200},
		{"59 minutes later", 59 * time.Minute, false, 200},
		{"61 minutes later", 2 * time.Minute, false, 401},
	}
	for _, st := range steps {
		e.clock.Advance(st.advance)
		r := detail(tok)
		if r.status != st.wantStatus {
			t.Fatalf("%s: got %d %s, want %d", st.name, r.status, r.raw, st.wantStatus)
		}
		if st.wantStatus == 401 && r.errorCode() != meetingtest.CodeAccessTokenInvalid {
			t.Fatalf("%s: got code %q, want %q", st.name, r.errorCode(), meetingtest.CodeAccessTokenInvalid)
		}
	}
	tok = e.accessToken("app1", "key1", "u1")
	if r := detail(tok); r.status != 200 {
		t.Fatalf("new token: got %d, want 200", r.status)
	}
	e.srv.ExpireAccessTokens()
	if r := detail(tok); r.status != 401 || r.errorCode() != meetingtest.CodeAccessTokenInvalid {
		t.Fatalf("after ExpireAccessTokens: got %d %q, want 401 %q", r.status, r.errorCode(), meetingtest.CodeAccessTokenInvalid)
	}
	for _, h := range []map[string]string{{}, {"X-Access-Token": "made-up"}} {
		if r := e.do(http.MethodGet, meetingtest.PathConfDetail+"?conferenceID=555", h, ""); r.status != 401 {
			t.Fatalf("headers %v: got %d, want 401", h, r.status)
		}
	}
}

func TestAccessTokenPerUserLimit(t *testing.T) {
	tests := []struct {
		name       string
		clientType int
		issue      int
		wantAlive  []bool // per issued token, oldest first (only the ends are checked)
	}{
		{"API caller keeps 64", 72, 65, []bool{false, true}},
		{"API caller below the limit", 72, 64, []bool{true, true}},
		{"other client types keep 1", 0, 2, []bool{false, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.srv.AddApp("app1", "key1", "u1")
			e.srv.AddConference("555")
			var toks []string
			for range tt.issue {
				h, b := appAuthRequest{appID: "app1", key: "key1", userID: "u1", nonce: nonce32, clientType: tt.clientType}.headersBody()
				r := e.do(http.MethodPost, meetingtest.PathAppAuth, h, b)
				tok, _ := r.body["accessToken"].(string)
				toks = append(toks, tok)
			}
			for i, tok := range []string{toks[0], toks[len(toks)-1]} {
				r := e.do(http.MethodGet, meetingtest.PathConfDetail+"?conferenceID=555", map[string]string{"X-Access-Token": tok}, "")
				if alive := r.status == 200; alive != tt.wantAlive[i] {
					t.Fatalf("token %d: got alive=%v (%d), want %v", i, alive, r.status, tt.wantAlive[i])
				}
			}
		})
	}
}

func passwords(r reply) map[string]string {
	out := map[string]string{}
	cd, _ := r.body["conferenceData"].(map[string]any)
	pe, _ := cd["passwordEntry"].([]any)
	for _, x := range pe {
		m, _ := x.(map[string]any)
		role, _ := m["conferenceRole"].(string)
		pw, _ := m["password"].(string)
		out[role] = pw
	}
	return out
}

func TestConfDetail(t *testing.T) {
	e := newEnv(t)
	e.srv.AddApp("app1", "key1", "") // default user ""
	e.srv.AddConference("555").Subject("Standup").Scheduler("sched").Passwords("111111", "222222")
	e.srv.AddConference("666").Scheduled().Passwords("333333", "444444") // no scheduler: not modelled
	tests := []struct {
		name, user, conf string
		wantStatus       int
		wantCode         string
		wantState        string
		wantPasswords    map[string]string
	}{
		{"scheduler sees chair and general", "sched", "555", 200, "", "Created", map[string]string{"chair": "111111", "general": "222222"}},
		{"someone else sees only general", "other", "555", 200, "", "Created", map[string]string{"general": "222222"}},
		{"default user is not the scheduler", "", "555", 200, "", "Created", map[string]string{"general": "222222"}},
		{"no scheduler set: everyone sees chair", "other", "666", 200, "", "Schedule", map[string]string{"chair": "333333", "general": "444444"}},
		{"unknown meeting", "sched", "999", 400, meetingtest.CodeConfDataNotFound, "", map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := e.accessToken("app1", "key1", tt.user)
			r := e.do(http.MethodGet, meetingtest.PathConfDetail+"?conferenceID="+tt.conf, map[string]string{"X-Access-Token": tok}, "")
			if r.status != tt.wantStatus || r.errorCode() != tt.wantCode {
				t.Fatalf("got %d %q (%s), want %d %q", r.status, r.errorCode(), r.raw, tt.wantStatus, tt.wantCode)
			}
			cd, _ := r.body["conferenceData"].(map[string]any)
			if got, _ := cd["conferenceState"].(string); got != tt.wantState {
				t.Fatalf("got state %q, want %q", got, tt.wantState)
			}
			got := passwords(r)
			if len(got) != len(tt.wantPasswords) {
				t.Fatalf("got passwords %v, want %v", got, tt.wantPasswords)
			}
			for k, v := range tt.wantPasswords {
				if got[k] != v {
					t.Fatalf("got passwords %v, want %v", got, tt.wantPasswords)
				}
			}
		})
	}
}

func TestSampleFlowsThroughEveryEndpoint(t *testing.T) {
	e := newEnv(t)
	f := e.srv.Sample()
	tok := e.accessToken(f.AppID, f.AppKey, f.UserID)
	d := e.do(http.MethodGet, meetingtest.PathConfDetail+"?conferenceID="+f.ConferenceID, map[string]string{"X-Access-Token": tok}, "")
	cd, _ := d.body["conferenceData"].(map[string]any)
	if subj, _ := cd["subject"].(string); subj != "Weekly all-hands" || passwords(d)["chair"] != f.HostPassword {
		t.Fatalf("got subject %q passwords %v, want the sample's", subj, passwords(d))
	}
	ctl := e.mustControlToken(f.ConferenceID, passwords(d)["chair"])
	rt := e.realTimeInfo(f.ConferenceID, ctl)
	got := pids(rt)
	if len(got) != 2+len(f.Others) {
		t.Fatalf("got %d participants, want %d", len(got), 2+len(f.Others))
	}
	ci, _ := rt.body["confInfo"].(map[string]any)
	co, _ := ci["coHosts"].([]any)
	if ci["chairID"] != meetingtest.SampleHostPID || len(co) != 1 || co[0] != meetingtest.SampleCoHostPID {
		t.Fatalf("got confInfo %v, want chair %s and co-host %s", ci, meetingtest.SampleHostPID, meetingtest.SampleCoHostPID)
	}
	names := map[string]int{}
	byPID := map[string]map[string]any{}
	for _, p := range rt.body["participants"].([]any) {
		m := p.(map[string]any)
		names[m["name"].(string)]++
		byPID[m["pid"].(string)] = m
		if len(m["pid"].(string)) != 32 {
			t.Fatalf("got pid %q, want 32 hex chars", m["pid"])
		}
	}
	if names["Jane Doe"] != 2 || names["<!channel>"] != 1 {
		t.Fatalf("got names %v, want two Jane Doe and one <!channel>", names)
	}
	if byPID[meetingtest.SamplePhonePID]["phone"] != "+8613800000000" || byPID[meetingtest.SampleCallingPID]["state"] != 1.0 ||
		byPID[meetingtest.SampleHandPID]["hand"] != 1.0 || byPID[meetingtest.SampleHandPID]["mute"] != 1.0 {
		t.Fatalf("got %v / %v / %v, want phone, calling state, hand and mute as seeded",
			byPID[meetingtest.SamplePhonePID], byPID[meetingtest.SampleCallingPID], byPID[meetingtest.SampleHandPID])
	}
	if att, _ := rt.body["attendees"].([]any); len(att) != 2+len(f.Others) {
		t.Fatalf("got %d attendees, want %d", len(att), 2+len(f.Others))
	}
	// Account auth works for the sample too.
	r := e.do(http.MethodPost, meetingtest.PathAccountAuth,
		map[string]string{"Authorization": basic(f.Account + ":" + f.AccountPassword)},
		`{"account":"`+f.Account+`","clientType":72}`)
	if r.status != 200 {
		t.Fatalf("sample account auth: got %d %s, want 200", r.status, r.raw)
	}
}
