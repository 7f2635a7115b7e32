package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// WatchStats is the state of the watched meetings at one scrape (the bot's
// bot.WatchStats, converted by the caller).
type WatchStats struct {
	Watched    int           // meetings watched now
	Live       int           // of them, with the event socket up
	Reconnects int           // socket losses and refusals since start (never goes down)
	MaxLag     time.Duration // the largest frame lag over the watched meetings
}

var (
	watchedDesc    = prometheus.NewDesc("kickbot_watched_meetings", "Meetings watched over the conference WebSocket.", nil, nil)
	watchLiveDesc  = prometheus.NewDesc("kickbot_watch_live", "Watched meetings whose event socket is up and roster current.", nil, nil)
	watchReconDesc = prometheus.NewDesc("kickbot_watch_reconnects_total", "Conference WebSocket losses and refused reconnects, over all watches since start.", nil, nil)
	watchLagDesc   = prometheus.NewDesc("kickbot_watch_frame_lag_seconds", "The largest frame lag over the watched meetings: now minus the last frame's createTime.", nil, nil)
)

// watchCollector reads the watch state once per scrape.
type watchCollector struct{ read func() WatchStats }

// NewWatchCollector returns the collector of the watch families, which
// calls read once per scrape. Register it beside New's metrics.
func NewWatchCollector(read func() WatchStats) prometheus.Collector {
	return watchCollector{read: read}
}

func (c watchCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- watchedDesc
	ch <- watchLiveDesc
	ch <- watchReconDesc
	ch <- watchLagDesc
}

func (c watchCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.read()
	ch <- prometheus.MustNewConstMetric(watchedDesc, prometheus.GaugeValue, float64(s.Watched))
	ch <- prometheus.MustNewConstMetric(watchLiveDesc, prometheus.GaugeValue, float64(s.Live))
	ch <- prometheus.MustNewConstMetric(watchReconDesc, prometheus.CounterValue, float64(s.Reconnects))
	ch <- prometheus.MustNewConstMetric(watchLagDesc, prometheus.GaugeValue, s.MaxLag.Seconds())
}
