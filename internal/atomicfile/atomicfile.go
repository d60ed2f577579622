// Package atomicfile writes files that appear complete or not at all: the
// one atomic file writer of mfactl (reports, the configuration, the audit
// log's head, PEM files, QR codes).
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// File is an output file that appears complete or not at all: writes go to
// a temporary file in the target's directory, Commit renames it over the
// target, and Close without Commit removes it. A run interrupted by Ctrl-C
// or a network error therefore leaves no half-written file. A process
// killed outright (kill -9) leaves its temporary file, named
// .NAME.PID-*.tmp beside the target; the next Create of the same target
// removes those whose process is gone.
type File struct {
	f      *os.File
	path   string
	closed bool
}

// Create starts writing path atomically; the file gets mode perm.
func Create(path string, perm fs.FileMode) (*File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	sweep(dir, base)
	f, err := os.CreateTemp(dir, fmt.Sprintf(".%s.%d-*.tmp", base, os.Getpid()))
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return &File{f: f, path: path}, nil
}

// Write writes to the temporary file.
func (a *File) Write(p []byte) (int, error) {
	if a.closed {
		return 0, os.ErrClosed
	}
	return a.f.Write(p)
}

// Commit flushes the file to disk and renames it to the target path.
func (a *File) Commit() error {
	if a.closed {
		return os.ErrClosed
	}
	a.closed = true
	name := a.f.Name()
	err := a.f.Sync()
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, a.path)
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("write %s: %w", a.path, err)
	}
	return nil
}

// Close abandons the file if it was not committed (removing the temporary
// file) and is a no-op otherwise, so it can always be deferred.
func (a *File) Close() error {
	if a.closed {
		return nil
	}
	a.closed = true
	err := a.f.Close()
	if rerr := os.Remove(a.f.Name()); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
		err = rerr
	}
	return err
}

// Write runs write on an atomic file for path and commits it only if write
// succeeds: on error (including a canceled context the writer returns) the
// target is left untouched.
func Write(path string, perm fs.FileMode, write func(w io.Writer) error) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := write(f); err != nil {
		return err
	}
	return f.Commit()
}

// WriteBytes writes data to path atomically with mode perm.
func WriteBytes(path string, data []byte, perm fs.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// staleAge is how old a temporary file of the earlier naming (no process
// id in its name) must be before sweep removes it.
const staleAge = 24 * time.Hour

// sweep removes the temporary files of base in dir that a killed process
// left: those naming a process that no longer runs, and those of the
// earlier naming older than staleAge. A file it cannot judge is kept.
func sweep(dir, base string) {
	prefix := "." + base + "."
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok || !strings.HasSuffix(rest, ".tmp") || e.IsDir() {
			continue
		}
		stale := false
		if pidText, _, ok := strings.Cut(strings.TrimSuffix(rest, ".tmp"), "-"); ok {
			pid, err := strconv.Atoi(pidText)
			stale = err == nil && pid > 0 && pid != os.Getpid() && !processRuns(pid)
		} else if info, err := e.Info(); err == nil {
			stale = time.Since(info.ModTime()) > staleAge
		}
		if stale {
			_ = os.Remove(filepath.Join(dir, name))
		}
	}
}
