package buildinfo

import (
	"bytes"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func TestGetReportsProcessIdentity(t *testing.T) {
	i := Get()
	if i.UID != os.Getuid() || i.GID != os.Getgid() {
		t.Fatalf("uid/gid = %d/%d, want %d/%d", i.UID, i.GID, os.Getuid(), os.Getgid())
	}
	if i.GoVersion != runtime.Version() || i.OS != runtime.GOOS || i.Arch != runtime.GOARCH {
		t.Fatalf("runtime fields wrong: %+v", i)
	}
}

func TestWriteText(t *testing.T) {
	i := Info{Version: "v1.2.3", Commit: "abc", Date: "2026-01-01T00:00:00Z", GoVersion: "go1.26", OS: "linux", Arch: "arm64", UID: 65532, GID: 65532}
	var b bytes.Buffer
	if err := i.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"version: v1.2.3\n", "commit: abc\n", "platform: linux/arm64\n", "uid: " + strconv.Itoa(65532) + "\n", "gid: 65532\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output %q lacks %q", b.String(), want)
		}
	}
}
