package reports

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"strconv"

	"github.com/mfactl/mfactl/internal/output"
	"github.com/mfactl/mfactl/methods"
)

// TokenReportOptions configures WriteTokenReport.
type TokenReportOptions struct {
	// Format is table, csv, json or md.
	Format Format
	// SampleLimit caps the tokens listed per finding (see SummaryOptions).
	SampleLimit int
	// Title heads the Markdown document ("Hardware OATH tokens" when empty).
	Title string
}

// WriteTokenReport summarizes the token inventory the iterator yields and
// renders it (mfactl report tokens). The summary holds counts per status and
// per manufacturer/model only, so it is written once the iterator ends.
func WriteTokenReport(ctx context.Context, w io.Writer, tokens iter.Seq2[methods.HardwareToken, error], opts TokenReportOptions) (TokenSummary, error) {
	if err := checkTokenFormat(opts.Format); err != nil {
		return TokenSummary{}, err
	}
	s, err := SummarizeTokens(ctx, tokens, opts.SampleLimit)
	if err != nil {
		return TokenSummary{}, err
	}
	return s, RenderTokens(w, opts.Format, s, RenderOptions{Title: opts.Title})
}

func checkTokenFormat(f Format) error {
	switch f {
	case FormatTable, FormatCSV, FormatJSON, FormatMarkdown:
		return nil
	}
	return fmt.Errorf("output format %q is not available for the token report (want table, csv, json or md)", f)
}

// TokenCSVHeader returns the header of the token CSV for a summary: one
// column per status of s.ByStatus.
func TokenCSVHeader(s TokenSummary) []string {
	h := []string{"manufacturer", "model"}
	for _, e := range s.ByStatus {
		h = append(h, e.Key)
	}
	return append(h, "total")
}

// RenderTokens writes a token inventory:
//
//   - table: the inventory by manufacturer and model, then the findings.
//   - csv: one line per manufacturer and model with a count per status.
//   - json: the TokenSummary.
//   - md: the inventory table, then the findings.
func RenderTokens(w io.Writer, f Format, s TokenSummary, opts RenderOptions) error {
	if err := checkTokenFormat(f); err != nil {
		return err
	}
	out := bufio.NewWriter(w)
	switch f {
	case FormatTable:
		if err := writeTokenTables(out, s); err != nil {
			return err
		}
		for _, fd := range s.Findings {
			fmt.Fprintf(out, "\n%s: %d of %d\n", fd.Title, fd.Count, fd.Of)
			for _, subj := range fd.Subjects {
				fmt.Fprintf(out, "  %s\n", termSafe(subj.Name))
			}
			if fd.Omitted > 0 {
				fmt.Fprintf(out, "  ... and %d more\n", fd.Omitted)
			}
		}
	case FormatCSV:
		c := output.NewCSVWriter(out)
		if err := c.Write(TokenCSVHeader(s)); err != nil {
			return err
		}
		for _, m := range s.Models {
			rec := []string{m.Manufacturer, m.Model}
			for _, e := range s.ByStatus {
				n, _ := m.ByStatus.Get(e.Key)
				rec = append(rec, strconv.Itoa(n.Count))
			}
			if err := c.Write(append(rec, strconv.Itoa(m.Total))); err != nil {
				return err
			}
		}
		c.Flush()
		if err := c.Error(); err != nil {
			return err
		}
	case FormatJSON:
		enc := json.NewEncoder(out)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(s); err != nil {
			return err
		}
	case FormatMarkdown:
		fmt.Fprintf(out, "# %s\n\n", mdCell(opts.title("Hardware OATH tokens")))
		writeMarkdownTokens(out, s)
		for _, fd := range s.Findings {
			fmt.Fprintf(out, "### %s (%d of %d)\n\n", fd.Title, fd.Count, fd.Of)
			for _, subj := range fd.Subjects {
				fmt.Fprintf(out, "- %s\n", mdCell(subj.Name))
			}
			if fd.Omitted > 0 {
				fmt.Fprintf(out, "- … and %d more\n", fd.Omitted)
			}
			fmt.Fprintln(out)
		}
	}
	return out.Flush()
}
