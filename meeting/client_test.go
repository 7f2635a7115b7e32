package meeting_test

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/meeting/meetingtest"
	"github.com/kickbot/kickbot/secret"
)

type counts = map[meetingtest.Endpoint]int

const (
	epAppAuth  = meetingtest.EndpointAppAuth
	epAccount  = meetingtest.EndpointAccountAuth
	epDetail   = meetingtest.EndpointConfDetail
	epToken    = meetingtest.EndpointControlToken
	epRealTime = meetingtest.EndpointRealTimeInfo
	epHangUp   = meetingtest.EndpointHangUp
)

func TestNewNeedsCredentials(t *testing.T) {
	tests := []struct {
		name string
		cfg  meeting.Config
		ok   bool
	}{
		{"nothing", meeting.Config{}, false},
		{"app id without key", meeting.Config{AppID: "a"}, false},
		{"account without password", meeting.Config{Account: "a"}, false},
		{"app id", meeting.Config{AppID: "a", AppKey: secret.New("k"), BaseURL: "https://x"}, true},
		{"account", meeting.Config{Account: "a", Password: secret.New("p"), BaseURL: "https://x"}, true},
		{"no url", meeting.Config{AppID: "a", AppKey: secret.New("k")}, false},
		{"bad url", meeting.Config{AppID: "a", AppKey: secret.New("k"), BaseURL: "ftp://x"}, false},
	}
	for _, tt := range tests {
		c, err := meeting.New(tt.cfg)
		if got := err == nil; got != tt.ok {
			t.Errorf("%s: New err = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if c != nil {
			c.CloseIdleConnections()
		}
	}
}

func TestRoster(t *testing.T) {
	e := newEnv(t, envOpt{})
	r, err := e.client.Roster(ctxT(t), e.facts.ConferenceID)
	if err != nil {
		t.Fatalf("Roster: %v", err)
	}
	if r.ConferenceID != e.facts.ConferenceID || r.Subject != "Weekly all-hands" {
		t.Errorf("roster header = %q %q, want %q %q", r.ConferenceID, r.Subject, e.facts.ConferenceID, "Weekly all-hands")
	}
	if !r.ReadAt.Equal(e.clock.Now()) {
		t.Errorf("ReadAt = %v, want the client clock's %v", r.ReadAt, e.clock.Now())
	}
	if r.RequestID == "" {
		t.Error("RequestID is empty")
	}
	online := e.sim.Online(e.facts.ConferenceID)
	if got, want := len(r.Participants), len(online); got != want {
		t.Fatalf("got %d participants, want %d (simulator's online list)", got, want)
	}
	for _, p := range online {
		got, ok := r.ByID(p.ID)
		if !ok {
			t.Errorf("participant %s (%q) missing from roster", p.ID, p.Name)
			continue
		}
		want := meeting.Participant{
			ID: p.ID, Name: p.Name, Phone: p.Phone, State: meeting.State(p.State),
			Video: p.Video, Muted: p.Muted, HandRaised: p.Hand,
			Host: p.ID == e.facts.Host.ID, CoHost: p.ID == e.facts.CoHost.ID,
		}
		if got != want {
			t.Errorf("participant %s:\n got %+v\nwant %+v", p.ID, got, want)
		}
	}
	if h, _ := r.ByID(e.facts.Host.ID); !h.Host || !h.Protected() || h.Name != "Alice Chen" {
		t.Errorf("host = %+v, want Alice Chen marked Host", h)
	}
	if c, _ := r.ByID(e.facts.CoHost.ID); !c.CoHost || c.Host {
		t.Errorf("co-host = %+v, want CoHost only", c)
	}
}

func TestDisconnect(t *testing.T) {
	e := newEnv(t, envOpt{})
	a, b := e.others(0), e.others(1)
	res, err := e.client.Disconnect(ctxT(t), e.facts.ConferenceID, []string{a, b, a})
	if err != nil {
		t.Fatalf("Disconnect: %v", err)
	}
	if want := []string{a, b}; !reflect.DeepEqual(res.Requested, want) || !reflect.DeepEqual(res.Gone, want) {
		t.Errorf("Requested %v Gone %v, want both %v", res.Requested, res.Gone, want)
	}
	if len(res.StillPresent) != 0 || len(res.RequestIDs) != 1 || res.RequestIDs[0] == "" {
		t.Errorf("StillPresent %v RequestIDs %q, want none and one id", res.StillPresent, res.RequestIDs)
	}
	if res.After == nil {
		t.Fatal("After is nil")
	}
	for _, id := range []string{a, b} {
		if _, ok := res.After.ByID(id); ok {
			t.Errorf("%s still in After roster", id)
		}
		if slices.ContainsFunc(e.sim.Online(e.facts.ConferenceID), func(p meetingtest.P) bool { return p.ID == id }) {
			t.Errorf("%s still online in the simulator", id)
		}
	}
	if got, want := e.sim.HangUpIDs(e.facts.ConferenceID), []string{a, b}; !reflect.DeepEqual(got, want) {
		t.Errorf("hang-up ids sent %v, want %v (one call, de-duplicated)", got, want)
	}
}

// TestKickCallCost measures the HTTP calls of one kick (Roster, then
// Disconnect of one participant) with cold and with warm caches.
func TestKickCallCost(t *testing.T) {
	e := newEnv(t, envOpt{})
	kick := func(id string) counts {
		e.sim.ResetCalls()
		if _, err := e.client.Roster(ctxT(t), e.facts.ConferenceID); err != nil {
			t.Fatalf("Roster: %v", err)
		}
		if _, err := e.client.Disconnect(ctxT(t), e.facts.ConferenceID, []string{id}); err != nil {
			t.Fatalf("Disconnect: %v", err)
		}
		return e.counts()
	}
	cold := kick(e.others(0))
	wantCold := counts{epAppAuth: 1, epDetail: 1, epToken: 1, epRealTime: 2, epHangUp: 1}
	if !maps.Equal(cold, wantCold) {
		t.Errorf("cold kick calls %v, want %v", cold, wantCold)
	}
	warm := kick(e.others(1))
	wantWarm := counts{epRealTime: 2, epHangUp: 1}
	if !maps.Equal(warm, wantWarm) {
		t.Errorf("warm kick calls %v, want %v", warm, wantWarm)
	}
	t.Logf("kick (Roster + Disconnect): cold %v, warm %v", cold, warm)
	if e.obs.get(e.obs.cache, "control hit") == 0 || e.obs.get(e.obs.calls, "hangup") != 2 {
		t.Errorf("observer saw cache %v calls %v; want control hits and 2 hang-ups", e.obs.cache, e.obs.calls)
	}
}

func TestAccountAuth(t *testing.T) {
	e := newEnv(t, envOpt{cfg: func(c *meeting.Config) {
		c.AppID, c.AppKey = "", secret.String{}
		c.Account, c.Password = "ops@example.com", secret.New("correct horse battery")
	}})
	e.sim.AddAccount("ops@example.com", "correct horse battery", e.facts.UserID)
	if _, err := e.client.Roster(ctxT(t), e.facts.ConferenceID); err != nil {
		t.Fatalf("Roster with account auth: %v", err)
	}
	if got := e.counts(); got[epAccount] != 1 || got[epAppAuth] != 0 {
		t.Errorf("calls %v, want one account auth and no appauth", got)
	}
}

func TestCheck(t *testing.T) {
	e := newEnv(t, envOpt{})
	for range 3 {
		if err := e.client.Check(ctxT(t)); err != nil {
			t.Fatalf("Check: %v", err)
		}
	}
	if got := e.sim.CallCount(epAppAuth); got != 1 {
		t.Errorf("appauth calls = %d, want 1 (cached after the first Check)", got)
	}
	bad := newEnv(t, envOpt{cfg: func(c *meeting.Config) { c.AppKey = secret.New("wrong key") }})
	if err := bad.client.Check(ctxT(t)); meeting.KindOf(err) != meeting.KindUnauthorized {
		t.Errorf("Check with a wrong key = %v, want unauthorized", err)
	}
}

// TestRequestHeaders checks what goes on the wire: our X-Request-ID on every
// call, the documented auth headers, and the control token as a raw value.
func TestRequestHeaders(t *testing.T) {
	e := newEnv(t, envOpt{})
	if _, err := e.client.Disconnect(ctxT(t), e.facts.ConferenceID, []string{e.others(0)}); err != nil {
		t.Fatal(err)
	}
	hs := e.wire.requestHeaders()
	if len(hs) != 5 {
		t.Fatalf("%d requests, want 5 (appauth, confDetail, token, hangup, realTimeInfo)", len(hs))
	}
	for i, h := range hs {
		if len(h.Get("X-Request-ID")) < 16 {
			t.Errorf("request %d: X-Request-ID %q, want a generated id", i, h.Get("X-Request-ID"))
		}
	}
	if a := hs[0].Get("Authorization"); !strings.HasPrefix(a, "HMAC-SHA256 signature=") || !strings.Contains(a, ",access=") ||
		hs[0].Get("X-Token-Type") != "LongTicket" {
		t.Errorf("appauth headers %v", hs[0])
	}
	if hs[1].Get("X-Access-Token") == "" {
		t.Error("confDetail without X-Access-Token")
	}
	if hs[2].Get("X-Password") != e.facts.HostPassword || hs[2].Get("X-Login-Type") != "1" {
		t.Errorf("token request: X-Password/X-Login-Type not the host password / 1")
	}
	tok := hs[3].Get("X-Conference-Authorization")
	if tok == "" || strings.HasPrefix(tok, "Basic ") || hs[4].Get("X-Conference-Authorization") != tok {
		t.Errorf("control calls must carry the same raw control token")
	}
}

func TestPrintingHidesSecrets(t *testing.T) {
	e := newEnv(t, envOpt{cfg: func(c *meeting.Config) { c.Password = secret.New("account-password-123") }})
	if _, err := e.client.Roster(ctxT(t), e.facts.ConferenceID); err != nil {
		t.Fatal(err)
	}
	secrets := append(e.wire.all(), e.facts.AppKey, "account-password-123")
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for name, v := range map[string]any{"Config": e.cfg, "*Config": &e.cfg, "*Client": e.client} {
			out := fmt.Sprintf(verb, v)
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("%s printed with %s reveals a secret: %s", name, verb, out)
				}
			}
		}
	}
}
