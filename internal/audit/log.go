package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/mfactl/mfactl/internal/atomicfile"
)

// DefaultFileName is the log's name in mfactl's state directory.
const DefaultFileName = "audit.log"

// maxLine bounds one record, so a damaged file cannot make a reader
// allocate without limit.
const maxLine = 64 << 20

// Log is an audit log: the file of records, with <path>.head (the last
// record written) and <path>.lock (what writers lock) beside it.
type Log struct {
	path string
}

// Open returns the log at path; nothing is created until the first Append.
func Open(path string) *Log { return &Log{path: path} }

// Path is the log file's path.
func (l *Log) Path() string { return l.path }

func (l *Log) headPath() string { return l.path + ".head" }
func (l *Log) lockPath() string { return l.path + ".lock" }

// DamagedError means the log does not end the way its head file says, so
// appending would hide the damage: mfactl refuses to change anything.
type DamagedError struct {
	Path   string
	Reason string
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("audit log %s is damaged: %s", e.Path, e.Reason)
}

// head is the content of the head file: the last record written, and the
// verified checkpoint.
//
// The checkpoint keeps the cost of an append small however long the log
// grows, while damage anywhere in it still stops the next change. Size and
// Stamp describe the log file right after mfactl last appended to it or
// verified it from the first record: its length, and its change stamp
// (inode and status-change time, see changeStamp). Before each append (and
// in the check a mutating command makes before it changes anything), under
// the lock:
//   - the last record is checked against the head (its hash, its number,
//     its link), as always: that costs one record;
//   - when the file's size or change stamp is not the checkpoint's, some
//     other writer touched the file since mfactl last saw it whole (an
//     edited byte, a deleted record, a restored copy, a crash between the
//     record and the head), and the whole chain is verified again before
//     anything is appended;
//   - every fullEvery appends the whole chain is verified anyway, so a
//     system without a change stamp (Windows) or a clock turned back by
//     root still gets a full check regularly.
//
// A full verification reads and hashes every record (see BenchmarkAppend
// for the numbers); the common append reads one record and stats the file.
type head struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
	// Size is the log's length in bytes when the head was written; 0 in
	// heads written before the checkpoint existed (then the next append
	// verifies the whole chain once).
	Size int64 `json:"size,omitempty"`
	// Stamp is the log's change stamp then ("" where the system has none).
	Stamp string `json:"stamp,omitempty"`
	// SinceFull counts the records appended since the whole chain was last
	// verified.
	SinceFull int `json:"sinceFull,omitempty"`
}

// fullEvery is how many appends may follow a full verification before the
// next one is due even when the file looks untouched.
const fullEvery = 1000

// procMu serialises writers inside one process; the file lock serialises
// processes. (flock is per open file, so it would do for goroutines on
// Linux too, but not where locks are per process.)
var procMu sync.Mutex

// Append writes r as the next record: it sets Seq, Prev, Hash (and V,
// Kind and Time when empty) and returns the record as written. The write
// happens under an exclusive lock; the record is fsynced before the head
// file names it.
func (l *Log) Append(r Record) (Record, error) {
	procMu.Lock()
	defer procMu.Unlock()
	if err := os.MkdirAll(filepath.Dir(l.path), 0o700); err != nil {
		return Record{}, fmt.Errorf("audit: %w", err)
	}
	unlock, err := lockPath(l.lockPath())
	if err != nil {
		return Record{}, err
	}
	defer unlock()

	f, err := os.OpenFile(l.path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return Record{}, fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	if err := keepPrivate(f); err != nil {
		return Record{}, err
	}
	st, err := l.state(f)
	if err != nil {
		return Record{}, err
	}
	if st.remnant != nil {
		if err := l.seal(f, &st); err != nil {
			return Record{}, err
		}
	}
	if r.V == 0 {
		r.V = FormatVersion
	}
	if r.Kind == "" {
		r.Kind = KindCommand
	}
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	r.Time = r.Time.UTC()
	r.Seq, r.Prev = st.seq+1, st.hash
	line, hash, err := encodeLine(r)
	if err != nil {
		return Record{}, err
	}
	if err := writeSync(f, line); err != nil {
		return Record{}, err
	}
	r.Hash = hash
	if err := l.writeHead(f, head{Seq: r.Seq, Hash: hash, SinceFull: st.sinceFull + 1}); err != nil {
		return Record{}, err
	}
	return r, nil
}

// Check reports whether a record could be appended now: the log ends the
// way its head file says. Mutating commands call it before changing
// anything, so a damaged log stops them before the tenant changes.
func (l *Log) Check() error {
	procMu.Lock()
	defer procMu.Unlock()
	f, err := os.Open(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		if _, herr := os.Stat(l.headPath()); herr == nil {
			return &DamagedError{Path: l.path, Reason: "the log file is gone but its head file remains"}
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	unlock, err := lockPath(l.lockPath())
	if err != nil {
		return err
	}
	defer unlock()
	st, err := l.state(f)
	if err != nil {
		return err
	}
	if st.full && st.remnant == nil && st.headCurrent {
		// Remember the verification, so the append that follows does not
		// repeat it.
		return l.writeHead(f, head{Seq: st.seq, Hash: st.hash, SinceFull: 0})
	}
	return nil
}

// tailState is where the log stands: the last complete record, and the
// bytes of an interrupted write after it.
type tailState struct {
	seq     int64
	hash    string
	remnant []byte
	// finish: the remnant is a whole record missing only its newline.
	finish bool
	// full: the whole chain was verified just now; sinceFull counts the
	// records appended since the last full verification.
	full      bool
	sinceFull int
	// headCurrent: the head file names the last record.
	headCurrent bool
}

// state reads the end of the log and the head file and checks that they
// agree.
func (l *Log) state(f *os.File) (tailState, error) {
	info, err := f.Stat()
	if err != nil {
		return tailState{}, fmt.Errorf("audit: %w", err)
	}
	last, remnant, err := readTail(f, info.Size())
	if err != nil {
		return tailState{}, &DamagedError{Path: l.path, Reason: err.Error()}
	}
	hd, err := l.readHead()
	if err != nil {
		return tailState{}, err
	}
	st := tailState{hash: zeroHash, remnant: remnant}
	damaged := func(format string, args ...any) (tailState, error) {
		return tailState{}, &DamagedError{Path: l.path, Reason: fmt.Sprintf(format, args...)}
	}
	var lastPrev string
	if last != nil {
		r, payload, claimed, err := decodeLine(last)
		if err != nil {
			return damaged("its last line is not a record (%v)", err)
		}
		if chainHash(r.Prev, payload) != claimed {
			return damaged("its last record (record %d) was edited", r.Seq)
		}
		st.seq, st.hash, lastPrev = r.Seq, claimed, r.Prev
	}
	switch {
	case hd == nil && last != nil:
		return damaged("its head file %s is missing, so records cut from the end could not be noticed", l.headPath())
	case hd == nil:
	case hd.Seq == st.seq && hd.Hash == st.hash:
		st.headCurrent = true
	case last != nil && hd.Seq+1 == st.seq && hd.Hash == lastPrev:
		// Interrupted after the record was saved and before the head
		// was: the record is good, the head catches up below.
	case hd.Seq > st.seq:
		return damaged("it ends at record %d but record %d was written (records were removed from the end)", st.seq, hd.Seq)
	default:
		return damaged("its last record (record %d) is not the one its head file names (record %d)", st.seq, hd.Seq)
	}
	if hd != nil {
		st.sinceFull = hd.SinceFull
		if hd.Size == 0 || hd.Size != info.Size() || hd.Stamp != changeStamp(f) || hd.SinceFull >= fullEvery {
			if err := l.verifyChain(f, info.Size()-int64(len(remnant))); err != nil {
				return tailState{}, err
			}
			st.full, st.sinceFull = true, 0
		}
	}
	if len(remnant) > 0 {
		// An interrupted write that got all but the newline is a good
		// record: finish it rather than seal it.
		if r, payload, claimed, err := decodeLine(remnant); err == nil && r.Seq == st.seq+1 && r.Prev == st.hash && chainHash(r.Prev, payload) == claimed {
			st.finish = true
		}
	} else {
		st.remnant = nil
	}
	return st, nil
}

// seal deals with the remnant of an interrupted write: a whole record gets
// its newline; anything else is ended with a newline and covered by a
// recovery record naming its length and hash, so the chain goes on and
// verify can tell a crash from an edit.
func (l *Log) seal(f *os.File, st *tailState) error {
	if err := writeSync(f, []byte{'\n'}); err != nil {
		return err
	}
	if st.finish {
		r, _, claimed, _ := decodeLine(st.remnant)
		st.seq, st.hash, st.remnant = r.Seq, claimed, nil
		st.sinceFull++
		return l.writeHead(f, head{Seq: st.seq, Hash: st.hash, SinceFull: st.sinceFull})
	}
	frag := fragmentOf(st.remnant)
	rec := Record{V: FormatVersion, Kind: KindRecovery, Time: time.Now().UTC(), Actor: Actor{Source: "mfactl"},
		Error: "an earlier write was interrupted; its remnant is the line before this record", Recovered: &frag,
		Seq: st.seq + 1, Prev: st.hash}
	line, hash, err := encodeLine(rec)
	if err != nil {
		return err
	}
	if err := writeSync(f, line); err != nil {
		return err
	}
	st.seq, st.hash, st.remnant = rec.Seq, hash, nil
	st.sinceFull++
	return l.writeHead(f, head{Seq: st.seq, Hash: st.hash, SinceFull: st.sinceFull})
}

func writeSync(f *os.File, b []byte) error {
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("audit: write %s: %w", f.Name(), err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("audit: sync %s: %w", f.Name(), err)
	}
	return nil
}

// keepPrivate makes the log 0600 when it is not (a copy restored with the
// wrong mode): it holds phone numbers and who did what.
func keepPrivate(f *os.File) error {
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		if err := f.Chmod(0o600); err != nil {
			return fmt.Errorf("audit: make %s private (0600): %w", f.Name(), err)
		}
	}
	return nil
}

func (l *Log) readHead() (*head, error) {
	b, err := os.ReadFile(l.headPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	var h head
	if err := json.Unmarshal(b, &h); err != nil || h.Seq < 0 || len(h.Hash) != 64 {
		return nil, &DamagedError{Path: l.path, Reason: fmt.Sprintf("its head file %s is not mfactl's", l.headPath())}
	}
	return &h, nil
}

// verifyChain checks every record in the first n bytes of the log (its
// complete lines): the full verification of the checkpoint.
func (l *Log) verifyChain(f *os.File, n int64) error {
	var res Result
	if _, err := scanChain(io.NewSectionReader(f, 0, n), l.path, nil, &res); err != nil {
		return err
	}
	if res.Problem != nil {
		return &DamagedError{Path: l.path, Reason: res.Problem.Error()}
	}
	return nil
}

// writeHead replaces the head file atomically (temporary file, fsync,
// rename), so it is always either the old head or the new one. It sets
// the checkpoint's size and stamp from f, the log as it now is.
func (l *Log) writeHead(f *os.File, h head) error {
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	h.Size, h.Stamp = info.Size(), changeStamp(f)
	b, _ := json.Marshal(h)
	if err := atomicfile.WriteBytes(l.headPath(), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("audit: write head: %w", err)
	}
	return nil
}

// readTail returns the last complete line (without its newline) and the
// bytes after it (an interrupted write), reading backwards from the end in
// chunks so a long log costs no more than its last record.
func readTail(r io.ReaderAt, size int64) (last, remnant []byte, err error) {
	const chunk = 64 << 10
	var buf []byte // the file's bytes from off to size
	off := size
	for {
		if nl := bytes.LastIndexByte(buf, '\n'); nl >= 0 {
			if start := bytes.LastIndexByte(buf[:nl], '\n'); start >= 0 || off == 0 {
				return buf[start+1 : nl], buf[nl+1:], nil
			}
		} else if off == 0 {
			return nil, buf, nil
		}
		if int64(len(buf)) > 2*maxLine {
			return nil, nil, fmt.Errorf("its last record is longer than %d MiB", maxLine>>20)
		}
		n := min(int64(chunk), off)
		off -= n
		b := make([]byte, n, n+int64(len(buf)))
		if _, err := r.ReadAt(b, off); err != nil && !errors.Is(err, io.EOF) {
			return nil, nil, err
		}
		buf = append(b, buf...)
	}
}
