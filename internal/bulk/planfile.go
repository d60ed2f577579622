package bulk

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// PlanVersion is the plan file's format version.
const PlanVersion = 1

// Header is the first part of a plan file.
type Header struct {
	Version int       `json:"version"`
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	Source  string    `json:"source"`
	// Backend is the Graph root the plan was read from; apply refuses
	// another.
	Backend string `json:"backend"`
	// ReadMFAState: the plan read (and apply re-reads) per-user MFA states.
	ReadMFAState bool `json:"readMfaState,omitempty"`
}

// UserPlan is one user of a plan: the operations, in order, and the
// fingerprint of the state they were planned from; or why the row was
// refused.
type UserPlan struct {
	Line        int    `json:"line"`
	User        string `json:"user"`
	ID          string `json:"id,omitempty"`
	UPN         string `json:"upn,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
	Ops         []Op   `json:"ops,omitempty"`
	// Refused says why no operation is planned for the row (Code is the
	// rule's code when a rule refused it).
	Refused string `json:"refused,omitempty"`
	Code    string `json:"code,omitempty"`
}

// Summary counts a plan.
type Summary struct {
	Rows      int            `json:"rows"`
	Users     int            `json:"users"`
	Unchanged int            `json:"unchanged"`
	Refused   int            `json:"refused"`
	Ops       int            `json:"operations"`
	ByKind    map[OpKind]int `json:"byOperation"`
}

// PlanWriter streams a plan file: the header, one user at a time, the
// summary. It numbers the operations.
type PlanWriter struct {
	w   *bufio.Writer
	n   int
	sum Summary
}

// NewPlanWriter writes the header.
func NewPlanWriter(w io.Writer, h Header) (*PlanWriter, error) {
	h.Version = PlanVersion
	b, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	pw := &PlanWriter{w: bufio.NewWriterSize(w, 64<<10), sum: Summary{ByKind: map[OpKind]int{}}}
	pw.w.Write(b[:len(b)-1])
	pw.w.WriteString(",\"users\":[")
	return pw, nil
}

// Add writes one user; a user without operations and not refused is
// counted as unchanged and not written.
func (pw *PlanWriter) Add(u UserPlan) error {
	pw.sum.Rows++
	switch {
	case u.Refused != "":
		pw.sum.Refused++
	case len(u.Ops) == 0:
		pw.sum.Unchanged++
		return nil
	default:
		pw.sum.Users++
	}
	for i := range u.Ops {
		u.Ops[i].N = pw.n
		pw.n++
		pw.sum.Ops++
		pw.sum.ByKind[u.Ops[i].Kind]++
	}
	b, err := json.Marshal(u)
	if err != nil {
		return err
	}
	if pw.sum.Users+pw.sum.Refused > 1 {
		pw.w.WriteByte(',')
	}
	pw.w.WriteByte('\n')
	_, err = pw.w.Write(b)
	return err
}

// Close writes the summary and returns it.
func (pw *PlanWriter) Close() (Summary, error) {
	b, err := json.Marshal(pw.sum)
	if err != nil {
		return pw.sum, err
	}
	pw.w.WriteString("\n],\"summary\":")
	pw.w.Write(b)
	pw.w.WriteString("}\n")
	return pw.sum, pw.w.Flush()
}

// ReadPlan streams a plan file: onHeader is called once the header is
// read, then fn for each user, in order. It returns the summary.
func ReadPlan(r io.Reader, onHeader func(Header) error, fn func(UserPlan) error) (Summary, error) {
	var sum Summary
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	bad := func(err error) (Summary, error) {
		return sum, fmt.Errorf("not a plan file (the JSON lines bulk plan writes): %w", err)
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return bad(fmt.Errorf("it does not start with an object"))
	}
	head := map[string]json.RawMessage{}
	headerDone := false
	header := func() error {
		if headerDone {
			return nil
		}
		headerDone = true
		b, _ := json.Marshal(head)
		var h Header
		if err := json.Unmarshal(b, &h); err != nil {
			return err
		}
		if h.Version != PlanVersion || h.ID == "" {
			return fmt.Errorf("version %d, id %q (this mfactl reads version %d)", h.Version, h.ID, PlanVersion)
		}
		return onHeader(h)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return bad(err)
		}
		key, _ := tok.(string)
		switch key {
		case "users":
			if err := header(); err != nil {
				return bad(err)
			}
			if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
				return bad(fmt.Errorf("users is not a list"))
			}
			for dec.More() {
				var u UserPlan
				if err := dec.Decode(&u); err != nil {
					return bad(err)
				}
				if err := fn(u); err != nil {
					return sum, err
				}
			}
			if _, err := dec.Token(); err != nil {
				return bad(err)
			}
		case "summary":
			if err := dec.Decode(&sum); err != nil {
				return bad(err)
			}
		default:
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return bad(err)
			}
			head[key] = raw
		}
	}
	if !headerDone || sum.ByKind == nil {
		return bad(fmt.Errorf("it is incomplete (no users or no summary)"))
	}
	return sum, nil
}

// ReadHeader reads only the header and summary of a plan file.
func ReadHeader(r io.Reader) (Header, Summary, error) {
	var h Header
	sum, err := ReadPlan(r, func(hh Header) error { h = hh; return nil }, func(UserPlan) error { return nil })
	return h, sum, err
}
