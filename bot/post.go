package bot

import (
	"context"
	"errors"
	"time"

	"github.com/slack-go/slack"

	"github.com/kickbot/kickbot/bot/slackui"
)

// postTimeout bounds one Web API call. Rate-limit waits happen in the
// outbox's queues, not inside a call.
const postTimeout = 30 * time.Second

// maxRateLimitWaits caps how often one private answer waits out a 429.
const maxRateLimitWaits = 5

func msgOptions(m slackui.Message) []slack.MsgOption {
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionDisableLinkUnfurl()}
	if m.Blocks != nil {
		opts = append(opts, slack.MsgOptionBlocks(m.Blocks...))
	}
	return opts
}

// reply answers only the person who asked, through the response_url of
// their command or click. Most callers need not check the error: it is
// logged here.
func (b *Bot) reply(responseURL string, m slackui.Message) error {
	return b.respond(responseURL, m, false)
}

// replaceReply replaces the private message a click came from (a list of
// candidates) through that click's response_url.
func (b *Bot) replaceReply(responseURL string, m slackui.Message) {
	_ = b.respond(responseURL, m, true)
}

func (b *Bot) respond(responseURL string, m slackui.Message, replace bool) error {
	ctx, cancel := context.WithTimeout(b.hardStop, postTimeout)
	defer cancel()
	err := respond(ctx, b.api, responseURL, m, replace)
	if err != nil {
		b.log.Warn().Err(err).Bool("replace", replace).Msg("could not answer the user privately")
	}
	return err
}

// notifyOps queues a notice for the ops channel, if one is configured.
func (b *Bot) notifyOps(m slackui.Message) { b.out.notifyText(m) }

// slackErrorCode returns Slack's error string ("not_in_channel", …) or "".
func slackErrorCode(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

// cannotPostHere reports whether err means the bot is not allowed to post in
// the channel, which the moderator can fix by inviting it. A rate limit
// never means that: it is waited out.
func cannotPostHere(err error) bool {
	switch slackErrorCode(err) {
	case "not_in_channel", "channel_not_found", "is_archived", "restricted_action":
		return true
	}
	return false
}

func defInt(v *int, d int) {
	if *v <= 0 {
		*v = d
	}
}

func defDur(v *time.Duration, d time.Duration) {
	if *v <= 0 {
		*v = d
	}
}
