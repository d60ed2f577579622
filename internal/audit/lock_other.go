//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package audit

import (
	"fmt"
	"runtime"
)

// lockPath has no file lock to take on this system: refusing is better
// than letting two writers interleave records.
func lockPath(string) (func(), error) {
	return nil, fmt.Errorf("audit: file locking is not supported on %s, so the audit log cannot be written safely", runtime.GOOS)
}
