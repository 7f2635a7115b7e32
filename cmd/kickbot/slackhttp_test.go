package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// echoReply is a chat.postMessage reply as Slack sends it: the message is
// echoed, with its blocks.
func echoReply(blocks int) string {
	var bs []string
	for i := range blocks {
		bs = append(bs, fmt.Sprintf(`{"type":"section","block_id":"b%d","text":{"type":"mrkdwn","text":"*Participant %d* <@U%05d> disconnected","verbatim":false},`+
			`"accessory":{"type":"button","action_id":"kick","text":{"type":"plain_text","text":"Disconnect","emoji":true},"value":"v%d","style":"danger",`+
			`"confirm":{"title":{"type":"plain_text","text":"Sure?"},"text":{"type":"mrkdwn","text":"Really?"},"confirm":{"type":"plain_text","text":"Yes"},"deny":{"type":"plain_text","text":"No"}}}}`, i, i, i, i))
	}
	return `{"ok":true,"channel":"C1","ts":"1700000000.000100","message":{"type":"message","user":"UBOT","text":"done","ts":"1700000000.000100",` +
		`"blocks":[` + strings.Join(bs, ",") + `]},"warning":"superfluous_charset","response_metadata":{"warnings":["superfluous_charset"]}}`
}

// slackAt is a slack-go client using kickbot's transport against h.
func slackAt(t testing.TB, h http.HandlerFunc) *slack.Client {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c := slackHTTPClient(2)
	t.Cleanup(c.CloseIdleConnections)
	return slack.New("xoxb-test", slack.OptionHTTPClient(c), slack.OptionAPIURL(srv.URL+"/api/"))
}

// What kickbot reads of a post or an update, and every kind of failure,
// is the same with the echo dropped.
func TestDropEchoKeepsWhatSlackGoReturns(t *testing.T) {
	ctx := context.Background()
	var reply string
	var status int
	var header http.Header
	api := slackAt(t, func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, reply)
	})

	reply, status = echoReply(10), http.StatusOK
	ch, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("done", false))
	if err != nil || ch != "C1" || ts != "1700000000.000100" {
		t.Errorf("post: got %q %q %v, want C1 1700000000.000100 <nil>", ch, ts, err)
	}
	reply = strings.Replace(echoReply(3), `"text":"done","ts"`, `"text":"done","ts"`, 1)
	ch, ts, text, err := api.UpdateMessageContext(ctx, "C1", "1700000000.000100", slack.MsgOptionText("done", false))
	if err != nil || ch != "C1" || ts != "1700000000.000100" {
		t.Errorf("update: got %q %q %q %v", ch, ts, text, err)
	}

	reply = `{"ok":false,"error":"channel_not_found","response_metadata":{"messages":["[ERROR] no"]}}`
	_, _, err = api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false))
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "channel_not_found" || len(se.ResponseMetadata.Messages) != 1 {
		t.Errorf("refusal: got %#v, want channel_not_found with its metadata", err)
	}

	reply, status, header = `{"ok":false,"error":"ratelimited"}`, http.StatusTooManyRequests, http.Header{"Retry-After": {"7"}}
	_, _, err = api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 7*time.Second {
		t.Errorf("429: got %#v, want RetryAfter 7s", err)
	}

	reply, status, header = `<html>oops</html>`, http.StatusBadGateway, nil
	_, _, err = api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false))
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != http.StatusBadGateway {
		t.Errorf("502: got %#v", err)
	}

	reply, status = `not json`, http.StatusOK
	if _, _, err = api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false)); err == nil {
		t.Error("a reply that is not JSON posted fine")
	}
}

// A Slack that stops answering, before its headers or in the middle of a
// reply, fails the call once the transport's timeout has passed (as the
// client's Timeout did), instead of holding it until Slack lets go.
func TestDropEchoBoundsEachCall(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/auth.test") {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"ok":true,`) // half a reply
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-release:
		case <-time.After(10 * time.Second): // without a timeout, the calls end here, not with the deadline
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	api := slack.New("xoxb-test", slack.OptionHTTPClient(&http.Client{Transport: dropEcho{next: tr, timeout: 100 * time.Millisecond}}),
		slack.OptionAPIURL(srv.URL+"/api/"))

	_, _, err := api.PostMessageContext(context.Background(), "C1", slack.MsgOptionText("x", false))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("no headers (chat.postMessage): got %v, want the deadline exceeded", err)
	}
	_, err = api.AuthTestContext(context.Background())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("half a reply (auth.test): got %v, want the deadline exceeded", err)
	}
}

func TestWithoutMessage(t *testing.T) {
	got := withoutMessage([]byte(echoReply(2)))
	var m map[string]any
	if err := json.Unmarshal(got, &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["message"]; ok || m["ok"] != true || m["ts"] != "1700000000.000100" || m["warning"] != "superfluous_charset" || m["response_metadata"] == nil {
		t.Errorf("got %s", got)
	}
	odd := withoutMessage([]byte(`{"ok":true,"a\"b<":[1, 2],"message":{"text":"x"},"n":null}`))
	m = nil
	if err := json.Unmarshal(odd, &m); err != nil || len(m) != 3 || m["a\"b<"] == nil || m["ok"] != true {
		t.Errorf("odd keys: got %s (%v)", odd, err)
	}
	for _, c := range []struct{ in, want string }{
		{`{"message":{"a":1},"ok":true}`, `{"ok":true}`},
		{`{"ok":true,"message":{"a":1}}`, `{"ok":true}`},
		{`{"message":{"a":1}}`, `{}`},
		{` { "ok" : true , "message" : { "t" : "}\"{[" , "b" : [ {} , "]" ] } , "ts" : "1.2" } `, ` { "ok" : true ,  "ts" : "1.2" } `},
		{`{"ok":false,"message":null,"n":-1.5e3}`, `{"ok":false,"n":-1.5e3}`},
		{`{"messages":[1],"message":"x"}`, `{"messages":[1]}`},
		{`{"m\"essage":1,"message":2}`, `{"m\"essage":1}`},
	} {
		if got := withoutMessage([]byte(c.in)); string(got) != c.want {
			t.Errorf("%s became %s, want %s", c.in, got, c.want)
		}
	}
	for _, b := range []string{`{"ok":true,"ts":"1"}`, `[1]`, `nope`, ``, `{}`, `{"message":`, `{"message":{"a":1}`,
		`{"message":{"a":1}} x`, `{"message" 1}`, `{"ok":true "message":1}`, `{"message":"x}`} {
		if got := withoutMessage([]byte(b)); string(got) != b {
			t.Errorf("%q became %q", b, got)
		}
	}
}

// BenchmarkWithoutMessage is dropping the echo of a 3-block message from a
// chat.postMessage reply (copied first each time: the drop is in place).
func BenchmarkWithoutMessage(b *testing.B) {
	reply := []byte(echoReply(3))
	buf := make([]byte, len(reply))
	b.ReportAllocs()
	for b.Loop() {
		copy(buf, reply)
		if got := withoutMessage(buf); len(got) >= len(reply) {
			b.Fatal("nothing dropped")
		}
	}
}

// BenchmarkPostReply is one chat.postMessage through slack-go whose reply
// echoes a 10-block message, with kickbot's transport (drop) and without.
func BenchmarkPostReply(b *testing.B) {
	reply := echoReply(10)
	for _, drop := range []bool{false, true} {
		b.Run(fmt.Sprintf("drop=%v", drop), func(b *testing.B) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, reply)
			}))
			defer srv.Close()
			c := slackHTTPClient(2)
			defer c.CloseIdleConnections()
			if !drop {
				c.Transport = c.Transport.(dropEcho).next
			}
			api := slack.New("xoxb-test", slack.OptionHTTPClient(c), slack.OptionAPIURL(srv.URL+"/api/"))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := api.PostMessageContext(context.Background(), "C1", slack.MsgOptionText("done", false)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
