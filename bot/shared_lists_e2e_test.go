package bot_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/kickbot/kickbot/bot"
	"github.com/kickbot/kickbot/bot/slackfake"
	"github.com/kickbot/kickbot/bot/slackui"
	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/internal/redistest"
	"github.com/kickbot/kickbot/internal/testlog"
	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/meeting/meetingtest"
	"github.com/kickbot/kickbot/memstate"
	"github.com/kickbot/kickbot/redisstate"
	"github.com/kickbot/kickbot/secret"
	"github.com/kickbot/kickbot/state"
)

// Two replicas of one app (issue 15): bot A and bot B on one fake Slack,
// one meeting simulator and one real Redis, each with its own Redis
// connection, meeting client and in-process claims, as two processes
// would have. The fake hands envelopes to the open sockets round robin, as
// Slack spreads them: once A has taken the /kick and B has connected, the
// next envelope goes to B, the one after to A.

type replicas struct {
	t      *testing.T
	redis  *redistest.Server
	prefix string
	a      *harness
}

// sharedLists is the WithSharedLists option of one replica: its own
// connection to the replicas' Redis.
func (r *replicas) sharedLists() bot.Option {
	st, err := redisstate.Open(r.redis.URL(), redisstate.WithPrefix(r.prefix))
	if err != nil {
		r.t.Fatalf("redisstate.Open: %v", err)
	}
	r.t.Cleanup(func() { _ = st.Close() })
	return bot.WithSharedLists(st.Lists(bot.ListRetention, 2000, 0), st.Clicks(bot.ListRetention))
}

// newReplicas starts Redis and replica A.
func newReplicas(t *testing.T, o harnessOpts) *replicas {
	t.Helper()
	r := &replicas{t: t, redis: redistest.Start(t), prefix: redistest.Prefix(t)}
	o.botOpts = append(o.botOpts, r.sharedLists())
	r.a = newHarness(t, o)
	return r
}

// startB starts replica B on A's Slack and meeting and waits until it is
// connected.
func (r *replicas) startB(o harnessOpts) *harness {
	t, a := r.t, r.a
	t.Helper()
	h := &harness{t: t, slack: a.slack, sim: a.sim, facts: a.facts, logs: &testlog.Buffer{}, done: make(chan error, 1)}
	log := zerolog.New(h.logs).Level(zerolog.DebugLevel)
	mcfg := meeting.Config{BaseURL: a.sim.URL(), AppID: a.facts.AppID, AppKey: secret.New(a.facts.AppKey), UserID: a.facts.UserID,
		RetryBaseDelay: time.Millisecond, RetryMaxDelay: 5 * time.Millisecond, Logger: log}
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
	api := slack.New(slackfake.DefaultBotToken, slack.OptionAPIURL(a.slack.APIURL()), slack.OptionAppLevelToken(slackfake.DefaultAppToken))
	h.claims = commands.NewClaims()
	h.svc = &commands.Service{Meeting: mc, Claims: h.claims}
	h.bot = bot.New(cfg, socketmode.New(api), h.svc, log, append(o.botOpts, r.sharedLists())...)
	h.start()
	if err := a.slack.WaitSockets(h.ctx(), 2); err != nil {
		t.Fatalf("two sockets: %v", err)
	}
	return h
}

// onSocket asserts that envelope id was acked on socket n (1: A, which
// connected first; 2: B): the replica Slack handed it to.
func onSocket(t *testing.T, s *slackfake.Server, id string, n int) {
	t.Helper()
	ack, err := s.WaitAck(t.Context(), id)
	if err != nil {
		t.Fatalf("no ack for %s: %v", id, err)
	}
	if ack.Socket != n {
		t.Errorf("envelope %s went to socket %d; want %d (the test's replica split is off)", id, ack.Socket, n)
	}
}

// navigateID is navigate, also returning the click's envelope ID.
func (h *harness) navigateID(user string, v *listView, b lvButton) (*listView, string) {
	h.t.Helper()
	n := h.updates(v)
	id := h.press(user, v, b)
	return h.waitUpdates(v, n+1), id
}

// TestSharedListClickedOnOtherReplica: a Disconnect click that Slack hands
// to the replica that did not post the list disconnects the participant
// once, updates the list message A posted, and reports in its thread.
func TestSharedListClickedOnOtherReplica(t *testing.T) {
	r := newReplicas(t, harnessOpts{})
	a := r.a
	v := a.openList(moderator, a.facts.ConferenceID)
	n := a.updates(v)
	b := r.startB(harnessOpts{})

	id := b.press(moderator, v, v.disconnect("Carlos Mendes"))
	onSocket(t, a.slack, id, 2)
	got := a.waitUpdates(v, n+1)
	if !strings.Contains(got.row("Carlos Mendes").text(), "disconnected by <@"+moderator+">") {
		t.Errorf("A's list does not show who disconnected Carlos:\n%s", got.row("Carlos Mendes").text())
	}
	if !slices.Equal(a.hangUps(), []string{meetingtest.SampleCarlosPID}) {
		t.Errorf("hang-ups %v; want Carlos once", a.hangUps())
	}
	if th := a.listThread(v); threadOutcomes(th) != 1 {
		t.Errorf("%d outcomes in the list's thread; want 1", threadOutcomes(th))
	}
	for _, m := range a.slack.Messages() {
		if m.Method == "response_url" {
			t.Errorf("the click was answered privately: %s", allText(m))
		}
	}
}

// TestSharedListDoubleClickSplitAcrossReplicas: two moderators click the
// same row, one click on each replica: one hang-up call, one outcome in
// the thread, and the second clicker is told who did it.
func TestSharedListDoubleClickSplitAcrossReplicas(t *testing.T) {
	r := newReplicas(t, harnessOpts{})
	a := r.a
	// A slow meeting keeps the first click in flight while the second arrives.
	a.sim.SetLatency(meetingtest.EndpointHangUp, 100*time.Millisecond)
	v := a.openList(moderator, a.facts.ConferenceID)
	n := a.updates(v)
	b := r.startB(harnessOpts{})

	btn := v.disconnect("Carlos Mendes")
	ids := map[string]string{}
	first := a.slack.BlockAction(slackfake.Action{UserID: moderator, ChannelID: modChannel, MessageTS: v.msg.TS,
		ActionID: btn.el.ActionID, BlockID: btn.blockID, Value: btn.el.Value, Style: btn.el.Style}) // to B
	second := a.slack.BlockAction(slackfake.Action{UserID: moderator2, ChannelID: modChannel, MessageTS: v.msg.TS,
		ActionID: btn.el.ActionID, BlockID: btn.blockID, Value: btn.el.Value, Style: btn.el.Style}) // to A
	ids[first], ids[second] = moderator, moderator2

	refused := a.waitMsg("the second clicker's answer", func(m slackfake.Message) bool {
		return m.Method == "response_url" && (m.EnvelopeID == first || m.EnvelopeID == second)
	})
	a.waitUpdates(v, n+1)
	winner := ids[first]
	if refused.EnvelopeID == first {
		winner = ids[second]
	}
	if txt := allText(refused); !strings.Contains(txt, "Carlos Mendes") || !strings.Contains(txt, "already") ||
		!strings.Contains(txt, "<@"+winner+">") {
		t.Errorf("second clicker not told it is already done or in progress by %s:\n%s\nA: %s\nB: %s", winner, txt, a.logs, b.logs)
	}
	if a.hangUpCalls() != 1 || !slices.Equal(a.hangUps(), []string{meetingtest.SampleCarlosPID}) {
		t.Errorf("%d hang-up calls for %v; want one for Carlos", a.hangUpCalls(), a.hangUps())
	}
	if th := a.listThread(v); threadOutcomes(th) != 1 {
		t.Errorf("%d outcomes in the thread; want 1", threadOutcomes(th))
	}
	onSocket(t, a.slack, first, 2)
	onSocket(t, a.slack, second, 1)
	a.eventually("the list crediting the winner", func() bool {
		return strings.Contains(a.current(v).row("Carlos Mendes").text(), "disconnected by <@"+winner+">")
	})
}

// TestSharedListPagingOnOtherReplica: Next on B pages the list A posted;
// a Refresh on A afterwards keeps B's page (the state is the store's, not
// A's memory); a search on B and Clear search on A work the same way.
func TestSharedListPagingOnOtherReplica(t *testing.T) {
	r := newReplicas(t, harnessOpts{cfg: bot.Config{Outbox: bot.Unpaced()}})
	a := r.a
	const conf = "777000444"
	a.sim.AddConference(conf).Running().Subject("Town hall").Host(meetingtest.P{Name: "Hana Host"}).Participants(60)
	v := a.openList(moderator, conf)
	if !strings.Contains(v.header(), "Page 1 of") {
		t.Fatalf("not paged:\n%s", v.header())
	}
	b := r.startB(harnessOpts{cfg: bot.Config{Outbox: bot.Unpaced()}})

	p2, id := b.navigateID(moderator, v, v.mustNav(slackui.ActionNext))
	onSocket(t, a.slack, id, 2)
	if !strings.Contains(p2.header(), "Page 2 of") {
		t.Fatalf("Next on B did not show page 2:\n%s", p2.header())
	}
	ref, id := a.navigateID(moderator, p2, p2.mustNav(slackui.ActionRefresh))
	onSocket(t, a.slack, id, 1)
	if !strings.Contains(ref.header(), "Page 2 of") {
		t.Errorf("Refresh on A lost B's page:\n%s", ref.header())
	}
	found, id := b.navigateID(moderator, ref, ref.search("Hana"))
	onSocket(t, a.slack, id, 2)
	if !found.hasRow("Hana Host") || strings.Contains(found.header(), "Page 2 of") {
		t.Errorf("search on B: %s", found.header())
	}
	cleared, id := a.navigateID(moderator, found, found.mustNav(slackui.ActionClearSearch))
	onSocket(t, a.slack, id, 1)
	if !strings.Contains(cleared.header(), "Page 1 of") {
		t.Errorf("Clear search on A:\n%s", cleared.header())
	}
}

// TestSharedListStaleRefusedOnBoth: a list older than ListMaxAge refuses
// to act on either replica, and nothing reaches the meeting.
func TestSharedListStaleRefusedOnBoth(t *testing.T) {
	clock := &testClock{}
	o := harnessOpts{cfg: bot.Config{ListMaxAge: 5 * time.Minute}, botOpts: []bot.Option{bot.WithClock(clock.now)},
		meetingCfg: func(c *meeting.Config) { c.Now = clock.now }}
	r := newReplicas(t, o)
	a := r.a
	v := a.openList(moderator, a.facts.ConferenceID)
	r.startB(harnessOpts{cfg: o.cfg, botOpts: []bot.Option{bot.WithClock(clock.now)}, meetingCfg: o.meetingCfg})
	clock.advance(6 * time.Minute)

	for i, who := range []string{"B", "A"} {
		id := a.press(moderator, v, v.disconnect("Carlos Mendes"))
		onSocket(t, a.slack, id, 2-i)
		if txt := allText(a.private(id)); !strings.Contains(txt, "Refresh") || !strings.Contains(txt, "too old") {
			t.Errorf("stale click on %s answered %q; want it to ask for a Refresh", who, txt)
		}
	}
	if a.hangUpCalls() != 0 || len(a.listThread(v)) != 0 {
		t.Errorf("a stale list acted")
	}
}

// TestSharedListRedisDownRefusesClick: with Redis stopped, a click is
// acked at once and refused with the state-store wording; nothing reaches
// the meeting and the list is unchanged.
func TestSharedListRedisDownRefusesClick(t *testing.T) {
	r := newReplicas(t, harnessOpts{})
	a := r.a
	v := a.openList(moderator, a.facts.ConferenceID)
	n := a.updates(v)
	r.redis.Stop()

	id := a.press(moderator, v, v.disconnect("Carlos Mendes")) // waits for the ack
	txt := allText(a.private(id))
	if want := commands.UserMessage(state.ErrUnavailable); txt != want {
		t.Errorf("click with Redis down answered %q; want %q", txt, want)
	}
	if a.hangUpCalls() != 0 || len(a.listThread(v)) != 0 || a.updates(v) != n {
		t.Errorf("a click acted with Redis down: %d hang-ups, %d replies, %d updates", a.hangUpCalls(), len(a.listThread(v)), a.updates(v)-n)
	}
}

// TestSharedUninvitedListOnOtherReplica: an uninvited list posted by A
// acts from B too: a row's Disconnect on B, Disconnect all on A, and a
// second Disconnect all on B is told who swept it, with no other call.
func TestSharedUninvitedListOnOtherReplica(t *testing.T) {
	r := newReplicas(t, harnessOpts{simOpts: []meetingtest.Option{meetingtest.WithRosterUserIDs(true)}})
	a := r.a
	conf := uninvitedMeeting(a)
	v := a.uninvited(conf)
	all := button(t, v, "", slackui.ActionSweepAll)
	r.startB(harnessOpts{})

	id := a.press(moderator, v, button(t, v, "Raider One", slackui.ActionSweepOne))
	onSocket(t, a.slack, id, 2)
	a.waitMsg("row outcome in the list's thread", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.ThreadTS == v.msg.TS && strings.Contains(m.Text, "Disconnected 1 participant")
	})
	if got := a.sim.HangUpIDs(conf); !slices.Equal(got, []string{"cccc0000unv1"}) {
		t.Fatalf("hang-ups %v; want Raider One", got)
	}
	a.eventually("the list showing Raider One's disconnect", func() bool {
		return strings.Contains(allText(mustCurrent(a, v.msg.TS)), "disconnected by <@"+moderator+">")
	})

	id = a.press(moderator2, v, all)
	onSocket(t, a.slack, id, 1)
	a.eventually("the list showing the sweep", func() bool {
		return strings.Contains(allText(mustCurrent(a, v.msg.TS)), "pressed *Disconnect all 3*")
	})
	calls := a.hangUpCalls()
	if calls != 2 {
		t.Errorf("%d hang-up calls after the sweep; want 2", calls)
	}

	id = a.press(moderator, v, all)
	onSocket(t, a.slack, id, 2)
	if p := allText(a.private(id)); !strings.Contains(p, "already swept by <@"+moderator2+">") {
		t.Errorf("second sweep on B answered %q", p)
	}
	if a.hangUpCalls() != calls {
		t.Errorf("a second sweep made another hang-up call")
	}
}

// TestSharedHoldAdmitOnOtherReplica: the Admit buttons of a hold made on
// A work on B (the person is back, A's parent says who admitted them),
// and the same button on A afterwards is told who did it.
func TestSharedHoldAdmitOnOtherReplica(t *testing.T) {
	r := newReplicas(t, harnessOpts{})
	a := r.a
	parent, _ := a.hold(a.facts.ConferenceID + " hold " + meetingtest.SampleCarlosPID + " -- heckling")
	pv := parseList(t, a.finalParent(modChannel, parent.msg.TS))
	btn := button(t, pv, "*Carlos Mendes*", slackui.ActionAdmit)
	r.startB(harnessOpts{})

	id := a.press(moderator2, pv, btn)
	onSocket(t, a.slack, id, 2)
	a.waitMsg("admit reply in the hold's thread", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.ThreadTS == pv.msg.TS && strings.Contains(m.Text, "back in from the waiting room")
	})
	a.eventually("Carlos back online", func() bool { return online(a, meetingtest.SampleCarlosPID) })
	a.eventually("A's parent showing who admitted Carlos", func() bool {
		return strings.Contains(allText(mustCurrent(a, pv.msg.TS)), "admitted by <@"+moderator2+">")
	})

	id = a.press(moderator, pv, btn)
	onSocket(t, a.slack, id, 1)
	if p := allText(a.private(id)); !strings.Contains(p, "already admitted by <@"+moderator2+">") {
		t.Errorf("second Admit on A answered %q", p)
	}
	if n := a.sim.CallCount(meetingtest.EndpointAllowWaiting); n != 1 {
		t.Errorf("%d admit calls; want 1", n)
	}
}

// TestSharedLiveListClickedOnOtherReplica: a list that A's watch keeps
// current is written back to the store, so a joiner the watch added can
// be disconnected from B, which does not watch the meeting.
func TestSharedLiveListClickedOnOtherReplica(t *testing.T) {
	cfg := fastWatch()
	cfg.ListEvery = 50 * time.Millisecond
	r := newReplicas(t, harnessOpts{watch: cfg})
	a := r.a
	conf := a.facts.ConferenceID
	v := a.openList(moderator, conf) // starts A's watch
	v = a.waitList(v, "the list marked live", func(v *listView) bool { return strings.Contains(v.header(), "🟢 Live") })
	raider := meetingtest.P{ID: "aaaabbbbccccddddeeeeffff00003333", Name: "Raider", Phone: "+15550003", Anonymous: true}
	a.sim.Join(conf, raider)
	v = a.waitList(v, "the joiner in the list", func(v *listView) bool { return v.hasRow("Raider") })
	r.startB(harnessOpts{})

	id := a.press(moderator2, v, v.disconnect("Raider"))
	onSocket(t, a.slack, id, 2)
	a.waitList(v, "the raider disconnected", func(v *listView) bool {
		return !v.hasRow("Raider") || strings.Contains(v.row("Raider").text(), "disconnected by <@"+moderator2+">")
	})
	if got := a.hangUps(); !slices.Equal(got, []string{raider.ID}) {
		t.Errorf("hang-ups %v, want the raider", got)
	}
	for _, m := range a.slack.Messages() {
		if m.Method == "response_url" && m.EnvelopeID == id {
			t.Errorf("B answered the click privately: %s", allText(m))
		}
	}
}

// TestSharedCandidatesClickedOnOtherReplica: the private candidates of an
// ambiguous name, offered by A, take a click on B: exactly that one is
// disconnected, and the private list is replaced with who did it.
func TestSharedCandidatesClickedOnOtherReplica(t *testing.T) {
	r := newReplicas(t, harnessOpts{})
	a := r.a
	id, _ := a.slash(moderator, modChannel, a.facts.ConferenceID+` "Jane Doe"`)
	offer := parseList(t, a.private(id))
	var pick lvButton
	for _, b := range offer.blocks {
		if b.Accessory != nil && strings.Contains(b.Accessory.Value, meetingtest.SampleJaneDoe2PID) {
			pick = lvButton{blockID: b.BlockID, el: *b.Accessory}
		}
	}
	if pick.el.ActionID == "" {
		t.Fatalf("no Disconnect button for the second Jane Doe:\n%s", offer.msg.BlocksJSON())
	}
	r.startB(harnessOpts{})

	click := a.slack.BlockAction(slackfake.Action{UserID: moderator, ChannelID: modChannel, IsEphemeral: true,
		ActionID: pick.el.ActionID, BlockID: pick.blockID, Value: pick.el.Value})
	onSocket(t, a.slack, click, 2)
	a.outcome(modChannel)
	if got := a.hangUps(); !slices.Equal(got, []string{meetingtest.SampleJaneDoe2PID}) {
		t.Fatalf("meeting received hang-ups %v; want only the chosen Jane Doe", got)
	}
	updated := a.waitMsg("private list replaced after the click", func(m slackfake.Message) bool {
		return m.Method == "response_url" && m.EnvelopeID == click && m.ReplaceOriginal
	})
	if !strings.Contains(allText(updated), "<@"+moderator+">") || !strings.Contains(allText(updated), "Jane Doe") {
		t.Errorf("the private list does not say who disconnected Jane Doe:\n%s", allText(updated))
	}
}

// Both backends satisfy the interfaces bot owns.
var (
	_ bot.ListStore  = (*redisstate.Lists)(nil)
	_ bot.ClickStore = (*redisstate.Clicks)(nil)
	_ bot.ListStore  = (*memstate.Lists)(nil)
	_ bot.ClickStore = (*memstate.Clicks)(nil)
)
