package slackui

import (
	"testing"

	"github.com/kickbot/kickbot/commands"
)

// BenchmarkRenderKickMessages renders everything one kick of one participant
// posts: the parent, the thread reply, the parent's final version and the ops
// notice.
func BenchmarkRenderKickMessages(b *testing.B) {
	p := bigRoster(1).Participants[2]
	k := commands.Kick{Actor: "U00000001", Channel: "C00000001", Conference: "914083136", Reason: "spamming the chat",
		Targets: []commands.Target{{Kind: commands.TargetID, Value: p.ID}}}
	o := commands.Outcome{Kick: k, Subject: "Town hall", Status: commands.StatusDone, RequestIDs: []string{"req-1"},
		Targets: []commands.TargetOutcome{{Target: k.Targets[0], Participant: &p, Result: commands.ResultGone}}}
	b.ReportAllocs()
	for b.Loop() {
		n := len(RenderStarted(k, "").Blocks) + len(RenderOutcome(o).Blocks) +
			len(RenderParentFinal(o).Blocks) + len(RenderOpsNotice(o, "https://fake.slack/archives/C1/p1").Blocks)
		if n < 4 {
			b.Fatalf("only %d blocks", n)
		}
	}
}
