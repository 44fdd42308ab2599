package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hft-ninja/hft-ninja/engine/replay"
	"github.com/hft-ninja/hft-ninja/engine/solanatest"
)

func httpGet(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRunSurvivesEveryFault runs the real binary (with the shipped replay
// config's pools) against the fake node and injects each fault in turn;
// the process must stay up, /readyz must track the slot stream, and
// SIGTERM must still exit 0.
func TestRunSurvivesEveryFault(t *testing.T) {
	srv := solanatest.New()
	defer srv.Close()
	srv.SetSlot(1000)
	port := freePort(t)
	cmd := ninja("run", "--config", shippedConfig, "--rpc-url", srv.RPCURL(), "--ws-url", srv.WSURL(),
		"--admin-addr", port, "--stale-after", "600ms", "--poll-interval", "50ms")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// exited is closed when the process ends; waitErr is then set.
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	defer func() {
		select {
		case <-exited:
		default:
			cmd.Process.Kill()
			<-exited
		}
	}()
	alive := func() {
		t.Helper()
		select {
		case <-exited:
			t.Fatalf("hft-ninja exited (%v); stderr:\n%s", waitErr, stderr.String())
		default:
		}
	}
	base := "http://" + port
	ready := func() bool { code, _ := httpGet(base + "/readyz"); return code == 200 }
	slot := uint64(1000)
	pump := func(n int) {
		for i := 0; i < n; i++ {
			slot++
			srv.PushSlot(slot)
			time.Sleep(15 * time.Millisecond)
		}
	}
	waitUntil(t, "subscriptions", func() bool { return srv.Subscribers("accountSubscribe") == 36 })
	pump(5)
	waitUntil(t, "ready", ready)

	faults := []struct {
		name string
		do   func()
	}{
		{"disconnect mid-stream", func() { srv.DropConnections() }},
		{"malformed websocket JSON", func() {
			srv.SendRaw(`{"jsonrpc":"2.0","method":"accountNotification","params":{"subscription":1002,"result":{`)
			srv.SendRaw(`}}}garbage`)
		}},
		{"out-of-order and duplicated slots", func() {
			srv.PushSlot(slot - 3)
			srv.PushSlot(slot)
			srv.PushSlot(slot)
		}},
		{"rate limited (429) while the websocket is down", func() {
			srv.Fail429(40)
			srv.RejectWS(true)
			srv.DropConnections()
			time.Sleep(300 * time.Millisecond)
			srv.RejectWS(false)
		}},
		{"RPC errors", func() { srv.FailRPCError(20) }},
		{"malformed HTTP JSON", func() { srv.FailMalformed(20) }},
		{"slow responses", func() {
			srv.SetDelay(300 * time.Millisecond)
			srv.DropConnections()
			time.Sleep(400 * time.Millisecond)
			srv.SetDelay(0)
		}},
	}
	for _, f := range faults {
		f.do()
		alive()
		// Recovery: slots flow again and readiness returns.
		waitUntil(t, "ready after "+f.name, func() bool { pump(2); return ready() })
		alive()
	}
	// Slots stop entirely: not ready.
	srv.SilentWS(true)
	srv.Fail429(1 << 20)
	waitUntil(t, "not ready without slots", func() bool { return !ready() })
	alive()
	_, metrics := httpGet(base + "/metrics")
	for _, want := range []string{"hftninja_slots_discarded_total", `hftninja_ws_connects_total{result="dropped"}`, `hftninja_rpc_errors_total{method="getSlot"}`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		if waitErr != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", waitErr, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	if strings.Contains(stderr.String(), "panic") {
		t.Fatalf("panic in stderr:\n%s", stderr.String())
	}
}

// TestRecordWritesReplayableFile records from the fake node and replays
// the result.
func TestRecordWritesReplayableFile(t *testing.T) {
	srv := solanatest.New()
	defer srv.Close()
	srv.SetSlot(500)
	v, err := solanatest.LoadAccount("orca_whirlpool_HJPjo_vault_b_usdc.json")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "rec.jsonl")
	cfgPath := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfgPath, []byte("pools:\n  - name: x\n    kind: raydium-amm-v4\n    address: AJCNdUWWJV32fX9FrSpdSdezBTuXmYgPUwFHFKgxYcLZ\n    base_vault: "+v.Pubkey+"\n    quote_vault: HAGiCPMxbxwmBAuNednL9JTSncUH7uwmjjzuvrVeR76E\n"), 0o644)
	srv.SetAccount(v.Pubkey, solanatest.Account{Lamports: v.Lamports, Owner: v.Owner, Data: v.Data})
	cmd := ninja("record", "--config", cfgPath, "--rpc-url", srv.RPCURL(), "--ws-url", srv.WSURL(), "--out", out, "--max-events", "4")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "subscribed", func() bool { return srv.Subscribers("slotSubscribe") == 1 && srv.Subscribers("accountSubscribe") == 3 })
	go func() {
		for s := uint64(501); s < 520; s++ {
			srv.PushSlot(s)
			time.Sleep(20 * time.Millisecond)
		}
	}()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("record: %v\n%s", err, stderr.String())
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := replay.NewReader(f)
	var slots, accounts int
	for {
		ev, err := r.Next()
		if err != nil {
			break
		}
		if ev.Kind == 1 {
			slots++
		} else if bytes.Equal(ev.Data, v.Data) {
			accounts++
		}
	}
	if slots+accounts != 4 || accounts != 1 {
		t.Fatalf("recorded %d slots, %d matching accounts", slots, accounts)
	}
	// Never overwrite an existing recording.
	var stdout bytes.Buffer
	stderr.Reset()
	if code := realMain(t.Context(), []string{"record", "--config", cfgPath, "--out", out}, &stdout, &stderr, noEnv); code == 0 || !strings.Contains(stderr.String(), "exists") {
		t.Fatalf("overwrote recording: exit %d %s", code, stderr.String())
	}
}
