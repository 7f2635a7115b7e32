// Package bot is the Slack adapter: it holds the Socket Mode connection, acks
// every envelope before any network work, de-duplicates redeliveries, runs
// accepted work on a bounded worker pool and turns outcomes from the commands
// core into Slack messages.
package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/kickbot/kickbot/audit"
	"github.com/kickbot/kickbot/bot/slackui"
	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/config"
	"github.com/kickbot/kickbot/meeting"
)

// Config holds the bot's policy and limits. A zero value takes its default:
// the ones configuration also sets (KICK_*) from config.Defaults, where they
// are defined; the others beside the field.
type Config struct {
	Policy            commands.Policy
	OpsChannel        string        // "" = no ops notices
	Workers           int           // KICK_WORKERS: kicks waiting for their meeting's batch hold one each
	QueueSize         int           // KICK_QUEUE_SIZE: an ordinary burst is never refused
	MaxTargets        int           // KICK_MAX_TARGETS
	UserRateLimit     int           // KICK_USER_RATE: commands per user per minute
	AckTimeout        time.Duration // default 2s: Slack's deadline is 3s
	UsergroupCacheTTL time.Duration // default 1m
	DrainTimeout      time.Duration // KICK_DRAIN_TIMEOUT: inside Kubernetes' 30s grace period
	ListMaxAge        time.Duration // KICK_LIST_MAX_AGE: older lists refuse to act
	DedupeTTL         time.Duration // default DefaultDedupeTTL
	UserNavRateLimit  int           // page/search/refresh clicks per user per minute, default 120: a 3,000-person list stays browsable
	MaxLists          int           // participant lists remembered, default 2000; past it the oldest are forgotten
	MaxListBytes      int           // and at most about this many bytes of them, default 64 MiB
	Outbox            OutboxConfig  // pacing of Slack posts and updates
	LockDefault       time.Duration // KICK_LOCK_DEFAULT: how long the Lock meeting button locks
	MaxSweep          int           // KICK_MAX_SWEEP: most people one "Disconnect all" disconnects
}

func (c *Config) setDefaults() {
	d := config.Defaults()
	defInt(&c.Workers, d.Workers)
	defInt(&c.QueueSize, d.QueueSize)
	defInt(&c.MaxTargets, d.MaxTargets)
	defInt(&c.UserRateLimit, d.UserRate)
	defInt(&c.UserNavRateLimit, 120)
	defInt(&c.MaxLists, DefaultMaxLists)
	defInt(&c.MaxListBytes, 64<<20)
	defInt(&c.MaxSweep, d.MaxSweep)
	defDur(&c.AckTimeout, 2*time.Second)
	defDur(&c.UsergroupCacheTTL, time.Minute)
	defDur(&c.DrainTimeout, d.DrainTimeout)
	defDur(&c.ListMaxAge, d.ListMaxAge)
	defDur(&c.DedupeTTL, DefaultDedupeTTL)
	defDur(&c.LockDefault, d.LockDefault)
}

// DefaultDedupeTTL is how long an envelope or request is remembered: far
// longer than Slack's retry window (three retries within about a minute).
const DefaultDedupeTTL = time.Hour

// DefaultMaxLists is how many participant lists are remembered when
// Config.MaxLists is zero (per replica in memory, per deployment in a
// shared store).
const DefaultMaxLists = 2000

// SlackAPI is the part of the Slack Web API the bot calls. *socketmode.Client
// (and *slack.Client) satisfy it.
type SlackAPI interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	UpdateMessageContext(ctx context.Context, channelID, timestamp string, options ...slack.MsgOption) (string, string, string, error)
	GetPermalinkContext(ctx context.Context, params *slack.PermalinkParameters) (string, error)
	GetUserGroupMembersContext(ctx context.Context, userGroup string, options ...slack.GetUserGroupMembersOption) ([]string, error)
}

// Auditor records one line per decision.
type Auditor interface {
	Record(e AuditEntry)
}

// AuditEntry is one decision: who, where, which conference, which targets,
// why, and what came of it.
type AuditEntry = audit.Entry

// Bot is one Socket Mode connection and the work it accepts.
type Bot struct {
	cfg     Config
	sm      *socketmode.Client
	api     SlackAPI
	svc     *commands.Service
	log     zerolog.Logger
	metrics Metrics
	audit   Auditor
	now     func() time.Time

	out        *outbox
	dedupe     Deduper
	limiter    RateLimiter // commands and clicks that act
	navLimiter RateLimiter // page, search and refresh clicks
	groups     *groupCache
	lists      *listStore
	clicks     *clickGuard
	keeps      *keepStore // hold outcomes and uninvited lists, for their buttons
	queue      chan job
	locks      *commands.Locks // nil when the meeting client cannot lock
	lockClock  commands.Clock  // nil: real time

	// Shared state (shared.go); nil: this replica's memory.
	memLimiter  *userLimiter                                 // without WithRateLimits: checked before the ack
	newLimiter  func(name string, perMinute int) RateLimiter // WithRateLimits
	slackLimits SlackLimits                                  // WithSlackLimits
	watchLeases Leases                                       // WithWatchLeases
	lockTimers  commands.TimerStore                          // WithLockTimers
	lockOpts    []commands.LocksOption
	places      *lockPlaces // with lockTimers: this replica's own lock reports
	stateLog    stateLog

	watchSrc *meeting.Client // WithWatching; nil: meetings are never watched
	watchCfg WatchConfig
	watches  *watches // nil without WithWatching

	shared *sharedLists // WithSharedLists; nil: lists and click claims live in this process only

	// hardStop ends every Slack call the workers still make (private
	// answers) at the drain deadline plus outboxGrace, so the exit never
	// waits on a Slack that hangs.
	hardStop     context.Context
	stopHardStop context.CancelFunc

	retags sync.WaitGroup // retagLock's store calls, waited for before Run returns

	notRun    atomic.Int64 // queued jobs answered "not run" at the drain deadline
	skipUntil atomic.Int64 // unix ns: the deadline of those answers
	connected atomic.Bool
	eventAt   time.Time // when the event loop took its current event; only the loop touches it
}

// outboxGrace is how long past the drain deadline the outbox may still post
// what the drained work reported; then the rest goes to each moderator
// privately (bounded too), and the process exits.
const outboxGrace = 2 * time.Second

// Option changes an optional collaborator of the Bot.
type Option func(*Bot)

// WithMetrics reports to m instead of nowhere.
func WithMetrics(m Metrics) Option { return func(b *Bot) { b.metrics = m } }

// WithAuditor records decisions with a instead of only in the log.
func WithAuditor(a Auditor) Option { return func(b *Bot) { b.audit = a } }

// WithDeduper replaces the in-memory de-duplication store, for example with a
// shared one when several replicas run.
func WithDeduper(d Deduper) Option { return func(b *Bot) { b.dedupe = d } }

// WithSlackAPI sends Web API calls through api instead of the socket client.
func WithSlackAPI(api SlackAPI) Option { return func(b *Bot) { b.api = api } }

// WithClock replaces time.Now (tests of list ageing).
func WithClock(now func() time.Time) Option { return func(b *Bot) { b.now = now } }

// New builds a Bot. It does not connect until Run.
func New(cfg Config, sm *socketmode.Client, svc *commands.Service, log zerolog.Logger, opts ...Option) *Bot {
	cfg.setDefaults()
	b := &Bot{
		cfg:     cfg,
		sm:      sm,
		api:     sm,
		svc:     svc,
		log:     log,
		metrics: nopMetrics{},
		now:     time.Now,
		queue:   make(chan job, cfg.QueueSize),
	}
	for _, o := range opts {
		o(b)
	}
	if b.audit == nil {
		b.audit = audit.NewLogOnly(log)
	}
	if b.dedupe == nil {
		b.dedupe = newMemoryDeduper(cfg.DedupeTTL, b.now)
	}
	if b.newLimiter != nil {
		b.limiter = b.newLimiter("commands", cfg.UserRateLimit)
		b.navLimiter = b.newLimiter("nav", cfg.UserNavRateLimit)
	} else {
		b.memLimiter = newUserLimiter(cfg.UserRateLimit, b.now)
		b.limiter = b.memLimiter
		b.navLimiter = newUserLimiter(cfg.UserNavRateLimit, b.now)
	}
	b.hardStop, b.stopHardStop = context.WithCancel(context.Background())
	b.out = newOutbox(b.api, log, b.metrics, cfg.OpsChannel, cfg.Outbox)
	b.out.share(b.slackLimits, b.stateError)
	b.groups = newGroupCache(b.api, cfg.UsergroupCacheTTL, b.now, func() { b.metrics.SlackRateLimited("usergroups.users.list") })
	if b.slackLimits != nil {
		b.groups.tier.share(b.slackLimits, "usergroups.users.list", b.stateError)
	}
	b.lists = newListStore(b.now, cfg.MaxLists, cfg.MaxListBytes)
	b.clicks = newClickGuard()
	b.newLocks()
	b.keeps = newKeepStore(b.now, cfg.MaxLists)
	if b.watchSrc != nil {
		b.watches = newWatches(b, b.watchSrc, b.watchCfg)
		svc.Meeting = watchedMeeting{inner: svc.Meeting, ws: b.watches}
	}
	return b
}

// setConnected records the connection state for /readyz and the metrics.
func (b *Bot) setConnected(up bool) {
	b.connected.Store(up)
	b.metrics.Connected(up)
}

// Connected reports whether the Socket Mode connection is up (for /readyz).
func (b *Bot) Connected() bool { return b.connected.Load() }

// Run connects and serves until ctx ends. Then it stops taking work, drains
// what was accepted within DrainTimeout (outcomes are still posted) and
// returns nil; it returns an error early only if Slack refuses the app token.
func (b *Bot) Run(ctx context.Context) error {
	sockCtx, stopSocket := context.WithCancel(ctx)
	defer stopSocket()

	// Work outlives ctx so accepted commands finish during shutdown; its own
	// deadline is set when the drain starts.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()

	if b.locks != nil {
		// With shared timers, this replica fires due ones while it runs;
		// from shutdown on they are left to the others (stopLocks).
		b.locks.Start(ctx)
	}

	var workers sync.WaitGroup
	for i := 0; i < b.cfg.Workers; i++ {
		workers.Go(func() { b.work(workCtx) })
	}

	runErr := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				runErr <- fmt.Errorf("socket mode client panicked: %v", r)
			}
		}()
		runErr <- b.sm.RunContext(sockCtx)
	}()

	var err error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err = <-runErr:
			runErr = nil
			break loop
		case evt := <-b.sm.Events:
			b.handleEvent(sockCtx, evt)
		}
	}

	b.setConnected(false)
	stopSocket()
	close(b.queue) // the event loop was the only producer
	why := "shutdown requested"
	if err != nil && !errors.Is(err, context.Canceled) {
		why = "the Slack connection failed: " + err.Error() // the error itself is returned and logged by the caller
	}
	b.log.Info().Str("why", why).Int("pending", len(b.queue)).Dur("deadline", b.cfg.DrainTimeout).Msg("stopping: draining accepted work")

	// The drain has one deadline, whatever Slack or the meeting API do:
	// workers until it, then the outbox a little longer to post what they
	// reported, then private answers for whatever Slack still would not take.
	deadline := time.Now().Add(b.cfg.DrainTimeout)
	hard := time.AfterFunc(time.Until(deadline.Add(outboxGrace)), b.stopHardStop)
	defer hard.Stop()
	defer b.stopHardStop()
	drained := make(chan struct{})
	go func() { workers.Wait(); close(drained) }()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-drained:
	case <-timer.C:
		// Meeting calls still running now fail, and their outcome (a visible
		// failure) is reported; jobs not yet started are not run at all.
		b.log.Warn().Msg("drain deadline reached: cancelling in-flight work")
		b.skipUntil.Store(deadline.Add(outboxGrace).UnixNano())
		cancelWork()
		<-drained
	}
	if n := b.notRun.Load(); n > 0 {
		b.notifyOps(slackui.Message{Text: fmt.Sprintf(
			"⚠️ kickbot stopped before running %d queued command(s); each moderator was told privately to run theirs again.", n)})
	}
	b.stopLocks(deadline)
	b.watches.close() // after the drain: a draining kick may still read a live roster
	b.out.shutdown(deadline.Add(outboxGrace))
	b.retags.Wait() // bounded by hardStop, which ends at the latest now
	if runErr != nil {
		<-runErr
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("socket mode: %w", err)
	}
	b.log.Info().Msg("stopped")
	return nil
}

// handleEvent runs on the event loop. It does no network work: it decides,
// acks, and hands the rest to the pool.
func (b *Bot) handleEvent(ctx context.Context, evt socketmode.Event) {
	b.eventAt = time.Now()
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		// A (re)connect attempt means the socket is down: readiness must not
		// wait for the attempt to fail, which can take long in an outage.
		b.setConnected(false)
		b.log.Info().Msg("connecting to Slack")
	case socketmode.EventTypeConnectionError:
		b.setConnected(false)
		b.log.Warn().Interface("error", evt.Data).Msg("Slack connection failed; retrying")
	case socketmode.EventTypeInvalidAuth:
		b.log.Error().Msg("Slack refused SLACK_APP_TOKEN (invalid_auth)")
	case socketmode.EventTypeConnected:
		if ce, ok := evt.Data.(*socketmode.ConnectedEvent); ok && ce.ConnectionCount > 0 {
			b.metrics.Reconnect()
		}
		b.setConnected(true)
		b.log.Info().Msg("connected to Slack")
	case socketmode.EventTypeHello:
		if evt.Request != nil && evt.Request.NumConnections > 1 {
			b.log.Warn().Int("num_connections", evt.Request.NumConnections).
				Msg("another process holds a socket with this app token and will receive a share of commands")
		}
	case socketmode.EventTypeDisconnect:
		b.setConnected(false)
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok || evt.Request == nil {
			return
		}
		b.onSlashCommand(ctx, evt.Request.EnvelopeID, cmd)
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok || evt.Request == nil {
			return
		}
		b.onInteraction(ctx, evt.Request.EnvelopeID, cb)
	case socketmode.EventTypeEventsAPI:
		if evt.Request != nil {
			b.ack(ctx, evt.Request.EnvelopeID, nil)
		}
	case socketmode.EventTypeErrorBadMessage:
		// slack-go does not ack a message it cannot parse; Slack would then
		// report dispatch_failed. Ack it ourselves if it has an envelope ID.
		if bad, ok := evt.Data.(*socketmode.ErrorBadMessage); ok {
			if id := envelopeIDOf(bad.Message); id != "" {
				b.ack(ctx, id, nil)
			}
			b.log.Warn().Err(bad.Cause).Msg("unparseable envelope from Slack")
		}
	case socketmode.EventTypeErrorWriteFailed:
		b.log.Warn().Msg("an ack could not be written to the socket; Slack may redeliver")
	case socketmode.EventTypeIncomingError:
		b.log.Debug().Msg("socket read error; reconnecting")
	}
}

// ack acknowledges one envelope, optionally with a response payload, and
// records the ack latency from when the event loop saw it.
func (b *Bot) ack(ctx context.Context, envelopeID string, payload any) {
	if envelopeID == "" {
		return
	}
	actx, cancel := context.WithTimeout(ctx, b.cfg.AckTimeout)
	defer cancel()
	if err := b.sm.AckCtx(actx, envelopeID, payload); err != nil {
		b.log.Warn().Err(err).Str("envelope_id", envelopeID).Msg("ack failed")
		return
	}
	// From when the event loop took the envelope, so parsing and policy
	// work before the ack count too. Real time, not b.now: tests may fake it.
	b.metrics.AckLatency(time.Since(b.eventAt))
}
