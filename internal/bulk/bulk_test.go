package bulk

import (
	"bytes"
	"errors"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mfactl/mfactl/methods"
)

var testParsers = Parsers{
	User: func(ref string) error {
		if !strings.Contains(ref, "@") && ref != "u" {
			return errors.New("not a user principal name")
		}
		return nil
	},
	Phone: func(n string, t methods.PhoneType) (methods.Phone, error) { return methods.ParsePhone(n, "US", t) },
	Email: func(a string) (string, error) {
		addr, err := mail.ParseAddress(a)
		if err != nil || addr.Name != "" {
			return "", errors.New("not an email address")
		}
		return addr.Address, nil
	},
	Lifetime: time.ParseDuration,
}

func row(cells ...string) Row {
	r := Row{Line: 2, Cells: map[string]string{}}
	for i := 0; i+1 < len(cells); i += 2 {
		r.Cells[cells[i]] = cells[i+1]
	}
	return r
}

func phone(t methods.PhoneType, n string, sms string) methods.Method {
	return methods.Method{ID: methods.PhoneMethodID(t), Kind: methods.KindPhone, PhoneType: t, PhoneNumber: n, SMSSignInState: sms}
}

var (
	mobile    = phone(methods.PhoneMobile, "+1 4255550100", "notEnabled")
	alternate = phone(methods.PhoneAlternateMobile, "+1 4255550101", "notSupported")
	office    = phone(methods.PhoneOffice, "+1 4255550199x12", "notSupported")
	app       = methods.Method{ID: "app-1", Kind: methods.KindAuthenticator}
	fido      = methods.Method{ID: "key-1", Kind: methods.KindFido2}
	mail1     = methods.Method{ID: methods.EmailMethodID, Kind: methods.KindEmail, EmailAddress: "kim@contoso.com"}
	tap       = methods.Method{ID: "tap-1", Kind: methods.KindTemporaryAccess}
)

func kinds(ops []Op) string {
	var s []string
	for _, o := range ops {
		s = append(s, o.String())
	}
	return strings.Join(s, "; ")
}

func TestPlanOrdersAndIsIdempotent(t *testing.T) {
	recent := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	opts := Options{RevokedSince: recent.Add(-time.Hour)}
	tests := []struct {
		name  string
		row   Row
		state State
		want  string
		code  string // a rule refuses the row
	}{
		{"mobile before alternate", row(ColUser, "u", ColAlternateMobile, "+1 425 555 0101", ColMobile, "+1 425 555 0100"), State{},
			"add mobile phone +1 4255550100; add alternateMobile phone +1 4255550101", ""},
		{"already there: nothing", row(ColUser, "u", ColMobile, "(425) 555-0100", ColEmail, "KIM@contoso.com"), State{Methods: []methods.Method{mobile, mail1}}, "", ""},
		{"update, not add", row(ColUser, "u", ColMobile, "+1 425 555 0111", ColEmail, "lee@contoso.com"), State{Methods: []methods.Method{mobile, mail1}},
			"change mobile phone to +1 4255550111; change email to lee@contoso.com", ""},
		{"alternate without mobile", row(ColUser, "u", ColAlternateMobile, "+1 425 555 0101"), State{}, "", CodeMobileRequired},
		{"remove mobile keeping the alternate", row(ColUser, "u", ColMobile, "-"), State{Methods: []methods.Method{mobile, alternate}}, "", CodeMobileRequired},
		{"remove both: alternate first", row(ColUser, "u", ColRemove, "mobile;alternateMobile"), State{Methods: []methods.Method{mobile, alternate, app}},
			"remove alternateMobile phone; remove mobile phone", ""},
		{"new default before the old one's removal", row(ColUser, "u", ColDefault, "push", ColRemove, "sms"), State{Methods: []methods.Method{mobile, app}, Preferred: methods.DefaultSMS},
			"set default push; remove mobile phone", ""},
		{"default's method removed, others left", row(ColUser, "u", ColRemove, "sms"), State{Methods: []methods.Method{mobile, app}, Preferred: methods.DefaultSMS}, "", CodeDefaultMethodInUse},
		{"last default-capable method may go", row(ColUser, "u", ColRemove, "sms"), State{Methods: []methods.Method{mobile, mail1}, Preferred: methods.DefaultSMS}, "remove mobile phone", ""},
		{"default not registered", row(ColUser, "u", ColDefault, "push"), State{Methods: []methods.Method{mobile}}, "", CodePreferredNotRegistered},
		{"default on a phone the row adds", row(ColUser, "u", ColOffice, "+1 425 555 0199 x12", ColDefault, "voiceOffice"), State{},
			"add office phone +1 4255550199x12; set default voiceOffice", ""},
		{"sms sign-in needs a mobile", row(ColUser, "u", ColSMSSignIn, "enabled"), State{Methods: []methods.Method{office}}, "", CodeSMSSignInNotSupported},
		{"sms sign-in after the mobile", row(ColUser, "u", ColSMSSignIn, "enabled", ColMobile, "+14255550100"), State{}, "add mobile phone +1 4255550100; enable SMS sign-in", ""},
		{"sms sign-in already on", row(ColUser, "u", ColSMSSignIn, "enabled"), State{Methods: []methods.Method{phone(methods.PhoneMobile, "+1 4255550100", "ready")}}, "", ""},
		{"tap for a user without one", row(ColUser, "u", ColTAP, "8h once"), State{}, "issue a Temporary Access Pass for 8h, one use", ""},
		{"tap for a user holding one", row(ColUser, "u", ColTAP, "8h"), State{Methods: []methods.Method{tap}}, "", ""},
		{"remove by id, email by dash", row(ColUser, "u", ColRemove, "fido2:KEY-1", ColEmail, "-"), State{Methods: []methods.Method{fido, mail1, app}},
			"remove email " + methods.EmailMethodID + "; remove fido2 key-1", ""},
		{"remove what is gone: nothing", row(ColUser, "u", ColRemove, "fido2:other;softwareOath", ColOffice, "-"), State{Methods: []methods.Method{fido}}, "", ""},
		{"mfa state", row(ColUser, "u", ColMFAState, "enforced"), State{MFAState: methods.MFAEnabled}, "set per-user MFA enforced", ""},
		{"mfa state already", row(ColUser, "u", ColMFAState, "Enforced"), State{MFAState: methods.MFAEnforced}, "", ""},
		{"revoke, last", row(ColUser, "u", ColRevokeSessions, "yes", ColMobile, "+14255550100"), State{SessionsValidFrom: recent.Add(-48 * time.Hour)},
			"add mobile phone +1 4255550100; revoke sign-in sessions", ""},
		{"revoked recently", row(ColUser, "u", ColRevokeSessions, "yes"), State{SessionsValidFrom: recent}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, errs := ParseRow(tt.row, testParsers)
			if len(errs) > 0 {
				t.Fatalf("parse: %v", errs)
			}
			ops, err := Plan(d, tt.state, opts)
			var re *RuleError
			switch {
			case tt.code != "":
				if !errors.As(err, &re) || re.Code != tt.code {
					t.Fatalf("err %v, want rule %s (ops %s)", err, tt.code, kinds(ops))
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if got := kinds(ops); got != tt.want {
				t.Fatalf("ops\n got %s\nwant %s", got, tt.want)
			}
			// Applying the ops leaves nothing to do: plans are idempotent,
			// and every op's effect is what Satisfied looks for.
			st := tt.state.clone()
			for _, op := range ops {
				ev := EvidenceOf(op, st)
				if err := Simulate(&st, op, opts); err != nil {
					t.Fatal(err)
				}
				if op.Kind == OpRevokeSessions {
					st.SessionsValidFrom = recent
				}
				if !Satisfied(op, st, ev) {
					t.Errorf("%s: not satisfied after it was applied", op)
				}
			}
			again, err := Plan(d, st, opts)
			if err != nil || len(again) != 0 {
				t.Errorf("plan after apply: %s %v", kinds(again), err)
			}
		})
	}
}

func TestParseRowNamesEveryBadCell(t *testing.T) {
	r := row(ColUser, "", ColMobile, "12", ColEmail, "not an address", ColSMSSignIn, "on", ColDefault, "fax",
		ColTAP, "8 hours", ColRemove, "sms;carrier pigeon;hardwareOath", ColRevokeSessions, "maybe", ColMFAState, "sometimes", ColOffice, "+1 425 555 0199")
	_, errs := ParseRow(r, testParsers)
	got := map[string]int{}
	for _, e := range errs {
		got[e.Column]++
		if e.Line != 2 {
			t.Errorf("%v: line %d", e, e.Line)
		}
	}
	for _, c := range []string{ColUser, ColMobile, ColEmail, ColSMSSignIn, ColDefault, ColTAP, ColRevokeSessions, ColMFAState} {
		if got[c] != 1 {
			t.Errorf("column %s: %d errors, want 1 (%v)", c, got[c], errs)
		}
	}
	if got[ColRemove] != 2 {
		t.Errorf("remove: %d errors, want 2 (%v)", got[ColRemove], errs)
	}
	// Cells that contradict each other.
	_, errs = ParseRow(row(ColUser, "u", ColMobile, "+14255550100", ColRemove, "sms", ColTAP, "1h", ColEmail, "a@b.example"), testParsers)
	if len(errs) != 1 || errs[0].Column != ColRemove {
		t.Errorf("contradiction: %v", errs)
	}
	_, errs = ParseRow(row(ColUser, "u", ColRemove, "email;tap", ColTAP, "1h", ColEmail, "a@b.example"), testParsers)
	if len(errs) != 2 {
		t.Errorf("contradictions: %v", errs)
	}
}

func TestReaderCSVAndJSONLines(t *testing.T) {
	csvIn := "\ufeffUser,MOBILE,remove\nkim@contoso.com,+14255550100,\n\n\"lee@contoso.com\",\"-\",\"sms;\nemail\"\ntoo,many,cells,here\n"
	rd, err := NewReader(strings.NewReader(csvIn), "in.csv")
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	var bad []*RowError
	for {
		r, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var re *RowError
		if errors.As(err, &re) {
			bad = append(bad, re)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, r.Line)
		if r.Line == 4 && (r.Get(ColMobile) != "-" || r.Get(ColRemove) != "sms;\nemail") {
			t.Errorf("row 4: %v", r.Cells)
		}
	}
	if len(lines) != 2 || lines[0] != 2 || lines[1] != 4 || len(bad) != 1 || bad[0].Line != 6 {
		t.Errorf("lines %v, bad %v", lines, bad)
	}
	jl := "{\"user\":\"kim@contoso.com\",\"revokeSessions\":true}\n\n{\"user\":\"x\",\"fax\":\"1\"}\n{\"user\":3}\nnot json\n"
	rd, err = NewReader(strings.NewReader(jl), "in.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		r, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			got = append(got, err.Error())
			continue
		}
		got = append(got, r.Get(ColUser)+"/"+r.Get(ColRevokeSessions))
	}
	want := []string{"kim@contoso.com/yes", "line 3: fax: \"fax\" is not a column", "line 4: user: must be a string", "line 5: not a JSON object"}
	if len(got) != len(want) {
		t.Fatalf("got %q", got)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("%d: %q, want prefix %q", i, got[i], want[i])
		}
	}
	for _, in := range []string{"", "mobile\n+1\n", "user,fax\n", "user,user\n"} {
		if _, err := NewReader(strings.NewReader(in), "x.csv"); err == nil {
			t.Errorf("header %q accepted", in)
		}
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte("user,mobile,remove\nkim@contoso.com,+14255550100,sms;fido2:abc\n"))
	f.Add([]byte("{\"user\":\"kim\",\"tap\":\"8h once\"}\n"))
	f.Add([]byte("user\n\"unterminated\n"))
	f.Add([]byte("\ufeffuser,email\r\na,b\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rd, err := NewReader(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		last := 0
		for i := 0; i < 10000; i++ {
			r, err := rd.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			var re *RowError
			if errors.As(err, &re) {
				if re.Line < 1 {
					t.Fatalf("row error without a line: %v", re)
				}
				if re.Fatal {
					return
				}
				continue
			}
			if err != nil {
				return
			}
			if r.Line <= last {
				t.Fatalf("line %d after %d", r.Line, last)
			}
			last = r.Line
			if _, ok := r.Cells[ColUser]; !ok && rd.csv != nil && len(r.Cells) > 0 && rd.head[0] == ColUser {
				t.Fatalf("row without user cell: %v", r.Cells)
			}
			d, errs := ParseRow(r, testParsers)
			if len(errs) == 0 {
				if _, err := Plan(d, State{}, Options{}); err != nil {
					var re *RuleError
					if !errors.As(err, &re) {
						t.Fatalf("plan: %v", err)
					}
				}
			}
		}
		t.Fatal("reader did not end")
	})
}

func TestPlanFileRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	pw, err := NewPlanWriter(&buf, Header{ID: "bp-1", Source: "in.csv", Backend: "http://localhost"})
	if err != nil {
		t.Fatal(err)
	}
	pw.Add(UserPlan{Line: 2, User: "a", Ops: []Op{{Kind: OpAddPhone}, {Kind: OpSetDefault}}})
	pw.Add(UserPlan{Line: 3, User: "b"})
	pw.Add(UserPlan{Line: 4, User: "c", Refused: "no"})
	pw.Add(UserPlan{Line: 5, User: "d", Ops: []Op{{Kind: OpRevokeSessions}}})
	sum, err := pw.Close()
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rows != 4 || sum.Users != 2 || sum.Unchanged != 1 || sum.Refused != 1 || sum.Ops != 3 {
		t.Fatalf("summary %+v", sum)
	}
	var users []UserPlan
	var h Header
	got, err := ReadPlan(bytes.NewReader(buf.Bytes()), func(hh Header) error { h = hh; return nil }, func(u UserPlan) error { users = append(users, u); return nil })
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if h.ID != "bp-1" || got.Ops != 3 || len(users) != 3 || users[2].Ops[0].N != 2 || users[0].Ops[1].N != 1 || users[1].Refused != "no" {
		t.Fatalf("header %+v summary %+v users %+v", h, got, users)
	}
	for _, bad := range []string{"", "[]", `{"version":9,"id":"x","users":[],"summary":{"byOperation":{}}}`, buf.String()[:buf.Len()/2]} {
		if _, _, err := ReadHeader(strings.NewReader(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestJournalReplaysAndSurvivesATornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan.json.journal")
	j, err := OpenJournal(path, "bp-1", 5)
	if err != nil {
		t.Fatal(err)
	}
	vf := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := j.Intend([]int{0, 1, 2}, []Evidence{{}, {TAPIDs: []string{"t1"}}, {SessionsValidFrom: vf}}); err != nil {
		t.Fatal(err)
	}
	j.Record(0, StateDone, "")
	j.Record(2, StateFailed, "refused: no")
	j.Close()
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	// A crash mid-write leaves a torn line.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"n":3,"s":"inte`)
	f.Close()
	j, err = OpenJournal(path, "bp-1", 5)
	if err != nil {
		t.Fatal(err)
	}
	if j.State(0) != StateDone || j.State(1) != StateIntent || j.State(2) != StateFailed || j.State(3) != StatePending || j.Message(2) != "refused: no" {
		t.Fatalf("states %v", j.states)
	}
	if ev := j.Evidence(1); len(ev.TAPIDs) != 1 || ev.TAPIDs[0] != "t1" {
		t.Errorf("evidence %+v", ev)
	}
	j.Record(3, StateConflict, "changed")
	j.Close()
	r, err := ReadJournal(path, "bp-1", 5)
	if err != nil || r.State(3) != StateConflict {
		t.Fatalf("after the torn line: %v %v", err, r.states)
	}
	c := r.Counts()
	if c[StateDone] != 1 || c[StateIntent] != 1 || c[StateFailed] != 1 || c[StateConflict] != 1 || c[StatePending] != 1 {
		t.Errorf("counts %v", c)
	}
	if _, err := OpenJournal(path, "bp-2", 5); err == nil {
		t.Error("another plan's journal was accepted")
	}
	if r, err := ReadJournal(path+".none", "bp-1", 5); err != nil || r.Counts()[StatePending] != 5 {
		t.Errorf("no journal: %v", err)
	}
}
