package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"
)

// Problem is the first bad place in a log: the line, the record it holds
// (when it could be read) and what is wrong.
type Problem struct {
	Line    int
	Seq     int64
	Time    time.Time
	Command string
	Reason  string
}

func (p *Problem) Error() string {
	if p.Line == 0 {
		// A problem with a record found by its number, not its line.
		return fmt.Sprintf("record %d: %s", p.Seq, p.Reason)
	}
	where := fmt.Sprintf("line %d", p.Line)
	if p.Seq > 0 {
		where += fmt.Sprintf(" (record %d", p.Seq)
		if !p.Time.IsZero() {
			where += ", " + p.Time.UTC().Format(time.RFC3339)
		}
		if p.Command != "" {
			where += ", `" + p.Command + "`"
		}
		where += ")"
	}
	return where + ": " + p.Reason
}

// Result is what reading a whole log found.
type Result struct {
	Path    string `json:"path"`
	Records int    `json:"records"`
	// LastSeq and Head are the last record's number and hash: keep the
	// head elsewhere to notice a rewrite of the whole chain later.
	LastSeq int64  `json:"lastSeq"`
	Head    string `json:"head,omitempty"`
	// Notes are harmless findings: the sealed remnant of a crash, a head
	// file one record behind.
	Notes   []string `json:"notes,omitempty"`
	Problem *Problem `json:"-"`
}

// Intact reports whether no problem was found.
func (r Result) Intact() bool { return r.Problem == nil }

// Scan reads the log from the start, checking the chain, and calls fn for
// each good record in order. It stops at the first problem, which it
// returns in Result.Problem (the error is for I/O failures and fn's own).
func (l *Log) Scan(fn func(Record) error) (Result, error) {
	res := Result{Path: l.path}
	hd, herr := l.readHead()
	f, err := os.Open(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		if hd != nil {
			res.Problem = &Problem{Line: 1, Reason: fmt.Sprintf("the log is gone but its head file names record %d", hd.Seq)}
		}
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	if herr != nil {
		var de *DamagedError
		if !errors.As(herr, &de) {
			return res, herr
		}
	}

	lastPrev, err := scanChain(f, l.path, fn, &res)
	if err != nil || res.Problem != nil {
		return res, err
	}
	end := func(format string, args ...any) (Result, error) {
		res.Problem = &Problem{Line: res.Records + 1, Reason: fmt.Sprintf(format, args...)}
		return res, nil
	}
	switch {
	case herr != nil:
		return end("%v", herr)
	case hd == nil && res.Records > 0:
		return end("the head file %s is missing, so records cut from the end cannot be noticed", l.headPath())
	case hd == nil, hd.Seq == res.LastSeq && hd.Hash == res.Head:
	case hd.Seq > res.LastSeq && hd.Seq == res.LastSeq+1:
		return end("record %d was removed from the end (the head file names it)", hd.Seq)
	case hd.Seq > res.LastSeq:
		return end("records %d to %d were removed from the end (the head file names record %d)", res.LastSeq+1, hd.Seq, hd.Seq)
	case hd.Seq == res.LastSeq:
		return end("the last record is not the one the head file names: it was replaced")
	case hd.Seq+1 == res.LastSeq && hd.Hash == lastPrev:
		res.Notes = append(res.Notes, fmt.Sprintf("the head file names record %d, one behind (a write was interrupted after its record was saved); the next change updates it", hd.Seq))
	default:
		return end("the head file names record %d but the log goes on to record %d: records were added without mfactl, or the head file was replaced", hd.Seq, res.LastSeq)
	}
	return res, nil
}

// scanChain reads records from src, checking each hash, number and link,
// calls fn for each good one, and counts them in res. The first problem
// goes to res.Problem; the error is for I/O failures and fn's own. It
// returns the last record's prev, for the head checks.
func scanChain(src io.Reader, path string, fn func(Record) error, res *Result) (string, error) {
	rd := bufio.NewReaderSize(src, 64<<10)
	prev, expect := zeroHash, int64(1)
	var lastPrev string
	// pending is an unreadable line, acceptable only as the remnant of an
	// interrupted write that the next record seals.
	type remnant struct {
		line int
		frag Fragment
		why  error
	}
	var pending *remnant
	problem := func(line int, r *chainFields, format string, args ...any) (string, error) {
		p := &Problem{Line: line, Reason: fmt.Sprintf(format, args...)}
		if r != nil {
			p.Seq, p.Time, p.Command = r.Seq, r.Time, r.Command
		}
		res.Problem = p
		return lastPrev, nil
	}
	for lineNo := 1; ; lineNo++ {
		b, err := readLine(rd)
		if err == io.EOF && len(b) == 0 {
			break
		}
		if err != nil && err != io.EOF {
			if errors.Is(err, errLineTooLong) {
				return problem(lineNo, nil, "the line is longer than %d MiB: not a record", maxLine>>20)
			}
			return lastPrev, fmt.Errorf("audit: read %s: %w", path, err)
		}
		complete := err == nil
		// The chain needs a few members; the whole record is decoded only
		// for fn.
		var r chainFields
		payload, claimed, derr := decodeInto(b, &r)
		if !complete {
			if derr == nil && r.Seq == expect && r.Prev == prev && chainHash(r.Prev, payload) == claimed && pending == nil {
				res.Notes = append(res.Notes, fmt.Sprintf("line %d (record %d) lacks its final newline (a write was interrupted at its last byte); the next change completes it", lineNo, r.Seq))
			} else {
				return problem(lineNo, nil, "the file ends in the middle of a record (a write was interrupted, or the file was cut); if this was a crash, the next mfactl change seals it")
			}
		}
		if derr != nil {
			if pending != nil {
				return problem(pending.line, nil, "not a record: %v (edited or corrupted)", pending.why)
			}
			pending = &remnant{line: lineNo, frag: fragmentOf(b), why: derr}
			continue
		}
		if pending != nil {
			if r.Kind != KindRecovery || r.Recovered == nil || *r.Recovered != pending.frag {
				return problem(pending.line, nil, "not a record: %v (edited or corrupted)", pending.why)
			}
			res.Notes = append(res.Notes, fmt.Sprintf("line %d is the remnant of an interrupted write (%d bytes), sealed by record %d", pending.line, pending.frag.Bytes, r.Seq))
			pending = nil
		}
		if chainHash(r.Prev, payload) != claimed {
			return problem(lineNo, &r, "edited: its content does not match its hash")
		}
		switch {
		case r.Seq > expect && expect == r.Seq-1:
			return problem(lineNo, &r, "record %d is missing: it was removed, or records were reordered", expect)
		case r.Seq > expect:
			return problem(lineNo, &r, "records %d to %d are missing: they were removed, or records were reordered", expect, r.Seq-1)
		case r.Seq < expect:
			return problem(lineNo, &r, "out of order: record %d belongs here, so records were reordered or duplicated", expect)
		case r.Prev != prev:
			return problem(lineNo, &r, "the chain is broken: its previous hash is not the hash of record %d, which was edited and re-hashed, or replaced", r.Seq-1)
		}
		if fn != nil {
			var full Record
			if err := json.Unmarshal(b, &full); err != nil {
				return problem(lineNo, &r, "not a record: %v", err)
			}
			if err := fn(full); err != nil {
				return lastPrev, err
			}
		}
		lastPrev, prev, expect = r.Prev, claimed, expect+1
		res.Records++
		res.LastSeq, res.Head = r.Seq, claimed
	}
	if pending != nil {
		return problem(pending.line, nil, "not a record: %v (edited or corrupted)", pending.why)
	}
	return lastPrev, nil
}

var errLineTooLong = errors.New("line too long")

// readLine reads one line without its newline; io.EOF with data means the
// last line has no newline.
func readLine(rd *bufio.Reader) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := rd.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > maxLine {
			return nil, errLineTooLong
		}
		switch {
		case err == nil:
			return bytes.TrimSuffix(buf, []byte{'\n'}), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return buf, err
		}
	}
}

// Anchor is a record's number and hash, kept outside the log (`audit head`
// prints it) so a later rewrite of the log from some record on, or a cut
// of its last records with a matching head file, can be noticed.
type Anchor struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// String is the anchor's text form, SEQ:HASH.
func (a Anchor) String() string { return fmt.Sprintf("%d:%s", a.Seq, a.Hash) }

// ParseAnchor reads an anchor: "SEQ:HASH", or a bare HASH (any record with
// that hash), or the JSON object `audit head -o json` prints (its seq and
// hash members; others are ignored). Surrounding space is ignored.
func ParseAnchor(s string) (Anchor, error) {
	in := strings.TrimSpace(s)
	if strings.HasPrefix(in, "{") {
		var a Anchor
		if err := json.Unmarshal([]byte(in), &a); err != nil {
			return Anchor{}, fmt.Errorf("the anchor is not the JSON of `audit head -o json`: %v", err)
		}
		if a.Seq < 1 {
			return Anchor{}, fmt.Errorf("the anchor's seq must be a record number (1 or more)")
		}
		return a, checkAnchorHash(a)
	}
	var a Anchor
	if n, h, ok := strings.Cut(in, ":"); ok {
		seq, err := strconv.ParseInt(n, 10, 64)
		if err != nil || seq < 1 {
			return Anchor{}, fmt.Errorf("the anchor %q does not start with a record number (SEQ:HASH, such as 42:%s...)", oneLine(in), zeroHash[:8])
		}
		a = Anchor{Seq: seq, Hash: h}
	} else {
		a = Anchor{Hash: in}
	}
	return a, checkAnchorHash(a)
}

func checkAnchorHash(a Anchor) error {
	if len(a.Hash) != 64 || strings.Trim(a.Hash, "0123456789abcdef") != "" {
		return fmt.Errorf("the anchor's hash must be 64 lower-case hex digits (a SHA-256 as `audit head` prints it)")
	}
	return nil
}

// oneLine shortens s for an error message.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return s
}

// CheckAnchor checks the whole log's hash chain, as Scan does, and that it holds the
// anchored record: the record numbered a.Seq has hash a.Hash (without a
// number: some record has that hash). As each record's hash covers the one
// before it, the log up to that record is then exactly what it was when
// the anchor was taken. A log that lacks it gets a Problem.
func (l *Log) CheckAnchor(a Anchor) (Result, error) {
	var found *Record
	res, err := l.Scan(func(r Record) error {
		if found == nil && (r.Seq == a.Seq || a.Seq == 0 && r.Hash == a.Hash) {
			found = &r
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	switch {
	case found != nil && found.Hash == a.Hash:
		return res, nil
	case found != nil:
		res.Problem = &Problem{Seq: found.Seq, Time: found.Time, Command: found.Command,
			Reason: fmt.Sprintf("this is not the anchored record (its hash is %s, the anchor's %s): the log was rewritten from this record or before it", found.Hash, a.Hash)}
	case res.Problem != nil:
		// The damage found first says more than the missing anchor.
	case a.Seq > 0:
		res.Problem = &Problem{Line: res.Records + 1, Reason: fmt.Sprintf("the anchored record %d is not in the log, which ends at record %d: records were cut from the end (and the head file rewritten)", a.Seq, res.LastSeq)}
	default:
		res.Problem = &Problem{Line: res.Records + 1, Reason: fmt.Sprintf("no record has the anchored hash %s: the log was rewritten, or records were cut from the end", a.Hash)}
	}
	return res, nil
}
