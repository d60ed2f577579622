package reports

import (
	"context"
	"fmt"
	"io"
	"iter"
	"time"

	"github.com/mfactl/mfactl/methods"
)

// CoverageOptions configures WriteCoverage.
type CoverageOptions struct {
	Format Format
	// Filter keeps the matching rows; the summary covers those rows only.
	Filter Filter
	// SampleLimit caps the users (tokens) listed per finding in the summary
	// (0: DefaultSampleLimit; negative: none). Counts are always exact.
	SampleLimit int
	// GeneratedAt is printed in the summary (zero: omitted).
	GeneratedAt time.Time
	// SourceScopes describes per source what the planner read from it, e.g.
	// {"registration": "enabled users", "methods": "disabled users"}.
	SourceScopes map[string]string
	// TokenSource names the source of the token inventory (SourceTokens
	// when empty).
	TokenSource string
	// Title and TempDir go to the renderer (see RenderOptions).
	Title   string
	TempDir string
}

// WriteCoverage is the coverage report pipeline: it computes a row for every
// user the iterator yields, keeps those passing the filter, streams them to
// the renderer and the accumulator, then counts the hardware tokens (when
// tokens is not nil) and writes the summary. Memory does not grow with the
// number of users. It stops at the first error of an iterator, of ctx
// (checked between users) or of the writer; the output is then incomplete,
// so callers writing a file use WriteFileAtomic. The summary is returned for
// callers that want to print a note (e.g. counts to stderr).
func WriteCoverage(ctx context.Context, w io.Writer, users iter.Seq2[UserInput, error], tokens iter.Seq2[methods.HardwareToken, error], opts CoverageOptions) (Summary, error) {
	r, err := NewCoverageRenderer(w, opts.Format, RenderOptions{Title: opts.Title, TempDir: opts.TempDir})
	if err != nil {
		return Summary{}, err
	}
	defer r.Close()
	acc := NewAccumulator(SummaryOptions{
		SampleLimit: opts.SampleLimit, Filter: opts.Filter, GeneratedAt: opts.GeneratedAt, SourceScopes: opts.SourceScopes,
	})
	for in, err := range users {
		if err != nil {
			return Summary{}, fmt.Errorf("read users: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return Summary{}, err
		}
		row := Compute(in)
		if !opts.Filter.Match(row) {
			continue
		}
		acc.Add(row, in.Source)
		if err := r.WriteRow(row); err != nil {
			return Summary{}, fmt.Errorf("write report: %w", err)
		}
	}
	if tokens != nil {
		acc.TrackTokens(opts.TokenSource)
		for t, err := range tokens {
			if err != nil {
				return Summary{}, fmt.Errorf("read hardware tokens: %w", err)
			}
			if err := ctx.Err(); err != nil {
				return Summary{}, err
			}
			acc.AddToken(t)
		}
	}
	s := acc.Summary()
	if err := r.Finish(s); err != nil {
		return Summary{}, fmt.Errorf("write report: %w", err)
	}
	return s, r.Close()
}
