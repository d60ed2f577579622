package reports

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/mfactl/mfactl/methods"
)

// ReadCoverage streams a JSON coverage report: it calls row for every user of
// the "users" array, in order, without holding the array, and returns the
// report's summary (nil when the document has none). The keys may come in
// any order; unknown keys are skipped. An error returned by row stops the
// read and is returned.
func ReadCoverage(r io.Reader, row func(Row) error) (*Summary, error) {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return nil, fmt.Errorf("not a coverage report: %w", err)
	}
	var summary *Summary
	sawUsers := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		switch key {
		case "users":
			sawUsers = true
			if err := expectDelim(dec, '['); err != nil {
				return nil, fmt.Errorf("users: %w", err)
			}
			for i := 0; dec.More(); i++ {
				var rw Row
				if err := dec.Decode(&rw); err != nil {
					return nil, fmt.Errorf("users[%d]: %w", i, err)
				}
				if err := row(rw); err != nil {
					return nil, err
				}
			}
			if err := expectDelim(dec, ']'); err != nil {
				return nil, fmt.Errorf("users: %w", err)
			}
		case "summary":
			summary = new(Summary)
			if err := dec.Decode(summary); err != nil {
				return nil, fmt.Errorf("summary: %w", err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, err
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	if !sawUsers {
		return nil, errors.New("not a coverage report: no users array")
	}
	return summary, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, got %v", want, tok)
	}
	return nil
}

// Change is one kind of change between two snapshots of a user.
type Change string

// The changes, in report order.
const (
	ChangeNew                     Change = "new"
	ChangeRemoved                 Change = "removed"
	ChangeGainedMFA               Change = "gainedMfa"
	ChangeLostMFA                 Change = "lostMfa"
	ChangeGainedBackup            Change = "gainedBackup"
	ChangeLostBackup              Change = "lostBackup"
	ChangeGainedPhishingResistant Change = "gainedPhishingResistant"
	ChangeLostPhishingResistant   Change = "lostPhishingResistant"
	ChangeBecameSMSVoiceOnly      Change = "becameSmsVoiceOnly"
	ChangeStoppedSMSVoiceOnly     Change = "stoppedSmsVoiceOnly"
	// Method-level changes: a method name the user did not have before
	// (UserChange.MethodsAdded), one they no longer have (MethodsRemoved),
	// and a different default MFA method (OldDefault -> NewDefault). They
	// show changes that leave the flags above as they were (an
	// Authenticator lost while a FIDO2 key stays).
	ChangeMethodsAdded   Change = "methodsAdded"
	ChangeMethodsRemoved Change = "methodsRemoved"
	ChangeDefaultChanged Change = "defaultChanged"
)

// Changes lists every change in report order.
var Changes = []Change{
	ChangeNew, ChangeRemoved, ChangeGainedMFA, ChangeLostMFA, ChangeGainedBackup, ChangeLostBackup,
	ChangeGainedPhishingResistant, ChangeLostPhishingResistant, ChangeBecameSMSVoiceOnly, ChangeStoppedSMSVoiceOnly,
	ChangeMethodsAdded, ChangeMethodsRemoved, ChangeDefaultChanged,
}

// UserChange is one user whose coverage changed between two reports.
type UserChange struct {
	ID                string `json:"id"`
	UserPrincipalName string `json:"userPrincipalName"`
	// DisplayName is the new report's (empty for removed users: the old
	// side keeps only what the comparison needs).
	DisplayName string   `json:"displayName"`
	Changes     []Change `json:"changes"`
	// OldClass and NewClass are the strongest classes before and after (""
	// for a new or removed user).
	OldClass methods.Class `json:"oldStrongestClass"`
	NewClass methods.Class `json:"newStrongestClass"`
	// MethodsAdded and MethodsRemoved are the method names (as in a row's
	// methods column) the user gained and lost, in MethodNames order; set
	// for users in both reports.
	MethodsAdded   []MethodName `json:"methodsAdded,omitempty"`
	MethodsRemoved []MethodName `json:"methodsRemoved,omitempty"`
	// OldDefault and NewDefault are the default MFA method before and
	// after ("" for none), set when it changed.
	OldDefault string `json:"oldDefaultMethod,omitempty"`
	NewDefault string `json:"newDefaultMethod,omitempty"`
}

// ChangeCount is how many users had one change.
type ChangeCount struct {
	Change Change
	Count  int
}

// ChangeCounts is an ordered list of change counts; its JSON form is an
// object {"new":3,"removed":1,...} in report order.
type ChangeCounts []ChangeCount

// Get returns the count of change c.
func (cs ChangeCounts) Get(c Change) int {
	for _, x := range cs {
		if x.Change == c {
			return x.Count
		}
	}
	return 0
}

// MarshalJSON writes the counts as an object in list order.
func (cs ChangeCounts) MarshalJSON() ([]byte, error) {
	return marshalOrdered(len(cs), func(i int) (string, any) { return string(cs[i].Change), cs[i].Count })
}

// UnmarshalJSON reads the object form, keeping the key order.
func (cs *ChangeCounts) UnmarshalJSON(data []byte) error {
	*cs = ChangeCounts{}
	return unmarshalOrdered(data, func(key string, dec *json.Decoder) error {
		var n int
		if err := dec.Decode(&n); err != nil {
			return err
		}
		*cs = append(*cs, ChangeCount{Change: Change(key), Count: n})
		return nil
	})
}

// ReportInfo describes one side of a diff.
type ReportInfo struct {
	GeneratedAt time.Time `json:"generatedAt,omitzero"`
	Filter      string    `json:"filter"`
	Users       int       `json:"users"`
}

// DiffSummary counts the changes between two reports.
type DiffSummary struct {
	Old          ReportInfo   `json:"old"`
	New          ReportInfo   `json:"new"`
	ChangedUsers int          `json:"changedUsers"`
	Changes      ChangeCounts `json:"changes"`
	// Warnings say why the comparison may mislead (different filters).
	Warnings []string `json:"warnings"`
}

// Flags of the compact old-side record.
const (
	flagMFA uint8 = 1 << iota
	flagBackup
	flagPhishingResistant
	flagSMSVoiceOnly
)

// snapshot is what the diff keeps of one old-side user.
type snapshot struct {
	upn   string
	flags uint8
	class methods.Class
	// names is the user's method names as a bit set over MethodNames;
	// def the default method (interned: the values are few).
	names uint32
	def   string
}

// nameSet is a row's method names as a bit set over MethodNames. A name
// this version does not know (a report from a later mfactl) counts as
// NameUnknown.
func nameSet(ns []MethodName) uint32 {
	var set uint32
	for _, n := range ns {
		i := nameIndex(n)
		if i < 0 {
			i = nameIndex(NameUnknown)
		}
		set |= 1 << i
	}
	return set
}

// namesIn lists the names of a bit set, in MethodNames order.
func namesIn(set uint32) []MethodName {
	var out []MethodName
	for i, n := range MethodNames {
		if set&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// methodChanges fills c's method-level changes between two snapshots.
func methodChanges(c *UserChange, oldNames, newNames uint32, oldDef, newDef string) {
	if c.MethodsAdded = namesIn(newNames &^ oldNames); len(c.MethodsAdded) > 0 {
		c.Changes = append(c.Changes, ChangeMethodsAdded)
	}
	if c.MethodsRemoved = namesIn(oldNames &^ newNames); len(c.MethodsRemoved) > 0 {
		c.Changes = append(c.Changes, ChangeMethodsRemoved)
	}
	if oldDef != newDef {
		c.Changes = append(c.Changes, ChangeDefaultChanged)
		c.OldDefault, c.NewDefault = oldDef, newDef
	}
}

func flagsOf(r Row) uint8 {
	var f uint8
	for _, b := range []struct {
		on   bool
		flag uint8
	}{{r.MFACapable, flagMFA}, {r.HasBackup, flagBackup}, {r.PhishingResistant, flagPhishingResistant}, {r.SMSVoiceOnly, flagSMSVoiceOnly}} {
		if b.on {
			f |= b.flag
		}
	}
	return f
}

// flagChanges lists the changes between two flag sets.
func flagChanges(old, new uint8) []Change {
	var out []Change
	for _, fc := range []struct {
		flag         uint8
		gained, lost Change
	}{
		{flagMFA, ChangeGainedMFA, ChangeLostMFA},
		{flagBackup, ChangeGainedBackup, ChangeLostBackup},
		{flagPhishingResistant, ChangeGainedPhishingResistant, ChangeLostPhishingResistant},
		{flagSMSVoiceOnly, ChangeBecameSMSVoiceOnly, ChangeStoppedSMSVoiceOnly},
	} {
		switch {
		case old&fc.flag == 0 && new&fc.flag != 0:
			out = append(out, fc.gained)
		case old&fc.flag != 0 && new&fc.flag == 0:
			out = append(out, fc.lost)
		}
	}
	return out
}

// Diff compares two JSON coverage reports and calls emit for every user whose
// coverage changed: users of the new report in its order (changed or new),
// then removed users sorted by UPN. Users are matched by object id. Memory:
// the old report is held as a map of id to UPN, four flags, the strongest
// class, the method names as a bit set and the default method (interned),
// roughly 110 bytes a user; the new report is streamed. Each report
// must list a user once, as WriteCoverage does.
func Diff(oldReport, newReport io.Reader, emit func(UserChange) error) (DiffSummary, error) {
	old := map[string]snapshot{}
	defaults := map[string]string{}
	intern := func(s string) string {
		if v, ok := defaults[s]; ok {
			return v
		}
		defaults[s] = s
		return s
	}
	oldSummary, err := ReadCoverage(oldReport, func(r Row) error {
		old[r.ID] = snapshot{upn: r.UserPrincipalName, flags: flagsOf(r), class: r.StrongestClass, names: nameSet(r.Methods), def: intern(r.DefaultMethod)}
		return nil
	})
	if err != nil {
		return DiffSummary{}, fmt.Errorf("old report: %w", err)
	}
	s := DiffSummary{Old: ReportInfo{Users: len(old)}, Warnings: []string{}}
	counts := make([]int, len(Changes))
	record := func(c UserChange) error {
		s.ChangedUsers++
		for _, ch := range c.Changes {
			counts[slices.Index(Changes, ch)]++
		}
		return emit(c)
	}
	newSummary, err := ReadCoverage(newReport, func(r Row) error {
		s.New.Users++
		prev, ok := old[r.ID]
		c := UserChange{ID: r.ID, UserPrincipalName: r.UserPrincipalName, DisplayName: r.DisplayName, NewClass: r.StrongestClass}
		if !ok {
			c.Changes = []Change{ChangeNew}
			return record(c)
		}
		delete(old, r.ID)
		c.OldClass = prev.class
		c.Changes = flagChanges(prev.flags, flagsOf(r))
		methodChanges(&c, prev.names, nameSet(r.Methods), prev.def, r.DefaultMethod)
		if len(c.Changes) == 0 {
			return nil
		}
		return record(c)
	})
	if err != nil {
		return DiffSummary{}, fmt.Errorf("new report: %w", err)
	}
	removed := make([]UserChange, 0, len(old))
	for id, prev := range old {
		removed = append(removed, UserChange{ID: id, UserPrincipalName: prev.upn, Changes: []Change{ChangeRemoved}, OldClass: prev.class})
	}
	slices.SortFunc(removed, func(a, b UserChange) int {
		return cmp.Or(strings.Compare(a.UserPrincipalName, b.UserPrincipalName), strings.Compare(a.ID, b.ID))
	})
	for _, c := range removed {
		if err := record(c); err != nil {
			return DiffSummary{}, err
		}
	}
	for i, c := range Changes {
		s.Changes = append(s.Changes, ChangeCount{Change: c, Count: counts[i]})
	}
	if oldSummary != nil {
		s.Old.GeneratedAt, s.Old.Filter = oldSummary.GeneratedAt, oldSummary.Filter
	}
	if newSummary != nil {
		s.New.GeneratedAt, s.New.Filter = newSummary.GeneratedAt, newSummary.Filter
	}
	if s.Old.Filter != s.New.Filter {
		s.Warnings = append(s.Warnings, fmt.Sprintf("the reports were filtered differently (old %q, new %q): users outside one filter show as new or removed", s.Old.Filter, s.New.Filter))
	}
	return s, nil
}
