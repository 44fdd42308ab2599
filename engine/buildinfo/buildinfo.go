// Package buildinfo carries the version stamp of the hft-ninja binary.
//
// The release pipeline (.ko.yaml) sets Version, Commit and Date with
// -ldflags "-X github.com/hft-ninja/hft-ninja/engine/buildinfo.Version=...".
// They are the only package-level variables in the engine, and they are
// written only by the linker, never at run time.
package buildinfo

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
)

// Version is the release version, set at link time.
var Version = "dev"

// Commit is the source commit, set at link time.
var Commit = "unknown"

// Date is the build date (RFC 3339, from the commit time), set at link time.
var Date = "unknown"

// Info describes the running binary and the process identity it runs as.
// The container e2e test reads UID to prove the image runs as nonroot 65532.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"go"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	UID       int    `json:"uid"`
	GID       int    `json:"gid"`
	// Module is the main module path and version from the embedded build info.
	Module string `json:"module,omitempty"`
}

// Get returns the stamped build information plus the current uid/gid.
func Get() Info {
	info := Info{
		Version:   Version,
		Commit:    Commit,
		Date:      Date,
		GoVersion: runtime.Version(),
		OS:        runtime.GOOS,
		Arch:      runtime.GOARCH,
		UID:       os.Getuid(),
		GID:       os.Getgid(),
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		info.Module = bi.Main.Path
	}
	return info
}

// WriteText prints the information as "key: value" lines, one per field.
func (i Info) WriteText(w io.Writer) error {
	_, err := fmt.Fprintf(w,
		"version: %s\ncommit: %s\ndate: %s\ngo: %s\nplatform: %s/%s\nuid: %d\ngid: %d\n",
		i.Version, i.Commit, i.Date, i.GoVersion, i.OS, i.Arch, i.UID, i.GID)
	if err != nil {
		return fmt.Errorf("writing version: %w", err)
	}
	return nil
}
