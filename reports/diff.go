package reports

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"time"

	"github.com/mfactl/mfactl/internal/extsort"
	"github.com/mfactl/mfactl/internal/output"
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

// snapshot is what the diff keeps of one user of either report.
type snapshot struct {
	upn   string
	flags uint8
	class methods.Class
	// names is the user's method names as a bit set over MethodNames;
	// def the default method.
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
// then removed users sorted by UPN. Users are matched by object id. Each
// report must list a user once, as WriteCoverage does. Temporary files go
// to the system's temporary directory; see DiffIn.
func Diff(oldReport, newReport io.Reader, emit func(UserChange) error) (DiffSummary, error) {
	return DiffIn("", oldReport, newReport, emit)
}

// diffSortMemory is the memory each of the diff's three sorters holds
// before it spills to a file (tests make it small).
var diffSortMemory = 16 << 20

// DiffIn is Diff with its temporary files in dir ("" for the system's).
//
// It streams: memory does not grow with the reports. Each report is read
// once into an external sorter (internal/extsort) keyed by user id (the
// old side keeps the UPN, the four flags, the strongest class, the method
// names as a bit set and the default method; the new side the same plus
// the display name and the row's position), the two sorted streams are
// merged by id, and the changes go through a third sorter keyed by the
// new report's position (removed users after, by UPN) to come out in the
// order above. A sorter holds 16 MB before it spills sorted runs to files
// in dir, so two reports of a million users take about 50 MB, and about
// 100 bytes a user of each report on disk while they are compared.
func DiffIn(dir string, oldReport, newReport io.Reader, emit func(UserChange) error) (DiffSummary, error) {
	olds := extsort.NewSorter(dir, diffSortMemory)
	defer olds.Close()
	oldSummary, err := ReadCoverage(oldReport, func(r Row) error {
		return olds.Put(r.ID, appendSnapshot(nil, snapshotOf(r)))
	})
	if err != nil {
		return DiffSummary{}, fmt.Errorf("old report: %w", err)
	}
	news := extsort.NewSorter(dir, diffSortMemory)
	defer news.Close()
	s := DiffSummary{Warnings: []string{}}
	newSummary, err := ReadCoverage(newReport, func(r Row) error {
		b := binary.AppendUvarint(nil, uint64(s.New.Users))
		b = appendString(b, r.DisplayName)
		s.New.Users++
		return news.Put(r.ID, appendSnapshot(b, snapshotOf(r)))
	})
	if err != nil {
		return DiffSummary{}, fmt.Errorf("new report: %w", err)
	}
	changes := extsort.NewSorter(dir, diffSortMemory)
	defer changes.Close()
	counts := make([]int, len(Changes))
	record := func(key string, c UserChange) error {
		for _, ch := range c.Changes {
			counts[slices.Index(Changes, ch)]++
		}
		b, err := output.Marshal(c)
		if err != nil {
			return err
		}
		return changes.Put(key, b)
	}
	err = mergeByKey(olds, news, func(id string, oldV, newV []byte) error {
		var prev snapshot
		if oldV != nil {
			s.Old.Users++
			if _, err := readSnapshot(oldV, &prev); err != nil {
				return err
			}
		}
		if newV == nil {
			c := UserChange{ID: id, UserPrincipalName: prev.upn, Changes: []Change{ChangeRemoved}, OldClass: prev.class}
			return record("1"+prev.upn+"\x00"+id, c)
		}
		seq, n := binary.Uvarint(newV)
		if n <= 0 {
			return errors.New("diff: a corrupt sort record")
		}
		display, rest, err := readString(newV[n:])
		if err != nil {
			return err
		}
		var cur snapshot
		if _, err := readSnapshot(rest, &cur); err != nil {
			return err
		}
		// Rows in the new report's order: the position, big-endian.
		key := string(binary.BigEndian.AppendUint64([]byte{'0'}, seq))
		c := UserChange{ID: id, UserPrincipalName: cur.upn, DisplayName: display, NewClass: cur.class}
		if oldV == nil {
			c.Changes = []Change{ChangeNew}
			return record(key, c)
		}
		c.OldClass = prev.class
		c.Changes = flagChanges(prev.flags, cur.flags)
		methodChanges(&c, prev.names, cur.names, prev.def, cur.def)
		if len(c.Changes) == 0 {
			return nil
		}
		return record(key, c)
	})
	if err != nil {
		return DiffSummary{}, err
	}
	if err := changes.Each(func(_ string, b []byte) error {
		var c UserChange
		if err := json.Unmarshal(b, &c); err != nil {
			return err
		}
		s.ChangedUsers++
		return emit(c)
	}); err != nil {
		return DiffSummary{}, err
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

func snapshotOf(r Row) snapshot {
	return snapshot{upn: r.UserPrincipalName, flags: flagsOf(r), class: r.StrongestClass, names: nameSet(r.Methods), def: r.DefaultMethod}
}

// appendSnapshot encodes a snapshot for a sorter: flags, names, then the
// UPN, class and default method as length-prefixed strings.
func appendSnapshot(b []byte, s snapshot) []byte {
	b = append(b, s.flags)
	b = binary.AppendUvarint(b, uint64(s.names))
	b = appendString(b, s.upn)
	b = appendString(b, string(s.class))
	return appendString(b, s.def)
}

func readSnapshot(b []byte, s *snapshot) ([]byte, error) {
	if len(b) == 0 {
		return nil, errors.New("diff: a corrupt sort record")
	}
	s.flags = b[0]
	names, n := binary.Uvarint(b[1:])
	if n <= 0 {
		return nil, errors.New("diff: a corrupt sort record")
	}
	s.names = uint32(names)
	b = b[1+n:]
	var class string
	var err error
	if s.upn, b, err = readString(b); err != nil {
		return nil, err
	}
	if class, b, err = readString(b); err != nil {
		return nil, err
	}
	s.class = methods.Class(class)
	s.def, b, err = readString(b)
	return b, err
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func readString(b []byte) (string, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return "", nil, errors.New("diff: a corrupt sort record")
	}
	return string(b[k : k+int(n)]), b[k+int(n):], nil
}

// errStopMerge ends a sorter's Each when the merge stops early.
var errStopMerge = errors.New("merge stopped")

// mergeByKey walks two sorters in key order together and calls fn once per
// key with the value of each side (nil on the side without the key).
func mergeByKey(a, b *extsort.Sorter, fn func(key string, av, bv []byte) error) error {
	pull := func(s *extsort.Sorter) (func() (string, []byte, bool), func(), *error) {
		var eachErr error
		next, stop := iter.Pull2(func(yield func(string, []byte) bool) {
			eachErr = s.Each(func(k string, v []byte) error {
				if !yield(k, v) {
					return errStopMerge
				}
				return nil
			})
		})
		return next, stop, &eachErr
	}
	nextA, stopA, errA := pull(a)
	defer stopA()
	nextB, stopB, errB := pull(b)
	defer stopB()
	ka, va, okA := nextA()
	kb, vb, okB := nextB()
	for okA || okB {
		var err error
		switch {
		case okA && (!okB || ka < kb):
			err = fn(ka, va, nil)
			ka, va, okA = nextA()
		case okB && (!okA || kb < ka):
			err = fn(kb, nil, vb)
			kb, vb, okB = nextB()
		default:
			err = fn(ka, va, vb)
			ka, va, okA = nextA()
			kb, vb, okB = nextB()
		}
		if err != nil {
			return err
		}
	}
	for _, e := range []*error{errA, errB} {
		if *e != nil && !errors.Is(*e, errStopMerge) {
			return *e
		}
	}
	return nil
}
