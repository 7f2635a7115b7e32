package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/kickbot/kickbot/bot/slackfake"
	"github.com/kickbot/kickbot/internal/redistest"
	"github.com/kickbot/kickbot/internal/testlog"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// stateOf is /readyz's state field ("" when absent) and its code.
func (s *stack) stateOf() (int, string, string) {
	s.t.Helper()
	code, body, _ := s.get("/readyz")
	var r struct {
		State *string `json:"state"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		s.t.Fatalf("/readyz body %q is not JSON: %v", body, err)
	}
	if r.State == nil {
		return code, "", body
	}
	return code, *r.State, body
}

// Without REDIS_URL the bot says it keeps its state in memory, and /readyz
// is as before: no state field.
func TestServeStateInMemoryWithoutRedisURL(t *testing.T) {
	s := startServe(t, nil, nil)
	s.waitReady(true)
	if !strings.Contains(s.logs.String(), "state: memory (one replica)") {
		t.Errorf("the log does not say the state is in memory:\n%s", s.logs.String())
	}
	if code, st, body := s.stateOf(); code != http.StatusOK || st != "" || strings.Contains(body, "state") {
		t.Errorf("/readyz without Redis = %d %s, want 200 without a state field", code, body)
	}
}

// With REDIS_URL (a password in it) the bot says which Redis and prefix it
// uses without the password; /readyz names Redis; Redis stopped makes
// /readyz 503 naming it, and a kick is refused with the state-store
// wording and no meeting call, while the ack still goes out.
func TestServeWithRedisNamesItAndFailsClosedWhenItStops(t *testing.T) {
	const password = "s3cret-redis-pass"
	srv := redistest.Start(t, redistest.Password(password))
	s := startServe(t, map[string]string{"REDIS_URL": srv.URL(), "KICK_REDIS_PREFIX": redistest.Prefix(t)}, nil)
	s.waitReady(true)
	logs := s.logs.String()
	if !strings.Contains(logs, "state: redis redis://"+srv.Addr()+" prefix kickbot-test:") {
		t.Errorf("the log does not name the Redis host and prefix:\n%s", logs)
	}
	if code, st, body := s.stateOf(); code != http.StatusOK || st != "redis: ok" {
		t.Errorf("/readyz with Redis up = %d %s, want 200 with state \"redis: ok\"", code, body)
	}

	srv.Stop()
	s.waitReady(false)
	if code, st, body := s.stateOf(); code != http.StatusServiceUnavailable || st != "redis: unavailable" {
		t.Errorf("/readyz with Redis stopped = %d %s, want 503 with state \"redis: unavailable\"", code, body)
	}

	conf := meetingtest.SampleConferenceID
	id := s.slashAs(moderator, conf+" "+meetingtest.SampleCarlosPID+" -- spamming")
	if s.f.slack.AckCount(id) != 1 {
		t.Errorf("the /kick was acked %d times, want 1", s.f.slack.AckCount(id))
	}
	reply := s.waitMessage("an outcome", func(m slackfake.Message) bool {
		return m.Channel == modChannel && m.ThreadTS != "" || m.Method == "response_url"
	})
	if txt := strings.Join(reply.Texts(), "\n"); !strings.Contains(txt, "state store is unavailable") {
		t.Errorf("the kick's outcome does not say the state store is unavailable:\n%s", txt)
	}
	if ids := s.f.sim.HangUpIDs(conf); len(ids) != 0 {
		t.Errorf("the meeting was asked to disconnect %v with Redis down, want nothing", ids)
	}
	if err := s.stop(); err != nil {
		t.Errorf("serve: %v", err)
	}
	if logs := s.logs.String(); strings.Contains(logs, password) {
		t.Errorf("the log holds the Redis password")
	}
}

// go-redis's own log lines go through zerolog without the URL or its
// password, even when go-redis quotes them.
func TestRedisLoggerScrubsTheURLAndPassword(t *testing.T) {
	const raw = "rediss://kick:p%40ss+w0rd@redis.internal:6380/2"
	var buf testlog.Buffer
	l := redisLogger{log: zerolog.New(&buf), secrets: urlSecrets(raw)}
	l.Printf(context.Background(), "redis: dial %s failed (password %s, raw %s)", "redis.internal:6380", "p@ss+w0rd", raw)
	l.Printf(context.Background(), "auth with %q", "p%40ss+w0rd")
	out := buf.String()
	for _, secret := range []string{"p@ss+w0rd", "p%40ss+w0rd", raw} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "redis.internal:6380") || !strings.Contains(out, `"level":"warn"`) {
		t.Errorf("the log lost what go-redis said:\n%s", out)
	}
	if got := redisHost(raw); got != "rediss://redis.internal:6380" {
		t.Errorf("redisHost = %q, want rediss://redis.internal:6380", got)
	}
}
