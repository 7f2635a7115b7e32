package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/kickbot/kickbot/audit"
	"github.com/kickbot/kickbot/bot"
	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/config"
	"github.com/kickbot/kickbot/health"
	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/metrics"
)

// startupTimeout bounds auth.test at start-up.
const startupTimeout = 15 * time.Second

// runBot runs the Slack bot until ctx ends (SIGINT/SIGTERM).
func runBot(ctx context.Context, stderr io.Writer) int {
	cfg, err := config.FromEnvironment()
	if err != nil {
		fmt.Fprintln(stderr, "kickbot: configuration:", err)
		return exitConfig
	}
	log := newLogger(cfg.LogLevel, cfg.LogFormat, stderr)
	if err := serve(ctx, cfg, log); err != nil {
		log.Error().Err(err).Msg("kickbot stopped")
		return exitError
	}
	return exitOK
}

// serve wires the bot from cfg and runs it until ctx ends.
//
// The health listener is bound first, before anything connects: a busy
// HTTP_ADDR used to surface only when the bot stopped, leaving a bot running
// with no probes and nothing in the log.
func serve(ctx context.Context, cfg config.Config, log zerolog.Logger) error {
	var ln net.Listener
	if cfg.HTTPAddr != "" {
		var lc net.ListenConfig
		l, err := lc.Listen(ctx, "tcp", cfg.HTTPAddr)
		if err != nil {
			return fmt.Errorf("HTTP_ADDR: %w", err)
		}
		ln = l
	}
	return serveOn(ctx, cfg, log, ln)
}

// serveOn is serve with the health listener already open (nil: no health
// server; cfg.HTTPAddr is then ignored). It closes ln. Tests pass a
// 127.0.0.1:0 listener so they know the address, and fakes' URLs in cfg.
func serveOn(ctx context.Context, cfg config.Config, log zerolog.Logger, ln net.Listener) error {
	if ln != nil {
		defer ln.Close() // early returns; ServeListener closes it otherwise
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := metrics.New(reg)

	st, err := openState(ctx, cfg, log, m)
	if err != nil {
		return err
	}
	defer st.close(log) // deferred first, so it runs last: after the bot and its drain

	mcfg := meetingConfig(cfg, log)
	mcfg.Observer = m
	mc, err := meeting.New(mcfg, st.meeting...)
	if err != nil {
		return err
	}

	api := slack.New(cfg.SlackBotToken.Reveal(),
		slack.OptionHTTPClient(slackHTTPClient(cfg.Workers)),
		slack.OptionAPIURL(cfg.SlackAPIURL),
		slack.OptionAppLevelToken(cfg.SlackAppToken.Reveal()))
	actx, cancel := context.WithTimeout(ctx, startupTimeout)
	who, err := api.AuthTestContext(actx)
	cancel()
	if err != nil {
		return fmt.Errorf("slack auth.test with SLACK_BOT_TOKEN failed: %w", err)
	}
	log.Info().Str("team", who.Team).Str("bot_user", who.UserID).Msg("authenticated with Slack")

	// Wrong meeting credentials or region would otherwise show only on
	// /readyz and in the first kick. The check runs beside the start-up so
	// a slow meeting API does not delay connecting to Slack.
	checked := make(chan struct{})
	go func() {
		defer close(checked)
		defer func() {
			if r := recover(); r != nil {
				log.Error().Str("panic", fmt.Sprint(r)).Msg("meeting API check panicked")
			}
		}()
		cctx, cancel := context.WithTimeout(ctx, startupTimeout)
		defer cancel()
		if err := mc.Check(cctx); err != nil && ctx.Err() == nil {
			log.Warn().Err(err).Msg("meeting API check failed: kicks will fail until the MEETING_* credentials and MEETING_API_URL (region) work")
		}
	}()
	defer func() { <-checked }()

	aud, err := audit.New(log, cfg.AuditFile)
	if err != nil {
		return fmt.Errorf("AUDIT_FILE: %w", err)
	}
	defer aud.Close()

	sm := socketmode.New(api)
	b := bot.New(bot.Config{
		Policy:        cfg.Policy(),
		OpsChannel:    cfg.OpsChannel,
		Workers:       cfg.Workers,
		QueueSize:     cfg.QueueSize,
		MaxTargets:    cfg.MaxTargets,
		UserRateLimit: cfg.UserRate,
		DrainTimeout:  cfg.DrainTimeout,
		ListMaxAge:    cfg.ListMaxAge,
		LockDefault:   cfg.LockDefault,
		MaxSweep:      cfg.MaxSweep,
		Outbox:        outboxPacing(cfg.SlackPacing),
	}, sm, &commands.Service{Meeting: mc, Claims: st.claims}, log, append([]bot.Option{bot.WithMetrics(m), bot.WithAuditor(aud),
		bot.WithWatching(mc, bot.WatchConfig{Idle: cfg.WatchIdle, Max: cfg.WatchMax})}, st.bot...)...)
	reg.MustRegister(metrics.NewWatchCollector(func() metrics.WatchStats {
		s := b.WatchStats()
		return metrics.WatchStats{Watched: s.Watched, Live: s.Live, Reconnects: s.Reconnects, MaxLag: s.MaxLag}
	}))

	httpDone := make(chan error, 1)
	hctx, stopHTTP := context.WithCancel(context.WithoutCancel(ctx))
	if ln != nil {
		h := health.Handler(readiness{bot: b, meeting: mc, state: st}, reg)
		if cfg.Pprof {
			h = withPprof(h)
			log.Warn().Str("addr", cfg.HTTPAddr).Msg("KICK_PPROF: Go's profiler is served at /debug/pprof/ on HTTP_ADDR; keep that address private")
		}
		go func() {
			defer func() {
				if r := recover(); r != nil {
					httpDone <- fmt.Errorf("health server panicked: %v", r)
				}
			}()
			httpDone <- health.ServeListener(hctx, ln, h, log)
		}()
	} else {
		httpDone <- nil
	}

	runErr := b.Run(ctx)
	if runErr != nil {
		// Run fails only when Slack refuses the app token (invalid_auth,
		// token_revoked…): name the variable, as for auth.test above.
		runErr = fmt.Errorf("slack Socket Mode with SLACK_APP_TOKEN failed: %w", runErr)
	}
	stopHTTP() // the health server outlives the drain so probes see it finish
	if err := <-httpDone; err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}

// withPprof serves Go's profiler under /debug/pprof/ beside h (KICK_PPROF),
// e.g. go tool pprof http://localhost:8080/debug/pprof/profile?seconds=10
// while kickload runs against the binary.
func withPprof(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/", h)
	return mux
}

// readiness tells /readyz whether the bot can do its job.
type readiness struct {
	bot     *bot.Bot
	meeting *meeting.Client
	state   *sharedState
}

// StateReady names Redis on /readyz when replicas share it.
func (r readiness) StateReady(ctx context.Context) (string, error) { return r.state.StateReady(ctx) }

func (r readiness) SlackConnected() bool { return r.bot.Connected() }

func (r readiness) MeetingReady(ctx context.Context) error { return r.meeting.Check(ctx) }

// Watches shows the watched meetings on /readyz (never "not ready": without
// the socket everything falls back to realTimeInfo).
func (r readiness) Watches() health.Watches {
	s := r.bot.WatchStats()
	return health.Watches{Watched: s.Watched, Live: s.Live, Reconnects: s.Reconnects, FrameLagSeconds: s.MaxLag.Seconds()}
}

func meetingConfig(cfg config.Config, log zerolog.Logger) meeting.Config {
	return meeting.Config{
		BaseURL:  cfg.MeetingAPIURL,
		AppID:    cfg.MeetingAppID,
		AppKey:   cfg.MeetingAppKey,
		UserID:   cfg.MeetingUserID,
		Account:  cfg.MeetingAccount,
		Password: cfg.MeetingPassword,
		// Not an HTTPClient of our own: the client's default keeps enough
		// idle connections for a burst and refuses redirects, which would
		// carry its token headers to another host.
		Timeout:      cfg.MeetingTimeout,
		MaxPerHangUp: cfg.MeetingMaxPerHangUp,
		Logger:       log,
	}
}

// slackHTTPClient keeps an idle connection to Slack for every worker (plus
// the event loop's share): http.DefaultTransport keeps only two, so under a
// burst most Web API calls would open and TLS-handshake a new connection.
// Its transport drops the message Slack echoes in a post's reply, and ends
// any call still running after 30 s (dropEcho).
func slackHTTPClient(workers int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = max(workers, 8) + 2
	return &http.Client{Transport: dropEcho{next: tr, timeout: 30 * time.Second}}
}

// newLogger builds the process logger. format "console" is for people,
// anything else JSON for machines.
func newLogger(level, format string, w io.Writer) zerolog.Logger {
	lvl, err := zerolog.ParseLevel(strings.ToLower(level))
	if err != nil || level == "" {
		lvl = zerolog.InfoLevel
	}
	if format == "console" {
		noColor := !useColor(isTerminal(w), os.Getenv("NO_COLOR"))
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.Kitchen, NoColor: noColor}
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Str("service", "kickbot").Logger()
}

// useColor: colour codes only on a terminal (in a file or a log collector
// they are noise), and never when NO_COLOR is set to anything (no-color.org).
func useColor(terminal bool, noColorEnv string) bool {
	return terminal && noColorEnv == ""
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}

// runHealthcheck probes /healthz of a bot on HTTP_ADDR (default :8080); the
// container image has no curl.
func runHealthcheck(ctx context.Context, stdout, stderr io.Writer) int {
	addr, set := os.LookupEnv("HTTP_ADDR")
	switch {
	case set && addr == "":
		// HTTP_ADDR= turns the health server off on purpose (config). Probing
		// the default port instead could find some other process there, and
		// failing would mark every such container unhealthy for ever (and get
		// it restarted in a loop by an orchestrator that acts on health): the
		// image's HEALTHCHECK passes and says why.
		fmt.Fprintln(stdout, "kickbot healthcheck: HTTP_ADDR is empty, so the health server is off on purpose; nothing to probe (reported healthy)")
		return exitOK
	case !set:
		addr = ":8080"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+probeAddr(addr)+"/healthz", nil)
	if err != nil {
		fmt.Fprintf(stderr, "kickbot healthcheck: HTTP_ADDR %q: %v\n", addr, err)
		return exitError
	}
	// The probe is for this machine: never through HTTP(S)_PROXY, and no
	// connection kept.
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		fmt.Fprintln(stderr, "kickbot healthcheck:", err)
		return exitError
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(stderr, "kickbot healthcheck: /healthz answered", resp.Status)
		return exitError
	}
	return exitOK
}

// probeAddr is where to reach a server listening on addr: an empty or
// unspecified host (":8080", "0.0.0.0:8080", "[::]:8080") means this machine.
func probeAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// outboxPacing is the outbox's pace for KICK_SLACK_PACING: Slack's limits by
// default; "off" lifts kickbot's own pacing (Retry-Afters are still
// honoured) for a fake Slack that enforces no limits.
func outboxPacing(mode string) bot.OutboxConfig {
	if mode != "off" {
		return bot.OutboxConfig{}
	}
	return bot.Unpaced()
}
