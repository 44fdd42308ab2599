package admin

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestHandler(t *testing.T) {
	var ready atomic.Bool
	var killed atomic.Value
	h := Handler(Hooks{
		Status: func() Status {
			if ready.Load() {
				return Status{Ready: true, Slot: 7}
			}
			return Status{Reason: "no slot received yet"}
		},
		Kill:    func(r string) { killed.Store(r) },
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "m 1\n") }),
	}, nil)
	srv := httptest.NewServer(h)
	defer srv.Close()
	do := func(method, path string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := do("GET", "/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("healthz %d %q", code, body)
	}
	code, body := do("GET", "/readyz")
	var st Status
	if code != 503 || json.Unmarshal([]byte(body), &st) != nil || st.Ready || st.Reason == "" {
		t.Fatalf("readyz not ready: %d %s", code, body)
	}
	ready.Store(true)
	if code, body := do("GET", "/readyz"); code != 200 || !strings.Contains(body, `"slot":7`) {
		t.Fatalf("readyz ready: %d %s", code, body)
	}
	if code, body := do("GET", "/metrics"); code != 200 || body != "m 1\n" {
		t.Fatalf("metrics %d %q", code, body)
	}
	if code, _ := do("GET", "/v1/kill"); code != http.StatusMethodNotAllowed {
		t.Fatalf("GET kill %d", code)
	}
	if killed.Load() != nil {
		t.Fatal("killed by GET")
	}
	if code, _ := do("POST", "/v1/kill"); code != 200 || !strings.HasPrefix(killed.Load().(string), "http kill") {
		t.Fatalf("POST kill %d %v", code, killed.Load())
	}
	if code, _ := do("GET", "/nope"); code != 404 {
		t.Fatalf("unknown path %d", code)
	}
}

func TestListenErrorsAndShutdown(t *testing.T) {
	s, err := Listen("127.0.0.1:0", http.NotFoundHandler())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(s.Addr(), http.NotFoundHandler()); err == nil || !strings.Contains(err.Error(), "admin address") {
		t.Fatalf("double bind: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no shutdown")
	}
}
