package slackfake

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

func section(text string) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", text, false, false), nil, nil)
}

func button(actionID, label, value string) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(actionID, value, slack.NewTextBlockObject("plain_text", label, false, false))
}

func TestBlockKitLimits(t *testing.T) {
	fake := NewT(t, WithoutRateLimit("chat.postMessage")) // many posts to one channel
	api := newAPI(fake, DefaultBotToken)
	ctx := ctxT(t)

	buttons := func(n int) []slack.BlockElement {
		out := make([]slack.BlockElement, n)
		for i := range out {
			out[i] = button(fmt.Sprintf("b%d", i), "Disconnect", "v")
		}
		return out
	}
	blocks := func(n int, text string) []slack.Block {
		out := make([]slack.Block, n)
		for i := range out {
			out[i] = section(text)
		}
		return out
	}
	cases := []struct {
		name    string
		text    string
		blocks  []slack.Block
		wantErr string
		detail  string // part of Slack's explanation, for invalid_blocks
	}{
		{"section text at 3000", "", []slack.Block{section(strings.Repeat("é", 3000))}, "", ""},
		{"section text 3001", "", []slack.Block{section(strings.Repeat("a", 3001))}, "invalid_blocks", "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"},
		{"empty section text", "fallback", []slack.Block{section("")}, "invalid_blocks", "/blocks/0/text/text"},
		{"button text at 75", "", []slack.Block{slack.NewActionBlock("a", button("b", strings.Repeat("x", 75), "v"))}, "", ""},
		{"button text 76", "", []slack.Block{slack.NewActionBlock("a", button("b", strings.Repeat("x", 76), "v"))}, "invalid_blocks", "/blocks/0/elements/0/text/text"},
		{"button value 2001", "", []slack.Block{slack.NewActionBlock("a", button("b", "Go", strings.Repeat("v", 2001)))}, "invalid_blocks", "must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]"},
		{"action_id 256", "", []slack.Block{slack.NewActionBlock("a", button(strings.Repeat("i", 256), "Go", "v"))}, "invalid_blocks", "/blocks/0/elements/0/action_id"},
		{"duplicate action_id", "", []slack.Block{slack.NewActionBlock("a", button("same", "Go", "1"), button("same", "Go", "2"))}, "invalid_blocks", "duplicate action_id"},
		{"25 buttons", "", []slack.Block{slack.NewActionBlock("a", buttons(25)...)}, "", ""},
		{"26 buttons", "", []slack.Block{slack.NewActionBlock("a", buttons(26)...)}, "invalid_blocks", "no more than 25 items [json-pointer:/blocks/0/elements]"},
		{"50 blocks", "", blocks(50, "x"), "", ""},
		{"51 blocks", "", blocks(51, "x"), "invalid_blocks", "no more than 50 items"},
		{"13000 chars of block text", "", blocks(5, strings.Repeat("x", 2600)), "", ""},
		{"13001 chars of block text", "", append(blocks(5, strings.Repeat("x", 2600)), section("y")), "msg_blocks_too_long", ""},
		{"text at 40000", strings.Repeat("t", 40000), nil, "", ""},
		{"text 40001", strings.Repeat("t", 40001), nil, "msg_too_long", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := []slack.MsgOption{slack.MsgOptionText(c.text, false)}
			if c.blocks != nil {
				opts = append(opts, slack.MsgOptionBlocks(c.blocks...))
			}
			before := len(fake.Messages())
			_, _, err := api.PostMessageContext(ctx, "C1", opts...)
			var se slack.SlackErrorResponse
			errors.As(err, &se)
			if se.Err != c.wantErr || (c.wantErr == "" && err != nil) {
				t.Fatalf("post: %v, want error %q", err, c.wantErr)
			}
			if c.detail != "" && !strings.Contains(strings.Join(se.ResponseMetadata.Messages, "\n"), c.detail) {
				t.Errorf("invalid_blocks details %q, want one containing %q", se.ResponseMetadata.Messages, c.detail)
			}
			posted := len(fake.Messages()) - before
			if want := map[bool]int{true: 1, false: 0}[c.wantErr == ""]; posted != want {
				t.Errorf("%d messages appeared, want %d", posted, want)
			}
		})
	}

	// The same checks guard chat.update: a refused update leaves the message as it was.
	_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("before", false))
	if err != nil {
		t.Fatal(err)
	}
	_, _, _, err = api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("after", false), slack.MsgOptionBlocks(section(strings.Repeat("a", 3001))))
	if asSlackErr(err) != "invalid_blocks" {
		t.Errorf("update with a 3001-char section: %v, want invalid_blocks", err)
	}
	if cur, _ := fake.Current("C1", ts); cur.Text != "before" {
		t.Errorf("message reads %q after a refused update, want before", cur.Text)
	}
}

func TestResponseURLUsableFiveTimesWithinThirtyMinutes(t *testing.T) {
	clock := NewManualClock(epoch)
	fake := NewT(t, WithClock(clock))
	ctx := ctxT(t)
	first := fake.SlashCommand(Slash{UserID: "U1", ChannelID: "C1"})
	second := fake.SlashCommand(Slash{UserID: "U1", ChannelID: "C1"})
	url := func(id string) string { return fake.URL() + "/response/" + id }
	post := func(id, text string) error {
		return slack.PostWebhookContext(ctx, url(id), &slack.WebhookMessage{Text: text})
	}
	for i := range 5 {
		if err := post(first, fmt.Sprint("use ", i+1)); err != nil {
			t.Fatalf("use %d: %v", i+1, err)
		}
	}
	var sc slack.StatusCodeError
	if err := post(first, "sixth"); !errors.As(err, &sc) || sc.Code != http.StatusNotFound {
		t.Errorf("6th use: %v, want HTTP 404", err)
	}
	clock.Advance(30 * time.Minute)
	if err := post(second, "at 30 minutes"); err != nil {
		t.Errorf("use at exactly 30 minutes: %v", err)
	}
	clock.Advance(time.Second)
	if err := post(second, "too late"); !errors.As(err, &sc) || sc.Code != http.StatusNotFound {
		t.Errorf("use after 30 minutes: %v, want HTTP 404", err)
	}
	var got []string
	for _, m := range fake.Messages() {
		got = append(got, m.Text)
	}
	if want := "use 1,use 2,use 3,use 4,use 5,at 30 minutes"; strings.Join(got, ",") != want {
		t.Errorf("messages the user saw: %q, want %s", got, want)
	}
	var errs []string
	for _, c := range fake.CallLog() {
		if c.Error != "" {
			errs = append(errs, c.Error)
		}
	}
	if strings.Join(errs, ",") != "used_url,expired_url" {
		t.Errorf("response_url errors = %q, want used_url then expired_url", errs)
	}
}

func TestUpdateErrors(t *testing.T) {
	clock := NewManualClock(epoch)
	fake := NewT(t, WithClock(clock), WithEditWindow(time.Hour))
	api := newAPI(fake, DefaultBotToken)
	ctx := ctxT(t)
	update := func(ch, ts string) string {
		_, _, _, err := api.UpdateMessageContext(ctx, ch, ts, slack.MsgOptionText("edited", false))
		return asSlackErr(err)
	}
	_, mine, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("mine", false))
	if err != nil {
		t.Fatal(err)
	}
	theirs := fake.UserMessage("C1", "U7", "hello")
	if got := update("C1", theirs); got != "cant_update_message" {
		t.Errorf("update of a user's message: %q, want cant_update_message", got)
	}
	if got := update("C1", "1699999999.000100"); got != "message_not_found" {
		t.Errorf("update of an unknown ts: %q, want message_not_found", got)
	}
	if got := update("C2", mine); got != "message_not_found" {
		t.Errorf("update of the message in the wrong channel: %q, want message_not_found", got)
	}
	fake.SetUpdateError("C1", mine, "edit_window_closed")
	if got := update("C1", mine); got != "edit_window_closed" {
		t.Errorf("scripted: %q, want edit_window_closed", got)
	}
	fake.SetUpdateError("C1", mine, "")
	clock.Advance(time.Hour)
	if got := update("C1", mine); got != "" {
		t.Errorf("update at the end of the edit window: %q, want success", got)
	}
	clock.Advance(time.Second)
	if got := update("C1", mine); got != "edit_window_closed" {
		t.Errorf("update after the edit window: %q, want edit_window_closed", got)
	}
	if cur, _ := fake.Current("C1", theirs); cur.Text != "hello" {
		t.Errorf("user's message reads %q, want it untouched", cur.Text)
	}
	for _, m := range fake.Messages() {
		if m.TS == theirs {
			t.Errorf("a user's message is listed among the app's messages: %+v", m)
		}
	}
}
