package slackfake_test

import (
	"context"
	"fmt"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/kickbot/kickbot/bot/slackfake"
)

// A typical end-to-end test: point the real slack-go client at the fake, drive a slash
// command, and assert on the ack and on the messages the app posted.
func Example() {
	fake := slackfake.New() // in a test: slackfake.NewT(t)
	defer fake.Close()

	api := slack.New(slackfake.DefaultBotToken, slack.OptionAPIURL(fake.APIURL()),
		slack.OptionAppLevelToken(slackfake.DefaultAppToken))
	client := socketmode.New(api)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	done := make(chan error, 1)
	go func() { done <- client.RunContext(ctx) }()
	defer func() { cancel(); <-done }() // wait for slack-go to stop before the fake closes

	go func() { // the "app": ack every slash command, then post in the channel
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-client.Events:
				if evt.Type != socketmode.EventTypeSlashCommand {
					continue
				}
				cmd := evt.Data.(slack.SlashCommand)
				_ = client.AckCtx(ctx, evt.Request.EnvelopeID, nil)
				_, _, _ = client.PostMessageContext(ctx, cmd.ChannelID, slack.MsgOptionText("on it", false))
			}
		}
	}()

	id := fake.SlashCommand(slackfake.Slash{Text: "914083136 abc", UserID: "U1", ChannelID: "C1"})
	ack, err := fake.WaitAck(ctx, id)
	if err != nil {
		fmt.Println(err)
		return
	}
	msg, err := fake.WaitMessage(ctx, func(m slackfake.Message) bool { return m.Method == "chat.postMessage" })
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ack.Latency() < time.Second, msg.Channel, msg.Text)
	// Output: true C1 on it
}
