// Package admin serves the operator endpoints: liveness, readiness,
// Prometheus metrics and the kill switch.
package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Status is what /readyz reports.
type Status struct {
	Ready  bool   `json:"ready"`
	Reason string `json:"reason,omitempty"`
	Slot   uint64 `json:"slot"`
	// AgeSeconds is how long ago the newest slot arrived.
	AgeSeconds float64 `json:"age_seconds"`
	Killed     bool    `json:"killed"`
}

// Hooks connect the server to the engine.
type Hooks struct {
	// Status reports readiness; required.
	Status func() Status
	// Kill engages the kill switch with a reason; nil disables POST /v1/kill.
	Kill func(reason string)
	// Metrics serves /metrics; nil disables it.
	Metrics http.Handler
}

// Handler builds the admin mux.
func Handler(h Hooks, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		st := h.Status()
		w.Header().Set("Content-Type", "application/json")
		if !st.Ready {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(st)
	})
	if h.Metrics != nil {
		mux.Handle("GET /metrics", h.Metrics)
	}
	if h.Kill != nil {
		mux.HandleFunc("POST /v1/kill", func(w http.ResponseWriter, r *http.Request) {
			reason := "http kill from " + r.RemoteAddr
			log.Warn("kill switch engaged over HTTP", "remote", r.RemoteAddr)
			h.Kill(reason)
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"killed":true}`+"\n")
		})
	}
	return mux
}

// Server is a started admin HTTP server.
type Server struct {
	srv *http.Server
	ln  net.Listener
}

// Listen binds addr (for example "127.0.0.1:8080" or ":0") so that bind
// errors surface at start, before the engine connects anywhere.
func Listen(addr string, h http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on admin address %q: %w", addr, err)
	}
	return &Server{
		ln:  ln,
		srv: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second},
	}, nil
}

// Addr is the bound address (useful with ":0").
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve serves until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("admin server: %w", err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.srv.Shutdown(sctx); err != nil {
			return fmt.Errorf("shutting down admin server: %w", err)
		}
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("admin server: %w", err)
		}
		return nil
	}
}
