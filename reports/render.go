package reports

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// Format is an output format of the reports.
type Format string

// The output formats. Coverage reports support all of them; the token and
// diff reports all but HTML.
const (
	FormatTable    Format = "table"
	FormatCSV      Format = "csv"
	FormatJSON     Format = "json"
	FormatMarkdown Format = "md"
	FormatHTML     Format = "html"
)

// Formats lists the coverage report formats, for flag help and completion.
var Formats = []Format{FormatTable, FormatCSV, FormatJSON, FormatMarkdown, FormatHTML}

// ParseFormat validates an -o value (case-insensitive; "markdown" is md).
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case FormatTable, FormatCSV, FormatJSON, FormatMarkdown, FormatHTML:
		return f, nil
	case "markdown":
		return FormatMarkdown, nil
	}
	return "", fmt.Errorf("unknown output format %q (want table, csv, json, md or html)", s)
}

// RenderOptions configures the renderers.
type RenderOptions struct {
	// Title heads the Markdown and HTML documents ("MFA coverage report"
	// when empty).
	Title string
	// TempDir holds the spool file of the formats that print the summary
	// before the rows (md, html); "" is os.TempDir().
	TempDir string
}

func (o RenderOptions) title(def string) string {
	if o.Title != "" {
		return o.Title
	}
	return def
}

// CoverageRenderer writes a coverage report as its rows stream in. Rows are
// written (or spooled to a temporary file, never held in memory) by WriteRow;
// Finish writes the summary and completes the document. Close releases the
// spool file and must be called in every case (after Finish, or instead of it
// when the run fails: the output is then incomplete).
type CoverageRenderer interface {
	WriteRow(r Row) error
	Finish(s Summary) error
	Close() error
}

// NewCoverageRenderer returns the renderer of format f writing to w.
//
//   - table: a human table of the rows as they come, then the summary tables.
//   - csv: the rows only (one header line, one line per user).
//   - json: {"users":[row,...],"summary":{...}}, rows streamed first.
//   - md: the summary, then the rows as a table (rows spooled).
//   - html: one self-contained page, summary and charts first (rows spooled).
func NewCoverageRenderer(w io.Writer, f Format, opts RenderOptions) (CoverageRenderer, error) {
	switch f {
	case FormatTable:
		return newTableRenderer(w), nil
	case FormatCSV:
		return newCSVRenderer(w), nil
	case FormatJSON:
		return newJSONRenderer(w), nil
	case FormatMarkdown:
		return newMarkdownRenderer(w, opts)
	case FormatHTML:
		return newHTMLRenderer(w, opts)
	}
	return nil, fmt.Errorf("unknown output format %q", f)
}

// spool is a temporary file holding rendered rows until the summary is
// known. On systems that allow it the file is unlinked as soon as it is
// created, so not even a killed process leaves it behind.
type spool struct {
	f        *os.File
	w        *bufio.Writer
	unlinked bool
}

func newSpool(dir string) (*spool, error) {
	f, err := os.CreateTemp(dir, "mfactl-report-*.spool")
	if err != nil {
		return nil, fmt.Errorf("create spool file: %w", err)
	}
	s := &spool{f: f, w: bufio.NewWriterSize(f, 64<<10)}
	s.unlinked = os.Remove(f.Name()) == nil
	return s, nil
}

// copyTo writes everything spooled so far to w.
func (s *spool) copyTo(w io.Writer) error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("write spool file: %w", err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewind spool file: %w", err)
	}
	_, err := io.Copy(w, s.f)
	return err
}

func (s *spool) close() error {
	if s == nil || s.f == nil {
		return nil
	}
	err := s.f.Close()
	if !s.unlinked {
		if rerr := os.Remove(s.f.Name()); rerr != nil && err == nil {
			err = rerr
		}
	}
	s.f = nil
	return err
}

// Shared text helpers of the renderers.

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func joinNames[S ~string](names []S, sep string) string {
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(string(n))
	}
	return b.String()
}

// formatPercent prints a percentage the way encoding/json prints it, so
// every format shows the JSON's number.
func formatPercent(p float64) string { return strconv.FormatFloat(p, 'f', -1, 64) }

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// totalLine is one user total: its key under users., a label and the share.
type totalLine struct {
	key   string
	label string
	share Share
}

// userTotalLines lists the user totals (but the total itself) for the table,
// Markdown and HTML summaries.
func userTotalLines(u UserTotals) []totalLine {
	return []totalLine{
		{"mfaCapable", "MFA capable", u.MFACapable},
		{"hasBackup", "With a backup method", u.HasBackup},
		{"phishingResistant", "Phishing-resistant", u.PhishingResistant},
		{"smsVoiceOnly", "SMS/voice only", u.SMSVoiceOnly},
		{"admins", "Admins", u.Admins},
		{"members", "Members", u.Members},
		{"guests", "Guests", u.Guests},
		{"enabled", "Enabled", u.Enabled},
		{"disabled", "Disabled", u.Disabled},
	}
}

func classLabel(key string) string {
	switch key {
	case "phishingResistant":
		return "Phishing-resistant"
	case "authenticatorApp":
		return "Authenticator app"
	case "otp":
		return "OTP (software/hardware OATH)"
	case "phone":
		return "Phone (SMS/voice)"
	case "none":
		return "None"
	}
	return key
}

func sourceLine(u SourceUse) string {
	s := fmt.Sprintf("%s: %s (%d)", u.Part, u.Source, u.Count)
	if u.Scope != "" {
		s += " - " + u.Scope
	}
	return s
}
