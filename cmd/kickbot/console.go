package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/kickbot/kickbot/audit"
	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/config"
	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/meeting/meetingtest"
	"github.com/kickbot/kickbot/secret"
	"github.com/kickbot/kickbot/textui"
)

const consoleUsage = `kickbot console — the /kick command in a terminal.

Usage:
  kickbot console          against an embedded meeting simulator with a sample running meeting:
                           no credentials, nothing real is touched (MEETING_* settings are ignored)
  kickbot console --real   against the meeting API that MEETING_API_URL and the MEETING_*
                           credentials name: it acts on real meetings. KICK_CONFERENCES (the
                           meeting IDs listed in it), KICK_MAX_TARGETS and AUDIT_FILE apply, and
                           every action is audited as user "console:<your local user name>".

At the prompt:
  /kick <meeting ID>                           list the live participants, numbered
  /kick <meeting ID> <participant> … [-- reason]
                                               disconnect participants (ID, phone, or "Quoted Name")
  kick <row> [<row> …]                         disconnect rows of the last list (the list's buttons)
  /kick <meeting ID> lock [<duration>]         lock the meeting (host-password joiners still get in)
  /kick <meeting ID> unlock                    unlock it, and cancel its timer
  lock [<duration>], unlock                    the same for the meeting of the last list or kick
  /kick <meeting ID> watch                     print the meeting's joins and leaves as they happen
                                               (in the simulator, a scripted joiner enters the
                                               sample meeting soon after)
  /kick <meeting ID> unwatch                   stop; watch, unwatch: the meeting of the last list or kick
  help                                         this grammar
  quit                                         leave (or Ctrl-D)
Anything else is refused with a hint, and nothing runs. A command is at most 2,000 characters.
`

// consoleHelp is what "help" prints at the prompt: the words the console
// takes for the buttons it cannot show, then the /kick grammar.
const consoleHelp = `At this prompt:
  /kick <meeting ID>         list the live participants, numbered
  /kick <meeting ID> <participant> … [-- reason]
                             disconnect participants
  kick <row> [<row> …]       disconnect rows of the last list (instead of its Disconnect buttons)
  lock [<duration>], unlock  lock or unlock the meeting of the last list or kick (its buttons)
  admit <row>                admit a row of the last hold back from the waiting room (its Admit buttons)
  sweep                      disconnect every row of the last uninvited list (its "Disconnect all N")
  watch, unwatch             print the joins and leaves of the meeting of the last list or kick
                             as they happen, or stop
  help                       this text
  quit                       leave (or Ctrl-D)
Anything else is refused with a hint, and nothing runs. A command is at most 2,000 characters.
`

// maxConsoleLine is the longest line kept in full: far above a command's
// 2,000 characters (each up to 4 bytes), so a longer line is refused for
// its length without being held in memory.
const maxConsoleLine = 64 << 10

// terminalSession is what one session acts on and how it records it.
type terminalSession struct {
	svc        *commands.Service
	out        io.Writer
	audit      *audit.Logger // nil with the simulator: nothing real happens
	actor      string        // "console:<local user name>"
	maxTargets int
	maxSweep   int      // KICK_MAX_SWEEP: most rows one sweep disconnects
	allowed    []string // meeting IDs KICK_CONFERENCES lists; nil: any
	last       *meeting.Roster
	lastN      []meeting.Participant // the numbered rows of the last list
	sweepable  bool                  // the last list was /kick <id> uninvited: sweep may disconnect it
	lastConf   string                // the meeting of the last command, for lock/unlock
	locks      *commands.Locks
	lastHold   *commands.Outcome // the last hold, for admit <row>
	watches    *consoleWatches
}

func runConsole(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	useReal := false
	for _, a := range args {
		switch a {
		case "--real", "-real":
			useReal = true
		default:
			fmt.Fprintf(stderr, "kickbot console: unexpected argument %q\n\n%s", a, consoleUsage)
			return exitConfig
		}
	}
	stdout = &syncWriter{w: stdout} // auto-unlock timers print from their own goroutine
	d := config.Defaults()
	s := &terminalSession{out: stdout, actor: "console:" + localUserName(), maxTargets: d.MaxTargets, maxSweep: d.MaxSweep}
	var mcfg meeting.Config
	var sim *meetingtest.Server // nil with --real
	var sample string
	if useReal {
		cfg, err := config.ConsoleFromEnvironment()
		if err != nil {
			fmt.Fprintln(stderr, "kickbot console --real:", err)
			return exitConfig
		}
		if !cfg.MeetingConfigured() {
			fmt.Fprintln(stderr, "kickbot console --real: no meeting credentials: set MEETING_APP_ID and MEETING_APP_KEY (or MEETING_ACCOUNT and MEETING_PASSWORD); without --real the console uses its simulator")
			return exitConfig
		}
		log := newLogger(cfg.LogLevel, cfg.LogFormat, stderr)
		aud, err := audit.New(log, cfg.AuditFile)
		if err != nil {
			fmt.Fprintln(stderr, "kickbot console --real: AUDIT_FILE:", err)
			return exitConfig
		}
		defer aud.Close()
		s.audit, s.maxTargets, s.maxSweep = aud, cfg.MaxTargets, cfg.MaxSweep
		s.allowed = cfg.KickConferences.Conferences()
		mcfg = meetingConfig(cfg, log)
		// Said before the first action, so nobody acts on real meetings
		// unawares.
		fmt.Fprintf(stdout, "REAL MEETINGS: acting through the meeting API at %s.\nEvery action is audited as user %q", cfg.MeetingAPIURL, s.actor)
		if cfg.AuditFile != "" {
			fmt.Fprintf(stdout, " (log and %s)", cfg.AuditFile)
		}
		fmt.Fprintln(stdout, ".")
		if len(s.allowed) > 0 {
			fmt.Fprintf(stdout, "KICK_CONFERENCES allows only meeting IDs %s.\n", strings.Join(s.allowed, ", "))
		}
	} else {
		log := newLogger(os.Getenv("LOG_LEVEL"), "console", stderr)
		sim = meetingtest.NewServer()
		defer sim.Close()
		facts := sim.Sample()
		sample = facts.ConferenceID
		mcfg = meeting.Config{BaseURL: sim.URL(), AppID: facts.AppID, AppKey: secret.New(facts.AppKey), UserID: facts.UserID, Logger: log}
		fmt.Fprintf(stdout, "Using the embedded meeting simulator: no real meeting is touched (kickbot console --real acts on real ones).\n"+
			"Sample meeting %s is running. Try:\n  /kick %s\n  /kick %s \"Jane Doe\"\n  /kick %s +8613800000000 -- spamming\n  kick 3\n",
			facts.ConferenceID, facts.ConferenceID, facts.ConferenceID, facts.ConferenceID)
	}
	client, err := meeting.New(mcfg)
	if err != nil {
		fmt.Fprintln(stderr, "kickbot:", err)
		return exitConfig
	}
	defer client.CloseIdleConnections()
	s.svc = &commands.Service{Meeting: client}
	defer s.startLocks(client)()
	s.watches = newConsoleWatches(client, stdout, sim, sample)
	defer s.watches.close()
	fmt.Fprintln(stdout, `Type "help" for what you can type, "quit" to leave.`)

	in := newLineSource(stdin, stdout)
	defer in.close()
	// Lines are read on their own goroutine so that Ctrl-C or SIGTERM (ctx)
	// ends the session at the prompt: a blocked read used to hold it until
	// Enter. The reader prompts only when asked (want), so a prompt never
	// comes before the previous answer. It may stay blocked on stdin after
	// the session ends; the process exits anyway.
	want, lines, done := make(chan struct{}, 1), make(chan consoleLine), make(chan struct{})
	defer close(done)
	go readLines(in, want, lines, done)
	for {
		want <- struct{}{}
		var l consoleLine
		var ok bool
		select {
		case <-ctx.Done():
		case l, ok = <-lines:
		}
		if !ok || ctx.Err() != nil {
			fmt.Fprintln(stdout)
			return exitOK
		}
		if !s.handle(ctx, l) {
			return exitOK
		}
	}
}

// localUserName names the person at the terminal in audit lines.
func localUserName() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	for _, v := range []string{"USER", "USERNAME", "LOGNAME"} {
		if n := os.Getenv(v); n != "" {
			return n
		}
	}
	return "unknown"
}

// readLines reads a line from in each time want has a request and sends it
// to out, until EOF, a read error or done; then it closes out. A panic in
// the line editor ends the session like EOF.
func readLines(in lineSource, want <-chan struct{}, out chan<- consoleLine, done <-chan struct{}) {
	defer close(out)
	defer func() { _ = recover() }()
	for {
		select {
		case <-want:
		case <-done:
			return
		}
		l, err := in.next()
		if err != nil {
			return
		}
		select {
		case out <- l:
		case <-done:
			return
		}
	}
}

// handle runs one line and reports whether to keep going. Only the words
// listed by help run anything: a typo must never become a meeting ID.
func (s *terminalSession) handle(ctx context.Context, l consoleLine) bool {
	if l.dropped > 0 {
		fmt.Fprintf(s.out, "⚠️ That line is %d bytes long; a command is at most 2,000 characters. Nothing was done.\n", l.dropped+len(l.text))
		return true
	}
	line := strings.TrimSpace(l.text)
	word, rest := line, ""
	if i := strings.IndexFunc(line, unicode.IsSpace); i >= 0 {
		word, rest = line[:i], strings.TrimSpace(line[i:])
	}
	switch strings.ToLower(word) {
	case "":
	case "quit", "exit":
		return false
	case "help", "?":
		s.help()
	case "/kick":
		s.slash(ctx, rest)
	case "kick":
		s.kickRows(ctx, strings.Fields(rest))
	case "lock", "unlock":
		s.lockWord(ctx, strings.ToLower(word), strings.Fields(rest))
	case "admit":
		s.admitRow(ctx, strings.TrimSpace(rest))
	case "sweep":
		s.sweep(ctx)
	case "watch", "unwatch":
		s.watchWord(ctx, strings.ToLower(word))
	default:
		hint := `type /kick <meeting ID> to list a meeting, kick <row> to disconnect a row of that list, help or quit`
		if strings.HasPrefix(strings.ToLower(word), "/kick") {
			hint = `put a space after /kick: /kick <meeting ID> …`
		}
		fmt.Fprintf(s.out, "⚠️ Unknown command %s: %s. Nothing was done.\n", strconv.Quote(clipRunes(word, 40)), hint)
	}
	return true
}

func clipRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// help is the console's own words, then the Slack usage without its mrkdwn.
func (s *terminalSession) help() {
	fmt.Fprint(s.out, consoleHelp)
	fmt.Fprintln(s.out, textui.Usage())
}

// slash runs the text of a /kick command.
func (s *terminalSession) slash(ctx context.Context, text string) {
	req, err := commands.Parse(text, s.maxTargets)
	if err != nil {
		fmt.Fprintln(s.out, textui.InputError(err))
		s.record(audit.Entry{Action: "invalid", Outcome: "invalid_input", Reason: err.Error()})
		return
	}
	if req.Kind == commands.KindHelp {
		s.help()
		return
	}
	if !s.allows(req.Conference, req.Kind == commands.KindList) {
		return
	}
	s.lastConf = req.Conference
	switch req.Kind {
	case commands.KindLock, commands.KindUnlock:
		s.lock(ctx, req)
	case commands.KindList:
		start := time.Now()
		entry := audit.Entry{Action: "list", Conference: req.Conference}
		roster, err := s.svc.List(ctx, req.Conference)
		if err != nil {
			s.fail(entry, start, err)
			return
		}
		s.show(roster)
		s.finish(entry, start, "listed", nil, nil)
	case commands.KindKick:
		s.kick(ctx, commands.Kick{Actor: s.actor, Conference: req.Conference, Reason: req.Reason, Targets: req.Targets})
	case commands.KindHold:
		s.hold(ctx, commands.Kick{Actor: s.actor, Conference: req.Conference, Reason: req.Reason, Targets: req.Targets})
	case commands.KindUninvited:
		s.uninvited(ctx, req.Conference)
	case commands.KindWatch:
		s.watch(ctx, req.Conference)
	case commands.KindUnwatch:
		s.unwatch(req.Conference)
	default:
		fmt.Fprintln(s.out, "That action is not available in the console yet; nothing was done.")
	}
}

// allows applies KICK_CONFERENCES: outside the meeting IDs it lists nothing
// runs, and the refusal is audited like the bot's.
func (s *terminalSession) allows(conference string, list bool) bool {
	if len(s.allowed) == 0 || slices.Contains(s.allowed, conference) {
		return true
	}
	fmt.Fprintf(s.out, "⛔ Meeting %s is not one KICK_CONFERENCES allows (%s). Nothing was done.\n", conference, strings.Join(s.allowed, ", "))
	action := "kick"
	if list {
		action = "list"
	}
	s.record(audit.Entry{Action: "denied", Conference: conference, Reason: action + ": meeting not in KICK_CONFERENCES", Outcome: commands.DeniedConference})
	return false
}

func (s *terminalSession) show(r *meeting.Roster) {
	s.last = r
	s.lastN = commands.NumberedRows(r)
	s.sweepable = false
	fmt.Fprintln(s.out, textui.Roster(r, textui.RosterOptions{}))
}

// kickRows disconnects rows of the last list by number.
func (s *terminalSession) kickRows(ctx context.Context, rows []string) {
	if s.last == nil {
		fmt.Fprintln(s.out, "No list yet: run /kick <meeting ID> first. Nothing was done.")
		return
	}
	if len(rows) == 0 {
		fmt.Fprintln(s.out, "Which rows? Type kick <row> [<row> …], e.g. kick 3. Nothing was done.")
		return
	}
	var targets []commands.Target
	for _, r := range rows {
		n, err := strconv.Atoi(strings.TrimSuffix(r, ","))
		if err != nil || n < 1 || n > len(s.lastN) {
			fmt.Fprintf(s.out, "%s is not a row number of the last list (1–%d). Nothing was done.\n", strconv.Quote(clipRunes(r, 40)), len(s.lastN))
			return
		}
		targets = append(targets, commands.Target{Kind: commands.TargetID, Value: s.lastN[n-1].ID})
	}
	s.kick(ctx, commands.Kick{Actor: s.actor, Conference: s.last.ConferenceID, Targets: targets})
}

func (s *terminalSession) kick(ctx context.Context, k commands.Kick) { s.kickAs(ctx, "kick", k) }

// kickAs is kick audited as action ("sweep" for Disconnect all).
func (s *terminalSession) kickAs(ctx context.Context, action string, k commands.Kick) {
	start := time.Now()
	entry := audit.Entry{Action: action, Conference: k.Conference, Targets: targetStrings(k.Targets), Reason: k.Reason}
	_, res, o, err := s.svc.Kick(ctx, k, nil) // the use case the bot's /kick and clicks call
	if err != nil {
		s.fail(entry, start, err)
		return
	}
	if len(res.Ambiguous) > 0 {
		fmt.Fprintln(s.out, textui.Ambiguous(k, res.Ambiguous))
		s.finish(entry, start, "ambiguous", nil, nil)
		return
	}
	s.nameLeavers(&o)
	fmt.Fprintln(s.out, textui.Outcome(o))
	s.finish(entry, start, o.Status.String(), o.RequestIDs, o.Err)
}

// nameLeavers names, from the last list, a row that was no longer in the
// meeting: the person typed a row of that list, not an ID.
func (s *terminalSession) nameLeavers(o *commands.Outcome) {
	for i, t := range o.Targets {
		if t.Participant != nil || t.Target.Kind != commands.TargetID {
			continue
		}
		for _, p := range s.lastN {
			if p.ID == t.Target.Value {
				o.Targets[i].Participant = &p
				break
			}
		}
	}
}

// finish audits e as outcome: with its duration since start, Huawei's
// request IDs, and the kind of a meeting failure (err, nil for none).
func (s *terminalSession) finish(e audit.Entry, start time.Time, outcome string, requestIDs []string, err error) {
	e.Outcome, e.Duration = outcome, time.Since(start)
	if len(requestIDs) > 0 {
		e.RequestIDs = requestIDs
	}
	if err != nil {
		e.ErrorKind = meeting.KindOf(err).String()
	}
	s.record(e)
}

// fail prints a failure before anything was done, and audits it.
func (s *terminalSession) fail(e audit.Entry, start time.Time, err error) {
	fmt.Fprintln(s.out, textui.Failure(commands.Kick{Actor: s.actor, Conference: e.Conference}, err))
	s.finish(e, start, "failed", nil, err)
}

// record audits e with the session's actor, when the session acts on real
// meetings.
func (s *terminalSession) record(e audit.Entry) {
	if s.audit == nil {
		return
	}
	e.User = s.actor
	s.audit.Record(e)
}

func targetStrings(ts []commands.Target) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.String()
	}
	return out
}
