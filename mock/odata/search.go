package odata

import (
	"strings"
	"unicode"
)

// Search is a parsed $search: "property:token" clauses joined by AND or OR
// (evaluated left to right), each quoted as a whole. A clause matches when
// a word of the property starts with the token, case-insensitively: Graph
// tokenizes the searchable string properties of directory objects
// (displayName, givenName, surname, mail, userPrincipalName, ...) on
// spaces, punctuation and case changes and matches token prefixes
// (concepts/search-query-parameter.md, "Using $search on directory object
// collections").
type Search struct {
	clauses []searchClause
}

type searchClause struct {
	prop, token string
	or          bool // joined to the previous clause with OR
}

// ParseSearch parses a $search value against the properties the resource
// lets clients search (canonical names, matched case-insensitively).
func ParseSearch(v string, searchable []string) (*Search, error) {
	bad := func(format string, args ...any) error {
		return errorf(Invalid, "Invalid $search: "+format, args...)
	}
	rest := strings.TrimSpace(v)
	s := &Search{}
	or := false
	for {
		if !strings.HasPrefix(rest, `"`) {
			return nil, bad("each clause is quoted, as in \"displayName:adele\"; got %q.", v)
		}
		end := strings.IndexByte(rest[1:], '"')
		if end < 0 {
			return nil, bad("a clause is missing its closing quote.")
		}
		clause := rest[1 : end+1]
		rest = strings.TrimSpace(rest[end+2:])
		prop, token, ok := strings.Cut(clause, ":")
		if !ok || strings.TrimSpace(token) == "" {
			return nil, bad("a clause is property:token, as in \"displayName:adele\"; got %q.", clause)
		}
		name := ""
		for _, p := range searchable {
			if strings.EqualFold(p, strings.TrimSpace(prop)) {
				name = p
			}
		}
		if name == "" {
			return nil, bad("'%s' cannot be searched; searchable properties are %s.", prop, strings.Join(searchable, ", "))
		}
		s.clauses = append(s.clauses, searchClause{prop: name, token: strings.ToLower(strings.TrimSpace(token)), or: or})
		if rest == "" {
			return s, nil
		}
		op, after, _ := strings.Cut(rest, " ")
		switch op {
		case "AND":
			or = false
		case "OR":
			or = true
		default:
			return nil, bad("clauses are joined by AND or OR; got %q.", op)
		}
		rest = strings.TrimSpace(after)
	}
}

// Match reports whether an object matches (a nil search matches every
// object); get returns a property's value by canonical name, and a value
// that is not a string matches no token.
func (s *Search) Match(get func(name string) any) bool {
	if s == nil {
		return true
	}
	result := false
	for i, c := range s.clauses {
		hit := false
		value, _ := get(c.prop).(string)
		for _, w := range searchWords(value) {
			if strings.HasPrefix(w, c.token) {
				hit = true
				break
			}
		}
		switch {
		case i == 0:
			result = hit
		case c.or:
			result = result || hit
		default:
			result = result && hit
		}
	}
	return result
}

// searchWords splits a value into lower-case words at spaces, punctuation
// and lower-to-upper case changes.
func searchWords(v string) []string {
	var words []string
	var cur []rune
	var prev rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	for _, c := range v {
		switch {
		case unicode.IsLetter(c) || unicode.IsDigit(c):
			if unicode.IsUpper(c) && unicode.IsLower(prev) {
				flush()
			}
			cur = append(cur, c)
		default:
			flush()
		}
		prev = c
	}
	flush()
	return words
}
