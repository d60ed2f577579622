package seedfile

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mfactl/mfactl/methods"
)

// ActivationHeader is the header row of an activation file: the token, the
// user to assign it to (optional: empty activates the token for the user it
// is assigned to) and the code the token shows.
const ActivationHeader = "serial,upn,code"

// Activation is one row of an activation file.
type Activation struct {
	// Line is the row's physical line (1-based).
	Line         int
	SerialNumber string
	// UPN is the user to assign and activate the token for; empty means
	// the user the token is already assigned to.
	UPN string
	// Code is the 6-digit code, digits only. It is short-lived, but a
	// valid code is still a credential: never print it.
	Code string
}

// ActivationFile is what ParseActivations read: the rows that passed every
// check, and one RowError per rejected row (its Row holds serial and upn).
type ActivationFile struct {
	Activations []Activation
	Errors      []RowError
}

// activationColumns maps a normalised header cell to its column.
var activationColumns = map[string]string{
	"serial":            "serial",
	"serialnumber":      "serial",
	"upn":               "upn",
	"user":              "upn",
	"userprincipalname": "upn",
	"code":              "code",
	"verificationcode":  "code",
}

// ParseActivations reads a CSV of tokens to activate: a header naming the
// serial and code columns (and optionally upn), then one token per row. It
// tolerates a byte order mark, CRLF, quoted fields and blank rows. Every
// problem with a row is collected in Errors with its line, and a serial
// that appears twice rejects both rows; codes never appear in an error.
func ParseActivations(r io.Reader) (*ActivationFile, error) {
	var (
		columns []string
		rows    []*activationRow
	)
	header := func(record []string, line int) (err error) {
		columns, err = parseActivationHeader(record, line)
		return err
	}
	row := func(record []string, line int) { rows = append(rows, activationRowOf(record, columns, line)) }
	if err := readCSV(r, header, row); err != nil {
		return nil, err
	}
	if columns == nil {
		return nil, &FileError{Problem: "the file is empty; it needs the header row " + ActivationHeader}
	}
	markDuplicateActivations(rows)
	out := &ActivationFile{}
	for _, row := range rows {
		if len(row.problems) == 0 {
			out.Activations = append(out.Activations, row.a)
			continue
		}
		serial := row.a.SerialNumber
		if !row.trusted {
			serial = ""
		}
		out.Errors = append(out.Errors, RowError{Line: row.a.Line, Serial: serial, Reason: strings.Join(row.problems, "; "),
			Row: Row{SerialNumber: serial, UPN: row.a.UPN}})
	}
	return out, nil
}

type activationRow struct {
	a        Activation
	problems []string
	trusted  bool
}

func parseActivationHeader(record []string, line int) ([]string, error) {
	columns := make([]string, len(record))
	seen := map[string]bool{}
	for i, cell := range record {
		col, ok := activationColumns[normaliseHeaderCell(cell)]
		if !ok {
			name := strings.TrimSpace(cell)
			what := fmt.Sprintf("column %d", i+1)
			if len(name) <= 24 && !isDigits(name) {
				what = strconv.Quote(printable(name))
			}
			if len(seen) == 0 && i == 0 {
				return nil, &FileError{Line: line, Problem: "the first row is not a header; the file must start with " + ActivationHeader}
			}
			return nil, &FileError{Line: line, Problem: fmt.Sprintf("unknown header %s (the columns are %s)", what, ActivationHeader)}
		}
		if seen[col] {
			return nil, &FileError{Line: line, Problem: fmt.Sprintf("the header names column %q twice", strings.TrimSpace(cell))}
		}
		seen[col] = true
		columns[i] = col
	}
	for _, need := range []string{"serial", "code"} {
		if !seen[need] {
			return nil, &FileError{Line: line, Problem: fmt.Sprintf("the header has no %s column (the header is %s; upn is optional)", need, ActivationHeader)}
		}
	}
	return columns, nil
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func activationRowOf(record, columns []string, line int) *activationRow {
	row := &activationRow{a: Activation{Line: line}, trusted: true}
	if len(record) != len(columns) {
		row.trusted = false
		row.problems = append(row.problems, fmt.Sprintf("the row has %d fields but the header has %d", len(record), len(columns)))
		return row
	}
	var code string
	for i, col := range columns {
		v := strings.TrimSpace(record[i])
		switch col {
		case "serial":
			row.a.SerialNumber = v
		case "upn":
			row.a.UPN = v
		case "code":
			code = v
		}
	}
	if err := checkSerial(row.a.SerialNumber); err != nil {
		row.problems = append(row.problems, err.Error())
	}
	if err := checkUPN(row.a.UPN); err != nil {
		row.problems = append(row.problems, err.Error())
	}
	switch norm, err := methods.NormalizeOTP(code, Digits); {
	case code == "":
		row.problems = append(row.problems, "code is empty (want the 6 digits the token shows)")
	case err != nil:
		row.problems = append(row.problems, "code must be the 6 digits the token shows")
	default:
		row.a.Code = norm
	}
	return row
}

// markDuplicateActivations rejects every row of a serial named twice: one
// token is activated once.
func markDuplicateActivations(rows []*activationRow) {
	bySerial := map[string][]*activationRow{}
	for _, r := range rows {
		if r.trusted && r.a.SerialNumber != "" {
			k := strings.ToLower(r.a.SerialNumber)
			bySerial[k] = append(bySerial[k], r)
		}
	}
	for _, group := range bySerial {
		if len(group) < 2 {
			continue
		}
		for _, r := range group {
			var others []int
			for _, o := range group {
				if o != r {
					others = append(others, o.a.Line)
				}
			}
			r.problems = append(r.problems, fmt.Sprintf("serial number %s is also on %s", printable(r.a.SerialNumber), lineList(others)))
		}
	}
}
