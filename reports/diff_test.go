package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mfactl/mfactl/internal/extsort"
	"github.com/mfactl/mfactl/methods"
)

// jsonReport renders users as a JSON coverage report.
func jsonReport(t *testing.T, users []UserInput, at time.Time, filter Filter) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := WriteCoverage(t.Context(), &buf, seqOf(users), nil, CoverageOptions{Format: FormatJSON, GeneratedAt: at, Filter: filter}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func withDefault(u UserInput, d methods.DefaultMethod) UserInput {
	u.Default = d
	return u
}

func diffUser(n int, ms ...methods.Method) UserInput {
	return UserInput{
		User:    methods.User{ID: fmt.Sprintf("id-%02d", n), UserPrincipalName: fmt.Sprintf("user%02d@contoso.example", n), DisplayName: fmt.Sprintf("User %02d", n)},
		Methods: ms,
	}
}

// diffFixture is last quarter's and this quarter's tenant: one user per kind
// of change, plus an unchanged user.
func diffFixture() (old, new []UserInput) {
	app, mobile, office, fido := kind(methods.KindAuthenticator), phone(methods.PhoneMobile), phone(methods.PhoneOffice), kind(methods.KindFido2)
	email := kind(methods.KindEmail)
	old = []UserInput{
		diffUser(1),                      // gains MFA (and becomes sms-only)
		diffUser(2, app),                 // loses MFA
		diffUser(3, app),                 // gains a backup
		diffUser(4, app, mobile),         // loses the backup (and becomes sms-only)
		diffUser(5, app, mobile),         // gains phishing resistance
		diffUser(6, fido, app),           // loses phishing resistance
		diffUser(7, mobile, office),      // stops being sms-only
		diffUser(8, app, mobile),         // unchanged except for an email
		diffUser(9, fido),                // removed
		diffUser(10, mobile),             // removed
		diffUser(12, app, email, mobile), // unchanged
		withDefault(diffUser(13, app, mobile), methods.DefaultSMS), // changes only its default
	}
	new = []UserInput{
		diffUser(1, mobile),
		diffUser(2, email),
		diffUser(3, app, mobile),
		diffUser(4, mobile),
		diffUser(5, app, mobile, fido),
		diffUser(6, app, mobile),
		diffUser(7, mobile, office, app),
		diffUser(8, app, mobile, email),
		diffUser(11), // new
		diffUser(12, mobile, app, email),
		withDefault(diffUser(13, app, mobile), methods.DefaultPush),
	}
	return old, new
}

func TestDiff(t *testing.T) {
	oldUsers, newUsers := diffFixture()
	oldAt, newAt := time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	var got []UserChange
	s, err := Diff(bytes.NewReader(jsonReport(t, oldUsers, oldAt, Filter{})), bytes.NewReader(jsonReport(t, newUsers, newAt, Filter{})),
		func(c UserChange) error { got = append(got, c); return nil })
	if err != nil {
		t.Fatal(err)
	}
	add, rm := ChangeMethodsAdded, ChangeMethodsRemoved
	want := map[string][]Change{
		"user01@contoso.example": {ChangeGainedMFA, ChangeBecameSMSVoiceOnly, add},
		"user02@contoso.example": {ChangeLostMFA, add, rm},
		"user03@contoso.example": {ChangeGainedBackup, add},
		"user04@contoso.example": {ChangeLostBackup, ChangeBecameSMSVoiceOnly, rm},
		"user05@contoso.example": {ChangeGainedPhishingResistant, add},
		"user06@contoso.example": {ChangeLostPhishingResistant, add, rm},
		"user07@contoso.example": {ChangeStoppedSMSVoiceOnly, add},
		"user08@contoso.example": {add},
		"user13@contoso.example": {ChangeDefaultChanged},
		"user11@contoso.example": {ChangeNew},
		"user09@contoso.example": {ChangeRemoved},
		"user10@contoso.example": {ChangeRemoved},
	}
	// The method-level detail: names added and removed, the default.
	type detail struct {
		added, removed []MethodName
		oldDef, newDef string
	}
	details := map[string]detail{
		"user01@contoso.example": {added: []MethodName{NameMobilePhone}},
		"user02@contoso.example": {added: []MethodName{NameEmail}, removed: []MethodName{NameAuthenticator}},
		"user04@contoso.example": {removed: []MethodName{NameAuthenticator}},
		"user06@contoso.example": {added: []MethodName{NameMobilePhone}, removed: []MethodName{NameFido2}},
		"user08@contoso.example": {added: []MethodName{NameEmail}},
		"user13@contoso.example": {oldDef: "sms", newDef: "push"},
		"user11@contoso.example": {},
	}
	for _, c := range got {
		d, ok := details[c.UserPrincipalName]
		if !ok {
			continue
		}
		if !slices.Equal(c.MethodsAdded, d.added) || !slices.Equal(c.MethodsRemoved, d.removed) || c.OldDefault != d.oldDef || c.NewDefault != d.newDef {
			t.Errorf("%s: added %v removed %v default %q -> %q, want %+v", c.UserPrincipalName, c.MethodsAdded, c.MethodsRemoved, c.OldDefault, c.NewDefault, d)
		}
	}
	order := []string{"user01", "user02", "user03", "user04", "user05", "user06", "user07", "user08", "user11", "user13", "user09", "user10"}
	if len(got) != len(want) {
		t.Fatalf("%d changes, want %d: %+v", len(got), len(want), got)
	}
	for i, c := range got {
		if !strings.HasPrefix(c.UserPrincipalName, order[i]) {
			t.Errorf("change %d is %s, want %s", i, c.UserPrincipalName, order[i])
		}
		if !slices.Equal(c.Changes, want[c.UserPrincipalName]) {
			t.Errorf("%s: changes %v, want %v", c.UserPrincipalName, c.Changes, want[c.UserPrincipalName])
		}
	}
	if got[5].OldClass != methods.ClassPhishingResistant || got[5].NewClass != methods.ClassAuthenticatorApp {
		t.Errorf("user06 classes %s -> %s", got[5].OldClass, got[5].NewClass)
	}
	if got[8].OldClass != "" || got[8].NewClass != methods.ClassNone || got[10].NewClass != "" || got[10].OldClass != methods.ClassPhishingResistant {
		t.Errorf("new/removed classes: %+v %+v", got[8], got[10])
	}
	if s.Old.Users != 12 || s.New.Users != 11 || s.ChangedUsers != 12 || !s.Old.GeneratedAt.Equal(oldAt) || !s.New.GeneratedAt.Equal(newAt) || len(s.Warnings) != 0 {
		t.Errorf("summary = %+v", s)
	}
	for c, n := range map[Change]int{ChangeNew: 1, ChangeRemoved: 2, ChangeGainedMFA: 1, ChangeLostMFA: 1, ChangeGainedBackup: 1, ChangeLostBackup: 1,
		ChangeGainedPhishingResistant: 1, ChangeLostPhishingResistant: 1, ChangeBecameSMSVoiceOnly: 2, ChangeStoppedSMSVoiceOnly: 1,
		ChangeMethodsAdded: 7, ChangeMethodsRemoved: 3, ChangeDefaultChanged: 1} {
		if s.Changes.Get(c) != n {
			t.Errorf("count %s = %d, want %d", c, s.Changes.Get(c), n)
		}
	}
}

func TestDiffWarnsAboutFilters(t *testing.T) {
	oldUsers, newUsers := diffFixture()
	s, err := Diff(bytes.NewReader(jsonReport(t, oldUsers, time.Time{}, Filter{})), bytes.NewReader(jsonReport(t, newUsers, time.Time{}, Filter{Admins: true})),
		func(UserChange) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "filtered differently") {
		t.Errorf("warnings = %q", s.Warnings)
	}
}

// TestDiffOnPopulation checks the diff's counts against a comparison of the
// two generated tenants held in memory.
func TestDiffOnPopulation(t *testing.T) {
	oldUsers := collect(population(5, 2000))
	var newUsers []UserInput
	for i, in := range collect(population(6, 2100)) {
		if i%10 == 3 {
			continue // users 3, 13, ... of the old tenant are removed
		}
		if i < 2000 {
			in.User.ID = oldUsers[i].User.ID
		}
		newUsers = append(newUsers, in)
	}
	oldRows := map[string]Row{}
	for _, in := range oldUsers {
		oldRows[in.User.ID] = Compute(in)
	}
	want := map[Change]int{}
	seen := map[string]bool{}
	for _, in := range newUsers {
		r := Compute(in)
		seen[r.ID] = true
		o, ok := oldRows[r.ID]
		if !ok {
			want[ChangeNew]++
			continue
		}
		for _, x := range []struct {
			before, after bool
			up, down      Change
		}{
			{o.MFACapable, r.MFACapable, ChangeGainedMFA, ChangeLostMFA},
			{o.HasBackup, r.HasBackup, ChangeGainedBackup, ChangeLostBackup},
			{o.PhishingResistant, r.PhishingResistant, ChangeGainedPhishingResistant, ChangeLostPhishingResistant},
			{o.SMSVoiceOnly, r.SMSVoiceOnly, ChangeBecameSMSVoiceOnly, ChangeStoppedSMSVoiceOnly},
		} {
			if !x.before && x.after {
				want[x.up]++
			}
			if x.before && !x.after {
				want[x.down]++
			}
		}
		// Method names compared as sets, the default as a value.
		if slices.ContainsFunc(r.Methods, func(n MethodName) bool { return !slices.Contains(o.Methods, n) }) {
			want[ChangeMethodsAdded]++
		}
		if slices.ContainsFunc(o.Methods, func(n MethodName) bool { return !slices.Contains(r.Methods, n) }) {
			want[ChangeMethodsRemoved]++
		}
		if o.DefaultMethod != r.DefaultMethod {
			want[ChangeDefaultChanged]++
		}
	}
	for id := range oldRows {
		if !seen[id] {
			want[ChangeRemoved]++
		}
	}
	s, err := Diff(bytes.NewReader(jsonReport(t, oldUsers, time.Time{}, Filter{})), bytes.NewReader(jsonReport(t, newUsers, time.Time{}, Filter{})),
		func(UserChange) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Changes {
		if s.Changes.Get(c) != want[c] {
			t.Errorf("%s: diff counts %d, comparison %d", c, s.Changes.Get(c), want[c])
		}
	}
	if want[ChangeRemoved] != 200 || want[ChangeNew] != 90 {
		t.Fatalf("fixture: %d removed, %d new", want[ChangeRemoved], want[ChangeNew])
	}
}

func TestReadCoverage(t *testing.T) {
	// Summary first, an unknown key, and the rows.
	doc := `{"schema":"x","summary":{"filter":"admins","users":{"total":1}},"users":[` +
		`{"id":"a","userPrincipalName":"a@x","methods":["fido2"],"strongestClass":"phishingResistant","mfaCapable":true}]}`
	var rows []Row
	s, err := ReadCoverage(strings.NewReader(doc), func(r Row) error { rows = append(rows, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if s == nil || s.Filter != "admins" || s.Users.Total != 1 || len(rows) != 1 || rows[0].ID != "a" || !reflect.DeepEqual(rows[0].Methods, []MethodName{NameFido2}) {
		t.Errorf("summary %+v rows %+v", s, rows)
	}
	for _, bad := range []string{`[]`, `{"summary":{}}`, `{"users":{}}`, `{"users":[{"id":1}]}`, `{"users":[`} {
		if _, err := ReadCoverage(strings.NewReader(bad), func(Row) error { return nil }); err == nil {
			t.Errorf("ReadCoverage(%s) succeeded", bad)
		}
	}
	stop := errors.New("stop")
	if _, err := ReadCoverage(strings.NewReader(doc), func(Row) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("callback error not returned: %v", err)
	}
}

func TestDiffGolden(t *testing.T) {
	oldUsers, newUsers := diffFixture()
	oldJSON := jsonReport(t, oldUsers, time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC), Filter{})
	newJSON := jsonReport(t, newUsers, time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC), Filter{})
	for _, f := range []Format{FormatTable, FormatCSV, FormatJSON, FormatMarkdown} {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			if _, err := WriteDiff(t.Context(), &buf, bytes.NewReader(oldJSON), bytes.NewReader(newJSON), DiffOptions{Format: f, TempDir: t.TempDir()}); err != nil {
				t.Fatal(err)
			}
			golden(t, "diff."+string(f)+".golden", buf.Bytes())
		})
	}
	if _, err := NewDiffRenderer(&bytes.Buffer{}, FormatHTML, RenderOptions{}); err == nil {
		t.Error("html diff renderer accepted")
	}
}

func TestDiffJSONDecodes(t *testing.T) {
	oldUsers, newUsers := diffFixture()
	for _, pair := range [][2][]UserInput{{oldUsers, newUsers}, {oldUsers, oldUsers}} {
		var buf bytes.Buffer
		s, err := WriteDiff(t.Context(), &buf, bytes.NewReader(jsonReport(t, pair[0], time.Time{}, Filter{})),
			bytes.NewReader(jsonReport(t, pair[1], time.Time{}, Filter{})), DiffOptions{Format: FormatJSON})
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Changes []UserChange `json:"changes"`
			Summary DiffSummary  `json:"summary"`
		}
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatalf("invalid JSON %v:\n%s", err, buf.Bytes())
		}
		if len(doc.Changes) != s.ChangedUsers || !reflect.DeepEqual(doc.Summary, s) {
			t.Errorf("decoded %d changes, summary %+v; want %d, %+v", len(doc.Changes), doc.Summary, s.ChangedUsers, s)
		}
	}
}

// TestDiffSpilled runs the population diff with sorters of 4 KB, so every
// side spills many runs to files, and checks it emits the same changes in
// the same order as with the sorters in memory.
func TestDiffSpilled(t *testing.T) {
	oldUsers := collect(population(5, 1500))
	var newUsers []UserInput
	for i, in := range collect(population(6, 1600)) {
		if i%10 == 3 {
			continue
		}
		if i < 1500 {
			in.User.ID = oldUsers[i].User.ID
		}
		newUsers = append(newUsers, in)
	}
	oldJSON, newJSON := jsonReport(t, oldUsers, time.Time{}, Filter{}), jsonReport(t, newUsers, time.Time{}, Filter{})
	run := func(mem int) ([]UserChange, DiffSummary) {
		defer func(m int) { diffSortMemory = m }(diffSortMemory)
		diffSortMemory = mem
		var got []UserChange
		dir := t.TempDir()
		s, err := DiffIn(dir, bytes.NewReader(oldJSON), bytes.NewReader(newJSON), func(c UserChange) error {
			got = append(got, c)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Errorf("the diff left %d files in its directory", len(left))
		}
		return got, s
	}
	inMemory, s1 := run(64 << 20)
	spilled, s2 := run(4 << 10)
	if !reflect.DeepEqual(inMemory, spilled) || !reflect.DeepEqual(s1, s2) {
		t.Fatalf("spilled sorters changed the diff: %d changes vs %d", len(spilled), len(inMemory))
	}
	if s1.Old.Users != 1500 || s1.New.Users != len(newUsers) || s1.ChangedUsers != len(inMemory) {
		t.Fatalf("summary %+v for %d changes", s1, len(inMemory))
	}
	// New and changed users in the new report's order, then the removed by UPN.
	pos := map[string]int{}
	for i, in := range newUsers {
		pos[in.User.ID] = i
	}
	last, removedFrom := -1, ""
	for _, c := range inMemory {
		if slices.Contains(c.Changes, ChangeRemoved) {
			if c.UserPrincipalName < removedFrom {
				t.Fatalf("removed users out of UPN order at %s", c.UserPrincipalName)
			}
			removedFrom, last = c.UserPrincipalName, len(newUsers)
			continue
		}
		if pos[c.ID] <= last {
			t.Fatalf("%s out of the new report's order", c.ID)
		}
		last = pos[c.ID]
	}
}

func TestMergeByKey(t *testing.T) {
	tests := []struct {
		name string
		a, b []string
		want string
	}{
		{"both empty", nil, nil, ""},
		{"one side", []string{"x", "y"}, nil, "x:a- y:a-"},
		{"other side", nil, []string{"x"}, "x:-b"},
		{"interleaved", []string{"a", "c", "e"}, []string{"b", "c", "d", "f"}, "a:a- b:-b c:ab d:-b e:a- f:-b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := extsort.NewSorter(t.TempDir(), 1), extsort.NewSorter(t.TempDir(), 1)
			defer a.Close()
			defer b.Close()
			for i := len(tt.a) - 1; i >= 0; i-- {
				a.Put(tt.a[i], []byte("a"))
			}
			for _, k := range tt.b {
				b.Put(k, []byte("b"))
			}
			var got []string
			err := mergeByKey(a, b, func(k string, av, bv []byte) error {
				side := func(v []byte) string {
					if v == nil {
						return "-"
					}
					return string(v)
				}
				got = append(got, k+":"+side(av)+side(bv))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("got %q, want %q", g, tt.want)
			}
		})
	}
	// An error from fn stops the merge and is returned.
	a, b := extsort.NewSorter(t.TempDir(), 1), extsort.NewSorter(t.TempDir(), 1)
	defer a.Close()
	defer b.Close()
	for _, k := range []string{"1", "2", "3"} {
		a.Put(k, []byte("a"))
		b.Put(k, []byte("b"))
	}
	boom := errors.New("boom")
	n := 0
	if err := mergeByKey(a, b, func(string, []byte, []byte) error { n++; return boom }); !errors.Is(err, boom) || n != 1 {
		t.Fatalf("merge after an error: %v, %d calls", err, n)
	}
}
