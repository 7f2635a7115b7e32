package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/kickbot/kickbot/audit"
	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/textui"
)

// syncWriter serialises writes: an auto-unlock timer reports from its own
// goroutine while the session prints answers and prompts.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// startLocks gives the session the lock use case; the returned func stops
// its timers at the end and says which meetings stay locked.
func (s *terminalSession) startLocks(m commands.Locker) (stop func()) {
	s.locks = commands.NewLocks(m, nil, func(o commands.LockOutcome, _ any) {
		fmt.Fprintln(s.out, "\n"+textui.LockOutcome(o))
		e := audit.Entry{Action: "unlock", Conference: o.Request.Conference, Reason: "auto-unlock: the lock's time was up",
			Outcome: o.Status.String(), Duration: o.Finished.Sub(o.Started)}
		if o.Err != nil {
			e.ErrorKind = meeting.KindOf(o.Err).String()
		}
		s.record(e)
	})
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if ps := s.locks.Stop(ctx); len(ps) > 0 {
			fmt.Fprintln(s.out, textui.PendingLocks(ps))
		}
	}
}

// lockWord is "lock [d]" or "unlock" at the prompt: on the meeting of the
// last list or kick (the Lock meeting and Unlock buttons).
func (s *terminalSession) lockWord(ctx context.Context, word string, args []string) {
	if s.lastConf == "" {
		fmt.Fprintln(s.out, "No meeting yet: run /kick <meeting ID> first, or type /kick <meeting ID> "+word+". Nothing was done.")
		return
	}
	s.slash(ctx, s.lastConf+" "+word+" "+strings.Join(args, " "))
}

// lock runs an authorised /kick <id> lock [d] or unlock.
func (s *terminalSession) lock(ctx context.Context, req commands.Request) {
	r := commands.LockRequest{Actor: s.actor, Conference: req.Conference, Lock: req.Kind == commands.KindLock, Duration: req.Duration}
	o := s.locks.Do(ctx, r, nil)
	fmt.Fprintln(s.out, textui.LockOutcome(o))
	e := audit.Entry{Action: r.Action(), Conference: r.Conference, Outcome: o.Status.String(), Duration: o.Finished.Sub(o.Started)}
	if !o.Until.IsZero() {
		e.Reason = "for " + commands.FormatDuration(r.Duration) + ", until " + o.Until.UTC().Format(time.RFC3339)
	}
	if o.RequestID != "" {
		e.RequestIDs = []string{o.RequestID}
	}
	if o.Err != nil {
		e.ErrorKind = meeting.KindOf(o.Err).String()
	}
	s.record(e)
}
