package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/kickbot/kickbot/bot/slackfake"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// Two replicas with Redis (-replicas 2, issue 15): the burst scenario runs
// again against two kickbot processes on one app token and one fake Slack,
// which hands each envelope to one of the two sockets in turn, sharing one
// Redis: a redis-server kickload starts on a free loopback port, or the one
// REDIS_URL names. Its figures are a column beside the single in-memory
// replica's, in the same table: what sharing state in Redis costs a burst.

// pairConf is the two replicas' own meeting, so hang-ups are counted apart.
const pairConf = "914200006"

// redisStartTimeout bounds how long redis-server may take to answer PING.
const redisStartTimeout = 30 * time.Second

// members are the processes a proc stands for: itself, or the replicas of
// a group.
func (p *proc) members() []*proc {
	if len(p.group) > 0 {
		return p.group
	}
	return []*proc{p}
}

// cpu is the CPU time used by every member so far.
func (p *proc) cpu() (user, system time.Duration, err error) {
	for _, m := range p.members() {
		u, s, e := procCPU(m.pid)
		user, system, err = user+u, system+s, errors.Join(err, e)
	}
	return user, system, err
}

// runTime is the members' live threads' CPU time (procRunTime) summed.
func (p *proc) runTime() (time.Duration, error) {
	var sum time.Duration
	for _, m := range p.members() {
		d, err := procRunTime(m.pid)
		if err != nil {
			return 0, err
		}
		sum += d
	}
	return sum, nil
}

// resetPeak starts every member's peak RSS again from its current RSS.
func (p *proc) resetPeak() error {
	var err error
	for _, m := range p.members() {
		err = errors.Join(err, resetPeakRSS(m.pid))
	}
	return err
}

// peakRSS is the sum of the members' peak RSS: what the deployment needs
// at most.
func (p *proc) peakRSS() (int64, error) {
	var sum int64
	for _, m := range p.members() {
		_, hwm, err := procMemory(m.pid)
		if err != nil {
			return 0, err
		}
		sum += hwm
	}
	return sum, nil
}

// goroutines is the members' go_goroutines summed.
func (p *proc) goroutines(ctx context.Context) (int, error) {
	sum := 0
	for _, m := range p.members() {
		g, err := goroutines(ctx, m.httpAddr)
		if err != nil {
			return 0, err
		}
		sum += g
	}
	return sum, nil
}

// baselineOf is p's goroutine baseline: its own for a group, the single
// kickbot's otherwise.
func (l *load) baselineOf(p *proc) int {
	if len(p.group) > 0 {
		return p.baseline
	}
	return l.baselineGoroutines
}

// redisServer is the Redis the replicas share.
type redisServer struct {
	url     string
	started string // "" when REDIS_URL named it; else what kickload started
	cmd     *exec.Cmd
	done    chan struct{}
}

// startRedis uses REDIS_URL if set, else starts redis-server from PATH on a
// free loopback port, without persistence, in dir.
func startRedis(ctx context.Context, dir string) (*redisServer, error) {
	if u := os.Getenv("REDIS_URL"); u != "" {
		return &redisServer{url: u}, nil
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errors.New("-replicas 2 needs redis-server on PATH (apt-get install redis-server) or REDIS_URL")
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--logfile", filepath.Join(dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	r := &redisServer{url: "redis://" + addr + "/0", started: "redis-server on " + addr + ", started by kickload", cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(r.done) }()
	wctx, cancel := context.WithTimeout(ctx, redisStartTimeout)
	defer cancel()
	for pingRedis(wctx, addr) != nil {
		select {
		case <-r.done:
			return nil, fmt.Errorf("redis-server exited at start (log: %s)", filepath.Join(dir, "redis.log"))
		case <-wctx.Done():
			r.stop()
			return nil, fmt.Errorf("redis-server on %s did not answer PING within %s", addr, redisStartTimeout)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return r, nil
}

func pingRedis(ctx context.Context, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}

// stop ends a redis-server kickload started, and waits for it.
func (r *redisServer) stop() {
	if r == nil || r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	<-r.done
}

// pairRun is what the two-replica run reports beside its result.
type pairRun struct {
	redis   string
	group   *proc
	perSock map[int]int // envelopes of the scenario acked per socket (1: A, 2: B)
}

// replicated runs the burst scenario against two replicas sharing Redis:
// n commands against a meeting of its own, after a warm-up of its own.
func (l *load) replicated(ctx context.Context, bin string) (*result, *pairRun, error) {
	sc := scenario{name: "burst", style: "burst", letter: 'r', conf: pairConf}
	l.sim.AddConference(sc.conf).Subject("Load test, two replicas").Scheduler(l.facts.UserID).Running().
		Host(meetingtest.P{Name: "Load Host", Phone: "+8613700000001"}).
		CoHost(meetingtest.P{Name: "Load Co-host", Phone: "+8613700000002"}).
		Participants(l.opt.participants)
	var people []meetingtest.P
	for _, p := range l.sim.Online(sc.conf) {
		if strings.HasPrefix(p.Name, "Participant ") {
			people = append(people, p)
		}
	}
	cmds, users := makeCommands(sc, people, l.opt.n, l.opt.perUser)
	warmUsers := make([]string, warmupPerConf)
	for i := range warmUsers {
		warmUsers[i] = fmt.Sprintf("ULY%04d", i+1)
	}
	users = append(users, warmUsers...)

	dir := filepath.Join(l.tmp, "redis")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, err
	}
	rs, err := startRedis(ctx, dir)
	if err != nil {
		return nil, nil, err
	}
	defer rs.stop()
	run := &pairRun{redis: rs.started, perSock: map[int]int{}}
	if run.redis == "" {
		run.redis = "REDIS_URL"
	}
	var salt [4]byte
	_, _ = rand.Read(salt[:])
	prefix := fmt.Sprintf("kickload-%d-%s:", os.Getpid(), hex.EncodeToString(salt[:]))

	fake := slackfake.New(slackfake.Lenient()) // as for the single replica: kickbot's own work is measured
	defer fake.Close()
	group := &proc{name: "kickbot×2 (Redis)", bot: true, fake: fake}
	run.group = group
	for _, name := range []string{"A", "B"} {
		addr, err := freeAddr()
		if err != nil {
			return nil, nil, err
		}
		m := &proc{name: "kickbot×2 " + name, bot: true, fake: fake, httpAddr: addr,
			logPath: filepath.Join(l.tmp, "kickbot-replica-"+name+".log")}
		env := append(l.kickbotEnv(fake, addr, users), "KICK_SLACK_PACING=off", "REDIS_URL="+rs.url, "KICK_REDIS_PREFIX="+prefix)
		env = append(env, l.opt.botEnv...)
		if err := l.start(ctx, m, exec.Command(bin), env); err != nil {
			l.stopGroup(group)
			return nil, nil, err
		}
		group.group = append(group.group, m)
	}
	defer l.stopGroup(group)

	if err := l.pairWarmUp(ctx, group, sc, people[l.opt.n:], warmUsers); err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(l.out, "%-10s kickbot×2 (Redis) …\n", sc.name)
	ackBase := len(fake.Acks())
	r := l.run(ctx, group, sc, cmds)
	for _, a := range fake.Acks()[ackBase:] {
		run.perSock[a.Socket]++
	}
	l.stopGroup(group)
	if p := fake.Problems(); len(p) > 0 {
		r.problem("fake Slack saw problems: %q", p)
	}
	return r, run, nil
}

// pairWarmUp kicks warmupPerConf spare participants through the replicas
// at once (the fake hands them out in turn), waits for their outcomes and
// records the group's goroutine baseline.
func (l *load) pairWarmUp(ctx context.Context, g *proc, sc scenario, spare []meetingtest.P, users []string) error {
	base := len(g.fake.Messages())
	var ids []string
	for i := range warmupPerConf {
		ids = append(ids, g.fake.SlashCommand(slackfake.Slash{Text: sc.conf + " " + spare[i].ID + " -- warm-up",
			UserID: users[i], ChannelID: loadChannel, ChannelName: "load"}))
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	accepted := 0
	for _, id := range ids {
		a, err := g.fake.WaitAck(wctx, id)
		if err != nil {
			return fmt.Errorf("two replicas' warm-up: %w (logs: %s)", err, g.logPaths())
		}
		if a.Payload == nil {
			accepted++
		}
	}
	seen := kicksShown(g.fake, base)
	if !pollUntil(wctx, 5*time.Millisecond, func() bool { return seen.count() >= accepted }) {
		return fmt.Errorf("two replicas' warm-up: %d of %d kicks reported in 30 s (logs: %s)", seen.count(), accepted, g.logPaths())
	}
	b, err := l.baseline(ctx, g)
	if err != nil {
		return err
	}
	g.baseline = b
	return nil
}

func (p *proc) logPaths() string {
	var out []string
	for _, m := range p.members() {
		out = append(out, m.logPath)
	}
	return strings.Join(out, ", ")
}

// stopGroup sends SIGTERM to every replica at once and waits for them all.
func (l *load) stopGroup(g *proc) {
	done := make(chan struct{})
	for _, m := range g.group {
		go func() { l.stop(m); done <- struct{}{} }()
	}
	for range g.group {
		<-done
	}
}

// reportPair prints how the two replicas were set up and stopped.
func (l *load) reportPair(run *pairRun) {
	if run == nil {
		return
	}
	w := l.out
	fmt.Fprintf(w, "\nkickbot×2: two kickbot processes on one app token sharing Redis (%s), the fake Slack handing envelopes to their sockets in turn; the burst's commands went %d to A and %d to B\n",
		run.redis, run.perSock[1], run.perSock[2])
	for _, m := range run.group.group {
		exit := "exit 0 on SIGTERM"
		if m.exitErr != nil {
			exit = "exit on SIGTERM: " + m.exitErr.Error()
		}
		fmt.Fprintf(w, "%-12s start→connected %s, %s\n", m.name, ms(m.connect), exit)
	}
	fmt.Fprintf(w, "kickbot×2 goroutine baseline %d (both replicas); peak RSS and CPU are the two replicas' sums\n", run.group.baseline)
}
