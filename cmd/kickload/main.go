// Command kickload is kickbot's load driver (issues 5 and 7). In one run it
// starts the fake Slack (bot/slackfake) and the meeting simulator
// (meeting/meetingtest), runs the real kickbot binary as a child process
// pointed at them, and sends it /kick commands: one at a time on an idle bot
// (sequential), all at once (burst) and at a steady rate (steady). It checks
// kickbot's promises — every command acked within Slack's 3 s, every accepted
// one ends in exactly one outcome, the meeting receives exactly the expected
// participant IDs, nobody is disconnected twice — and measures ack latency,
// envelope-to-outcome latency, meeting API calls per kick, peak RSS, CPU
// seconds, goroutines before and after, idle RSS and the time from process
// start to connected.
//
// In the same run it measures the floor: `kickload floor`, a minimal program
// that connects with slack-go's socketmode client, acks every envelope and
// makes the Slack calls of a kick's outcome with one-line texts (floor.go),
// gets the same commands, and kickbot's ack latency and CPU are reported
// beside it.
//
//	go run ./cmd/kickload                       # all three scenarios, 1,000 commands each
//	go run ./cmd/kickload -mode burst -n 2000
//	go run ./cmd/kickload -mode steady -rate 200 -n 1000
//
// The raid scenario (-mode raid, also part of all) is fifteen /kicks from
// three moderators within three seconds against a fake Slack that enforces
// Slack's posting limits, with kickbot's default pacing: it reports command →
// disconnect call, command → outcome visible, 429s and calls made during a
// running Retry-After. The other scenarios run against a lenient Slack with
// KICK_SLACK_PACING=off, since they measure kickbot's own work.
//
// With -replicas 2, the burst also runs against two kickbot processes on
// one app token sharing one Redis (redis-server from PATH on a free
// loopback port, or REDIS_URL), reported as a column beside the single
// in-memory replica's (replicas.go):
//
//	go run ./cmd/kickload -mode burst -replicas 2
//
// It exits 1 if a promise is broken, 2 on bad usage or if it could not set
// up, and 0 otherwise; missed performance targets are reported, not fatal.
// Linux only (it reads /proc).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/kickbot/kickbot/bot/slackfake"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) > 1 && os.Args[1] == "floor" {
		os.Exit(runFloor(ctx, os.Stderr))
	}
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	mode         string
	n            int
	rate         float64
	participants int
	perUser      int
	bin          string
	floor        bool
	timeout      time.Duration
	logLevel     string
	keep         bool
	botEnv       envList
	replicas     int
}

// envList is a repeatable KEY=VALUE flag.
type envList []string

func (e *envList) String() string { return strings.Join(*e, " ") }

func (e *envList) Set(v string) error {
	if k, _, ok := strings.Cut(v, "="); !ok || k == "" {
		return fmt.Errorf("%q is not KEY=VALUE", v)
	}
	*e = append(*e, v)
	return nil
}

// load is one run: the fakes, the processes and the results.
type load struct {
	opt   options
	out   io.Writer
	sim   *meetingtest.Server
	facts meetingtest.SampleFacts
	tmp   string
	// joiners of each small scenario, in command order.
	joiners map[string][]meetingtest.P

	baselineGoroutines int
}

// proc is a child process under test, with its own fake Slack.
// showsOutcomes: p posts a reply and an ops notice per accepted command.
func (p *proc) showsOutcomes() bool { return p.bot || p.shows }

type proc struct {
	name     string
	bot      bool // kickbot (outcomes, metrics) rather than the floor
	shows    bool // posts a kick's reply and ops notice although not kickbot (the floor)
	cmd      *exec.Cmd
	pid      int
	fake     *slackfake.Server
	httpAddr string
	logPath  string
	done     chan struct{}
	exitErr  error

	connect time.Duration // process start → first socket
	idleRSS int64         // just connected, nothing done yet
	warmRSS int64         // idle after the warm-up

	// group: the replicas this proc stands for (-replicas 2), which share
	// fake; measurements add theirs up. baseline: their goroutines, idle.
	group    []*proc
	baseline int
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("kickload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.mode, "mode", "all", "scenarios to run, comma-separated: sequential, burst, steady, small (sequential against a 10-person meeting), watched (sequential against a meeting watched through /kick <id> watch; also measures memory per watched 3,000-person meeting), raid (15 kicks from 3 moderators against Slack's limits), or all")
	fs.IntVar(&o.n, "n", 1000, "commands per scenario")
	fs.Float64Var(&o.rate, "rate", 200, "commands per second in the steady scenario")
	fs.IntVar(&o.participants, "participants", 0, "participants in each scenario's meeting (default n+100)")
	fs.IntVar(&o.perUser, "per-user", 20, "commands per moderator (kickbot's default limit is 30 a minute)")
	fs.StringVar(&o.bin, "bin", "", "kickbot binary to test (default: build ./cmd/kickbot into a temporary directory)")
	fs.BoolVar(&o.floor, "floor", true, "also run the floor (socketmode client that only acks) and report ratios")
	fs.DurationVar(&o.timeout, "timeout", 90*time.Second, "longest a scenario may take before it counts as failed")
	fs.StringVar(&o.logLevel, "log-level", "info", "kickbot's LOG_LEVEL (its log goes to a file)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (binary and logs)")
	fs.Var(&o.botEnv, "env", "extra KEY=VALUE for kickbot's environment only, e.g. -env GOMAXPROCS=1 -env KICK_WORKERS=4 (repeatable)")
	fs.IntVar(&o.replicas, "replicas", 1, "2: also run the burst scenario against two kickbot processes sharing one Redis (redis-server from PATH on a free loopback port, or REDIS_URL), reported beside the single in-memory replica")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	scenarios, err := pickScenarios(o.mode)
	if err != nil || o.n < 1 || o.rate <= 0 || o.perUser < 1 || o.perUser > 30 {
		fmt.Fprintln(stderr, "kickload: bad flags:", err, "(need -n ≥ 1, -rate > 0, 1 ≤ -per-user ≤ 30)")
		return 2
	}
	if o.replicas != 1 && o.replicas != 2 {
		fmt.Fprintln(stderr, "kickload: bad flags: -replicas must be 1 or 2")
		return 2
	}
	if o.replicas == 2 && !slices.ContainsFunc(scenarios, func(sc scenario) bool { return sc.name == "burst" }) {
		fmt.Fprintln(stderr, "kickload: bad flags: -replicas 2 runs the burst scenario: add burst to -mode")
		return 2
	}
	if o.participants == 0 {
		o.participants = o.n + 100
	}
	if o.participants < o.n+warmupPerConf {
		fmt.Fprintf(stderr, "kickload: -participants must be at least n+%d\n", warmupPerConf)
		return 2
	}

	l := &load{opt: o, out: stdout}
	l.tmp, err = os.MkdirTemp("", "kickload-")
	if err != nil {
		fmt.Fprintln(stderr, "kickload:", err)
		return 2
	}
	if o.keep {
		fmt.Fprintln(stdout, "temporary directory:", l.tmp)
	} else {
		defer os.RemoveAll(l.tmp)
	}
	raid := o.mode == "all" || slices.Contains(strings.Split(strings.ReplaceAll(o.mode, " ", ""), ","), "raid")
	code, err := l.main(ctx, scenarios, raid)
	if err != nil {
		fmt.Fprintln(stderr, "kickload:", err)
	}
	return code
}

var allScenarios = []scenario{
	{name: "sequential", style: "sequential", letter: 's', conf: "914200001"},
	{name: "burst", style: "burst", letter: 'b', conf: "914200002"},
	{name: "steady", style: "steady", letter: 't', conf: "914200003"},
	{name: "small", style: "sequential", letter: 'm', conf: "914200004", small: true},
	{name: "watched", style: "sequential", letter: 'v', conf: "914200005", watched: true},
}

func pickScenarios(mode string) ([]scenario, error) {
	if mode == "all" {
		return allScenarios, nil
	}
	var out []scenario
	for name := range strings.SplitSeq(mode, ",") {
		if strings.TrimSpace(name) == "raid" {
			continue // run on its own: see raid.go
		}
		i := -1
		for j, sc := range allScenarios {
			if sc.name == strings.TrimSpace(name) {
				i = j
			}
		}
		if i < 0 {
			return nil, fmt.Errorf("unknown mode %q", name)
		}
		out = append(out, allScenarios[i])
	}
	return out, nil
}

// warmupPerConf is how many spare participants of each meeting the warm-up
// kicks, all at once, so that token caches and connection pools are warm
// before anything is measured (one per worker).
const warmupPerConf = 8

func (l *load) main(ctx context.Context, scenarios []scenario, raid bool) (int, error) {
	bin := l.opt.bin
	if bin == "" {
		bin = filepath.Join(l.tmp, "kickbot")
		fmt.Fprintln(l.out, "building ./cmd/kickbot …")
		if err := buildKickbot(ctx, bin); err != nil {
			return 2, err
		}
	}

	l.sim = meetingtest.NewServer()
	defer l.sim.Close()
	l.facts = l.sim.Sample()
	code := 0
	if len(scenarios) > 0 {
		c, err := l.throughput(ctx, bin, scenarios)
		if err != nil {
			return c, err
		}
		code = c
	}
	if raid {
		fmt.Fprintln(l.out, "raid       kickbot …")
		r, err := l.raid(ctx, bin)
		if err != nil {
			return 2, err
		}
		l.reportRaid(r)
		if r.broken() {
			fmt.Fprintln(l.out, "\nRESULT (raid): a promise was BROKEN (see above); kickbot's log:", filepath.Join(l.tmp, "kickbot-raid.log"))
			return 1, nil
		}
		fmt.Fprintln(l.out, "\nRESULT (raid): every promise kept")
	}
	return code, nil
}

// kickbotEnv is kickbot's environment against fake, the simulator and the
// load channel, with users allowed to kick.
func (l *load) kickbotEnv(fake *slackfake.Server, httpAddr string, users []string) []string {
	return []string{
		"SLACK_API_URL=" + fake.APIURL(),
		"SLACK_APP_TOKEN=" + slackfake.DefaultAppToken,
		"SLACK_BOT_TOKEN=" + slackfake.DefaultBotToken,
		"MEETING_API_URL=" + l.sim.URL(),
		"MEETING_APP_ID=" + l.facts.AppID,
		"MEETING_APP_KEY=" + l.facts.AppKey, // the simulator's public sample key
		"MEETING_USER_ID=" + l.facts.UserID,
		"KICK_CHANNELS=" + loadChannel,
		"KICK_USERS=" + strings.Join(users, ","),
		"OPS_CHANNEL=" + opsChannel,
		"HTTP_ADDR=" + httpAddr,
		// /debug/pprof: the memory measure asks kickbot for a GC (watched.go).
		"KICK_PPROF=1",
		"LOG_LEVEL=" + l.opt.logLevel,
		"LOG_FORMAT=json",
	}
}

// throughput runs the sequential, burst, steady and small scenarios against
// one kickbot process (and the floor).
func (l *load) throughput(ctx context.Context, bin string, scenarios []scenario) (int, error) {
	people := map[string][]meetingtest.P{}
	l.joiners = map[string][]meetingtest.P{}
	for _, sc := range scenarios {
		b := l.sim.AddConference(sc.conf).Subject("Load test " + sc.name).Scheduler(l.facts.UserID).Running().
			Host(meetingtest.P{Name: "Load Host", Phone: "+8613700000001"}).
			CoHost(meetingtest.P{Name: "Load Co-host", Phone: "+8613700000002"})
		if !sc.small {
			b.Participants(l.opt.participants)
			for _, p := range l.sim.Online(sc.conf) {
				if strings.HasPrefix(p.Name, "Participant ") {
					people[sc.conf] = append(people[sc.conf], p)
				}
			}
			continue
		}
		// Eight who stay, eight spares for the warm-up, and one joiner per command.
		b.Participants(8 + warmupPerConf)
		for i := range l.opt.n {
			l.joiners[sc.conf] = append(l.joiners[sc.conf], meetingtest.P{
				ID: fmt.Sprintf("%032x", 0x5a000000+i), Name: fmt.Sprintf("Joiner %05d", i), Phone: fmt.Sprintf("+86136%08d", i)})
		}
		online := l.sim.Online(sc.conf)
		people[sc.conf] = append(slices.Clone(l.joiners[sc.conf]), online[len(online)-warmupPerConf:]...)
	}
	cmds := map[string][]command{}
	var users []string
	for _, sc := range scenarios {
		c, u := makeCommands(sc, people[sc.conf], l.opt.n, l.opt.perUser)
		cmds[sc.name] = c
		users = append(users, u...)
	}
	warmUsers := make([]string, warmupPerConf)
	for i := range warmUsers {
		warmUsers[i] = fmt.Sprintf("ULW%04d", i+1)
	}
	users = append(users, warmUsers...)

	// These scenarios measure kickbot's own work, so Slack is lenient and
	// kickbot's pacing is off (KICK_SLACK_PACING=off below); the raid
	// scenario runs against Slack's limits.
	botFake := slackfake.New(slackfake.Lenient())
	defer botFake.Close()
	addr, err := freeAddr()
	if err != nil {
		return 2, err
	}
	kb := &proc{name: "kickbot", bot: true, fake: botFake, httpAddr: addr, logPath: filepath.Join(l.tmp, "kickbot.log")}
	env := append(l.kickbotEnv(botFake, addr, users), "KICK_SLACK_PACING=off")
	env = append(env, l.opt.botEnv...)
	if err := l.start(ctx, kb, exec.Command(bin), env); err != nil {
		return 2, err
	}
	defer l.stop(kb)

	var fl *proc
	if l.opt.floor {
		self, err := os.Executable()
		if err != nil {
			return 2, err
		}
		floorFake := slackfake.New(slackfake.Lenient())
		defer floorFake.Close()
		fl = &proc{name: "floor", shows: true, fake: floorFake, logPath: filepath.Join(l.tmp, "floor.log")}
		env := []string{
			"FLOOR_OPS_CHANNEL=" + opsChannel,
			"SLACK_API_URL=" + floorFake.APIURL(),
			"SLACK_APP_TOKEN=" + slackfake.DefaultAppToken,
			"SLACK_BOT_TOKEN=" + slackfake.DefaultBotToken,
		}
		if err := l.start(ctx, fl, exec.Command(self, "floor"), env); err != nil {
			return 2, err
		}
		defer l.stop(fl)
	}

	// Idle RSS: connected, nothing done yet, after a moment to settle.
	time.Sleep(time.Second)
	for _, p := range []*proc{kb, fl} {
		if p != nil {
			p.idleRSS, _, _ = procMemory(p.pid)
		}
	}

	if err := l.warmUp(ctx, kb, scenarios, people, warmUsers); err != nil {
		return 2, err
	}
	kb.warmRSS, _, _ = procMemory(kb.pid)

	var results []*result
	for _, sc := range scenarios {
		if ctx.Err() != nil {
			return 2, ctx.Err()
		}
		if fl != nil {
			fmt.Fprintf(l.out, "%-10s floor   …\n", sc.name)
			results = append(results, l.run(ctx, fl, sc, cmds[sc.name]))
		}
		fmt.Fprintf(l.out, "%-10s kickbot …\n", sc.name)
		results = append(results, l.run(ctx, kb, sc, cmds[sc.name]))
	}

	var mem *memResult
	if slices.ContainsFunc(scenarios, func(sc scenario) bool { return sc.watched }) && ctx.Err() == nil {
		fmt.Fprintf(l.out, "%-10s kickbot … memory per watched 3,000-person meeting\n", "watched")
		mem = l.watchMemory(ctx, kb, warmUsers[1])
	}

	// SIGTERM, as Kubernetes would: kickbot must drain and exit 0.
	l.stop(kb)
	if fl != nil {
		l.stop(fl)
	}

	var pair *pairRun
	if l.opt.replicas == 2 && ctx.Err() == nil {
		r, p, err := l.replicated(ctx, bin)
		if err != nil {
			return 2, fmt.Errorf("two replicas: %w", err)
		}
		results, pair = append(results, r), p
	}

	l.report(results, kb, fl)
	l.reportPair(pair)
	l.watchedTargets(func(scen, proc string) *result {
		for _, r := range results {
			if r.scenario == scen && r.proc == proc {
				return r
			}
		}
		return nil
	}, mem)
	broken := false
	for _, r := range results {
		broken = broken || r.broken()
	}
	if kb.exitErr != nil {
		fmt.Fprintf(l.out, "\nkickbot did not exit 0 on SIGTERM: %v (log: %s)\n", kb.exitErr, kb.logPath)
		broken = true
	}
	if pair != nil {
		for _, m := range pair.group.group {
			if m.exitErr != nil {
				fmt.Fprintf(l.out, "\n%s did not exit 0 on SIGTERM: %v (log: %s)\n", m.name, m.exitErr, m.logPath)
				broken = true
			}
		}
	}
	if p := botFake.Problems(); len(p) > 0 {
		fmt.Fprintf(l.out, "\nfake Slack saw problems: %q\n", p)
		broken = true
	}
	if broken {
		fmt.Fprintln(l.out, "\nRESULT: a promise was BROKEN (see above); kickbot's log:", kb.logPath)
		if !l.opt.keep {
			tail(l.out, kb.logPath, 20)
		}
		return 1, nil
	}
	fmt.Fprintln(l.out, "\nRESULT: every promise kept")
	return 0, nil
}

// start runs p's command with env (plus the caller's environment minus
// anything that could configure kickbot) and waits until it has connected
// to its fake Slack.
func (l *load) start(ctx context.Context, p *proc, cmd *exec.Cmd, env []string) error {
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "SLACK_") || strings.HasPrefix(k, "MEETING_") || strings.HasPrefix(k, "KICK_") ||
			strings.HasPrefix(k, "OPS_") || strings.HasPrefix(k, "AUDIT_") || strings.HasPrefix(k, "LOG_") || k == "HTTP_ADDR" ||
			strings.HasPrefix(k, "REDIS_") { // the single replica is the in-memory one; replicas get REDIS_URL explicitly
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, env...)
	logf, err := os.Create(p.logPath)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	p.cmd = cmd
	p.done = make(chan struct{})
	sockets := p.fake.Sockets() + 1 // replicas share a fake: this one's socket is the next

	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	p.pid = cmd.Process.Pid
	go func() {
		p.exitErr = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	go func() {
		select {
		case <-p.done:
			cancel() // it died: stop waiting at once
		case <-wctx.Done():
		}
	}()
	if err := p.fake.WaitSockets(wctx, sockets); err != nil {
		_ = cmd.Process.Kill()
		<-p.done
		var b strings.Builder
		tail(&b, p.logPath, 20)
		return fmt.Errorf("%s did not connect to the fake Slack: %v (exit: %v)\n%s", p.name, err, p.exitErr, b.String())
	}
	p.connect = time.Since(t0)
	if p.httpAddr != "" {
		if !pollUntil(wctx, 5*time.Millisecond, func() bool { _, err := goroutines(wctx, p.httpAddr); return err == nil }) {
			_ = cmd.Process.Kill()
			<-p.done
			return fmt.Errorf("%s: /metrics on %s did not answer", p.name, p.httpAddr)
		}
	}
	return nil
}

// stop sends SIGTERM and waits for the process to exit (SIGKILL after 40 s).
func (l *load) stop(p *proc) {
	if p == nil || p.cmd == nil || p.cmd.Process == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(40 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		if p.exitErr == nil {
			p.exitErr = errors.New("killed after 40 s")
		}
	}
}

// warmUp kicks warmupPerConf spare participants of every scenario's meeting
// at once, waits for their outcomes and records the goroutine baseline: from
// here on, token caches are warm.
func (l *load) warmUp(ctx context.Context, kb *proc, scenarios []scenario, people map[string][]meetingtest.P, users []string) error {
	for _, sc := range scenarios {
		if sc.watched {
			if err := l.startWatch(ctx, kb, sc.conf, users[0]); err != nil {
				return fmt.Errorf("warm-up: %w", err)
			}
		}
	}
	base := len(kb.fake.Messages())
	var ids []string
	for _, sc := range scenarios {
		spare := people[sc.conf][l.opt.n:]
		for i := range warmupPerConf {
			ids = append(ids, kb.fake.SlashCommand(slackfake.Slash{Text: sc.conf + " " + spare[i].ID + " -- warm-up",
				UserID: users[i], ChannelID: loadChannel, ChannelName: "load"}))
		}
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	accepted := 0
	for _, id := range ids {
		a, err := kb.fake.WaitAck(wctx, id)
		if err != nil {
			return fmt.Errorf("warm-up: %w (log: %s)", err, kb.logPath)
		}
		if a.Payload == nil {
			accepted++ // a small -env KICK_QUEUE_SIZE may refuse some
		}
	}
	seen := kicksShown(kb.fake, base)
	if !pollUntil(wctx, 5*time.Millisecond, func() bool { return seen.count() >= accepted }) {
		return fmt.Errorf("warm-up: kickbot reported %d of %d kicks in 30 s (log: %s)", seen.count(), accepted, kb.logPath)
	}
	g, err := l.baseline(ctx, kb)
	if err != nil {
		return err
	}
	l.baselineGoroutines = g
	return nil
}

// callCounts is the simulator's call count per endpoint so far.
func (l *load) callCounts() map[meetingtest.Endpoint]int {
	out := map[meetingtest.Endpoint]int{}
	for _, e := range endpoints {
		out[e] = l.sim.CallCount(e)
	}
	return out
}

// slackCallCounts is how many calls of each of slackMethods the fake
// Slack has received so far.
func slackCallCounts(f *slackfake.Server) map[string]int {
	out := map[string]int{}
	for _, m := range slackMethods {
		out[m] = f.Calls(m)
	}
	return out
}

// slackMethods are the Web API methods a kick's report uses (response_url:
// private answers).
var slackMethods = []string{"chat.postMessage", "chat.update", "chat.getPermalink", "response_url"}

var endpoints = []meetingtest.Endpoint{
	meetingtest.EndpointHangUp, meetingtest.EndpointRealTimeInfo, meetingtest.EndpointControlToken,
	meetingtest.EndpointConfDetail, meetingtest.EndpointAppAuth, meetingtest.EndpointAccountAuth,
}

// buildKickbot builds ./cmd/kickbot as the Dockerfile does (no cgo) into bin.
func buildKickbot(ctx context.Context, bin string) error {
	b := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, "github.com/kickbot/kickbot/cmd/kickbot")
	b.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := b.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/kickbot (run kickload inside the repository, or pass -bin): %v\n%s", err, out)
	}
	return nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// tail writes the last n lines of a file.
func tail(w io.Writer, path string, n int) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	fmt.Fprintf(w, "--- last %d lines of %s\n%s\n", len(lines), path, strings.Join(lines, "\n"))
}
