package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// runFloor is `kickload floor`: the least a Socket Mode app can do for a
// kick. It connects with slack-go's socketmode client, configured from the
// same variables as kickbot (SLACK_API_URL, SLACK_APP_TOKEN,
// SLACK_BOT_TOKEN), acks every envelope bare on its event loop, and then
// makes the Web API calls a kick's outcome needs, with one-line texts and
// nothing else: the parent in the command's channel, the reply in its
// thread, the notice in FLOOR_OPS_CHANNEL, and one more round trip standing
// for the meeting's hang-up call (auth.test). Its ack latency and its CPU per
// command are what kickbot's are compared with: what this machine charges
// for the traffic of a kick before any of kickbot's own work.
func runFloor(ctx context.Context, stderr io.Writer) int {
	api := slack.New(os.Getenv("SLACK_BOT_TOKEN"),
		slack.OptionAPIURL(os.Getenv("SLACK_API_URL")),
		slack.OptionAppLevelToken(os.Getenv("SLACK_APP_TOKEN")))
	ops := os.Getenv("FLOOR_OPS_CHANNEL")
	sm := socketmode.New(api)
	errc := make(chan error, 1)
	go func() { errc <- sm.RunContext(ctx) }()
	var wg sync.WaitGroup
	defer wg.Wait()
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
			if evt.Request == nil || evt.Request.EnvelopeID == "" {
				continue
			}
			_ = sm.Ack(*evt.Request)
			if cmd, ok := evt.Data.(slack.SlashCommand); ok {
				wg.Go(func() {
					if err := floorKick(ctx, api, cmd, ops); err != nil {
						fmt.Fprintln(stderr, "kickload floor:", err)
					}
				})
			}
		}
	}
}

// floorKick makes the Web API calls of one kick's outcome, in the order
// kickbot makes them.
func floorKick(ctx context.Context, api *slack.Client, cmd slack.SlashCommand, ops string) error {
	_, ts, err := api.PostMessageContext(ctx, cmd.ChannelID, slack.MsgOptionText("✅ Disconnected 1 participant: "+cmd.Text, false))
	if err != nil {
		return err
	}
	if _, _, err := api.PostMessageContext(ctx, cmd.ChannelID, slack.MsgOptionTS(ts),
		slack.MsgOptionText("Requested by <@"+cmd.UserID+">: "+cmd.Text, false)); err != nil {
		return err
	}
	if _, _, err := api.PostMessageContext(ctx, ops,
		slack.MsgOptionText("<@"+cmd.UserID+"> disconnected 1 participant in <#"+cmd.ChannelID+">: "+cmd.Text, false)); err != nil {
		return err
	}
	_, err = api.AuthTestContext(ctx)
	return err
}
