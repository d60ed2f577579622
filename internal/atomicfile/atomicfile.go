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
)

// File is an output file that appears complete or not at all: writes go to
// a temporary file in the target's directory, Commit renames it over the
// target, and Close without Commit removes it. A run interrupted by Ctrl-C
// or a network error therefore leaves no half-written file. (Only a
// process killed outright leaves its temporary file, named .NAME.*.tmp
// beside the target.)
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
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
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
