package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestCounters(t *testing.T) {
	m := New(prometheus.NewRegistry())
	m.Command("ok")
	m.Command("ok")
	m.Command("denied")
	m.Click("ok")
	m.Disconnects("gone", 3)
	m.Disconnects("gone", 2)
	m.Disconnects("still_present", 0) // nothing to add: no series
	m.Reconnect()
	m.TokenCache("control", true)
	m.TokenCache("control", true)
	m.TokenCache("control", false)
	m.APICall("hangup", 200, 40*time.Millisecond)
	m.APICall("hangup", 0, time.Second)
	m.APICall("hangup", 0, time.Second)

	tests := []struct {
		name string
		c    prometheus.Collector
		want float64
	}{
		{`commands{outcome="ok"}`, m.commands.WithLabelValues("ok"), 2},
		{`commands{outcome="denied"}`, m.commands.WithLabelValues("denied"), 1},
		{`clicks{outcome="ok"}`, m.clicks.WithLabelValues("ok"), 1},
		{`disconnects{result="gone"}`, m.disconnects.WithLabelValues("gone"), 5},
		{`reconnects`, m.reconnects, 1},
		{`token_cache{control,hit}`, m.tokenCache.WithLabelValues("control", "hit"), 2},
		{`token_cache{control,miss}`, m.tokenCache.WithLabelValues("control", "miss"), 1},
		{`token_cache{access,hit}`, m.tokenCache.WithLabelValues("access", "hit"), 0},
		{`api_requests{hangup,200}`, m.apiRequests.WithLabelValues("hangup", "200"), 1},
		{`api_requests{hangup,none}`, m.apiRequests.WithLabelValues("hangup", "none"), 2},
	}
	for _, tt := range tests {
		if got := testutil.ToFloat64(tt.c); got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, got, tt.want)
		}
	}
	if got := testutil.CollectAndCount(m.disconnects); got != 1 {
		t.Errorf("disconnect series = %d, want 1 (n=0 must not create still_present)", got)
	}
}

func TestGauges(t *testing.T) {
	m := New(prometheus.NewRegistry())
	m.QueueDepth(7)
	m.QueueDepth(3)
	if got := testutil.ToFloat64(m.queueDepth); got != 3 {
		t.Errorf("queue depth = %v, want 3", got)
	}
	if got := testutil.ToFloat64(m.slackConnect); got != 0 {
		t.Errorf("slack connected before any report = %v, want 0", got)
	}
	m.Connected(true)
	if got := testutil.ToFloat64(m.slackConnect); got != 1 {
		t.Errorf("slack connected after Connected(true) = %v, want 1", got)
	}
	m.Connected(false)
	if got := testutil.ToFloat64(m.slackConnect); got != 0 {
		t.Errorf("slack connected after Connected(false) = %v, want 0", got)
	}
}

// The exposition is what operators' dashboards and alerts rely on: names,
// labels and the sub-millisecond ack buckets.
func TestExposition(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	m.AckLatency(300 * time.Microsecond)
	m.AckLatency(2 * time.Second)
	m.APICall("realTimeInfo", 200, 120*time.Millisecond)

	want := `
# HELP kickbot_ack_latency_seconds Time from receiving a Socket Mode envelope to acknowledging it.
# TYPE kickbot_ack_latency_seconds histogram
kickbot_ack_latency_seconds_bucket{le="0.0001"} 0
kickbot_ack_latency_seconds_bucket{le="0.00025"} 0
kickbot_ack_latency_seconds_bucket{le="0.0005"} 1
kickbot_ack_latency_seconds_bucket{le="0.001"} 1
kickbot_ack_latency_seconds_bucket{le="0.0025"} 1
kickbot_ack_latency_seconds_bucket{le="0.005"} 1
kickbot_ack_latency_seconds_bucket{le="0.01"} 1
kickbot_ack_latency_seconds_bucket{le="0.025"} 1
kickbot_ack_latency_seconds_bucket{le="0.05"} 1
kickbot_ack_latency_seconds_bucket{le="0.1"} 1
kickbot_ack_latency_seconds_bucket{le="0.25"} 1
kickbot_ack_latency_seconds_bucket{le="0.5"} 1
kickbot_ack_latency_seconds_bucket{le="1"} 1
kickbot_ack_latency_seconds_bucket{le="2"} 2
kickbot_ack_latency_seconds_bucket{le="3"} 2
kickbot_ack_latency_seconds_bucket{le="5"} 2
kickbot_ack_latency_seconds_bucket{le="+Inf"} 2
kickbot_ack_latency_seconds_sum 2.0003
kickbot_ack_latency_seconds_count 2
# HELP kickbot_meeting_api_requests_total Meeting API calls, by endpoint and HTTP status ("none" when no response arrived).
# TYPE kickbot_meeting_api_requests_total counter
kickbot_meeting_api_requests_total{endpoint="realTimeInfo",status="200"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "kickbot_ack_latency_seconds", "kickbot_meeting_api_requests_total"); err != nil {
		t.Error(err)
	}

	// Every documented family is registered under its documented name.
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range families {
		got[f.GetName()] = true
	}
	m.Command("x") // vector families appear once they have a series
	m.Click("x")
	m.Disconnects("gone", 1)
	families, _ = reg.Gather()
	for _, f := range families {
		got[f.GetName()] = true
	}
	for _, name := range []string{
		"kickbot_commands_total", "kickbot_clicks_total", "kickbot_disconnects_total",
		"kickbot_meeting_api_requests_total", "kickbot_meeting_api_duration_seconds", "kickbot_token_cache_total",
		"kickbot_ack_latency_seconds", "kickbot_queue_depth", "kickbot_slack_reconnects_total", "kickbot_slack_connected",
	} {
		if !got[name] {
			t.Errorf("metric family %s not registered; have %v", name, got)
		}
	}
}

// A second registry gets its own metrics: nothing is global.
func TestNoGlobalState(t *testing.T) {
	a, b := New(prometheus.NewRegistry()), New(prometheus.NewRegistry())
	a.Reconnect()
	if got := testutil.ToFloat64(b.reconnects); got != 0 {
		t.Errorf("second Metrics reconnects = %v after first counted one, want 0", got)
	}
	New(nil).Reconnect() // unregistered is allowed
}

func TestNilMetricsIsNoOp(t *testing.T) {
	var m *Metrics
	m.Command("ok")
	m.Click("ok")
	m.AckLatency(time.Millisecond)
	m.QueueDepth(1)
	m.Reconnect()
	m.Disconnects("gone", 1)
	m.Connected(true)
	m.APICall("hangup", 200, time.Millisecond)
	m.TokenCache("access", true)
}
