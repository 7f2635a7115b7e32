#!/usr/bin/env bash
# Regenerates BENCHMARKS.md from the checked-out commit. Everything in the
# document is printed by this script: its prose is below, and every figure
# is the output of a command it runs, shown after "$ " with its exit status.
# Nothing is added by hand afterwards.
#
#   scripts/benchmarks.sh                 # writes BENCHMARKS.md (takes a few minutes)
#   scripts/benchmarks.sh /tmp/bench.md   # somewhere else
#   KICKLOAD_ARGS="-n 100" scripts/benchmarks.sh /tmp/quick.md   # a quick try
#
# Linux only (kickload reads /proc). Run it on a quiet machine if you can:
# the load average is printed around every run because it moves the figures.
set -uo pipefail
cd "$(dirname "$0")/.."

out="${1:-BENCHMARKS.md}"
kickload_args="${KICKLOAD_ARGS:-}"
# The commit before kicks for one meeting were batched (issue 17): its
# binary is measured beside HEAD's in the same run.
before_rev="${BEFORE_REV:-57be04a}"
before_sizes="${BEFORE_SIZES:-200 1000}"
# The commit before watched kicks borrowed the live roster and a parent
# waited for its outcome (issue 14): measured beside HEAD on a watched
# meeting.
watched_before_rev="${WATCHED_BEFORE_REV:-6f493e3}"
bench_pkgs="./commands ./meeting ./bot"
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT

# run shows a command, its output (stdout and stderr) and its exit status.
run() {
  printf '$ %s\n' "$*"
  bash -c "$*" 2>&1
  printf '(exit status %d)\n' "$?"
}

# build_before builds kickbot as it was at $before_rev (or $2) into $1.
build_before() {
  local dir
  dir="$(mktemp -d)"
  git archive "${2:-$before_rev}" | tar -x -C "$dir" && (cd "$dir" && CGO_ENABLED=0 go build -trimpath -o "$1" ./cmd/kickbot)
  local rc=$?
  rm -rf "$dir"
  return $rc
}
bindir="$(mktemp -d)"
trap 'rm -f "$tmp"; rm -rf "$bindir"' EXIT
export BEFORE_REV="$before_rev"

commit="$(git rev-parse --short HEAD)"
if [ -n "$(git status --porcelain -- ':!'"$out")" ]; then
  commit="$commit with uncommitted changes"
  echo "warning: the working tree has uncommitted changes; the document will say so" >&2
fi

{
cat <<TEXT
# Benchmarks

kickbot's speed and cost, measured by commands in this repository (issues 5 and 7).
**This file is generated**: \`scripts/benchmarks.sh\` wrote all of it at commit \`$commit\`.
Each block shows the commands the script ran (after \`\$ \`), their output as printed, and the
exit status. Re-run the script to get your own machine's figures; earlier figures and the
before/after measurements of past optimisations are in this file's git history.

## Machine

\`\`\`
$(run 'nproc; grep -m1 "model name" /proc/cpuinfo; grep MemTotal /proc/meminfo; uname -srm; go version; date -u; uptime')
\`\`\`

The fakes (Slack and the meeting simulator) run inside \`kickload\`, on the same cores as the bot
under test, as issue 7 asks. Other work on the machine (see the load average printed around each
run) slows every figure: runs in this file's history measured the same benchmark 2–3× slower under load.

## How to run each measurement

| Measurement | Command |
|---|---|
| Hot-path benchmarks (grammar, policy, resolution of 3,000, Block Kit page of 3,000, kick use case warm against the simulator, roster decoding, one /kick end to end in process) | \`go test -bench . -benchmem -run '^\$' $bench_pkgs\` |
| End-to-end load against the real binary, with the floor, every scenario and the issue 7 targets | \`go run ./cmd/kickload\` |
| One scenario only (\`sequential\`, \`burst\`, \`steady\`, \`small\`, \`watched\`) | \`go run ./cmd/kickload -mode burst\` (also \`-n 2000\`, \`-rate 300\`, \`-bin ./kickbot\`) |
| The burst against two replicas sharing Redis, beside one in-memory replica | \`go run ./cmd/kickload -mode burst -replicas 2\` (needs \`redis-server\` on PATH, or \`REDIS_URL\`) |
| A CPU profile of a kick | \`go test -bench 'SlashKick/roster_1000' -run '^\$' -cpuprofile cpu.out ./bot && go tool pprof -top -cum bot.test cpu.out\` |
| A CPU profile of the real binary under load | \`go run ./cmd/kickload -mode watched -n 3000 -env KICK_PPROF=1\`, and meanwhile \`go tool pprof http://<kickbot's HTTP_ADDR>/debug/pprof/profile?seconds=5\` (the address is in \`ss -ltnp\` beside kickbot's pid) |
| This whole document | \`scripts/benchmarks.sh\` |

\`go run ./cmd/kickload\` exits 1 if a promise of issue 5 is broken (a command not acked, acked
twice or after 3 s; an accepted command with no outcome or two; a participant ID the meeting
should not have received, or received twice; kickbot's goroutines not back to their baseline
within 60 s of a scenario, counted with idle keep-alive connections closed; kickbot not exiting 0
on SIGTERM), 2 if it could not set up, 0 otherwise. Missed performance targets are reported as
MISSED, not as a failure. \`go test ./cmd/kickload\` runs the whole tool on 30 commands per
scenario.

### What kickload does and how it measures

In one process, it starts \`bot/slackfake\` (Socket Mode + Web API) and \`meeting/meetingtest\` with
one meeting per scenario (host, co-host and \`n+100\` generated participants, all distinct), builds
\`./cmd/kickbot\` (or takes \`-bin\`) and runs it as a child process configured only through its
environment (the log going to a file). Commands are spread over moderators, 20 each, so kickbot's
default limit of 30 commands per user per minute is kept, not raised. Each command disconnects
one participant, named by ID, by quoted name or by phone in turn, and carries a tag in its reason
so its messages can be found. Before anything is measured, a warm-up kicks 8 spare participants
of every meeting at once, so token caches are warm.

Scenarios, \`-n\` commands each (1,000 by default):

- **sequential**: one at a time on an idle bot — the next is sent once the previous one's last
  message (the ops notice) is posted. The meeting shrinks as people are kicked.
- **burst**: all queued at once.
- **steady**: 200 per second.
- **small**: like sequential, but the meeting holds only 10 people (each target joins just before
  its command), the size of the sample meeting — kickbot's own cost apart from roster size.
- **watched**: like sequential, on its own meeting of the same size (1,100 people by default),
  which the warm-up watches through \`/kick <id> watch\` (it fails to set up unless kickbot's
  "watching" message says updates are live), so every kick resolves from the live roster and is
  confirmed by the remove event. Its issue 14 targets: bot CPU per kick p50 ≤ 1 ms, and meeting
  calls per warm kick = 1 (the hang-up and roster reads naming the meeting, ÷ kicks; the watch's
  own background calls, such as the host refresh every 30 s, are shown apart). After every
  scenario it then watches twenty 3,000-person meetings and reports **memory per watched
  meeting**: kickbot's VmRSS and live heap after their "watching" messages minus before, ÷ 20,
  each read just after a GC kickbot is asked for (target ≤ 2 MB, both). RSS still holds the Go
  runtime's headroom (GOGC=100 lets the heap grow to twice what is live) and pages not yet given
  back to the system, so it is what an operator pays, an upper bound of what a watch keeps; the
  live heap is what the watches keep. The heap one watch keeps, in a test process, is
  \`go test -bench WatchMemory3000 ./meeting\` (\`heap-B/watch\`; the simulator's side of the
  socket is in that heap too). Every
  kick starts a watch, so the other scenarios' meetings are watched too from the warm-up on;
  the watched scenario is the one that waits for its watch to be live before measuring.
- **raid**: fifteen \`/kick\`s from three moderators within three seconds, against a fake Slack
  that **enforces Slack's posting limits** (about one \`chat.postMessage\` a second per channel
  after a burst of 3, \`chat.update\` at Tier 3), with kickbot's default pacing, in a kickbot
  process of its own. It reports command → disconnect call and command → outcome visible, the
  429s Slack gave and the calls made while a Retry-After was running (target 0). Its floor is
  Slack's own pace: fifteen separate outcomes of two messages each would need about 27 s.

The other scenarios measure kickbot's own work, so their fake Slack is lenient and kickbot runs
with \`KICK_SLACK_PACING=off\`.

The **floor** (\`kickload floor\`, the tool re-executing itself) is a program that connects with
slack-go's socketmode client, acks every envelope bare, and then makes the Web API calls of a
kick's outcome with one-line texts and nothing else: the parent, the reply in its thread, the ops
notice (three \`chat.postMessage\`) and one more round trip standing for the meeting's hang-up
(\`auth.test\`). It gets the same commands, from its own fake Slack, in the same run; kickbot's
ack latencies are shown as ratios to its, and its CPU per command beside kickbot's: what this
machine charges for the traffic of a kick before any of kickbot's own work.

| Figure | Source |
|---|---|
| ack latency | fake Slack: ack frame received − envelope written to the socket (\`slackfake.Ack.Latency\`) |
| envelope→outcome | the thread reply's arrival at the fake − the envelope's write |
| lost / doubled / not done | the thread reply carrying each accepted command's tag (exactly 1, saying "Disconnected 1 participant"; when Slack backs up, several commands' outcomes share one reply) |
| command → disconnect call | the hang-up call's arrival at the simulator − the envelope's write |
| hang-up IDs | \`meetingtest.HangUpIDs\`: every pid the meeting was asked to disconnect, compared with the commands' targets |
| meeting calls per kick | \`meetingtest.CallCount\` per endpoint during the scenario ÷ participants kicked |
| meeting calls per warm kick (watched) | \`meetingtest.Calls\` during the scenario whose \`conferenceID\` is the scenario's meeting: hang-up + realTimeInfo ÷ participants kicked; the watch's host refresh (a realTimeInfo read every 30 s after the one that started the watch, told apart by its time) is shown apart |
| memory per watched 3,000-person meeting | VmRSS (\`/proc/<pid>/status\`) and \`go_memstats_heap_alloc_bytes\`, each just after a GC (\`/debug/pprof/heap?gc=1\`; kickload runs kickbot with \`KICK_PPROF=1\`), after watching twenty of them − before, ÷ 20 |
| bot CPU per command (seq.) | sum of \`/proc/<pid>/task/*/schedstat\` (ns) between two consecutive commands: all CPU kickbot spent on one kick, user and kernel |
| bot idle CPU per kick's wall time | the same sum over 1 s of doing nothing just before the sequential commands, per wall second, × the p50 wall time between two samples: what kickbot's background work (timers, Socket Mode pings, a watch's heartbeats) adds to one kick's figure. It is shown, not subtracted: about 1 µs of a kick's 2–3 ms |
| Slack calls per kick | the fake Slack's count of each Web API method (and of \`response_url\` answers) during the scenario ÷ participants kicked |
| CPU seconds, user + system | \`/proc/<pid>/stat\` utime and stime (10 ms ticks) over the scenario |
| peak RSS | \`/proc/<pid>/status\` VmHWM, reset before each scenario by writing 5 to \`/proc/<pid>/clear_refs\` |
| idle RSS | VmRSS 1 s after connecting, before any command |
| goroutines | \`go_goroutines\` from kickbot's \`/metrics\`: before the scenario, and after it with the fakes' idle keep-alive connections closed (two goroutines each in kickbot, and how many a pool keeps is timing) |
| start→connected | \`exec\` of the process → the fake Slack has written \`hello\` on its first socket |

## Figures

### Benchmarks

\`\`\`
$(run uptime)
$(run "go test -bench . -benchmem -run '^\$' $bench_pkgs")
$(run uptime)
\`\`\`

### Load test, with the issue 7 targets and the raid

\`\`\`
$(run uptime)
$(run "go run ./cmd/kickload $kickload_args")
$(run uptime)
\`\`\`

### Two replicas with Redis

\`-replicas 2\` (issue 15) runs the burst a second time against two kickbot processes on one app
token, sharing one Redis: a \`redis-server\` kickload starts on a free loopback port (no
persistence), or the server \`REDIS_URL\` names. The fake Slack hands each envelope to one of the
two sockets in turn, as Slack spreads envelopes over an app's connections, so each replica takes
half of the burst; the two kick in a meeting of their own (the same size as the single replica's)
after a warm-up of their own. The column \`kickbot×2 (Redis)\` stands beside the single in-memory \`kickbot\` of the same
run: ack latency, command → outcome and the promises (nothing lost, nothing doubled, each
participant disconnected once). Its CPU and peak RSS are the two replicas' sums, its goroutines
their sum, back to their own idle baseline.

\`\`\`
$(run uptime)
$(run "go run ./cmd/kickload -mode burst -replicas 2 $kickload_args")
$(run uptime)
\`\`\`

### Before and after: kicks for one meeting carried out together (issue 17)

The same load tool drives kickbot as it was at \`$before_rev\` (one roster read, one hang-up and one
confirming read per command; 8 workers) and as it is now, back to back in this run: the burst
(all commands at once, one meeting) and lone kicks (sequential).

\`\`\`
$(run "true # building kickbot at $before_rev and at HEAD"; build_before "$bindir/kickbot-before" && CGO_ENABLED=0 go build -trimpath -o "$bindir/kickbot-after" ./cmd/kickbot && echo built)
$(for n in $before_sizes; do
    run uptime
    run "go run ./cmd/kickload -mode sequential,burst -floor=false -n $n -bin $bindir/kickbot-before"
    run "go run ./cmd/kickload -mode sequential,burst -floor=false -n $n -bin $bindir/kickbot-after"
  done)
\`\`\`
\`\`\`

### A watched kick's CPU, before and after, beside the floor (issue 14)

Issue 14's target is kickbot CPU per watched kick p50 ≤ 1 ms. The floor in these runs makes the
Web API calls a kick's outcome needs and nothing else (three \`chat.postMessage\` and one more
round trip standing for the hang-up, after the ack): what this machine charges for a kick's
traffic before any of kickbot's own work. kickbot is measured as it was at
\`$watched_before_rev\` (the roster handed out to every kick and copied by the frame that
removes the kicked participant; "⏳" posted, then updated) and as it is now, alternately, twice.

\`\`\`
$(run "true # building kickbot at $watched_before_rev"; build_before "$bindir/kickbot-watched-before" "$watched_before_rev" && echo built)
$(for i in 1 2; do
    run uptime
    run "go run ./cmd/kickload -mode watched -bin $bindir/kickbot-watched-before $kickload_args 2>&1 | grep -E '^ +floor +kickbot|bot CPU per command p50|Slack chat|memory per watched|watched: bot CPU'"
    run "go run ./cmd/kickload -mode watched -bin $bindir/kickbot-after $kickload_args 2>&1 | grep -E '^ +floor +kickbot|bot CPU per command p50|Slack chat|memory per watched|watched: bot CPU'"
  done)
\`\`\`

### The same on one P (GOMAXPROCS=1)

With one P the Go runtime hands work between fewer threads, so every process here spends less
CPU on each wake-up. kickbot does not set GOMAXPROCS itself (nor does its Kubernetes manifest
set a CPU limit, which Go would follow), so this is not how it runs by default: it shows what is
left of the floor and of kickbot when the runtime's share shrinks. Both kickload (and with it the
floor) and kickbot run with \`GOMAXPROCS=1\`, twice.

\`\`\`
$(for i in 1 2; do
    run uptime
    run "GOMAXPROCS=1 go run ./cmd/kickload -mode watched -bin $bindir/kickbot-after -env GOMAXPROCS=1 $kickload_args 2>&1 | grep -E '^ +floor +kickbot|bot CPU per command p50|watched: bot CPU'"
  done)
\`\`\`
TEXT
} > "$tmp"
chmod 0644 "$tmp" # mktemp makes it private; the document is not
mv "$tmp" "$out"
trap - EXIT
echo "wrote $out" >&2
