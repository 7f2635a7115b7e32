// Command kickbot is a Slack app that lets meeting moderators disconnect
// participants from a running Huawei Cloud Meeting.
//
//	kickbot              run the bot (Socket Mode)
//	kickbot console      the same commands in a terminal against a simulator, no credentials needed
//	kickbot console --real  the same against the real meeting API, audited
//	kickbot version      print the version
//	kickbot healthcheck  probe a running bot's /healthz (for container HEALTHCHECK)
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time: -ldflags "-X main.version=…".
var version = "dev"

// Exit codes, documented in the README.
const (
	exitOK     = 0
	exitError  = 1 // the bot stopped with an error, or a health probe failed
	exitConfig = 2 // bad usage or configuration: nothing was started
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal the default handling is back, so a second
	// Ctrl-C or SIGTERM ends the process at once instead of waiting out the
	// drain (KICK_DRAIN_TIMEOUT).
	go func() { <-ctx.Done(); stop() }()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `kickbot — disconnect participants from Huawei Cloud Meetings from Slack.

Usage:
  kickbot [run]          run the bot over Slack Socket Mode (configured by environment variables)
  kickbot console        type /kick commands in a terminal against an embedded meeting simulator;
                         no Slack and no credentials needed
  kickbot console --real the same against the real meeting API (MEETING_*), every action audited
  kickbot version        print the version
  kickbot healthcheck    exit 0 if the bot on HTTP_ADDR answers /healthz, else 1
                         (0 as well when HTTP_ADDR is empty: the health server is off on purpose)
  kickbot help           this text (also -h, --help; "kickbot COMMAND --help" for one command)

Configuration is read from the environment; see .env.example and the README.
Exit codes: 0 ok, 1 runtime error or failed probe, 2 bad usage or configuration.
`

// run is main without the process: tests call it with their own streams.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	if wantsHelp(args) {
		cmd = "help:" + cmd
	} else if len(args) > 0 && (cmd == "run" || cmd == "version" || cmd == "--version" || cmd == "healthcheck") {
		// None takes arguments; ignoring one (a typo'd flag) would silently
		// do something other than what was asked.
		fmt.Fprintf(stderr, "kickbot %s: unexpected argument %q (configuration is read from the environment)\n\n%s", cmd, args[0], usage)
		return exitConfig
	}
	switch cmd {
	case "run":
		return runBot(ctx, stderr)
	case "console":
		return runConsole(ctx, args, stdin, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "kickbot", version)
		return exitOK
	case "healthcheck":
		return runHealthcheck(ctx, stdout, stderr)
	case "help", "-h", "--help", "help:help", "help:run", "help:version", "help:healthcheck":
		fmt.Fprint(stdout, usage)
		return exitOK
	case "help:console":
		fmt.Fprint(stdout, consoleUsage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "kickbot: unknown command %q\n\n%s", cmd, usage)
		return exitConfig
	}
}

func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "help" {
			return true
		}
	}
	return false
}
