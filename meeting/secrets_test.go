package meeting_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/secret"
)

// TestSecretsNeverLeak runs every error class and the token life cycle with
// debug logging on, then searches every error string and log line for every
// credential that crossed the wire: the app key, the account password, host
// passwords, access and control tokens.
func TestSecretsNeverLeak(t *testing.T) {
	var errs []error
	var logs []string
	var secrets []string
	collect := func(e *env) {
		logs = append(logs, e.logs.String())
		secrets = append(secrets, e.wire.all()...)
		secrets = append(secrets, e.facts.AppKey, e.facts.HostPassword)
	}

	for _, tc := range errorCases() {
		e := newEnv(t, tc.opts)
		if tc.setup != nil {
			tc.setup(e)
		}
		call := tc.call
		if call == nil {
			call = func(ctx context.Context, e *env) error {
				_, err := e.client.Roster(ctx, e.facts.ConferenceID)
				return err
			}
		}
		errs = append(errs, call(ctxT(t), e))
		collect(e)
	}

	// Token life cycle: keep-alive, 401 recovery, re-auth, account auth.
	e := newEnv(t, envOpt{})
	for range 40 {
		_, err := e.client.Roster(ctxT(t), e.facts.ConferenceID)
		errs = append(errs, err)
		e.clock.Advance(time.Minute)
	}
	e.sim.ExpireControlTokens()
	e.sim.ExpireAccessTokens()
	_, err := e.client.Disconnect(ctxT(t), e.facts.ConferenceID, []string{e.others(0)})
	errs = append(errs, err, e.client.Check(ctxT(t)))
	collect(e)

	// The keep-out calls, failing and succeeding, with the bulk move missing.
	e = newEnv(t, envOpt{sim: keepOutLeakOpts})
	conf := e.facts.ConferenceID
	for _, ep := range keepOutEndpoints {
		e.sim.FailNext(ep, 2, keepOutLeakFault)
	}
	for range 2 {
		_, err = e.client.Lock(ctxT(t), conf, true)
		errs = append(errs, err)
		_, err = e.client.MoveToWaitingRoom(ctxT(t), conf, []string{e.others(0)})
		errs = append(errs, err)
		_, err = e.client.Admit(ctxT(t), conf, e.others(0))
		errs = append(errs, err)
		_, err = e.client.AdmitAll(ctxT(t), conf)
		errs = append(errs, err)
	}
	e.sim.ExpireControlTokens()
	_, err = e.client.Lock(ctxT(t), conf, false)
	errs = append(errs, err)
	collect(e)

	acct := newEnv(t, envOpt{cfg: func(c *meeting.Config) {
		c.AppID, c.AppKey = "", secret.String{}
		c.Account, c.Password = "ops@example.com", secret.New("wrong password 42")
	}})
	acct.sim.AddAccount("ops@example.com", "right password 42", acct.facts.UserID)
	errs = append(errs, acct.client.Check(ctxT(t)))
	collect(acct)
	secrets = append(secrets, "wrong password 42", "right password 42")

	if len(secrets) < 6 {
		t.Fatalf("only %d secrets recorded; the wire recorder is not seeing the traffic", len(secrets))
	}
	var texts []string
	for _, err := range errs {
		if err != nil {
			texts = append(texts, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
		}
	}
	texts = append(texts, logs...)
	if !strings.Contains(strings.Join(logs, ""), `"endpoint":"realTimeInfo"`) {
		t.Fatal("no debug log lines captured; the test would prove nothing")
	}
	for _, s := range secrets {
		for _, text := range texts {
			if containsSecret(text, s) {
				t.Errorf("secret %.3s… appears in %q", s, text)
			}
		}
	}
}

// containsSecret reports whether secret appears in text. A short one (a
// six-digit meeting password) counts only where it stands on its own, not
// inside a longer run of letters and digits: random hex request IDs hold
// "222222" now and then (it failed a run so), which is no leak.
func containsSecret(text, secret string) bool {
	if len(secret) >= 16 {
		return strings.Contains(text, secret)
	}
	alnum := func(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	for from := 0; ; {
		i := strings.Index(text[from:], secret)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(secret)
		if (i == 0 || !alnum(text[i-1])) && (end == len(text) || !alnum(text[end])) {
			return true
		}
		from = i + 1
	}
}

func TestContainsSecret(t *testing.T) {
	for _, tc := range []struct {
		text, secret string
		want         bool
	}{
		{`"request_id":"f3a4caee2222223a2b1dfb014a4bfa36"`, "222222", false},
		{`"password":"222222"`, "222222", true},
		{`X-Password: 222222`, "222222", true},
		{`222222`, "222222", true},
		{`pw=2222223`, "222222", false},
		{`tokenabcdef0123456789xyz`, "abcdef0123456789", true}, // a long secret counts anywhere
	} {
		if got := containsSecret(tc.text, tc.secret); got != tc.want {
			t.Errorf("containsSecret(%q, %q) = %v, want %v", tc.text, tc.secret, got, tc.want)
		}
	}
}

// TestLogLines: one debug line per call with endpoint, status, duration and
// request id.
func TestLogLines(t *testing.T) {
	e := newEnv(t, envOpt{})
	if _, err := e.client.Roster(ctxT(t), e.facts.ConferenceID); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(e.logs.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d log lines, want 4 (one per call):\n%s", len(lines), e.logs.String())
	}
	for _, l := range lines {
		for _, field := range []string{`"endpoint":`, `"status":200`, `"duration":`, `"request_id":"`} {
			if !strings.Contains(l, field) {
				t.Errorf("log line %s lacks %s", l, field)
			}
		}
	}
}
