package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/kickbot/kickbot/bot/slackui"
	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting"
)

// onInteraction acks a block_actions envelope at once and queues each action.
func (b *Bot) onInteraction(ctx context.Context, envelopeID string, cb slack.InteractionCallback) {
	if !b.dedupe.FirstTime("envelope:" + envelopeID) {
		b.ack(ctx, envelopeID, nil)
		return
	}
	if cb.Type != slack.InteractionTypeBlockActions || len(cb.ActionCallback.BlockActions) == 0 {
		b.ack(ctx, envelopeID, nil)
		return
	}
	// One click carries one action; take the first and ignore any others.
	a := cb.ActionCallback.BlockActions[0]
	b.enqueue(ctx, envelopeID, clickIdentity(cb, a), job{kind: jobClick, click: cb, action: *a}, func() {
		b.acked(true, "busy", AuditEntry{Action: "busy", User: cb.User.ID, Channel: cb.Channel.ID}, "queue_full")
	})
}

// clickAllowed applies the per-user limits to a click: one that acts
// (disconnect, lock, hold, admit, sweep) counts against the same limit as
// commands; paging, search and refresh have a separate, generous one. A
// refused click is answered privately, audited and counted.
func (b *Bot) clickAllowed(j job, t *reporter, actionID string) bool {
	lim, what := b.limiter, "sending commands"
	switch actionID {
	case slackui.ActionPrev, slackui.ActionNext, slackui.ActionRefresh, slackui.ActionSearch, slackui.ActionClearSearch:
		lim, what = b.navLimiter, "clicking through lists"
	}
	return b.allow(lim, j.click.User.ID, t, what, "rate_limited")
}

// clickIdentity names one press of one button: its trigger_id when Slack
// gave one, else the action's timestamp, user and button.
func clickIdentity(cb slack.InteractionCallback, a *slack.BlockAction) string {
	if cb.TriggerID != "" {
		return "click:" + cb.TriggerID
	}
	if a.ActionTs == "" {
		return "click:" // unidentifiable: only the envelope check applies
	}
	return "click:" + a.ActionTs + "/" + cb.User.ID + "/" + a.ActionID + "/" + a.BlockID
}

// runClick handles one button press or search on a participant list.
func (b *Bot) runClick(ctx context.Context, j job, t *reporter) {
	cb, a := j.click, j.action
	user, channel := cb.User.ID, cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	t.begin(AuditEntry{Action: "click", User: user, Channel: channel}, "")
	if a.ActionID == slackui.ActionLock || a.ActionID == slackui.ActionUnlock {
		if b.clickAllowed(j, t, a.ActionID) {
			b.clickLock(ctx, j, t) // not tied to a list
		}
		return
	}
	if slackui.IsKeepOutAction(a.ActionID) {
		if b.clickAllowed(j, t, a.ActionID) {
			b.runKeepOutClick(ctx, j, t, user, channel)
		}
		return
	}
	if !b.clickAllowed(j, t, a.ActionID) {
		return
	}

	value, err := slackui.ParseAction(a.ActionID, a.BlockID, a.Value)
	if err != nil {
		t.refuse("invalid", "That button is not one kickbot recognises; nothing was done.")
		return
	}
	rec := b.lists.get(value.ListID)
	var recTS string
	if rec != nil {
		// A click can arrive before chat.postMessage returns (or while the
		// list waits for the channel's turn): wait for the post to settle.
		select {
		case <-rec.posted:
		case <-ctx.Done():
			t.refuse("unknown_list", "kickbot is stopping; nothing was done. Try again in a minute.")
			return
		}
	}
	if b.shared != nil {
		// The store's record is the list, whichever replica posted it.
		var err error
		if rec, err = b.loadPosted(ctx, value.ListID, rec); err != nil {
			if ctx.Err() != nil {
				t.refuse("unknown_list", "kickbot is stopping; nothing was done. Try again in a minute.")
				return
			}
			t.refuse("store_unavailable", commands.UserMessage(err))
			return
		}
	}
	if rec != nil {
		rec.mu.Lock()
		recTS = rec.ts
		rec.mu.Unlock()
	}
	if rec == nil || rec.channel != channel || (!rec.ephemeral && (recTS == "" || (cb.Container.MessageTs != "" && recTS != cb.Container.MessageTs))) {
		t.refuse("unknown_list", "This list is no longer active (it expired or kickbot restarted). Run `/kick &lt;meeting ID&gt;` for a fresh one.") // escaped: Slack reads <…> as a link
		return
	}
	t.entry.Conference = rec.conference
	if d := b.authorize(ctx, user, channel, cb.Channel.Name, rec.conference); !d.Allowed {
		t.deny(d)
		return
	}

	switch a.ActionID {
	case slackui.ActionDisconnect:
		b.clickDisconnect(ctx, j, t, rec, recTS, value)
	case slackui.ActionPrev, slackui.ActionNext, slackui.ActionRefresh, slackui.ActionSearch, slackui.ActionClearSearch:
		b.clickNavigate(ctx, j, t, rec, value)
	default:
		t.refuse("invalid", "That button is not one kickbot recognises; nothing was done.")
	}
}

// clickDisconnect kicks the participant of a row, once.
func (b *Bot) clickDisconnect(ctx context.Context, j job, t *reporter, rec *listRecord, recTS string, v slackui.ButtonValue) {
	user := j.click.User.ID
	rec.mu.Lock()
	p, inList := rec.roster.ByID(v.ParticipantID)
	readAt := rec.roster.ReadAt
	rec.mu.Unlock()
	t.entry.Targets = []string{v.ParticipantID}
	if v.Conference != rec.conference || !inList {
		t.refuse("tampered", "That button does not match this list; nothing was done.")
		return
	}
	if p.Protected() {
		t.refuse("refused", "The host and co-hosts cannot be disconnected by kickbot.")
		return
	}
	if b.now().Sub(readAt) > b.cfg.ListMaxAge {
		t.refuse("stale", fmt.Sprintf("This list was read %s ago, which is too old to act on safely. Click *Refresh* and try again.",
			b.now().Sub(readAt).Round(1e9)))
		return
	}
	o := b.kickOnce(ctx, t, commands.Kick{Actor: user, Channel: rec.channel, Conference: rec.conference}, p, readAt, recTS)
	if o == nil {
		return
	}
	note := slackui.RowNote(*o, p.ID)
	_ = b.changeList(ctx, rec, func(r *listRecord) { r.notes[p.ID] = note }) // shown either way; changeList logs
	b.showList(rec, j.click.ResponseURL)
}

// kickOnce disconnects the one participant p of a button row (a list's
// Disconnect, an uninvited list's) through the kick path, reporting under
// threadTS: once, however many click, across lists: a later click is told
// who did it. k names who, where and which meeting. nil: there is no
// outcome for the row (refused, or failed before any call).
func (b *Bot) kickOnce(ctx context.Context, t *reporter, k commands.Kick, p meeting.Participant, readAt time.Time, threadTS string) *commands.Outcome {
	key := k.Conference + "/" + p.ID
	c, ok, err := b.claimClick(ctx, key, k.Actor, readAt)
	if err != nil {
		t.refuse("store_unavailable", commands.UserMessage(err))
		return nil
	}
	if !ok {
		// NameMrkdwn, not Escape: a name is chosen by an outsider, and raw it
		// could start a line of its own ("x\n✅ …", "> quote") or carry bidi controls.
		t.refuse("duplicate", fmt.Sprintf("%s %s by <@%s>.", slackui.NameMrkdwn(p.Name),
			claimState(c, "is already being disconnected", "was already disconnected"), c.user))
		return nil
	}
	k.Targets = []commands.Target{{Kind: commands.TargetID, Value: p.ID}}
	o := b.kick(ctx, k, threadTS, t)
	b.finishClick(key, k.Actor, o != nil && o.Status != commands.StatusFailed)
	return o
}

// clickNavigate pages, searches or refreshes a list in place.
func (b *Bot) clickNavigate(ctx context.Context, j job, t *reporter, rec *listRecord, v slackui.ButtonValue) {
	a := j.action
	t.unaudited = true // paging, searching and refreshing decide nothing
	switch a.ActionID {
	case slackui.ActionRefresh:
		// Read without the list's lock: 40 Refresh clicks on a slow meeting
		// must not hold up anything else.
		roster, err := b.svc.List(ctx, rec.conference)
		if err != nil {
			k := commands.Kick{Actor: j.click.User.ID, Channel: rec.channel, Conference: rec.conference}
			t.fail(k, err, false)
			return
		}
		if b.shared == nil {
			b.lists.resized(rec, roster)
		}
		_ = b.changeList(ctx, rec, func(r *listRecord) {
			r.setRoster(roster)
			// Keep the record of who was disconnected from this list,
			// except for anyone who is back in the meeting: their old
			// note would now be wrong.
			for pid := range r.notes {
				if _, back := r.roster.ByID(pid); back {
					delete(r.notes, pid)
				}
			}
		})
	case slackui.ActionSearch:
		_ = b.changeList(ctx, rec, func(r *listRecord) { r.query, r.page = v.Query, 0 })
	case slackui.ActionClearSearch:
		_ = b.changeList(ctx, rec, func(r *listRecord) { r.query, r.page = "", 0 })
	default:
		_ = b.changeList(ctx, rec, func(r *listRecord) { r.page = v.Page })
	}
	b.showList(rec, j.click.ResponseURL)
	t.inPlace("navigated")
}
