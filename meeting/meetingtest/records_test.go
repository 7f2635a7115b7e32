package meetingtest_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/kickbot/kickbot/meeting/meetingtest"
)

func TestCallRecordsHoldNoSecret(t *testing.T) {
	e := newEnv(t)
	f := e.srv.Sample()

	// Drive every endpoint, successfully and not, with secrets in every header.
	h, b := appAuthRequest{appID: f.AppID, key: f.AppKey, userID: f.UserID, nonce: nonce32, clientType: 72}.headersBody()
	signature := strings.TrimPrefix(strings.Split(h["Authorization"], ",")[0], "HMAC-SHA256 signature=")
	r := e.do(http.MethodPost, meetingtest.PathAppAuth, h, b)
	access, _ := r.body["accessToken"].(string)
	refresh, _ := r.body["refreshToken"].(string)
	accountAuth := basic(f.Account + ":" + f.AccountPassword)
	e.do(http.MethodPost, meetingtest.PathAccountAuth, map[string]string{"Authorization": accountAuth},
		`{"account":"`+f.Account+`","clientType":72}`)
	e.do(http.MethodPost, meetingtest.PathAccountAuth, map[string]string{"Authorization": accountAuth}, `{garbage`)
	e.do(http.MethodPost, "/v1/usg/acs/auth/acount", map[string]string{"Authorization": accountAuth}, `{"password":"`+f.AccountPassword+`"}`)
	e.do(http.MethodGet, meetingtest.PathConfDetail+"?conferenceID="+f.ConferenceID, map[string]string{"X-Access-Token": access}, "")
	ctl := e.mustControlToken(f.ConferenceID, f.HostPassword)
	kept := e.controlToken(f.ConferenceID, "", ctl)
	ctl2 := tokenOf(kept)
	e.controlToken(f.ConferenceID, "wrong-password-guess", "")
	// A careless client putting a secret in the query string.
	e.do(http.MethodGet, meetingtest.PathControlToken+"?conferenceID="+f.ConferenceID+"&password="+f.HostPassword,
		map[string]string{"X-Login-Type": "1", "X-Password": f.HostPassword}, "")
	e.realTimeInfo(f.ConferenceID, basic(ctl2))
	e.hangUp(f.ConferenceID, ctl2, hangUpBody(meetingtest.SampleCarlosPID))

	secrets := map[string]string{
		"app key": f.AppKey, "signature": signature, "access token": access, "refresh token": refresh,
		"account password": f.AccountPassword, "account Authorization": strings.TrimPrefix(accountAuth, "Basic "),
		"host password": f.HostPassword, "guest password": f.GuestPassword, "wrong password": "wrong-password-guess",
		"control token": ctl, "kept-alive control token": ctl2, "Basic control token": base64.StdEncoding.EncodeToString([]byte(ctl2)),
		"nonce": nonce32,
	}
	calls := e.srv.Calls()
	if len(calls) != 11 {
		t.Fatalf("got %d calls, want 11", len(calls))
	}
	dump := fmt.Sprintf("%+v", calls)
	for _, c := range calls {
		dump += string(c.Body) + c.Query
	}
	for name, s := range secrets {
		if s == "" {
			t.Fatalf("%s: empty; the flow above did not produce it", name)
		}
		if strings.Contains(dump, s) {
			t.Errorf("call records contain the %s", name)
		}
	}
	// What the records are for is still there.
	last := calls[len(calls)-1]
	if last.Endpoint != meetingtest.EndpointHangUp || last.ConferenceID != f.ConferenceID || last.Status != 200 ||
		len(last.HangUpIDs) != 1 || last.HangUpIDs[0] != meetingtest.SampleCarlosPID || !strings.Contains(string(last.Body), meetingtest.SampleCarlosPID) {
		t.Fatalf("got last call %+v, want the hang-up with its pid, body and status", last)
	}
}
