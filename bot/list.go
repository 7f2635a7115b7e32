package bot

import (
	"context"

	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting"
)

// runList posts the live roster of a meeting with Disconnect buttons.
func (b *Bot) runList(ctx context.Context, j job, t *tracker) {
	cmd, req := j.slash, j.req
	t.responseURL = cmd.ResponseURL
	start := b.now()
	entry := AuditEntry{Action: "list", User: cmd.UserID, Channel: cmd.ChannelID, Conference: req.Conference}
	if d := b.authorize(ctx, cmd.UserID, cmd.ChannelID, cmd.ChannelName, req.Conference); !d.Allowed {
		b.deny(cmd.ResponseURL, d, entry, t)
		b.metrics.Command("denied")
		return
	}
	roster, err := b.svc.Meeting.Roster(ctx, req.Conference)
	if err != nil {
		k := commands.Kick{Actor: cmd.UserID, Channel: cmd.ChannelID, Conference: req.Conference}
		b.reply(cmd.ResponseURL, commands.RenderFailure(k, err))
		t.answered = true
		entry.Outcome, entry.ErrorKind, entry.Duration = "failed", meeting.KindOf(err).String(), b.now().Sub(start)
		b.audit.Record(entry)
		b.metrics.Command("failed")
		return
	}
	rec := &listRecord{id: newListID(), channel: cmd.ChannelID, conference: req.Conference, roster: roster,
		notes: map[string]string{}, created: b.now()}
	// Slack shows the message (and delivers clicks on it) before
	// chat.postMessage returns: register the list first and hold its lock
	// until its ts is known, so an early click waits instead of being told
	// the list is not active.
	rec.mu.Lock()
	b.lists.add(rec)
	ts, err := b.post(cmd.ChannelID, "", b.renderList(rec))
	rec.ts = ts
	rec.mu.Unlock()
	if err != nil {
		b.lists.remove(rec.id)
		k := commands.Kick{Actor: cmd.UserID, Channel: cmd.ChannelID, Conference: req.Conference}
		b.reply(cmd.ResponseURL, commands.RenderCannotPost(k, cannotPostHere(err)))
		t.answered = true
		entry.Outcome, entry.ErrorKind = "cannot_post", slackErrorCode(err)
		b.audit.Record(entry)
		b.metrics.Command("cannot_post")
		return
	}
	t.answered = true
	entry.Outcome, entry.Duration = "listed", b.now().Sub(start)
	b.audit.Record(entry)
	b.metrics.Command("listed")
}

// renderList renders the record's current page. Callers hold rec.mu or own
// rec exclusively.
func (b *Bot) renderList(rec *listRecord) commands.Message {
	return commands.RenderRosterPage(rec.roster, commands.ListOptions{
		ListID: rec.id, Page: rec.page, Query: rec.query, ChannelNotes: rec.notes,
	})
}
