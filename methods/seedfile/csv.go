package seedfile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mfactl/mfactl/internal/output"
)

// CSVHeader is the header row of Entra's hardware token upload file.
const CSVHeader = "upn,serial number,secret key,time interval,manufacturer,model"

// Columns of the CSV file, by meaning.
type csvColumn int

const (
	colUPN csvColumn = iota
	colSerial
	colSecret
	colInterval
	colManufacturer
	colModel
	colHash
	colIgnored // "line" and "reason" from an errors file being re-imported
)

// csvColumnNames maps a header cell, lower-cased with spaces, "_" and "-"
// removed, to its column. Entra's six are there, plus an optional hash
// function column (Graph's hashFunction, which the CSV upload lacks) and
// the two columns WriteErrorsCSV adds, so a corrected errors file can be
// imported again.
var csvColumnNames = map[string]csvColumn{
	"upn":          colUPN,
	"serialnumber": colSerial,
	"secretkey":    colSecret,
	"timeinterval": colInterval,
	"manufacturer": colManufacturer,
	"model":        colModel,
	"hashfunction": colHash,
	"line":         colIgnored,
	"reason":       colIgnored,
}

// requiredColumns are the ones every row needs. upn may be left out: the
// tokens then stay in the inventory unassigned, as with an empty upn.
var requiredColumns = []struct {
	col  csvColumn
	name string
}{
	{colSerial, "serial number"},
	{colSecret, "secret key"},
	{colInterval, "time interval"},
	{colManufacturer, "manufacturer"},
	{colModel, "model"},
}

// ParseCSV reads Entra's hardware token CSV: a header row (names in any
// case and spacing, in any order), then one token per row. It tolerates a
// UTF-8 byte order mark, CRLF line ends, quoted fields, blank lines and
// rows of empty fields (spreadsheets add both). A broken file (bad
// quoting, no or wrong header) is a *FileError; everything wrong with a
// row is in the Result's Errors with the row's physical line.
func ParseCSV(r io.Reader) (*Result, error) {
	var (
		columns []csvColumn
		cands   []*candidate
	)
	header := func(record []string, line int) (err error) {
		columns, err = parseCSVHeader(record, line)
		return err
	}
	row := func(record []string, line int) { cands = append(cands, csvCandidate(record, columns, line)) }
	if err := readCSV(r, header, row); err != nil {
		return nil, err
	}
	if columns == nil {
		return nil, &FileError{Problem: "the file is empty; it needs the header row " + CSVHeader}
	}
	return finish(cands), nil
}

// readCSV is the read loop of mfactl's CSV files: it drops a UTF-8 byte
// order mark, tolerates CRLF, quoted fields and blank rows (spreadsheets
// add them), and hands the first non-blank record to header and every
// later one to row, each with its physical line. Rows with the wrong
// number of fields reach row (they become row errors, not a failed file).
// A broken file is a *FileError that does not quote the data.
func readCSV(r io.Reader, header func(record []string, line int) error, row func(record []string, line int)) error {
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	seenHeader := false
	for {
		record, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return csvFileError(err)
		}
		line, _ := cr.FieldPos(0)
		for i := range record {
			// A cell mfactl's CSV writer quoted (a serial starting with
			// "-" in an --errors-out file) reads back as it was.
			record[i] = output.CSVUncell(record[i])
		}
		if blankRecord(record) {
			continue
		}
		if !seenHeader {
			if err := header(record, line); err != nil {
				return err
			}
			seenHeader = true
			continue
		}
		row(record, line)
	}
}

// csvFileError reports encoding/csv's syntax errors by position only:
// its messages do not quote the data, and neither may ours.
func csvFileError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &FileError{Line: pe.Line, Column: pe.Column, Problem: "the CSV is malformed: " + pe.Err.Error() + " (quote fields that contain quotes or commas)"}
	}
	return fmt.Errorf("reading the CSV file: %w", err)
}

func blankRecord(record []string) bool {
	for _, f := range record {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func normaliseHeaderCell(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '_' || r == '-' {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}

// parseCSVHeader maps each header cell to its column and insists on the
// required ones. Unknown names are quoted only when short: a file without
// a header row would otherwise put its first seed into the message.
func parseCSVHeader(record []string, line int) ([]csvColumn, error) {
	columns := make([]csvColumn, len(record))
	seen := map[csvColumn]bool{}
	known := 0
	var unknown []string
	for i, cell := range record {
		col, ok := csvColumnNames[normaliseHeaderCell(cell)]
		if !ok {
			name := strings.TrimSpace(cell)
			if utf8.RuneCountInString(name) < MinSecretLength {
				unknown = append(unknown, strconv.Quote(printable(name)))
			} else {
				unknown = append(unknown, fmt.Sprintf("column %d", i+1))
			}
			continue
		}
		known++
		if seen[col] && col != colIgnored {
			return nil, &FileError{Line: line, Problem: fmt.Sprintf("the header names column %q twice", strings.TrimSpace(cell))}
		}
		seen[col] = true
		columns[i] = col
	}
	if known == 0 {
		return nil, &FileError{Line: line, Problem: "the first row is not a header; the file must start with " + CSVHeader}
	}
	if len(unknown) > 0 {
		return nil, &FileError{Line: line, Problem: fmt.Sprintf("unknown header %s (the columns are %s, and optionally hash function)", strings.Join(unknown, ", "), CSVHeader)}
	}
	var missing []string
	for _, rc := range requiredColumns {
		if !seen[rc.col] {
			missing = append(missing, rc.name)
		}
	}
	if len(missing) > 0 {
		return nil, &FileError{Line: line, Problem: fmt.Sprintf("the header has no %s column (the header is %s)", strings.Join(missing, ", "), CSVHeader)}
	}
	return columns, nil
}

// csvCandidate checks one row, collecting every problem so the user can
// fix them all in one pass.
func csvCandidate(record []string, columns []csvColumn, line int) *candidate {
	c := &candidate{token: Token{Line: line}, trusted: true}
	if len(record) != len(columns) {
		// Fields no longer line up with the header, so a seed could sit
		// under any name: report only the count, and keep no field.
		c.trusted = false
		c.reject("the row has %d fields but the header has %d", len(record), len(columns))
		return c
	}
	var hashSeen bool
	for i, col := range columns {
		v := strings.TrimSpace(record[i])
		switch col {
		case colUPN:
			c.row.UPN = v
		case colSerial:
			c.row.SerialNumber = v
		case colSecret:
			c.row.SecretKey = NewSecret(v)
		case colInterval:
			c.row.TimeInterval = v
		case colManufacturer:
			c.row.Manufacturer = v
		case colModel:
			c.row.Model = v
		case colHash:
			c.row.HashFunction = v
			hashSeen = true
		}
	}
	t := &c.token
	t.UPN, t.SerialNumber, t.Manufacturer, t.Model = c.row.UPN, c.row.SerialNumber, c.row.Manufacturer, c.row.Model
	t.Digits, t.Algorithm = Digits, AlgorithmTOTP

	if err := checkUPN(t.UPN); err != nil {
		c.reject("%v", err)
	}
	if err := checkSerial(t.SerialNumber); err != nil {
		c.reject("%v", err)
	}
	if seed, err := NormaliseSecret(c.row.SecretKey.Base32()); err != nil {
		c.reject("%v", err)
	} else {
		t.Secret = NewSecret(seed)
	}
	if n, err := parseInterval(c.row.TimeInterval); err != nil {
		c.reject("%v", err)
	} else {
		t.TimeInterval = n
	}
	if err := checkText("manufacturer", t.Manufacturer, true); err != nil {
		c.reject("%v", err)
	}
	if err := checkText("model", t.Model, true); err != nil {
		c.reject("%v", err)
	}
	t.HashFunction = HashSHA1
	if hashSeen {
		h, err := ParseHashFunction(c.row.HashFunction)
		if err != nil {
			c.reject("hash function must be hmacsha1 or hmacsha256")
		} else {
			t.HashFunction = h
		}
	}
	return c
}

// parseInterval accepts 30 and 60, the two steps Entra supports. The value
// is not quoted back: in a file with swapped columns it could be a seed.
func parseInterval(s string) (int, error) {
	switch strings.TrimSuffix(strings.ToLower(s), "s") {
	case "30":
		return 30, nil
	case "60":
		return 60, nil
	case "":
		return 0, errors.New("time interval is empty (want 30 or 60 seconds)")
	}
	return 0, errors.New("time interval must be 30 or 60 seconds")
}
