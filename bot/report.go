package bot

import (
	"time"

	"github.com/kickbot/kickbot/bot/slackui"
	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting"
)

// reporter is a job's one reporting path. Handlers tell it what became of
// the job; it shows that where it belongs (privately through the response
// URL, or in the channel through the outbox: thread, parent, list, ops
// notice), writes the job's audit line, counts the outcome (as a command
// or a click, and under the job's action when there is one), and records
// that the user has their answer, so a panic after that point is not
// answered a second time, contradicting it. Handlers do none of that by
// hand.
type reporter struct {
	b           *Bot
	click       bool    // outcomes are counted as clicks, else as commands
	responseURL string  // where a private answer goes
	th          *thread // where the job reports in the channel, once it has a place
	answered    bool    // the user has their answer (or the outbox will give it)

	// entry is the job's audit line so far; handlers fill in what they
	// learn (conference, targets, reason). action, when set, also counts
	// outcomes per action (ActionMetrics: lock, hold, admit, sweep, …).
	entry     AuditEntry
	action    string
	start     time.Time
	unaudited bool // paging and searching a list is no decision: counted, not audited
}

// acked records a request answered in its ack, before it became a job
// (bad input, help, a rate limit, a full queue): counted as metric, and
// audited as e with auditOutcome unless that is "".
func (b *Bot) acked(click bool, metric string, e AuditEntry, auditOutcome string) {
	r := &reporter{b: b, click: click, start: b.now(), entry: e, unaudited: auditOutcome == ""}
	r.write(auditOutcome, nil, nil)
	r.count(metric)
}

// newReporter is j's reporter: it answers privately through j's
// response URL and counts j's outcomes as commands or clicks.
func (b *Bot) newReporter(j job) *reporter {
	r := &reporter{b: b, responseURL: j.slash.ResponseURL, start: b.now()}
	if j.kind == jobClick {
		r.click, r.responseURL = true, j.click.ResponseURL
	}
	return r
}

// begin starts the job's audit line; counter is the action its outcomes
// are also counted under ("" for none).
func (r *reporter) begin(e AuditEntry, counter string) {
	r.entry, r.action = e, counter
}

// count counts an outcome without writing an audit line.
func (r *reporter) count(outcome string) {
	if r.click {
		r.b.metrics.Click(outcome)
	} else {
		r.b.metrics.Command(outcome)
	}
	if r.action != "" {
		r.b.countAction(r.action, outcome)
	}
}

// record writes the audit line with outcome and counts it.
func (r *reporter) record(outcome string) { r.recordResult(outcome, nil, nil) }

// recordResult records an outcome with Huawei's request IDs and, when the
// meeting service failed, the kind of failure.
func (r *reporter) recordResult(outcome string, requestIDs []string, err error) {
	r.write(outcome, requestIDs, err)
	r.count(outcome)
}

// write writes the audit line with outcome (unless the job is unaudited).
func (r *reporter) write(outcome string, requestIDs []string, err error) {
	if r.unaudited {
		return
	}
	e := r.entry
	e.Outcome, e.Duration = outcome, r.b.now().Sub(r.start)
	if len(requestIDs) > 0 {
		e.RequestIDs = requestIDs
	}
	if err != nil {
		e.ErrorKind = meeting.KindOf(err).String()
	}
	r.b.audit.Record(e)
}

// private answers the user privately.
func (r *reporter) private(m slackui.Message) {
	r.b.reply(r.responseURL, m)
	r.answered = true
}

// inPlace records an outcome the user sees in the message they clicked
// (a list paged, searched or refreshed in place).
func (r *reporter) inPlace(outcome string) {
	r.answered = true
	r.record(outcome)
}

// refuse answers privately that nothing was done, and records why.
func (r *reporter) refuse(outcome, text string) {
	r.private(slackui.Message{Text: text})
	r.record(outcome)
}

// deny answers a request the policy refused privately, tells the ops
// channel, and records it as a "denied" decision.
func (r *reporter) deny(d commands.Decision) {
	r.private(slackui.RenderDenied(d))
	r.b.notifyOps(slackui.RenderDeniedNotice(r.entry.User, r.entry.Channel, r.entry.Conference, d))
	r.entry.Action = "denied"
	r.write(d.Code, nil, nil)
	r.count("denied")
}

// fail reports a failure before anything was done: in the job's thread
// when it has one, else privately; with ops, the ops channel is told too.
func (r *reporter) fail(k commands.Kick, err error, ops bool) {
	if r.th != nil {
		r.showFailure(commands.UserMessage(commands.InMeeting(k.Conference, err)))
	} else {
		r.private(slackui.RenderFailure(k, err))
	}
	if ops {
		r.b.notifyOps(slackui.RenderFailureNotice(k, err))
	}
	r.recordResult("failed", nil, err)
}

// finish shows an outcome through the outbox: reply in th's thread, the
// parent's final state and the ops notice (nil: none). The outbox shows it
// in the channel, or privately if the channel will not take it, so the user
// has their answer from here on. The caller records the outcome.
func (r *reporter) finish(th *thread, reply, parent slackui.Message, ops func(link string) slackui.Message) {
	r.b.out.finish(th, reply, parent, ops)
	r.answered = true
}

// post puts a new message in the channel through the outbox (a list, a
// "watching" notice). The user has their answer from here on: the outbox
// posts it, or the user is told privately here that it could not. Once
// Slack has answered, settled runs (err is the failed post's) and returns
// the outcome to record; a failed post is recorded as cannot_post.
func (r *reporter) post(k commands.Kick, m slackui.Message, settled func(ts string, err error) (outcome string)) {
	r.b.out.post(k.Channel, m, r.responseURL, func(ts string, err error) {
		outcome := settled(ts, err)
		if err != nil {
			r.b.reply(r.responseURL, slackui.RenderCannotPost(k, cannotPostHere(err)))
			r.entry.ErrorKind = slackErrorCode(err)
			outcome = "cannot_post"
		}
		r.record(outcome)
	})
	r.answered = true
}

// showFailure answers a job that could not finish: in its thread when
// there is one, else privately.
func (r *reporter) showFailure(text string) {
	m := slackui.Message{Text: ":x: " + text}
	if r.th != nil {
		r.b.out.finish(r.th, m, m, nil)
		return
	}
	r.b.reply(r.responseURL, m)
}

// oneID is a single request ID as a list, nil when there is none.
func oneID(id string) []string {
	if id == "" {
		return nil
	}
	return []string{id}
}
