// Package metrics defines the engine's Prometheus metrics on a private
// registry (never the global default one), so that several engines can run
// in one test binary.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds every collector the engine updates.
type Metrics struct {
	reg *prometheus.Registry

	// SlotsReceived counts slot notifications by source (ws, poll, replay).
	SlotsReceived *prometheus.CounterVec
	// SlotsDiscarded counts out-of-order or duplicated slots.
	SlotsDiscarded prometheus.Counter
	// LastSlot is the highest slot seen.
	LastSlot prometheus.Gauge
	// Ready is 1 while fresh slots arrive.
	Ready prometheus.Gauge
	// StaleSeconds is how long ago the last slot arrived.
	StaleSeconds prometheus.Gauge
	// WSConnects counts websocket connection attempts by result.
	WSConnects *prometheus.CounterVec
	// RPCErrors counts failed JSON-RPC calls by method.
	RPCErrors *prometheus.CounterVec
	// UpdatesProcessed counts account updates by source.
	UpdatesProcessed *prometheus.CounterVec
	// UpdatesDiscarded counts account updates skipped as stale or duplicated.
	UpdatesDiscarded prometheus.Counter
	// DecodeErrors counts account updates that failed to decode, by reason.
	DecodeErrors *prometheus.CounterVec
	// Opportunities counts arbitrage opportunities above the threshold.
	Opportunities prometheus.Counter
	// Decisions counts risk decisions by outcome and reason.
	Decisions *prometheus.CounterVec
	// Executions counts execution outcomes (simulated_ok, simulated_err, sent, confirmed, failed).
	Executions *prometheus.CounterVec
	// TickToDecision measures from receipt of an update to the risk decision.
	TickToDecision prometheus.Histogram
	// TickToSigned measures from receipt of an update to a signed transaction.
	TickToSigned prometheus.Histogram
	// Killed is 1 once the kill switch has been engaged.
	Killed prometheus.Gauge
}

// New creates the metrics on a fresh registry that also exposes the Go
// runtime and process collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	// Latency buckets from 1 µs to ~1 s: evaluation is microseconds, signing
	// tens of microseconds, a slow RPC hundreds of milliseconds.
	lat := prometheus.ExponentialBuckets(1e-6, 4, 11)
	m := &Metrics{
		reg:              reg,
		SlotsReceived:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hftninja_slots_received_total", Help: "Slot notifications received, by source."}, []string{"source"}),
		SlotsDiscarded:   prometheus.NewCounter(prometheus.CounterOpts{Name: "hftninja_slots_discarded_total", Help: "Slots ignored because they were duplicated or older than the newest seen."}),
		LastSlot:         prometheus.NewGauge(prometheus.GaugeOpts{Name: "hftninja_last_slot", Help: "Highest slot seen."}),
		Ready:            prometheus.NewGauge(prometheus.GaugeOpts{Name: "hftninja_ready", Help: "1 while slots arrive within the staleness window."}),
		StaleSeconds:     prometheus.NewGauge(prometheus.GaugeOpts{Name: "hftninja_stale_seconds", Help: "Seconds since the last slot arrived."}),
		WSConnects:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hftninja_ws_connects_total", Help: "Websocket connection attempts, by result."}, []string{"result"}),
		RPCErrors:        prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hftninja_rpc_errors_total", Help: "Failed JSON-RPC calls, by method."}, []string{"method"}),
		UpdatesProcessed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hftninja_updates_processed_total", Help: "Account updates applied, by source."}, []string{"source"}),
		UpdatesDiscarded: prometheus.NewCounter(prometheus.CounterOpts{Name: "hftninja_updates_discarded_total", Help: "Account updates skipped as older than the state held."}),
		DecodeErrors:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hftninja_decode_errors_total", Help: "Account updates that failed to decode, by reason."}, []string{"reason"}),
		Opportunities:    prometheus.NewCounter(prometheus.CounterOpts{Name: "hftninja_opportunities_total", Help: "Arbitrage opportunities above the profit threshold."}),
		Decisions:        prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hftninja_decisions_total", Help: "Risk decisions, by outcome and reason."}, []string{"outcome", "reason"}),
		Executions:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hftninja_executions_total", Help: "Execution outcomes."}, []string{"result"}),
		TickToDecision:   prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hftninja_tick_to_decision_seconds", Help: "Time from receiving an update to the risk decision.", Buckets: lat}),
		TickToSigned:     prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hftninja_tick_to_signed_seconds", Help: "Time from receiving an update to a signed transaction.", Buckets: lat}),
		Killed:           prometheus.NewGauge(prometheus.GaugeOpts{Name: "hftninja_killed", Help: "1 once the kill switch is engaged."}),
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.SlotsReceived, m.SlotsDiscarded, m.LastSlot, m.Ready, m.StaleSeconds,
		m.WSConnects, m.RPCErrors, m.UpdatesProcessed, m.UpdatesDiscarded, m.DecodeErrors,
		m.Opportunities, m.Decisions, m.Executions, m.TickToDecision, m.TickToSigned, m.Killed,
	)
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Gatherer exposes the registry to tests.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }
