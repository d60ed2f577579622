package odata

import (
	"reflect"
	"testing"
)

func TestParseSearch(t *testing.T) {
	searchable := []string{"displayName", "mail"}
	tests := []struct {
		v    string
		want []searchClause
		kind ErrorKind
	}{
		{`"displayName:adele"`, []searchClause{{prop: "displayName", token: "adele"}}, 0},
		{` "DISPLAYNAME: Adele " OR "mail:x" AND "mail:y"`, []searchClause{{prop: "displayName", token: "adele"}, {prop: "mail", token: "x", or: true}, {prop: "mail", token: "y"}}, 0},
		{`displayName:adele`, nil, Invalid},
		{`"displayName:adele`, nil, Invalid},
		{`"adele"`, nil, Invalid},
		{`"displayName: "`, nil, Invalid},
		{`"surname:vance"`, nil, Invalid},
		{`"mail:a" XOR "mail:b"`, nil, Invalid},
		{`"mail:a" and "mail:b"`, nil, Invalid},
	}
	for _, tt := range tests {
		s, err := ParseSearch(tt.v, searchable)
		if kindOf(err) != tt.kind {
			t.Errorf("ParseSearch(%s): %v, want kind %d", tt.v, err, tt.kind)
			continue
		}
		if err == nil && !reflect.DeepEqual(s.clauses, tt.want) {
			t.Errorf("ParseSearch(%s) = %+v, want %+v", tt.v, s.clauses, tt.want)
		}
	}
}

func TestSearchMatch(t *testing.T) {
	obj := map[string]any{"displayName": "Adele Vance", "mail": "AdeleV@contoso.example", "count": 3}
	get := func(name string) any { return obj[name] }
	tests := []struct {
		v    string
		want bool
	}{
		{`"displayName:ade"`, true},
		{`"displayName:VAN"`, true},
		{`"displayName:ele"`, false},
		{`"mail:v"`, true}, // AdeleV splits at the case change
		{`"mail:contoso"`, true},
		{`"mail:example"`, true},
		{`"displayName:x" OR "mail:adele"`, true},
		{`"displayName:x" AND "mail:adele"`, false},
		{`"displayName:x" OR "mail:adele" AND "mail:nobody"`, false}, // left to right
		{`"count:3"`, false},                                         // not a string
	}
	for _, tt := range tests {
		s, err := ParseSearch(tt.v, []string{"displayName", "mail", "count"})
		if err != nil {
			t.Fatalf("%s: %v", tt.v, err)
		}
		if got := s.Match(get); got != tt.want {
			t.Errorf("%s = %v, want %v", tt.v, got, tt.want)
		}
	}
	var none *Search
	if !none.Match(get) {
		t.Error("an absent search must match everything")
	}
}

func TestSearchWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Adele Vance", []string{"adele", "vance"}},
		{"AdeleV@contoso.example", []string{"adele", "v", "contoso", "example"}},
		{"O'Brien-Smith", []string{"o", "brien", "smith"}},
		{"", nil},
		{"ÉmileZola", []string{"émile", "zola"}},
	}
	for _, tt := range tests {
		if got := searchWords(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("searchWords(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
