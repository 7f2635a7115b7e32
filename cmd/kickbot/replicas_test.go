package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kickbot/kickbot/bot/slackfake"
	"github.com/kickbot/kickbot/bot/slackui"
	"github.com/kickbot/kickbot/internal/redistest"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// Two replicas (issue 15): two kickbot processes — the built binary, as an
// operator runs it — on one app token, one Redis (redistest: a private
// redis-server, or REDIS_TEST_URL; under CI=true a missing redis-server
// fails the test instead of skipping it), the fake Slack, which hands each
// envelope to one of the open sockets as Slack does, and the meeting
// simulator. Every wait is for an event (an ack, a message, a simulator
// call, a process exit), bounded by a deadline generous enough for a loaded
// 2-core machine; none is a sleep. Each test ends by stopping both replicas
// with SIGTERM and waiting for them to exit, so that everything they were
// going to post is posted before a "nothing twice" assertion counts.

// replicaWait bounds every wait of these tests: long, because two kickbot
// processes, a redis-server and the fakes share a loaded machine. A wait
// that succeeds returns as soon as its event happens.
const replicaWait = 45 * time.Second

// replica is one kickbot process and the Socket Mode socket it holds.
type replica struct {
	name   string
	p      *process
	socket int // slackfake's socket number (Ack.Socket)
}

func (r *replica) logs() string { return r.p.stderr.String() }

func (r *replica) running() bool {
	select {
	case <-r.p.done:
		return false
	default:
		return true
	}
}

// cluster is the replicas and everything they share.
type cluster struct {
	t        *testing.T
	f        fakes
	bin      string
	env      map[string]string
	reps     []*replica
	bySocket map[int]*replica
}

// newCluster starts n replicas, one after the other, each connected before
// the next starts, so that replica i holds socket i+1. extra is added to
// every replica's environment; opts configure the fake Slack.
func newCluster(t *testing.T, n int, extra map[string]string, opts ...slackfake.Option) *cluster {
	t.Helper()
	redisURL := redistest.URL(t) // skips (fails under CI) without a redis-server, before the build
	bin := buildKickbot(t)
	c := &cluster{t: t, f: newFakes(t, opts...), bin: bin, bySocket: map[int]*replica{}}
	c.env = c.f.env()
	c.env["REDIS_URL"] = redisURL
	c.env["KICK_REDIS_PREFIX"] = redistest.Prefix(t)
	c.env["LOG_FORMAT"] = "json"
	maps.Copy(c.env, extra)
	for i := range n {
		c.start(string(rune('A' + i)))
	}
	return c
}

// start runs one more replica and waits until its socket is open.
func (c *cluster) start(name string) *replica {
	c.t.Helper()
	before := c.f.slack.Sockets()
	r := &replica{name: name, p: startProcess(c.t, c.bin, c.env)}
	c.waitFor("replica "+name+" to connect to Slack", func() bool {
		if !r.running() {
			c.t.Fatalf("replica %s exited before connecting: %v\nstderr:\n%s", name, r.p.cmd.ProcessState, r.logs())
		}
		return c.f.slack.Sockets() > before
	})
	if got := c.f.slack.Sockets(); got != before+1 {
		c.t.Fatalf("replica %s: %d sockets opened, want 1", name, got-before)
	}
	r.socket = before + 1
	c.reps = append(c.reps, r)
	c.bySocket[r.socket] = r
	return r
}

// waitFor polls cond until it holds; the test fails after replicaWait.
func (c *cluster) waitFor(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(replicaWait)
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out after %v waiting for %s%s", replicaWait, what, c.logTails())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// logTails is the end of every replica's log, for a failure message.
func (c *cluster) logTails() string {
	var b strings.Builder
	for _, r := range c.reps {
		lines := strings.Split(strings.TrimSpace(r.logs()), "\n")
		if len(lines) > 25 {
			lines = lines[len(lines)-25:]
		}
		fmt.Fprintf(&b, "\n--- replica %s (socket %d), last %d log lines:\n%s", r.name, r.socket, len(lines), strings.Join(lines, "\n"))
	}
	return b.String()
}

// slash queues /kick text from user in the moderation channel without
// waiting, and returns its envelope ID.
func (c *cluster) slash(user, text string) string {
	return c.f.slack.SlashCommand(slackfake.Slash{Text: text, UserID: user, ChannelID: modChannel, ChannelName: "moderation"})
}

// ack waits for the first ack of envelope id.
func (c *cluster) ack(id string) slackfake.Ack {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), replicaWait)
	defer cancel()
	a, err := c.f.slack.WaitAck(ctx, id)
	if err != nil {
		c.t.Fatalf("envelope %s: %v%s", id, err, c.logTails())
	}
	return a
}

// handler is the replica whose socket an ack came back on.
func (c *cluster) handler(a slackfake.Ack) *replica {
	c.t.Helper()
	r := c.bySocket[a.Socket]
	if r == nil {
		c.t.Fatalf("envelope %s was acked on socket %d, which no replica opened at start-up (a replica reconnected?)%s",
			a.EnvelopeID, a.Socket, c.logTails())
	}
	return r
}

// steerTo makes the next envelope go to r. The fake Slack hands envelopes
// to the open sockets in turn (slackfake's round robin, one of the patterns
// Slack's "no reliable pattern" allows), so once an envelope lands on the
// other replica, the next one lands on r. The probe is `/kick help`, which
// is answered in its ack and changes nothing. Callers check where their
// envelope really landed.
func (c *cluster) steerTo(r *replica) {
	c.t.Helper()
	for range 4 {
		if c.handler(c.ack(c.slash(moderator, "help"))) != r {
			return
		}
	}
	c.t.Fatalf("four envelopes in a row went to replica %s: the fake Slack no longer takes turns between sockets", r.name)
}

// slashOn runs /kick text as user on replica r, waits for the ack and
// returns the envelope ID.
func (c *cluster) slashOn(r *replica, user, text string) string {
	c.t.Helper()
	c.steerTo(r)
	id := c.slash(user, text)
	if got := c.handler(c.ack(id)); got != r {
		c.t.Fatalf("/kick %s went to replica %s, want %s (steered there)", text, got.name, r.name)
	}
	return id
}

// clickOn presses a button as a on replica r, waits for the ack and returns
// the envelope ID.
func (c *cluster) clickOn(r *replica, a slackfake.Action) string {
	c.t.Helper()
	c.steerTo(r)
	id := c.f.slack.BlockAction(a)
	if got := c.handler(c.ack(id)); got != r {
		c.t.Fatalf("the click went to replica %s, want %s (steered there)", got.name, r.name)
	}
	return id
}

// waitMessage waits for the first message matching pred.
func (c *cluster) waitMessage(what string, pred func(slackfake.Message) bool) slackfake.Message {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), replicaWait)
	defer cancel()
	m, err := c.f.slack.WaitMessage(ctx, pred)
	if err != nil {
		c.t.Fatalf("no %s: %v\n--- messages so far:\n%s%s", what, err, c.messageDump(), c.logTails())
	}
	return m
}

// messageDump lists every message posted so far, one line each, for a
// failure message.
func (c *cluster) messageDump() string {
	var b strings.Builder
	for _, m := range c.f.slack.Messages() {
		txt := strings.ReplaceAll(strings.Join(m.Texts(), " | "), "\n", " ")
		if len(txt) > 160 {
			txt = txt[:160] + "…"
		}
		fmt.Fprintf(&b, "%s %s ts=%s thread=%s: %s\n", m.Method, m.Channel, m.TS, m.ThreadTS, txt)
	}
	return b.String()
}

// stop sends SIGTERM to r and waits for it to exit 0 after its drain.
func (c *cluster) stop(r *replica) {
	c.t.Helper()
	if r.running() {
		r.p.signal(syscall.SIGTERM)
	}
	st := r.p.exited(replicaWait)
	if st.ExitCode() != exitOK {
		c.t.Errorf("replica %s after SIGTERM: %v, want exit 0\nstderr:\n%s", r.name, st, r.logs())
	}
	logs := r.logs()
	if !strings.Contains(logs, `"message":"stopped"`) {
		c.t.Errorf("replica %s did not log that it stopped after its drain:\n%s", r.name, logs)
	}
	assertNoSecrets(c.t, "replica "+r.name+"'s log", logs)
	if u, err := url.Parse(c.env["REDIS_URL"]); err == nil {
		if pw, ok := u.User.Password(); ok && pw != "" && strings.Contains(logs, pw) {
			c.t.Errorf("replica %s's log contains the Redis password", r.name)
		}
	}
}

// stopAll stops every replica still running: after it, nothing more is
// posted, so counts of messages and calls are final.
func (c *cluster) stopAll() {
	c.t.Helper()
	for _, r := range c.reps {
		c.stop(r)
	}
	if p := c.f.slack.Problems(); len(p) > 0 {
		c.t.Errorf("the fake Slack saw problems: %q", p)
	}
}

// noneSay fails the test if any message or ack answer contains phrase.
func (c *cluster) noneSay(phrase string) {
	c.t.Helper()
	for _, m := range c.f.slack.Messages() {
		if txt := strings.Join(m.Texts(), "\n"); strings.Contains(txt, phrase) {
			c.t.Errorf("%s in %s (thread %q) says %q:\n%s", m.Method, m.Channel, m.ThreadTS, phrase, txt)
		}
	}
	for _, a := range c.f.slack.Acks() {
		if strings.Contains(string(a.Payload), phrase) {
			c.t.Errorf("the ack of %s says %q: %s", a.EnvelopeID, phrase, a.Payload)
		}
	}
}

// threadReplies are the replies in the moderation channel whose text
// contains tag, each message once.
func threadReplies(ms []slackfake.Message, tag string) []slackfake.Message {
	var out []slackfake.Message
	for _, m := range ms {
		if m.Method != "chat.postMessage" || m.Channel != modChannel || m.ThreadTS == "" {
			continue
		}
		if strings.Contains(strings.Join(m.Texts(), "\n"), tag) &&
			!slices.ContainsFunc(out, func(o slackfake.Message) bool { return o.TS == m.TS }) {
			out = append(out, m)
		}
	}
	return out
}

// addCrowd adds a running meeting of n participants besides its host and
// co-host, scheduled by the simulator app's user, and returns their IDs.
func addCrowd(sim *meetingtest.Server, conf string, n int) []meetingtest.P {
	sim.AddConference(conf).Subject("Replicas " + conf).Scheduler(meetingtest.SampleUserID).Running().
		Host(meetingtest.P{Name: "Crowd Host", Phone: "+8613700000001"}).
		CoHost(meetingtest.P{Name: "Crowd Co-host", Phone: "+8613700000002"}).
		Participants(n)
	var ps []meetingtest.P
	for _, p := range sim.Online(conf) {
		if strings.HasPrefix(p.Name, "Participant ") {
			ps = append(ps, p)
		}
	}
	return ps
}

// moderators are the users allowed to kick in the burst tests: kickbot's
// default limit is 30 commands per user a minute.
var moderators = []string{moderator, "UMODB", "UMODC", "UMODD"}

// listClickedAcross posts the sample meeting's list through replica A and
// presses Wang Wei's Disconnect button on replica B, as the moderator. It
// returns the list and the click, once the click's outcome is in the list's
// thread and the list shows who was disconnected; it fails the test if the
// click is refused as "no longer active".
func listClickedAcross(c *cluster) (slackfake.Message, slackfake.Action) {
	c.t.Helper()
	a, b := c.reps[0], c.reps[1]
	listID := c.slashOn(a, moderator, meetingtest.SampleConferenceID)
	list := c.waitMessage("the participant list", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.Channel == modChannel && m.ThreadTS == "" &&
			strings.Contains(strings.Join(m.Texts(), "\n"), "Wang Wei")
	})
	blockID, value := disconnectButton(c.t, list, meetingtest.SamplePhonePID)
	click := slackfake.Action{UserID: moderator, ChannelID: modChannel, ChannelName: "moderation",
		MessageTS: list.TS, ActionID: slackui.ActionDisconnect, BlockID: blockID, Value: value, Style: "danger", Text: "Disconnect"}
	clickID := c.clickOn(b, click)

	stale := func(m slackfake.Message) bool {
		return strings.Contains(strings.Join(m.Texts(), "\n"), "no longer active")
	}
	got := c.waitMessage("the click's outcome in the list's thread (or a refusal)", func(m slackfake.Message) bool {
		return stale(m) || (m.Method == "chat.postMessage" && m.Channel == modChannel && m.ThreadTS == list.TS)
	})
	if stale(got) {
		c.t.Fatalf("list %s posted by replica %s (envelope %s), clicked on replica %s (envelope %s): the click was refused:\n%s",
			list.TS, a.name, listID, b.name, clickID, strings.Join(got.Texts(), "\n"))
	}
	if txt := strings.Join(got.Texts(), "\n"); !strings.Contains(txt, "Wang Wei") {
		c.t.Errorf("the click's outcome does not name Wang Wei:\n%s", txt)
	}
	c.waitMessage("the list updated to show who was disconnected", func(m slackfake.Message) bool {
		return m.Method == "chat.update" && m.TS == list.TS &&
			strings.Contains(strings.Join(m.Texts(), "\n"), "Disconnected from this list")
	})
	return list, click
}

// A list posted by one replica and clicked on the other works: the click
// disconnects the participant, the outcome goes in the list's thread and the
// list shows who was disconnected; nobody is told "no longer active".
func TestReplicasListPostedOnOneClickedOnTheOther(t *testing.T) {
	c := newCluster(t, 2, nil)
	listClickedAcross(c)
	c.stopAll()
	if ids := c.f.sim.HangUpIDs(meetingtest.SampleConferenceID); !slices.Equal(ids, []string{meetingtest.SamplePhonePID}) {
		t.Errorf("the meeting received hang-ups %v, want Wang Wei once", ids)
	}
	c.noneSay("no longer active")
}

// After a list's click on one replica has disconnected someone, another
// moderator's click on the same button, on the replica that posted the
// list, makes no second disconnect call and is told who did it (design:
// "each request gets its own outcome saying who disconnected the person —
// across replicas too").
func TestReplicasLateSecondClickIsToldWhoDisconnected(t *testing.T) {
	c := newCluster(t, 2, map[string]string{"KICK_USERS": strings.Join(moderators, ",")})
	_, click := listClickedAcross(c)

	click.UserID = moderators[1]
	id := c.clickOn(c.reps[0], click)
	answer := c.waitMessage("an answer to the second click", func(m slackfake.Message) bool {
		return (m.Method == "response_url" && m.EnvelopeID == id) ||
			(m.Method == "chat.postMessage" && m.ThreadTS != "" && strings.Contains(strings.Join(m.Texts(), "\n"), "<@"+moderators[1]+">"))
	})
	if txt := strings.Join(answer.Texts(), "\n"); !strings.Contains(txt, "Wang Wei") || !strings.Contains(txt, "already disconnected by <@"+moderator+">") {
		t.Errorf("the second click (by %s, on replica %s) was answered %q; want it told Wang Wei was already disconnected by <@%s>",
			moderators[1], c.reps[0].name, txt, moderator)
	}
	c.stopAll()
	if ids := c.f.sim.HangUpIDs(meetingtest.SampleConferenceID); !slices.Equal(ids, []string{meetingtest.SamplePhonePID}) {
		t.Errorf("the meeting received hang-ups %v, want Wang Wei once", ids)
	}
}

// A command redelivered to the other replica runs once: under a new
// envelope ID with the same trigger (Slack's retry after a slow ack), and
// under the same envelope ID.
func TestReplicasRedeliveredCommandRunsOnce(t *testing.T) {
	c := newCluster(t, 2, nil)
	conf := meetingtest.SampleConferenceID
	a := c.reps[0]

	// Under a new envelope ID.
	first := c.slashOn(a, moderator, conf+" "+meetingtest.SampleCarlosPID+" -- e2e-redeliver-new")
	again, ok := c.f.slack.RedeliverAsNew(first, "timeout")
	if !ok {
		t.Fatal("RedeliverAsNew refused the command's envelope")
	}
	if r := c.handler(c.ack(again)); r == a {
		t.Fatalf("the redelivery under a new envelope ID went to replica %s too; want the other replica", r.name)
	}

	// Under the same envelope ID.
	second := c.slashOn(a, moderator, conf+" "+meetingtest.SamplePhonePID+" -- e2e-redeliver-same")
	if !c.f.slack.Redeliver(second) {
		t.Fatal("Redeliver refused the command's envelope")
	}
	c.waitFor("the redelivery under the same envelope ID to be acked", func() bool { return c.f.slack.AckCount(second) == 2 })
	var sockets []int
	for _, ack := range c.f.slack.Acks() {
		if ack.EnvelopeID == second {
			sockets = append(sockets, ack.Socket)
		}
	}
	if len(sockets) != 2 || sockets[0] == sockets[1] {
		t.Fatalf("the same envelope was acked on sockets %v; want once by each replica", sockets)
	}

	for _, tag := range []string{"e2e-redeliver-new", "e2e-redeliver-same"} {
		c.waitMessage("the outcome of "+tag, func(m slackfake.Message) bool {
			return m.Method == "chat.postMessage" && m.Channel == modChannel && m.ThreadTS != "" &&
				strings.Contains(strings.Join(m.Texts(), "\n"), tag)
		})
	}
	c.stopAll()

	// Each once; in either order, since the two commands run on two
	// workers at once.
	ids := c.f.sim.HangUpIDs(conf)
	want := []string{meetingtest.SampleCarlosPID, meetingtest.SamplePhonePID}
	slices.Sort(ids)
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("the meeting received hang-ups %v, want Carlos and Wang Wei once each", ids)
	}
	ms := c.f.slack.Messages()
	for _, tag := range []string{"e2e-redeliver-new", "e2e-redeliver-same"} {
		if rs := threadReplies(ms, tag); len(rs) != 1 {
			t.Errorf("%s: %d outcomes in threads, want 1", tag, len(rs))
		}
		parents := 0
		for _, m := range ms {
			if m.Method == "chat.postMessage" && m.Channel == modChannel && m.ThreadTS == "" &&
				strings.Contains(strings.Join(m.Texts(), "\n"), tag) {
				parents++
			}
		}
		if parents > 1 {
			t.Errorf("%s: %d parent messages, want 1", tag, parents)
		}
	}
}

// burstCommand is one /kick of a burst: tag (in the reason) finds its
// outcome.
type burstCommand struct {
	user, tag, envelope string
	target              meetingtest.P
}

func burst(conf, prefix string, people []meetingtest.P) []burstCommand {
	cmds := make([]burstCommand, len(people))
	for i, p := range people {
		cmds[i] = burstCommand{user: moderators[i%len(moderators)], tag: fmt.Sprintf("%s-%03d", prefix, i), target: p}
	}
	return cmds
}

func (c *cluster) send(conf string, cmds []burstCommand) {
	for i := range cmds {
		cmds[i].envelope = c.slash(cmds[i].user, conf+" "+cmds[i].target.ID+" -- "+cmds[i].tag)
	}
}

// tally is what a command got: thread replies carrying its tag (the text
// of the first) and private "not run" answers to its envelope.
type tally struct {
	replies, notRun int
	text            string
}

func (t *tally) total() int { return t.replies + t.notRun }

// disconnected: its one reply says its participant was disconnected.
func (t *tally) disconnected() bool {
	return t.replies == 1 && t.notRun == 0 && strings.Contains(t.text, "Disconnected 1 participant")
}

// outcomes tallies each command's visible outcomes so far.
func outcomes(ms []slackfake.Message, cmds []burstCommand) map[string]*tally {
	out := make(map[string]*tally, len(cmds))
	byEnvelope := map[string]string{}
	for _, cmd := range cmds {
		out[cmd.tag] = &tally{}
		byEnvelope[cmd.envelope] = cmd.tag
	}
	for _, m := range ms {
		txt := strings.Join(m.Texts(), "\n")
		switch {
		case m.Method == "chat.postMessage" && m.Channel == modChannel && m.ThreadTS != "":
			for _, cmd := range cmds {
				if t := out[cmd.tag]; strings.Contains(txt, cmd.tag) {
					if t.replies++; t.replies == 1 {
						t.text = txt
					}
				}
			}
		case m.Method == "response_url" && byEnvelope[m.EnvelopeID] != "" && strings.Contains(txt, "Not run: kickbot is restarting"):
			out[byEnvelope[m.EnvelopeID]].notRun++
		}
	}
	return out
}

// reported is how many of cmds have at least one outcome.
func reported(ts map[string]*tally) int {
	n := 0
	for _, t := range ts {
		if t.total() > 0 {
			n++
		}
	}
	return n
}

// 40 kicks spread over both replicas lose nothing and double nothing: each
// is accepted and acked once, each target is disconnected exactly once, and
// each command has exactly one outcome. Slack is lenient and kickbot's
// pacing off, as in kickload: 80 messages at Slack's pace would take
// minutes, and pacing is not what this test is about.
func TestReplicasFortyKicksSpreadOverBoth(t *testing.T) {
	c := newCluster(t, 2, map[string]string{"KICK_USERS": strings.Join(moderators, ","), "KICK_SLACK_PACING": "off"},
		slackfake.Lenient())
	const conf = "914200040"
	cmds := burst(conf, "e2e-forty", addCrowd(c.f.sim, conf, 40))
	c.send(conf, cmds)

	perReplica := map[string]int{}
	for _, cmd := range cmds {
		a := c.ack(cmd.envelope)
		perReplica[c.handler(a).name]++
		if a.Payload != nil {
			t.Errorf("%s was refused in its ack: %s", cmd.tag, a.Payload)
		}
	}
	if len(perReplica) != 2 {
		t.Fatalf("the 40 commands went to %v; the fake Slack should have spread them over both replicas", perReplica)
	}
	c.waitFor("an outcome for each of the 40 kicks", func() bool {
		return reported(outcomes(c.f.slack.Messages(), cmds)) == len(cmds)
	})
	c.stopAll()
	t.Logf("commands per replica: %v", perReplica)

	got := outcomes(c.f.slack.Messages(), cmds)
	for _, cmd := range cmds {
		if n := c.f.slack.AckCount(cmd.envelope); n != 1 {
			t.Errorf("%s: acked %d times, want once", cmd.tag, n)
		}
		if o := got[cmd.tag]; !o.disconnected() {
			t.Errorf("%s: %d outcomes in threads and %d 'not run', want one saying the participant was disconnected; first:\n%s",
				cmd.tag, o.replies, o.notRun, o.text)
		}
	}
	for _, m := range c.f.slack.Messages() {
		if m.Method == "response_url" {
			t.Errorf("a private answer during the burst: %q", m.Text)
		}
	}
	hangUps := map[string]int{}
	for _, id := range c.f.sim.HangUpIDs(conf) {
		hangUps[id]++
	}
	for _, cmd := range cmds {
		if hangUps[cmd.target.ID] != 1 {
			t.Errorf("%s: %s was sent to the meeting %d times, want once", cmd.tag, cmd.target.Name, hangUps[cmd.target.ID])
		}
		delete(hangUps, cmd.target.ID)
	}
	if len(hangUps) > 0 {
		t.Errorf("the meeting was asked to disconnect people nobody named: %v", hangUps)
	}
	if left := c.f.sim.Online(conf); len(left) != 2 {
		t.Errorf("%d people still in the meeting, want the host and the co-host: %v", len(left), left)
	}
}

// SIGTERM to one replica in the middle of a burst: it drains its own work
// (its disconnect calls are held at the meeting when the signal comes), the
// other keeps taking and serving commands, including those the fake Slack
// had handed to the stopping replica's socket, and every accepted command
// ends in exactly one visible outcome: done, or "not run: restarting".
func TestReplicasSIGTERMMidBurst(t *testing.T) {
	c := newCluster(t, 2, map[string]string{"KICK_USERS": strings.Join(moderators, ","), "KICK_SLACK_PACING": "off",
		"KICK_DRAIN_TIMEOUT": "30s"},
		slackfake.Lenient(), slackfake.WithRedeliverUnacked(true)) // Slack hands a dead socket's unacked envelopes on
	a, b := c.reps[0], c.reps[1]
	const conf = "914200041"
	people := addCrowd(c.f.sim, conf, 30)
	before, after := burst(conf, "e2e-sigterm-a", people[:20]), burst(conf, "e2e-sigterm-b", people[20:])

	release := c.f.sim.Hold(meetingtest.EndpointHangUp)
	defer release()
	c.send(conf, before)
	onA := map[string]bool{}
	for _, cmd := range before {
		ack := c.ack(cmd.envelope)
		if ack.Payload != nil {
			t.Fatalf("%s was refused in its ack: %s", cmd.tag, ack.Payload)
		}
		onA[cmd.tag] = c.handler(ack) == a
	}
	c.waitFor("a disconnect call held at the meeting", func() bool { return c.f.sim.Held(meetingtest.EndpointHangUp) > 0 })

	a.p.signal(syscall.SIGTERM)
	c.waitFor("replica A to start draining", func() bool { return strings.Contains(a.logs(), "draining accepted work") })
	// A has stopped taking work: whatever the fake Slack hands its closing
	// socket goes, unacked, to B.
	c.send(conf, after)
	for _, cmd := range after {
		ack := c.ack(cmd.envelope)
		if r := c.handler(ack); r != b {
			t.Errorf("%s was acked by replica %s after it started draining", cmd.tag, r.name)
		}
		if ack.Payload != nil {
			t.Errorf("%s was refused in its ack: %s", cmd.tag, ack.Payload)
		}
	}
	if !a.running() {
		t.Fatalf("replica A exited while its disconnect calls were held: it did not drain\nstderr:\n%s", a.logs())
	}
	release()

	st := a.p.exited(replicaWait)
	if st.ExitCode() != exitOK {
		t.Errorf("replica A after SIGTERM: %v, want exit 0\nstderr:\n%s", st, a.logs())
	}
	// A is gone: what it had accepted must be reported already.
	atExit := outcomes(c.f.slack.Messages(), before)
	for _, cmd := range before {
		if onA[cmd.tag] && atExit[cmd.tag].total() == 0 {
			t.Errorf("%s, accepted by replica A, had no outcome when A exited", cmd.tag)
		}
	}
	all := append(slices.Clone(before), after...)
	c.waitFor("an outcome for every command", func() bool {
		return reported(outcomes(c.f.slack.Messages(), all)) == len(all)
	})
	c.stopAll()

	got := outcomes(c.f.slack.Messages(), all)
	hangUps := map[string]int{}
	for _, id := range c.f.sim.HangUpIDs(conf) {
		hangUps[id]++
	}
	online := map[string]bool{}
	for _, p := range c.f.sim.Online(conf) {
		online[p.ID] = true
	}
	var nDone, nNotRun int
	for _, cmd := range all {
		o := got[cmd.tag]
		switch {
		case o.total() != 1:
			t.Errorf("%s: %d outcomes in threads and %d 'not run', want exactly one outcome", cmd.tag, o.replies, o.notRun)
		case o.replies == 1:
			nDone++
			if !o.disconnected() {
				t.Errorf("%s: its outcome does not say the participant was disconnected:\n%s", cmd.tag, o.text)
			}
			if hangUps[cmd.target.ID] != 1 || online[cmd.target.ID] {
				t.Errorf("%s reported done: %s sent to the meeting %d times (want 1), still online %v",
					cmd.tag, cmd.target.Name, hangUps[cmd.target.ID], online[cmd.target.ID])
			}
		default:
			nNotRun++
			if hangUps[cmd.target.ID] != 0 || !online[cmd.target.ID] {
				t.Errorf("%s reported 'not run', yet %s was sent to the meeting %d times (online %v)",
					cmd.tag, cmd.target.Name, hangUps[cmd.target.ID], online[cmd.target.ID])
			}
		}
	}
	t.Logf("%d commands: %d done, %d not run; %d of the first 20 were accepted by A", len(all), nDone, nNotRun, countTrue(onA))
	if !strings.Contains(a.logs(), `"why":"shutdown requested"`) {
		t.Errorf("replica A's log does not show a drain on request:\n%s", a.logs())
	}
}

func countTrue(m map[string]bool) int {
	n := 0
	for _, v := range m {
		if v {
			n++
		}
	}
	return n
}

// currentText is the message at (channel, ts) as a user sees it now.
func currentText(f *slackfake.Server, channel, ts string) string {
	m, _ := f.Current(channel, ts)
	return strings.Join(m.Texts(), "\n")
}

// lockCall is one lock or unlock call the meeting received.
type lockCall struct {
	lock bool
	at   time.Time
}

func lockCalls(sim *meetingtest.Server) []lockCall {
	var out []lockCall
	for _, call := range sim.Calls() {
		if call.Endpoint != meetingtest.EndpointLock || call.Status != 200 {
			continue
		}
		var body struct {
			IsLock int `json:"isLock"`
		}
		if json.Unmarshal(call.Body, &body) == nil {
			out = append(out, lockCall{lock: body.IsLock == 1, at: call.At})
		}
	}
	return out
}

// An auto-unlock timer set through one replica fires once, through the
// other, after the first is gone; the unlock is reported where a single
// replica reports it (in the lock's thread, and its parent updated), and
// nobody is told the meeting stays locked.
func TestReplicasAutoUnlockFiresOnceAfterLockerIsGone(t *testing.T) {
	c := newCluster(t, 2, nil)
	conf := meetingtest.SampleConferenceID
	a := c.reps[0]

	c.slashOn(a, moderator, conf+" lock 10s") // the shortest timed lock
	parent := c.waitMessage("the lock's parent message", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.Channel == modChannel && m.ThreadTS == ""
	})
	c.waitMessage("the lock's outcome", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.ThreadTS == parent.TS
	})
	calls := lockCalls(c.f.sim)
	if len(calls) != 1 || !calls[0].lock || !c.f.sim.Locked(conf) {
		t.Fatalf("after /kick %s lock 10s: lock calls %+v, locked %v; want one lock call", conf, calls, c.f.sim.Locked(conf))
	}
	lockedAt := calls[0].at

	c.stop(a)
	goneAt := time.Now()
	if !goneAt.Before(lockedAt.Add(10 * time.Second)) {
		t.Fatalf("replica A took until %v after the lock to stop; the test needs it gone before the 10 s are up", goneAt.Sub(lockedAt))
	}
	c.waitFor("the meeting to be unlocked by the other replica", func() bool {
		cs := lockCalls(c.f.sim)
		return len(cs) > 1
	})
	// B audits the auto-unlock once it has queued its report; stopping B
	// then posts the report before B exits.
	c.waitFor("replica B's audit line for the auto-unlock", func() bool {
		return strings.Contains(c.reps[1].logs(), "auto-unlock")
	})
	c.stopAll()

	calls = lockCalls(c.f.sim)
	if len(calls) != 2 || calls[1].lock {
		t.Fatalf("lock calls %+v; want the lock, then one unlock", calls)
	}
	if due := lockedAt.Add(10 * time.Second); calls[1].at.Before(due) {
		t.Errorf("unlocked %v after the lock, before its 10 s were up", calls[1].at.Sub(lockedAt))
	}
	if c.f.sim.Locked(conf) {
		t.Errorf("the meeting is still locked")
	}
	var inThread, parentUpdated bool
	for _, m := range c.f.slack.Messages() {
		txt := strings.Join(m.Texts(), "\n")
		inThread = inThread || (m.Method == "chat.postMessage" && m.ThreadTS == parent.TS && strings.Contains(txt, "unlocked automatically"))
		parentUpdated = parentUpdated || (m.Method == "chat.update" && m.TS == parent.TS && strings.Contains(txt, "unlocked itself"))
	}
	if !inThread {
		t.Errorf("the auto-unlock was not reported in the lock's thread (%s), as one replica reports it; messages:\n%s", parent.TS, c.messageDump())
	}
	if !parentUpdated {
		t.Errorf("the lock's parent (%s) was not updated to say the meeting unlocked itself; it still says: %q",
			parent.TS, currentText(c.f.slack, modChannel, parent.TS))
	}
	c.noneSay("stay locked until someone unlocks them")
}
