package bulk

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// OpState is where an operation stands in the journal.
type OpState byte

// Operation states. Intent means the operation was (or was about to be)
// sent and no outcome was recorded: it is settled by re-reading the user,
// never by sending it again blindly.
const (
	StatePending OpState = iota
	StateIntent
	StateDone
	StateFailed
	StateConflict
	StateSkipped
)

var stateNames = []string{"pending", "intent", "done", "failed", "conflict", "skipped"}

func (s OpState) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// Final reports whether the operation needs nothing more.
func (s OpState) Final() bool { return s >= StateDone }

func parseState(s string) (OpState, bool) {
	for i, n := range stateNames {
		if n == s {
			return OpState(i), true
		}
	}
	return 0, false
}

// journalLine is one line of the journal: the header names the plan,
// every other line is an operation's state.
type journalLine struct {
	Plan  string    `json:"plan,omitempty"`
	Ops   int       `json:"ops,omitempty"`
	N     *int      `json:"n,omitempty"`
	State string    `json:"s,omitempty"`
	Ev    *Evidence `json:"ev,omitempty"`
	Msg   string    `json:"msg,omitempty"`
}

// Journal is the apply journal beside a plan: an append-only file of
// operation states. Intents are synced to disk before the operations are
// sent, so after a crash every operation that may have been sent is
// known. Memory is one byte per operation plus the messages of the
// operations that did not succeed.
type Journal struct {
	path   string
	f      *os.File
	w      *bufio.Writer
	states []OpState
	ev     map[int]Evidence
	msgs   map[int]string
}

// JournalPath is where the journal of a plan file lives.
func JournalPath(plan string) string { return plan + ".journal" }

// OpenJournal opens (or creates, mode 0600) the journal of plan id with
// ops operations and replays it. A torn last line (a crash mid-write) is
// ignored: its operation is still an intent, or still pending.
func OpenJournal(path, planID string, ops int) (*Journal, error) {
	j := &Journal{path: path, states: make([]OpState, ops), ev: map[int]Evidence{}, msgs: map[int]string{}}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	j.f = f
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.Size() == 0 {
		b, _ := json.Marshal(journalLine{Plan: planID, Ops: ops})
		if _, err := f.Write(append(b, '\n')); err != nil {
			f.Close()
			return nil, err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, err
		}
	} else if err := j.replay(planID, true); err != nil {
		f.Close()
		return nil, err
	}
	j.w = bufio.NewWriter(f)
	return j, nil
}

func (j *Journal) replay(planID string, repair bool) error {
	sc := bufio.NewScanner(j.f)
	sc.Buffer(make([]byte, 4096), 1<<20)
	first := true
	endsInNewline := true
	for sc.Scan() {
		var l journalLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			continue // a torn line
		}
		if first {
			first = false
			if l.Plan != planID || l.Ops != len(j.states) {
				return fmt.Errorf("the journal %s belongs to plan %s with %d operations, not this plan (%s, %d): move it away or use its plan", j.path, l.Plan, l.Ops, planID, len(j.states))
			}
			continue
		}
		if l.N == nil || *l.N < 0 || *l.N >= len(j.states) {
			continue
		}
		s, ok := parseState(l.State)
		if !ok {
			continue
		}
		j.set(*l.N, s, l.Ev, l.Msg)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading the journal %s: %w", j.path, err)
	}
	if first {
		return fmt.Errorf("the journal %s has no header: move it away", j.path)
	}
	if !repair {
		return nil
	}
	// Append after a torn line on a line of its own.
	if _, err := j.f.Seek(-1, io.SeekEnd); err == nil {
		b := make([]byte, 1)
		if _, err := j.f.Read(b); err == nil && b[0] != '\n' {
			endsInNewline = false
		}
	}
	if _, err := j.f.Seek(0, io.SeekEnd); err != nil {
		return err
	}
	if !endsInNewline {
		_, err := j.f.Write([]byte("\n"))
		return err
	}
	return nil
}

func (j *Journal) set(n int, s OpState, ev *Evidence, msg string) {
	j.states[n] = s
	if s == StateIntent && ev != nil {
		j.ev[n] = *ev
	} else if s != StateIntent {
		delete(j.ev, n)
	}
	if msg != "" {
		j.msgs[n] = msg
	} else if s == StateDone {
		delete(j.msgs, n)
	}
}

// State is the operation's state.
func (j *Journal) State(n int) OpState { return j.states[n] }

// Evidence is what was noted with the operation's intent.
func (j *Journal) Evidence(n int) Evidence { return j.ev[n] }

// Message is the error or note recorded with the operation.
func (j *Journal) Message(n int) string { return j.msgs[n] }

// Counts counts the operations by state.
func (j *Journal) Counts() map[OpState]int {
	c := map[OpState]int{}
	for _, s := range j.states {
		c[s]++
	}
	return c
}

func (j *Journal) write(n int, s OpState, ev *Evidence, msg string) error {
	b, err := json.Marshal(journalLine{N: &n, State: s.String(), Ev: ev, Msg: msg})
	if err != nil {
		return err
	}
	j.set(n, s, ev, msg)
	if _, err := j.w.Write(b); err != nil {
		return err
	}
	return j.w.WriteByte('\n')
}

// Intend records that the operations are about to be sent, with their
// evidence, and syncs the journal to disk: it returns only once a crash
// can no longer lose them.
func (j *Journal) Intend(ns []int, evs []Evidence) error {
	for i, n := range ns {
		var ev *Evidence
		if i < len(evs) {
			e := evs[i]
			ev = &e
		}
		if err := j.write(n, StateIntent, ev, ""); err != nil {
			return err
		}
	}
	return j.Sync()
}

// Record records an operation's outcome (with its error or note). It is
// written at once but synced later: an outcome lost in a crash leaves the
// intent, which the next run settles by reading the user.
func (j *Journal) Record(n int, s OpState, msg string) error {
	return j.write(n, s, nil, msg)
}

// Sync flushes and syncs the journal.
func (j *Journal) Sync() error {
	if err := j.w.Flush(); err != nil {
		return err
	}
	return j.f.Sync()
}

// Close syncs and closes the journal.
func (j *Journal) Close() error {
	err := j.Sync()
	if cerr := j.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ReadJournal replays a journal without opening it for writing (bulk
// status). A missing journal is an apply that has not started.
func ReadJournal(path, planID string, ops int) (*Journal, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Journal{path: path, states: make([]OpState, ops), ev: map[int]Evidence{}, msgs: map[int]string{}}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	j := &Journal{path: path, f: f, states: make([]OpState, ops), ev: map[int]Evidence{}, msgs: map[int]string{}}
	if err := j.replay(planID, false); err != nil {
		return nil, err
	}
	j.f = nil
	return j, nil
}
