package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hft-ninja/hft-ninja/engine/solanatest"
)

// TestIdleRSSWithinMemoryLimit runs the binary with the shipped config's
// 12 pools (36 account subscriptions) and reads its resident set size after
// it settles. The reference design runs under a 64 MB limit; the target is
// 32 MB idle. Linux only (reads /proc).
func TestIdleRSSWithinMemoryLimit(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc")
	}
	srv := solanatest.New()
	defer srv.Close()
	srv.SetSlot(1)
	cmd := ninja("run", "--config", shippedConfig, "--rpc-url", srv.RPCURL(), "--ws-url", srv.WSURL(), "--admin-addr", freePort(t))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	waitUntil(t, "subscriptions", func() bool { return srv.Subscribers("accountSubscribe") == 36 })
	for s := uint64(2); s < 40; s++ {
		srv.PushSlot(s)
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	var kb int
	for _, l := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			fmt.Sscanf(strings.TrimPrefix(l, "VmRSS:"), "%d", &kb)
		}
	}
	if kb == 0 {
		t.Fatalf("no VmRSS in %s", raw)
	}
	t.Logf("idle RSS with 36 subscriptions: %.1f MB (the test binary, which also links the test code)", float64(kb)/1024)
	if kb > 64*1024 {
		t.Fatalf("idle RSS %d kB above the 64 MB limit", kb)
	}
}
