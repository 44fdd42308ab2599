package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hft-ninja/hft-ninja/engine/amm"
)

const (
	shippedReplay = "../../engine/testdata/replay/raydium_v4_slot308454032.jsonl"
	shippedConfig = "../../engine/testdata/replay/config.yaml"
)

// TestReplayCommandPrintsCheckedDecision runs `hft-ninja replay` on the
// shipped file and re-derives the printed numbers from the printed input.
func TestReplayCommandPrintsCheckedDecision(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := realMain(context.Background(), []string{"replay", "--config", shippedConfig, shippedReplay}, &stdout, &stderr, noEnv)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var decisions []map[string]any
	var summary map[string]any
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("non-JSON output line %q", sc.Text())
		}
		if s, ok := m["summary"].(map[string]any); ok {
			summary = s
			continue
		}
		decisions = append(decisions, m)
	}
	if len(decisions) != 1 || summary == nil {
		t.Fatalf("decisions %v summary %v", decisions, summary)
	}
	d := decisions[0]
	num := func(k string) uint64 { return uint64(d[k].(float64)) }
	// Real pool AJCNdU… post-swap vaults (wSOL 984186872031, token
	// 29424157188316) and pre-swap ones for the twin, from the recording.
	base, _ := amm.SwapExactIn(num("amount_in"), 984186872031, 29424157188316, amm.FeeBps(25))
	out, _ := amm.SwapExactIn(base, 28963621262318, 999796808193, amm.FeeBps(25))
	if num("base_out") != base || num("amount_out") != out || int64(d["net"].(float64)) != int64(out)-int64(num("amount_in"))-5300 || d["allow"] != true {
		t.Fatalf("decision %v; recomputed base %d out %d", d, base, out)
	}
	if summary["opportunities"] != float64(1) || summary["discarded"] != float64(1) || summary["corrupt_lines"] != float64(0) {
		t.Fatalf("summary %v", summary)
	}
}

func TestReplayCommandBadInput(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no file":      {[]string{"replay"}, "exactly one"},
		"missing file": {[]string{"replay", filepath.Join(dir, "nope.jsonl")}, "opening recording"},
	} {
		var stdout, stderr bytes.Buffer
		if code := realMain(context.Background(), tc.args, &stdout, &stderr, noEnv); code == 0 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%s: exit %d stderr %q", name, code, stderr.String())
		}
	}
	// A file of garbage is counted, not fatal, and prints no decision.
	garbage := filepath.Join(dir, "garbage.jsonl")
	os.WriteFile(garbage, []byte("\x00\x01\x02\n{\"a\":\n[]\n"), 0o644)
	var stdout, stderr bytes.Buffer
	if code := realMain(context.Background(), []string{"replay", "--config", shippedConfig, garbage}, &stdout, &stderr, noEnv); code != 0 {
		t.Fatalf("garbage replay exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), `"corrupt_lines":3`) {
		t.Fatalf("output %s", stdout.String())
	}
}
