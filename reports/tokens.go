package reports

import (
	"cmp"
	"context"
	"iter"
	"slices"
	"strings"

	"github.com/mfactl/mfactl/methods"
)

// tokenStatusUnknown stands for a token whose status is missing or not one of
// methods.TokenStatuses.
const tokenStatusUnknown = "unknown"

// TokenModel counts the tokens of one manufacturer and model by status.
type TokenModel struct {
	Manufacturer string    `json:"manufacturer"`
	Model        string    `json:"model"`
	Total        int       `json:"total"`
	ByStatus     Breakdown `json:"byStatus"`
}

// TokenSummary is the hardware OATH token inventory by status, manufacturer
// and model, with the token findings (unassigned, not activated).
type TokenSummary struct {
	Total int `json:"total"`
	// ByStatus lists every status of methods.TokenStatuses, then "unknown"
	// when some token has no known status.
	ByStatus Breakdown `json:"byStatus"`
	// ByManufacturer is sorted by count, largest first, then by name.
	ByManufacturer Breakdown `json:"byManufacturer"`
	// Models is sorted by manufacturer, then model.
	Models []TokenModel `json:"models"`
	// Findings are the token findings; in a coverage summary they are listed
	// with the user findings instead, and this is empty.
	Findings Findings `json:"findings,omitempty"`
}

type modelKey struct{ manufacturer, model string }

// TokenAccumulator builds a TokenSummary from tokens fed one at a time. It
// keeps counts per status and per manufacturer/model (bounded by the variety
// of the inventory, not its size) and at most a sample limit of tokens per
// finding.
type TokenAccumulator struct {
	limit        int
	total        int
	byStatus     map[string]int
	byModel      map[modelKey]map[string]int
	unassigned   sample
	notActivated sample
}

// NewTokenAccumulator returns an empty accumulator listing at most
// sampleLimit tokens per finding (0 lists none).
func NewTokenAccumulator(sampleLimit int) *TokenAccumulator {
	return &TokenAccumulator{limit: max(sampleLimit, 0), byStatus: map[string]int{}, byModel: map[modelKey]map[string]int{}}
}

func tokenStatus(t methods.HardwareToken) string {
	if slices.Contains(methods.TokenStatuses, t.Status) {
		return string(t.Status)
	}
	return tokenStatusUnknown
}

// Add counts one token.
func (a *TokenAccumulator) Add(t methods.HardwareToken) {
	st := tokenStatus(t)
	a.total++
	a.byStatus[st]++
	k := modelKey{strings.TrimSpace(t.Manufacturer), strings.TrimSpace(t.Model)}
	m := a.byModel[k]
	if m == nil {
		m = map[string]int{}
		a.byModel[k] = m
	}
	m[st]++
	subj := Subject{ID: t.ID, Name: t.SerialNumber}
	switch {
	case t.Status == methods.TokenAvailable, st == tokenStatusUnknown && t.AssignedTo == nil:
		a.unassigned.add(a.limit, subj)
	case t.Status == methods.TokenAssigned, t.Status == methods.TokenFailedActivation:
		a.notActivated.add(a.limit, subj)
	}
}

func statusBreakdown(counts map[string]int, total int) Breakdown {
	b := make(Breakdown, 0, len(methods.TokenStatuses)+1)
	for _, st := range methods.TokenStatuses {
		b = append(b, Entry{Key: string(st), Share: shareOf(counts[string(st)], total)})
	}
	if n := counts[tokenStatusUnknown]; n > 0 {
		b = append(b, Entry{Key: tokenStatusUnknown, Share: shareOf(n, total)})
	}
	return b
}

// Summary returns the summary of every token added so far.
func (a *TokenAccumulator) Summary() TokenSummary {
	s := TokenSummary{
		Total:          a.total,
		ByStatus:       statusBreakdown(a.byStatus, a.total),
		ByManufacturer: Breakdown{},
		Models:         []TokenModel{},
	}
	byManufacturer := map[string]int{}
	for k, counts := range a.byModel {
		total := 0
		for _, n := range counts {
			total += n
		}
		byManufacturer[k.manufacturer] += total
		s.Models = append(s.Models, TokenModel{Manufacturer: k.manufacturer, Model: k.model, Total: total, ByStatus: statusBreakdown(counts, total)})
	}
	slices.SortFunc(s.Models, func(x, y TokenModel) int {
		return cmp.Or(strings.Compare(x.Manufacturer, y.Manufacturer), strings.Compare(x.Model, y.Model))
	})
	for name, n := range byManufacturer {
		s.ByManufacturer = append(s.ByManufacturer, Entry{Key: name, Share: shareOf(n, a.total)})
	}
	slices.SortFunc(s.ByManufacturer, func(x, y Entry) int {
		return cmp.Or(cmp.Compare(y.Count, x.Count), strings.Compare(x.Key, y.Key))
	})
	s.Findings = Findings{
		a.unassigned.finding(FindingTokenUnassigned, PartTokens, a.total),
		a.notActivated.finding(FindingTokenNotActivated, PartTokens, a.total),
	}
	return s
}

// SummarizeTokens consumes a token iterator (the fetcher's paging of
// /directory/authenticationMethodDevices/hardwareOathDevices) and returns the
// inventory summary. It stops at the first error of the iterator or of ctx.
func SummarizeTokens(ctx context.Context, tokens iter.Seq2[methods.HardwareToken, error], sampleLimit int) (TokenSummary, error) {
	a := NewTokenAccumulator(SummaryOptions{SampleLimit: sampleLimit}.sampleLimit())
	for t, err := range tokens {
		if err != nil {
			return TokenSummary{}, err
		}
		if err := ctx.Err(); err != nil {
			return TokenSummary{}, err
		}
		a.Add(t)
	}
	return a.Summary(), nil
}
