// Package localreg runs the embedded OCI registry that the local profile
// publishes to, so a fresh clone needs no registry process of its own.
//
// go-containerregistry's registry keeps blobs on disk but manifests in
// memory; a journal of manifest writes makes the state folder survive
// restarts, so a later `ninja-release serve` or `verify` sees the release.
package localreg

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

// Registry is a running embedded registry bound to 127.0.0.1.
type Registry struct {
	addr    string
	srv     *http.Server
	ln      net.Listener
	journal *journal
}

// Option configures Start.
type Option func(*options)

type options struct {
	addr   string
	logger *slog.Logger
}

// WithAddr binds to a fixed address instead of a random loopback port.
func WithAddr(addr string) Option { return func(o *options) { o.addr = addr } }

// WithLogger sets the logger for request errors.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// Start serves a registry whose blobs live in dir/blobs and whose manifests
// are journaled to dir/manifests.jsonl and replayed on start.
func Start(ctx context.Context, dir string, opts ...Option) (*Registry, error) {
	o := options{addr: "127.0.0.1:0", logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(&o)
	}
	// Unauthenticated read/write: never reachable from another machine.
	if host, _, err := net.SplitHostPort(o.addr); err != nil || !isLoopback(host) {
		return nil, fmt.Errorf("embedded registry address %q must be on loopback (127.0.0.1 or [::1])", o.addr)
	}
	if err := os.MkdirAll(filepath.Join(dir, "blobs"), 0o755); err != nil {
		return nil, fmt.Errorf("creating registry state in %s: %w", dir, err)
	}
	h := registry.New(
		registry.WithBlobHandler(registry.NewDiskBlobHandler(filepath.Join(dir, "blobs"))),
		registry.Logger(slog.NewLogLogger(o.logger.Handler(), slog.LevelDebug)),
	)
	id, err := ensureID(dir)
	if err != nil {
		return nil, err
	}
	j, err := openJournal(filepath.Join(dir, "manifests.jsonl"))
	if err != nil {
		return nil, err
	}
	if err := j.replay(h); err != nil {
		j.close()
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", o.addr)
	if err != nil {
		j.close()
		return nil, fmt.Errorf("listening for the embedded registry on %s: %w", o.addr, err)
	}
	r := &Registry{
		addr:    ln.Addr().String(),
		ln:      ln,
		journal: j,
		srv: &http.Server{
			Handler:           withID(id, j.wrap(h)),
			ReadHeaderTimeout: 10 * time.Second,
		},
	}
	go func() {
		if err := r.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			o.logger.Error("embedded registry stopped", "err", err)
		}
	}()
	return r, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// IDPath is where the registry answers with its state folder's identity,
// so a client can tell its own registry from another process on the port.
const IDPath = "/ninja-release/registry-id"

// ID returns the identity of the registry state in dir ("" if none yet).
func ID(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "id"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func ensureID(dir string) (string, error) {
	if id := ID(dir); id != "" {
		return id, nil
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("creating registry identity: %w", err)
	}
	id := hex.EncodeToString(b)
	if err := os.WriteFile(filepath.Join(dir, "id"), []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("creating registry identity: %w", err)
	}
	return id, nil
}

func withID(id string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == IDPath {
			_, _ = w.Write([]byte(id))
			return
		}
		h.ServeHTTP(w, req)
	})
}

// Addr is host:port of the registry, e.g. 127.0.0.1:41234.
func (r *Registry) Addr() string { return r.addr }

// Close stops serving and flushes the journal.
func (r *Registry) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := r.srv.Shutdown(ctx)
	return errors.Join(err, r.journal.close())
}

// entry is one journaled manifest write or delete.
type entry struct {
	Method      string `json:"method"`
	Path        string `json:"path"`
	ContentType string `json:"contentType,omitempty"`
	Body        []byte `json:"body,omitempty"`
}

type journal struct {
	mu sync.Mutex
	f  *os.File
}

func openJournal(path string) (*journal, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening registry journal: %w", err)
	}
	return &journal{f: f}, nil
}

// replay re-applies every journaled write to a fresh in-memory handler.
func (j *journal) replay(h http.Handler) error {
	if _, err := j.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("reading registry journal: %w", err)
	}
	sc := bufio.NewScanner(j.f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		var e entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return fmt.Errorf("registry journal line %d is corrupt: %w", line, err)
		}
		req := httptest.NewRequest(e.Method, e.Path, bytes.NewReader(e.Body))
		if e.ContentType != "" {
			req.Header.Set("Content-Type", e.ContentType)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		// A manifest whose blobs were removed by hand is skipped, not fatal:
		// the registry is a cache of the release, dist/ holds the record.
		_ = rec.Code
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading registry journal: %w", err)
	}
	return nil
}

func (j *journal) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		isManifest := strings.Contains(req.URL.Path, "/manifests/")
		if !isManifest || (req.Method != http.MethodPut && req.Method != http.MethodDelete) {
			h.ServeHTTP(w, req)
			return
		}
		body, err := io.ReadAll(io.LimitReader(req.Body, 64<<20))
		if err != nil {
			http.Error(w, "reading manifest", http.StatusBadRequest)
			return
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		rec := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, req)
		if rec.status >= 200 && rec.status < 300 {
			j.append(entry{Method: req.Method, Path: req.URL.Path, ContentType: req.Header.Get("Content-Type"), Body: body})
		}
	})
}

func (j *journal) append(e entry) {
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	_, _ = j.f.Write(append(b, '\n'))
}

func (j *journal) close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.f.Close()
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}
