package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kickbot/kickbot/bot/slackfake"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// The watched scenario (issue 14) is the sequential one on a meeting that
// is watched through `/kick <id> watch` before anything is measured: its
// kicks resolve from the live roster and are confirmed by the remove event,
// so kickbot's CPU per kick does not grow with the meeting, and a warm kick
// is one hang-up call. Memory per watched 3,000-person meeting is measured
// after every scenario (watchMemory).

// bigWatches is how many 3,000-person meetings watchMemory watches: the RSS
// difference is divided among them, which evens out the runtime's
// allocation granularity and when it returns pages to the system (about
// ±3 MB from run to run: ±0.3 MB a meeting over ten, ±0.15 over twenty).
const bigWatches = 20

// bigConfBase numbers those meetings: 914200011, 914200012, …
const bigConfBase = 914200011

// hostRefreshEvery is how often a watch re-reads the host and co-hosts
// (realTimeInfo's confInfo) in the background: kickbot's default (the
// meeting package's WithHostRefresh).
const hostRefreshEvery = 30 * time.Second

// watchSeed finds the first realTimeInfo read naming conf: in the watched
// scenario, the one that starts the watch (the warm-up watches that meeting
// before it kicks anyone there). Zero if there is none.
func watchSeed(calls []meetingtest.Call, conf string) time.Time {
	for _, c := range calls {
		if c.ConferenceID == conf && c.Endpoint == meetingtest.EndpointRealTimeInfo {
			return c.At
		}
	}
	return time.Time{}
}

// isHostRefresh says whether c is the watch's periodic host refresh rather
// than a kick's roster read: a realTimeInfo read that arrives a whole
// number of refresh periods after the seed read, within the tolerance of a
// ticker (never early; late by the seed's reply and scheduling). Both reads
// look the same to the simulator, so their time tells them apart; a kick's
// read inside that second would be counted as the watch's.
func isHostRefresh(c meetingtest.Call, seed time.Time) bool {
	if seed.IsZero() || c.Endpoint != meetingtest.EndpointRealTimeInfo {
		return false
	}
	d := c.At.Sub(seed)
	k := (d + 50*time.Millisecond) / hostRefreshEvery
	if k < 1 {
		return false
	}
	off := d - k*hostRefreshEvery
	return off >= -50*time.Millisecond && off <= time.Second
}

// startWatch sends `/kick <conf> watch` as user and waits for kickbot's
// "watching" message in the channel. It fails if the message says live
// updates are not available: then nothing that follows measures a watch.
func (l *load) startWatch(ctx context.Context, kb *proc, conf, user string) error {
	base := len(kb.fake.Messages())
	id := kb.fake.SlashCommand(slackfake.Slash{Text: conf + " watch", UserID: user, ChannelID: loadChannel, ChannelName: "load"})
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	a, err := kb.fake.WaitAck(wctx, id)
	if err != nil {
		return fmt.Errorf("watch %s: %w", conf, err)
	}
	if a.Payload != nil {
		return fmt.Errorf("watch %s refused: %s", conf, ackSummary(a.Payload))
	}
	var text string
	if !pollUntil(wctx, 5*time.Millisecond, func() bool {
		for _, m := range kb.fake.MessagesSince(base) {
			if m.Method == "chat.postMessage" && m.Channel == loadChannel && m.ThreadTS == "" &&
				strings.Contains(m.Text, "is watching meeting "+conf) {
				text = strings.Join(m.Texts(), "\n")
				return true
			}
		}
		return false
	}) {
		return fmt.Errorf("watch %s: no \"watching\" message within 30 s (log: %s)", conf, kb.logPath)
	}
	if strings.Contains(text, "Live updates are not available") {
		return fmt.Errorf("watch %s: kickbot says live updates are not available (log: %s)", conf, kb.logPath)
	}
	return nil
}

// memResult is the memory a watch of a 3,000-person meeting costs kickbot.
type memResult struct {
	meetings         int
	rssBefore, rss   int64   // VmRSS before and after watching them, each after a GC
	heapBefore, heap float64 // live heap (go_memstats_heap_alloc_bytes just after that GC)
	problem          string
	perMeetingRSS    int64
	perMeetingHeap   float64
}

// watchMemory watches bigWatches 3,000-person meetings (host + 2,999) and
// reports kickbot's RSS and live heap, before and after, per meeting. Each
// reading follows a GC kickbot is asked for (/debug/pprof/heap?gc=1), so
// neither counts garbage that happened to be uncollected at the time; RSS
// still holds the GC's headroom (GOGC: up to as much again as the live
// heap) and pages not yet returned to the system.
// It runs after every scenario: the watches it starts stay, so a scenario
// after it would count their goroutines as a leak.
func (l *load) watchMemory(ctx context.Context, kb *proc, user string) *memResult {
	m := &memResult{meetings: bigWatches}
	confs := make([]string, bigWatches)
	for i := range confs {
		confs[i] = fmt.Sprint(bigConfBase + i)
		l.sim.AddConference(confs[i]).Subject("Load test big meeting").Scheduler(l.facts.UserID).Running().
			Host(meetingtest.P{Name: "Big Host", Phone: fmt.Sprintf("+861370001%04d", i)}).Participants(2999)
	}
	l.closeIdle(kb)
	var err error
	m.rssBefore, m.heapBefore, err = afterGC(ctx, kb)
	if err != nil {
		m.problem = err.Error()
		return m
	}
	for _, conf := range confs {
		if err := l.startWatch(ctx, kb, conf, user); err != nil {
			m.problem = err.Error()
			return m
		}
	}
	l.closeIdle(kb)
	m.rss, m.heap, err = afterGC(ctx, kb)
	if err != nil {
		m.problem = err.Error()
		return m
	}
	m.perMeetingRSS = (m.rss - m.rssBefore) / bigWatches
	m.perMeetingHeap = (m.heap - m.heapBefore) / bigWatches
	return m
}

// afterGC has kickbot collect its garbage, then reads its VmRSS and live
// heap.
func afterGC(ctx context.Context, kb *proc) (rss int64, heap float64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+kb.httpAddr+"/debug/pprof/heap?gc=1", nil)
	if err != nil {
		return 0, 0, err
	}
	resp, err := metricsClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("asking kickbot for a GC: %s (is KICK_PPROF set?)", resp.Status)
	}
	if rss, _, err = procMemory(kb.pid); err != nil {
		return 0, 0, err
	}
	heap, err = metricValue(ctx, kb.httpAddr, "go_memstats_heap_alloc_bytes")
	return rss, heap, err
}

// watchedTargets prints issue 14's targets for the watched scenario.
func (l *load) watchedTargets(find func(scen, proc string) *result, mem *memResult) {
	s := find("watched", "kickbot")
	if s == nil {
		return
	}
	w := newTargetWriter(l.out, "issue 14 targets (watched meeting):")
	own := percentile(s.ownWork, 0.5)
	w.line(fmt.Sprintf("watched: bot CPU per kick p50 ≤ 1 ms (%d→%d participants)", l.opt.participants+2, l.opt.participants+2-l.opt.n),
		ms(own)+floorCPU(find("watched", "floor")), len(s.ownWork) > 0 && own <= time.Millisecond)
	hang, rti := s.confCalls[meetingtest.EndpointHangUp], s.confCalls[meetingtest.EndpointRealTimeInfo]
	other := s.hostRefreshes
	for e, n := range s.confCalls {
		if e != meetingtest.EndpointHangUp && e != meetingtest.EndpointRealTimeInfo {
			other += n
		}
	}
	// Other calls naming the meeting (the host refresh every 30 s, a
	// socket token) are the watch's, not any kick's: shown, not counted.
	w.line("watched: meeting calls per warm kick = 1 (hang-up + roster reads)",
		fmt.Sprintf("%s (%d hang-up, %d realTimeInfo in %d kicks; %d background calls of the watch, %d of them host refreshes)",
			perKick(hang+rti, s.kicks), hang, rti, s.kicks, other, s.hostRefreshes),
		s.kicks > 0 && hang+rti == s.kicks)
	if mem != nil {
		if mem.problem != "" {
			w.line("memory per watched 3,000-person meeting ≤ 2 MB", "not measured: "+mem.problem, false)
		} else {
			w.line(fmt.Sprintf("memory per watched 3,000-person meeting ≤ 2 MB (RSS and live heap, each after a GC, with and without %d of them)", mem.meetings),
				fmt.Sprintf("%s RSS (%s → %s), %s live heap", mb(mem.perMeetingRSS), mb(mem.rssBefore), mb(mem.rss), mb(int64(mem.perMeetingHeap))),
				mem.perMeetingRSS <= 2<<20 && mem.perMeetingHeap <= 2<<20)
		}
	}
	w.flush()
	fmt.Fprintln(l.out, "  (the heap one watch keeps at rest, after two GCs: go test -bench WatchMemory3000 ./meeting)")
}

// targetWriter prints target lines with met / MISSED under a heading.
type targetWriter struct{ tw *tabwriter.Writer }

func newTargetWriter(out io.Writer, heading string) targetWriter {
	fmt.Fprintln(out, "\n"+heading)
	return targetWriter{tw: tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)}
}

func (w targetWriter) line(target, measured string, ok bool) {
	verdict := "met"
	if !ok {
		verdict = "MISSED"
	}
	fmt.Fprintf(w.tw, "  %s\t%s\t%s\n", target, measured, verdict)
}

func (w targetWriter) flush() { _ = w.tw.Flush() }
