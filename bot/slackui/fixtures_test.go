package slackui

import (
	"testing"

	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/commands/commandstest"
	"github.com/kickbot/kickbot/meeting"
)

// Short names for the shared fixtures, as the tests read them.
var (
	alice = commandstest.Alice
	bob   = commandstest.Bob
	evil  = commandstest.Evil
	carl  = commandstest.Carl
)

func id(v string) commands.Target    { return commandstest.ID(v) }
func phone(v string) commands.Target { return commandstest.Phone(v) }
func name(v string) commands.Target  { return commandstest.Name(v) }

func sampleRoster() *meeting.Roster   { return commandstest.SampleRoster() }
func bigRoster(n int) *meeting.Roster { return commandstest.BigRoster(n) }

// sampleOutcome runs a real kick through commands.Service against the fake
// meeting.
func sampleOutcome(t *testing.T, targets []commands.Target, sticky map[string]bool) commands.Outcome {
	t.Helper()
	k := commands.Kick{Actor: "U123", Channel: "C42", Conference: "914083136", Reason: "spam & <!here> noise", Targets: targets}
	return commandstest.Kick(t, &commandstest.Meeting{State: sampleRoster(), Sticky: sticky}, k)
}
