package reports

import (
	"io"
	"strconv"

	"github.com/mfactl/mfactl/internal/output"
)

// CSVHeader is the header line of the coverage CSV: the row's JSON field
// names, in order.
var CSVHeader = []string{
	"id", "userPrincipalName", "displayName", "userType", "accountEnabled", "isAdmin",
	"methods", "methodCount", "defaultMethod", "mfaCapable", "mfaMethodCount", "strongestClass",
	"hasBackup", "smsVoiceOnly", "phishingResistant", "findings",
}

// csvRenderer writes one line per row, through output's one CSV writer
// (which defuses formulas in display names, guests' included). Lists (methods, findings) are joined
// with ";"; booleans are true/false.
type csvRenderer struct {
	w      *output.CSVWriter
	record []string
	header bool
}

func newCSVRenderer(w io.Writer) *csvRenderer {
	return &csvRenderer{w: output.NewCSVWriter(w), record: make([]string, len(CSVHeader))}
}

func (c *csvRenderer) writeHeader() error {
	if c.header {
		return nil
	}
	c.header = true
	return c.w.Write(CSVHeader)
}

func (c *csvRenderer) WriteRow(r Row) error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	rec := c.record
	rec[0] = r.ID
	rec[1] = r.UserPrincipalName
	rec[2] = r.DisplayName
	rec[3] = r.UserType
	rec[4] = strconv.FormatBool(r.AccountEnabled)
	rec[5] = strconv.FormatBool(r.IsAdmin)
	rec[6] = joinNames(r.Methods, ";")
	rec[7] = strconv.Itoa(r.MethodCount)
	rec[8] = r.DefaultMethod
	rec[9] = strconv.FormatBool(r.MFACapable)
	rec[10] = strconv.Itoa(r.MFAMethodCount)
	rec[11] = string(r.StrongestClass)
	rec[12] = strconv.FormatBool(r.HasBackup)
	rec[13] = strconv.FormatBool(r.SMSVoiceOnly)
	rec[14] = strconv.FormatBool(r.PhishingResistant)
	rec[15] = joinNames(r.Findings, ";")
	if err := c.w.Write(rec); err != nil {
		return err
	}
	return nil
}

// Finish writes the header if no row came, and flushes. CSV carries no
// summary.
func (c *csvRenderer) Finish(Summary) error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	c.w.Flush()
	return c.w.Error()
}

func (c *csvRenderer) Close() error { return nil }
