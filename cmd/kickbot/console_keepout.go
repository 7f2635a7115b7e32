package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/kickbot/kickbot/audit"
	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/textui"
)

// hold moves targets to the waiting room; `admit <row>` undoes it.
func (s *terminalSession) hold(ctx context.Context, k commands.Kick) {
	start := time.Now()
	entry := audit.Entry{Action: "hold", Conference: k.Conference, Targets: targetStrings(k.Targets), Reason: k.Reason}
	_, res, o, err := s.svc.Hold(ctx, k)
	switch {
	case err != nil:
		s.fail(entry, start, err)
	case len(res.Ambiguous) > 0:
		fmt.Fprintln(s.out, textui.Ambiguous(k, res.Ambiguous))
		s.finish(entry, start, "ambiguous", nil, nil)
	default:
		s.lastHold = &o
		fmt.Fprintln(s.out, textui.HoldOutcome(o, "admit"))
		s.finish(entry, start, o.Status.String(), o.RequestIDs, o.Err)
	}
}

// admitRow lets the row-th person of the last hold back in.
func (s *terminalSession) admitRow(ctx context.Context, row string) {
	var waiting []meeting.Participant
	if s.lastHold != nil {
		waiting = s.lastHold.Waiting()
	}
	if len(waiting) == 0 {
		fmt.Fprintln(s.out, "Nobody to admit: run /kick <meeting ID> hold … first. Nothing was done.")
		return
	}
	n, err := strconv.Atoi(row)
	if err != nil || n < 1 || n > len(waiting) {
		fmt.Fprintf(s.out, "%s is not a row of the last hold (1–%d). Nothing was done.\n", strconv.Quote(clipRunes(row, 40)), len(waiting))
		return
	}
	start := time.Now()
	p := waiting[n-1]
	o := s.svc.Admit(ctx, s.actor, s.lastHold.Kick.Conference, p)
	fmt.Fprintln(s.out, textui.Admit(o))
	var ids []string
	if o.RequestID != "" {
		ids = []string{o.RequestID}
	}
	s.finish(audit.Entry{Action: "admit", Conference: o.Conference, Targets: []string{p.ID}}, start, o.Result.String(), ids, o.Err)
}

// uninvited shows who is online but not invited, numbered so that
// `kick <row>` disconnects them (the "cannot tell" people get no number).
func (s *terminalSession) uninvited(ctx context.Context, conference string) {
	start := time.Now()
	entry := audit.Entry{Action: "uninvited", Conference: conference}
	roster, v, err := s.svc.ListUninvited(ctx, conference)
	if err != nil {
		s.fail(entry, start, err)
		return
	}
	fmt.Fprintln(s.out, textui.Uninvited(v))
	if v.Known && len(v.Uninvited) > 0 {
		s.last, s.lastN, s.sweepable = roster, v.Uninvited, true
		fmt.Fprintf(s.out, "Type kick <row> [<row> …] to disconnect rows of this list, or sweep to disconnect all %d.\n", len(v.Uninvited))
	}
	outcome := "listed"
	if !v.Known {
		outcome = "invite_list_unknown"
	}
	s.finish(entry, start, outcome, nil, nil)
}

// sweep disconnects every row of the last uninvited list, in one call: the
// console's "Disconnect all N". The rows are the snapshot shown, never who
// joined since.
func (s *terminalSession) sweep(ctx context.Context) {
	if s.last == nil || !s.sweepable {
		fmt.Fprintln(s.out, "No uninvited list yet: run /kick <meeting ID> uninvited first. Nothing was done.")
		return
	}
	rows := s.lastN
	if len(rows) > s.maxSweep {
		fmt.Fprintf(s.out, "Only the first %d of %d are disconnected; sweep again for the rest.\n", s.maxSweep, len(rows))
		rows = rows[:s.maxSweep]
	}
	targets := make([]commands.Target, len(rows))
	for i, p := range rows {
		targets[i] = commands.Target{Kind: commands.TargetID, Value: p.ID}
	}
	s.sweepable = false // a second sweep of the same list does nothing new
	s.kickAs(ctx, "sweep", commands.Kick{Actor: s.actor, Conference: s.last.ConferenceID, Targets: targets, Reason: "not on the invite list (sweep)"})
}
