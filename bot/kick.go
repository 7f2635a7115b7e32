package bot

import (
	"context"

	"github.com/kickbot/kickbot/bot/slackui"
	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting"
)

// authorize runs the policy for a user, channel and conference, looking up
// usergroup membership only when the policy needs it. A failed look-up leaves
// Groups nil, which the policy refuses (fail closed).
func (b *Bot) authorize(ctx context.Context, user, channelID, channelName, conference string) commands.Decision {
	p := b.cfg.Policy
	s := commands.Subject{UserID: user, ChannelID: channelID, IsDM: isDM(channelID, channelName)}
	if len(p.Usergroups) > 0 && !p.Users[user] && p.Channels[channelID] && !s.IsDM {
		groups, err := b.groups.MembershipOf(ctx, user, p.Usergroups)
		if err != nil {
			b.log.Warn().Err(err).Msg("usergroup look-up failed; refusing")
		} else {
			s.Groups = groups
		}
	}
	return commands.Authorize(p, s, conference)
}

// deny answers a refused request privately and tells the ops channel.
func (b *Bot) deny(responseURL string, d commands.Decision, e AuditEntry, t *tracker) {
	b.reply(responseURL, slackui.RenderDenied(d))
	t.answered = true
	b.notifyOps(slackui.RenderDeniedNotice(e.User, e.Channel, e.Conference, d))
	e.Action, e.Outcome = "denied", d.Code
	b.audit.Record(e)
}

func targetStrings(ts []commands.Target) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.String()
	}
	return out
}

// runKick is one /kick with targets: authorize, read the roster, resolve,
// post the parent, disconnect once, and report in the thread, the parent, the
// ops channel and the audit log.
func (b *Bot) runKick(ctx context.Context, j job, t *tracker) {
	cmd, req := j.slash, j.req
	entry := AuditEntry{Action: "kick", User: cmd.UserID, Channel: cmd.ChannelID, Conference: req.Conference,
		Targets: targetStrings(req.Targets), Reason: req.Reason}

	if d := b.authorize(ctx, cmd.UserID, cmd.ChannelID, cmd.ChannelName, req.Conference); !d.Allowed {
		b.deny(cmd.ResponseURL, d, entry, t)
		b.metrics.Command("denied")
		return
	}
	k := commands.Kick{Actor: cmd.UserID, Channel: cmd.ChannelID, Conference: req.Conference, Reason: req.Reason, Targets: req.Targets}
	b.kick(ctx, k, cmd.ResponseURL, "", entry, t, b.metrics.Command)
}

// kick runs an authorized kick. threadTS, when set, is an existing message
// (a participant list) to report under instead of a new parent message.
func (b *Bot) kick(ctx context.Context, k commands.Kick, responseURL, threadTS string, entry AuditEntry, t *tracker, count func(string)) *commands.Outcome {
	start := b.now()
	// The meeting call starts as soon as the batch this kick joins is
	// ready, whatever Slack is doing: the parent message waits in the
	// outbox for the channel's turn, and goes out with the final status if
	// the kick is over by then.
	openThread := func() {
		if threadTS == "" {
			t.th = b.out.startThread(k.Channel, slackui.RenderStarted(k, ""), responseURL)
		} else {
			t.th = b.out.threadAt(k.Channel, threadTS, responseURL)
		}
	}
	roster, res, o, err := b.svc.Kick(ctx, k, openThread)
	b.watches.touch(k.Conference) // a kick is interest: the next one reads the live roster
	if err != nil {
		if t.th != nil {
			// The batch failed after this kick's thread was started.
			b.failVisibly(t, commands.UserMessage(err))
		} else {
			b.reply(responseURL, slackui.RenderFailure(k, err))
		}
		t.answered = true
		b.notifyOps(slackui.RenderFailureNotice(k, err))
		entry.Outcome, entry.ErrorKind, entry.Duration = "failed", meeting.KindOf(err).String(), b.now().Sub(start)
		b.audit.Record(entry)
		count("failed")
		return nil
	}
	if len(res.Ambiguous) > 0 {
		b.offerCandidates(k, roster, res.Ambiguous, responseURL)
		t.answered = true
		entry.Outcome, entry.Duration = "ambiguous", b.now().Sub(start)
		b.audit.Record(entry)
		count("ambiguous")
		return nil
	}
	if t.th == nil {
		openThread() // nobody to disconnect, so no call started it
	}
	b.report(o, t)
	entry.Outcome, entry.RequestIDs, entry.Duration = o.Status.String(), o.RequestIDs, b.now().Sub(start)
	if o.Err != nil {
		entry.ErrorKind = meeting.KindOf(o.Err).String()
	}
	b.audit.Record(entry)
	count(o.Status.String())
	for _, to := range o.Targets {
		b.metrics.Disconnects(to.Result.String(), 1)
	}
	return &o
}

// report queues an outcome: the per-target reply in the thread, the
// parent's final status, and the ops notice with a link to the thread. The
// outbox shows it in the channel, or to the moderator privately if the
// channel will not take it, so the user has their answer from here on.
func (b *Bot) report(o commands.Outcome, t *tracker) {
	b.out.finish(t.th, b.withLockButtons(slackui.RenderOutcome(o), o.Kick.Conference), slackui.RenderParentFinal(o),
		func(link string) slackui.Message { return slackui.RenderOpsNotice(o, link) })
	t.answered = true
}

// failVisibly answers a job that could not finish (a panic): in its thread
// when there is one, else privately.
func (b *Bot) failVisibly(t *tracker, text string) {
	m := slackui.Message{Text: ":x: " + text}
	if t.th != nil {
		b.out.finish(t.th, m, m, nil)
		return
	}
	b.reply(t.responseURL, m)
}
