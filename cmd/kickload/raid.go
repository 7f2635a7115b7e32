package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/kickbot/kickbot/bot/slackfake"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// The raid scenario is the worst five minutes kickbot exists for: fifteen
// /kicks from three moderators within three seconds, against a fake Slack
// that enforces Slack's documented limits (about one chat.postMessage a
// second per channel with a short burst, chat.update at Tier 3), with
// kickbot's own default pacing. It runs its own kickbot process and fake.
const (
	raidConf     = "914200009"
	raidKicks    = 15
	raidMods     = 3
	raidSpread   = 3 * time.Second
	raidDeadline = 90 * time.Second // for every outcome to be visible
)

type raidResult struct {
	disconnect []time.Duration // command sent → its hang-up call reached the meeting
	visible    []time.Duration // command sent → its outcome visible in the channel
	limited    int             // 429s (or rate_limited) Slack gave
	during     int             // calls that reached Slack while a Retry-After was running
	lost       int             // no visible outcome, or never disconnected
	doubled    int             // disconnected twice, or shown twice
	messages   int             // channel messages posted (outcomes coalesce)
	exitErr    error
	problems   []string
}

func (r *raidResult) broken() bool {
	return r.lost > 0 || r.doubled > 0 || r.during > 0 || r.exitErr != nil || len(r.problems) > 0
}

func (l *load) raid(ctx context.Context, bin string) (*raidResult, error) {
	r := &raidResult{}
	l.sim.AddConference(raidConf).Subject("Raid").Scheduler(l.facts.UserID).Running().
		Host(meetingtest.P{Name: "Raid Host", Phone: "+8613700000009"}).Participants(raidKicks + 5)
	var people []meetingtest.P
	for _, p := range l.sim.Online(raidConf) {
		if strings.HasPrefix(p.Name, "Participant ") {
			people = append(people, p)
		}
	}
	mods := make([]string, raidMods)
	for i := range mods {
		mods[i] = fmt.Sprintf("URAID%d", i+1)
	}

	fake := slackfake.New() // strict: Slack's limits on
	defer fake.Close()
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	kb := &proc{name: "kickbot (raid)", bot: true, fake: fake, httpAddr: addr, logPath: filepath.Join(l.tmp, "kickbot-raid.log")}
	env := l.kickbotEnv(fake, addr, mods) // default pacing: Slack's limits
	if err := l.start(ctx, kb, exec.Command(bin), env); err != nil {
		return nil, err
	}
	defer l.stop(kb)

	hangBase := len(l.sim.Calls())
	sent := map[string]time.Time{} // pid → when its command was sent
	start := time.Now()
	for i := range raidKicks {
		at := start.Add(time.Duration(i) * raidSpread / raidKicks)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		p := people[i]
		sent[p.ID] = time.Now()
		fake.SlashCommand(slackfake.Slash{Text: raidConf + " " + p.ID + " -- raid", UserID: mods[i%raidMods],
			ChannelID: loadChannel, ChannelName: "load"})
	}

	wctx, cancel := context.WithTimeout(ctx, raidDeadline)
	defer cancel()
	seen := kicksShown(fake, 0)
	if !pollUntil(wctx, 5*time.Millisecond, func() bool { return seen.count() >= raidKicks }) {
		r.problems = append(r.problems, fmt.Sprintf("only %d of %d kicks fully reported within %s", seen.count(), raidKicks, raidDeadline))
	}
	l.stop(kb)
	r.exitErr = kb.exitErr

	// Command → disconnect: when the hang-up naming them reached the meeting.
	hung := map[string]int{}
	for _, c := range l.sim.Calls()[hangBase:] {
		if c.Endpoint != meetingtest.EndpointHangUp || c.ConferenceID != raidConf {
			continue
		}
		for _, id := range c.HangUpIDs {
			if t0, ok := sent[id]; ok {
				if hung[id] == 0 {
					r.disconnect = append(r.disconnect, c.At.Sub(t0))
				}
				if c.Status == 200 {
					hung[id]++
				}
			}
		}
	}
	// Command → outcome visible: the thread reply that names them.
	shown := map[string]int{}
	for _, m := range fake.Messages() {
		if m.Method != "chat.postMessage" || m.Channel != loadChannel {
			continue
		}
		r.messages++
		if m.ThreadTS == "" {
			continue
		}
		text := strings.Join(m.Texts(), "\n")
		for _, p := range people[:raidKicks] {
			if strings.Contains(text, p.Name+"*") || strings.Contains(text, p.Name+" ") {
				if shown[p.ID] == 0 {
					r.visible = append(r.visible, m.At.Sub(sent[p.ID]))
				}
				shown[p.ID]++
			}
		}
	}
	for _, p := range people[:raidKicks] {
		switch {
		case hung[p.ID] == 0 || shown[p.ID] == 0:
			r.lost++
		case hung[p.ID] > 1 || shown[p.ID] > 1:
			r.doubled++
		}
	}
	st := fake.LimitStats()
	r.limited, r.during = st.RateLimited, st.DuringRetryAfter
	if p := fake.Problems(); len(p) > 0 {
		r.problems = append(r.problems, fmt.Sprintf("fake Slack saw problems: %q", p))
	}
	return r, nil
}

func (l *load) reportRaid(r *raidResult) {
	w := l.out
	fmt.Fprintf(w, "\nraid: %d /kicks from %d moderators within %s, Slack's posting limits on (strict fake), default pacing\n",
		raidKicks, raidMods, raidSpread)
	fmt.Fprintf(w, "  command → disconnect call   p50 %s   max %s   (target: max ≤ 1 s)\n", ms(percentile(r.disconnect, 0.5)), ms(maxOf(r.disconnect)))
	fmt.Fprintf(w, "  command → outcome visible   p50 %s   max %s\n", ms(percentile(r.visible, 0.5)), ms(maxOf(r.visible)))
	fmt.Fprintf(w, "  floor: Slack takes ~1 message a second per channel after a burst of 3, so %d separate outcomes (reply + parent each) would need ~%ds\n",
		raidKicks, 2*raidKicks-3)
	fmt.Fprintf(w, "  channel messages %d   429s received %d   calls during a running Retry-After %d (target 0)\n", r.messages, r.limited, r.during)
	fmt.Fprintf(w, "  lost %d   doubled %d   (targets 0)\n", r.lost, r.doubled)
	verdict := "met"
	if len(r.disconnect) == 0 || maxOf(r.disconnect) > time.Second {
		verdict = "MISSED"
	}
	fmt.Fprintf(w, "  disconnect max ≤ 1 s: %s\n", verdict)
	if r.exitErr != nil {
		fmt.Fprintf(w, "  kickbot did not exit 0 on SIGTERM: %v\n", r.exitErr)
	}
	for _, p := range r.problems {
		fmt.Fprintln(w, "  problem:", p)
	}
}
