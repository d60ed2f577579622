// Package buildinfo holds the version stamped into the binary by the linker:
//
//	go build -ldflags "-X github.com/mfactl/mfactl/internal/buildinfo.Version=v1.2.3
//	  -X github.com/mfactl/mfactl/internal/buildinfo.Commit=abc123
//	  -X github.com/mfactl/mfactl/internal/buildinfo.Date=2026-11-23T00:00:00Z"
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set by -ldflags -X at release time (see .goreleaser.yaml).
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// Info describes this build.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	Date      string `json:"date,omitempty"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// Get returns the build information, falling back to the module version Go
// records for `go install` builds, and to "dev" for local builds.
func Get() Info {
	info := Info{Version: Version, Commit: Commit, Date: Date, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if info.Version == "" {
		info.Version = "dev"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
	}
	return info
}

// String is the one-line form printed by `mfactl version`.
func (i Info) String() string {
	s := fmt.Sprintf("mfactl %s", i.Version)
	if i.Commit != "" {
		s += fmt.Sprintf(" (commit %s", i.Commit)
		if i.Date != "" {
			s += ", built " + i.Date
		}
		s += ")"
	}
	return s + fmt.Sprintf(" %s %s", i.GoVersion, i.Platform)
}
