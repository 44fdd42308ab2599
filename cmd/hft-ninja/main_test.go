package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hft-ninja/hft-ninja/engine/solanatest"
)

// TestMain lets the test binary act as hft-ninja itself, so the process
// tests (signals, exit codes) run the real main without a separate build.
func TestMain(m *testing.M) {
	if os.Getenv("HFT_NINJA_TEST_AS_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func ninja(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "HFT_NINJA_TEST_AS_MAIN=1")
	return cmd
}

func TestVersionReportsUID(t *testing.T) {
	var out bytes.Buffer
	if code := realMain(context.Background(), []string{"version"}, &out, &out, noEnv); code != 0 {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	if !strings.Contains(out.String(), fmt.Sprintf("uid: %d\n", os.Getuid())) {
		t.Fatalf("no uid line: %s", out.String())
	}
	out.Reset()
	if code := realMain(context.Background(), []string{"version", "--json"}, &out, &out, noEnv); code != 0 {
		t.Fatalf("exit %d", code)
	}
	var v map[string]any
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatalf("version --json: %v: %s", err, out.String())
	}
	for _, k := range []string{"version", "commit", "date", "go", "os", "arch", "uid", "gid"} {
		if _, ok := v[k]; !ok {
			t.Errorf("version --json lacks %q", k)
		}
	}
	if v["uid"] != float64(os.Getuid()) {
		t.Errorf("uid = %v, want %d", v["uid"], os.Getuid())
	}
}

func noEnv(string) string { return "" }

func TestBadInputIsOneLineAndNonZero(t *testing.T) {
	dir := t.TempDir()
	badYAML := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badYAML, []byte("rpc_url: [unclosed\n"), 0o644)
	typo := filepath.Join(dir, "typo.yaml")
	os.WriteFile(typo, []byte("risk:\n  max_notional: 5\n"), 0o644)
	liveCfg := filepath.Join(dir, "live.yaml")
	os.WriteFile(liveCfg, []byte("mode: live\n"), 0o644)
	openKey := filepath.Join(dir, "id.json")
	os.WriteFile(openKey, []byte("[1,2,3]"), 0o644)
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no command", nil, 2, "no command"},
		{"unknown command", []string{"trade"}, 2, "unknown command"},
		{"unknown flag", []string{"run", "--nope"}, 2, "flag provided but not defined"},
		{"bad url", []string{"run", "--rpc-url", "localhost"}, 1, "rpc url"},
		{"bad commitment", []string{"run", "--commitment", "maybe"}, 1, "commitment"},
		{"missing config", []string{"run", "--config", filepath.Join(dir, "nope.yaml")}, 1, "reading config"},
		{"malformed yaml", []string{"run", "--config", badYAML}, 1, "parsing YAML"},
		{"unknown key", []string{"run", "--config", typo}, 1, "max_notional"},
		{"live without flag", []string{"run", "--config", liveCfg}, 1, "--live was not given"},
		{"live without limits", []string{"run", "--config", liveCfg, "--live"}, 1, "live mode"},
		{"world-readable key", []string{"run", "--wallet", openKey}, 1, "chmod 600"},
		{"bad log level", []string{"run", "--log-level", "loud"}, 2, "log-level"},
		{"version args", []string{"version", "extra"}, 2, "no arguments"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := realMain(context.Background(), tc.args, &stdout, &stderr, noEnv)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.code, stderr.String())
			}
			last := lastLine(stderr.String())
			if !strings.HasPrefix(last, "hft-ninja: ") || !strings.Contains(last, tc.want) {
				t.Fatalf("last stderr line %q lacks %q", last, tc.want)
			}
		})
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}, {"run", "--help"}, {"help", "replay"}} {
		var stdout, stderr bytes.Buffer
		if code := realMain(context.Background(), args, &stdout, &stderr, noEnv); code != 0 {
			t.Errorf("%v: exit %d", args, code)
		}
		if !strings.Contains(stdout.String()+stderr.String(), "Usage") && !strings.Contains(stderr.String(), "-config") {
			t.Errorf("%v: no usage text", args)
		}
	}
}

// TestRunServesAndExitsCleanlyOnSIGTERM runs the real binary against the
// fake RPC node, waits for /readyz, then sends SIGTERM and expects exit 0
// and JSON logs only.
func TestRunServesAndExitsCleanlyOnSIGTERM(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			srv := solanatest.New()
			defer srv.Close()
			srv.SetSlot(42)
			port := freePort(t)
			cmd := ninja("run", "--rpc-url", srv.RPCURL(), "--ws-url", srv.WSURL(),
				"--admin-addr", port, "--stale-after", "2s")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			stop := make(chan struct{})
			defer close(stop)
			go func() {
				for s := uint64(43); ; s++ {
					select {
					case <-stop:
						return
					case <-time.After(20 * time.Millisecond):
						srv.PushSlot(s)
					}
				}
			}()
			deadline := time.Now().Add(10 * time.Second)
			for {
				resp, err := http.Get("http://" + port + "/readyz")
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode == 200 {
						break
					}
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("never ready; stderr:\n%s", stderr.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			// SIGUSR1 engages the kill switch without stopping the process.
			cmd.Process.Signal(syscall.SIGUSR1)
			time.Sleep(100 * time.Millisecond)
			cmd.Process.Signal(sig)
			errc := make(chan error, 1)
			go func() { errc <- cmd.Wait() }()
			select {
			case err := <-errc:
				if err != nil {
					t.Fatalf("exit after %v: %v\n%s", sig, err, stderr.String())
				}
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("no exit after %v", sig)
			}
			sawKill, sawStop := false, false
			sc := bufio.NewScanner(&stderr)
			for sc.Scan() {
				var rec map[string]any
				if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
					t.Fatalf("non-JSON log line %q", sc.Text())
				}
				msg, _ := rec["msg"].(string)
				sawKill = sawKill || (msg == "kill switch engaged" && rec["reason"] == "SIGUSR1")
				sawStop = sawStop || msg == "engine stopped"
			}
			if !sawKill || !sawStop {
				t.Fatalf("logs lack kill (%v) or stop (%v)", sawKill, sawStop)
			}
		})
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	srv := solanatest.New() // any listener; closed at once to free the port
	addr := strings.TrimPrefix(srv.RPCURL(), "http://")
	srv.Close()
	return addr
}
