package odata

import (
	"errors"
	"fmt"
	"go/parser"
	gotoken "go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCompileFilterAgainstSchema: each rule of the validator, against a
// schema with a property of each type.
func TestCompileFilterAgainstSchema(t *testing.T) {
	const guid = "6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7"
	tests := []struct {
		filter   string
		advanced bool
		kind     ErrorKind // 0 when the filter is valid
		message  string    // part of the message; the operator for NeedsAdvanced
	}{
		{"", false, 0, ""},
		{"name eq 'a'", false, 0, ""},
		{"NAME EQ 'a'", false, 0, ""},
		{"id eq " + guid, false, 0, ""},
		{"id eq '" + guid + "'", false, 0, ""},
		{"id in ('" + guid + "', " + guid + ")", false, 0, ""},
		{"enabled eq true and kind in ('a', 'b')", false, 0, ""},
		{"created ge 2024-01-01 and created lt 2024-02-01T00:00:00Z", false, 0, ""},
		{"tags/any(x: x eq 'a' or x eq 'b')", false, 0, ""},
		{"tags/any()", false, 0, ""},
		{"mail eq null or mail ne null", false, 0, ""},
		// Operators only in advanced queries.
		{"name ne 'a'", false, NeedsAdvanced, "ne"},
		{"name ne 'a'", true, 0, ""},
		{"not name eq 'a'", false, NeedsAdvanced, "not"},
		{"not name eq 'a'", true, 0, ""},
		{"endswith(name, 'a')", false, NeedsAdvanced, "endsWith"},
		{"endswith(name, 'a')", true, 0, ""},
		{"name eq null", false, NeedsAdvanced, "eq"},
		{"name eq null", true, 0, ""},
		// Operators the schema does not allow, even in advanced queries.
		{"contains(name, 'a')", true, Unsupported, "property 'name' of resource 'Thing'"},
		{"kind ne 'a'", true, Unsupported, "property 'kind'"},
		{"not kind eq 'a'", true, Unsupported, "property 'kind'"},
		{"hidden eq 'a'", true, Unsupported, "property 'hidden'"},
		{"enabled eq null", true, Unsupported, "property 'enabled'"},
		{"tags/all(x: x eq 'a')", false, Unsupported, "property 'tags'"},
		{"tags/any(x: startswith(x, 'a'))", false, Unsupported, "property 'tags'"},
		{"tags/any(x: name eq 'a')", false, Unsupported, "property 'tags'"},
		{"tags/any(x: tags/any(y: y eq 'a'))", false, Unsupported, "property 'tags'"},
		{"tags eq 'a'", false, Unsupported, "property 'tags'"},
		// Malformed or ill-typed clauses.
		{"nosuch eq 'a'", false, Invalid, "Could not find a property named 'nosuch' on type 'test.thing'."},
		{"enabled eq 'yes'", false, Invalid, "Found operand types 'Edm.Boolean' and 'Edm.String' for operator kind 'Equal'."},
		{"name eq true", false, Invalid, "Found operand types 'Edm.String' and 'Edm.Boolean'"},
		{"name eq " + guid, false, Invalid, "'Edm.String' and 'Edm.Guid'"},
		{"created ge 'yesterday'", false, Invalid, "'Edm.DateTimeOffset' and 'Edm.String' for operator kind 'GreaterThanOrEqual'"},
		{"tags/any(x: x eq 1)", false, Invalid, "incompatible types"},
		{"kind/any(x: x eq 'a')", false, Invalid, "needs a collection"},
		{"id eq 'not-a-guid'", false, Invalid, "'not-a-guid' is not a valid object id."},
		{"'a' eq name", false, Invalid, "the left operand of a comparison must be a property, found the literal 'a'"},
		{"name eq mail", false, Invalid, "must be a literal"},
		{"enabled", false, Invalid, "'enabled' is not a condition"},
		{"startswith(name)", false, Invalid, "startsWith takes 2 arguments"},
		{"startswith(name, 1)", false, Invalid, "must be a string literal"},
		{"name eq 'a' and", false, Invalid, "Invalid filter clause: syntax error at position"},
	}
	for _, tt := range tests {
		f, err := CompileFilter(tt.filter, testSchema, tt.advanced)
		if tt.kind == 0 {
			if err != nil {
				t.Errorf("%s (advanced %v): %v", tt.filter, tt.advanced, err)
			}
			if tt.filter == "" && f != nil {
				t.Errorf("an empty filter compiled to %v, want nil", f)
			}
			continue
		}
		var oe *Error
		if !errors.As(err, &oe) {
			t.Errorf("%s (advanced %v): got %v, want kind %d", tt.filter, tt.advanced, err, tt.kind)
			continue
		}
		got := oe.Message
		if tt.kind == NeedsAdvanced {
			got = oe.Operator
		}
		if oe.Kind != tt.kind || !strings.Contains(got, tt.message) {
			t.Errorf("%s (advanced %v): got kind %d %q (operator %q), want kind %d with %q", tt.filter, tt.advanced, oe.Kind, oe.Message, oe.Operator, tt.kind, tt.message)
		}
	}
}

func TestConjuncts(t *testing.T) {
	const guid = "6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7"
	day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		filter string
		want   string
	}{
		{"name eq 'A'", "name eq [A]"},
		{"enabled eq false and startswith(name, 'Ad') and id in ('" + strings.ToUpper(guid) + "', " + strings.ToUpper(guid) + ")",
			"enabled eq [false]; name startswith [Ad]; id in [" + strings.ToUpper(guid) + " " + guid + "]"},
		{"(name eq 'a' and mail eq null) and created ge 2024-01-01", "name eq [a]; mail eq [<nil>]"},
		{"created eq 2024-01-01", "created eq [" + day.String() + "]"},
		// Nothing under or, not or a lambda is a conjunct.
		{"name eq 'a' or enabled eq true", ""},
		{"not name eq 'a'", ""},
		{"tags/any(x: x eq 'a')", ""},
		{"endswith(name, 'a')", ""},
	}
	for _, tt := range tests {
		f, err := CompileFilter(tt.filter, testSchema, true)
		if err != nil {
			t.Fatalf("%s: %v", tt.filter, err)
		}
		var parts []string
		for _, c := range f.Conjuncts() {
			vals := make([]string, len(c.Values))
			for i, v := range c.Values {
				switch x := v.(type) {
				case string:
					vals[i] = x
				case nil:
					vals[i] = "<nil>"
				case time.Time:
					vals[i] = x.UTC().String()
				default:
					vals[i] = fmt.Sprint(x)
				}
			}
			parts = append(parts, c.Property+" "+c.Op+" ["+strings.Join(vals, " ")+"]")
		}
		if got := strings.Join(parts, "; "); got != tt.want {
			t.Errorf("%s: conjuncts %q, want %q", tt.filter, got, tt.want)
		}
	}
	var none *Filter
	if none.Conjuncts() != nil {
		t.Error("a nil filter has conjuncts")
	}
}

// TestImportsNothingOfMfactl: the language knows no server; the mock
// imports it, never the other way round.
func TestImportsNothingOfMfactl(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := gotoken.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			if strings.HasPrefix(strings.Trim(imp.Path.Value, `"`), "github.com/mfactl/mfactl") {
				t.Errorf("%s imports %s", name, imp.Path.Value)
			}
		}
	}
}
