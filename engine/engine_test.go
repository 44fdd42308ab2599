package engine_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hft-ninja/hft-ninja/engine"
	"github.com/hft-ninja/hft-ninja/engine/solanatest"
)

func testConfig(srv *solanatest.Server) engine.Config {
	c := engine.DefaultConfig()
	c.RPCURL, c.WSURL = srv.RPCURL(), srv.WSURL()
	c.AdminAddr = "127.0.0.1:0"
	c.StaleAfter = 300 * time.Millisecond
	c.PollInterval = 40 * time.Millisecond
	c.RPCTimeout = 200 * time.Millisecond
	c.BackoffMin, c.BackoffMax = 10*time.Millisecond, 50*time.Millisecond
	return c
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestReadyzFollowsSlots drives the engine through every fault of the
// fake RPC node and checks /readyz: ready only while slots arrive.
func TestReadyzFollowsSlots(t *testing.T) {
	srv := solanatest.New()
	defer srv.Close()
	// getSlot answers 0 (no slot yet) so that polling before the websocket
	// is live cannot make the engine ready; slots come from the pump.
	srv.SetSlot(0)
	e, err := engine.New(testConfig(srv))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	base := "http://" + e.AdminAddr()

	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Fatalf("/healthz = %d", code)
	}
	// The websocket stays silent and polling is off while it is up: not ready.
	eventually(t, "subscription", func() bool { return srv.Subscribers("slotSubscribe") == 1 })
	if code, body := get(t, base+"/readyz"); code != 503 || !strings.Contains(body, "no slot") {
		t.Fatalf("/readyz before slots = %d %s", code, body)
	}
	ready := func() bool { code, _ := get(t, base+"/readyz"); return code == 200 }
	pump := func(stop <-chan struct{}, from uint64) {
		for s := from; ; s++ {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				srv.PushSlot(s)
			}
		}
	}
	stop := make(chan struct{})
	go pump(stop, 1001)
	eventually(t, "ready while slots arrive", ready)
	close(stop)
	// Websocket and HTTP both fail: slots stop, readiness goes.
	srv.RejectWS(true)
	srv.Fail429(1 << 20)
	srv.DropConnections()
	eventually(t, "not ready after slots stop", func() bool { return !ready() })
	_, body := get(t, base+"/readyz")
	var st struct {
		Ready  bool   `json:"ready"`
		Reason string `json:"reason"`
		Slot   uint64 `json:"slot"`
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil || st.Ready || st.Slot < 1001 || !strings.Contains(st.Reason, "no new slot") {
		t.Fatalf("/readyz body %s (%v)", body, err)
	}
	// HTTP recovers: polling fallback brings readiness back while the
	// websocket is still down.
	srv.Fail429(0)
	srv.SetSlot(5000)
	eventually(t, "ready from polling", ready)
	// Polled slot stays 5000: stale again.
	eventually(t, "stale when the polled slot does not advance", func() bool { return !ready() })
	// Websocket back: ready again.
	srv.RejectWS(false)
	stop = make(chan struct{})
	go pump(stop, 6000)
	eventually(t, "ready after websocket recovery", ready)
	close(stop)

	code, metrics := get(t, base+"/metrics")
	if code != 200 || !strings.Contains(metrics, "hftninja_slots_received_total") || !strings.Contains(metrics, `hftninja_ws_connects_total{result="dropped"}`) {
		t.Fatalf("/metrics = %d, missing engine metrics", code)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("engine did not stop")
	}
}

func TestKillEndpoint(t *testing.T) {
	srv := solanatest.New()
	defer srv.Close()
	e, err := engine.New(testConfig(srv))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = e.Run(ctx) }()
	base := "http://" + e.AdminAddr()
	eventually(t, "admin up", func() bool { code, _ := get(t, base+"/healthz"); return code == 200 })
	if resp, err := http.Get(base + "/v1/kill"); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET /v1/kill must be refused: %v %v", resp, err)
	}
	resp, err := http.Post(base+"/v1/kill", "application/json", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST /v1/kill: %v %v", resp, err)
	}
	_, body := get(t, base+"/readyz")
	if !strings.Contains(body, `"killed":true`) {
		t.Fatalf("readyz after kill: %s", body)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	c := engine.DefaultConfig()
	c.RPCURL = "ftp://x"
	c.Commitment = "sometimes"
	_, err := engine.New(c)
	if err == nil || !strings.Contains(err.Error(), "rpc url") || !strings.Contains(err.Error(), "commitment") {
		t.Fatalf("err = %v", err)
	}
}

func slogJSON(w io.Writer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }
