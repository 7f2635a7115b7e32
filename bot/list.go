package bot

import (
	"context"
	"slices"

	"github.com/kickbot/kickbot/bot/slackui"
	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting"
)

// runList posts the live roster of a meeting with Disconnect buttons.
func (b *Bot) runList(ctx context.Context, j job, t *reporter) {
	k, ok := b.startSlash(ctx, j, t, "list", "")
	if !ok {
		return
	}
	roster, err := b.svc.List(ctx, k.Conference)
	if err != nil {
		t.fail(k, err, false)
		return
	}
	rec := &listRecord{id: newListID(), channel: k.Channel, conference: k.Conference,
		notes: map[string]string{}, created: b.now(), posted: make(chan struct{})}
	rec.setRoster(roster)
	rec.live = b.watches.liveNoteFor(k.Conference)
	// Slack shows the message (and delivers clicks on it) before
	// chat.postMessage returns: the list is registered first, and a click
	// waits for rec.posted instead of being told the list is not active.
	b.lists.add(rec)
	b.shareList(rec) // without a ts: a click on another replica waits for it
	t.post(k, b.renderList(rec), func(ts string, err error) string { return b.listPosted(rec, ts, err) })
}

// listPosted records where a list was posted, or forgets a list that could
// not be. It runs once per list, when the outbox is done with it.
func (b *Bot) listPosted(rec *listRecord, ts string, err error) string {
	rec.mu.Lock()
	if err == nil {
		rec.ts = ts
		rec.msg = b.out.threadAt(rec.channel, ts, "")
	}
	rec.mu.Unlock()
	// Before posted: a click here waits for it, then reads the store.
	b.sharePosted(rec.id, ts, err)
	close(rec.posted)
	if err != nil {
		b.lists.remove(rec.id)
		return ""
	}
	b.watches.follow(rec) // a posted list is interest: it follows the meeting live
	return "listed"
}

// renderList renders the record's current page. Callers hold rec.mu or own
// rec exclusively.
func (b *Bot) renderList(rec *listRecord) slackui.Message {
	m := slackui.RenderRosterPage(rec.roster, slackui.ListOptions{
		ListID: rec.id, Page: rec.page, Query: rec.query, ChannelNotes: rec.notes, LiveNote: rec.live,
	})
	// A list that would not fit under its intro is shown alone.
	if rec.intro.Text != "" && len(rec.intro.Blocks)+len(m.Blocks) <= slackui.MaxBlocks {
		m.Text = rec.intro.Text
		m.Blocks = append(slices.Clip(rec.intro.Blocks), m.Blocks...)
	}
	if len(rec.outro.Blocks) > 0 && len(rec.notes) == 0 && len(m.Blocks)+len(rec.outro.Blocks) <= slackui.MaxBlocks {
		m.Blocks = append(slices.Clip(m.Blocks), rec.outro.Blocks...)
	}
	if len(rec.notes) > 0 && !rec.ephemeral {
		// Someone was disconnected from this list: offer to keep them out.
		m = b.withLockButtons(m, rec.conference)
	}
	return m
}

// showList replaces a list message after a click: in place for a channel
// list (queued in the outbox, where waiting updates collapse into the
// latest), through the click's response_url for a private one. It takes
// rec.mu only to render: no lock is held across a network call.
func (b *Bot) showList(rec *listRecord, responseURL string) {
	rec.mu.Lock()
	m := b.renderList(rec)
	msg := rec.msg
	rec.mu.Unlock()
	if rec.ephemeral {
		b.replaceReply(responseURL, m)
		return
	}
	if msg != nil {
		b.out.updateMessage(msg, m)
	}
}

// candidatesList is the private answer to an ambiguous name: its
// candidates as a list with Disconnect buttons, so the moderator picks the
// right one instead of copying an ID. Nothing has been done yet.
func (b *Bot) candidatesList(k commands.Kick, roster *meeting.Roster, amb []commands.Ambiguity) slackui.Message {
	only := map[string]bool{}
	for _, a := range amb {
		for _, p := range a.Candidates {
			only[p.ID] = true
		}
	}
	posted := make(chan struct{})
	close(posted) // nothing to post: it is answered privately
	rec := &listRecord{id: newListID(), channel: k.Channel, conference: k.Conference, ephemeral: true, posted: posted,
		intro: slackui.RenderAmbiguous(k, amb), only: only, notes: map[string]string{}, created: b.now()}
	rec.setRoster(roster)
	b.lists.add(rec)
	b.shareList(rec)
	return b.renderList(rec)
}
