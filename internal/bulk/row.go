// Package bulk plans and journals bulk changes to users' authentication
// methods: a streaming reader of the input rows (CSV or JSON Lines), a pure
// planner that turns a row and the user's current state into ordered
// operations, the plan file and the apply journal. It sends nothing: the
// cmd package reads the state and sends the operations through graph.
package bulk

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Column names of the input, fixed so scripts and docs can rely on them.
const (
	ColUser            = "user"
	ColMobile          = "mobile"
	ColAlternateMobile = "alternateMobile"
	ColOffice          = "office"
	ColEmail           = "email"
	ColSMSSignIn       = "smsSignIn"
	ColDefault         = "default"
	ColTAP             = "tap"
	ColRemove          = "remove"
	ColRevokeSessions  = "revokeSessions"
	ColMFAState        = "mfaState"
)

// Columns lists every column in documentation order.
var Columns = []string{ColUser, ColMobile, ColAlternateMobile, ColOffice, ColEmail, ColSMSSignIn, ColDefault, ColTAP, ColRemove, ColRevokeSessions, ColMFAState}

// Remove is the cell value that removes a phone or the email method.
const Remove = "-"

// maxLine bounds one input line (a CSV record or a JSON object).
const maxLine = 64 << 10

// Row is one input row: the raw cells by column name, and the line it
// starts on (1 is the header of a CSV).
type Row struct {
	Line  int
	Cells map[string]string
}

// Get is the trimmed cell of a column ("" when absent or empty).
func (r Row) Get(col string) string { return strings.TrimSpace(r.Cells[col]) }

// Reader streams rows from CSV (with a header) or JSON Lines (one object a
// line, string values keyed by column name).
type Reader struct {
	name  string
	csv   *csv.Reader
	lines *bufio.Scanner
	head  []string
	line  int
}

// CanonicalColumn maps a header name to its column, case-insensitively
// ("" when it is no column).
func CanonicalColumn(name string) string {
	n := strings.TrimSpace(strings.TrimPrefix(name, "\ufeff"))
	for _, c := range Columns {
		if strings.EqualFold(c, n) {
			return c
		}
	}
	return ""
}

// NewReader reads the header (CSV) or peeks at the first byte to tell
// JSON Lines from CSV. name is used in errors.
func NewReader(r io.Reader, name string) (*Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	// Skip a UTF-8 byte order mark and leading blank space to decide the format.
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\ufeff")) {
		_, _ = br.Discard(3)
	}
	first, _ := br.Peek(1)
	rd := &Reader{name: name}
	if len(first) == 1 && first[0] == '{' {
		rd.lines = bufio.NewScanner(br)
		rd.lines.Buffer(make([]byte, 4096), maxLine)
		return rd, nil
	}
	rd.csv = csv.NewReader(br)
	rd.csv.FieldsPerRecord = -1
	rd.csv.ReuseRecord = false
	head, err := rd.csv.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s is empty: it needs a header line naming the columns (%s)", name, strings.Join(Columns, ","))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", name, err)
	}
	seen := map[string]bool{}
	for i, h := range head {
		c := CanonicalColumn(h)
		if c == "" {
			return nil, fmt.Errorf("%s: header column %d %q is not a column; the columns are %s", name, i+1, oneLine(h), strings.Join(Columns, ", "))
		}
		if seen[c] {
			return nil, fmt.Errorf("%s: header names the column %s twice", name, c)
		}
		seen[c] = true
		head[i] = c
	}
	if !seen[ColUser] {
		return nil, fmt.Errorf("%s: the header has no %q column (the user principal name or object id of each row)", name, ColUser)
	}
	rd.head = head
	rd.line = 1
	return rd, nil
}

// Next returns the next row, or io.EOF. A malformed row is a *RowError
// (the caller may go on reading); any other error ends the input.
func (rd *Reader) Next() (Row, error) {
	if rd.lines != nil {
		return rd.nextJSON()
	}
	rec, err := rd.csv.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			rd.line = pe.Line
			return Row{}, &RowError{Line: pe.Line, Msg: "not valid CSV: " + pe.Err.Error(), Fatal: true}
		}
		return Row{}, err
	}
	start, _ := rd.csv.FieldPos(0)
	rd.line = start
	if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
		return rd.Next() // a blank line
	}
	if len(rec) > len(rd.head) {
		return Row{Line: start}, &RowError{Line: start, Msg: fmt.Sprintf("%d cells, but the header names %d columns", len(rec), len(rd.head))}
	}
	row := Row{Line: start, Cells: make(map[string]string, len(rec))}
	for i, v := range rec {
		row.Cells[rd.head[i]] = v
	}
	return row, nil
}

func (rd *Reader) nextJSON() (Row, error) {
	for rd.lines.Scan() {
		rd.line++
		text := bytes.TrimSpace(rd.lines.Bytes())
		if len(text) == 0 {
			continue
		}
		row := Row{Line: rd.line}
		var obj map[string]any
		if err := json.Unmarshal(text, &obj); err != nil {
			return row, &RowError{Line: rd.line, Msg: "not a JSON object: " + err.Error()}
		}
		row.Cells = make(map[string]string, len(obj))
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			c := CanonicalColumn(k)
			if c == "" {
				return row, &RowError{Line: rd.line, Column: k, Msg: fmt.Sprintf("%q is not a column; the columns are %s", oneLine(k), strings.Join(Columns, ", "))}
			}
			switch v := obj[k].(type) {
			case string:
				row.Cells[c] = v
			case nil:
			case bool:
				if c != ColRevokeSessions {
					return row, &RowError{Line: rd.line, Column: c, Msg: "must be a string"}
				}
				if v {
					row.Cells[c] = "yes"
				}
			default:
				return row, &RowError{Line: rd.line, Column: c, Msg: "must be a string"}
			}
		}
		return row, nil
	}
	if err := rd.lines.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return Row{}, &RowError{Line: rd.line + 1, Msg: fmt.Sprintf("longer than %d KB", maxLine>>10), Fatal: true}
		}
		return Row{}, err
	}
	return Row{}, io.EOF
}

// RowError is a bad row: its line, the column at fault ("" for the row)
// and what is wrong. Fatal errors end the input (the reader cannot find
// the next row).
type RowError struct {
	Line   int
	Column string
	Msg    string
	Fatal  bool
}

func (e *RowError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("line %d: %s: %s", e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}
