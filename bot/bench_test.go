package bot_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/kickbot/kickbot/bot"
	"github.com/kickbot/kickbot/bot/slackfake"
	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/meeting/meetingtest"
	"github.com/kickbot/kickbot/secret"
)

// BenchmarkSlashKick is one /kick of one participant by ID, end to end and
// one at a time: the envelope over the real socket, the ack, the roster
// read, the parent message, the hang-up, the confirming read, the thread
// reply, the parent's update, the permalink and the ops notice — with warm
// caches, against the fakes in this process (so the time and allocations
// include theirs; the CPU profile tells them apart). ack-ms is the mean ack
// latency as the fake Slack saw it.
//
//	go test -bench SlashKick -benchmem -run '^$' -cpuprofile cpu.out ./bot
func BenchmarkSlashKick(b *testing.B) {
	for _, size := range []int{10, 1000} {
		b.Run(fmt.Sprintf("roster_%d", size), func(b *testing.B) { benchSlashKick(b, size) })
	}
}

func benchSlashKick(b *testing.B, size int) {
	// Lenient: this measures kickbot's own work per kick; with Slack's
	// posting limits on, it would measure the wait for the channel's turn
	// (the raid scenario of cmd/kickload measures that).
	fake := slackfake.New(slackfake.Lenient())
	defer fake.Close()
	sim := meetingtest.NewServer()
	defer sim.Close()
	facts := sim.Sample()
	const conf = "914300001"
	sim.AddConference(conf).Subject("Bench").Scheduler(facts.UserID).Running().
		Host(meetingtest.P{Name: "Host"}).Participants(size)

	mc, err := meeting.New(meeting.Config{BaseURL: sim.URL(), AppID: facts.AppID, AppKey: secret.New(facts.AppKey),
		UserID: facts.UserID, Logger: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	defer mc.CloseIdleConnections()
	api := slack.New(slackfake.DefaultBotToken, slack.OptionAPIURL(fake.APIURL()),
		slack.OptionAppLevelToken(slackfake.DefaultAppToken))
	bt := bot.New(bot.Config{
		Policy:        commands.Policy{Channels: map[string]bool{"CBENCH": true}, Users: map[string]bool{"UBENCH": true}},
		OpsChannel:    "COPSBENCH",
		UserRateLimit: 1 << 30,
		// and kickbot's own pacing off, for the same reason.
		Outbox: bot.Unpaced(),
	}, socketmode.New(api), &commands.Service{Meeting: mc}, zerolog.Nop())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- bt.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	}()
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := fake.WaitSockets(wctx, 1); err != nil {
		b.Fatal(err)
	}

	posts, acks := 0, 0
	kick := func(pid string) {
		fake.SlashCommand(slackfake.Slash{Text: conf + " " + pid, UserID: "UBENCH", ChannelID: "CBENCH", ChannelName: "bench"})
		acks++
		posts += 3 // parent, thread reply, ops notice: the ops notice is the last thing a kick does
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := fake.WaitAcks(ctx, acks); err != nil {
			b.Fatal(err)
		}
		for fake.Calls("chat.postMessage") < posts {
			if ctx.Err() != nil {
				b.Fatalf("kick %d: no outcome", acks)
			}
			time.Sleep(20 * time.Microsecond)
		}
	}
	kick(sim.Online(conf)[1].ID) // warm the token caches and connections
	sim.ResetCalls()

	b.ReportAllocs()
	n := 0
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		id := fmt.Sprintf("%032x", i+1)
		sim.Join(conf, meetingtest.P{ID: id, Name: "Bench Joiner"})
		b.StartTimer()
		kick(id)
		n++
	}
	b.StopTimer()
	var total time.Duration
	for _, a := range fake.Acks()[1:] {
		total += a.Latency()
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(n), "ack-ms")
	if got := sim.HangUpIDs(conf); len(got) != n || len(slices.Compact(slices.Sorted(slices.Values(got)))) != n {
		b.Fatalf("%d hang-up IDs for %d kicks", len(got), n)
	}
}
