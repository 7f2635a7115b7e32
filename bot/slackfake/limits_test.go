package slackfake

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

var epoch = time.Unix(1700000000, 0)

func postText(ctx context.Context, api *slack.Client, channel, text string) error {
	_, _, err := api.PostMessageContext(ctx, channel, slack.MsgOptionText(text, false))
	return err
}

// retryAfter is the Retry-After slack-go saw, or -1 if err is not a *slack.RateLimitedError.
func retryAfter(err error) time.Duration {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return rl.RetryAfter
	}
	return -1
}

func TestPostMessageLimitIsPerChannelWithShortBurst(t *testing.T) {
	clock := NewManualClock(epoch)
	fake := NewT(t, WithClock(clock))
	api := newAPI(fake, DefaultBotToken)
	ctx := ctxT(t)

	for i := range 3 {
		if err := postText(ctx, api, "C1", "burst"); err != nil {
			t.Fatalf("post %d of the burst of 3: %v", i+1, err)
		}
	}
	if got := retryAfter(postText(ctx, api, "C1", "fourth")); got != time.Second {
		t.Fatalf("4th post at once in C1: RetryAfter %v, want *slack.RateLimitedError with 1s", got)
	}
	if err := postText(ctx, api, "C2", "other channel"); err != nil {
		t.Errorf("post in C2 while C1 is throttled: %v, want success (limit is per channel)", err)
	}
	clock.Advance(999 * time.Millisecond)
	if got := retryAfter(postText(ctx, api, "C1", "too early")); got != time.Second {
		t.Errorf("post 999ms into a 1s Retry-After: RetryAfter %v, want 1s", got)
	}
	clock.Advance(time.Millisecond)
	if err := postText(ctx, api, "C1", "after"); err != nil {
		t.Errorf("post once the Retry-After ran out: %v", err)
	}
	// One message a second is the sustained rate: the next one right away is refused again.
	if got := retryAfter(postText(ctx, api, "C1", "again")); got != time.Second {
		t.Errorf("post right after: RetryAfter %v, want 1s", got)
	}

	var seen []string
	for _, m := range fake.Messages() {
		seen = append(seen, m.Channel+":"+m.Text)
	}
	if want := []string{"C1:burst", "C1:burst", "C1:burst", "C2:other channel", "C1:after"}; !slices.Equal(seen, want) {
		t.Errorf("messages users see = %q, want %q", seen, want)
	}
	if got := fake.LimitStats(); got != (LimitStats{RateLimited: 3, DuringRetryAfter: 1}) {
		t.Errorf("limit stats = %+v, want 3 rate limited, 1 call during a Retry-After", got)
	}
	log := fake.CallLog()
	if len(log) != 8 {
		t.Fatalf("call log has %d calls, want 8", len(log))
	}
	if c := log[3]; c.Status != http.StatusTooManyRequests || c.Error != "ratelimited" || c.RetryAfter != time.Second || c.DuringRetryAfter {
		t.Errorf("4th call = %+v, want 429 ratelimited, RetryAfter 1s, not during a Retry-After", c)
	}
	if c := log[5]; !c.DuringRetryAfter || c.Channel != "C1" || !c.At.Equal(epoch.Add(999*time.Millisecond)) {
		t.Errorf("early call = %+v, want during the Retry-After, C1, at +999ms", c)
	}
	if c := log[4]; c.DuringRetryAfter || c.Status != http.StatusOK || c.Error != "" {
		t.Errorf("C2 call = %+v, want 200 ok, not during a Retry-After", c)
	}
}

func TestUpdateIsTier3AppWide(t *testing.T) {
	clock := NewManualClock(epoch)
	fake := NewT(t, WithClock(clock), WithoutRateLimit("chat.postMessage")) // setting up 6 messages
	api := newAPI(fake, DefaultBotToken)
	ctx := ctxT(t)
	var ts []string
	for _, ch := range []string{"C1", "C2", "C3", "C4", "C5", "C6"} {
		_, t1, err := api.PostMessageContext(ctx, ch, slack.MsgOptionText("x", false))
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, t1)
	}
	update := func(i int) error {
		_, _, _, err := api.UpdateMessageContext(ctx, []string{"C1", "C2", "C3", "C4", "C5", "C6"}[i], ts[i], slack.MsgOptionText("updated", false))
		return err
	}
	for i := range 5 {
		if err := update(i); err != nil {
			t.Fatalf("update %d of the burst of 5: %v", i+1, err)
		}
	}
	// Tier 3 is one per 1.2 s after the burst; Retry-After is whole seconds, rounded up.
	if got := retryAfter(update(5)); got != 2*time.Second {
		t.Errorf("6th update at once (another channel): RetryAfter %v, want 2s (limit is app-wide)", got)
	}
	clock.Advance(2 * time.Second)
	if err := update(5); err != nil {
		t.Errorf("update after the Retry-After: %v", err)
	}
	if cur, _ := fake.Current("C6", ts[5]); cur.Text != "updated" {
		t.Errorf("C6 message now reads %q, want updated", cur.Text)
	}
}

func TestPermalinkAndUsergroupLimits(t *testing.T) {
	clock := NewManualClock(epoch)
	fake := NewT(t, WithClock(clock))
	fake.SetUsergroup("SMODS", "U1")
	api := newAPI(fake, DefaultBotToken)
	ctx := ctxT(t)
	_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false))
	if err != nil {
		t.Fatal(err)
	}

	for i := range 3 {
		if _, err := api.GetUserGroupMembersContext(ctx, "SMODS"); err != nil {
			t.Fatalf("usergroups.users.list %d: %v", i+1, err)
		}
	}
	if _, err := api.GetUserGroupMembersContext(ctx, "SMODS"); retryAfter(err) != 3*time.Second {
		t.Errorf("4th usergroups.users.list: %v, want Retry-After 3s (Tier 2: 20/min)", err)
	}

	link := func() error {
		_, err := api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: "C1", Ts: ts})
		return err
	}
	for i := range 5 {
		if err := link(); err != nil {
			t.Fatalf("chat.getPermalink %d: %v", i+1, err)
		}
	}
	if got := retryAfter(link()); got != 2*time.Second {
		t.Errorf("6th chat.getPermalink: RetryAfter %v, want 2s (Tier 3)", got)
	}
	clock.Advance(3 * time.Second)
	if _, err := api.GetUserGroupMembersContext(ctx, "SMODS"); err != nil {
		t.Errorf("usergroups.users.list after its Retry-After: %v", err)
	}
	if err := link(); err != nil {
		t.Errorf("chat.getPermalink after its Retry-After: %v", err)
	}
}

func TestRateLimitAsBodyError(t *testing.T) {
	clock := NewManualClock(epoch)
	fake := NewT(t, WithClock(clock), WithRateLimitBodyError(true))
	ctx := ctxT(t)
	api := newAPI(fake, DefaultBotToken)
	for range 3 {
		if err := postText(ctx, api, "C1", "x"); err != nil {
			t.Fatal(err)
		}
	}
	err := postText(ctx, api, "C1", "x")
	if asSlackErr(err) != "rate_limited" || retryAfter(err) != -1 {
		t.Errorf("4th post: %v, want SlackErrorResponse rate_limited (HTTP 200), not RateLimitedError", err)
	}
	// slack-go does not show chat.postMessage's headers; read the wire directly.
	resp, err := http.PostForm(fake.APIURL()+"chat.postMessage", url.Values{"token": {DefaultBotToken}, "channel": {"C1"}, "text": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Retry-After") != "1" {
		t.Errorf("raw post during the Retry-After: HTTP %d, Retry-After %q; want 200 and 1", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	fake.SetRateLimitBodyError(false)
	if got := retryAfter(postText(ctx, api, "C1", "x")); got != time.Second {
		t.Errorf("after switching back: RetryAfter %v, want 429 with 1s", got)
	}
	if got := fake.LimitStats(); got != (LimitStats{RateLimited: 3, DuringRetryAfter: 2}) {
		t.Errorf("limit stats = %+v, want 3 rate limited, 2 during the Retry-After", got)
	}
	if log := fake.CallLog(); log[3].Status != http.StatusOK || log[3].Error != "rate_limited" {
		t.Errorf("body-error call = %+v, want HTTP 200 rate_limited", log[3])
	}
}

func TestLenientSlackDoesNotThrottle(t *testing.T) {
	fake := NewT(t, Lenient())
	api := newAPI(fake, DefaultBotToken)
	ctx := ctxT(t)
	for i := range 20 {
		if err := postText(ctx, api, "C1", "x"); err != nil {
			t.Fatalf("post %d to a lenient Slack: %v", i+1, err)
		}
	}
	// A scripted 429 still happens, but its Retry-After is not enforced.
	fake.RateLimitNext("chat.postMessage", 1, time.Minute)
	if got := retryAfter(postText(ctx, api, "C1", "x")); got != time.Minute {
		t.Errorf("scripted 429: RetryAfter %v, want 1m", got)
	}
	if err := postText(ctx, api, "C1", "x"); err != nil {
		t.Errorf("post during a scripted Retry-After on a lenient Slack: %v", err)
	}
	if got := fake.LimitStats(); got != (LimitStats{RateLimited: 1, DuringRetryAfter: 1}) {
		t.Errorf("limit stats = %+v: the call during the Retry-After is still counted", got)
	}
}

func TestCustomLimit(t *testing.T) {
	clock := NewManualClock(epoch)
	fake := NewT(t, WithClock(clock), WithRateLimit("users.info", Limit{Every: time.Minute, Burst: 1}))
	fake.SetUser(User{ID: "U1", Name: "jane"})
	api := newAPI(fake, DefaultBotToken)
	ctx := ctxT(t)
	if _, err := api.GetUserInfoContext(ctx, "U1"); err != nil {
		t.Fatal(err)
	}
	if _, err := api.GetUserInfoContext(ctx, "U1"); retryAfter(err) != time.Minute {
		t.Errorf("2nd users.info: %v, want Retry-After 60s", err)
	}
}

func TestLenientThenOneLimit(t *testing.T) {
	clock := NewManualClock(epoch)
	fake := NewT(t, WithClock(clock), Lenient(), WithRateLimit("chat.update", Limit{Every: time.Minute, Burst: 1}))
	api := newAPI(fake, DefaultBotToken)
	ctx := ctxT(t)
	var ts string
	for range 10 {
		var err error
		if _, ts, err = api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false)); err != nil {
			t.Fatalf("post to a lenient Slack: %v", err)
		}
	}
	update := func() error {
		_, _, _, err := api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("y", false))
		return err
	}
	if err := update(); err != nil {
		t.Fatal(err)
	}
	if got := retryAfter(update()); got != time.Minute {
		t.Errorf("2nd update: RetryAfter %v, want 1m (the one limit asked for after Lenient)", got)
	}
}
