package bot

import (
	"context"
	"strings"

	"github.com/slack-go/slack"

	"github.com/kickbot/kickbot/bot/slackui"
	"github.com/kickbot/kickbot/commands"
)

// job is one unit of accepted work for the pool.
type job struct {
	kind   jobKind
	slash  slack.SlashCommand
	req    commands.Request
	click  slack.InteractionCallback
	action slack.BlockAction
}

type jobKind int

const (
	jobKick jobKind = iota
	jobList
	jobClick
	jobLock // lock and unlock
	jobHold
	jobUninvited
	jobWatch // watch, unwatch (watches.go)
)

// onSlashCommand decides what to do with a /kick without touching the
// network: bad input, help, rate limits and a full queue are answered in the
// ack itself, so the user sees them at once and nothing else happens.
func (b *Bot) onSlashCommand(ctx context.Context, envelopeID string, cmd slack.SlashCommand) {
	if !b.dedupe.FirstTime("envelope:" + envelopeID) {
		// A redelivery: Slack still wants an ack, but the work is done once.
		b.ack(ctx, envelopeID, nil)
		return
	}
	req, err := commands.Parse(cmd.Text, b.cfg.MaxTargets)
	if err != nil {
		b.ack(ctx, envelopeID, ephemeral(slackui.RenderInputError(err)))
		b.acked(false, "invalid", AuditEntry{Action: "invalid", User: cmd.UserID, Channel: cmd.ChannelID, Reason: err.Error()}, "invalid_input")
		return
	}
	if req.Kind == commands.KindHelp {
		b.ack(ctx, envelopeID, ephemeral(slackui.RenderHelp()))
		b.acked(false, "help", AuditEntry{}, "")
		return
	}
	if b.newLimiter == nil && !b.memLimiter.allow(cmd.UserID) {
		// A shared limit is checked on the worker instead (commandAllowed):
		// its store call must not delay the ack.
		b.ack(ctx, envelopeID, ephemeral(slackui.Message{Text: "You are sending commands too fast. Wait a minute and try again."}))
		b.acked(false, "rate_limited", AuditEntry{Action: "busy", User: cmd.UserID, Channel: cmd.ChannelID, Conference: req.Conference}, "user_rate_limited")
		return
	}
	var kind jobKind
	switch req.Kind {
	case commands.KindKick:
		kind = jobKick
	case commands.KindList:
		kind = jobList
	case commands.KindLock, commands.KindUnlock:
		kind = jobLock
	case commands.KindHold:
		kind = jobHold
	case commands.KindUninvited:
		kind = jobUninvited
	case commands.KindWatch, commands.KindUnwatch:
		if b.watches == nil {
			b.ack(ctx, envelopeID, ephemeral(slackui.Message{Text: "That action is not available in this version of kickbot; nothing was done. `/kick help` lists what is."}))
			b.acked(false, "unsupported", AuditEntry{}, "")
			return
		}
		kind = jobWatch
	default:
		// Parsed, but this version has no use case for it yet: say so,
		// and do nothing.
		b.ack(ctx, envelopeID, ephemeral(slackui.Message{Text: "That action is not available in this version of kickbot; nothing was done. `/kick help` lists what is."}))
		b.acked(false, "unsupported", AuditEntry{}, "")
		return
	}
	b.enqueue(ctx, envelopeID, "trigger:"+cmd.TriggerID, job{kind: kind, slash: cmd, req: req},
		func() {
			b.acked(false, "busy", AuditEntry{Action: "busy", User: cmd.UserID, Channel: cmd.ChannelID, Conference: req.Conference}, "queue_full")
		})
}

// enqueue acks and queues j, or, when the queue is full, acks with a "busy"
// answer so the user knows to retry. The event loop is the queue's only
// producer, so a free slot seen here is still free after the ack.
//
// identity names the request itself ("trigger:<trigger_id>"): Slack has
// been seen redelivering a command under a new envelope ID, which the
// envelope check cannot catch. It is checked after the ack, which never
// waits for anything.
func (b *Bot) enqueue(ctx context.Context, envelopeID, identity string, j job, onBusy func()) {
	if len(b.queue) >= cap(b.queue) {
		b.ack(ctx, envelopeID, ephemeral(slackui.Message{Text: "kickbot is busy right now and did not run this. Please try again in a minute."}))
		onBusy()
		return
	}
	b.ack(ctx, envelopeID, nil)
	if !strings.HasSuffix(identity, ":") && !b.dedupe.FirstTime(identity) {
		b.log.Info().Str("envelope_id", envelopeID).Msg("the same request redelivered under a new envelope ID: not run again")
		return
	}
	b.queue <- j
	b.metrics.QueueDepth(len(b.queue))
}

// ephemeralAck is the ack payload of a slash command answered only to the
// caller. response_type is always explicit: in_channel would reveal the
// command text.
type ephemeralAck struct {
	ResponseType string        `json:"response_type"`
	Text         string        `json:"text"`
	Blocks       []slack.Block `json:"blocks,omitempty"`
}

func ephemeral(m slackui.Message) ephemeralAck {
	return ephemeralAck{ResponseType: slack.ResponseTypeEphemeral, Text: m.Text, Blocks: m.Blocks}
}

// isDM reports whether a command came from a direct or group message, where
// kicking is never allowed.
func isDM(channelID, channelName string) bool {
	return strings.HasPrefix(channelID, "D") || channelName == "directmessage" || strings.HasPrefix(channelName, "mpdm-")
}
