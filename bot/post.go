package bot

import (
	"context"
	"errors"
	"time"

	"github.com/slack-go/slack"

	"github.com/kickbot/kickbot/commands"
)

// postTimeout bounds one Web API call including its rate-limit waits. Posts
// use a context of their own so an outcome is still posted while the bot is
// shutting down.
const postTimeout = 30 * time.Second

// maxRateLimitWaits caps how often one post waits out a 429 before giving up.
const maxRateLimitWaits = 5

// withRateLimitRetry runs call and, when Slack answers 429, waits the
// Retry-After it gave and tries again: the message is delayed, not lost.
// Other errors are not retried: chat.postMessage has no idempotency key, so a
// retry after a timeout could post twice.
func withRateLimitRetry(ctx context.Context, call func(context.Context) error) error {
	for i := 0; ; i++ {
		err := call(ctx)
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) || i >= maxRateLimitWaits {
			return err
		}
		wait := rl.RetryAfter
		if wait <= 0 {
			wait = time.Second
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

func postContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), postTimeout)
}

func msgOptions(m commands.Message) []slack.MsgOption {
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionDisableLinkUnfurl()}
	if m.Blocks != nil {
		opts = append(opts, slack.MsgOptionBlocks(m.Blocks...))
	}
	return opts
}

// post sends a message to a channel (thread when threadTS is set) and returns
// its ts.
func (b *Bot) post(channel, threadTS string, m commands.Message) (string, error) {
	ctx, cancel := postContext()
	defer cancel()
	opts := msgOptions(m)
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	var ts string
	err := withRateLimitRetry(ctx, func(ctx context.Context) error {
		var err error
		_, ts, err = b.api.PostMessageContext(ctx, channel, opts...)
		return err
	})
	return ts, err
}

// update replaces a message the bot posted.
func (b *Bot) update(channel, ts string, m commands.Message) error {
	ctx, cancel := postContext()
	defer cancel()
	opts := msgOptions(m)
	if m.Blocks == nil {
		opts = append(opts, slack.MsgOptionBlocks()) // clear old buttons
	}
	return withRateLimitRetry(ctx, func(ctx context.Context) error {
		_, _, _, err := b.api.UpdateMessageContext(ctx, channel, ts, opts...)
		return err
	})
}

// reply answers only the person who asked, through the response_url of
// their command or click. Most callers need not check the error: it is
// logged here.
func (b *Bot) reply(responseURL string, m commands.Message) error {
	return b.respond(responseURL, m, false)
}

// replaceReply replaces the private message a click came from (a list of
// candidates) through that click's response_url.
func (b *Bot) replaceReply(responseURL string, m commands.Message) {
	_ = b.respond(responseURL, m, true)
}

func (b *Bot) respond(responseURL string, m commands.Message, replace bool) error {
	if responseURL == "" {
		return errors.New("no response_url")
	}
	ctx, cancel := postContext()
	defer cancel()
	opts := append(msgOptions(m), slack.MsgOptionResponseURL(responseURL, slack.ResponseTypeEphemeral))
	if replace {
		opts = append(opts, slack.MsgOptionReplaceOriginal(responseURL))
	}
	err := withRateLimitRetry(ctx, func(ctx context.Context) error {
		_, _, err := b.api.PostMessageContext(ctx, "", opts...)
		return err
	})
	if err != nil {
		b.log.Warn().Err(err).Bool("replace", replace).Msg("could not answer the user privately")
	}
	return err
}

// notifyOps posts a notice to the ops channel, if one is configured.
func (b *Bot) notifyOps(m commands.Message) {
	if b.cfg.OpsChannel == "" {
		return
	}
	if _, err := b.post(b.cfg.OpsChannel, "", m); err != nil {
		b.log.Warn().Err(err).Str("channel", b.cfg.OpsChannel).Msg("could not post to the ops channel")
	}
}

// permalink returns a link to a message, or "" if Slack would not give one.
func (b *Bot) permalink(channel, ts string) string {
	ctx, cancel := postContext()
	defer cancel()
	var link string
	err := withRateLimitRetry(ctx, func(ctx context.Context) error {
		var err error
		link, err = b.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: channel, Ts: ts})
		return err
	})
	if err != nil {
		b.log.Debug().Err(err).Msg("no permalink")
	}
	return link
}

// slackErrorCode returns Slack's error string ("not_in_channel", …) or "".
func slackErrorCode(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

// cannotPostHere reports whether err means the bot is not allowed to post in
// the channel, which the moderator can fix by inviting it.
func cannotPostHere(err error) bool {
	switch slackErrorCode(err) {
	case "not_in_channel", "channel_not_found", "is_archived", "restricted_action":
		return true
	}
	return false
}
