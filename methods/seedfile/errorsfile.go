package seedfile

import (
	"errors"
	"io"
	"os"
	"strconv"
	"unicode/utf8"

	"github.com/mfactl/mfactl/internal/output"
)

// errorsHeader is Entra's header with the row's line in front and the
// reason behind; ParseCSV ignores both, so the file can be fixed and
// imported again.
var errorsHeader = []string{"line", "upn", "serial number", "secret key", "time interval", "manufacturer", "model", "hash function", "reason"}

// WriteErrorsCSV writes the rejected rows as CSV (output's CSV writer: a
// cell that a spreadsheet would run as a formula is quoted, and ParseCSV
// undoes it): where each was, what it
// held with the secret masked (MaskSecret), and why it was rejected. The
// other columns are shown as read, so a seed typed into the serial,
// manufacturer or model column would show; interval and hash function
// values too long to be valid are masked like a seed.
func WriteErrorsCSV(w io.Writer, rows []RowError) error {
	cw := output.NewCSVWriter(w)
	if err := cw.Write(errorsHeader); err != nil {
		return err
	}
	for _, e := range rows {
		r := e.Row
		record := []string{
			strconv.Itoa(e.Line), r.UPN, r.SerialNumber, r.SecretKey.String(),
			shortOrMasked(r.TimeInterval), r.Manufacturer, r.Model, shortOrMasked(r.HashFunction), e.Reason,
		}
		if err := cw.Write(record); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// shortOrMasked shows a value of a column whose valid values are short
// (interval, hash function), and masks a long one: in a file with swapped
// columns, a long value there is most likely the seed.
func shortOrMasked(s string) string {
	if utf8.RuneCountInString(s) < MinSecretLength {
		return s
	}
	return MaskSecret(s)
}

// WriteErrorsFile writes the errors CSV to path, readable by its owner
// only (0600) even when the file already existed with wider permissions:
// it names users and serial numbers.
func WriteErrorsFile(path string, rows []RowError) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	return WriteErrorsCSV(f, rows)
}
