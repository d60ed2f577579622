package odata

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file is the OData $filter language as Microsoft Graph speaks it for
// the endpoints the mock serves: a tokenizer, a recursive-descent parser
// (precedence or < and < not < comparison), a printer whose output parses
// back to the same tree, a validator that checks every clause against the
// endpoint's declared properties and operators (as Graph does per
// property), and an evaluator.
//
// One deliberate choice: `not` binds looser than comparison, so
// `not userType eq 'Guest'` means `not (userType eq 'Guest')`, which is what
// people write against Graph; the strict OData grammar would read it as
// `(not userType) eq 'Guest'` and fail on the types.

// Limits that keep a hostile filter from costing more than a page of users.
const (
	maxFilterLength = 8192
	maxFilterDepth  = 48
)

// filterNode is one node of a parsed $filter expression.
type filterNode interface {
	String() string
}

type (
	// filterLogic is `l and r` or `l or r`.
	filterLogic struct {
		op   string // "and" or "or"
		l, r filterNode
	}
	// filterNot is `not x`.
	filterNot struct{ x filterNode }
	// filterCompare is `l op r` with op eq, ne, gt, ge, lt or le.
	filterCompare struct {
		op   string
		l, r filterNode
	}
	// filterIn is `l in (v1, v2, ...)`.
	filterIn struct {
		l    filterNode
		list []filterLiteral
	}
	// filterCall is startswith, endswith or contains (lower-cased name).
	filterCall struct {
		fn   string
		args []filterNode
	}
	// filterLambda is `coll/any(v: body)` (or all); an empty any() has no
	// variable and no body.
	filterLambda struct {
		coll string
		op   string // "any" or "all"
		v    string
		body filterNode
	}
	// filterProp names a property of the resource.
	filterProp struct{ name string }
	// filterVar is the range variable of the enclosing lambda.
	filterVar struct{ name string }
	// filterLiteral is a constant.
	filterLiteral struct {
		kind literalKind
		s    string    // string value, or the GUID in lower case
		b    bool      // boolean value
		n    float64   // number value
		t    time.Time // date/time value
		raw  string    // the literal as written, for numbers and date/times
	}
)

type literalKind int

const (
	litString literalKind = iota
	litBool
	litNull
	litNumber
	litGUID
	litDateTime
)

func (k literalKind) edmType() string {
	switch k {
	case litString:
		return "Edm.String"
	case litBool:
		return "Edm.Boolean"
	case litNumber:
		return "Edm.Double"
	case litGUID:
		return "Edm.Guid"
	case litDateTime:
		return "Edm.DateTimeOffset"
	}
	return "null"
}

// String renders the tree so that parsing the result gives the same tree,
// with only the parentheses the tree needs (so the printed form is never
// nested deeper than the filter it came from). Strings are single-quoted,
// a quote inside doubled; GUIDs are lower-cased; numbers and dates are kept
// as written.
func (n filterLogic) String() string {
	l, r := n.l.String(), n.r.String()
	if precedence(n.l) < precedence(n) {
		l = "(" + l + ")"
	}
	// The parser builds left-deep chains, so a right operand of the same
	// operator had parentheses.
	if precedence(n.r) <= precedence(n) {
		r = "(" + r + ")"
	}
	return l + " " + n.op + " " + r
}
func (n filterNot) String() string {
	if precedence(n.x) < precedence(n) {
		return "not (" + n.x.String() + ")"
	}
	return "not " + n.x.String()
}
func (n filterCompare) String() string {
	return operand(n.l, precPrimary) + " " + n.op + " " + operand(n.r, precPrimary)
}
func (n filterIn) String() string {
	parts := make([]string, len(n.list))
	for i, l := range n.list {
		parts[i] = l.String()
	}
	return operand(n.l, precPrimary) + " in (" + strings.Join(parts, ", ") + ")"
}
func (n filterCall) String() string {
	parts := make([]string, len(n.args))
	for i, a := range n.args {
		// Arguments parse as comparisons, so only logic needs parentheses.
		parts[i] = operand(a, precCompare)
	}
	return n.fn + "(" + strings.Join(parts, ", ") + ")"
}
func (n filterLambda) String() string {
	if n.body == nil {
		return n.coll + "/" + n.op + "()"
	}
	return n.coll + "/" + n.op + "(" + n.v + ": " + n.body.String() + ")"
}
func (n filterProp) String() string { return n.name }
func (n filterVar) String() string  { return n.name }
func (n filterLiteral) String() string {
	switch n.kind {
	case litString:
		return "'" + strings.ReplaceAll(n.s, "'", "''") + "'"
	case litBool:
		return strconv.FormatBool(n.b)
	case litNull:
		return "null"
	case litGUID:
		return n.s
	}
	return n.raw
}

// Binding strength of the grammar's levels.
const (
	precOr = iota + 1
	precAnd
	precNot
	precCompare
	precPrimary
)

func precedence(n filterNode) int {
	switch x := n.(type) {
	case filterLogic:
		if x.op == "or" {
			return precOr
		}
		return precAnd
	case filterNot:
		return precNot
	case filterCompare, filterIn:
		return precCompare
	}
	return precPrimary
}

// operand prints n, parenthesised when it binds looser than min.
func operand(n filterNode, min int) string {
	if precedence(n) < min {
		return "(" + n.String() + ")"
	}
	return n.String()
}

// filterSyntaxError is a malformed $filter; Graph answers 400 BadRequest
// "Invalid filter clause: ...".
type filterSyntaxError struct {
	pos int // byte offset in the filter
	msg string
}

func (e *filterSyntaxError) Error() string { return e.msg }

// --- tokenizer ---

type tokenKind int

const (
	tokEOF tokenKind = iota
	tokIdent
	tokString
	tokNumber
	tokGUID
	tokDateTime
	tokLParen
	tokRParen
	tokComma
	tokColon
	tokSlash
)

type token struct {
	kind tokenKind
	text string // identifier or raw literal; unescaped value for strings
	pos  int
}

func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "the end of the filter"
	case tokString:
		return "'" + strings.ReplaceAll(t.text, "'", "''") + "'"
	}
	return "'" + t.text + "'"
}

func lexFilter(src string) ([]token, error) {
	var toks []token
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			toks = append(toks, token{tokLParen, "(", i})
			i++
		case c == ')':
			toks = append(toks, token{tokRParen, ")", i})
			i++
		case c == ',':
			toks = append(toks, token{tokComma, ",", i})
			i++
		case c == ':':
			toks = append(toks, token{tokColon, ":", i})
			i++
		case c == '/':
			toks = append(toks, token{tokSlash, "/", i})
			i++
		case c == '\'':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(src) {
					return nil, &filterSyntaxError{i, fmt.Sprintf("unterminated string literal at position %d", i)}
				}
				if src[j] == '\'' {
					if j+1 < len(src) && src[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(src[j])
				j++
			}
			if !utf8.ValidString(b.String()) {
				return nil, &filterSyntaxError{i, fmt.Sprintf("the string literal at position %d is not valid UTF-8", i)}
			}
			toks = append(toks, token{tokString, b.String(), i})
			i = j + 1
		default:
			if n := guidLen(src[i:]); n > 0 {
				toks = append(toks, token{tokGUID, strings.ToLower(src[i : i+n]), i})
				i += n
				continue
			}
			if n := dateTimeLen(src[i:]); n > 0 {
				toks = append(toks, token{tokDateTime, src[i : i+n], i})
				i += n
				continue
			}
			if c == '-' || isDigit(c) {
				n := numberLen(src[i:])
				if n == 0 || (i+n < len(src) && isIdentChar(src[i+n])) {
					return nil, &filterSyntaxError{i, fmt.Sprintf("syntax error at position %d", i)}
				}
				toks = append(toks, token{tokNumber, src[i : i+n], i})
				i += n
				continue
			}
			if isIdentStart(c) {
				j := i + 1
				for j < len(src) && isIdentChar(src[j]) {
					j++
				}
				toks = append(toks, token{tokIdent, src[i:j], i})
				i = j
				continue
			}
			return nil, &filterSyntaxError{i, fmt.Sprintf("syntax error at position %d: unexpected character %q", i, rune(c))}
		}
	}
	return append(toks, token{tokEOF, "", len(src)}), nil
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isHex(c byte) bool        { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') }
func isIdentStart(c byte) bool { return c == '_' || c == '$' || (c|0x20 >= 'a' && c|0x20 <= 'z') }
func isIdentChar(c byte) bool  { return isIdentStart(c) || isDigit(c) || c == '.' }

// guidLen is 36 when s starts with an unquoted GUID literal not followed by
// an identifier character.
func guidLen(s string) int {
	if len(s) < 36 || (len(s) > 36 && isIdentChar(s[36])) {
		return 0
	}
	if !IsGUID(s[:36]) {
		return 0
	}
	return 36
}

// dateTimeLen is the length of an unquoted OData date (2021-11-01) or
// dateTimeOffset (2021-11-01T08:00:00Z, with optional seconds, fraction and
// offset) at the start of s, or 0.
func dateTimeLen(s string) int {
	digits := func(i, n int) bool {
		if i+n > len(s) {
			return false
		}
		for k := i; k < i+n; k++ {
			if !isDigit(s[k]) {
				return false
			}
		}
		return true
	}
	if !digits(0, 4) || len(s) < 10 || s[4] != '-' || !digits(5, 2) || s[7] != '-' || !digits(8, 2) {
		return 0
	}
	i := 10
	if i < len(s) && s[i] == 'T' {
		if !digits(i+1, 2) || i+3 >= len(s) || s[i+3] != ':' || !digits(i+4, 2) {
			return 0
		}
		i += 6
		if i < len(s) && s[i] == ':' {
			if !digits(i+1, 2) {
				return 0
			}
			i += 3
			if i < len(s) && s[i] == '.' {
				j := i + 1
				for j < len(s) && isDigit(s[j]) {
					j++
				}
				if j == i+1 {
					return 0
				}
				i = j
			}
		}
		switch {
		case i < len(s) && s[i] == 'Z':
			i++
		case i < len(s) && (s[i] == '+' || s[i] == '-'):
			if !digits(i+1, 2) || i+3 >= len(s) || s[i+3] != ':' || !digits(i+4, 2) {
				return 0
			}
			i += 6
		default:
			return 0
		}
	}
	if i < len(s) && isIdentChar(s[i]) {
		return 0
	}
	return i
}

func numberLen(s string) int {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i == start {
		return 0
	}
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if j == i+1 {
			return 0
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		if k == j {
			return 0
		}
		i = k
	}
	return i
}

// --- parser ---

type filterParser struct {
	src   string
	toks  []token
	i     int
	depth int
	vars  []string // lambda variables in scope
}

// parseFilter parses a $filter value into a tree.
func parseFilter(src string) (filterNode, error) {
	if len(src) > maxFilterLength {
		return nil, &filterSyntaxError{0, fmt.Sprintf("the filter is %d characters long; the limit is %d", len(src), maxFilterLength)}
	}
	if strings.TrimSpace(src) == "" {
		return nil, &filterSyntaxError{0, "the filter is empty"}
	}
	toks, err := lexFilter(src)
	if err != nil {
		return nil, err
	}
	p := &filterParser{src: src, toks: toks}
	n, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, p.unexpected(t)
	}
	return n, nil
}

func (p *filterParser) peek() token { return p.toks[p.i] }
func (p *filterParser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *filterParser) unexpected(t token) error {
	return &filterSyntaxError{t.pos, fmt.Sprintf("syntax error at position %d: unexpected %s", t.pos, t.describe())}
}

func (p *filterParser) expect(kind tokenKind, what string) (token, error) {
	t := p.next()
	if t.kind != kind {
		return t, &filterSyntaxError{t.pos, fmt.Sprintf("syntax error at position %d: expected %s, found %s", t.pos, what, t.describe())}
	}
	return t, nil
}

func (p *filterParser) isKeyword(word string) bool {
	t := p.peek()
	return t.kind == tokIdent && strings.EqualFold(t.text, word)
}

func (p *filterParser) enter() error {
	p.depth++
	if p.depth > maxFilterDepth {
		return &filterSyntaxError{p.peek().pos, fmt.Sprintf("the filter is nested more than %d levels deep", maxFilterDepth)}
	}
	return nil
}

func (p *filterParser) parseOr() (filterNode, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("or") {
		p.next()
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = filterLogic{"or", l, r}
	}
	return l, nil
}

func (p *filterParser) parseAnd() (filterNode, error) {
	l, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("and") {
		p.next()
		r, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		l = filterLogic{"and", l, r}
	}
	return l, nil
}

func (p *filterParser) parseNot() (filterNode, error) {
	if p.isKeyword("not") {
		p.next()
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		x, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return filterNot{x}, nil
	}
	return p.parseComparison()
}

var compareOps = map[string]bool{"eq": true, "ne": true, "gt": true, "ge": true, "lt": true, "le": true}

func (p *filterParser) parseComparison() (filterNode, error) {
	l, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if t.kind != tokIdent {
		return l, nil
	}
	op := strings.ToLower(t.text)
	switch {
	case compareOps[op]:
		p.next()
		r, err := p.parsePrimary()
		if err != nil {
			return nil, err
		}
		return filterCompare{op, l, r}, nil
	case op == "in":
		p.next()
		if _, err := p.expect(tokLParen, "'(' after in"); err != nil {
			return nil, err
		}
		var list []filterLiteral
		for {
			lt := p.next()
			lit, ok, err := literalOf(lt)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, &filterSyntaxError{lt.pos, fmt.Sprintf("syntax error at position %d: the values of in (...) must be literals, found %s", lt.pos, lt.describe())}
			}
			list = append(list, lit)
			sep := p.next()
			if sep.kind == tokRParen {
				break
			}
			if sep.kind != tokComma {
				return nil, &filterSyntaxError{sep.pos, fmt.Sprintf("syntax error at position %d: expected ',' or ')', found %s", sep.pos, sep.describe())}
			}
		}
		return filterIn{l, list}, nil
	}
	return l, nil
}

var filterFunctions = map[string]bool{"startswith": true, "endswith": true, "contains": true}

func (p *filterParser) parsePrimary() (filterNode, error) {
	t := p.next()
	if lit, ok, err := literalOf(t); err != nil {
		return nil, err
	} else if ok {
		return lit, nil
	}
	switch t.kind {
	case tokLParen:
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		n, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tokRParen, "')'"); err != nil {
			return nil, err
		}
		return n, nil
	case tokIdent:
		word := strings.ToLower(t.text)
		if keywords[word] {
			return nil, p.unexpected(t)
		}
		if p.peek().kind == tokLParen {
			if !filterFunctions[word] {
				return nil, &filterSyntaxError{t.pos, fmt.Sprintf("unknown function '%s' at position %d (supported: startswith, endswith, contains)", t.text, t.pos)}
			}
			p.next()
			if err := p.enter(); err != nil {
				return nil, err
			}
			defer func() { p.depth-- }()
			var args []filterNode
			if p.peek().kind != tokRParen {
				for {
					a, err := p.parseOperand()
					if err != nil {
						return nil, err
					}
					args = append(args, a)
					if p.peek().kind != tokComma {
						break
					}
					p.next()
				}
			}
			if _, err := p.expect(tokRParen, "')'"); err != nil {
				return nil, err
			}
			return filterCall{word, args}, nil
		}
		var name filterNode = filterProp{t.text}
		for _, v := range p.vars {
			if v == t.text {
				name = filterVar{t.text}
			}
		}
		if p.peek().kind == tokSlash {
			return p.parseLambda(t)
		}
		return name, nil
	}
	return nil, p.unexpected(t)
}

// parseOperand parses a function argument: a literal, a property, a range
// variable or a parenthesised expression.
func (p *filterParser) parseOperand() (filterNode, error) {
	return p.parseComparison()
}

func (p *filterParser) parseLambda(coll token) (filterNode, error) {
	p.next() // '/'
	opTok, err := p.expect(tokIdent, "any or all after '/'")
	if err != nil {
		return nil, err
	}
	op := strings.ToLower(opTok.text)
	if op != "any" && op != "all" {
		return nil, &filterSyntaxError{opTok.pos, fmt.Sprintf("syntax error at position %d: only the lambda operators any and all may follow '%s/', found %s", opTok.pos, coll.text, opTok.describe())}
	}
	if _, err := p.expect(tokLParen, "'(' after "+op); err != nil {
		return nil, err
	}
	if p.peek().kind == tokRParen {
		p.next()
		return filterLambda{coll: coll.text, op: op}, nil
	}
	v, err := p.expect(tokIdent, "a range variable")
	if err != nil {
		return nil, err
	}
	if keywords[strings.ToLower(v.text)] {
		return nil, p.unexpected(v)
	}
	if _, err := p.expect(tokColon, "':' after the range variable"); err != nil {
		return nil, err
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	p.vars = append(p.vars, v.text)
	body, err := p.parseOr()
	p.vars = p.vars[:len(p.vars)-1]
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tokRParen, "')'"); err != nil {
		return nil, err
	}
	return filterLambda{coll: coll.text, op: op, v: v.text, body: body}, nil
}

var keywords = map[string]bool{
	"and": true, "or": true, "not": true, "eq": true, "ne": true, "gt": true, "ge": true,
	"lt": true, "le": true, "in": true, "true": true, "false": true, "null": true,
}

// literalOf converts a literal token; ok is false for tokens that are not
// literals.
func literalOf(t token) (filterLiteral, bool, error) {
	switch t.kind {
	case tokString:
		return filterLiteral{kind: litString, s: t.text}, true, nil
	case tokGUID:
		return filterLiteral{kind: litGUID, s: t.text}, true, nil
	case tokNumber:
		n, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return filterLiteral{}, false, &filterSyntaxError{t.pos, fmt.Sprintf("the number %s at position %d is out of range", t.text, t.pos)}
		}
		return filterLiteral{kind: litNumber, n: n, raw: t.text}, true, nil
	case tokDateTime:
		tm, err := parseDateTimeLiteral(t.text)
		if err != nil {
			return filterLiteral{}, false, &filterSyntaxError{t.pos, fmt.Sprintf("the date %s at position %d is not valid", t.text, t.pos)}
		}
		return filterLiteral{kind: litDateTime, t: tm, raw: t.text}, true, nil
	case tokIdent:
		switch strings.ToLower(t.text) {
		case "true":
			return filterLiteral{kind: litBool, b: true}, true, nil
		case "false":
			return filterLiteral{kind: litBool, b: false}, true, nil
		case "null":
			return filterLiteral{kind: litNull}, true, nil
		}
	}
	return filterLiteral{}, false, nil
}

// parseDateTimeLiteral accepts the forms dateTimeLen recognises.
func parseDateTimeLiteral(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02", time.RFC3339Nano, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid date %q", s)
}

// --- validation against an endpoint's properties ---

// Type is the type of a filterable property.
type Type int

// The types of filterable properties.
const (
	TypeString Type = iota
	TypeBool
	TypeID // a GUID id: string or GUID literals
	TypeDateTime
	TypeEnum       // a string enum: compared case-insensitively like strings
	TypeCollection // a collection of strings: only any(x: x eq '...')
)

func (t Type) edmType() string {
	switch t {
	case TypeBool:
		return "Edm.Boolean"
	case TypeID:
		return "Edm.String"
	case TypeDateTime:
		return "Edm.DateTimeOffset"
	case TypeCollection:
		return "Collection(Edm.String)"
	}
	return "Edm.String"
}

// Property declares how a property may be filtered, as Graph's
// per-property documentation does. Ops are the operators that work by
// default; Advanced are those that need the advanced query parameters
// (the server says which: for Graph's directory, ConsistencyLevel: eventual
// and $count=true). Operator names are eq, ne, gt, ge, lt, le, in, not,
// startswith, endswith, contains and any or all (for collections, with the
// operators allowed inside in LambdaOps). A property with no operators
// exists but cannot be filtered on.
type Property struct {
	Name      string
	Type      Type
	Ops       []string
	Advanced  []string
	LambdaOps []string
	Nullable  bool // eq null and ne null are allowed
	// NullAdvanced: comparing with null needs the advanced query
	// parameters (the null values column of the directory's table).
	NullAdvanced bool
}

// Schema is what a resource's $filter supports.
type Schema struct {
	Resource string // as Graph names it in errors: "User"
	TypeName string // "microsoft.graph.user"
	Props    []Property
}

func (s *Schema) lookup(name string) *Property {
	for i := range s.Props {
		if strings.EqualFold(s.Props[i].Name, name) {
			return &s.Props[i]
		}
	}
	return nil
}

// opSupport says whether op works on p: by default, only in advanced
// queries, or not at all.
type opSupport int

const (
	opUnsupported opSupport = iota
	opDefault
	opAdvanced
)

func (p *Property) support(op string) opSupport {
	switch {
	case slices.Contains(p.Ops, op):
		return opDefault
	case slices.Contains(p.Advanced, op):
		return opAdvanced
	}
	return opUnsupported
}

// opNames are the spellings Graph's messages use.
var opNames = map[string]string{"startswith": "startsWith", "endswith": "endsWith", "contains": "contains"}

func opName(op string) string {
	if n, ok := opNames[op]; ok {
		return n
	}
	return op
}

// filterValidator checks a tree against a schema.
type filterValidator struct {
	schema   *Schema
	advanced bool // the request carries the advanced query parameters
}

func (v *filterValidator) unsupported(prop string) error {
	return errorf(Unsupported, "Unsupported or invalid query filter clause specified for property '%s' of resource '%s'.", prop, v.schema.Resource)
}

func (v *filterValidator) needsAdvanced(op string) error {
	return &Error{Kind: NeedsAdvanced, Operator: opName(op), Message: fmt.Sprintf("operator '%s' needs the advanced query parameters", opName(op))}
}

func badFilter(format string, args ...any) error {
	return errorf(Invalid, "Invalid filter clause: "+format, args...)
}

// property resolves a property operand (or reports why the operand is not
// one).
func (v *filterValidator) property(n filterNode) (*Property, error) {
	switch x := n.(type) {
	case filterProp:
		p := v.schema.lookup(x.name)
		if p == nil {
			return nil, badFilter("Could not find a property named '%s' on type '%s'.", x.name, v.schema.TypeName)
		}
		return p, nil
	case filterLiteral:
		return nil, badFilter("the left operand of a comparison must be a property, found the literal %s.", x.String())
	}
	return nil, badFilter("the left operand of a comparison must be a property, found %s.", n.String())
}

// check validates a boolean expression. lambda is the property whose
// lambda body is being checked (nil outside lambdas).
func (v *filterValidator) check(n filterNode, lambda *Property) error {
	switch x := n.(type) {
	case filterLogic:
		if err := v.check(x.l, lambda); err != nil {
			return err
		}
		return v.check(x.r, lambda)
	case filterNot:
		if lambda == nil {
			if err := v.checkNot(x); err != nil {
				return err
			}
		}
		return v.check(x.x, lambda)
	case filterCompare:
		if lambda != nil {
			return v.checkLambdaCompare(x.op, x.l, []filterNode{x.r}, lambda)
		}
		return v.checkCompare(x.op, x.l, []filterNode{x.r})
	case filterIn:
		rs := make([]filterNode, len(x.list))
		for i, l := range x.list {
			rs[i] = l
		}
		if lambda != nil {
			return v.checkLambdaCompare("in", x.l, rs, lambda)
		}
		return v.checkCompare("in", x.l, rs)
	case filterCall:
		return v.checkCall(x, lambda)
	case filterLambda:
		return v.checkLambda(x, lambda)
	case filterProp, filterVar, filterLiteral:
		return badFilter("'%s' is not a condition; compare it, for example %s eq true.", x.String(), x.String())
	}
	return badFilter("unexpected expression %s.", n.String())
}

// checkNot checks that the property a negation tests takes `not`.
func (v *filterValidator) checkNot(x filterNot) error {
	prop := v.schema.lookup(firstProperty(x.x))
	if prop == nil {
		return nil // the operand's own check names the problem
	}
	switch prop.support("not") {
	case opUnsupported:
		return v.unsupported(prop.Name)
	case opAdvanced:
		if !v.advanced {
			return v.needsAdvanced("not")
		}
	}
	return nil
}

// checkCompare validates `l op r` or `l in (rs)` outside lambdas: l a
// property that takes op, each r a literal of its type.
func (v *filterValidator) checkCompare(op string, l filterNode, rs []filterNode) error {
	p, err := v.property(l)
	if err != nil {
		return err
	}
	if err := v.operator(p, op); err != nil {
		return err
	}
	for _, r := range rs {
		if err := v.literalFor(p, r, op); err != nil {
			return err
		}
	}
	return nil
}

// checkCall validates startswith, endswith or contains.
func (v *filterValidator) checkCall(x filterCall, lambda *Property) error {
	if len(x.args) != 2 {
		return badFilter("%s takes 2 arguments (a property and a string), found %d.", opName(x.fn), len(x.args))
	}
	if lambda != nil {
		return v.checkLambdaCompare(x.fn, x.args[0], x.args[1:], lambda)
	}
	p, err := v.property(x.args[0])
	if err != nil {
		return err
	}
	if err := v.operator(p, x.fn); err != nil {
		return err
	}
	if lit, ok := x.args[1].(filterLiteral); !ok || lit.kind != litString {
		return badFilter("the second argument of %s must be a string literal, found %s.", opName(x.fn), x.args[1].String())
	}
	return nil
}

// checkLambda validates coll/any(...) or coll/all(...); lambdas do not nest.
func (v *filterValidator) checkLambda(x filterLambda, lambda *Property) error {
	if lambda != nil {
		return v.unsupported(x.coll)
	}
	p := v.schema.lookup(x.coll)
	if p == nil {
		return badFilter("Could not find a property named '%s' on type '%s'.", x.coll, v.schema.TypeName)
	}
	if p.Type != TypeCollection {
		return badFilter("the lambda operator %s needs a collection, and '%s' is not one.", x.op, p.Name)
	}
	if err := v.operator(p, x.op); err != nil {
		return err
	}
	if x.body == nil {
		return nil
	}
	return v.check(x.body, p)
}

// checkLambdaCompare validates a comparison inside coll/any(x: ...): the
// left operand must be the range variable and the values string literals.
func (v *filterValidator) checkLambdaCompare(op string, l filterNode, rs []filterNode, coll *Property) error {
	if _, ok := l.(filterVar); !ok {
		return v.unsupported(coll.Name)
	}
	if !slices.Contains(coll.LambdaOps, op) {
		return v.unsupported(coll.Name)
	}
	for _, r := range rs {
		lit, ok := r.(filterLiteral)
		if !ok || lit.kind != litString {
			return badFilter("A binary operator with incompatible types was detected. Found operand types 'Edm.String' and '%s' for operator kind '%s'.", edmOf(r), opKind(op))
		}
	}
	return nil
}

func (v *filterValidator) operator(p *Property, op string) error {
	switch p.support(op) {
	case opUnsupported:
		return v.unsupported(p.Name)
	case opAdvanced:
		if !v.advanced {
			return v.needsAdvanced(op)
		}
	}
	return nil
}

// literalFor checks that r is a literal of p's type.
func (v *filterValidator) literalFor(p *Property, r filterNode, op string) error {
	lit, ok := r.(filterLiteral)
	if !ok {
		return badFilter("the right operand of %s on '%s' must be a literal, found %s.", op, p.Name, r.String())
	}
	fits := false
	switch lit.kind {
	case litNull:
		fits = p.Nullable && (op == "eq" || op == "ne" || op == "in")
	case litString:
		fits = p.Type == TypeString || p.Type == TypeEnum || p.Type == TypeID
	case litGUID:
		fits = p.Type == TypeID
	case litBool:
		fits = p.Type == TypeBool
	case litDateTime:
		fits = p.Type == TypeDateTime
	}
	if fits && lit.kind == litNull && p.NullAdvanced && !v.advanced {
		return v.needsAdvanced(op)
	}
	if !fits {
		if lit.kind == litNull {
			return v.unsupported(p.Name)
		}
		return badFilter("A binary operator with incompatible types was detected. Found operand types '%s' and '%s' for operator kind '%s'.", p.Type.edmType(), lit.kind.edmType(), opKind(op))
	}
	if p.Type == TypeID && lit.kind == litString && !IsGUID(lit.s) {
		return badFilter("'%s' is not a valid object id.", lit.s)
	}
	return nil
}

func edmOf(n filterNode) string {
	if lit, ok := n.(filterLiteral); ok {
		return lit.kind.edmType()
	}
	return "expression"
}

func opKind(op string) string {
	switch op {
	case "eq":
		return "Equal"
	case "ne":
		return "NotEqual"
	case "gt":
		return "GreaterThan"
	case "ge":
		return "GreaterThanOrEqual"
	case "lt":
		return "LessThan"
	case "le":
		return "LessThanOrEqual"
	case "in":
		return "In"
	}
	return opName(op)
}

// firstProperty names the first property a negated expression tests.
func firstProperty(n filterNode) string {
	switch x := n.(type) {
	case filterLogic:
		if p := firstProperty(x.l); p != "" {
			return p
		}
		return firstProperty(x.r)
	case filterNot:
		return firstProperty(x.x)
	case filterCompare:
		return firstProperty(x.l)
	case filterIn:
		return firstProperty(x.l)
	case filterCall:
		if len(x.args) > 0 {
			return firstProperty(x.args[0])
		}
	case filterLambda:
		return x.coll
	case filterProp:
		return x.name
	}
	return ""
}

// Filter is a validated filter ready to evaluate.
type Filter struct {
	root filterNode
}

// CompileFilter parses and validates a $filter value against schema;
// advanced says the request carries the advanced query parameters. It
// returns nil and no error for an empty filter. Errors are *Error: Invalid
// for malformed or ill-typed clauses, Unsupported for properties or
// operators the schema does not support, NeedsAdvanced for operators it
// supports only in advanced queries.
func CompileFilter(src string, schema *Schema, advanced bool) (*Filter, error) {
	if src == "" {
		return nil, nil
	}
	n, err := parseFilter(src)
	if err != nil {
		return nil, badFilter("%s in '%s'.", err.Error(), src)
	}
	v := &filterValidator{schema: schema, advanced: advanced}
	if err := v.check(n, nil); err != nil {
		return nil, err
	}
	return &Filter{root: n}, nil
}

// Match evaluates the filter on one object (a nil filter matches every
// object). get returns a property's value by the schema's name: string,
// bool, time.Time, []string, or nil for null.
func (f *Filter) Match(get func(name string) any) bool {
	if f == nil {
		return true
	}
	e := &filterEval{get: get}
	return e.eval(f.root)
}

type filterEval struct {
	get  func(string) any
	vars map[string]string
}

func (e *filterEval) eval(n filterNode) bool {
	switch x := n.(type) {
	case filterLogic:
		if x.op == "and" {
			return e.eval(x.l) && e.eval(x.r)
		}
		return e.eval(x.l) || e.eval(x.r)
	case filterNot:
		return !e.eval(x.x)
	case filterCompare:
		lit, _ := x.r.(filterLiteral)
		return compareValues(e.value(x.l), x.op, lit)
	case filterIn:
		val := e.value(x.l)
		for _, lit := range x.list {
			if compareValues(val, "eq", lit) {
				return true
			}
		}
		return false
	case filterCall:
		if len(x.args) != 2 {
			return false
		}
		s, ok := e.value(x.args[0]).(string)
		lit, _ := x.args[1].(filterLiteral)
		if !ok {
			return false
		}
		s, arg := strings.ToLower(s), strings.ToLower(lit.s)
		switch x.fn {
		case "startswith":
			return strings.HasPrefix(s, arg)
		case "endswith":
			return strings.HasSuffix(s, arg)
		case "contains":
			return strings.Contains(s, arg)
		}
		return false
	case filterLambda:
		items, _ := e.value(filterProp{x.coll}).([]string)
		if x.body == nil {
			return x.op == "any" && len(items) > 0 || x.op == "all"
		}
		if e.vars == nil {
			e.vars = map[string]string{}
		}
		saved, had := e.vars[x.v]
		defer func() {
			if had {
				e.vars[x.v] = saved
			} else {
				delete(e.vars, x.v)
			}
		}()
		for _, it := range items {
			e.vars[x.v] = it
			hit := e.eval(x.body)
			if x.op == "any" && hit {
				return true
			}
			if x.op == "all" && !hit {
				return false
			}
		}
		return x.op == "all"
	}
	return false
}

func (e *filterEval) value(n filterNode) any {
	switch x := n.(type) {
	case filterProp:
		return e.get(x.name)
	case filterVar:
		if v, ok := e.vars[x.name]; ok {
			return v
		}
		return nil
	case filterLiteral:
		return x
	}
	return nil
}

// compareValues applies op to a property value and a literal. Strings
// compare case-insensitively, as the directory does; an empty string is
// null.
func compareValues(val any, op string, lit filterLiteral) bool {
	if lit.kind == litNull {
		isNull := val == nil
		if s, ok := val.(string); ok && s == "" {
			isNull = true
		}
		switch op {
		case "eq":
			return isNull
		case "ne":
			return !isNull
		}
		return false
	}
	var c int
	switch v := val.(type) {
	case string:
		if lit.kind != litString && lit.kind != litGUID {
			return false
		}
		if op == "eq" || op == "ne" {
			eq := strings.EqualFold(v, lit.s)
			return eq == (op == "eq")
		}
		c = strings.Compare(strings.ToLower(v), strings.ToLower(lit.s))
	case bool:
		if lit.kind != litBool {
			return false
		}
		switch op {
		case "eq":
			return v == lit.b
		case "ne":
			return v != lit.b
		}
		return false
	case time.Time:
		if lit.kind != litDateTime {
			return false
		}
		c = v.Compare(lit.t)
	default:
		// null (or a type the filter cannot compare): only ne matches.
		return op == "ne"
	}
	switch op {
	case "eq":
		return c == 0
	case "ne":
		return c != 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	}
	return false
}

// Conjunct is a condition every object the filter matches meets: a
// top-level `and` operand of the form `property eq literal`,
// `property in (literals)` or `startswith(property, 'prefix')`. A caller
// may use conjuncts to narrow its candidates (an index walk instead of a
// scan); the filter must still be evaluated on every candidate.
type Conjunct struct {
	Property string // as written in the filter
	Op       string // "eq", "in" or "startswith"
	// Values are the literals: string (GUIDs lower-cased), bool, float64,
	// time.Time, or nil for null.
	Values []any
}

// Conjuncts lists the filter's top-level conjuncts in the order written (a
// nil filter has none).
func (f *Filter) Conjuncts() []Conjunct {
	if f == nil {
		return nil
	}
	var out []Conjunct
	var walk func(n filterNode)
	walk = func(n filterNode) {
		switch x := n.(type) {
		case filterLogic:
			if x.op == "and" {
				walk(x.l)
				walk(x.r)
			}
		case filterCompare:
			p, isProp := x.l.(filterProp)
			lit, isLit := x.r.(filterLiteral)
			if isProp && isLit && x.op == "eq" {
				out = append(out, Conjunct{Property: p.name, Op: "eq", Values: []any{lit.value()}})
			}
		case filterIn:
			if p, isProp := x.l.(filterProp); isProp {
				vals := make([]any, len(x.list))
				for i, lit := range x.list {
					vals[i] = lit.value()
				}
				out = append(out, Conjunct{Property: p.name, Op: "in", Values: vals})
			}
		case filterCall:
			if x.fn != "startswith" || len(x.args) != 2 {
				return
			}
			p, isProp := x.args[0].(filterProp)
			lit, isLit := x.args[1].(filterLiteral)
			if isProp && isLit && lit.kind == litString {
				out = append(out, Conjunct{Property: p.name, Op: "startswith", Values: []any{lit.s}})
			}
		}
	}
	walk(f.root)
	return out
}

// value is the literal as Match's values are typed.
func (n filterLiteral) value() any {
	switch n.kind {
	case litString, litGUID:
		return n.s
	case litBool:
		return n.b
	case litNumber:
		return n.n
	case litDateTime:
		return n.t
	}
	return nil
}
