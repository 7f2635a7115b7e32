package meeting_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/rs/zerolog"

	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// BenchmarkDisconnectWarm is one disconnect (hang-up plus the confirming
// roster read) through warm token caches against the simulator over loopback
// HTTP. A participant joins before each iteration (outside the timer).
func BenchmarkDisconnectWarm(b *testing.B) {
	e := newEnv(b, envOpt{cfg: func(c *meeting.Config) {
		c.Logger = zerolog.Nop()
		c.Observer = nil
	}})
	ctx := context.Background()
	if _, err := e.client.Roster(ctx, e.facts.ConferenceID); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		id := fmt.Sprintf("%032x", i+1)
		e.sim.Join(e.facts.ConferenceID, meetingtest.P{ID: id, Name: "Bench"})
		b.StartTimer()
		res, err := e.client.Disconnect(ctx, e.facts.ConferenceID, []string{id})
		if err != nil || len(res.Gone) != 1 {
			b.Fatalf("Disconnect = %+v, %v", res, err)
		}
	}
}
