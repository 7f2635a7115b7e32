package bot_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"go.uber.org/goleak"

	"github.com/kickbot/kickbot/bot"
	"github.com/kickbot/kickbot/bot/slackfake"
	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/internal/testlog"
	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/meeting/meetingtest"
	"github.com/kickbot/kickbot/secret"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Fixed IDs of the test workspace.
const (
	modChannel = "CMOD"   // the moderation channel where /kick is allowed
	opsChannel = "COPS"   // ops notices
	otherChan  = "COTHER" // a channel not in KICK_CHANNELS
	moderator  = "UMOD"   // allowed user
	moderator2 = "UMOD2"  // a second allowed user
	stranger   = "USTRANGER"
)

// harness is a running bot wired exactly as in production: the real
// slack-go socketmode client against slackfake over a WebSocket, and the
// real meeting client against meetingtest over HTTP.
type harness struct {
	t      *testing.T
	slack  *slackfake.Server
	sim    *meetingtest.Server
	facts  meetingtest.SampleFacts
	mc     *meeting.Client
	bot    *bot.Bot
	claims *commands.Claims
	svc    *commands.Service
	logs   *testlog.Buffer

	cancel context.CancelFunc
	done   chan error
	stop   sync.Once
}

type harnessOpts struct {
	cfg        bot.Config
	slackOpts  []slackfake.Option
	simOpts    []meetingtest.Option
	meetingCfg func(*meeting.Config)
	botOpts    []bot.Option
	noStart    bool
	batchStall time.Duration    // commands.Service.BatchStall
	watch      *bot.WatchConfig // non-nil: bot.WithWatching(the harness's meeting client, *watch)
}

// defaultPolicy allows moderator and moderator2 in modChannel for any
// conference.
func defaultPolicy() commands.Policy {
	return commands.Policy{
		Channels: map[string]bool{modChannel: true},
		Users:    map[string]bool{moderator: true, moderator2: true},
	}
}

func newHarness(t *testing.T, o harnessOpts) *harness {
	t.Helper()
	h := &harness{t: t, logs: &testlog.Buffer{}, done: make(chan error, 1)}
	h.slack = slackfake.NewT(t, o.slackOpts...)
	h.sim = meetingtest.NewServer(o.simOpts...)
	t.Cleanup(h.sim.Close)
	h.facts = h.sim.Sample()

	log := zerolog.New(h.logs).Level(zerolog.DebugLevel)
	mcfg := meeting.Config{
		BaseURL:        h.sim.URL(),
		AppID:          h.facts.AppID,
		AppKey:         secret.New(h.facts.AppKey),
		UserID:         h.facts.UserID,
		RetryBaseDelay: time.Millisecond,
		RetryMaxDelay:  5 * time.Millisecond,
		Logger:         log,
	}
	if o.meetingCfg != nil {
		o.meetingCfg(&mcfg)
	}
	mc, err := meeting.New(mcfg)
	if err != nil {
		t.Fatalf("meeting.New: %v", err)
	}
	h.mc = mc
	t.Cleanup(mc.CloseIdleConnections)

	cfg := o.cfg
	if cfg.Policy.Channels == nil {
		cfg.Policy = defaultPolicy()
	}
	if cfg.OpsChannel == "" {
		cfg.OpsChannel = opsChannel
	}
	api := slack.New(slackfake.DefaultBotToken, slack.OptionAPIURL(h.slack.APIURL()),
		slack.OptionAppLevelToken(slackfake.DefaultAppToken))
	sm := socketmode.New(api)
	h.claims = commands.NewClaims()
	h.svc = &commands.Service{Meeting: mc, Claims: h.claims, BatchStall: o.batchStall}
	if o.watch != nil {
		o.botOpts = append(o.botOpts, bot.WithWatching(mc, *o.watch))
	}
	h.bot = bot.New(cfg, sm, h.svc, log, o.botOpts...)
	if !o.noStart {
		h.start()
	}
	return h
}

// start runs the bot and waits until it is connected.
func (h *harness) start() {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- h.bot.Run(ctx) }()
	h.t.Cleanup(func() { h.shutdown() })
	h.eventually("bot connected", h.bot.Connected)
}

// shutdown is SIGTERM: cancel Run's context and wait for it to return.
func (h *harness) shutdown() error {
	var err error
	h.stop.Do(func() {
		h.cancel()
		select {
		case err = <-h.done:
		case <-time.After(30 * time.Second):
			h.t.Errorf("bot.Run did not return within 30s of shutdown")
		}
	})
	return err
}

func (h *harness) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	h.t.Cleanup(cancel)
	return ctx
}

func (h *harness) eventually(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// slash types /kick text as user in channel and returns the envelope ID
// once it is acked.
func (h *harness) slash(user, channel, text string) (string, slackfake.Ack) {
	h.t.Helper()
	id := h.slack.SlashCommand(slackfake.Slash{Text: text, UserID: user, ChannelID: channel, ChannelName: channelName(channel)})
	ack, err := h.slack.WaitAck(h.ctx(), id)
	if err != nil {
		h.t.Fatalf("no ack for %q: %v", text, err)
	}
	return id, ack
}

func channelName(id string) string {
	if strings.HasPrefix(id, "D") {
		return "directmessage"
	}
	return strings.ToLower(id)
}

// ackText is the text of an ack's ephemeral answer ("" for a bare ack).
func ackText(a slackfake.Ack) string { return string(a.Payload) }

// waitMsg waits for a message matching pred.
func (h *harness) waitMsg(what string, pred func(slackfake.Message) bool) slackfake.Message {
	h.t.Helper()
	m, err := h.slack.WaitMessage(h.ctx(), pred)
	if err != nil {
		h.t.Fatalf("no %s: %v\nmessages: %s", what, err, h.dumpMessages())
	}
	return m
}

// private waits for the response_url answer to envelope id.
func (h *harness) private(id string) slackfake.Message {
	h.t.Helper()
	return h.waitMsg("private answer", func(m slackfake.Message) bool {
		return m.Method == "response_url" && m.EnvelopeID == id
	})
}

// outcome waits for the thread reply of the kick whose parent was posted
// in channel, and returns the parent (as updated) and the reply.
func (h *harness) outcome(channel string) (parent, reply slackfake.Message) {
	h.t.Helper()
	p := h.waitMsg("parent message", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.Channel == channel && m.ThreadTS == ""
	})
	r := h.waitMsg("thread reply", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.Channel == channel && m.ThreadTS == p.TS
	})
	return h.finalParent(channel, p.TS), r
}

// finalParent waits for a parent message to show a kick's final status:
// posted with it when the kick was over before the channel's turn came,
// else updated to it.
func (h *harness) finalParent(channel, ts string) slackfake.Message {
	h.t.Helper()
	h.eventually("parent showing the final status", func() bool {
		cur, ok := h.slack.Current(channel, ts)
		return ok && !strings.HasPrefix(cur.Text, "⏳")
	})
	cur, _ := h.slack.Current(channel, ts)
	return cur
}

// opsNotice waits for an ops-channel message containing s.
func (h *harness) opsNotice(s string) slackfake.Message {
	h.t.Helper()
	return h.waitMsg("ops notice containing "+s, func(m slackfake.Message) bool {
		return m.Channel == opsChannel && strings.Contains(allText(m), s)
	})
}

func (h *harness) dumpMessages() string {
	var b strings.Builder
	for _, m := range h.slack.Messages() {
		b.WriteString("\n  " + m.Method + " " + m.Channel + " ts=" + m.TS + " thread=" + m.ThreadTS + ": " + m.Text)
	}
	return b.String()
}

// hangUps is every participant ID the meeting was asked to disconnect.
func (h *harness) hangUps() []string { return h.sim.HangUpIDs(h.facts.ConferenceID) }

func allText(m slackfake.Message) string { return strings.Join(m.Texts(), "\n") }
