package reports

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// AtomicFile is an output file that appears complete or not at all: writes
// go to a temporary file (mode 0600) in the target's directory, Commit
// renames it over the target, and Close without Commit removes it. A run
// interrupted by Ctrl-C or a network error therefore leaves no half-written
// report. (Only a process killed outright leaves its temporary file, named
// .NAME.*.tmp beside the target.)
type AtomicFile struct {
	f      *os.File
	path   string
	closed bool
}

// CreateAtomic starts writing path atomically.
func CreateAtomic(path string) (*AtomicFile, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return &AtomicFile{f: f, path: path}, nil
}

// Write writes to the temporary file.
func (a *AtomicFile) Write(p []byte) (int, error) {
	if a.closed {
		return 0, os.ErrClosed
	}
	return a.f.Write(p)
}

// Commit flushes the file to disk and renames it to the target path.
func (a *AtomicFile) Commit() error {
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
func (a *AtomicFile) Close() error {
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

// WriteFileAtomic runs write on an atomic file for path and commits it only
// if write succeeds: on error (including a canceled context the writer
// returns) the target is left untouched.
func WriteFileAtomic(path string, write func(w io.Writer) error) error {
	f, err := CreateAtomic(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := write(f); err != nil {
		return err
	}
	return f.Commit()
}
