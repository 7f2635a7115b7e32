package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func newActions() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kickbot_actions_total",
		Help: "Keep-out actions (lock, unlock, auto_unlock, hold, admit, uninvited, sweep), by action and outcome.",
	}, []string{"action", "outcome"})
}

// Action counts one keep-out action by outcome (bot.ActionMetrics).
func (m *Metrics) Action(action, outcome string) {
	if m != nil {
		m.actions.WithLabelValues(action, outcome).Inc()
	}
}

// ActionCount is the count of action with outcome so far (for tests).
func (m *Metrics) ActionCount(action, outcome string) float64 {
	var d dto.Metric
	if err := m.actions.WithLabelValues(action, outcome).Write(&d); err != nil {
		return 0
	}
	return d.GetCounter().GetValue()
}
