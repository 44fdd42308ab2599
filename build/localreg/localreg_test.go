package localreg_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/hft-ninja/hft-ninja/build/localreg"
)

func TestSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	reg, err := localreg.Start(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	img, _ := random.Image(512, 2)
	h, _ := img.Digest()
	d, _ := name.NewDigest(reg.Addr() + "/app@" + h.String())
	if err := remote.Write(d, img); err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag(reg.Addr() + "/app:v1")
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	addr := reg.Addr()
	if err := reg.Close(); err != nil {
		t.Fatal(err)
	}

	reg2, err := localreg.Start(ctx, dir, localreg.WithAddr(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer reg2.Close()
	got, err := remote.Image(d)
	if err != nil {
		t.Fatalf("image lost across restart: %v", err)
	}
	if gh, _ := got.Digest(); gh != h {
		t.Errorf("digest %s, want %s", gh, h)
	}
	if _, err := remote.Head(tag); err != nil {
		t.Errorf("tag lost across restart: %v", err)
	}
}

func TestRefusesNonLoopback(t *testing.T) {
	if _, err := localreg.Start(context.Background(), t.TempDir(), localreg.WithAddr("0.0.0.0:0")); err == nil {
		t.Error("embedded registry bound to all interfaces")
	}
}

func TestAnswersWithItsIdentity(t *testing.T) {
	dir := t.TempDir()
	reg, err := localreg.Start(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	id := localreg.ID(dir)
	if len(id) != 32 {
		t.Fatalf("identity %q", id)
	}
	st, err := os.Stat(filepath.Join(dir, "id"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("identity file: %v %v", st, err)
	}
	resp, err := http.Get("http://" + reg.Addr() + localreg.IDPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if string(b) != id {
		t.Errorf("registry answered %q, want %q", b, id)
	}
}
