package commands_test

// Benchmarks of the /kick hot paths (issue 7). Run them with
//
//	go test -bench . -benchmem -run '^$' ./commands ./meeting
//
// The ones here cover a command's way through the core: grammar, policy,
// resolution, and the whole kick use case (Plan + Execute) through the real
// meeting client against the simulator with warm caches. Rendering is
// benchmarked beside the renderer (bot/slackui).

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/meeting/meetingtest"
	"github.com/kickbot/kickbot/secret"
)

// benchRoster is a live roster of n generated participants plus a host and a
// co-host, shaped like the simulator's: "Participant 0001"… with phones
// +8613900000001….
func benchRoster(n int) *meeting.Roster {
	r := &meeting.Roster{ConferenceID: "914083136", Subject: "Town hall", ReadAt: time.Date(2025, 11, 25, 10, 0, 0, 0, time.UTC)}
	r.Participants = append(r.Participants,
		meeting.Participant{ID: strings.Repeat("a", 32), Name: "Alice Chen", Phone: "+8613800000001", Host: true},
		meeting.Participant{ID: strings.Repeat("b", 32), Name: "Bob Li", Phone: "+8613800000003", CoHost: true})
	for i := 1; i <= n; i++ {
		r.Participants = append(r.Participants, meeting.Participant{
			ID:    fmt.Sprintf("%032x", 0x1000+i),
			Name:  fmt.Sprintf("Participant %04d", i),
			Phone: fmt.Sprintf("+86139%08d", i),
			Muted: i%2 == 0,
		})
	}
	return r
}

func BenchmarkParse(b *testing.B) {
	for _, tc := range []struct{ name, text string }{
		{"id", "914083136 ba9acb1e216d11eabc5165c2b91ad427"},
		{"names_reason", `914083136 "Jane Doe" +8613800000000 "Tom & Jerry <dev>" -- spamming the chat, see #ops`},
		{"50_targets", "914083136 " + strings.TrimSpace(strings.Repeat(`"Participant 0001" `, 1)+benchIDs(49)) + " -- mass clean-up"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req, err := commands.Parse(tc.text, 50)
				if err != nil || req.Kind != commands.KindKick || len(req.Targets) == 0 {
					b.Fatalf("Parse(%q) = %+v, %v", tc.text, req, err)
				}
			}
		})
	}
}

func benchIDs(n int) string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%032x", 0x1000+i+1)
	}
	return strings.Join(ids, " ")
}

// BenchmarkAuthorize is the policy check of an allowed moderator in a
// configuration of realistic size: 20 channels, 200 users, usergroups and
// conference restrictions.
func BenchmarkAuthorize(b *testing.B) {
	p := commands.Policy{Channels: map[string]bool{}, Users: map[string]bool{}, Usergroups: []string{"S0MODS", "S0OPS"},
		Conferences: map[string][]string{}}
	for i := range 20 {
		ch := fmt.Sprintf("C%08d", i)
		p.Channels[ch] = true
		p.Conferences[ch] = []string{"914083136", "914083137", fmt.Sprint(900000000 + i)}
	}
	for i := range 200 {
		p.Users[fmt.Sprintf("U%08d", i)] = true
	}
	s := commands.Subject{UserID: "U00000199", ChannelID: "C00000019"}
	b.ReportAllocs()
	for b.Loop() {
		if d := commands.Authorize(p, s, "914083136"); !d.Allowed {
			b.Fatalf("refused: %+v", d)
		}
	}
}

// BenchmarkResolve3000 resolves targets against a 3,000-participant roster;
// each sub-benchmark names the worst case for its kind (the last participant).
func BenchmarkResolve3000(b *testing.B) {
	r := benchRoster(3000)
	for _, tc := range []struct{ name, text string }{
		{"id", "914083136 " + fmt.Sprintf("%032x", 0x1000+3000)},
		{"phone", "914083136 +8613900003000"},
		{"name", `914083136 "participant   3000"`},
		{"mixed_10", "914083136 " + benchIDs(4) + ` "Participant 2999" "Participant 1500" +8613900000007 +8613900002000 "Alice Chen" "Nobody Here"`},
	} {
		req, err := commands.Parse(tc.text, 50)
		if err != nil {
			b.Fatalf("Parse(%q): %v", tc.text, err)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res := commands.Resolve(r, req.Targets)
				if len(res.Kick)+len(res.Protected)+len(res.NotFound) != len(req.Targets) {
					b.Fatalf("Resolve(%q) = %+v", tc.text, res)
				}
			}
		})
	}
}

// BenchmarkServiceKickWarm is the kick use case, Plan then Execute, for one
// participant named by ID, through the real meeting client against the
// simulator over loopback HTTP, with warm token caches: three HTTP calls per
// kick (roster read, hang-up, confirming roster read). The time includes the
// simulator's work; compare BenchmarkServiceKickCore for the core alone.
func BenchmarkServiceKickWarm(b *testing.B) {
	for _, size := range []int{10, 1000} {
		b.Run(fmt.Sprintf("roster_%d", size), func(b *testing.B) {
			sim := meetingtest.NewServer()
			defer sim.Close()
			f := sim.Sample()
			conf := "914100001"
			sim.AddConference(conf).Subject("Bench").Scheduler(f.UserID).Running().
				Host(meetingtest.P{Name: "Host"}).Participants(size)
			mc, err := meeting.New(meeting.Config{BaseURL: sim.URL(), AppID: f.AppID, AppKey: secret.New(f.AppKey),
				UserID: f.UserID, Logger: zerolog.Nop()})
			if err != nil {
				b.Fatal(err)
			}
			defer mc.CloseIdleConnections()
			svc := &commands.Service{Meeting: mc}
			ctx := context.Background()
			if _, err := mc.Roster(ctx, conf); err != nil { // warm the token caches
				b.Fatal(err)
			}
			sim.ResetCalls()
			b.ReportAllocs()
			kicks := 0
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				id := fmt.Sprintf("%032x", i+1)
				sim.Join(conf, meetingtest.P{ID: id, Name: "Bench Joiner"})
				k := commands.Kick{Actor: "U1", Channel: "C1", Conference: conf,
					Targets: []commands.Target{{Kind: commands.TargetID, Value: id}}}
				b.StartTimer()
				roster, res, err := svc.Plan(ctx, k)
				if err != nil {
					b.Fatal(err)
				}
				if o := svc.Execute(ctx, k, roster, res); o.Status != commands.StatusDone {
					b.Fatalf("outcome %s: %s", o.Status, o.UserMessage)
				}
				kicks++
			}
			b.StopTimer()
			if got := sim.CallCount(meetingtest.EndpointHangUp); got != kicks {
				b.Fatalf("%d hang-up calls for %d kicks", got, kicks)
			}
			b.ReportMetric(float64(sim.CallCount(meetingtest.EndpointRealTimeInfo))/float64(kicks), "rosters/kick")
			b.ReportMetric(float64(sim.CallCount(meetingtest.EndpointControlToken)+sim.CallCount(meetingtest.EndpointAppAuth)), "token-calls")
		})
	}
}

// benchMeeting is an in-memory meeting with no I/O, so that
// BenchmarkServiceKickCore measures only the core's own work.
type benchMeeting struct{ roster *meeting.Roster }

func (m *benchMeeting) Roster(context.Context, string) (*meeting.Roster, error) { return m.roster, nil }

func (m *benchMeeting) Disconnect(_ context.Context, conf string, ids []string) (*meeting.DisconnectResult, error) {
	return &meeting.DisconnectResult{ConferenceID: conf, Requested: ids, Gone: ids, After: m.roster, RequestIDs: []string{"req-1"}}, nil
}

// BenchmarkServiceKickCore is Plan + Execute of one kick by ID against an
// in-memory 1,000-participant roster: the core's work without the network.
func BenchmarkServiceKickCore(b *testing.B) {
	m := &benchMeeting{roster: benchRoster(1000)}
	svc := &commands.Service{Meeting: m}
	k := commands.Kick{Actor: "U1", Channel: "C1", Conference: "914083136",
		Targets: []commands.Target{{Kind: commands.TargetID, Value: fmt.Sprintf("%032x", 0x1000+1000)}}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		roster, res, err := svc.Plan(ctx, k)
		if err != nil {
			b.Fatal(err)
		}
		if o := svc.Execute(ctx, k, roster, res); o.Status != commands.StatusDone {
			b.Fatalf("outcome %s", o.Status)
		}
	}
}
