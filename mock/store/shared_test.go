package store

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// waitReleased polls until s lets go of its file (the linger passed).
func waitReleased(t *testing.T, s *Shared) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); s.Held(); {
		if time.Now().After(deadline) {
			t.Fatal("the shared store still holds its file")
		}
		time.Sleep(time.Millisecond)
	}
}

// A Shared store lets go of its file between transactions, so another
// opener gets it; it opens it again for the next transaction and keeps
// what was written.
func TestSharedLetsGoBetweenTransactions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "mock.db")
	s, err := OpenShared(path, SharedOptions{Wait: 5 * time.Second, Linger: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Update(func(tx Tx) error { return tx.Put("b", "k", []byte("v1")) }); err != nil {
		t.Fatal(err)
	}
	waitReleased(t, s)
	// Another holder (as another process would be; flock is per open file).
	other, err := OpenBolt(path, 100*time.Millisecond)
	if err != nil {
		t.Fatalf("the file is still locked after the linger: %v", err)
	}
	if err := other.Update(func(tx Tx) error { return tx.Put("b", "k", []byte("v2")) }); err != nil {
		t.Fatal(err)
	}
	other.Close()
	var got string
	if err := s.View(func(tx Tx) error { b, _ := tx.Get("b", "k"); got = string(b); return nil }); err != nil || got != "v2" {
		t.Fatalf("after reopening: %q %v", got, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.View(func(Tx) error { return nil }); !errors.Is(err, errClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

// A transaction that waits a second for another holder says so (once),
// and goes on when the holder lets go; one that waits too long fails with
// ErrLocked.
func TestSharedSaysWhoHoldsTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mock.db")
	s, err := OpenShared(path, SharedOptions{Wait: 20 * time.Second, Linger: time.Millisecond, OnWait: nil})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	waitReleased(t, s)
	told := make(chan Holder, 2)
	s.opts.OnWait = func(h Holder) { told <- h }
	holder, err := OpenBolt(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.View(func(Tx) error { return nil }) }()
	select {
	case h := <-told:
		// The holder is this very process, which LockHolder leaves out.
		if h.String() != "another process" {
			t.Errorf("holder %q", h)
		}
	case err := <-done:
		t.Fatalf("the transaction did not wait: %v", err)
	}
	holder.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(told) != 0 {
		t.Error("told twice")
	}

	waitReleased(t, s)
	holder, err = OpenBolt(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	s.opts.Wait, s.opts.OnWait = 50*time.Millisecond, nil
	if err := s.View(func(Tx) error { return nil }); !errors.Is(err, ErrLocked) {
		t.Fatalf("a wait past Wait: %v", err)
	}
}
