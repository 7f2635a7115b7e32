package slackfake

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// No IgnoreTopFunction: the tests cancel every slack-go client and wait for RunContext to
	// return, and goleak's default retries cover the few milliseconds slack-go's receiver
	// goroutine and net/http's idle connections need to notice their sockets closed.
	goleak.VerifyTestMain(m)
}

const waitLong = 10 * time.Second

// client is a real slack-go Socket Mode client pointed at a fake.
type client struct {
	t      *testing.T
	api    *slack.Client
	sm     *socketmode.Client
	events chan socketmode.Event // every event the client emitted, in order
	cancel context.CancelFunc
	runErr chan error
	pumped chan struct{}
}

type clientOpt struct {
	botToken, appToken string
	smOpts             []socketmode.Option
}

// startClient runs socketmode RunContext in a goroutine and copies its events into a big
// buffer (so a slow test never stalls slack-go's reader). It is stopped by t.Cleanup.
func startClient(t *testing.T, fake *Server, o clientOpt) *client {
	t.Helper()
	if o.botToken == "" {
		o.botToken = DefaultBotToken
	}
	if o.appToken == "" {
		o.appToken = DefaultAppToken
	}
	api := slack.New(o.botToken, slack.OptionAPIURL(fake.APIURL()), slack.OptionAppLevelToken(o.appToken))
	sm := socketmode.New(api, o.smOpts...)
	ctx, cancel := context.WithCancel(context.Background())
	c := &client{
		t: t, api: api, sm: sm, events: make(chan socketmode.Event, 10000), cancel: cancel,
		runErr: make(chan error, 1), pumped: make(chan struct{}),
	}
	go func() { c.runErr <- sm.RunContext(ctx) }()
	go func() {
		defer close(c.pumped)
		for {
			select {
			case <-ctx.Done():
				return
			case e := <-sm.Events:
				select {
				case c.events <- e:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	t.Cleanup(c.stop)
	return c
}

// stop cancels the client and waits until RunContext and the pump have returned.
func (c *client) stop() {
	c.cancel()
	select {
	case err := <-c.runErr:
		c.runErr <- err // keep it for anyone else asking
	case <-time.After(waitLong):
		c.t.Errorf("RunContext did not return within %v of cancel", waitLong)
	}
	<-c.pumped
}

// next returns the next event of type typ, skipping others.
func (c *client) next(typ socketmode.EventType) socketmode.Event {
	c.t.Helper()
	deadline := time.After(waitLong)
	for {
		select {
		case e := <-c.events:
			if e.Type == typ {
				return e
			}
		case <-deadline:
			c.t.Fatalf("no %q event within %v", typ, waitLong)
		}
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	t.Cleanup(cancel)
	return ctx
}

func asSlackErr(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	if err != nil {
		return "other: " + err.Error()
	}
	return ""
}
