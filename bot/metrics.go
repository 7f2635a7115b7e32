package bot

import (
	"encoding/json"
	"time"
)

// Metrics receives what the bot counts. The metrics package implements it
// with Prometheus.
type Metrics interface {
	Command(outcome string)
	Click(outcome string)
	AckLatency(d time.Duration)
	QueueDepth(n int)
	Reconnect()
	Connected(up bool)
	Disconnects(result string, n int)
	OutboxQueued(n int)             // messages waiting for Slack
	SlackRateLimited(method string) // a 429 (or rate_limited) from Slack
	OutboxWait(d time.Duration)     // how long a message waited before Slack took it
}

// ActionMetrics is an optional part of Metrics: counts of the keep-out
// actions (lock, unlock, auto_unlock, hold, admit, uninvited, sweep) by
// outcome. metrics.Metrics implements it; a Metrics without it counts them
// only as commands and clicks.
type ActionMetrics interface {
	Action(action, outcome string)
}

func (b *Bot) countAction(action, outcome string) {
	if m, ok := b.metrics.(ActionMetrics); ok {
		m.Action(action, outcome)
	}
}

type nopMetrics struct{}

func (nopMetrics) Command(string)           {}
func (nopMetrics) Click(string)             {}
func (nopMetrics) AckLatency(time.Duration) {}
func (nopMetrics) QueueDepth(int)           {}
func (nopMetrics) Reconnect()               {}
func (nopMetrics) Connected(bool)           {}
func (nopMetrics) Disconnects(string, int)  {}
func (nopMetrics) OutboxQueued(int)         {}
func (nopMetrics) SlackRateLimited(string)  {}
func (nopMetrics) OutboxWait(time.Duration) {}

// envelopeIDOf pulls envelope_id out of a raw frame slack-go could not parse.
func envelopeIDOf(raw json.RawMessage) string {
	var v struct {
		EnvelopeID string `json:"envelope_id"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	return v.EnvelopeID
}
