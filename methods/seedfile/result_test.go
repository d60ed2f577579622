package seedfile

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mfactl/mfactl/methods"
)

// fakeTenant is an in-memory Tenant that counts its lookups.
type fakeTenant struct {
	serials   map[string]bool
	users     map[string]methods.User // by lower-case UPN
	counts    map[string]int          // by user id
	lookups   map[string]int          // UserByUPN calls by UPN
	failOnUPN string
}

func (f *fakeTenant) SerialInInventory(_ context.Context, serial string) (bool, error) {
	return f.serials[serial], nil
}

func (f *fakeTenant) UserByUPN(_ context.Context, upn string) (methods.User, bool, error) {
	if f.lookups == nil {
		f.lookups = map[string]int{}
	}
	f.lookups[upn]++
	if upn == f.failOnUPN {
		return methods.User{}, false, errors.New("graph: 503 Service Unavailable")
	}
	u, ok := f.users[strings.ToLower(upn)]
	return u, ok, nil
}

func (f *fakeTenant) OathMethodCount(_ context.Context, u methods.User) (int, error) {
	return f.counts[u.ID], nil
}

func tokenFor(line int, serial, upn string) Token {
	t := validToken()
	t.Line, t.SerialNumber, t.UPN = line, serial, upn
	return t
}

func TestCheckTenant(t *testing.T) {
	tenant := &fakeTenant{
		serials: map[string]bool{"IN-STOCK": true},
		users: map[string]methods.User{
			"amy@contoso.com":   {ID: "u-amy", UserPrincipalName: "amy@contoso.com"},
			"guest@contoso.com": {ID: "u-guest", UserPrincipalName: "guest@contoso.com", UserType: "Guest"},
			"full@contoso.com":  {ID: "u-full", UserPrincipalName: "full@contoso.com"},
		},
		counts: map[string]int{"u-amy": 3, "u-full": 5},
	}
	res := &Result{
		Tokens: []Token{
			tokenFor(2, "T-1", ""),
			tokenFor(3, "IN-STOCK", "amy@contoso.com"), // rejected before it counts for Amy
			tokenFor(4, "T-2", "amy@contoso.com"),      // Amy's 4th
			tokenFor(5, "T-3", "Amy@Contoso.com"),      // Amy's 5th: same user, other case
			tokenFor(6, "T-4", "amy@contoso.com"),      // would be Amy's 6th
			tokenFor(7, "T-5", "nobody@contoso.com"),
			tokenFor(8, "T-6", "guest@contoso.com"),
			tokenFor(9, "T-7", "full@contoso.com"),
		},
		Errors: []RowError{{Line: 1, Reason: "from the parser"}},
	}
	if err := res.CheckTenant(context.Background(), tenant); err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, tok := range res.Tokens {
		kept = append(kept, tok.SerialNumber)
	}
	if got, want := strings.Join(kept, ","), "T-1,T-2,T-3"; got != want {
		t.Errorf("kept %s, want %s", got, want)
	}
	want := []string{
		"line 1: from the parser",
		"line 3 (serial IN-STOCK): serial number IN-STOCK is already in the tenant's inventory",
		"line 6 (serial T-4): user amy@contoso.com would have more than 5 OATH methods (tokens and authenticator apps)",
		"line 7 (serial T-5): no user nobody@contoso.com in the tenant",
		"line 8 (serial T-6): user guest@contoso.com is a guest, and hardware tokens cannot be assigned to guests",
		"line 9 (serial T-7): user full@contoso.com would have more than 5 OATH methods (tokens and authenticator apps)",
	}
	if len(res.Errors) != len(want) {
		t.Fatalf("errors = %v, want %d", res.Errors, len(want))
	}
	for i, e := range res.Errors {
		if e.Error() != want[i] {
			t.Errorf("error %d = %q, want %q", i, e.Error(), want[i])
		}
		if e.Line > 1 && e.Row.SecretKey.Base32() != testSeed {
			t.Errorf("error %d lost the row's secret for the errors file", i)
		}
	}
	if n := tenant.lookups["amy@contoso.com"] + tenant.lookups["Amy@Contoso.com"]; n != 1 {
		t.Errorf("Amy looked up %d times, want once", n)
	}
}

func TestCheckTenantLookupFailureChangesNothing(t *testing.T) {
	tenant := &fakeTenant{serials: map[string]bool{"IN-STOCK": true}, failOnUPN: "amy@contoso.com"}
	res := &Result{Tokens: []Token{tokenFor(2, "IN-STOCK", ""), tokenFor(3, "T-1", "amy@contoso.com")}}
	err := res.CheckTenant(context.Background(), tenant)
	if err == nil || !strings.Contains(err.Error(), "looking up amy@contoso.com: graph: 503") {
		t.Fatalf("CheckTenant error = %v", err)
	}
	if len(res.Tokens) != 2 || len(res.Errors) != 0 {
		t.Errorf("a failed check changed the result: %d tokens, %d errors", len(res.Tokens), len(res.Errors))
	}
}

func TestReject(t *testing.T) {
	res := &Result{
		Tokens: []Token{tokenFor(2, "A", ""), tokenFor(5, "B", ""), tokenFor(9, "C", "")},
		Errors: []RowError{{Line: 7, Reason: "parser"}},
	}
	res.Reject(func(tok Token) error {
		if tok.SerialNumber == "B" {
			return errors.New("blocked by policy")
		}
		return nil
	})
	if len(res.Tokens) != 2 || res.Tokens[0].SerialNumber != "A" || res.Tokens[1].SerialNumber != "C" {
		t.Errorf("tokens = %+v", res.Tokens)
	}
	if len(res.Errors) != 2 || res.Errors[0].Line != 5 || res.Errors[0].Reason != "blocked by policy" || res.Errors[1].Line != 7 {
		t.Errorf("errors = %+v, want line 5 then line 7", res.Errors)
	}
	if res.Errors[0].Row.SerialNumber != "B" || res.Errors[0].Serial != "B" {
		t.Errorf("rejected row lost its fields: %+v", res.Errors[0])
	}
}

func TestLineList(t *testing.T) {
	for _, tt := range []struct {
		lines []int
		want  string
	}{{[]int{3}, "line 3"}, {[]int{3, 9}, "lines 3 and 9"}, {[]int{3, 9, 12}, "lines 3, 9 and 12"}} {
		if got := lineList(tt.lines); got != tt.want {
			t.Errorf("lineList(%v) = %q, want %q", tt.lines, got, tt.want)
		}
	}
}
