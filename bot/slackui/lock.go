package slackui

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/kickbot/kickbot/commands"
)

// Action IDs of the Lock meeting and Unlock buttons. Their value is an
// encoded LockValue.
const (
	ActionLock   = "kickbot_lock"
	ActionUnlock = "kickbot_unlock"
)

const lockValueTag = "l1" // format version

// LockValue is what a Lock meeting or Unlock button carries: the meeting,
// and for Lock how long. Like ButtonValue it comes back from a client
// kickbot does not control: decoded strictly, then re-authorized.
type LockValue struct {
	Conference string
	Duration   time.Duration // Lock only: whole seconds within the lock's limits
}

var errLockValue = errors.New("invalid lock button value")

// EncodeLockValue packs v as "l1|conference|seconds".
func EncodeLockValue(v LockValue) string {
	return lockValueTag + "|" + v.Conference + "|" + strconv.FormatInt(int64(v.Duration/time.Second), 10)
}

// ParseLockAction validates a click on a Lock meeting or Unlock button. It
// accepts only the exact encoding EncodeLockValue produces, with a valid
// meeting ID, and a duration only on Lock (within the lock's limits).
func ParseLockAction(actionID, value string) (LockValue, error) {
	if actionID != ActionLock && actionID != ActionUnlock || len(value) > 100 {
		return LockValue{}, errLockValue
	}
	f := strings.Split(value, "|")
	if len(f) != 3 || f[0] != lockValueTag || !commands.ValidConference(f[1]) {
		return LockValue{}, errLockValue
	}
	secs, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil || secs < 0 || secs > int64(commands.MaxLockDuration/time.Second) {
		return LockValue{}, errLockValue
	}
	v := LockValue{Conference: f[1], Duration: time.Duration(secs) * time.Second}
	switch {
	case EncodeLockValue(v) != value,
		actionID == ActionUnlock && v.Duration != 0,
		actionID == ActionLock && v.Duration != 0 && v.Duration < commands.MinLockDuration:
		return LockValue{}, errLockValue
	}
	return v, nil
}

// LockButtons is the actions block offered under an outcome: Lock meeting
// (for d; 0 = until unlocked) and, when kickbot knows the meeting is
// locked, Unlock.
func LockButtons(conference string, d time.Duration, locked bool) slack.Block {
	if !commands.ValidConference(conference) {
		return nil
	}
	label := "Lock meeting"
	if d > 0 {
		label += " for " + commands.FormatDuration(d)
	}
	lock := slack.NewButtonBlockElement(ActionLock, EncodeLockValue(LockValue{Conference: conference, Duration: d}), plainText(label))
	els := []slack.BlockElement{lock}
	if locked {
		els = append(els, slack.NewButtonBlockElement(ActionUnlock, EncodeLockValue(LockValue{Conference: conference}), plainText("Unlock")))
	}
	return slack.NewActionBlock("", els...)
}

// WithLockButtons adds LockButtons to m when Slack's block limit leaves
// room for them.
func WithLockButtons(m Message, conference string, d time.Duration, locked bool) Message {
	if len(m.Blocks) >= MaxBlocks {
		return m
	}
	bs := append(m.Blocks[:len(m.Blocks):len(m.Blocks)], LockButtons(conference, d, locked))
	if bs[len(bs)-1] == nil {
		return m
	}
	return Message{Text: m.Text, Blocks: bs}
}

// slackTime shows t in the reader's own time zone, with UTC as fallback.
func slackTime(t time.Time) string {
	return "<!date^" + strconv.FormatInt(t.Unix(), 10) + "^{time}|" + t.UTC().Format("15:04 UTC") + ">"
}

// RenderLockStarted is the parent while the lock or unlock call runs.
func RenderLockStarted(r commands.LockRequest) Message {
	line := commands.LockStarted(r, mrkdwnMarkup{})
	return Message{Text: line, Blocks: []slack.Block{section(line)}}
}

// RenderLockOutcome is the thread reply. A lock that is in place carries an
// Unlock button.
func RenderLockOutcome(o commands.LockOutcome) Message {
	line := commands.LockSummary(o, mrkdwnMarkup{}, slackTime)
	blocks := []slack.Block{section(line)}
	var by string
	if o.Request.Actor != "" && !o.Auto {
		by = "Requested by " + userMention(o.Request.Actor)
	}
	blocks = appendBlocks(blocks, contextBlock(by, requestIDPart(nonEmpty(o.RequestID))))
	if o.Request.Lock && o.Status == commands.LockDone && !o.Auto {
		blocks = appendBlocks(blocks, unlockButton(o.Request.Conference))
	}
	return Message{Text: line, Blocks: blocks}
}

func unlockButton(conference string) slack.Block {
	if !commands.ValidConference(conference) {
		return nil
	}
	return slack.NewActionBlock("", slack.NewButtonBlockElement(ActionUnlock,
		EncodeLockValue(LockValue{Conference: conference}), plainText("Unlock")))
}

// RenderLockParent is the parent's final text.
func RenderLockParent(o commands.LockOutcome) Message {
	line := commands.LockHeadline(o, mrkdwnMarkup{}, slackTime)
	return Message{Text: line, Blocks: []slack.Block{section(line)}}
}

// RenderLockOpsNotice tells the ops channel who locked or unlocked what,
// with a link to the thread.
func RenderLockOpsNotice(o commands.LockOutcome, permalink string) Message {
	line := commands.LockHeadline(o, mrkdwnMarkup{}, slackTime)
	if o.Request.Channel != "" {
		line += " (in " + channelMention(o.Request.Channel) + ")"
	}
	if o.Status == commands.LockFailed {
		line += " " + escapeText(o.UserMessage)
	}
	if link := threadLink(permalink); link != "" {
		line += " " + link
	}
	return Message{Text: line, Blocks: appendBlocks([]slack.Block{section(line)}, contextBlock(requestIDPart(nonEmpty(o.RequestID))))}
}

// RenderLockAlready answers a Lock click on a meeting kickbot already
// locked, privately.
func RenderLockAlready(o commands.LockOutcome) Message {
	line := commands.LockSummary(o, mrkdwnMarkup{}, slackTime)
	return Message{Text: line, Blocks: []slack.Block{section(line)}}
}

// RenderPendingLocks is the one ops notice at shutdown naming the meetings
// whose auto-unlock will not happen.
func RenderPendingLocks(ps []commands.PendingLock) Message {
	lines := commands.PendingLocksNotice(ps, mrkdwnMarkup{}, slackTime)
	blocks := append([]slack.Block{section(lines[0])}, lineSections(lines[1:], MaxBlocks-1)...)
	return Message{Text: lines[0], Blocks: blocks}
}
