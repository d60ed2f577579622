package reports

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/mfactl/mfactl/internal/output"
	"github.com/mfactl/mfactl/internal/plural"
)

// DiffRenderer writes a diff as its changes stream in, like CoverageRenderer.
type DiffRenderer interface {
	WriteChange(c UserChange) error
	Finish(s DiffSummary) error
	Close() error
}

// NewDiffRenderer returns the renderer of format f (table, csv, json, md).
//
//   - table: the changed users as they come, then the counts.
//   - csv: one line per changed user; changes joined with ";".
//   - json: {"changes":[...],"summary":{...}}, changes streamed first.
//   - md: the counts, then the changed users (spooled).
func NewDiffRenderer(w io.Writer, f Format, opts RenderOptions) (DiffRenderer, error) {
	switch f {
	case FormatTable:
		return &diffTable{out: bufio.NewWriterSize(w, 64<<10)}, nil
	case FormatCSV:
		c := &diffCSV{w: output.NewCSVWriter(w)}
		return c, nil
	case FormatJSON:
		return &diffJSON{j: newJSONRenderer(w)}, nil
	case FormatMarkdown:
		sp, err := newSpool(opts.TempDir)
		if err != nil {
			return nil, err
		}
		return &diffMarkdown{out: w, spool: sp, title: opts.title("MFA coverage changes")}, nil
	}
	return nil, fmt.Errorf("output format %q is not available for the diff (want table, csv, json or md)", f)
}

// DiffOptions configures WriteDiff.
type DiffOptions struct {
	Format Format
	// Title and TempDir go to the renderer (see RenderOptions).
	Title   string
	TempDir string
}

// WriteDiff compares two JSON coverage reports (see Diff) and renders the
// changes to w. The caller opens the files; ctx is checked between users.
func WriteDiff(ctx context.Context, w io.Writer, oldReport, newReport io.Reader, opts DiffOptions) (DiffSummary, error) {
	r, err := NewDiffRenderer(w, opts.Format, RenderOptions{Title: opts.Title, TempDir: opts.TempDir})
	if err != nil {
		return DiffSummary{}, err
	}
	defer r.Close()
	s, err := DiffIn(opts.TempDir, oldReport, newReport, func(c UserChange) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return r.WriteChange(c)
	})
	if err != nil {
		return DiffSummary{}, err
	}
	if err := ctx.Err(); err != nil {
		return DiffSummary{}, err
	}
	if err := r.Finish(s); err != nil {
		return DiffSummary{}, fmt.Errorf("write diff: %w", err)
	}
	return s, r.Close()
}

func classChange(c UserChange) string {
	return orDash(string(c.OldClass)) + " -> " + orDash(string(c.NewClass))
}

// methodChange is a user's method-level changes in one line:
// "+fido2 -microsoftAuthenticator; default push -> sms" ("-" for none).
// esc escapes the default methods, which come from the report files as
// they are (the names are mfactl's own vocabulary).
func methodChange(c UserChange, esc func(string) string) string {
	var parts []string
	for _, n := range c.MethodsAdded {
		parts = append(parts, "+"+string(n))
	}
	for _, n := range c.MethodsRemoved {
		parts = append(parts, "-"+string(n))
	}
	s := strings.Join(parts, " ")
	if slices.Contains(c.Changes, ChangeDefaultChanged) {
		if s != "" {
			s += "; "
		}
		s += "default " + esc(orDash(c.OldDefault)) + " -> " + esc(orDash(c.NewDefault))
	}
	return orDash(s)
}

// diffTable streams the changed users through tablewriter, then prints the
// counts.
type diffTable struct {
	out   *bufio.Writer
	table *tablewriter.Table
	rows  int
}

var diffColumns = []struct {
	header string
	width  int
}{{"USER", 34}, {"CHANGES", 26}, {"STRONGEST CLASS", 38}, {"METHODS", 32}}

func (d *diffTable) WriteChange(c UserChange) error {
	if d.table == nil {
		widths := tw.NewMapper[int, int]()
		header := make([]string, len(diffColumns))
		for i, col := range diffColumns {
			widths.Set(i, col.width)
			header[i] = col.header
		}
		d.table = newTable(d.out, tablewriter.WithStreaming(tw.StreamConfig{Enable: true}), tablewriter.WithColumnWidths(widths))
		if err := d.table.Start(); err != nil {
			return err
		}
		d.table.Header(header)
	}
	d.rows++
	cells := []string{c.UserPrincipalName, joinNames(c.Changes, ", "), classChange(c), methodChange(c, termSafe)}
	for i, cell := range cells {
		cells[i] = wrapCell(termSafe(cell), diffColumns[i].width-2)
	}
	return d.table.Append(cells)
}

func (d *diffTable) Finish(s DiffSummary) error {
	if d.table != nil {
		if err := d.table.Close(); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(d.out, "No changes.")
	}
	fmt.Fprintln(d.out)
	fmt.Fprintf(d.out, "Old report: %s\nNew report: %s\n", describeReport(s.Old), describeReport(s.New))
	for _, w := range s.Warnings {
		fmt.Fprintf(d.out, "Warning: %s\n", w)
	}
	t := newTable(d.out)
	t.Header("CHANGE", "USERS")
	for _, c := range s.Changes {
		if err := t.Append(string(c.Change), strconv.Itoa(c.Count)); err != nil {
			return err
		}
	}
	if err := t.Append("changed users", strconv.Itoa(s.ChangedUsers)); err != nil {
		return err
	}
	if err := t.Render(); err != nil {
		return err
	}
	return d.out.Flush()
}

func (d *diffTable) Close() error { return nil }

func describeReport(r ReportInfo) string {
	s := fmt.Sprintf("%s, filter %s", plural.Count(r.Users, "user"), orDash(r.Filter))
	if g := formatTime(r.GeneratedAt); g != "" {
		s += ", generated " + g
	}
	return s
}

// DiffCSVHeader is the header line of the diff CSV.
var DiffCSVHeader = []string{"id", "userPrincipalName", "displayName", "changes", "oldStrongestClass", "newStrongestClass",
	"methodsAdded", "methodsRemoved", "oldDefaultMethod", "newDefaultMethod"}

type diffCSV struct {
	w      *output.CSVWriter
	header bool
}

func (d *diffCSV) writeHeader() error {
	if d.header {
		return nil
	}
	d.header = true
	return d.w.Write(DiffCSVHeader)
}

func (d *diffCSV) WriteChange(c UserChange) error {
	if err := d.writeHeader(); err != nil {
		return err
	}
	return d.w.Write([]string{c.ID, c.UserPrincipalName, c.DisplayName,
		joinNames(c.Changes, ";"), string(c.OldClass), string(c.NewClass),
		joinNames(c.MethodsAdded, ";"), joinNames(c.MethodsRemoved, ";"), c.OldDefault, c.NewDefault})
}

func (d *diffCSV) Finish(DiffSummary) error {
	if err := d.writeHeader(); err != nil {
		return err
	}
	d.w.Flush()
	return d.w.Error()
}

func (d *diffCSV) Close() error { return nil }

// diffJSON streams {"changes":[...],"summary":{...}}, reusing the coverage
// JSON writer's framing.
type diffJSON struct{ j *jsonRenderer }

func (d *diffJSON) WriteChange(c UserChange) error {
	j := d.j
	if !j.begun {
		j.begun = true
		if _, err := j.out.WriteString("{\"changes\":[\n"); err != nil {
			return err
		}
	}
	return j.writeElement(c)
}

func (d *diffJSON) Finish(s DiffSummary) error {
	j := d.j
	if !j.begun {
		j.begun = true
		if _, err := j.out.WriteString("{\"changes\":["); err != nil {
			return err
		}
	} else if _, err := j.out.WriteString("\n"); err != nil {
		return err
	}
	j.enc.SetIndent("", "  ")
	b, err := j.encode(s)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteString("],\n\"summary\":")
	buf.Write(b)
	buf.WriteString("}\n")
	if _, err := j.out.Write(buf.Bytes()); err != nil {
		return err
	}
	return j.out.Flush()
}

func (d *diffJSON) Close() error { return nil }

type diffMarkdown struct {
	out   io.Writer
	spool *spool
	title string
	rows  int
}

func (d *diffMarkdown) WriteChange(c UserChange) error {
	d.rows++
	_, err := fmt.Fprintf(d.spool.w, "| %s | %s | %s | %s | %s |\n", mdCell(c.UserPrincipalName), mdCell(c.DisplayName),
		joinNames(c.Changes, ", "), classChange(c), methodChange(c, mdCell))
	return err
}

func (d *diffMarkdown) Finish(s DiffSummary) error {
	w := bufio.NewWriterSize(d.out, 64<<10)
	fmt.Fprintf(w, "# %s\n\n", mdCell(d.title))
	fmt.Fprintf(w, "- Old report: %s\n- New report: %s\n", describeReport(s.Old), describeReport(s.New))
	for _, warn := range s.Warnings {
		fmt.Fprintf(w, "- **Warning:** %s\n", mdCell(warn))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| Change | Users |")
	fmt.Fprintln(w, "|---|---:|")
	for _, c := range s.Changes {
		fmt.Fprintf(w, "| %s | %d |\n", c.Change, c.Count)
	}
	fmt.Fprintf(w, "| **changed users** | %d |\n\n", s.ChangedUsers)
	fmt.Fprintf(w, "## Changed users (%d)\n\n", d.rows)
	fmt.Fprintln(w, "| User | Display name | Changes | Strongest class | Methods |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	if err := d.spool.copyTo(w); err != nil {
		return err
	}
	return w.Flush()
}

func (d *diffMarkdown) Close() error { return d.spool.close() }
