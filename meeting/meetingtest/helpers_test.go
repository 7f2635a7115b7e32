package meetingtest_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kickbot/kickbot/meeting/meetingtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// t0 is the fake clock's start: any fixed instant works.
var t0 = time.Date(2025, 11, 25, 9, 0, 0, 0, time.UTC)

// nonce32 is a valid (32-char) appauth nonce.
const nonce32 = "0123456789abcdef0123456789abcdef"

// env is one simulator plus a plain net/http client to drive it.
type env struct {
	t     *testing.T
	srv   *meetingtest.Server
	clock *meetingtest.FakeClock
	hc    *http.Client
}

func newEnv(t *testing.T, opts ...meetingtest.Option) *env {
	t.Helper()
	clock := meetingtest.NewFakeClock(t0)
	srv := meetingtest.NewServer(append([]meetingtest.Option{meetingtest.WithClock(clock)}, opts...)...)
	hc := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	t.Cleanup(func() {
		hc.CloseIdleConnections()
		srv.Close()
	})
	return &env{t: t, srv: srv, clock: clock, hc: hc}
}

// reply is a decoded response.
type reply struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r reply) errorCode() string { s, _ := r.body["error_code"].(string); return s }

func (e *env) do(method, path string, h map[string]string, body string) reply {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL()+path, rd)
	if err != nil {
		e.t.Fatalf("new request: %v", err)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("read body: %v", err)
	}
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		e.t.Fatalf("%s %s: body is not a JSON object: %q", method, path, raw)
	}
	return r
}

// appAuthRequest builds a valid appauth request (new header form).
type appAuthRequest struct {
	appID, key, userID, nonce string
	expire                    int64
	clientType                int
}

func (a appAuthRequest) headersBody() (map[string]string, string) {
	sig := meetingtest.SignAppAuth(a.appID, a.userID, a.expire, a.nonce, a.key)
	h := map[string]string{
		"Authorization": "HMAC-SHA256 signature=" + sig + ",access=" + base64.StdEncoding.EncodeToString([]byte(a.appID)),
		"X-Token-Type":  "LongTicket",
		"Content-Type":  "application/json; charset=UTF-8",
	}
	b, _ := json.Marshal(map[string]any{
		"appId": a.appID, "clientType": a.clientType, "expireTime": a.expire, "nonce": a.nonce, "userId": a.userID,
	})
	return h, string(b)
}

// accessToken logs in with App ID auth and returns the access token.
func (e *env) accessToken(appID, key, userID string) string {
	e.t.Helper()
	h, b := appAuthRequest{appID: appID, key: key, userID: userID, nonce: nonce32, clientType: 72}.headersBody()
	r := e.do(http.MethodPost, meetingtest.PathAppAuth, h, b)
	tok, _ := r.body["accessToken"].(string)
	if r.status != http.StatusOK || tok == "" {
		e.t.Fatalf("appauth: got %d %s, want 200 with a token", r.status, r.raw)
	}
	return tok
}

// controlToken asks for a control token; returns the reply.
func (e *env) controlToken(conf, password, current string) reply {
	e.t.Helper()
	h := map[string]string{"X-Login-Type": "1"}
	if password != "" {
		h["X-Password"] = password
	}
	if current != "" {
		h["X-Conference-Authorization"] = current
	}
	return e.do(http.MethodGet, meetingtest.PathControlToken+"?conferenceID="+conf, h, "")
}

func tokenOf(r reply) string {
	d, _ := r.body["data"].(map[string]any)
	s, _ := d["token"].(string)
	return s
}

// mustControlToken returns a control token or fails the test.
func (e *env) mustControlToken(conf, password string) string {
	e.t.Helper()
	r := e.controlToken(conf, password, "")
	if tok := tokenOf(r); r.status != http.StatusOK || tok == "" {
		e.t.Fatalf("control token: got %d %s, want 200 with a token", r.status, r.raw)
	}
	return tokenOf(r)
}

func (e *env) realTimeInfo(conf, auth string) reply {
	e.t.Helper()
	return e.do(http.MethodGet, meetingtest.PathRealTimeInfo+"?conferenceID="+conf,
		map[string]string{"X-Conference-Authorization": auth}, "")
}

func (e *env) hangUp(conf, auth, body string) reply {
	e.t.Helper()
	return e.do(http.MethodPost, meetingtest.PathHangUp+"?conferenceID="+conf,
		map[string]string{"X-Conference-Authorization": auth, "Content-Type": "application/json"}, body)
}

func hangUpBody(ids ...string) string {
	b, _ := json.Marshal(map[string][]string{"bulkHangUpParticipants": ids})
	return string(b)
}

// pids lists the pids of a realTimeInfo reply's participants.
func pids(r reply) []string {
	ps, _ := r.body["participants"].([]any)
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		m, _ := p.(map[string]any)
		s, _ := m["pid"].(string)
		out = append(out, s)
	}
	return out
}

func onlineIDs(ps []meetingtest.P) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

func basic(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
