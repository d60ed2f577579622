package reports

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// tableColumns are the columns of the human user table, with fixed widths
// (content plus padding): a streamed table cannot size its columns from rows
// it has not seen. Longer cells wrap.
var tableColumns = []struct {
	header string
	width  int
}{
	{"USER", 36}, {"TYPE", 8}, {"ADMIN", 7}, {"ENABLED", 9}, {"METHODS", 26},
	{"DEFAULT", 22}, {"STRONGEST", 19}, {"BACKUP", 8}, {"SMS/VOICE ONLY", 11},
}

// tableRenderer streams the rows through tablewriter's streaming mode, then
// prints the summary as separate tables.
type tableRenderer struct {
	out     *bufio.Writer
	table   *tablewriter.Table
	started bool
	rows    int
}

func newTableRenderer(w io.Writer) *tableRenderer {
	return &tableRenderer{out: bufio.NewWriterSize(w, 64<<10)}
}

func newTable(w io.Writer, opts ...tablewriter.Option) *tablewriter.Table {
	base := []tablewriter.Option{
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNormal),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
	}
	return tablewriter.NewTable(w, append(base, opts...)...)
}

func (t *tableRenderer) start() error {
	if t.started {
		return nil
	}
	t.started = true
	widths := tw.NewMapper[int, int]()
	header := make([]string, len(tableColumns))
	for i, c := range tableColumns {
		widths.Set(i, c.width)
		header[i] = c.header
	}
	t.table = newTable(t.out,
		tablewriter.WithStreaming(tw.StreamConfig{Enable: true}),
		tablewriter.WithColumnWidths(widths),
		tablewriter.WithHeaderAutoWrap(tw.WrapNormal),
	)
	if err := t.table.Start(); err != nil {
		return err
	}
	t.table.Header(header)
	return nil
}

func (t *tableRenderer) WriteRow(r Row) error {
	if err := t.start(); err != nil {
		return err
	}
	t.rows++
	cells := []string{
		r.UserPrincipalName, r.UserType, yesNo(r.IsAdmin), yesNo(r.AccountEnabled),
		orDash(joinNames(r.Methods, ", ")), orDash(r.DefaultMethod), string(r.StrongestClass),
		yesNo(r.HasBackup), yesNo(r.SMSVoiceOnly),
	}
	for i, c := range cells {
		cells[i] = wrapCell(termSafe(c), tableColumns[i].width-2)
	}
	return t.table.Append(cells)
}

// termSafe replaces control characters, so that user data cannot move the
// cursor or recolour the terminal with escape sequences.
func termSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
}

// wrapCell breaks a cell into lines of at most width runes: after a space
// (", " between methods, " " between a diff's method changes) when it can,
// inside a word (a long UPN) when it must. The
// streamed table has fixed widths and would otherwise cut the text.
func wrapCell(s string, width int) string {
	if utf8.RuneCountInString(s) <= width || width <= 0 {
		return s
	}
	var lines []string
	line := ""
	for _, word := range strings.SplitAfter(s, " ") {
		if line != "" && utf8.RuneCountInString(line+strings.TrimRight(word, " ")) > width {
			lines = append(lines, strings.TrimRight(line, " "))
			line = ""
		}
		line += word
		for utf8.RuneCountInString(strings.TrimRight(line, " ")) > width {
			rs := []rune(line)
			lines = append(lines, string(rs[:width]))
			line = string(rs[width:])
		}
	}
	if line = strings.TrimRight(line, " "); line != "" {
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

func (t *tableRenderer) Finish(s Summary) error {
	if t.rows > 0 {
		if err := t.table.Close(); err != nil {
			return err
		}
		fmt.Fprintln(t.out)
	} else {
		fmt.Fprintln(t.out, "No users.")
		fmt.Fprintln(t.out)
	}
	if err := writeSummaryTables(t.out, s); err != nil {
		return err
	}
	return t.out.Flush()
}

func (t *tableRenderer) Close() error { return nil }

// writeSummaryTables prints the summary for a terminal.
func writeSummaryTables(w io.Writer, s Summary) error {
	fmt.Fprintf(w, "Users: %d", s.Users.Total)
	if s.Filter != "" && s.Filter != "all" {
		fmt.Fprintf(w, " (filter: %s)", s.Filter)
	}
	if g := formatTime(s.GeneratedAt); g != "" {
		fmt.Fprintf(w, ", generated %s", g)
	}
	fmt.Fprintln(w)
	for _, u := range s.Sources {
		fmt.Fprintf(w, "Source: %s\n", sourceLine(u))
	}
	fmt.Fprintln(w)

	totals := newTable(w)
	totals.Header("USERS", "COUNT", "%")
	for _, l := range userTotalLines(s.Users) {
		if err := totals.Append(l.label, strconv.Itoa(l.share.Count), formatPercent(l.share.Percent)); err != nil {
			return err
		}
	}
	if err := totals.Render(); err != nil {
		return err
	}

	if err := renderBreakdown(w, "STRONGEST CLASS", s.Classes, classLabel); err != nil {
		return err
	}
	if err := renderBreakdown(w, "METHOD (USERS HOLDING IT)", s.Methods, func(k string) string { return k }); err != nil {
		return err
	}

	findings := newTable(w)
	findings.Header("FINDING", "COUNT", "OF", "%")
	for _, f := range s.Findings {
		if err := findings.Append(f.Title, strconv.Itoa(f.Count), f.OfText(), formatPercent(f.Percent)); err != nil {
			return err
		}
	}
	if err := findings.Render(); err != nil {
		return err
	}
	for _, f := range s.Findings {
		if f.Count == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s (%d):\n", f.ID, f.Count)
		for _, subj := range f.Subjects {
			fmt.Fprintf(w, "  %s\n", termSafe(subj.Name))
		}
		if f.Omitted > 0 {
			fmt.Fprintf(w, "  ... and %d more\n", f.Omitted)
		}
	}
	if s.Tokens != nil {
		fmt.Fprintln(w)
		if err := writeTokenTables(w, *s.Tokens); err != nil {
			return err
		}
	}
	return nil
}

func renderBreakdown(w io.Writer, title string, b Breakdown, label func(string) string) error {
	t := newTable(w)
	t.Header(title, "USERS", "%")
	for _, e := range b {
		if err := t.Append(label(e.Key), strconv.Itoa(e.Count), formatPercent(e.Percent)); err != nil {
			return err
		}
	}
	return t.Render()
}

// writeTokenTables prints a token inventory for a terminal.
func writeTokenTables(w io.Writer, s TokenSummary) error {
	fmt.Fprintf(w, "Hardware tokens: %d\n", s.Total)
	t := newTable(w)
	header := []any{"MANUFACTURER", "MODEL"}
	for _, e := range s.ByStatus {
		header = append(header, e.Key)
	}
	header = append(header, "TOTAL")
	t.Header(header...)
	for _, m := range s.Models {
		row := []string{orDash(termSafe(m.Manufacturer)), orDash(termSafe(m.Model))}
		for _, e := range s.ByStatus {
			c, _ := m.ByStatus.Get(e.Key)
			row = append(row, strconv.Itoa(c.Count))
		}
		row = append(row, strconv.Itoa(m.Total))
		if err := t.Append(row); err != nil {
			return err
		}
	}
	footer := []string{"All", ""}
	for _, e := range s.ByStatus {
		footer = append(footer, strconv.Itoa(e.Count))
	}
	footer = append(footer, strconv.Itoa(s.Total))
	if err := t.Append(footer); err != nil {
		return err
	}
	return t.Render()
}
