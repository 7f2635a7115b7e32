package slackfake

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

func newAPI(fake *Server, token string) *slack.Client {
	return slack.New(token, slack.OptionAPIURL(fake.APIURL()))
}

func TestPostThreadUpdatePermalink(t *testing.T) {
	fake := NewT(t)
	api := newAPI(fake, DefaultBotToken)
	ctx := ctxT(t)

	section := slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "Jane &lt;x&gt;", false, false), nil, nil)
	ch, parent, err := api.PostMessageContext(ctx, "C42", slack.MsgOptionText("kicking", false), slack.MsgOptionBlocks(section, slack.NewDividerBlock()))
	if err != nil {
		t.Fatal(err)
	}
	_, reply, err := api.PostMessageContext(ctx, "C42", slack.MsgOptionText("done", false), slack.MsgOptionTS(parent))
	if err != nil {
		t.Fatal(err)
	}
	if ch != "C42" || !(reply > parent) || len(parent) != len("1700000000.000100") {
		t.Errorf("channel=%q parent=%q reply=%q, want C42 and increasing Slack-style ts", ch, parent, reply)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "C42", parent, slack.MsgOptionText("kicked", false), slack.MsgOptionBlocks()); err != nil {
		t.Fatal(err)
	}
	link, err := api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: "C42", Ts: parent})
	if err != nil {
		t.Fatal(err)
	}
	if want := Permalink("C42", parent); link != want || !strings.HasPrefix(link, "https://fake.slack/archives/C42/p") {
		t.Errorf("permalink = %q, want %q", link, want)
	}
	if _, err := api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: "C42", Ts: "1.2"}); asSlackErr(err) != "message_not_found" {
		t.Errorf("permalink of unknown ts: %v, want message_not_found", err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "C42", "1.2", slack.MsgOptionText("x", false)); asSlackErr(err) != "message_not_found" {
		t.Errorf("update of unknown ts: %v, want message_not_found", err)
	}

	msgs := fake.Messages()
	if len(msgs) != 3 {
		t.Fatalf("messages = %d, want 3", len(msgs))
	}
	if got := msgs[0]; got.Method != "chat.postMessage" || got.BlockCount() != 2 || got.Texts()[1] != "Jane &lt;x&gt;" {
		t.Errorf("first message = %+v (blocks %d, texts %q)", got, got.BlockCount(), got.Texts())
	}
	if th := fake.Thread("C42", parent); len(th) != 1 || th[0].Text != "done" || th[0].TS != reply {
		t.Errorf("thread = %+v, want the one reply", th)
	}
	if got := msgs[2]; got.Method != "chat.update" || got.TS != parent || got.BlockCount() != 0 {
		t.Errorf("update record = %+v", got)
	}
	if cur, ok := fake.Current("C42", parent); !ok || cur.Text != "kicked" || cur.Blocks != nil {
		t.Errorf("current parent = %+v, want text kicked and no blocks", cur)
	}
	if got := fake.Calls("chat.update"); got != 2 {
		t.Errorf("chat.update calls = %d, want 2", got)
	}
}

func TestWebAPIErrors(t *testing.T) {
	fake := NewT(t)
	fake.SetNotInChannel("CPRIV")
	fake.SetUsergroup("SMODS", "U1", "U2")
	ctx := ctxT(t)
	api := newAPI(fake, DefaultBotToken)
	tooMany := make([]slack.Block, 51)
	for i := range tooMany {
		tooMany[i] = slack.NewDividerBlock()
	}

	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"not in channel", func() error {
			_, _, err := api.PostMessageContext(ctx, "CPRIV", slack.MsgOptionText("x", false))
			return err
		}, "not_in_channel"},
		{"ephemeral not in channel", func() error {
			_, err := api.PostEphemeralContext(ctx, "CPRIV", "U1", slack.MsgOptionText("x", false))
			return err
		}, "not_in_channel"},
		{"too many blocks", func() error {
			_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionBlocks(tooMany...))
			return err
		}, "invalid_blocks"},
		{"no text", func() error {
			_, _, err := api.PostMessageContext(ctx, "C1")
			return err
		}, "no_text"},
		{"unknown usergroup", func() error {
			_, err := api.GetUserGroupMembersContext(ctx, "SNOPE")
			return err
		}, "no_such_subteam"},
		{"wrong bot token", func() error {
			_, err := newAPI(fake, "xoxb-wrong").AuthTestContext(ctx)
			return err
		}, "invalid_auth"},
		{"app token as bot token", func() error {
			_, err := newAPI(fake, DefaultAppToken).AuthTestContext(ctx)
			return err
		}, "not_allowed_token_type"},
		{"unknown user", func() error {
			_, err := api.GetUserInfoContext(ctx, "UNOPE")
			return err
		}, "user_not_found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := asSlackErr(tc.call()); got != tc.want {
				t.Errorf("error = %q, want %q", got, tc.want)
			}
		})
	}
	if got := len(fake.Messages()); got != 0 {
		t.Errorf("messages recorded for failed calls = %d, want 0", got)
	}
}

func TestLookups(t *testing.T) {
	fake := NewT(t, WithBotUserID("UKICK"))
	fake.SetUsergroup("SMODS", "U1", "U2")
	fake.SetNotInChannel("CPRIV")
	fake.SetChannel(Channel{ID: "CPRIV", Name: "secret", IsPrivate: true})
	fake.SlashCommand(Slash{UserID: "U9", UserName: "carol", ChannelID: "C5", ChannelName: "mods"})
	ctx := ctxT(t)
	api := newAPI(fake, DefaultBotToken)

	auth, err := api.AuthTestContext(ctx)
	if err != nil || auth.UserID != "UKICK" || auth.TeamID != DefaultTeamID || auth.BotID != DefaultBotID {
		t.Errorf("auth.test = %+v, %v", auth, err)
	}
	members, err := api.GetUserGroupMembersContext(ctx, "SMODS")
	if err != nil || strings.Join(members, ",") != "U1,U2" {
		t.Errorf("members = %v, %v; want U1,U2", members, err)
	}
	u, err := api.GetUserInfoContext(ctx, "U9")
	if err != nil || u.Name != "carol" || u.ID != "U9" {
		t.Errorf("users.info = %+v, %v", u, err)
	}
	ch, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "C5"})
	if err != nil || ch.Name != "mods" || !ch.IsMember || ch.IsPrivate {
		t.Errorf("conversations.info C5 = %+v, %v", ch, err)
	}
	ch, err = api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "CPRIV"})
	if err != nil || ch.IsMember || !ch.IsPrivate {
		t.Errorf("conversations.info CPRIV member=%v private=%v, %v; want false true", ch.IsMember, ch.IsPrivate, err)
	}
}

func TestScriptedFaults(t *testing.T) {
	clock := NewManualClock(time.Unix(1700000000, 0))
	fake := NewT(t, WithClock(clock))
	ctx := ctxT(t)
	api := newAPI(fake, DefaultBotToken)
	post := func(ctx context.Context) error {
		_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false))
		return err
	}

	fake.RateLimitNext("chat.postMessage", 1, 1500*time.Millisecond)
	var rl *slack.RateLimitedError
	if err := post(ctx); !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
		t.Errorf("rate limited: %v, want *slack.RateLimitedError with RetryAfter 2s (rounded up)", err)
	}
	fake.FailNextHTTP("chat.postMessage", 1, 503)
	var sc slack.StatusCodeError
	if err := post(ctx); !errors.As(err, &sc) || sc.Code != 503 {
		t.Errorf("http fail: %v, want StatusCodeError 503", err)
	}
	fake.FailNext("chat.postMessage", 2, "fatal_error")
	for range 2 {
		if got := asSlackErr(post(ctx)); got != "fatal_error" {
			t.Errorf("fail next: %q, want fatal_error", got)
		}
	}
	// The scripted Retry-After binds like a real one: 2 s on the clock must pass first.
	if err := post(ctx); !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
		t.Errorf("post while the scripted Retry-After runs: %v, want RetryAfter 2s", err)
	}
	clock.Advance(2 * time.Second)
	if err := post(ctx); err != nil {
		t.Errorf("after the scripted faults: %v, want success", err)
	}
	if got := fake.Calls("chat.postMessage"); got != 6 {
		t.Errorf("calls = %d, want 6", got)
	}
	if got := fake.LimitStats(); got != (LimitStats{RateLimited: 2, DuringRetryAfter: 4}) {
		t.Errorf("limit stats = %+v, want 2 rate limited and 4 calls during the Retry-After", got)
	}

	fake.SetLatency("chat.postMessage", time.Minute)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := post(short); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("latency: %v after %v, want deadline exceeded quickly", err, time.Since(start))
	}
	fake.SetLatency("chat.postMessage", 0)
	if got := len(fake.Messages()); got != 1 {
		t.Errorf("messages = %d, want 1 (only the successful post)", got)
	}
}

func TestConnectionsOpenRateLimitedThenConnects(t *testing.T) {
	fake := NewT(t)
	fake.RateLimitNext("apps.connections.open", 1, time.Second)
	c := startClient(t, fake, clientOpt{})
	e := c.next(socketmode.EventTypeConnectionError)
	var rl *slack.RateLimitedError
	if ce, ok := e.Data.(*slack.ConnectionErrorEvent); !ok || !errors.As(ce.ErrorObj, &rl) {
		t.Errorf("connection error = %#v, want rate limited", e.Data)
	}
	c.next(socketmode.EventTypeHello)
	if got := fake.Calls("apps.connections.open"); got != 2 {
		t.Errorf("apps.connections.open calls = %d, want 2", got)
	}
}

func TestResponseURL(t *testing.T) {
	fake := NewT(t, WithResponseURLLimit(2))
	c := startClient(t, fake, clientOpt{})
	id := fake.SlashCommand(Slash{UserID: "U1", ChannelID: "C1", Text: "914083136"})
	cmd := c.next(socketmode.EventTypeSlashCommand).Data.(slack.SlashCommand)
	ctx := ctxT(t)

	blocks := slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "Busy", false, false), nil, nil))
	if _, _, err := c.api.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(cmd.ResponseURL, slack.ResponseTypeEphemeral),
		slack.MsgOptionText("busy, try again", false), blocks); err != nil {
		t.Fatal(err)
	}
	if err := slack.PostWebhookContext(ctx, cmd.ResponseURL, &slack.WebhookMessage{Text: "replaced", ReplaceOriginal: true}); err != nil {
		t.Fatal(err)
	}
	if err := slack.PostWebhookContext(ctx, cmd.ResponseURL, &slack.WebhookMessage{Text: "third"}); err == nil {
		t.Error("third use of a response_url limited to 2 succeeded")
	}
	m, err := fake.WaitMessage(ctx, func(m Message) bool { return m.Method == "response_url" })
	if err != nil {
		t.Fatal(err)
	}
	if m.EnvelopeID != id || m.ResponseType != "ephemeral" || m.Text != "busy, try again" || m.BlockCount() != 1 || m.User != "U1" || m.Channel != "C1" {
		t.Errorf("response_url message = %+v", m)
	}
	all, err := fake.WaitMessages(ctx, 2, func(m Message) bool { return m.Method == "response_url" })
	if err != nil || !all[1].ReplaceOriginal || all[1].Text != "replaced" {
		t.Errorf("second response_url message = %+v, %v", all, err)
	}
	if got := fake.Calls("response_url"); got != 3 {
		t.Errorf("response_url calls = %d, want 3", got)
	}
}

func TestConcurrentPostsGetUniqueIncreasingTS(t *testing.T) {
	// 200 posts at once to one channel test ts ordering, not Slack's per-channel rate.
	fake := NewT(t, WithoutRateLimit("chat.postMessage"))
	api := newAPI(fake, DefaultBotToken)
	ctx := ctxT(t)
	const n = 200
	errs := make(chan error, n)
	for range n {
		go func() {
			_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false))
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	msgs := fake.Messages()
	if len(msgs) != n {
		t.Fatalf("messages = %d, want %d", len(msgs), n)
	}
	for i := 1; i < n; i++ {
		if !(msgs[i].TS > msgs[i-1].TS) || msgs[i].At.Before(msgs[i-1].At) {
			t.Fatalf("message %d ts %s at %v not after %s at %v", i, msgs[i].TS, msgs[i].At, msgs[i-1].TS, msgs[i-1].At)
		}
	}
}
