package store

import (
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Shared is a Store in a bbolt file that holds the file (and its lock) only
// while transactions run, and for Linger after the last one, then lets go.
// The embedded mock (`--mock`) uses it: a process that waits (for a code
// typed by the user, `verify --wait`, `mock outbox --follow` between two
// polls) no longer keeps every other --mock process out of the same state
// file. bbolt allows one process at a time per file, so a transaction of
// another process still waits for the file: briefly, as every process lets
// go between its requests; when the wait passes a second, OnWait is told
// who holds the file.
type Shared struct {
	path string
	opts SharedOptions

	mu     sync.Mutex
	db     *bolt.DB
	active int
	// gen invalidates the linger timers of earlier releases.
	gen    uint64
	timer  *time.Timer
	closed bool
}

// SharedOptions configure OpenShared.
type SharedOptions struct {
	// Wait is how long a transaction waits for another process to let go
	// of the file before it fails with ErrLocked.
	Wait time.Duration
	// Linger keeps the file open this long after the last transaction, so
	// a command's burst of requests opens it once; default 50ms.
	Linger time.Duration
	// OnWait, when set, is called (once per wait) when a wait for the file
	// passes a second, with what is known about the process holding it.
	OnWait func(Holder)
}

// OpenShared opens the store file at path as OpenBolt does (creating it,
// seeding nothing) and returns it holding the file until its first linger
// passes.
func OpenShared(path string, opts SharedOptions) (*Shared, error) {
	if opts.Linger <= 0 {
		opts.Linger = 50 * time.Millisecond
	}
	if err := ensureDir(path); err != nil {
		return nil, err
	}
	b, err := openBolt(path, opts.Wait, opts.OnWait)
	if err != nil {
		return nil, err
	}
	s := &Shared{path: path, opts: opts, db: b.db}
	s.mu.Lock()
	s.scheduleRelease()
	s.mu.Unlock()
	return s, nil
}

// View runs a read-only transaction, opening the file if it was let go.
func (s *Shared) View(fn func(Tx) error) error {
	db, err := s.acquire()
	if err != nil {
		return err
	}
	defer s.release()
	return db.View(func(tx *bolt.Tx) error { return fn(boltTx{tx: tx}) })
}

// Update runs a read-write transaction, committed and synced to disk when
// fn returns nil.
func (s *Shared) Update(fn func(Tx) error) error {
	db, err := s.acquire()
	if err != nil {
		return err
	}
	defer s.release()
	return db.Update(func(tx *bolt.Tx) error { return fn(boltTx{tx: tx, writable: true}) })
}

// Held reports whether the file is open (and locked) by this process now.
func (s *Shared) Held() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.db != nil
}

// Path is the file behind the store.
func (s *Shared) Path() string { return s.path }

// Close lets go of the file for good.
func (s *Shared) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.gen++
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if s.db == nil {
		return nil
	}
	err := s.db.Close()
	s.db = nil
	return err
}

var errClosed = errors.New("store: the mock state file was closed")

func (s *Shared) acquire() (*bolt.DB, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errClosed
	}
	s.gen++
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if s.db == nil {
		b, err := openBolt(s.path, s.opts.Wait, s.opts.OnWait)
		if err != nil {
			return nil, err
		}
		s.db = b.db
	}
	s.active++
	return s.db, nil
}

func (s *Shared) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.active--
	if s.active == 0 && !s.closed {
		s.scheduleRelease()
	}
}

// scheduleRelease closes the file after the linger unless a transaction
// starts first. s.mu is held.
func (s *Shared) scheduleRelease() {
	s.gen++
	gen := s.gen
	s.timer = time.AfterFunc(s.opts.Linger, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if gen != s.gen || s.active > 0 || s.db == nil {
			return
		}
		_ = s.db.Close()
		s.db, s.timer = nil, nil
	})
}

// openBolt opens the file, waiting up to wait for another process to let
// go of it; after a second of waiting it tells onWait who holds it.
func openBolt(path string, wait time.Duration, onWait func(Holder)) (*Bolt, error) {
	open := func(timeout time.Duration) (*bolt.DB, error) {
		return bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, FreelistType: bolt.FreelistMapType})
	}
	first := wait
	if onWait != nil && wait > time.Second {
		first = time.Second
	}
	db, err := open(first)
	if errors.Is(err, bolt.ErrTimeout) && first < wait {
		onWait(LockHolder(path))
		db, err = open(wait - first)
	}
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			h := LockHolder(path)
			return nil, fmt.Errorf("%w (%s, held by %s); wait for it to finish or use another MFACTL_MOCK_STATE", ErrLocked, path, h)
		}
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return &Bolt{db: db}, nil
}

// Holder is what is known about the process holding a state file's lock.
type Holder struct {
	// PID is 0 when the system does not say (only Linux does, through
	// /proc/locks).
	PID int
	// Command is the holder's program and first arguments that are not
	// flags (such as "mfactl verify"); flag values, which may be secrets,
	// are left out.
	Command string
}

func (h Holder) String() string {
	switch {
	case h.PID == 0:
		return "another process"
	case h.Command == "":
		return fmt.Sprintf("process %d", h.PID)
	}
	return fmt.Sprintf("process %d (%s)", h.PID, h.Command)
}
