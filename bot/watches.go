package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"golang.org/x/time/rate"

	"github.com/kickbot/kickbot/bot/slackui"
	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/config"
	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/state"
)

// WatchConfig sets how meetings are watched over the conference WebSocket.
type WatchConfig struct {
	Idle    time.Duration         // KICK_WATCH_IDLE: watched this long after the last interest
	Max     int                   // KICK_WATCH_MAX: meetings watched at once; past it the longest-idle stops
	Options []meeting.WatchOption // passed to every Watch (tests: short heartbeats and backoff)
	// ListEvery: a list is re-rendered from the live roster at most this
	// often, default 5s.
	ListEvery time.Duration
	// LiveUpdateEvery paces all live list updates together, app-wide,
	// default 2.4s: half of chat.update's Tier 3 budget (about 50 a
	// minute, which the outbox paces at one per 1.2s), so kicks and clicks
	// always keep the other half. With many live lists each updates less
	// often, and its "Updated" time says so.
	LiveUpdateEvery time.Duration
}

// WithWatching lets the bot watch meetings through mc: lists, kicks and
// `/kick <id> watch` keep a meeting watched, and kicks and lists on a
// watched meeting read its live roster. It routes svc.Meeting through the
// watches (see watchedMeeting). Without it, watch and unwatch are answered
// "not available".
func WithWatching(mc *meeting.Client, cfg WatchConfig) Option {
	return func(b *Bot) { b.watchSrc, b.watchCfg = mc, cfg }
}

// Leases are exclusive, expiring ownerships; *redisstate.Leases (and
// *memstate.Leases) satisfy it. ok is false when someone else holds key.
type Leases interface {
	Acquire(ctx context.Context, key, owner string, ttl time.Duration) (lease state.Lease, ok bool, err error)
	Renew(ctx context.Context, lease state.Lease, ttl time.Duration) error
	Release(ctx context.Context, lease state.Lease) error
}

// WithWatchLeases makes one replica of the deployment watch a meeting: a
// watch starts only under the meeting's lease in l (Leases("watch")),
// renewed while it runs and released when it stops. A replica that finds
// the lease held reads rosters through the meeting API, as when the socket
// is down, and takes the watch over on the next interest in the meeting
// once the holder's lease lapsed (it stopped, or died: watchLeaseTTL). A
// store that does not answer starts no watch, and a watch whose lease
// cannot be renewed for watchLeaseTTL stops: two replicas never both
// watch a meeting knowingly.
func WithWatchLeases(l Leases) Option { return func(b *Bot) { b.watchLeases = l } }

const (
	// watchLeaseTTL is how long a dead replica's watch keeps the meeting
	// from the others.
	watchLeaseTTL = 30 * time.Second
	// watchLeaseRenew is how often the holder renews it: two misses are
	// survived.
	watchLeaseRenew = watchLeaseTTL / 3
)

// errWatchedElsewhere: another replica holds the meeting's watch lease.
var errWatchedElsewhere = errors.New("the meeting is watched by another kickbot replica")

// replicaName names this process in the leases it holds (for logs).
func replicaName() string {
	h, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return h + "/" + strconv.Itoa(os.Getpid()) + "/" + hex.EncodeToString(b[:])
}

// watches is the registry of watched meetings. It owns every watcher and
// its goroutine: each runs under the registry's context, which close
// cancels before it waits for them, so nothing outlives the Bot.
type watches struct {
	b      *Bot
	mc     *meeting.Client
	cfg    WatchConfig
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	budget *rate.Limiter // live list updates, app-wide: their share of chat.update
	leases Leases        // WithWatchLeases; nil: every watch is this replica's
	owner  string        // this replica, in the leases

	mu     sync.Mutex
	byConf map[string]*watch
	closed bool

	// running holds every started watcher until its goroutine ends, when
	// its reconnects move to pastReconnects: under one lock, so the sum
	// WatchStats reports never goes down (a Prometheus counter).
	statMu         sync.Mutex
	running        map[*meeting.Watcher]struct{}
	pastReconnects int
}

// watch is one watched meeting.
type watch struct {
	conf   string
	ready  chan struct{} // closed once w or err is set
	wake   chan struct{} // capacity 1: a list started following
	w      *meeting.Watcher
	err    error
	cancel context.CancelFunc
	last   time.Time // the last interest (real clock: it drives timers); guarded by watches.mu

	listsMu  sync.Mutex
	lists    map[*listRecord]*liveList // posted lists of this meeting that follow it
	watching map[string]string         // channel → ts of its "watching" message
}

// liveList is how far a list is behind its meeting.
type liveList struct {
	dirty bool      // the live roster changed since the list was rendered
	sent  time.Time // when the last live update was queued
}

func newWatches(b *Bot, mc *meeting.Client, cfg WatchConfig) *watches {
	d := config.Defaults()
	defDur(&cfg.Idle, d.WatchIdle)
	defInt(&cfg.Max, d.WatchMax)
	defDur(&cfg.ListEvery, 5*time.Second)
	defDur(&cfg.LiveUpdateEvery, 2400*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	return &watches{b: b, mc: mc, cfg: cfg, ctx: ctx, cancel: cancel, leases: b.watchLeases, owner: replicaName(), byConf: map[string]*watch{}, running: map[*meeting.Watcher]struct{}{},
		budget: rate.NewLimiter(rate.Every(cfg.LiveUpdateEvery), 2)}
}

// ensure marks interest in conf, starting a watch if there is none. The
// watch starts in the background (its first realTimeInfo read must not
// delay whoever showed the interest); wait on ready for it. nil after close.
func (ws *watches) ensure(conf string) *watch {
	ws.mu.Lock()
	if ws.closed {
		ws.mu.Unlock()
		return nil
	}
	now := time.Now()
	if wt := ws.byConf[conf]; wt != nil {
		wt.last = now
		ws.mu.Unlock()
		return wt
	}
	ctx, cancel := context.WithCancel(ws.ctx)
	wt := &watch{conf: conf, ready: make(chan struct{}), wake: make(chan struct{}, 1), cancel: cancel, last: now, lists: map[*listRecord]*liveList{}, watching: map[string]string{}}
	ws.byConf[conf] = wt
	var evicted []*watch
	for len(ws.byConf) > ws.cfg.Max {
		var oldest *watch
		for _, o := range ws.byConf {
			if o != wt && (oldest == nil || o.last.Before(oldest.last)) {
				oldest = o
			}
		}
		delete(ws.byConf, oldest.conf)
		evicted = append(evicted, oldest)
	}
	ws.wg.Add(1)
	ws.mu.Unlock()
	for _, o := range evicted {
		ws.b.log.Info().Str("conference", o.conf).Int("max", ws.cfg.Max).Msg("KICK_WATCH_MAX reached: the longest-idle watch stops")
		o.cancel()
	}
	go ws.run(ctx, wt)
	return wt
}

// touch marks interest in conf (a list was posted, a kick ran).
func (ws *watches) touch(conf string) {
	if ws != nil {
		ws.ensure(conf)
	}
}

// follow marks interest in rec's meeting and keeps rec current from the
// live roster while the meeting is watched.
func (ws *watches) follow(rec *listRecord) {
	if ws == nil || rec.ephemeral {
		return
	}
	wt := ws.ensure(rec.conference)
	if wt == nil {
		return
	}
	// Behind only if the live roster changed after the list's was read;
	// a watch that is not live yet marks it behind when it goes live.
	dirty := false
	if w := ws.watcher(rec.conference); w != nil && w.Live() {
		rec.mu.Lock()
		readAt := rec.roster.ReadAt
		rec.mu.Unlock()
		dirty = w.Status().Updated.After(readAt)
	}
	wt.listsMu.Lock()
	wt.lists[rec] = &liveList{dirty: dirty}
	wt.listsMu.Unlock()
	wt.poke()
}

// liveNoteFor is the live note for a new list of conf: set when the
// meeting's live roster is current, so the list says so from the start.
func (ws *watches) liveNoteFor(conf string) string {
	if w := ws.watcher(conf); w != nil && w.Live() {
		return ws.liveNote()
	}
	return ""
}

// poke wakes the watch's goroutine to look at its lists.
func (wt *watch) poke() {
	select {
	case wt.wake <- struct{}{}:
	default:
	}
}

// watcher is conf's running watcher, or nil when conf is not watched (or
// its watch is still starting).
func (ws *watches) watcher(conf string) *meeting.Watcher {
	if ws == nil {
		return nil
	}
	ws.mu.Lock()
	wt := ws.byConf[conf]
	ws.mu.Unlock()
	if wt == nil {
		return nil
	}
	select {
	case <-wt.ready:
		return wt.w
	default:
		return nil
	}
}

// stop ends conf's watch; false if it was not watched.
func (ws *watches) stop(conf string) bool {
	ws.mu.Lock()
	wt := ws.byConf[conf]
	delete(ws.byConf, conf)
	ws.mu.Unlock()
	if wt == nil {
		return false
	}
	wt.cancel()
	return true
}

// WatchStats is the state of the watched meetings, for /readyz and /metrics.
type WatchStats struct {
	Watched    int           // meetings watched now
	Live       int           // of them, with the event socket up and the roster current
	Reconnects int           // socket losses and refusals since the bot started, over all its watches (never goes down)
	MaxLag     time.Duration // the largest frame lag (client clock minus the last frame's createTime)
	Locked     int           // live watched meetings that are locked, as their sockets report
}

// WatchStats reports the watched meetings; zero without WithWatching.
func (b *Bot) WatchStats() WatchStats {
	ws := b.watches
	if ws == nil {
		return WatchStats{}
	}
	ws.mu.Lock()
	confs := make([]string, 0, len(ws.byConf))
	for conf := range ws.byConf {
		confs = append(confs, conf)
	}
	ws.mu.Unlock()
	s := WatchStats{Watched: len(confs)}
	for _, conf := range confs {
		w := ws.watcher(conf)
		if w == nil {
			continue
		}
		st := w.Status()
		if st.Live {
			s.Live++
		}
		s.MaxLag = max(s.MaxLag, st.FrameLag)
		if st.Live && st.Locked {
			s.Locked++
		}
	}
	ws.statMu.Lock()
	s.Reconnects = ws.pastReconnects
	for w := range ws.running {
		s.Reconnects += w.Status().Reconnects
	}
	ws.statMu.Unlock()
	return s
}

// close stops every watch and waits for their goroutines.
func (ws *watches) close() {
	if ws == nil {
		return
	}
	ws.mu.Lock()
	ws.closed = true
	ws.byConf = map[string]*watch{}
	ws.mu.Unlock()
	ws.cancel()
	ws.wg.Wait()
}

// forget drops wt from the registry unless it was replaced meanwhile.
func (ws *watches) forget(wt *watch) {
	ws.mu.Lock()
	if ws.byConf[wt.conf] == wt {
		delete(ws.byConf, wt.conf)
	}
	ws.mu.Unlock()
	wt.cancel()
}

// run is one watch's goroutine: it starts the watcher, follows its events
// until the watch has been idle for cfg.Idle, is stopped, or the meeting
// ends, and stops the watcher before it returns.
func (ws *watches) run(ctx context.Context, wt *watch) {
	defer ws.wg.Done()
	defer ws.forget(wt)
	defer func() {
		if r := recover(); r != nil {
			ws.b.log.Error().Str("conference", wt.conf).Str("panic", fmt.Sprint(r)).Bytes("stack", debug.Stack()).
				Msg("watch goroutine panicked; the watch stops")
		}
	}()
	lease, err := ws.acquire(ctx, wt.conf)
	if err != nil {
		wt.err = err
		close(wt.ready)
		return
	}
	if ws.leases != nil {
		defer func() {
			rctx, cancel := context.WithTimeout(context.Background(), watchLeaseTTL)
			defer cancel()
			if err := ws.leases.Release(rctx, lease); err != nil {
				ws.b.stateError("watch_lease", err) // it lapses by itself
			}
		}()
	}
	w, err := ws.mc.Watch(ctx, wt.conf, ws.cfg.Options...)
	wt.w, wt.err = w, err
	close(wt.ready)
	if err != nil {
		ws.b.log.Info().Str("conference", wt.conf).Str("kind", meeting.KindOf(err).String()).Msg("cannot watch meeting")
		return
	}
	ws.statMu.Lock()
	ws.running[w] = struct{}{}
	ws.statMu.Unlock()
	defer func() { // after Stop: its count is final
		ws.statMu.Lock()
		delete(ws.running, w)
		ws.pastReconnects += w.Status().Reconnects
		ws.statMu.Unlock()
	}()
	defer w.Stop()
	sub := w.Subscribe(1024)
	defer sub.Close()
	ws.b.log.Info().Str("conference", wt.conf).Msg("watching meeting")

	defer ws.b.listsNotLive(wt, w)

	idle := time.NewTimer(ws.cfg.Idle)
	defer idle.Stop()
	flush := time.NewTimer(0)
	defer flush.Stop()
	var renew <-chan time.Time
	if ws.leases != nil {
		t := time.NewTicker(watchLeaseRenew)
		defer t.Stop()
		renew = t.C
	}
	renewed := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-renew:
			if !ws.renew(ctx, wt.conf, lease, &renewed) {
				return
			}
		case <-wt.wake:
			ws.b.updateLists(wt, w, flush)
		case <-flush.C:
			ws.b.updateLists(wt, w, flush)
		case <-idle.C:
			ws.mu.Lock()
			left := ws.cfg.Idle - time.Since(wt.last)
			ws.mu.Unlock()
			if left <= 0 {
				ws.b.log.Info().Str("conference", wt.conf).Dur("idle", ws.cfg.Idle).Msg("watch idle: stopping")
				return
			}
			idle.Reset(left)
		case ev, ok := <-sub.C:
			if !ok {
				ws.b.log.Info().Str("conference", wt.conf).AnErr("why", w.Err()).Msg("watch ended")
				return
			}
			ws.b.onWatchEvent(wt, w, ev)
			switch ev.Kind {
			case meeting.EventJoined, meeting.EventLeft, meeting.EventUpdated, meeting.EventHosts, meeting.EventLive:
				wt.markDirty()
				ws.b.updateLists(wt, w, flush)
			}
		}
	}
}

// acquire takes conf's watch lease (without WithWatchLeases there is
// none to take). errWatchedElsewhere: another replica holds it.
func (ws *watches) acquire(ctx context.Context, conf string) (state.Lease, error) {
	if ws.leases == nil {
		return state.Lease{}, nil
	}
	lease, ok, err := ws.leases.Acquire(ctx, conf, ws.owner, watchLeaseTTL)
	switch {
	case err != nil:
		ws.b.stateError("watch_lease", err)
		return state.Lease{}, err
	case !ok:
		ws.b.log.Debug().Str("conference", conf).Msg("another replica watches this meeting: rosters are read through the API here")
		return state.Lease{}, errWatchedElsewhere
	}
	return lease, nil
}

// renew extends a running watch's lease; false when the watch must stop:
// the lease was lost, or could not be renewed for watchLeaseTTL (it has
// lapsed, and another replica may watch the meeting now).
func (ws *watches) renew(ctx context.Context, conf string, lease state.Lease, renewed *time.Time) bool {
	err := ws.leases.Renew(ctx, lease, watchLeaseTTL)
	switch {
	case err == nil:
		*renewed = time.Now()
		return true
	case errors.Is(err, state.ErrLeaseLost):
		ws.b.log.Warn().Str("conference", conf).Msg("watch lease lost to another replica: this watch stops")
		return false
	}
	ws.b.stateError("watch_lease", err)
	if time.Since(*renewed) >= watchLeaseTTL-watchLeaseRenew {
		ws.b.log.Warn().Str("conference", conf).Msg("watch lease could not be renewed in time: this watch stops")
		return false
	}
	return true
}

// markDirty says every list of wt is behind the live roster.
func (wt *watch) markDirty() {
	wt.listsMu.Lock()
	for _, l := range wt.lists {
		l.dirty = true
	}
	wt.listsMu.Unlock()
}

// liveNote is what a list kept current says under its header.
func (ws *watches) liveNote() string {
	return "🟢 Live: updates itself as people join and leave (at most every " + ws.cfg.ListEvery.String() + ")"
}

// updateLists re-renders, from the live roster, each list of wt that is
// behind and has not been updated for ListEvery, within the app-wide
// budget of live updates; it arms flush for the next one due. It never
// blocks: the outbox sends the updates.
func (b *Bot) updateLists(wt *watch, w *meeting.Watcher, flush *time.Timer) {
	ws := b.watches
	if !w.Live() {
		return // EventLive marks the lists dirty again
	}
	now := time.Now()
	var next time.Duration
	due := func(d time.Duration) {
		if next == 0 || d < next {
			next = d
		}
	}
	wt.listsMu.Lock()
	var send []*listRecord
	for rec, l := range wt.lists {
		if b.lists.get(rec.id) == nil {
			delete(wt.lists, rec) // forgotten (expired or evicted): nobody can click it
			continue
		}
		if !l.dirty {
			continue
		}
		if wait := l.sent.Add(ws.cfg.ListEvery).Sub(now); wait > 0 {
			due(wait)
			continue
		}
		res := ws.budget.ReserveN(now, 1)
		if d := res.DelayFrom(now); d > 0 {
			res.CancelAt(now)
			due(d)
			continue
		}
		l.dirty, l.sent = false, now
		send = append(send, rec)
	}
	wt.listsMu.Unlock()
	if next > 0 {
		flush.Reset(next)
	}
	if len(send) == 0 {
		return
	}
	// The roster only for lists that are sent: taking it marks it shared,
	// and the watch then copies it at its next change.
	r, _ := w.Snapshot()
	for _, rec := range send {
		b.showLive(rec, r, ws.liveNote())
	}
}

// showLive puts a live roster in rec and queues its update. The roster is
// as of now, so ReadAt (the list's "Updated" time, and what
// KICK_LIST_MAX_AGE counts from) is now.
func (b *Bot) showLive(rec *listRecord, r *meeting.Roster, note string) {
	cp := *r
	cp.ReadAt = b.now()
	b.lists.resized(rec, &cp)
	// Written back to a shared store too, where a click on any replica
	// reads it; only this replica (the one watching) writes it.
	_ = b.changeList(context.Background(), rec, func(rec *listRecord) {
		rec.setRoster(&cp)
		rec.live = note
		for pid := range rec.notes {
			if _, back := cp.ByID(pid); back {
				delete(rec.notes, pid) // rejoined: "disconnected by" would now be wrong
				delete(rec.gone, pid)
			}
		}
	})
	b.showList(rec, "")
}

// listsNotLive tells each list of a watch that stopped that it no longer
// updates itself; its roster and time stay those of the last update.
func (b *Bot) listsNotLive(wt *watch, w *meeting.Watcher) {
	wt.listsMu.Lock()
	recs := make([]*listRecord, 0, len(wt.lists))
	for rec := range wt.lists {
		recs = append(recs, rec)
	}
	wt.lists = map[*listRecord]*liveList{}
	wt.listsMu.Unlock()
	why := "the watch stopped"
	if meeting.KindOf(w.Err()) == meeting.KindMeetingEnded {
		why = "the meeting ended"
	}
	for _, rec := range recs {
		if b.lists.get(rec.id) == nil {
			continue
		}
		rec.mu.Lock()
		had := rec.live != ""
		rec.mu.Unlock()
		if had {
			_ = b.changeList(context.Background(), rec, func(rec *listRecord) {
				rec.live = "⏸ No longer live (" + why + "); *Refresh* reads the meeting again"
			})
			b.showList(rec, "")
		}
	}
}

// onWatchEvent reacts to one change in a watched meeting. Runs on the
// watch's goroutine, so it must not block on the network: alerts are
// queued in the outbox, which coalesces waiting ops notices into a digest.
func (b *Bot) onWatchEvent(wt *watch, w *meeting.Watcher, ev meeting.Event) {
	if ev.Kind != meeting.EventJoined || ev.Participant.Protected() {
		return
	}
	why := uninvited(ev.Participant, w.Status().Attendees)
	if why == "" {
		return
	}
	p := ev.Participant
	threads := wt.alertThreads()
	where := ""
	for channel := range threads {
		where = channel
	}
	// The ops channel hears of it even when no thread is there to take it.
	b.notifyOps(slackui.RenderJoinAlertNotice(where, wt.conf, p, why))
	for channel, ts := range threads {
		// The alert is a one-row list, so its Disconnect button goes
		// through the same checks as a list's; the click answers by
		// replacing the alert (response_url), as for a private list.
		posted := make(chan struct{})
		close(posted)
		roster := &meeting.Roster{ConferenceID: wt.conf, Participants: []meeting.Participant{p}, ReadAt: b.now()}
		if r, live := w.Snapshot(); live {
			roster.Subject = r.Subject
		}
		// Its Waiting room button is a keep-out record of that one
		// person, matched by the thread the alert is in.
		keep := &keepRecord{id: newListID(), alert: true, inThread: true, channel: channel, conference: wt.conf,
			created: b.now(), posted: posted, th: b.out.threadAt(channel, ts, ""), people: []meeting.Participant{p},
			notes: map[int]string{}}
		b.keeps.add(keep)
		b.shareKeep(keep, ts)
		rec := &listRecord{id: newListID(), channel: channel, conference: wt.conf, ephemeral: true, posted: posted,
			intro: slackui.RenderJoinAlert(wt.conf, p, why), only: map[string]bool{p.ID: true},
			outro: slackui.Message{Blocks: []slack.Block{slackui.JoinAlertWaitingRoom(keep.id)}},
			notes: map[string]string{}, created: b.now()}
		rec.setRoster(roster)
		b.lists.add(rec)
		b.shareList(rec)
		m := b.renderList(rec)
		b.out.finish(b.out.threadAt(channel, ts, ""), m, m, nil)
	}
	b.audit.Record(AuditEntry{Action: "join_alert", Conference: wt.conf, Targets: []string{p.ID}, Outcome: "uninvited", Reason: why})
	b.metrics.Command("join_alert")
}

// uninvited says why p counts as not invited ("" if p is invited, or if
// the invite list is unknown: nobody is called uninvited then). p matches
// an invitee by user UUID or account, else by full phone number.
func uninvited(p meeting.Participant, invited []meeting.Attendee) string {
	if p.Anonymous {
		return "anonymous participant"
	}
	if len(invited) == 0 {
		return ""
	}
	for _, a := range invited {
		switch {
		case p.UserUUID != "" && a.UserUUID == p.UserUUID,
			p.AccountID != "" && a.AccountID == p.AccountID,
			p.Phone != "" && a.Phone == p.Phone:
			return ""
		}
	}
	return "not on the invite list"
}

// alertThreads is where a watch's join alerts go: per channel, the thread
// of its "watching" message, else of its newest posted list.
func (wt *watch) alertThreads() map[string]string {
	out := map[string]string{}
	wt.listsMu.Lock()
	defer wt.listsMu.Unlock()
	newest := map[string]time.Time{}
	for rec := range wt.lists {
		rec.mu.Lock()
		ts, ch, at := rec.ts, rec.channel, rec.created
		rec.mu.Unlock()
		if ts != "" && (newest[ch].IsZero() || at.After(newest[ch])) {
			out[ch], newest[ch] = ts, at
		}
	}
	for ch, ts := range wt.watching {
		out[ch] = ts
	}
	return out
}

// watchedMeeting is the commands.Meeting the Service uses when the bot
// watches meetings: on a watched meeting whose socket is up, Roster is the
// live snapshot (no call) and Disconnect is one hang-up confirmed by the
// remove events; otherwise both go to the meeting service as before.
type watchedMeeting struct {
	inner commands.Meeting
	ws    *watches
}

func (m watchedMeeting) Roster(ctx context.Context, conf string) (*meeting.Roster, error) {
	if w := m.ws.watcher(conf); w != nil {
		if r, live := w.Snapshot(); live {
			// Current as of now, not as of the last change: a quiet
			// meeting's roster is no older for it.
			r.ReadAt = m.ws.b.now()
			// The invite list too, so "uninvited" works from the live
			// roster; an empty one is treated as unknown (nobody is
			// called uninvited), the safe side.
			if st := w.Status(); len(st.Attendees) > 0 {
				r.Attendees, r.AttendeesKnown = st.Attendees, true
			}
			return r, nil
		}
	}
	return m.inner.Roster(ctx, conf)
}

func (m watchedMeeting) Disconnect(ctx context.Context, conf string, ids []string) (*meeting.DisconnectResult, error) {
	if w := m.ws.watcher(conf); w != nil && w.Live() {
		return w.Disconnect(ctx, ids)
	}
	return m.inner.Disconnect(ctx, conf, ids)
}

// ReadRoster lends fn the live roster of a watched meeting
// (commands.HeldRosters): a kick resolves its targets against it without a
// copy being made.
func (m watchedMeeting) ReadRoster(conf string, fn func(*meeting.Roster)) bool {
	w := m.ws.watcher(conf)
	if w == nil {
		return false
	}
	now := m.ws.b.now()
	return w.ReadRoster(func(r *meeting.Roster) {
		r.ReadAt = now // current as of now, as in Roster
		fn(r)
	})
}

// FreshRoster reads the meeting itself, for a target the live roster does
// not hold yet (commands.FreshRosters).
func (m watchedMeeting) FreshRoster(ctx context.Context, conf string) (*meeting.Roster, error) {
	return m.inner.Roster(ctx, conf)
}

// The keep-out calls go straight to the meeting client: the wrapper must
// not hide them from the use cases that look for them (commands.Locker,
// commands.KeepOut).

func (m watchedMeeting) Lock(ctx context.Context, conf string, locked bool) (*meeting.LockResult, error) {
	return m.ws.mc.Lock(ctx, conf, locked)
}

func (m watchedMeeting) MoveToWaitingRoom(ctx context.Context, conf string, pids []string) (*meeting.MoveResult, error) {
	return m.ws.mc.MoveToWaitingRoom(ctx, conf, pids)
}

func (m watchedMeeting) Admit(ctx context.Context, conf, id string) (*meeting.AdmitResult, error) {
	return m.ws.mc.Admit(ctx, conf, id)
}

// admitWait bounds how long an Admit on a watched meeting waits for the
// waiting list to show the person (a move's WaitingListNotify may trail the
// click that undoes it).
const admitWait = 2 * time.Second

// AdmitPerson admits p by the waiting-room ID the watched meeting's
// WaitingListNotify gave them (commands.PersonAdmitter); where the meeting
// is not watched live, or the waiting list does not show p, by the
// participant ID p had — which also tells "already let in" from a refusal.
func (m watchedMeeting) AdmitPerson(ctx context.Context, conf string, p meeting.Participant) (*meeting.AdmitResult, error) {
	if w := m.ws.watcher(conf); w != nil && w.Live() {
		if wid, ok := waitingIDOf(ctx, w, p, admitWait); ok && wid != p.ID {
			res, err := m.ws.mc.Admit(ctx, conf, wid)
			if err == nil || meeting.KindOf(err) != meeting.KindParticipantNotFound {
				return res, err
			}
			// Gone from the waiting room since: perhaps already let in.
		}
	}
	return m.ws.mc.Admit(ctx, conf, p.ID)
}

// waitingIDOf finds p in w's waiting list, waiting up to d for them to
// arrive there.
func waitingIDOf(ctx context.Context, w *meeting.Watcher, p meeting.Participant, d time.Duration) (string, bool) {
	sub := w.Subscribe(64)
	defer sub.Close()
	if id, ok := findWaiting(w.Status().Waiting, p); ok {
		return id, true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case ev, open := <-sub.C:
			if !open {
				return "", false
			}
			if ev.Kind != meeting.EventWaitingJoined {
				continue
			}
			if id, ok := findWaiting([]meeting.Participant{ev.Participant}, p); ok {
				return id, true
			}
		case <-timer.C:
			return "", false
		case <-ctx.Done():
			return "", false
		}
	}
}

// findWaiting is the waiting-room ID of p: the entry with p's own ID, else
// the one entry with p's user UUID, account or full (unmasked) phone
// number. Names are never matched: two people may share one, and admitting
// the wrong one is not a guess kickbot makes.
func findWaiting(waiting []meeting.Participant, p meeting.Participant) (string, bool) {
	found := ""
	n := 0
	for _, e := range waiting {
		switch {
		case e.ID == p.ID:
			return e.ID, true
		case p.UserUUID != "" && e.UserUUID == p.UserUUID,
			p.AccountID != "" && e.AccountID == p.AccountID,
			p.Phone != "" && !strings.Contains(p.Phone, "*") && e.Phone == p.Phone:
			found = e.ID
			n++
		}
	}
	return found, n == 1
}

func (m watchedMeeting) AdmitAll(ctx context.Context, conf string) (*meeting.AdmitResult, error) {
	return m.ws.mc.AdmitAll(ctx, conf)
}

// runWatch is `/kick <id> watch` and `/kick <id> unwatch`, authorized like
// a list.
func (b *Bot) runWatch(ctx context.Context, j job, t *reporter) {
	cmd, req := j.slash, j.req
	action := "watch"
	if req.Kind == commands.KindUnwatch {
		action = "unwatch"
	}
	k, ok := b.startSlash(ctx, j, t, action, "")
	if !ok {
		return
	}
	if action == "unwatch" {
		if !b.watches.stop(req.Conference) {
			t.private(slackui.RenderNotWatched(req.Conference))
			t.record("not_watched")
			return
		}
		t.post(k, slackui.RenderUnwatched(req.Conference, cmd.UserID), func(string, error) string { return "unwatched" })
		return
	}

	wt := b.watches.ensure(req.Conference)
	var err error
	if wt == nil {
		err = ctx.Err()
	} else {
		select {
		case <-wt.ready:
			err = wt.err
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	if errors.Is(err, errWatchedElsewhere) {
		t.private(slackui.Message{Text: "Meeting " + slackui.Escape(req.Conference) + " is already watched by another kickbot replica, " +
			"which posts its join alerts; nothing else to do. Lists and kicks here read the meeting as usual."})
		t.record("watched_elsewhere")
		return
	}
	if err != nil {
		t.fail(k, err, false)
		return
	}
	sub := wt.w.Subscribe(16)
	live := commands.AwaitLive(ctx, wt.w, sub, watchLiveWait)
	sub.Close()
	r, _ := wt.w.Snapshot()
	info := slackui.WatchInfo{Conference: req.Conference, Subject: r.Subject, Actor: cmd.UserID,
		Participants: len(r.Participants), Live: live, Idle: b.watches.cfg.Idle.String()}
	t.post(k, slackui.RenderWatching(info), func(ts string, err error) string {
		if err != nil {
			return ""
		}
		b.watchPosted(wt, cmd.ChannelID, ts)
		b.reply(cmd.ResponseURL, slackui.RenderWatchStarted(req.Conference))
		return "watching"
	})
}

// watchLiveWait is how long `watch` waits for the socket before it posts:
// the "watching" message says whether updates are live, and should be true.
const watchLiveWait = 3 * time.Second

// watchPosted records where a "watching" message went, for join alerts.
func (b *Bot) watchPosted(wt *watch, channel, ts string) {
	wt.listsMu.Lock()
	wt.watching[channel] = ts
	wt.listsMu.Unlock()
}
