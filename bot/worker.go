package bot

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/kickbot/kickbot/bot/slackui"
)

// work runs jobs until the queue is closed and empty. A panic in one job
// becomes a visible failure for that job; the worker lives on.
func (b *Bot) work(ctx context.Context) {
	for j := range b.queue {
		b.metrics.QueueDepth(len(b.queue))
		if ctx.Err() != nil {
			b.skipJob(j)
			continue
		}
		b.runJob(ctx, j)
	}
}

// skipJob answers a job the drain deadline left unstarted: nothing was done,
// and the moderator is told to run it again. The ops channel gets one
// summary for all of them (Run).
func (b *Bot) skipJob(j job) {
	b.notRun.Add(1)
	url, user, channel := j.slash.ResponseURL, j.slash.UserID, j.slash.ChannelID
	if j.kind == jobClick {
		url, user, channel = j.click.ResponseURL, j.click.User.ID, j.click.Channel.ID
	}
	// All of them share one deadline, so a Slack that hangs cannot hold
	// the exit back.
	ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, b.skipUntil.Load()))
	defer cancel()
	if err := respond(ctx, b.api, url, slackui.Message{Text: "⚠️ Not run: kickbot is restarting. Nothing was done — run it again."}, false); err != nil {
		b.log.Warn().Err(err).Msg("could not tell the moderator their command was not run")
	}
	b.audit.Record(AuditEntry{Action: "not_run", User: user, Channel: channel, Conference: j.req.Conference, Outcome: "not_run"})
}

func (b *Bot) runJob(ctx context.Context, j job) {
	t := b.newReporter(j)
	defer func() {
		if r := recover(); r != nil {
			b.log.Error().Str("panic", fmt.Sprint(r)).Bytes("stack", debug.Stack()).Bool("answered", t.answered).Msg("handler panicked")
			if t.answered {
				// The user already has this job's outcome (say the kick
				// succeeded and the panic hit the ops notice after it): a
				// "did not finish" reply and parent would contradict it.
				return
			}
			t.showFailure("kickbot hit an internal error before it could report on this request, so it may or may not have been carried out. Check the meeting before trying again.")
		}
	}()
	if !b.commandAllowed(j, t) {
		return
	}
	switch j.kind {
	case jobKick:
		b.runKick(ctx, j, t)
	case jobList:
		b.runList(ctx, j, t)
	case jobClick:
		b.runClick(ctx, j, t)
	case jobLock:
		b.runLock(ctx, j, t)
	case jobHold:
		b.runHold(ctx, j, t)
	case jobUninvited:
		b.runUninvited(ctx, j, t)
	case jobWatch:
		b.runWatch(ctx, j, t)
	}
}
