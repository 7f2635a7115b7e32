package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"sync"
	"time"

	"github.com/kickbot/kickbot/bot/slackui"
	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting"
)

// WithLockClock runs the auto-unlock timers on clock instead of real time
// (tests move it by hand).
func WithLockClock(clock commands.Clock) Option { return func(b *Bot) { b.lockClock = clock } }

// WithLockTimers keeps the auto-unlock timers in store, shared by every
// replica (redisstate's Timers): a timer set through one replica is fired
// once, by whichever is alive when it is due. The poll starts with Run and
// ends at shutdown, leaving the timers to the others. opts (for example
// commands.WithTimerPoll) are passed to commands.NewLocks. Without it the
// timers are this process's own and die with it.
func WithLockTimers(store commands.TimerStore, opts ...commands.LocksOption) Option {
	return func(b *Bot) {
		b.lockTimers = store
		b.lockOpts = opts
	}
}

// lockReport is where a lock was reported, so that its auto-unlock is
// reported there too.
type lockReport struct {
	th          *thread
	ownParent   bool   // the thread's parent is the lock's own message: update it when the lock ends
	responseURL string // private fallback
	key         string // with shared timers: finds this report again (lockPlace.Key)
}

// lockPlace is a lockReport as a shared timer stores it (WithLockTimers):
// whichever replica fires the timer rebuilds the thread from it. Never a
// response_url: it is a credential of sorts, and expires in 30 minutes.
// TS is empty when the lock's own parent was not posted yet when the lock
// was made (the meeting call never waits for Slack); Key finds the full
// lockReport when the replica that made the lock fires it.
type lockPlace struct {
	Channel   string `json:"ch"`
	TS        string `json:"ts,omitempty"`
	OwnParent bool   `json:"own,omitempty"`
	Key       string `json:"k,omitempty"`
}

// lockPlaces are this replica's own lockReports by conference, for the
// timers it fires itself (at most one a meeting, as for the timers).
type lockPlaces struct {
	mu     sync.Mutex
	byConf map[string]lockPlaceLocal
}

type lockPlaceLocal struct {
	key string
	rep *lockReport
}

// newLocks builds the lock use case when the meeting client can lock.
func (b *Bot) newLocks() {
	lk, ok := b.svc.Meeting.(commands.Locker)
	if !ok {
		return
	}
	if b.lockTimers == nil {
		b.locks = commands.NewLocks(lk, b.lockClock, b.lockExpired)
		return
	}
	b.places = &lockPlaces{byConf: map[string]lockPlaceLocal{}}
	opts := append([]commands.LocksOption{commands.WithTimerStore(b.lockTimers), commands.WithTimerErrors(func(err error) {
		b.stateError("auto_unlock", err)
	})}, b.lockOpts...)
	b.locks = commands.NewLocks(lk, b.lockClock, b.lockExpired, opts...)
}

// lockData is rep's place, encoded for a shared timer store, for a timed
// lock of conference.
func (b *Bot) lockData(conference string, rep *lockReport) []byte {
	if rep.key == "" {
		rep.key = newLockKey()
	}
	p := lockPlace{Channel: rep.th.channel, OwnParent: rep.ownParent, Key: rep.key}
	b.out.mu.Lock()
	p.TS = rep.th.ts
	b.out.mu.Unlock()
	b.places.mu.Lock()
	b.places.byConf[conference] = lockPlaceLocal{key: p.Key, rep: rep}
	b.places.mu.Unlock()
	data, _ := json.Marshal(p) // cannot fail; far below commands.MaxLockData
	return data
}

func newLockKey() string {
	var k [8]byte
	_, _ = rand.Read(k[:])
	return hex.EncodeToString(k[:])
}

// retagLock stores where a timed lock's message is, once the outbox has
// posted it, with the lock's shared timer, so that another replica firing
// it updates that message and replies in its thread. It runs on its own
// goroutine: the outbox that tells of the post must not wait for the store
// (nor for the lock call, which Retag waits out).
func (b *Bot) retagLock(conference string, rep *lockReport, ts string) {
	data, _ := json.Marshal(lockPlace{Channel: rep.th.channel, TS: ts, OwnParent: rep.ownParent, Key: rep.key})
	ours := func(d []byte) bool {
		var p lockPlace
		return json.Unmarshal(d, &p) == nil && p.Key == rep.key
	}
	b.retags.Go(func() {
		defer func() {
			if r := recover(); r != nil {
				b.log.Error().Interface("panic", r).Str("conference", conference).Msg("storing a lock's message with its timer panicked")
			}
		}()
		ctx, cancel := context.WithTimeout(b.hardStop, 30*time.Second)
		defer cancel()
		if err := b.locks.Retag(ctx, conference, ours, data); err != nil {
			b.stateError("auto_unlock", err)
		}
	})
}

// lockReportOf turns a fired timer's data back into where to report: this
// replica's own lockReport when it made the lock, else a thread rebuilt
// from the stored place (nil when there is none).
func (b *Bot) lockReportOf(conference string, data any) *lockReport {
	if rep, ok := data.(*lockReport); ok {
		return rep
	}
	raw, ok := data.([]byte)
	if !ok || b.places == nil {
		return nil
	}
	var p lockPlace
	if json.Unmarshal(raw, &p) != nil || p.Channel == "" {
		return nil
	}
	b.places.mu.Lock()
	own, mine := b.places.byConf[conference]
	if mine && own.key == p.Key {
		delete(b.places.byConf, conference)
	}
	b.places.mu.Unlock()
	if mine && own.key == p.Key {
		return own.rep
	}
	if p.TS == "" {
		// The lock's parent was not posted yet when the lock was made:
		// the outcome goes to its channel as a message of its own.
		return &lockReport{th: b.out.startThread(p.Channel, slackui.Message{Text: "🔓 Auto-unlock of meeting " + conference}, "")}
	}
	return &lockReport{th: b.out.threadAt(p.Channel, p.TS, ""), ownParent: p.OwnParent}
}

// runLock is /kick <id> lock [d] and /kick <id> unlock: authorize, post the
// parent, make the one call, report in the thread, the parent, the ops
// channel, the audit log and the metrics.
func (b *Bot) runLock(ctx context.Context, j job, t *reporter) {
	cmd, req := j.slash, j.req
	r := commands.LockRequest{Actor: cmd.UserID, Channel: cmd.ChannelID, Conference: req.Conference,
		Lock: req.Kind == commands.KindLock, Duration: req.Duration}
	if _, ok := b.startSlash(ctx, j, t, r.Action(), r.Action()); !ok {
		return
	}
	rep := &lockReport{ownParent: true, responseURL: cmd.ResponseURL}
	var posted func(ts string, err error)
	if b.places != nil && r.Lock && r.Duration > 0 {
		// The lock does not wait for its message; its shared timer learns
		// where the message is once it is posted.
		rep.key = newLockKey()
		posted = func(ts string, err error) {
			if err == nil && ts != "" {
				b.retagLock(r.Conference, rep, ts)
			}
		}
	}
	t.th = b.out.startThreadThen(cmd.ChannelID, slackui.RenderLockStarted(r), cmd.ResponseURL, posted)
	rep.th = t.th
	b.lock(ctx, r, t, rep)
}

// clickLock is a Lock meeting or Unlock button. The button may sit under
// any outcome, so it is not tied to a list: its value names the meeting,
// and whoever clicks is authorized for that channel and meeting again.
// The outcome goes in the thread the button is in.
func (b *Bot) clickLock(ctx context.Context, j job, t *reporter) {
	cb, a := j.click, j.action
	user, channel := cb.User.ID, cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	v, err := slackui.ParseLockAction(a.ActionID, a.Value)
	if err != nil {
		t.refuse("invalid", "That button is not one kickbot recognises; nothing was done.")
		return
	}
	r := commands.LockRequest{Actor: user, Channel: channel, Conference: v.Conference,
		Lock: a.ActionID == slackui.ActionLock, Duration: v.Duration, IfUnlocked: a.ActionID == slackui.ActionLock}
	t.entry.Action, t.entry.Conference, t.action = r.Action(), v.Conference, r.Action()
	if d := b.authorize(ctx, user, channel, cb.Channel.Name, v.Conference); !d.Allowed {
		t.deny(d)
		return
	}
	threadTS := cb.Container.ThreadTs
	if threadTS == "" {
		threadTS = cb.Container.MessageTs
	}
	if threadTS == "" || cb.Container.IsEphemeral {
		// Nowhere public to report: say so rather than act unseen.
		t.refuse("invalid", "kickbot cannot report from this message; use `/kick "+v.Conference+" "+r.Action()+"` instead. Nothing was done.")
		return
	}
	t.th = b.out.threadAt(channel, threadTS, cb.ResponseURL)
	b.lock(ctx, r, t, &lockReport{th: t.th, responseURL: cb.ResponseURL})
}

// lock runs an authorized lock or unlock and reports it through t.
func (b *Bot) lock(ctx context.Context, r commands.LockRequest, t *reporter, rep *lockReport) {
	if b.locks == nil {
		t.refuse("unsupported", "Locking is not available with this meeting service; nothing was done.")
		return
	}
	var data any = rep
	placed := false // the stored place holds the message's ts
	if b.places != nil {
		data = nil
		if r.Lock && r.Duration > 0 {
			var p lockPlace
			data = b.lockData(r.Conference, rep)
			placed = json.Unmarshal(data.([]byte), &p) == nil && p.TS != ""
		}
	}
	o := b.locks.Do(ctx, r, data)
	if data != nil && !placed && o.Status == commands.LockDone && rep.key != "" {
		// The message may have been posted between lockData and the timer's
		// Schedule, when Retag still found no timer: store its place now.
		b.out.mu.Lock()
		ts := rep.th.ts
		b.out.mu.Unlock()
		if ts != "" {
			b.retagLock(r.Conference, rep, ts)
		}
	}
	if !o.Until.IsZero() && o.Status == commands.LockDone {
		t.entry.Reason = "for " + commands.FormatDuration(r.Duration) + ", until " + o.Until.UTC().Format(time.RFC3339)
	}
	if o.Status == commands.LockAlready {
		// A second click on Lock: the first one's outcome is in the thread.
		t.private(slackui.RenderLockAlready(o))
	} else {
		t.finish(rep.th, slackui.RenderLockOutcome(o), slackui.RenderLockParent(o),
			func(link string) slackui.Message { return slackui.RenderLockOpsNotice(o, link) })
	}
	t.recordResult(o.Status.String(), oneID(o.RequestID), o.Err)
}

// lockExpired reports a timer's unlock where the lock was reported. It runs
// on the timer's goroutine (commands.Locks owns it, with a recover).
func (b *Bot) lockExpired(o commands.LockOutcome, data any) {
	entry := AuditEntry{Action: "unlock", User: o.LockedBy, Channel: o.Request.Channel, Conference: o.Request.Conference,
		Reason: "auto-unlock: the lock's time was up", Outcome: o.Status.String(), Duration: o.Finished.Sub(o.Started)}
	entry.RequestIDs = oneID(o.RequestID)
	if o.Err != nil {
		entry.ErrorKind = meeting.KindOf(o.Err).String()
	}
	notice := func(link string) slackui.Message { return slackui.RenderLockOpsNotice(o, link) }
	if rep := b.lockReportOf(o.Request.Conference, data); rep != nil {
		final := slackui.RenderLockParent(o)
		b.out.finish(rep.th, slackui.RenderLockOutcome(o), final, notice)
		if rep.ownParent {
			b.out.updateMessage(rep.th, final)
		}
	} else {
		b.out.notify(nil, notice)
	}
	b.audit.Record(entry)
	b.countAction("auto_unlock", o.Status.String())
}

// stopLocks cancels the auto-unlock timers at shutdown and tells the ops
// channel, in one notice, which meetings stay locked and until when.
func (b *Bot) stopLocks(deadline time.Time) {
	if b.locks == nil {
		return
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	ps := b.locks.Stop(ctx)
	if len(ps) == 0 {
		return
	}
	for _, p := range ps {
		b.log.Warn().Str("conference", p.Conference).Time("until", p.Until).Msg("stopping: this meeting stays locked; its auto-unlock will not run")
	}
	b.notifyOps(slackui.RenderPendingLocks(ps))
}

// withLockButtons adds Lock meeting (and Unlock, when the meeting is
// locked) under a kick's outcome. A meeting watched live says itself
// whether it is locked (ConfDynamicInfoNotify: a host may have locked or
// unlocked it in the app); otherwise kickbot's own lock and unlock calls
// decide.
func (b *Bot) withLockButtons(m slackui.Message, conference string) slackui.Message {
	if b.locks == nil {
		return m
	}
	locked := b.locks.Locked(conference)
	if w := b.watches.watcher(conference); w != nil {
		if st := w.Status(); st.Live {
			locked = st.Locked
		}
	}
	return slackui.WithLockButtons(m, conference, b.cfg.LockDefault, locked)
}
