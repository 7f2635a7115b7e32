package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// runFloor is `kickload floor`: the least a Socket Mode app can do. It
// connects with slack-go's socketmode client, configured from the same
// variables as kickbot (SLACK_API_URL, SLACK_APP_TOKEN, SLACK_BOT_TOKEN),
// and acks every envelope bare, on its event loop, with no other work. Its
// ack latency is the floor kickbot is compared with.
func runFloor(ctx context.Context, stderr io.Writer) int {
	api := slack.New(os.Getenv("SLACK_BOT_TOKEN"),
		slack.OptionAPIURL(os.Getenv("SLACK_API_URL")),
		slack.OptionAppLevelToken(os.Getenv("SLACK_APP_TOKEN")))
	sm := socketmode.New(api)
	errc := make(chan error, 1)
	go func() { errc <- sm.RunContext(ctx) }()
	for {
		select {
		case <-ctx.Done():
			<-errc
			return 0
		case err := <-errc:
			if ctx.Err() != nil {
				return 0
			}
			fmt.Fprintln(stderr, "kickload floor:", err)
			return 1
		case evt := <-sm.Events:
			if evt.Request != nil && evt.Request.EnvelopeID != "" {
				_ = sm.Ack(*evt.Request)
			}
		}
	}
}
