package bot

import (
	"context"
	"slices"

	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting"
)

// runList posts the live roster of a meeting with Disconnect buttons.
func (b *Bot) runList(ctx context.Context, j job, t *tracker) {
	cmd, req := j.slash, j.req
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
	rec := &listRecord{id: newListID(), channel: cmd.ChannelID, conference: req.Conference,
		notes: map[string]string{}, created: b.now()}
	rec.setRoster(roster)
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
	m := commands.RenderRosterPage(rec.roster, commands.ListOptions{
		ListID: rec.id, Page: rec.page, Query: rec.query, ChannelNotes: rec.notes,
	})
	if rec.intro.Text != "" && len(rec.intro.Blocks)+len(m.Blocks) <= maxMessageBlocks {
		m.Text = rec.intro.Text
		m.Blocks = append(slices.Clip(rec.intro.Blocks), m.Blocks...)
	}
	return m
}

// showList replaces a list message after a click: in place for a channel
// list, through the click's response_url for a private one.
func (b *Bot) showList(rec *listRecord, responseURL string) {
	m := b.renderList(rec)
	if rec.ephemeral {
		b.replaceReply(responseURL, m)
		return
	}
	if err := b.update(rec.channel, rec.ts, m); err != nil {
		b.log.Warn().Err(err).Msg("could not update the participant list")
	}
}

// offerCandidates answers an ambiguous name privately with its candidates
// as a list with Disconnect buttons, so the moderator picks the right one
// instead of copying an ID. Nothing has been done yet.
func (b *Bot) offerCandidates(k commands.Kick, roster *meeting.Roster, amb []commands.Ambiguity, responseURL string) {
	only := map[string]bool{}
	for _, a := range amb {
		for _, p := range a.Candidates {
			only[p.ID] = true
		}
	}
	rec := &listRecord{id: newListID(), channel: k.Channel, conference: k.Conference, ephemeral: true,
		intro: commands.RenderAmbiguous(k, amb), only: only, notes: map[string]string{}, created: b.now()}
	rec.setRoster(roster)
	b.lists.add(rec)
	b.reply(responseURL, b.renderList(rec))
}

// maxMessageBlocks is Slack's limit on blocks in one message; a list that
// would not fit under its intro is shown alone.
const maxMessageBlocks = 50
