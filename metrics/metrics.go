// Package metrics exposes kickbot's Prometheus metrics. It registers on the
// registry it is given (never the global one) and satisfies, structurally,
// bot.Metrics and meeting.Observer without importing either package.
package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ackBuckets resolve sub-millisecond acks (the bot acks before any network
// work) up to Slack's 3 s deadline, beyond which Slack redelivers.
var ackBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5}

// apiBuckets cover one meeting API call up to the default MEETING_TIMEOUT
// (10 s) and a little beyond.
var apiBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20}

// Metrics records what the bot and the meeting client report. All methods
// are safe for concurrent use, and a nil *Metrics records nothing.
type Metrics struct {
	commands     *prometheus.CounterVec
	clicks       *prometheus.CounterVec
	disconnects  *prometheus.CounterVec
	apiRequests  *prometheus.CounterVec
	apiDuration  *prometheus.HistogramVec
	tokenCache   *prometheus.CounterVec
	ackLatency   prometheus.Histogram
	queueDepth   prometheus.Gauge
	reconnects   prometheus.Counter
	slackConnect prometheus.Gauge
	outQueued    prometheus.Gauge
	slackLimited *prometheus.CounterVec
	outWait      prometheus.Histogram
	actions      *prometheus.CounterVec // actions.go
	stateErrors  *prometheus.CounterVec // state.go
}

// waitBuckets cover a message's wait in the outbox: none when Slack is idle,
// about a second per message ahead of it when a channel is busy, and long
// Retry-Afters.
var waitBuckets = []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120}

// New creates the metrics and registers them on reg. It panics if they are
// already registered there, which is a wiring mistake. A nil reg leaves them
// unregistered.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kickbot_commands_total", Help: "Slash commands handled, by outcome.",
		}, []string{"outcome"}),
		clicks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kickbot_clicks_total", Help: "Button clicks handled, by outcome.",
		}, []string{"outcome"}),
		disconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kickbot_disconnects_total", Help: "Participants targeted by a disconnect, by result.",
		}, []string{"result"}),
		apiRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kickbot_meeting_api_requests_total", Help: `Meeting API calls, by endpoint and HTTP status ("none" when no response arrived).`,
		}, []string{"endpoint", "status"}),
		apiDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "kickbot_meeting_api_duration_seconds", Help: "Meeting API call duration, by endpoint.", Buckets: apiBuckets,
		}, []string{"endpoint"}),
		tokenCache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kickbot_token_cache_total", Help: "Meeting token cache look-ups, by token (access|control) and result (hit|miss).",
		}, []string{"token", "result"}),
		ackLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "kickbot_ack_latency_seconds", Help: "Time from receiving a Socket Mode envelope to acknowledging it.", Buckets: ackBuckets,
		}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kickbot_queue_depth", Help: "Commands waiting for a worker.",
		}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kickbot_slack_reconnects_total", Help: "Socket Mode reconnections.",
		}),
		slackConnect: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kickbot_slack_connected", Help: "1 while the Socket Mode connection is up.",
		}),
		outQueued: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kickbot_outbox_queued", Help: "Slack messages and updates waiting to be sent (rate limits, thread order).",
		}),
		slackLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kickbot_slack_rate_limited_total", Help: "Rate-limit answers (429 or rate_limited) from Slack, by Web API method.",
		}, []string{"method"}),
		outWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "kickbot_outbox_wait_seconds", Help: "Time a Slack message waited in the outbox before Slack took it.", Buckets: waitBuckets,
		}),
	}
	// Start the cache series at zero so hit ratios are defined from the first scrape.
	for _, token := range []string{"access", "control"} {
		for _, result := range []string{"hit", "miss"} {
			m.tokenCache.WithLabelValues(token, result)
		}
	}
	m.actions = newActions()
	m.stateErrors = newStateErrors()
	if reg != nil {
		reg.MustRegister(m.actions, m.stateErrors)
		reg.MustRegister(m.commands, m.clicks, m.disconnects, m.apiRequests, m.apiDuration, m.tokenCache,
			m.ackLatency, m.queueDepth, m.reconnects, m.slackConnect, m.outQueued, m.slackLimited, m.outWait)
	}
	return m
}

// Command counts one slash command by outcome.
func (m *Metrics) Command(outcome string) {
	if m != nil {
		m.commands.WithLabelValues(outcome).Inc()
	}
}

// Click counts one button click by outcome.
func (m *Metrics) Click(outcome string) {
	if m != nil {
		m.clicks.WithLabelValues(outcome).Inc()
	}
}

// AckLatency observes the time taken to ack an envelope.
func (m *Metrics) AckLatency(d time.Duration) {
	if m != nil {
		m.ackLatency.Observe(d.Seconds())
	}
}

// QueueDepth sets the number of commands waiting for a worker.
func (m *Metrics) QueueDepth(n int) {
	if m != nil {
		m.queueDepth.Set(float64(n))
	}
}

// Reconnect counts one Socket Mode reconnection.
func (m *Metrics) Reconnect() {
	if m != nil {
		m.reconnects.Inc()
	}
}

// Disconnects adds n participants with the given result (e.g. gone,
// still_present, not_found, refused, failed).
func (m *Metrics) Disconnects(result string, n int) {
	if m != nil && n > 0 {
		m.disconnects.WithLabelValues(result).Add(float64(n))
	}
}

// Connected sets whether the Socket Mode connection is up.
func (m *Metrics) Connected(up bool) {
	if m == nil {
		return
	}
	if up {
		m.slackConnect.Set(1)
	} else {
		m.slackConnect.Set(0)
	}
}

// APICall records one meeting API call; status 0 means no response arrived.
func (m *Metrics) APICall(endpoint string, status int, d time.Duration) {
	if m == nil {
		return
	}
	code := "none"
	if status != 0 {
		code = strconv.Itoa(status)
	}
	m.apiRequests.WithLabelValues(endpoint, code).Inc()
	m.apiDuration.WithLabelValues(endpoint).Observe(d.Seconds())
}

// TokenCache records a token cache look-up; token is "access" or "control".
func (m *Metrics) TokenCache(token string, hit bool) {
	if m == nil {
		return
	}
	result := "miss"
	if hit {
		result = "hit"
	}
	m.tokenCache.WithLabelValues(token, result).Inc()
}

// OutboxQueued sets the number of Slack messages waiting to be sent.
func (m *Metrics) OutboxQueued(n int) {
	if m != nil {
		m.outQueued.Set(float64(n))
	}
}

// SlackRateLimited counts one rate-limit answer from Slack for method.
func (m *Metrics) SlackRateLimited(method string) {
	if m != nil {
		m.slackLimited.WithLabelValues(method).Inc()
	}
}

// OutboxWait observes how long a message waited before Slack took it.
func (m *Metrics) OutboxWait(d time.Duration) {
	if m != nil {
		m.outWait.Observe(d.Seconds())
	}
}
