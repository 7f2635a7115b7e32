package meetingtest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/kickbot/kickbot/meeting/meetingtest"
)

func TestThreeThousandParticipants(t *testing.T) {
	e := newEnv(t)
	e.srv.AddConference("555").Passwords("111111", "x").Host(meetingtest.P{ID: "host", Name: "Host"}).Participants(3000)
	tok := e.mustControlToken("555", "111111")
	got := pids(e.realTimeInfo("555", tok))
	if len(got) != 3001 {
		t.Fatalf("got %d participants, want 3001", len(got))
	}
	online := e.srv.Online("555")
	if online[1].Name != "Participant 0001" || online[3000].Name != "Participant 3000" || len(online[1].ID) != 32 {
		t.Fatalf("got %+v … %+v, want Participant 0001 … Participant 3000 with 32-hex pids", online[1], online[3000])
	}
	// Deterministic: a second server generates the same pids.
	other := meetingtest.NewServer()
	defer other.Close()
	other.AddConference("555").Host(meetingtest.P{ID: "host"}).Participants(3000)
	if o := other.Online("555"); o[2999].ID != online[2999].ID {
		t.Fatalf("got pid %s on a second server, want %s", o[2999].ID, online[2999].ID)
	}
	// Hang up 2,000 of them in one call.
	ids := make([]string, 0, 2000)
	for _, p := range online[1:2001] {
		ids = append(ids, p.ID)
	}
	if r := e.hangUp("555", tok, hangUpBody(ids...)); r.status != 200 {
		t.Fatalf("bulk hang-up: got %d %s, want 200", r.status, r.raw)
	}
	if got := pids(e.realTimeInfo("555", tok)); len(got) != 1001 || got[1] != online[2001].ID {
		t.Fatalf("got %d left starting %v, want 1001 starting with %s", len(got), got[:2], online[2001].ID)
	}
}

// TestConcurrentUse exercises the simulator from many goroutines at once, for
// the race detector: roster reads, joins, leaves, hang-ups, faults and records.
func TestConcurrentUse(t *testing.T) {
	e := newEnv(t)
	e.srv.AddConference("555").Passwords("111111", "x").Participants(200)
	tok := e.mustControlToken("555", "111111")
	online := e.srv.Online("555")
	e.srv.RateLimit(meetingtest.EndpointConfDetail, 1000)
	e.srv.FailNext(meetingtest.EndpointRealTimeInfo, 5, meetingtest.Fault{Status: 503})

	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Go(func() {
			for i := range 25 {
				req, _ := http.NewRequest(http.MethodGet, e.srv.URL()+meetingtest.PathRealTimeInfo+"?conferenceID=555", nil)
				req.Header.Set("X-Conference-Authorization", tok)
				resp, err := e.hc.Do(req)
				if err != nil {
					errs <- err
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 && resp.StatusCode != 503 {
					errs <- fmt.Errorf("realTimeInfo: got %d, want 200 or 503", resp.StatusCode)
				}
				p := online[g*25+i]
				body := hangUpBody(p.ID)
				req, _ = http.NewRequest(http.MethodPost, e.srv.URL()+meetingtest.PathHangUp+"?conferenceID=555", strings.NewReader(body))
				req.Header.Set("X-Conference-Authorization", tok)
				if resp, err = e.hc.Do(req); err != nil {
					errs <- err
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				e.srv.Join("555", meetingtest.P{ID: fmt.Sprintf("j%d-%d", g, i), Name: "Joiner"})
				_ = e.srv.Calls()
				_ = e.srv.Online("555")
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// All 200 generated participants were hung up; the 200 joiners remain.
	if got := len(e.srv.Online("555")); got != 200 {
		t.Fatalf("got %d online, want the 200 joiners", got)
	}
	if got := e.srv.CallCount(meetingtest.EndpointHangUp); got != 200 {
		t.Fatalf("got %d hang-up calls, want 200", got)
	}
}

// BenchmarkRealTimeInfo3000 measures one realTimeInfo of a 3,000-person
// meeting through the handler (no network), the simulator's hot path.
func BenchmarkRealTimeInfo3000(b *testing.B) {
	srv := meetingtest.NewServer()
	defer srv.Close()
	srv.AddConference("555").Passwords("111111", "x").Participants(3000)
	h := srv.Handler()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, meetingtest.PathControlToken+"?conferenceID=555", nil)
	req.Header.Set("X-Login-Type", "1")
	req.Header.Set("X-Password", "111111")
	h.ServeHTTP(rec, req)
	tok := strings.Split(strings.Split(rec.Body.String(), `"token":"`)[1], `"`)[0]
	req = httptest.NewRequest(http.MethodGet, meetingtest.PathRealTimeInfo+"?conferenceID=555", nil)
	req.Header.Set("X-Conference-Authorization", tok)
	srv.ResetCalls()
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("got %d, want 200", rec.Code)
		}
	}
}
