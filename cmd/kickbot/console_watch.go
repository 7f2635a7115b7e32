package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/kickbot/kickbot/audit"
	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/meeting/meetingtest"
	"github.com/kickbot/kickbot/textui"
)

// consoleLiveWait is how long `watch` waits for the meeting's event socket
// before it answers, as the bot's "watching" message does.
const consoleLiveWait = 3 * time.Second

// consoleJoinerDelay paces the simulator's scripted joiner: it enters the
// sample meeting this long after the first watch of it is live, and leaves
// twice as long after that. A variable so tests need not wait seconds.
var consoleJoinerDelay = 2 * time.Second

// scriptedJoiner is who enters the sample meeting while it is watched in
// the simulator: not on the invite list, like a raider.
var scriptedJoiner = meetingtest.P{ID: "5c41e7ed0e1a4a1b8c0de5a7f00d0001", Name: "Late Joiner", Phone: "+8613900000777"}

// consoleWatches are the session's watched meetings. Each has a goroutine
// that prints its joins and leaves; all of them, and the scripted joiner,
// run under ctx, which close cancels before it waits for them.
type consoleWatches struct {
	client *meeting.Client
	out    io.Writer
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// The simulator (nil with --real) and its sample meeting, which gets a
	// scripted joiner the first time it is watched.
	sim      *meetingtest.Server
	sample   string
	scripted bool

	mu     sync.Mutex
	byConf map[string]*consoleWatch
}

// consoleWatch is one watched meeting; its pointer tells a watch apart from
// a later one of the same meeting.
type consoleWatch struct{ cancel context.CancelFunc }

func newConsoleWatches(client *meeting.Client, out io.Writer, sim *meetingtest.Server, sample string) *consoleWatches {
	ctx, cancel := context.WithCancel(context.Background())
	return &consoleWatches{client: client, out: out, ctx: ctx, cancel: cancel, sim: sim, sample: sample, byConf: map[string]*consoleWatch{}}
}

// close stops every watch and waits for their goroutines.
func (ws *consoleWatches) close() {
	ws.cancel()
	ws.wg.Wait()
}

// goOwned runs f on a goroutine the watches own: close waits for it, and a
// panic in it ends only it.
func (ws *consoleWatches) goOwned(f func()) {
	ws.wg.Add(1)
	go func() {
		defer ws.wg.Done()
		defer func() {
			if r := recover(); r != nil {
				fmt.Fprintf(ws.out, "\n⚠️ a watch stopped unexpectedly: %v\n", r)
			}
		}()
		f()
	}()
}

// watchWord is "watch" or "unwatch" at the prompt: on the meeting of the
// last list or kick.
func (s *terminalSession) watchWord(ctx context.Context, word string) {
	if s.lastConf == "" {
		fmt.Fprintln(s.out, "No meeting yet: run /kick <meeting ID> first, or type /kick <meeting ID> "+word+". Nothing was done.")
		return
	}
	s.slash(ctx, s.lastConf+" "+word)
}

// watch runs an authorised /kick <id> watch: from now on the meeting's joins
// and leaves are printed as they happen.
func (s *terminalSession) watch(ctx context.Context, conf string) {
	ws := s.watches
	start := time.Now()
	entry := audit.Entry{Action: "watch", Conference: conf}
	ws.mu.Lock()
	_, already := ws.byConf[conf]
	ws.mu.Unlock()
	if already {
		fmt.Fprintf(s.out, "Meeting %s is already watched: its joins and leaves are printed here. /kick %s unwatch stops.\n", conf, conf)
		return
	}
	wctx, cancel := context.WithCancel(ws.ctx)
	w, err := ws.client.Watch(wctx, conf)
	if err != nil {
		cancel()
		s.fail(entry, start, err)
		return
	}
	sub := w.Subscribe(256) // before waiting, so no change slips between
	live := commands.AwaitLive(ctx, w, sub, consoleLiveWait)
	r, _ := w.Snapshot()
	cw := &consoleWatch{cancel: cancel}
	ws.mu.Lock()
	ws.byConf[conf] = cw
	ws.mu.Unlock()

	line := "👀 Watching meeting " + commands.OneLine(conf)
	if subj := commands.OneLine(r.Subject); subj != "" {
		line += " (" + commands.Clip(subj, commands.MaxNameRunes) + ")"
	}
	fmt.Fprintf(s.out, "%s: %s online. Joins and leaves are printed as they happen; /kick %s unwatch stops.\n",
		line, commands.Plural(len(r.Participants), "participant", "participants"), conf)
	if !live {
		fmt.Fprintln(s.out, "⚠️ Live updates are not available right now (the meeting's event socket could not be opened); kickbot keeps trying.")
	}
	s.finish(entry, start, "watching", nil, nil)

	ws.goOwned(func() {
		defer w.Stop()
		defer sub.Close()
		defer ws.forget(conf, cw)
		ws.follow(wctx, sub)
	})
	if live && ws.sim != nil && conf == ws.sample && !ws.scripted {
		ws.scripted = true
		ws.goOwned(func() { ws.scriptJoiner(wctx) })
	}
}

// follow prints the watch's events until it stops or ctx ends. "Live"
// is news only after "stale".
func (ws *consoleWatches) follow(ctx context.Context, sub *meeting.Subscription) {
	stale := false
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-sub.C:
			if !ok {
				return
			}
			switch ev.Kind {
			case meeting.EventLive:
				if !stale {
					continue
				}
				stale = false
			case meeting.EventStale:
				if stale {
					continue
				}
				stale = true
			}
			if line := textui.WatchEvent(ev); line != "" {
				fmt.Fprintln(ws.out, "\n"+line)
			}
		}
	}
}

// forget drops cw once its goroutine ends (unwatch, meeting end), unless a
// newer watch of conf replaced it.
func (ws *consoleWatches) forget(conf string, cw *consoleWatch) {
	cw.cancel()
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.byConf[conf] == cw {
		delete(ws.byConf, conf)
	}
}

// scriptJoiner makes someone enter the watched sample meeting, then leave:
// what a live watch is for, seen without a second terminal.
func (ws *consoleWatches) scriptJoiner(ctx context.Context) {
	for _, step := range []struct {
		wait time.Duration
		do   func()
	}{
		{consoleJoinerDelay, func() { ws.sim.Join(ws.sample, scriptedJoiner) }},
		{2 * consoleJoinerDelay, func() { ws.sim.Leave(ws.sample, scriptedJoiner.ID) }},
	} {
		t := time.NewTimer(step.wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		step.do()
	}
}

// unwatch runs an authorised /kick <id> unwatch.
func (s *terminalSession) unwatch(conf string) {
	ws := s.watches
	ws.mu.Lock()
	cw, ok := ws.byConf[conf]
	delete(ws.byConf, conf)
	ws.mu.Unlock()
	if !ok {
		fmt.Fprintf(s.out, "Meeting %s is not being watched; nothing was done.\n", conf)
		s.record(audit.Entry{Action: "unwatch", Conference: conf, Outcome: "not_watched"})
		return
	}
	cw.cancel()
	fmt.Fprintf(s.out, "🛑 Stopped watching meeting %s.\n", conf)
	s.record(audit.Entry{Action: "unwatch", Conference: conf, Outcome: "unwatched"})
}
