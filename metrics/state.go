package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func newStateErrors() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kickbot_state_errors_total",
		Help: "Calls to the shared state store (Redis) that failed, by what the bot was doing (dedupe, rate_limit, slack_limits, auto_unlock, watch_lease).",
	}, []string{"op"})
}

// StateError counts one failed call to the shared state store
// (bot.StateMetrics).
func (m *Metrics) StateError(op string) {
	if m != nil {
		m.stateErrors.WithLabelValues(op).Inc()
	}
}

// StateErrorCount is the count of op's failures so far (for tests).
func (m *Metrics) StateErrorCount(op string) float64 {
	var d dto.Metric
	if err := m.stateErrors.WithLabelValues(op).Write(&d); err != nil {
		return 0
	}
	return d.GetCounter().GetValue()
}
