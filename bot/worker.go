package bot

import (
	"context"
	"fmt"
	"runtime/debug"
)

// work runs jobs until the queue is closed and empty. A panic in one job
// becomes a visible failure for that job; the worker lives on.
func (b *Bot) work(ctx context.Context) {
	for j := range b.queue {
		b.metrics.QueueDepth(len(b.queue))
		b.runJob(ctx, j)
	}
}

func (b *Bot) runJob(ctx context.Context, j job) {
	t := &tracker{responseURL: j.slash.ResponseURL}
	if j.kind == jobClick {
		t.responseURL = j.click.ResponseURL
	}
	defer func() {
		if r := recover(); r != nil {
			b.log.Error().Str("panic", fmt.Sprint(r)).Bytes("stack", debug.Stack()).Bool("answered", t.answered).Msg("handler panicked")
			if t.answered {
				// The user already has this job's outcome (say the kick
				// succeeded and the panic hit the ops notice after it): a
				// "did not finish" reply and parent would contradict it.
				return
			}
			b.failVisibly(t, "kickbot hit an internal error before it could report on this request, so it may or may not have been carried out. Check the meeting before trying again.")
		}
	}()
	switch j.kind {
	case jobKick:
		b.runKick(ctx, j, t)
	case jobList:
		b.runList(ctx, j, t)
	case jobClick:
		b.runClick(ctx, j, t)
	}
}

// tracker remembers how far a job got, so a panic can still be answered in
// the right place (the thread if there is one, else privately).
type tracker struct {
	channel     string
	parentTS    string // the parent message this job posted
	threadTS    string // an existing message to reply under (a list)
	responseURL string
	answered    bool
}

func (t *tracker) thread() string {
	if t.parentTS != "" {
		return t.parentTS
	}
	return t.threadTS
}
