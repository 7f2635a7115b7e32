package textui

import (
	"strings"
	"time"

	"github.com/kickbot/kickbot/commands"
)

// localTime shows a time on the terminal's clock.
func localTime(t time.Time) string { return t.Local().Format("15:04:05") }

// LockOutcome is a lock's or unlock's outcome (also the timer's), in the
// core's words.
func LockOutcome(o commands.LockOutcome) string {
	s := commands.LockSummary(o, commands.Plain{}, localTime)
	if o.RequestID != "" {
		s += "\n  " + commands.RequestIDLabel([]string{o.RequestID}) + commands.OneLine(o.RequestID)
	}
	return s
}

// PendingLocks names the meetings that stay locked because the session
// ended before their timers ran.
func PendingLocks(ps []commands.PendingLock) string {
	return strings.Join(commands.PendingLocksNotice(ps, commands.Plain{}, localTime), "\n")
}
