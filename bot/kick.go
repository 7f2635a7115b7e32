package bot

import (
	"context"

	"github.com/kickbot/kickbot/bot/slackui"
	"github.com/kickbot/kickbot/commands"
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
func (b *Bot) runKick(ctx context.Context, j job, t *reporter) {
	if k, ok := b.startSlash(ctx, j, t, "kick", ""); ok {
		b.kick(ctx, k, "", t)
	}
}

// startSlash begins a slash command's report (audited as action; counted
// per action under counter, "" for none) and authorizes it. It returns the
// request as the use cases take it, or false when it was refused (and the
// refusal is answered).
func (b *Bot) startSlash(ctx context.Context, j job, t *reporter, action, counter string) (commands.Kick, bool) {
	cmd, req := j.slash, j.req
	t.begin(AuditEntry{Action: action, User: cmd.UserID, Channel: cmd.ChannelID, Conference: req.Conference,
		Targets: targetStrings(req.Targets), Reason: req.Reason}, counter)
	if d := b.authorize(ctx, cmd.UserID, cmd.ChannelID, cmd.ChannelName, req.Conference); !d.Allowed {
		t.deny(d)
		return commands.Kick{}, false
	}
	return commands.Kick{Actor: cmd.UserID, Channel: cmd.ChannelID, Conference: req.Conference, Reason: req.Reason, Targets: req.Targets}, true
}

// kick runs an authorized kick and reports it through t. threadTS, when
// set, is an existing message (a participant list) to report under instead
// of a new parent message.
func (b *Bot) kick(ctx context.Context, k commands.Kick, threadTS string, t *reporter) *commands.Outcome {
	// The meeting call starts as soon as the batch this kick joins is
	// ready, whatever Slack is doing: the parent message waits in the
	// outbox for the channel's turn, and goes out with the final status if
	// the kick is over by then.
	openThread := func() {
		if threadTS == "" {
			t.th = b.out.startThread(k.Channel, slackui.RenderStarted(k, ""), t.responseURL)
		} else {
			t.th = b.out.threadAt(k.Channel, threadTS, t.responseURL)
		}
	}
	roster, res, o, err := b.svc.Kick(ctx, k, openThread)
	b.watches.touch(k.Conference) // a kick is interest: the next one reads the live roster
	if err != nil {
		// In the thread when the batch failed after this kick's thread was started.
		t.fail(k, err, true)
		return nil
	}
	if len(res.Ambiguous) > 0 {
		t.private(b.candidatesList(k, roster, res.Ambiguous))
		t.record("ambiguous")
		return nil
	}
	if t.th == nil {
		openThread() // nobody to disconnect, so no call started it
	}
	// The per-target reply in the thread, the parent's final status, and
	// the ops notice with a link to the thread.
	t.finish(t.th, b.withLockButtons(slackui.RenderOutcome(o), o.Kick.Conference), slackui.RenderParentFinal(o),
		func(link string) slackui.Message { return slackui.RenderOpsNotice(o, link) })
	t.recordResult(o.Status.String(), o.RequestIDs, o.Err)
	for _, to := range o.Targets {
		b.metrics.Disconnects(to.Result.String(), 1)
	}
	return &o
}
