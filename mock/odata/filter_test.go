package odata

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseFilterPrintsCanonicalForm(t *testing.T) {
	tests := []struct{ in, want string }{
		{"userType eq 'Guest'", "userType eq 'Guest'"},
		{"accountEnabled eq false", "accountEnabled eq false"},
		{"startswith(userPrincipalName,'adele')", "startswith(userPrincipalName, 'adele')"},
		{"startsWith( displayName , 'A' )", "startswith(displayName, 'A')"},
		{"a eq 1 or b eq 2 and c eq 3", "a eq 1 or b eq 2 and c eq 3"},
		{"(a eq 1 or b eq 2) and c eq 3", "(a eq 1 or b eq 2) and c eq 3"},
		{"a eq 1 or (b eq 2 or c eq 3)", "a eq 1 or (b eq 2 or c eq 3)"},
		{"((a eq 1))", "a eq 1"},
		{"NOT startsWith(displayName, 'Conf')", "not startswith(displayName, 'Conf')"},
		{"not userType eq 'Member'", "not userType eq 'Member'"},
		{"not (a eq 1 and b eq 2)", "not (a eq 1 and b eq 2)"},
		{"not not a eq 1", "not not a eq 1"},
		{"companyName ne null and NOT(companyName eq 'Microsoft')", "companyName ne null and not companyName eq 'Microsoft'"},
		{"displayName eq 'O''Brien'", "displayName eq 'O''Brien'"},
		{"displayName eq ''''", "displayName eq ''''"},
		{"displayName eq ''", "displayName eq ''"},
		{"id in ('a', 'b','c')", "id in ('a', 'b', 'c')"},
		{"id eq 6F1C2A3B-4D5E-4F60-8A71-92B3C4D5E6F7", "id eq 6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7"},
		{"methodsRegistered/any(x:x eq 'email')", "methodsRegistered/any(x: x eq 'email')"},
		{"methodsRegistered/any (x: x eq 'email' or x eq 'fido2')", "methodsRegistered/any(x: x eq 'email' or x eq 'fido2')"},
		{"proxyAddresses/any(p:endsWith(p, 'OnMicrosoft.com'))", "proxyAddresses/any(p: endswith(p, 'OnMicrosoft.com'))"},
		{"methodsRegistered/any()", "methodsRegistered/any()"},
		{"createdDateTime ge 2021-11-01", "createdDateTime ge 2021-11-01"},
		{"createdDateTime lt 2021-11-01T08:30:00.5+02:00", "createdDateTime lt 2021-11-01T08:30:00.5+02:00"},
		{"createdDateTime lt 2021-11-01T08:30Z", "createdDateTime lt 2021-11-01T08:30Z"},
		{"n gt -1.5e3", "n gt -1.5e3"},
		{"(a eq 1) eq true", "(a eq 1) eq true"},
		{"a eq true OR b Eq FALSE", "a eq true or b eq false"},
		{"x eq null", "x eq null"},
		{"startswith(a eq b, 'x')", "startswith(a eq b, 'x')"},
	}
	for _, tt := range tests {
		n, err := parseFilter(tt.in)
		if err != nil {
			t.Errorf("parseFilter(%q): %v", tt.in, err)
			continue
		}
		if got := n.String(); got != tt.want {
			t.Errorf("parseFilter(%q) = %s, want %s", tt.in, got, tt.want)
		}
		again, err := parseFilter(n.String())
		if err != nil || again.String() != n.String() {
			t.Errorf("%q does not parse back to itself: %v %v", n.String(), again, err)
		}
	}
}

func TestParseFilterSyntaxErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "the filter is empty"},
		{"   ", "the filter is empty"},
		{"userType eq 'Guest", "unterminated string literal at position 12"},
		{"userType eq", "expected"},
		{"userType eq 'a' and", "unexpected the end of the filter"},
		{"(userType eq 'a'", "expected ')'"},
		{"userType eq 'a')", "unexpected ')'"},
		{"userType = 'a'", "unexpected character '='"},
		{"userType eq 'a' eq 'b'", "unexpected 'eq'"},
		{"id in ()", "must be literals"},
		{"id in ('a' 'b')", "expected ',' or ')'"},
		{"id in ('a', userType)", "must be literals"},
		{"substringof('a', displayName)", "unknown function 'substringof'"},
		{"methodsRegistered/count(x: x eq 'a')", "only the lambda operators any and all"},
		{"methodsRegistered/any(x x eq 'a')", "expected ':'"},
		{"methodsRegistered/any(eq: eq eq 'a')", "unexpected 'eq'"},
		{"a eq 12abc", "syntax error at position 5"},
		{"a eq 1e", "syntax error at position 5"},
		{"a eq 1e999", "out of range"},
		{"a eq 2021-13-45", "not valid"},
		{strings.Repeat("(", 60) + "a eq 1" + strings.Repeat(")", 60), "nested more than 48 levels"},
		{strings.Repeat("not ", 60) + "a eq 1", "nested more than 48 levels"},
		{strings.Repeat("startswith(", 60) + "a", "nested more than 48 levels"},
		{"a eq '" + strings.Repeat("x", maxFilterLength) + "'", "the limit is 8192"},
		{"a eq '\xff'", "not valid UTF-8"},
	}
	for _, tt := range tests {
		_, err := parseFilter(tt.in)
		var se *filterSyntaxError
		if !errors.As(err, &se) {
			t.Errorf("parseFilter(%.40q): error %v, want a syntax error", tt.in, err)
			continue
		}
		if !strings.Contains(se.Error(), tt.want) {
			t.Errorf("parseFilter(%.40q) = %q, want it to mention %q", tt.in, se.Error(), tt.want)
		}
	}
}

func TestFilterEvaluation(t *testing.T) {
	created := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	obj := map[string]any{
		"id":                "6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7",
		"userPrincipalName": "Adele.Vance@contoso.example",
		"displayName":       "Adele Vance",
		"userType":          "Member",
		"accountEnabled":    true,
		"mail":              nil,
		"jobTitle":          "",
		"createdDateTime":   created,
		"methodsRegistered": []string{"mobilePhone", "microsoftAuthenticatorPush"},
		"isMfaCapable":      true,
	}
	get := func(name string) any { return obj[name] }
	tests := []struct {
		filter string
		want   bool
	}{
		{"userType eq 'member'", true},
		{"userType eq 'Guest'", false},
		{"userType ne 'Guest'", true},
		{"accountEnabled eq true", true},
		{"accountEnabled eq false", false},
		{"accountEnabled ne false", true},
		{"startswith(userPrincipalName,'adele.')", true},
		{"startswith(userPrincipalName,'ADELE.V')", true},
		{"startswith(userPrincipalName,'vance')", false},
		{"endswith(userPrincipalName,'@CONTOSO.example')", true},
		{"contains(displayName,'le va')", true},
		{"displayName eq 'adele vance'", true},
		{"displayName ge 'Adele'", true},
		{"displayName le 'Adele'", false},
		{"displayName lt 'B'", true},
		{"displayName gt 'B'", false},
		{"mail eq null", true},
		{"mail ne null", false},
		{"jobTitle eq null", true},
		{"displayName eq null", false},
		{"displayName ne null", true},
		{"mail eq 'x'", false},
		{"mail ne 'x'", true},
		{"id eq 6F1C2A3B-4D5E-4F60-8A71-92B3C4D5E6F7", true},
		{"id eq '6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7'", true},
		{"id in ('00000000-0000-0000-0000-000000000000', '6F1C2A3B-4D5E-4F60-8A71-92B3C4D5E6F7')", true},
		{"id in ('00000000-0000-0000-0000-000000000000')", false},
		{"createdDateTime ge 2024-05-01", true},
		{"createdDateTime gt 2024-05-01T12:00:00Z", false},
		{"createdDateTime lt 2024-05-01T14:00:00+01:00", true},
		{"createdDateTime lt 2024-05-01T14:00:00+03:00", false},
		{"createdDateTime le 2024-05-01T14:00:00+02:00", true},
		{"methodsRegistered/any(x:x eq 'MOBILEPHONE')", true},
		{"methodsRegistered/any(x:x eq 'email')", false},
		{"methodsRegistered/any(x:x eq 'email' or x eq 'microsoftAuthenticatorPush')", true},
		{"methodsRegistered/all(x:startswith(x, 'm'))", true},
		{"methodsRegistered/all(x:x eq 'mobilePhone')", false},
		{"methodsRegistered/any()", true},
		{"not methodsRegistered/any(x:x eq 'email')", true},
		{"userType eq 'Guest' or accountEnabled eq true", true},
		{"userType eq 'Guest' and accountEnabled eq true", false},
		{"not (userType eq 'Guest' or accountEnabled eq false)", true},
		{"isMfaCapable eq true and not startswith(displayName, 'B')", true},
		{"nosuch eq 'x'", false},
		{"nosuch ne 'x'", true},
	}
	for _, tt := range tests {
		n, err := parseFilter(tt.filter)
		if err != nil {
			t.Errorf("%s: %v", tt.filter, err)
			continue
		}
		if got := (&Filter{root: n}).Match(get); got != tt.want {
			t.Errorf("%s = %v, want %v", tt.filter, got, tt.want)
		}
	}
	var none *Filter
	if !none.Match(get) {
		t.Error("an absent filter must match everything")
	}
}

// FuzzFilter: the parser never panics, whatever it parses prints to a form
// that parses back to the same tree, and validating and evaluating a parsed
// filter never panics, refusals are *Error, and conjuncts name properties.
func FuzzFilter(f *testing.F) {
	for _, s := range []string{
		"userType eq 'Guest'", "accountEnabled eq false", "startswith(userPrincipalName,'a')",
		"id in ('6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7', 6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f8)",
		"methodsRegistered/any(x:x eq 'email')", "not (a eq 1 or b ne 'x''y') and c ge 2024-01-01T00:00:00Z",
		"createdDateTime le 2024-01-01", "endswith(mail,'@x') and displayName eq null", "x/all(y: startswith(y, 'z'))",
		"n gt -1.5e3", "((((a eq 1))))", "a eq true OR NOT b eq false",
	} {
		f.Add(s)
	}
	sample := map[string]any{
		"id": "6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7", "userPrincipalName": "a@b", "displayName": "A",
		"userType": "Guest", "accountEnabled": false, "createdDateTime": time.Unix(0, 0),
		"methodsRegistered": []string{"email"}, "isMfaCapable": true,
	}
	f.Fuzz(func(t *testing.T, src string) {
		n, err := parseFilter(src)
		if err != nil {
			var se *filterSyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("parseFilter(%q) returned %T, want *filterSyntaxError", src, err)
			}
			return
		}
		printed := n.String()
		again, err := parseFilter(printed)
		if err != nil {
			t.Fatalf("%q printed as %q, which does not parse: %v", src, printed, err)
		}
		if again.String() != printed {
			t.Fatalf("%q printed as %q, which reprints as %q", src, printed, again.String())
		}
		for _, adv := range []bool{false, true} {
			cf, err := CompileFilter(src, testSchema, adv)
			if err != nil {
				var oe *Error
				if !errors.As(err, &oe) || oe.Kind == 0 || oe.Message == "" {
					t.Fatalf("CompileFilter(%q): %v, want an *Error with a kind and a message", src, err)
				}
				continue
			}
			cf.Match(func(name string) any { return sample[name] })
			for _, c := range cf.Conjuncts() {
				if testSchema.lookup(c.Property) == nil || len(c.Values) == 0 {
					t.Fatalf("%q: conjunct %+v names no property of the schema or no value", src, c)
				}
			}
		}
	})
}

// testSchema has a property of each type, with operators by default, in
// advanced queries only, and not at all.
var testSchema = &Schema{Resource: "Thing", TypeName: "test.thing", Props: []Property{
	{Name: "id", Type: TypeID, Ops: []string{"eq", "in"}, Advanced: []string{"ne", "not"}},
	{Name: "name", Type: TypeString, Ops: []string{"eq", "in", "startswith", "ge", "le"}, Advanced: []string{"ne", "not", "endswith"}, Nullable: true, NullAdvanced: true},
	{Name: "mail", Type: TypeString, Ops: []string{"eq", "ne"}, Nullable: true},
	{Name: "enabled", Type: TypeBool, Ops: []string{"eq"}, Advanced: []string{"ne", "not"}},
	{Name: "kind", Type: TypeEnum, Ops: []string{"eq", "in"}},
	{Name: "created", Type: TypeDateTime, Ops: []string{"eq", "ge", "le", "gt", "lt"}},
	{Name: "tags", Type: TypeCollection, Ops: []string{"any"}, LambdaOps: []string{"eq"}},
	{Name: "hidden", Type: TypeString},
}}
