package bot

import (
	"container/list"
	"context"
	"fmt"
	"maps"
	"strconv"
	"sync"
	"time"

	"github.com/kickbot/kickbot/bot/slackui"
	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting"
)

// Hold (move to the waiting room, with Admit to undo) and the uninvited
// list (with Disconnect all). Their buttons carry a record ID and a row;
// the people behind them are in a keepRecord, never in the button.

// keepRecord is what kickbot keeps of a hold outcome or an uninvited list.
type keepRecord struct {
	mu         sync.Mutex // guards the fields that change; never held across a network call
	id         string
	hold       bool // a hold outcome; else an uninvited list
	channel    string
	conference string
	created    time.Time
	posted     chan struct{} // closed once the message is posted (or given up)
	th         *thread       // the message: a hold's parent, or the uninvited list

	// hold
	outcome commands.Outcome
	// people: a hold's moved people (the Admit rows), or the uninvited
	// snapshot Disconnect all takes (all of them, not only those shown).
	people  []meeting.Participant
	notes   map[int]string // row → note
	allNote string         // Admit all was used

	// inThread: the record's buttons sit in a reply under th (a hold made
	// by a Waiting room click, a join alert), not in th's own message: a
	// click is matched by its thread, and th's message is never replaced.
	inThread bool
	// alert: a join alert's one person, offered only Waiting room.
	alert bool

	// uninvited
	view    commands.UninvitedView
	left    int
	sweptBy string
}

// keepStore remembers records, bounded by count and age like listStore;
// past a bound the oldest are forgotten and their buttons answer "no longer
// active".
type keepStore struct {
	mu    sync.Mutex
	now   func() time.Time
	max   int
	recs  map[string]*list.Element
	order *list.List
}

func newKeepStore(now func() time.Time, max int) *keepStore {
	return &keepStore{now: now, max: max, recs: map[string]*list.Element{}, order: list.New()}
}

func (s *keepStore) add(r *keepRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs[r.id] = s.order.PushBack(r)
	s.expireLocked()
}

func (s *keepStore) expireLocked() {
	now := s.now()
	for e := s.order.Front(); e != nil && s.order.Len() > 1; e = s.order.Front() {
		r := e.Value.(*keepRecord)
		if now.Sub(r.created) <= ListRetention && s.order.Len() <= s.max {
			return
		}
		s.order.Remove(e)
		delete(s.recs, r.id)
	}
}

func (s *keepStore) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.recs[id]; ok {
		s.order.Remove(e)
		delete(s.recs, id)
	}
}

func (s *keepStore) get(id string) *keepRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked()
	if e, ok := s.recs[id]; ok {
		return e.Value.(*keepRecord)
	}
	return nil
}

// postWait bounds how long a click waits for the message it came from to
// be known as posted.
const postWait = 30 * time.Second

// tsOf is a thread's message ts, "" until it is posted.
func (o *outbox) tsOf(th *thread) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return th.ts
}

// runHold is `/kick <conference> hold <target>…`: authorize, resolve as a
// kick, move to the waiting room, and report with an Admit button per
// person in the parent, the outcome in the thread, the ops notice, the audit
// log and the metrics.
func (b *Bot) runHold(ctx context.Context, j job, t *reporter) {
	k, ok := b.startSlash(ctx, j, t, "hold", "hold")
	if !ok {
		return
	}
	_, res, o, err := b.svc.Hold(ctx, k)
	if err != nil {
		t.fail(k, err, true)
		return
	}
	if len(res.Ambiguous) > 0 {
		t.private(slackui.RenderHoldAmbiguous(k, res.Ambiguous))
		t.record("ambiguous")
		return
	}
	rec := &keepRecord{id: newListID(), hold: true, channel: k.Channel, conference: k.Conference, created: b.now(),
		outcome: o, people: o.Waiting(), notes: map[int]string{}}
	if len(rec.people) > 0 && b.shared != nil {
		// Shared before the parent is queued, and given its ts once it is
		// posted: an Admit click on another replica waits for that.
		b.shareKeep(rec, "")
		t.th = b.out.startThreadThen(k.Channel, slackui.RenderHoldStarted(k), t.responseURL,
			func(ts string, err error) { b.sharePostedKeep(rec.id, ts, err) })
	} else {
		t.th = b.out.startThread(k.Channel, slackui.RenderHoldStarted(k), t.responseURL)
	}
	rec.th = t.th
	if len(rec.people) > 0 {
		b.keeps.add(rec)
	}
	t.finish(t.th, slackui.RenderHoldOutcome(o), b.renderHold(rec),
		func(link string) slackui.Message { return slackui.RenderHoldNotice(o, link) })
	t.recordResult(o.Status.String(), o.RequestIDs, o.Err)
}

func (b *Bot) renderHold(rec *keepRecord) slackui.Message {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	notes := maps.Clone(rec.notes)
	return slackui.RenderHoldParent(rec.outcome, slackui.HoldState{Record: rec.id, People: rec.people, Notes: notes, AllNote: rec.allNote,
		InThread: rec.inThread})
}

// runUninvited is `/kick <conference> uninvited`: who is online but not
// invited, posted with Disconnect buttons and Disconnect all N.
func (b *Bot) runUninvited(ctx context.Context, j job, t *reporter) {
	k, ok := b.startSlash(ctx, j, t, "uninvited", "uninvited")
	if !ok {
		return
	}
	_, v, err := b.svc.ListUninvited(ctx, k.Conference)
	if err != nil {
		t.fail(k, err, false)
		return
	}
	if !v.Known {
		// Nothing to act on: an unreadable invite list must never make
		// everyone look uninvited.
		t.private(slackui.RenderUninvited(v, slackui.UninvitedState{}))
		t.record("invite_list_unknown")
		return
	}
	take, left := v.Sweepable(b.cfg.MaxSweep)
	rec := &keepRecord{id: newListID(), channel: k.Channel, conference: k.Conference, created: b.now(),
		posted: make(chan struct{}), view: v, people: take, left: left, notes: map[int]string{}}
	for _, p := range take {
		t.entry.Targets = append(t.entry.Targets, p.ID)
	}
	// Registered before the post: Slack can deliver a click before
	// chat.postMessage returns; the click waits for rec.posted.
	b.keeps.add(rec)
	b.shareKeep(rec, "") // a click on another replica waits for its ts
	t.post(k, b.renderUninvited(rec), func(ts string, err error) string {
		rec.mu.Lock()
		if err == nil {
			rec.th = b.out.threadAt(k.Channel, ts, "")
		}
		rec.mu.Unlock()
		b.sharePostedKeep(rec.id, ts, err)
		close(rec.posted)
		if err != nil {
			b.keeps.remove(rec.id)
		}
		return "listed"
	})
}

func (b *Bot) renderUninvited(rec *keepRecord) slackui.Message {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	notes := maps.Clone(rec.notes)
	return slackui.RenderUninvited(rec.view, slackui.UninvitedState{Record: rec.id, Take: rec.people, Left: rec.left,
		Notes: notes, SweptBy: rec.sweptBy, MaxSweep: b.cfg.MaxSweep})
}

// runKeepOutClick handles Admit, Admit all, and an uninvited list's
// Disconnect and Disconnect all. The value names a record and a row; the
// record decides who that is, and the clicker is authorized again.
func (b *Bot) runKeepOutClick(ctx context.Context, j job, t *reporter, user, channel string) {
	cb, a := j.click, j.action
	v, err := slackui.ParseKeepOutAction(a.ActionID, a.Value)
	if err != nil {
		t.refuse("invalid", "That button is not one kickbot recognises; nothing was done.")
		return
	}
	rec := b.keeps.get(v.Record)
	holdAction := a.ActionID == slackui.ActionAdmit || a.ActionID == slackui.ActionAdmitAll
	if rec != nil && rec.posted != nil {
		select {
		case <-rec.posted:
		case <-ctx.Done():
			t.refuse("unknown_list", "kickbot is stopping; nothing was done. Try again in a minute.")
			return
		}
	}
	var ts string
	if rec != nil {
		rec.mu.Lock()
		th := rec.th
		rec.mu.Unlock()
		if th != nil {
			// A hold's parent goes out with its Admit buttons; Slack can
			// deliver a click before chat.postMessage returns its ts.
			wctx, cancel := context.WithTimeout(ctx, postWait)
			settled := b.out.waitSettled(wctx, th)
			cancel()
			if !settled && ctx.Err() != nil {
				t.refuse("unknown_list", "kickbot is stopping; nothing was done. Try again in a minute.")
				return
			}
			ts = b.out.tsOf(th)
		}
	}
	if b.shared != nil {
		// The store's record, whichever replica made it; one it does not
		// hold (a /kick … hold's) is this replica's alone.
		shared, sts, err := b.loadKeep(ctx, v.Record, rec)
		switch {
		case err != nil && ctx.Err() != nil:
			t.refuse("unknown_list", "kickbot is stopping; nothing was done. Try again in a minute.")
			return
		case err != nil:
			t.refuse("store_unavailable", commands.UserMessage(err))
			return
		case shared != nil:
			rec, ts = shared, sts
		}
	}
	if rec == nil || rec.channel != channel || rec.hold != holdAction || ts == "" ||
		(cb.Container.MessageTs != "" && cb.Container.MessageTs != ts && !(rec.inThread && cb.Container.ThreadTs == ts)) {
		t.refuse("unknown_list", "This message is no longer active (it expired or kickbot restarted); nothing was done.")
		return
	}
	t.entry.Conference = rec.conference
	if d := b.authorize(ctx, user, channel, cb.Channel.Name, rec.conference); !d.Allowed {
		t.deny(d)
		return
	}
	if v.Row >= len(rec.people) || rec.alert && a.ActionID != slackui.ActionHoldOne {
		t.refuse("tampered", "That button does not match this message; nothing was done.")
		return
	}
	switch a.ActionID {
	case slackui.ActionAdmit:
		b.clickAdmit(ctx, j, t, rec, v.Row)
	case slackui.ActionAdmitAll:
		b.clickAdmitAll(ctx, j, t, rec)
	case slackui.ActionSweepOne:
		b.clickSweepOne(ctx, j, t, rec, ts, v.Row)
	case slackui.ActionSweepAll:
		b.clickSweepAll(ctx, j, t, rec, ts)
	case slackui.ActionHoldOne:
		b.clickHoldOne(ctx, j, t, rec, ts, v.Row)
	}
}

func (b *Bot) clickAdmit(ctx context.Context, j job, t *reporter, rec *keepRecord, row int) {
	user := j.click.User.ID
	p := rec.people[row]
	key := "admit/" + rec.id + "/" + strconv.Itoa(row)
	c, ok, err := b.claimClick(ctx, key, user, rec.created)
	if err != nil {
		t.refuse("store_unavailable", commands.UserMessage(err))
		return
	}
	if !ok {
		t.refuse("duplicate", fmt.Sprintf("%s %s by <@%s>.", slackui.NameMrkdwn(p.Name), claimState(c, "is already being admitted", "was already admitted"), c.user))
		return
	}
	// Refusals above are audited as clicks; what is tried, as an admit.
	t.entry.Action, t.entry.Targets, t.action = "admit", []string{p.ID}, "admit"
	o := b.svc.Admit(ctx, user, rec.conference, p)
	ok = o.Result == commands.AdmitDone || o.Result == commands.AdmitAlreadyIn
	b.finishClick(key, user, ok)
	if ok {
		_ = b.changeKeep(ctx, rec, func(r *keepRecord) { r.notes[row] = "↩️ admitted by <@" + user + ">" })
	}
	b.reportAdmit(rec, o, t)
}

func (b *Bot) clickAdmitAll(ctx context.Context, j job, t *reporter, rec *keepRecord) {
	user := j.click.User.ID
	key := "admitall/" + rec.id
	c, ok, err := b.claimClick(ctx, key, user, rec.created)
	if err != nil {
		t.refuse("store_unavailable", commands.UserMessage(err))
		return
	}
	if !ok {
		t.refuse("duplicate", fmt.Sprintf("The waiting room %s by <@%s>.", claimState(c, "is already being opened", "was already opened"), c.user))
		return
	}
	t.entry.Action, t.entry.Reason, t.action = "admit", "admit all", "admit"
	o := b.svc.AdmitAll(ctx, user, rec.conference)
	ok = o.Result == commands.AdmitDone
	b.finishClick(key, user, ok)
	if ok {
		_ = b.changeKeep(ctx, rec, func(r *keepRecord) { r.allNote = "↩️ everyone waiting was admitted by <@" + user + ">" })
	}
	b.reportAdmit(rec, o, t)
}

// reportAdmit shows an admit in the hold's thread (a refusal too: everyone
// sees that the undo did not happen), updates the parent's rows and tells
// the ops channel.
func (b *Bot) reportAdmit(rec *keepRecord, o commands.AdmitOutcome, t *reporter) {
	parent := b.renderHold(rec)
	th := &thread{channel: rec.channel, ts: b.out.tsOf(rec.th), responseURL: t.responseURL, shownFinal: true}
	t.finish(th, slackui.RenderAdmit(o, ""), parent,
		func(link string) slackui.Message { return slackui.RenderAdmit(o, link) })
	if !rec.inThread {
		b.out.updateMessage(rec.th, parent)
	}
	t.recordResult(o.Result.String(), oneID(o.RequestID), o.Err)
}

func claimState(c claim, busy, done string) string {
	if c.done {
		return done
	}
	return busy
}

// clickSweepOne disconnects one row of an uninvited list: once, through
// the kick path, like a Disconnect on a participant list (the two share
// their once-only key).
func (b *Bot) clickSweepOne(ctx context.Context, j job, t *reporter, rec *keepRecord, ts string, row int) {
	user := j.click.User.ID
	p := rec.people[row]
	t.entry.Targets = []string{p.ID}
	if b.now().Sub(rec.created) > b.cfg.ListMaxAge {
		t.refuse("stale", "This list is too old to act on safely. Run `/kick "+slackui.Escape(rec.conference)+" uninvited` again.")
		return
	}
	o := b.kickOnce(ctx, t, commands.Kick{Actor: user, Channel: rec.channel, Conference: rec.conference}, p, rec.created, ts)
	if o == nil {
		return
	}
	note := slackui.RowNote(*o, p.ID)
	_ = b.changeKeep(ctx, rec, func(r *keepRecord) { r.notes[row] = note })
	rec.mu.Lock()
	th := rec.th
	rec.mu.Unlock()
	b.out.updateMessage(th, b.renderUninvited(rec))
}

// clickSweepAll disconnects exactly the list's snapshot — all of it, also
// the rows not shown — through the kick path (claims, batching, one
// disconnect call split only at MEETING_MAX_PER_HANGUP), resolved against
// a fresh roster by ID: nobody who joined since is named, and the host and
// co-hosts are refused there.
func (b *Bot) clickSweepAll(ctx context.Context, j job, t *reporter, rec *keepRecord, ts string) {
	user := j.click.User.ID
	if b.now().Sub(rec.created) > b.cfg.ListMaxAge {
		t.refuse("stale", "This list is too old to act on safely. Run `/kick "+slackui.Escape(rec.conference)+" uninvited` again.")
		return
	}
	if len(rec.people) > b.cfg.MaxSweep {
		t.refuse("refused", fmt.Sprintf("This list holds more than %d people (KICK_MAX_SWEEP); nothing was done.", b.cfg.MaxSweep))
		return
	}
	key := "sweep/" + rec.id
	c, ok, err := b.claimClick(ctx, key, user, rec.created)
	if err != nil {
		t.refuse("store_unavailable", commands.UserMessage(err))
		return
	}
	if !ok {
		t.refuse("duplicate", fmt.Sprintf("This list %s by <@%s>.", claimState(c, "is already being swept", "was already swept"), c.user))
		return
	}
	targets := make([]commands.Target, len(rec.people))
	for i, p := range rec.people {
		targets[i] = commands.Target{Kind: commands.TargetID, Value: p.ID}
	}
	t.entry.Action, t.entry.Targets = "sweep", targetStrings(targets)
	k := commands.Kick{Actor: user, Channel: rec.channel, Conference: rec.conference, Targets: targets,
		Reason: "not on the invite list (Disconnect all)"}
	_ = b.changeKeep(ctx, rec, func(r *keepRecord) { r.sweptBy = user })
	t.action = "sweep"
	o := b.kick(ctx, k, ts, t)
	b.finishClick(key, user, o != nil && o.Status != commands.StatusFailed)
	_ = b.changeKeep(ctx, rec, func(r *keepRecord) {
		if o == nil || o.Status == commands.StatusFailed {
			r.sweptBy = "" // nothing happened: the button comes back for a retry
		}
		if o != nil {
			for i, p := range r.people {
				r.notes[i] = slackui.RowNote(*o, p.ID)
			}
		}
	})
	rec.mu.Lock()
	th := rec.th
	rec.mu.Unlock()
	b.out.updateMessage(th, b.renderUninvited(rec))
}

// clickHoldOne is the Waiting room button of an uninvited row or a join
// alert: a hold of that one person (resolved by ID against the meeting,
// so the host and co-hosts are refused there), once only, audited as
// "hold", with its outcome and an Admit button in the thread.
func (b *Bot) clickHoldOne(ctx context.Context, j job, t *reporter, rec *keepRecord, ts string, row int) {
	user := j.click.User.ID
	p := rec.people[row]
	if b.now().Sub(rec.created) > b.cfg.ListMaxAge {
		again := "`/kick " + slackui.Escape(rec.conference) + " uninvited`"
		if rec.alert {
			again = "`/kick " + slackui.Escape(rec.conference) + " hold <participant ID>`"
		}
		t.refuse("stale", "This message is too old to act on safely. Run "+again+" instead.")
		return
	}
	key := "hold/" + rec.conference + "/" + p.ID
	c, ok, err := b.claimClick(ctx, key, user, rec.created)
	if err != nil {
		t.refuse("store_unavailable", commands.UserMessage(err))
		return
	}
	if !ok {
		t.refuse("duplicate", fmt.Sprintf("%s %s by <@%s>.", slackui.NameMrkdwn(p.Name), claimState(c, "is already being moved to the waiting room", "was already moved to the waiting room"), c.user))
		return
	}
	reason := "not on the invite list (Waiting room button)"
	if rec.alert {
		reason = "join alert (Waiting room button)"
	}
	k := commands.Kick{Actor: user, Channel: rec.channel, Conference: rec.conference, Reason: reason,
		Targets: []commands.Target{{Kind: commands.TargetID, Value: p.ID}}}
	t.entry.Action, t.entry.Targets, t.entry.Reason, t.action = "hold", []string{p.ID}, reason, "hold"
	_, _, o, err := b.svc.Hold(ctx, k)
	th := b.out.threadAt(rec.channel, ts, j.click.ResponseURL)
	if err != nil {
		b.finishClick(key, user, false)
		t.finish(th, slackui.RenderFailure(k, err), slackui.Message{},
			func(string) slackui.Message { return slackui.RenderFailureNotice(k, err) })
		t.recordResult("failed", nil, err)
		return
	}
	// Done once someone is (or may be) in the waiting room; a click that
	// moved nobody can be tried again.
	b.finishClick(key, user, len(o.Waiting()) > 0)
	hold := &keepRecord{id: newListID(), hold: true, inThread: true, channel: rec.channel, conference: rec.conference,
		created: b.now(), th: b.out.threadAt(rec.channel, ts, ""), outcome: o, people: o.Waiting(), notes: map[int]string{}}
	shown := slackui.RenderHoldOutcome(o) // nobody moved: why, per person
	if len(hold.people) > 0 {
		b.keeps.add(hold)
		b.shareKeep(hold, ts)
		shown = b.renderHold(hold)
	}
	t.finish(th, shown, slackui.Message{},
		func(link string) slackui.Message { return slackui.RenderHoldNotice(o, link) })
	if !rec.alert && o.Gone() > 0 {
		_ = b.changeKeep(ctx, rec, func(r *keepRecord) { r.notes[row] = "⏸️ moved to the waiting room by <@" + user + ">" })
		rec.mu.Lock()
		list := rec.th
		rec.mu.Unlock()
		b.out.updateMessage(list, b.renderUninvited(rec))
	}
	t.recordResult(o.Status.String(), o.RequestIDs, o.Err)
}
