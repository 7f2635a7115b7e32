package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/config"
	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/meeting/meetingtest"
	"github.com/kickbot/kickbot/secret"
)

const consoleUsage = `kickbot console — the /kick command in a terminal.

With no MEETING_* credentials set, it starts an embedded meeting simulator with a sample running
meeting, so it works on any machine. With MEETING_APP_ID/MEETING_APP_KEY (or MEETING_ACCOUNT/
MEETING_PASSWORD) set, it talks to the real meeting API at MEETING_API_URL.

At the prompt:
  /kick <conference>                           list the live participants, numbered
  /kick <conference> <target> … [-- reason]    disconnect participants (ID, phone, or "Quoted Name")
  kick <n> [<n> …]                             disconnect participants by their number in the last list
  help                                         the /kick grammar
  quit                                         leave (or Ctrl-D)
`

// consoleActor stands for the person at the terminal in messages and logs.
const consoleActor = "console"

// console is one terminal session: the commands core, the last list shown,
// and where to write.
type console struct {
	svc   *commands.Service
	out   io.Writer
	last  *meeting.Roster
	lastN []meeting.Participant // the numbered rows of the last list
}

func runConsole(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, err := config.ConsoleFromEnvironment()
	if err != nil {
		fmt.Fprintln(stderr, "kickbot:", err)
		return exitConfig
	}
	log := newLogger(cfg.LogLevel, "console", stderr)

	var mcfg meeting.Config
	if cfg.MeetingConfigured() {
		mcfg = meetingConfig(cfg, log)
		fmt.Fprintf(stdout, "Using the meeting API at %s.\n", cfg.MeetingAPIURL)
	} else {
		sim := meetingtest.NewServer()
		defer sim.Close()
		facts := sim.Sample()
		mcfg = meeting.Config{BaseURL: sim.URL(), AppID: facts.AppID, AppKey: secret.New(facts.AppKey), UserID: facts.UserID, Logger: log}
		fmt.Fprintf(stdout, "No MEETING_* credentials set: using the embedded meeting simulator.\n"+
			"Sample meeting %s is running. Try:\n  /kick %s\n  /kick %s \"Jane Doe\"\n  /kick %s +8613800000000 -- spamming\n  kick 3\n",
			facts.ConferenceID, facts.ConferenceID, facts.ConferenceID, facts.ConferenceID)
	}
	client, err := meeting.New(mcfg)
	if err != nil {
		fmt.Fprintln(stderr, "kickbot:", err)
		return exitConfig
	}
	c := &console{svc: &commands.Service{Meeting: client}, out: stdout}
	fmt.Fprintln(stdout, `Type "help" for the grammar, "quit" to leave.`)

	// Lines are read on their own goroutine so that Ctrl-C (ctx) ends the
	// session at the prompt: a blocked Scan used to hold it until Enter. The
	// reader stays blocked on stdin until EOF; the process exits anyway.
	lines, done := make(chan string), make(chan struct{})
	defer close(done)
	go readLines(stdin, lines, done)
	for {
		fmt.Fprint(stdout, "kickbot> ")
		var line string
		var ok bool
		select {
		case <-ctx.Done():
		case line, ok = <-lines:
		}
		if !ok || ctx.Err() != nil {
			fmt.Fprintln(stdout)
			return exitOK
		}
		if !c.handle(ctx, strings.TrimSpace(line)) {
			return exitOK
		}
	}
}

// readLines sends each line of r to out until EOF, a read error (a line
// longer than 64 KiB included) or done, then closes out.
func readLines(r io.Reader, out chan<- string, done <-chan struct{}) {
	defer close(out)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64*1024)
	for sc.Scan() {
		select {
		case out <- sc.Text():
		case <-done:
			return
		}
	}
}

// handle runs one line and reports whether to keep going.
func (c *console) handle(ctx context.Context, line string) bool {
	switch {
	case line == "":
	case line == "quit" || line == "exit":
		return false
	case line == "help" || line == "?":
		c.help()
	case strings.HasPrefix(line, "kick ") && !strings.HasPrefix(line, "kick /"):
		c.kickNumbers(ctx, strings.Fields(line)[1:])
	default:
		text := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(line, "/kick"), "kick"))
		c.slash(ctx, text)
	}
	return true
}

// help is the Slack usage without its mrkdwn, plus what differs here: no
// buttons, rows are kicked by number.
func (c *console) help() {
	fmt.Fprintln(c.out, strings.ReplaceAll(commands.Usage(), "`", ""))
	fmt.Fprintln(c.out, "In this console there are no buttons: after /kick MEETING, type kick N (or kick N M …) to disconnect rows of that list. quit leaves.")
}

// slash runs the text of a /kick command.
func (c *console) slash(ctx context.Context, text string) {
	req, err := commands.Parse(text, commands.DefaultMaxTargets)
	if err != nil {
		fmt.Fprintln(c.out, commands.RenderInputError(err).Text)
		return
	}
	switch req.Kind {
	case commands.KindHelp:
		c.help()
	case commands.KindList:
		roster, err := c.svc.Meeting.Roster(ctx, req.Conference)
		if err != nil {
			fmt.Fprintln(c.out, commands.UserMessage(err))
			return
		}
		c.show(roster)
	case commands.KindKick:
		c.kick(ctx, commands.Kick{Actor: consoleActor, Conference: req.Conference, Reason: req.Reason, Targets: req.Targets})
	}
}

func (c *console) show(r *meeting.Roster) {
	c.last = r
	c.lastN = commands.NumberedRows(r)
	fmt.Fprintln(c.out, commands.RenderRosterText(r, commands.ListOptions{}))
}

// kickNumbers disconnects rows of the last list by number.
func (c *console) kickNumbers(ctx context.Context, nums []string) {
	if c.last == nil {
		fmt.Fprintln(c.out, "No list yet: run /kick <conference> first.")
		return
	}
	var targets []commands.Target
	for _, s := range nums {
		n, err := strconv.Atoi(strings.TrimSuffix(s, ","))
		if err != nil || n < 1 || n > len(c.lastN) {
			fmt.Fprintf(c.out, "%q is not a row number of the last list (1–%d). Nothing was done.\n", s, len(c.lastN))
			return
		}
		targets = append(targets, commands.Target{Kind: commands.TargetID, Value: c.lastN[n-1].ID})
	}
	c.kick(ctx, commands.Kick{Actor: consoleActor, Conference: c.last.ConferenceID, Targets: targets})
}

func (c *console) kick(ctx context.Context, k commands.Kick) {
	roster, res, err := c.svc.Plan(ctx, k)
	if err != nil {
		fmt.Fprintln(c.out, commands.UserMessage(err))
		return
	}
	if len(res.Ambiguous) > 0 {
		fmt.Fprintln(c.out, commands.RenderAmbiguousText(k, res.Ambiguous))
		return
	}
	o := c.svc.Execute(ctx, k, roster, res)
	fmt.Fprintln(c.out, commands.RenderOutcomeText(o))
}
