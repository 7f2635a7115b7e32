package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/kickbot/kickbot/bot/slackui"
	"github.com/kickbot/kickbot/state"
)

// The outbox is the one path for every message kickbot shows in a channel
// and every update of one. Slack allows about one chat.postMessage a second
// per channel (short bursts allowed) and chat.update at Tier 3 for the whole
// app; in a raid several moderators share those budgets. The outbox keeps a
// queue per channel, owned by one goroutine (as socketmode's single writer
// owns the socket), which:
//   - paces calls below Slack's limits and waits out a Retry-After for every
//     sender of that channel or method, so no call is made while one runs;
//   - keeps a thread in order (a reply waits for its parent's ts);
//   - never drops a message because of a 429: it stays queued;
//   - coalesces what backs up: waiting outcomes for one channel go out as one
//     message, waiting ops notices as one digest, and several updates of one
//     message as the latest;
//   - hands a message it cannot show in the channel to the moderator
//     privately, through their response_url (which has no per-channel
//     limit), also when the process must exit with messages still waiting.
//
// Nothing that acts on a meeting waits for it: callers queue and go on.
type outbox struct {
	api     SlackAPI
	log     zerolog.Logger
	metrics Metrics
	ops     string // ops channel, "" = none
	cfg     OutboxConfig

	update *tier // chat.update, app-wide (Tier 3)
	link   *tier // chat.getPermalink, app-wide
	// shared, when set (share), is Slack's rate-limit state of every
	// replica: each tier asks it, and tells it of a Retry-After.
	shared      SlackLimits
	sharedError func(op string, err error)

	ctx    context.Context // the workers' lifetime; ended by shutdown
	cancel context.CancelFunc
	// calls is the context of the Web API calls themselves: a call already
	// out when shutdown starts may finish (so whether it posted is known,
	// and nothing is shown twice), up to inFlightGrace.
	calls     context.Context
	stopCalls context.CancelFunc
	wg        sync.WaitGroup

	mu      sync.Mutex
	queues  map[string]*chanQueue
	queued  int           // items waiting in all queues
	drained chan struct{} // signalled when queued drops to 0

	links permalinks // ops notices' links, built once Slack gave one per channel
}

// OutboxConfig paces the outbox below Slack's documented limits. Zero
// values take the defaults beside each field.
type OutboxConfig struct {
	PostEvery   time.Duration // per channel: one chat.postMessage per this, default 1s (Slack: ~1/s per channel)
	PostBurst   int           // per channel, default 3 (Slack allows short bursts)
	UpdateEvery time.Duration // app-wide chat.update, default 1.2s (Tier 3: 50+ a minute)
	UpdateBurst int           // default 5
	LinkEvery   time.Duration // app-wide chat.getPermalink, default 1.2s (Slack names no number: Tier 3 assumed)
	LinkBurst   int           // default 5
	MaxQueued   int           // items held at most, default 5000; past it messages go privately at once
	// ParentHold is how long a command's parent message waits for its
	// outcome, default 750ms: a kick over by then posts its parent once,
	// with the final status, instead of "⏳" and a chat.update (Tier 3,
	// the scarcest budget) a moment later. The kick itself never waits.
	ParentHold time.Duration
}

// Unpaced lifts the outbox's own pacing (a Retry-After is still honoured):
// only for a Slack that enforces no limits, as in benchmarks of kickbot's
// own work.
func Unpaced() OutboxConfig {
	const every, burst = time.Microsecond, 1 << 20
	return OutboxConfig{PostEvery: every, PostBurst: burst, UpdateEvery: every, UpdateBurst: burst, LinkEvery: every, LinkBurst: burst}
}

func (c *OutboxConfig) setDefaults() {
	defInt(&c.PostBurst, 3)
	defInt(&c.UpdateBurst, 5)
	defInt(&c.LinkBurst, 5)
	defInt(&c.MaxQueued, 5000)
	defDur(&c.PostEvery, time.Second)
	defDur(&c.UpdateEvery, 1200*time.Millisecond)
	defDur(&c.LinkEvery, 1200*time.Millisecond)
	defDur(&c.ParentHold, 750*time.Millisecond)
}

// Budget of one coalesced message: Slack refuses more than 50 blocks, and
// has been seen refusing messages whose blocks hold about 13,000 characters
// of text (msg_blocks_too_long); the encoded blocks are a safe upper bound
// of their text.
const (
	mergeMaxBlocks = slackui.MaxBlocks
	mergeMaxBytes  = 12000
)

type itemKind int

const (
	itemPost   itemKind = iota // a message of its own (a participant list)
	itemParent                 // the parent message of a command's thread
	itemReply                  // a reply in a thread
	itemUpdate                 // a replacement for a posted message
	itemNotice                 // an ops notice
)

// item is one queued message.
type item struct {
	kind    itemKind
	msg     slackui.Message
	th      *thread                           // parent, reply, update: whose message; notice: which thread to link to
	notice  func(link string) slackui.Message // notice: rendered when sent, with the permalink
	private string                            // response_url: where a reply goes when the channel will not take it
	done    func(ts string, err error)        // post: told once, when posted or given up
	final   bool                              // update: the parent's final text, needless once the parent shows it
	left    bool                              // counted out of outbox.queued (guarded by outbox.mu)
	// The size of what the item shows, measured once per content (see
	// sizeOf): a backed-up queue is measured on every send.
	sized         int // 0: not measured; sizedMsg or sizedFinal: which content
	blocks, bytes int
	queued        time.Time
}

// thread is where a command's messages go: under a parent message the
// outbox posts, or under an existing message (a participant list). Its
// fields are guarded by outbox.mu.
type thread struct {
	channel     string
	responseURL string
	ts          string           // once posted
	failed      error            // the parent could not be posted
	final       *slackui.Message // the parent's final text, once the outcome is known
	shownFinal  bool             // the parent shows the final text: no update needed
	// settledCh (startThread's threads) is closed once the parent is
	// posted or given up, for a click that can arrive before
	// chat.postMessage returns.
	settledCh chan struct{}
}

func (th *thread) settled() bool { return th.ts != "" || th.failed != nil }

// markSettled closes settledCh once; o.mu held.
func (th *thread) markSettled() {
	if th.settledCh != nil && th.settled() {
		select {
		case <-th.settledCh:
		default:
			close(th.settledCh)
		}
	}
}

// waitSettled waits until th's parent is posted or given up; false if ctx
// ends first. A thread under an existing message is settled from the start.
func (o *outbox) waitSettled(ctx context.Context, th *thread) bool {
	o.mu.Lock()
	ch, done := th.settledCh, th.settled()
	o.mu.Unlock()
	if done || ch == nil {
		return true
	}
	select {
	case <-ch:
		return true
	case <-ctx.Done():
		return false
	}
}

// chanQueue is one channel's queue. A worker goroutine runs while it holds
// items.
type chanQueue struct {
	id      string
	tier    *tier // this channel's chat.postMessage budget
	items   []*item
	wake    chan struct{} // capacity 1: something changed
	running bool
}

func newOutbox(api SlackAPI, log zerolog.Logger, m Metrics, ops string, cfg OutboxConfig) *outbox {
	cfg.setDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	calls, stopCalls := context.WithCancel(context.Background())
	return &outbox{
		calls: calls, stopCalls: stopCalls,
		api: api, log: log, metrics: m, ops: ops, cfg: cfg,
		update:  newTier("chat.update", cfg.UpdateEvery, cfg.UpdateBurst),
		link:    newTier("chat.getPermalink", cfg.LinkEvery, cfg.LinkBurst),
		ctx:     ctx,
		cancel:  cancel,
		queues:  make(map[string]*chanQueue),
		drained: make(chan struct{}, 1),
	}
}

// share makes the outbox's tiers use Slack's rate-limit state shared by
// every replica (WithSlackLimits); before anything is queued. nil l: none.
func (o *outbox) share(l SlackLimits, onErr func(op string, err error)) {
	if l == nil {
		return
	}
	o.shared, o.sharedError = l, onErr
	o.update.share(l, "chat.update", onErr)
	o.link.share(l, "chat.getPermalink", onErr)
}

// startThread queues a command's parent message (started: what shows while
// the meeting call runs) and returns its thread.
func (o *outbox) startThread(channel string, started slackui.Message, responseURL string) *thread {
	return o.startThreadThen(channel, started, responseURL, nil)
}

// startThreadThen is startThread, and done is told the parent's ts once it
// is posted (or the error when it could not be): a shared hold record
// learns where its message is.
func (o *outbox) startThreadThen(channel string, started slackui.Message, responseURL string, done func(ts string, err error)) *thread {
	th := &thread{channel: channel, responseURL: responseURL, settledCh: make(chan struct{})}
	o.enqueue(channel, &item{kind: itemParent, msg: started, th: th, private: responseURL, done: done})
	return th
}

// threadAt is a thread under a message already posted (a list).
func (o *outbox) threadAt(channel, ts, responseURL string) *thread {
	return &thread{channel: channel, ts: ts, responseURL: responseURL, shownFinal: true}
}

// finish queues a command's outcome: the reply in its thread, the parent's
// final text, and (when there is an ops channel and notice is not nil) a
// notice linking to the thread.
func (o *outbox) finish(th *thread, reply, final slackui.Message, notice func(link string) slackui.Message) {
	o.mu.Lock()
	th.final = &final
	needsUpdate := !th.shownFinal
	o.mu.Unlock()
	o.enqueue(th.channel, &item{kind: itemReply, msg: reply, th: th, private: th.responseURL})
	if needsUpdate {
		// Needless, and skipped, if the parent goes out with its final text.
		o.enqueue(th.channel, &item{kind: itemUpdate, msg: final, th: th, final: true})
	}
	if notice != nil {
		o.notify(th, notice)
	}
}

// post queues a message of its own; done learns its ts, or why it was not
// posted.
func (o *outbox) post(channel string, m slackui.Message, responseURL string, done func(ts string, err error)) {
	o.enqueue(channel, &item{kind: itemPost, msg: m, private: responseURL, done: done})
}

// updateMessage queues a replacement for a posted message. A replacement
// still waiting for the same message is replaced: only the latest matters.
func (o *outbox) updateMessage(th *thread, m slackui.Message) {
	o.enqueue(th.channel, &item{kind: itemUpdate, msg: m, th: th})
}

// notify queues an ops notice, rendered when it is sent with a link to th
// (nil: no link).
func (o *outbox) notify(th *thread, notice func(link string) slackui.Message) {
	if o.ops == "" {
		return
	}
	o.enqueue(o.ops, &item{kind: itemNotice, th: th, notice: notice})
}

// notifyText queues an ops notice that links to nothing.
func (o *outbox) notifyText(m slackui.Message) {
	o.notify(nil, func(string) slackui.Message { return m })
}

func (o *outbox) enqueue(channel string, it *item) {
	it.queued = time.Now()
	o.mu.Lock()
	if o.ctx.Err() != nil {
		// Shut down: nothing will post it any more.
		o.mu.Unlock()
		o.deliverPrivately([]*item{it}, "kickbot was stopping")
		return
	}
	q := o.queues[channel]
	if q == nil {
		q = &chanQueue{id: channel, wake: make(chan struct{}, 1),
			tier: newTier("chat.postMessage", o.cfg.PostEvery, o.cfg.PostBurst).share(o.shared, "post:"+channel, o.sharedError)}
		o.queues[channel] = q
	}
	if it.kind == itemUpdate {
		for _, w := range q.items {
			if w.kind == itemUpdate && w.th == it.th {
				// The newer text wins; it is needless only if both were
				// the parent's final text (see send).
				w.msg, w.sized, w.final = it.msg, 0, w.final && it.final
				o.mu.Unlock()
				signal(q.wake)
				return
			}
		}
	}
	if o.queued >= o.cfg.MaxQueued && it.kind != itemParent {
		o.mu.Unlock()
		o.log.Warn().Int("queued", o.cfg.MaxQueued).Msg("outbound queue full: answering privately")
		o.deliverPrivately([]*item{it}, "the outbound queue was full")
		return
	}
	q.items = append(q.items, it)
	o.queued++
	o.metrics.OutboxQueued(o.queued)
	if !q.running {
		q.running = true
		o.wg.Add(1)
		go o.run(q)
	}
	o.mu.Unlock()
	signal(q.wake)
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// run is a channel queue's worker: it sends what is ready, waits out what
// is not, and ends when the queue is empty or the outbox shuts down.
func (o *outbox) run(q *chanQueue) {
	defer o.wg.Done()
	var current []*item // the batch being sent, for the recover below
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		o.log.Error().Str("panic", fmt.Sprint(r)).Bytes("stack", debug.Stack()).Str("channel", q.id).Msg("outbox worker panicked")
		// The batch being sent is given up (its moderators are answered
		// privately); the rest of the queue gets a fresh worker.
		if current != nil {
			o.done(current)
			o.deliverPrivately(current, "the outbox worker failed")
		}
		o.mu.Lock()
		q.running = len(q.items) > 0 && o.ctx.Err() == nil
		if q.running {
			o.wg.Add(1)
			go o.run(q)
		}
		o.mu.Unlock()
	}()
	for {
		batch, tr, wait, ok := o.next(q)
		if !ok {
			return
		}
		if batch == nil {
			if !o.pause(q, wait) {
				return
			}
			continue
		}
		current = batch
		o.send(q, tr, batch)
		current = nil
	}
}

// pause waits until something changes in q, or wait has passed (0: no
// limit). It reports false when the outbox is shutting down.
func (o *outbox) pause(q *chanQueue, wait time.Duration) bool {
	var timer <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-o.ctx.Done():
		o.mu.Lock()
		q.running = false
		o.mu.Unlock()
		return false
	case <-q.wake:
	case <-timer:
	}
	return true
}

// next takes the first item that can go now, with what may go with it. With
// nothing to send it says how long to wait (0: until something changes);
// ok is false when the queue is empty and the worker should end.
func (o *outbox) next(q *chanQueue) (batch []*item, tr *tier, wait time.Duration, ok bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(q.items) == 0 || o.ctx.Err() != nil {
		q.running = false
		return nil, nil, 0, false
	}
	now := time.Now()
	for i, it := range q.items {
		if d := o.held(it, now); d > 0 {
			if wait == 0 || d < wait {
				wait = d
			}
			continue
		}
		if !o.ready(it) {
			continue
		}
		t := q.tier
		if it.kind == itemUpdate {
			t = o.update
		}
		if d := t.delay(now); d > 0 {
			if wait == 0 || d < wait {
				wait = d
			}
			continue
		}
		return o.take(q, i), t, 0, true
	}
	return nil, nil, wait, true
}

// held is how much longer a parent waits for its outcome (see
// OutboxConfig.ParentHold); 0 when it may go. o.mu held.
func (o *outbox) held(it *item, now time.Time) time.Duration {
	if it.kind != itemParent || it.th.final != nil {
		return 0
	}
	return max(it.queued.Add(o.cfg.ParentHold).Sub(now), 0)
}

func (o *outbox) ready(it *item) bool {
	switch it.kind {
	case itemReply, itemUpdate:
		return it.th.settled()
	case itemNotice:
		return it.th == nil || it.th.settled()
	}
	return true
}

// take removes q.items[i] and whatever can share its message.
func (o *outbox) take(q *chanQueue, i int) []*item {
	first := q.items[i]
	batch := []*item{first}
	var mate func(*item) bool
	switch first.kind {
	case itemParent:
		if first.th.final != nil {
			mate = func(w *item) bool { return w.kind == itemParent && w.th.final != nil }
		}
	case itemReply:
		if first.th.failed == nil {
			mate = func(w *item) bool {
				return w.kind == itemReply && w.th.failed == nil && w.th.ts == first.th.ts
			}
		}
	case itemNotice:
		mate = func(w *item) bool { return w.kind == itemNotice && o.ready(w) }
	}
	kept := q.items[:0:0]
	kept = append(kept, q.items[:i]...)
	if mate != nil {
		blocks, size := -1, 0 // first's, measured when it has a mate
		for _, w := range q.items[i+1:] {
			if mate(w) {
				if blocks < 0 {
					blocks, size = o.sizeOf(first)
				}
				b, s := o.sizeOf(w)
				if blocks+b <= mergeMaxBlocks && size+s <= mergeMaxBytes {
					batch = append(batch, w)
					blocks, size = blocks+b, size+s
					continue
				}
			}
			kept = append(kept, w)
		}
	} else {
		kept = append(kept, q.items[i+1:]...)
	}
	q.items = kept
	return batch
}

// content is what an item shows (notices with link).
func (o *outbox) content(it *item, link string) slackui.Message {
	switch {
	case it.kind == itemNotice:
		return it.notice(link)
	case it.kind == itemParent && it.th.final != nil:
		return *it.th.final
	}
	return it.msg
}

const (
	sizedMsg   = 1 // it.msg or a notice rendered without its link
	sizedFinal = 2 // a parent's final text
)

// sizeOf is messageSize of what it shows, cached: the content only changes
// when a parent learns its final text or an update is replaced. Callers
// hold o.mu.
func (o *outbox) sizeOf(it *item) (blocks, size int) {
	which := sizedMsg
	if it.kind == itemParent && it.th.final != nil {
		which = sizedFinal
	}
	if it.sized != which {
		it.blocks, it.bytes = messageSize(o.content(it, ""))
		it.sized = which
	}
	return it.blocks, it.bytes
}

func messageSize(m slackui.Message) (blocks, size int) {
	if len(m.Blocks) == 0 {
		return 1, len(m.Text)
	}
	b, _ := json.Marshal(m.Blocks)
	return len(m.Blocks), len(b)
}

// merge joins several messages into one.
func merge(ms []slackui.Message) slackui.Message {
	if len(ms) == 1 {
		return ms[0]
	}
	var out slackui.Message
	texts := make([]string, 0, len(ms))
	for _, m := range ms {
		texts = append(texts, m.Text)
		if len(m.Blocks) == 0 {
			out.Blocks = append(out.Blocks, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, m.Text, false, false), nil, nil))
			continue
		}
		out.Blocks = append(out.Blocks, m.Blocks...)
	}
	out.Text = strings.Join(texts, "\n")
	return out
}

// send makes the call for a batch and records what came of it.
func (o *outbox) send(q *chanQueue, tr *tier, batch []*item) {
	first := batch[0]
	o.mu.Lock()
	// Decide under the lock what the batch shows: a parent may have learnt
	// its final text since it was queued.
	parentFinal := first.kind == itemParent && first.th.final != nil
	needless := first.kind == itemUpdate && (first.th.failed != nil || (first.final && first.th.shownFinal))
	failedThread := first.kind == itemReply && first.th.failed != nil
	var msgs []slackui.Message
	if first.kind != itemNotice {
		for _, it := range batch {
			msgs = append(msgs, o.content(it, ""))
		}
	}
	channel, ts := q.id, ""
	if first.th != nil {
		ts = first.th.ts
	}
	o.mu.Unlock()

	switch {
	case needless:
		o.done(batch)
		return
	case failedThread:
		o.done(batch)
		o.deliverPrivately(batch, "kickbot could not post in the channel")
		return
	case first.kind == itemNotice:
		links := map[*thread]string{}
		for _, it := range batch {
			link, ok := links[it.th]
			if !ok {
				link = o.permalinkOf(it.th)
				links[it.th] = link
			}
			msgs = append(msgs, o.noticeOf(it, link))
		}
	}

	m := merge(msgs)
	var postedTS string
	err := tr.try(o.calls, func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, postTimeout)
		defer cancel()
		opts := msgOptions(m)
		var err error
		switch first.kind {
		case itemUpdate:
			if m.Blocks == nil {
				opts = append(opts, slack.MsgOptionBlocks()) // clear old buttons
			}
			_, _, _, err = o.api.UpdateMessageContext(ctx, channel, ts, opts...)
		case itemReply:
			_, postedTS, err = o.api.PostMessageContext(ctx, channel, append(opts, slack.MsgOptionTS(ts))...)
		default:
			_, postedTS, err = o.api.PostMessageContext(ctx, channel, opts...)
		}
		return err
	})
	var rl *rateLimited
	switch {
	case errors.Is(err, errNotYet):
		o.requeue(q, batch)
		return
	case errors.As(err, &rl):
		o.metrics.SlackRateLimited(rl.method)
		o.log.Info().Str("method", rl.method).Str("channel", channel).Dur("retry_after", rl.wait).Int("messages", len(batch)).
			Msg("Slack rate limit: holding this channel's messages")
		o.requeue(q, batch)
		return
	case err != nil && o.calls.Err() != nil:
		// Cut off at the hard stop: whether it was posted is unknown;
		// shutdown hands what is left to the moderators.
		o.requeue(q, batch)
		return
	}

	o.mu.Lock()
	switch first.kind {
	case itemParent:
		for _, it := range batch {
			if err != nil {
				it.th.failed = err
			} else {
				it.th.ts = postedTS
				it.th.shownFinal = parentFinal
			}
			it.th.markSettled()
		}
	case itemUpdate:
		if err == nil && first.final {
			first.th.shownFinal = true
		}
	}
	o.mu.Unlock()
	o.done(batch)

	for _, it := range batch {
		if it.done != nil {
			it.done(postedTS, err)
		}
	}
	if err == nil {
		for _, it := range batch {
			o.metrics.OutboxWait(time.Since(it.queued))
		}
	}
	switch {
	case err == nil && first.kind == itemParent:
		o.wakeOps()
		// Replies waiting for this parent are ready now.
		signal(q.wake)
	case err != nil && first.kind == itemParent:
		o.log.Warn().Err(err).Str("channel", channel).Msg("could not post a parent message; its outcome goes to the moderator privately")
		o.wakeOps()
		signal(q.wake)
	case err != nil && first.kind == itemReply:
		o.log.Error().Err(err).Str("channel", channel).Msg("could not post an outcome in its thread; answering privately")
		o.deliverPrivately(batch, "kickbot could not post in the thread")
	case err != nil && first.kind == itemPost:
		o.log.Warn().Err(err).Str("channel", channel).Msg("could not post a message")
	case err != nil && first.kind == itemUpdate:
		o.log.Warn().Err(err).Str("channel", channel).Msg("could not update a message")
	case err != nil && first.kind == itemNotice:
		o.log.Warn().Err(err).Str("channel", channel).Int("notices", len(batch)).Msg("could not post to the ops channel")
	}
}

// done records that items left the queue (once per item, however often it
// is called for it).
func (o *outbox) done(batch []*item) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, it := range batch {
		if !it.left {
			it.left = true
			o.queued--
		}
	}
	o.metrics.OutboxQueued(o.queued)
	if o.queued == 0 {
		signal(o.drained)
	}
}

// requeue puts a batch back at the front of its queue, in order. An update
// that was replaced while it was out is dropped: the newer one is queued.
func (o *outbox) requeue(q *chanQueue, batch []*item) {
	o.mu.Lock()
	defer o.mu.Unlock()
	items := make([]*item, 0, len(batch)+len(q.items))
	for _, it := range batch {
		if it.kind == itemUpdate && slices.ContainsFunc(q.items, func(w *item) bool { return w.kind == itemUpdate && w.th == it.th }) {
			it.left = true
			o.queued--
			continue
		}
		items = append(items, it)
	}
	q.items = append(items, q.items...)
	o.metrics.OutboxQueued(o.queued)
}

// wakeOps tells the ops queue that a thread it may link to was settled.
func (o *outbox) wakeOps() {
	if o.ops == "" {
		return
	}
	o.mu.Lock()
	q := o.queues[o.ops]
	o.mu.Unlock()
	if q != nil {
		signal(q.wake)
	}
}

// permalinkOf returns a link to a thread, or "" when there is none (the
// parent was never posted, or Slack would not say).
func (o *outbox) permalinkOf(th *thread) string {
	if th == nil {
		return ""
	}
	o.mu.Lock()
	channel, ts := th.channel, th.ts
	o.mu.Unlock()
	if ts == "" {
		return ""
	}
	if link, ok := o.links.of(channel, ts); ok {
		return link
	}
	ctx, cancel := context.WithTimeout(o.ctx, 10*time.Second)
	defer cancel()
	var link string
	err := o.link.do(ctx, func() { o.metrics.SlackRateLimited(o.link.method) }, func(ctx context.Context) error {
		var err error
		link, err = o.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: channel, Ts: ts})
		return err
	})
	if err != nil {
		o.log.Debug().Err(err).Msg("no permalink")
	} else {
		o.links.learn(channel, ts, link)
	}
	return link
}

// deliverPrivately sends the items that concern a moderator to them through
// their response_url; the rest is logged.
func (o *outbox) deliverPrivately(batch []*item, why string) {
	o.deliverPrivatelyBy(context.Background(), batch, why)
}

// deliverPrivatelyBy is deliverPrivately within ctx: all answers share its
// deadline, however many there are.
func (o *outbox) deliverPrivatelyBy(parent context.Context, batch []*item, why string) {
	for _, it := range batch {
		if it.kind == itemPost && it.done != nil {
			it.done("", errNotPosted)
		}
		if it.private == "" || it.kind != itemReply {
			continue
		}
		m := it.msg
		if it.kind == itemReply && it.th.failed != nil && cannotPostHere(it.th.failed) {
			m = withNote(m, "⚠️ kickbot could not post in this channel ("+slackErrorCode(it.th.failed)+
				"): invite it with `/invite @kickbot`. Here is what happened:")
		}
		ctx, cancel := context.WithTimeout(parent, privateTimeout)
		err := respond(ctx, o.api, it.private, m, false)
		cancel()
		if err != nil {
			o.log.Warn().Err(err).Str("why", why).Msg("could not answer the moderator privately either")
		}
	}
}

// errNotPosted tells a post's owner that it was never posted.
var errNotPosted = errors.New("not posted in the channel")

// noticeOf renders an ops notice; one about a thread that could not be
// posted says so, since the moderator was answered privately.
func (o *outbox) noticeOf(it *item, link string) slackui.Message {
	m := it.notice(link)
	o.mu.Lock()
	failed := it.th != nil && it.th.failed != nil
	var channel string
	var err error
	if failed {
		channel, err = it.th.channel, it.th.failed
	}
	o.mu.Unlock()
	if !failed {
		return m
	}
	note := "(kickbot could not post in <#" + channel + ">"
	if code := slackErrorCode(err); code != "" {
		note += ": " + code
	}
	note += "; the moderator was told privately.)"
	m.Text += " " + note
	if m.Blocks != nil {
		m.Blocks = append(m.Blocks, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, note, false, false)))
	}
	return m
}

// withNote puts a line above a message.
func withNote(m slackui.Message, note string) slackui.Message {
	out := slackui.Message{Text: note + "\n" + m.Text}
	if m.Blocks != nil {
		out.Blocks = append([]slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, note, false, false), nil, nil)}, m.Blocks...)
	}
	return out
}

// shutdown lets the queues drain until deadline, then stops the workers and
// hands whatever still waits to the moderators privately. It returns when
// every worker has ended.
func (o *outbox) shutdown(deadline time.Time) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
wait:
	for {
		o.mu.Lock()
		n := o.queued
		o.mu.Unlock()
		if n == 0 {
			break
		}
		select {
		case <-o.drained:
		case <-timer.C:
			break wait
		}
	}
	o.mu.Lock()
	o.cancel()
	o.mu.Unlock()
	hard := time.AfterFunc(inFlightGrace, o.stopCalls)
	o.wg.Wait()
	hard.Stop()
	o.stopCalls()

	o.mu.Lock()
	var left []*item
	for _, q := range o.queues {
		left = append(left, q.items...)
		q.items = nil
	}
	o.queued = 0
	o.metrics.OutboxQueued(0)
	o.mu.Unlock()
	if len(left) == 0 {
		return
	}
	private, dropped := 0, 0
	for _, it := range left {
		if it.private != "" && it.kind == itemReply {
			private++
		} else {
			dropped++
		}
	}
	o.log.Warn().Int("private", private).Int("not_shown", dropped).
		Msg("stopping with messages still waiting for Slack: outcomes go to each moderator privately")
	ctx, cancel := context.WithTimeout(context.Background(), privateGrace)
	defer cancel()
	o.deliverPrivatelyBy(ctx, left, "kickbot is stopping")
}

// privateTimeout bounds one response_url answer; privateGrace all the
// answers given at shutdown; inFlightGrace a call already out when it
// starts.
const (
	inFlightGrace  = time.Second
	privateTimeout = 5 * time.Second
	privateGrace   = 2 * time.Second
)

// respond answers only the person who asked, through the response_url of
// their command or click (replace: replace the private message the click
// came from). A 429 is waited out a few times: response_url has limits of
// its own, none per channel.
func respond(ctx context.Context, api SlackAPI, responseURL string, m slackui.Message, replace bool) error {
	if responseURL == "" {
		return errors.New("no response_url")
	}
	opts := append(msgOptions(m), slack.MsgOptionResponseURL(responseURL, slack.ResponseTypeEphemeral))
	if replace {
		opts = append(opts, slack.MsgOptionReplaceOriginal(responseURL))
	}
	for i := 0; ; i++ {
		_, _, err := api.PostMessageContext(ctx, "", opts...)
		wait, limited := retryAfter(err)
		if !limited || i >= maxRateLimitWaits {
			return err
		}
		if wait <= 0 {
			wait = time.Second
		}
		if state.Sleep(ctx, wait) != nil {
			return err
		}
	}
}
