package reports

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// mdEscaper escapes user data for a Markdown table cell: the characters
// Markdown (and the HTML it may become) would interpret, and line breaks,
// which would end the row.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`,
	"<", `\<`, ">", `\>`, "~", `\~`, "#", `\#`, "\r\n", " ", "\n", " ", "\r", " ",
)

func mdCell(s string) string {
	if s == "" {
		return "-"
	}
	return mdEscaper.Replace(s)
}

// markdownRenderer spools the rows as table lines, then writes the summary
// followed by the spooled table.
type markdownRenderer struct {
	out   io.Writer
	spool *spool
	title string
	rows  int
}

func newMarkdownRenderer(w io.Writer, opts RenderOptions) (*markdownRenderer, error) {
	sp, err := newSpool(opts.TempDir)
	if err != nil {
		return nil, err
	}
	return &markdownRenderer{out: w, spool: sp, title: opts.title("MFA coverage report")}, nil
}

func (m *markdownRenderer) WriteRow(r Row) error {
	m.rows++
	w := m.spool.w
	_, err := fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
		mdCell(r.UserPrincipalName), mdCell(r.DisplayName), r.UserType, yesNo(r.IsAdmin), yesNo(r.AccountEnabled),
		orDash(joinNames(r.Methods, ", ")), orDash(r.DefaultMethod), r.StrongestClass, yesNo(r.HasBackup),
		yesNo(r.SMSVoiceOnly), orDash(joinNames(r.Findings, ", ")))
	return err
}

func (m *markdownRenderer) Finish(s Summary) error {
	w := bufio.NewWriterSize(m.out, 64<<10)
	fmt.Fprintf(w, "# %s\n\n", mdCell(m.title))
	writeMarkdownSummary(w, s)
	fmt.Fprintf(w, "## Users (%d)\n\n", m.rows)
	fmt.Fprintln(w, "| User | Display name | Type | Admin | Enabled | Methods | Default | Strongest | Backup | SMS/voice only | Findings |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|")
	if err := m.spool.copyTo(w); err != nil {
		return err
	}
	return w.Flush()
}

func (m *markdownRenderer) Close() error { return m.spool.close() }

func writeMarkdownSummary(w io.Writer, s Summary) {
	var meta []string
	if g := formatTime(s.GeneratedAt); g != "" {
		meta = append(meta, "Generated "+g)
	}
	meta = append(meta, "Filter: "+s.Filter, fmt.Sprintf("Users: %d", s.Users.Total))
	fmt.Fprintf(w, "%s\n\n", strings.Join(meta, " · "))
	if len(s.Sources) > 0 {
		fmt.Fprintln(w, "## Sources")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| Part | Source | Count | Scope |")
		fmt.Fprintln(w, "|---|---|---:|---|")
		for _, u := range s.Sources {
			fmt.Fprintf(w, "| %s | %s | %d | %s |\n", u.Part, mdCell(u.Source), u.Count, mdCell(u.Scope))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "## Coverage")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| Users | Count | % |")
	fmt.Fprintln(w, "|---|---:|---:|")
	fmt.Fprintf(w, "| Total | %d | 100 |\n", s.Users.Total)
	for _, l := range userTotalLines(s.Users) {
		fmt.Fprintf(w, "| %s | %d | %s |\n", l.label, l.share.Count, formatPercent(l.share.Percent))
	}
	fmt.Fprintln(w)
	writeMarkdownBreakdown(w, "Strongest class", s.Classes, classLabel)
	writeMarkdownBreakdown(w, "Method (users holding it)", s.Methods, func(k string) string { return k })

	fmt.Fprintln(w, "## Findings")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| Finding | Count | Of | % |")
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	for _, f := range s.Findings {
		fmt.Fprintf(w, "| %s | %d | %s | %s |\n", f.Title, f.Count, f.OfText(), formatPercent(f.Percent))
	}
	fmt.Fprintln(w)
	for _, f := range s.Findings {
		if f.Count == 0 {
			continue
		}
		fmt.Fprintf(w, "### %s (%d)\n\n", f.Title, f.Count)
		for _, subj := range f.Subjects {
			fmt.Fprintf(w, "- %s\n", mdCell(subj.Name))
		}
		if f.Omitted > 0 {
			fmt.Fprintf(w, "- … and %d more\n", f.Omitted)
		}
		fmt.Fprintln(w)
	}
	if s.Tokens != nil {
		writeMarkdownTokens(w, *s.Tokens)
	}
}

func writeMarkdownBreakdown(w io.Writer, title string, b Breakdown, label func(string) string) {
	fmt.Fprintf(w, "| %s | Users | %% |\n", title)
	fmt.Fprintln(w, "|---|---:|---:|")
	for _, e := range b {
		fmt.Fprintf(w, "| %s | %d | %s |\n", mdCell(label(e.Key)), e.Count, formatPercent(e.Percent))
	}
	fmt.Fprintln(w)
}

func writeMarkdownTokens(w io.Writer, s TokenSummary) {
	fmt.Fprintf(w, "## Hardware tokens (%d)\n\n", s.Total)
	head := []string{"Manufacturer", "Model"}
	for _, e := range s.ByStatus {
		head = append(head, e.Key)
	}
	head = append(head, "Total")
	fmt.Fprintf(w, "| %s |\n", strings.Join(head, " | "))
	fmt.Fprintf(w, "|---|---|%s\n", strings.Repeat("---:|", len(s.ByStatus)+1))
	for _, m := range s.Models {
		cells := []string{mdCell(m.Manufacturer), mdCell(m.Model)}
		for _, e := range s.ByStatus {
			c, _ := m.ByStatus.Get(e.Key)
			cells = append(cells, fmt.Sprint(c.Count))
		}
		cells = append(cells, fmt.Sprint(m.Total))
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	cells := []string{"**All**", ""}
	for _, e := range s.ByStatus {
		cells = append(cells, fmt.Sprint(e.Count))
	}
	cells = append(cells, fmt.Sprint(s.Total))
	fmt.Fprintf(w, "| %s |\n\n", strings.Join(cells, " | "))
}
