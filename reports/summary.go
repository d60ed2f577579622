package reports

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mfactl/mfactl/methods"
)

// DefaultSampleLimit is how many users (tokens) a finding lists when
// SummaryOptions.SampleLimit is 0.
const DefaultSampleLimit = 50

// The parts of a report a source can feed.
const (
	PartUsers  = "users"
	PartTokens = "tokens"
)

// SourceTokens is the default source name of the token inventory.
const SourceTokens = "hardwareOathDevices"

// SourceUse says where one part of a report came from: e.g. users from
// "registration" (98000 rows, scope "enabled users") and from "methods" (2000
// rows, scope "disabled users").
type SourceUse struct {
	Part   string `json:"part"`
	Source string `json:"source"`
	Count  int    `json:"count"`
	Scope  string `json:"scope,omitempty"`
}

// UserTotals counts the users of a report. Shares are of Total.
type UserTotals struct {
	Total             int   `json:"total"`
	Enabled           Share `json:"enabled"`
	Disabled          Share `json:"disabled"`
	Members           Share `json:"members"`
	Guests            Share `json:"guests"`
	Admins            Share `json:"admins"`
	MFACapable        Share `json:"mfaCapable"`
	HasBackup         Share `json:"hasBackup"`
	SMSVoiceOnly      Share `json:"smsVoiceOnly"`
	PhishingResistant Share `json:"phishingResistant"`
}

// Summary is the summary of a coverage report. Every number is addressable
// by a dotted path from the summary (users.total, users.mfaCapable.percent,
// classes.phishingResistant.count, methods.fido2.count,
// findings.noMfaMethod.count, tokens.byStatus.available.count); the HTML page
// carries the same paths in data-metric attributes.
type Summary struct {
	GeneratedAt time.Time   `json:"generatedAt,omitzero"`
	Filter      string      `json:"filter"`
	Sources     []SourceUse `json:"sources"`
	Users       UserTotals  `json:"users"`
	// Classes counts users by strongest class, strongest first.
	Classes Breakdown `json:"classes"`
	// Methods counts users holding each method, in MethodNames order ("phone"
	// and "unknown" only when someone holds them).
	Methods  Breakdown     `json:"methods"`
	Findings Findings      `json:"findings"`
	Tokens   *TokenSummary `json:"tokens,omitempty"`
}

// SummaryOptions configures an Accumulator.
type SummaryOptions struct {
	// SampleLimit caps the users (tokens) each finding lists; 0 means
	// DefaultSampleLimit, a negative value lists none. Counts are exact
	// whatever the limit.
	SampleLimit int
	// Filter is recorded in the summary (the caller applies it).
	Filter Filter
	// GeneratedAt is recorded in the summary (zero: omitted).
	GeneratedAt time.Time
	// SourceScopes describes, per source name, which users or tokens the
	// planner read from it ("enabled users", "disabled users").
	SourceScopes map[string]string
}

func (o SummaryOptions) sampleLimit() int {
	switch {
	case o.SampleLimit == 0:
		return DefaultSampleLimit
	case o.SampleLimit < 0:
		return 0
	}
	return o.SampleLimit
}

// sample is the bounded list of subjects of one finding: the limit first
// in (name, id) order, whatever order the rows arrive in, so a finding
// lists the same users however the tenant was read (the two fronts of
// `auto` deliver rows in the order they meet them).
type sample struct {
	count    int
	subjects []Subject // sorted by subjectLess
}

func subjectLess(a, b Subject) bool {
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	return a.ID < b.ID
}

func (s *sample) add(limit int, subj Subject) {
	s.count++
	if limit <= 0 {
		return
	}
	n := len(s.subjects)
	if n == limit && !subjectLess(subj, s.subjects[n-1]) {
		return
	}
	i := sort.Search(n, func(i int) bool { return subjectLess(subj, s.subjects[i]) })
	if n < limit {
		s.subjects = append(s.subjects, Subject{})
	}
	copy(s.subjects[i+1:], s.subjects[i:])
	s.subjects[i] = subj
}

// Accumulator builds a Summary from rows fed one at a time. It keeps counts
// and at most SampleLimit subjects per finding, so its memory does not grow
// with the tenant.
type Accumulator struct {
	opts    SummaryOptions
	limit   int
	totals  struct{ total, enabled, members, guests, admins, mfa, backup, sms, pr int }
	classes [5]int // by methods.Class rank
	methods [maxNames]int
	samples [allFindingCount]sample
	sources []SourceUse
	tokens  *TokenAccumulator
}

// allFindingCount is len(FindingIDs).
const allFindingCount = 8

// NewAccumulator returns an empty accumulator.
func NewAccumulator(opts SummaryOptions) *Accumulator {
	return &Accumulator{opts: opts, limit: opts.sampleLimit()}
}

// Add counts one row, computed from source (SourceRegistration,
// SourceMethods; "" is not recorded in Sources).
func (a *Accumulator) Add(r Row, source string) {
	t := &a.totals
	t.total++
	count := func(cond bool, n *int) {
		if cond {
			*n++
		}
	}
	count(r.AccountEnabled, &t.enabled)
	count(r.UserType == userTypeMember, &t.members)
	count(r.UserType == userTypeGuest, &t.guests)
	count(r.IsAdmin, &t.admins)
	count(r.MFACapable, &t.mfa)
	count(r.HasBackup, &t.backup)
	count(r.SMSVoiceOnly, &t.sms)
	count(r.PhishingResistant, &t.pr)
	if rank := r.StrongestClass.Rank(); rank >= 0 && rank < len(a.classes) {
		a.classes[rank]++
	}
	for _, n := range r.Methods {
		if i := nameIndex(n); i >= 0 {
			a.methods[i]++
		}
	}
	for _, f := range r.Findings {
		if i := slices.Index(FindingIDs, f); i >= 0 {
			a.samples[i].add(a.limit, Subject{ID: r.ID, Name: r.UserPrincipalName})
		}
	}
	if source != "" {
		a.countSource(PartUsers, source)
	}
}

func (a *Accumulator) countSource(part, source string) {
	for i := range a.sources {
		if a.sources[i].Part == part && a.sources[i].Source == source {
			a.sources[i].Count++
			return
		}
	}
	a.sources = append(a.sources, SourceUse{Part: part, Source: source, Count: 1, Scope: a.opts.SourceScopes[source]})
}

// TrackTokens makes the summary include the token inventory, read from
// source (SourceTokens when ""), even if it turns out to be empty.
func (a *Accumulator) TrackTokens(source string) {
	if source == "" {
		source = SourceTokens
	}
	if a.tokens == nil {
		a.tokens = NewTokenAccumulator(a.limit)
		a.sources = append(a.sources, SourceUse{Part: PartTokens, Source: source, Scope: a.opts.SourceScopes[source]})
	}
}

// AddToken counts one hardware token of the inventory (tracking tokens from
// SourceTokens if TrackTokens was not called).
func (a *Accumulator) AddToken(t methods.HardwareToken) {
	a.TrackTokens("")
	a.tokens.Add(t)
	for i := range a.sources {
		if a.sources[i].Part == PartTokens {
			a.sources[i].Count++
			break
		}
	}
}

// Summary returns the summary of everything added so far.
func (a *Accumulator) Summary() Summary {
	t := a.totals
	s := Summary{
		GeneratedAt: a.opts.GeneratedAt,
		Filter:      a.opts.Filter.String(),
		Sources:     a.sortedSources(),
		Users: UserTotals{
			Total:             t.total,
			Enabled:           shareOf(t.enabled, t.total),
			Disabled:          shareOf(t.total-t.enabled, t.total),
			Members:           shareOf(t.members, t.total),
			Guests:            shareOf(t.guests, t.total),
			Admins:            shareOf(t.admins, t.total),
			MFACapable:        shareOf(t.mfa, t.total),
			HasBackup:         shareOf(t.backup, t.total),
			SMSVoiceOnly:      shareOf(t.sms, t.total),
			PhishingResistant: shareOf(t.pr, t.total),
		},
		Classes: make(Breakdown, 0, len(methods.Classes)),
		Methods: Breakdown{},
	}
	for _, c := range methods.Classes {
		s.Classes = append(s.Classes, Entry{Key: string(c), Share: shareOf(a.classes[c.Rank()], t.total)})
	}
	for i, n := range MethodNames {
		if (n == NamePhone || n == NameUnknown) && a.methods[i] == 0 {
			continue
		}
		s.Methods = append(s.Methods, Entry{Key: string(n), Share: shareOf(a.methods[i], t.total)})
	}
	bases := [userFindingCount]int{t.total, t.total, t.total, t.admins, t.total - t.enabled, t.total}
	for i := range userFindingCount {
		s.Findings = append(s.Findings, a.samples[i].finding(FindingIDs[i], PartUsers, bases[i]))
	}
	if a.tokens != nil {
		// The token findings join the report's findings; they are not
		// repeated under tokens.
		ts := a.tokens.Summary()
		s.Findings = append(s.Findings, ts.Findings...)
		ts.Findings = nil
		s.Tokens = &ts
	}
	return s
}

func (s *sample) finding(id FindingID, unit string, of int) Finding {
	subjects := slices.Clone(s.subjects)
	if subjects == nil {
		subjects = []Subject{}
	}
	return Finding{
		ID: id, Title: id.Title(), Unit: unit,
		Count: s.count, Of: of, Percent: Percent(s.count, of),
		Subjects: subjects, Omitted: s.count - len(subjects),
	}
}

// sortedSources lists users' sources first (registration, methods, then
// others by name), then tokens.
func (a *Accumulator) sortedSources() []SourceUse {
	out := slices.Clone(a.sources)
	if out == nil {
		out = []SourceUse{}
	}
	rank := func(u SourceUse) int {
		switch {
		case u.Part == PartTokens:
			return 3
		case u.Source == SourceRegistration:
			return 0
		case u.Source == SourceMethods:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(out, func(x, y SourceUse) int {
		if d := rank(x) - rank(y); d != 0 {
			return d
		}
		return strings.Compare(x.Source, y.Source)
	})
	return out
}
