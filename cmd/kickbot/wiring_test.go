package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/kickbot/kickbot/bot"
	"github.com/kickbot/kickbot/config"
	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/metrics"
	"github.com/kickbot/kickbot/secret"
)

// The metrics serve wires in satisfy the interfaces the bot and the meeting
// client declare themselves (not a copy of them, which could go stale).
var (
	_ bot.Metrics       = (*metrics.Metrics)(nil)
	_ bot.ActionMetrics = (*metrics.Metrics)(nil) // lock/unlock counts (issue 13)
	_ meeting.Observer  = (*metrics.Metrics)(nil)
)

// The meeting client as serve wires it must not follow a redirect: it
// would carry the X-Access-Token / X-Conference-Authorization headers, which
// Go does not strip, to another host.
func TestWiredMeetingClientRefusesRedirects(t *testing.T) {
	var reached atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
	}))
	defer elsewhere.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer api.Close()

	cfg := config.Config{
		MeetingAPIURL: api.URL, MeetingAppID: "app", MeetingAppKey: secret.New("key"),
		MeetingUserID: "user", MeetingTimeout: 2 * time.Second,
	}
	mc, err := meeting.New(meetingConfig(cfg, zerolog.Nop()))
	if err != nil {
		t.Fatal(err)
	}
	defer mc.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := mc.Check(ctx); err == nil {
		t.Errorf("Check succeeded through a redirect")
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("the redirect target received %d requests; credentials would have left the meeting host", n)
	}
}
