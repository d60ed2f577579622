package methods

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// Phone is a phone number parsed and checked for an Entra phone method.
// Values are comparable with ==; the zero value is not a number.
type Phone struct {
	// CountryCode is the ITU country calling code (1 for NANP, 44 for the UK).
	CountryCode int
	// Number is the national significant number: digits only, without the
	// country code or a trunk prefix ("4255550100", "2071838750").
	Number string
	// Extension is the office extension's digits, empty for none.
	Extension string
	// Type is the phone type the number was checked for.
	Type PhoneType
	// Allocated reports whether the number lies in a range the country's
	// numbering plan has assigned to subscribers. The fictional ranges used in
	// documentation (+1 555-01xx, Ofcom's drama numbers) are possible but not
	// allocated, so this is a reason for a warning, never for refusing.
	Allocated bool
}

// Entra renders the number as Graph expects it: "+{cc} {number}" with an
// optional "x{extension}", e.g. "+1 4255550100" or "+1 4255550100x123".
func (p Phone) Entra() string {
	s := "+" + strconv.Itoa(p.CountryCode) + " " + p.Number
	if p.Extension != "" {
		s += "x" + p.Extension
	}
	return s
}

// String is the Entra form, so a Phone prints the way Entra shows it.
func (p Phone) String() string { return p.Entra() }

// E164 renders the number without spaces or extension, e.g. "+14255550100",
// the form SMS gateways and telephony APIs use.
func (p Phone) E164() string {
	return "+" + strconv.Itoa(p.CountryCode) + p.Number
}

// SameNumber reports whether p and q ring the same line, ignoring the
// extension and the phone type: two users who share an office switchboard
// differ only by extension, and SMS sign-in cares about the line.
func (p Phone) SameNumber(q Phone) bool {
	return p.CountryCode == q.CountryCode && p.Number == q.Number
}

// SameNumber reports whether two numbers as stored or typed (Entra form,
// E.164, or international with separators) are the same line, ignoring
// formatting and extensions. It backs the "number already registered to
// another user" warning, so it errs on the side of comparing digits when a
// stored value does not parse (legacy data can be in any shape).
func SameNumber(a, b string) bool {
	return LineKeysOf(a).Same(LineKeysOf(b))
}

// LineKeys are what SameNumber compares of a number, so a store can index
// numbers by them and find the numbers the same as one without comparing
// it with each.
type LineKeys struct {
	// Line is the country code and national number ("+1 4255550100") of
	// a number that parses (as an office number: any type, extension
	// ignored); "" when it does not.
	Line string
	// Digits are the digits before any extension marker, as written
	// ("14255550100"); "" when there are none.
	Digits string
}

// LineKeysOf parses s once for SameNumber's comparison.
func LineKeysOf(s string) LineKeys {
	k := LineKeys{Digits: lineDigits(s)}
	if p, err := ParsePhone(s, "", PhoneOffice); err == nil {
		k.Line = "+" + strconv.Itoa(p.CountryCode) + " " + p.Number
	}
	return k
}

// Same reports whether two numbers are the same line: the parsed lines
// when both parse, else the digits as written.
func (k LineKeys) Same(o LineKeys) bool {
	if k.Line != "" && o.Line != "" {
		return k.Line == o.Line
	}
	return k.Digits != "" && k.Digits == o.Digits
}

// lineDigits keeps the digits before any extension marker.
func lineDigits(s string) string {
	if main, _, ok := splitExtension(s); ok {
		s = main
	}
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Phone-number problems. ParsePhone and ValidEntraFormat return a
// *PhoneError that wraps one of these, so callers can test with errors.Is.
var (
	ErrPhoneEmpty       = errors.New("empty phone number")
	ErrPhoneCharacters  = errors.New("phone number contains characters that are not part of a number")
	ErrPhoneNoCountry   = errors.New("phone number has no country code")
	ErrPhoneRegion      = errors.New("unknown country")
	ErrPhoneCountryCode = errors.New("unknown country calling code")
	ErrPhoneTooShort    = errors.New("phone number too short")
	ErrPhoneTooLong     = errors.New("phone number too long")
	ErrPhoneLocal       = errors.New("local phone number without area code")
	ErrPhoneImpossible  = errors.New("phone number cannot exist")
	ErrPhoneExtension   = errors.New("extension not allowed")
	ErrPhoneFormat      = errors.New("not in Entra's phone number format")
	ErrPhoneType        = errors.New("unknown phone type")
)

// Limits of Entra's phone number format.
const (
	maxExtensionDigits   = 10
	maxE164Digits        = 15 // country code and national number together (ITU E.164)
	minNationalDigits    = 4
	maxCountryCodeDigits = 3
)

// PhoneError explains why a phone number was refused: what is wrong and how
// to fix it, on one line.
type PhoneError struct {
	Input   string // the text as given
	Problem string // what is wrong, e.g. "it is too short for +1 (10 digits expected, 9 given)"
	Fix     string // what to do, e.g. "check the digits"; may be empty
	Kind    error  // one of the ErrPhone... sentinels
}

func (e *PhoneError) Error() string {
	msg := fmt.Sprintf("phone number %q: %s", e.Input, e.Problem)
	if e.Fix != "" {
		msg += "; " + e.Fix
	}
	return msg
}

// Unwrap lets errors.Is match the ErrPhone... sentinel.
func (e *PhoneError) Unwrap() error { return e.Kind }

func phoneErr(input string, kind error, problem, fix string) *PhoneError {
	return &PhoneError{Input: oneLine(input), Problem: problem, Fix: fix, Kind: kind}
}

// oneLine keeps error messages on one line whatever the user typed.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// ParsePhone parses a phone number as a person would type it and checks it
// for an Entra phone method of type t.
//
// Accepted: E.164 ("+14255550100"); international with spaces, dashes,
// dots, slashes or parentheses ("+44 20 7183 8750", "+1 (425) 555-0100");
// Entra's own form ("+1 4255550100x123"); a "tel:" URI; "00" before the
// country code when no region is given; a national number when
// defaultRegion names its country ("(425) 555-0100" with "US"). An
// extension may follow as "x123", "ext. 123", "ext 123", "extension 123",
// "#123" or ";ext=123", and only on office phones.
//
// The number must be possible (right length for its country) and fit the
// country's general numbering pattern, which refuses typos such as a NANP
// area code starting with 0 or 1. It need not be allocated: the fictional
// +1 555-01xx numbers used in every example must work, so Phone.Allocated
// reports that instead. Errors are *PhoneError values naming the problem
// and the fix on one line.
func ParsePhone(input, defaultRegion string, t PhoneType) (Phone, error) {
	if !slices.Contains(PhoneTypes, t) {
		return Phone{}, phoneErr(input, ErrPhoneType, fmt.Sprintf("unknown phone type %q", t), "use mobile, alternateMobile or office")
	}
	region, err := normaliseRegion(input, defaultRegion)
	if err != nil {
		return Phone{}, err
	}
	s := strings.TrimSpace(input)
	if len(s) >= 4 && strings.EqualFold(s[:4], "tel:") {
		s = strings.TrimSpace(s[4:])
	}
	if s == "" {
		return Phone{}, phoneErr(input, ErrPhoneEmpty, "it is empty", "write the number as +1 4255550100 or give --country for a national number")
	}
	main, ext, hasExt := splitExtension(s)
	if hasExt {
		if t != PhoneOffice {
			// Entra accepts an extension on any type (ValidEntraFormat);
			// this is mfactl's advice: SMS and app calls cannot dial one.
			return Phone{}, phoneErr(input, ErrPhoneExtension, fmt.Sprintf("mfactl allows extensions only on office phones, not on %s (Entra would store it, but a text or call to a %s cannot dial an extension)", t, t), "drop the extension or use --type office")
		}
		if len(ext) > maxExtensionDigits {
			return Phone{}, phoneErr(input, ErrPhoneExtension, fmt.Sprintf("the extension has %d digits, Entra allows at most %d", len(ext), maxExtensionDigits), "check the extension")
		}
	}
	if err := checkPhoneCharacters(input, main); err != nil {
		return Phone{}, err
	}
	// Any white space between digit groups (a tab pasted from a
	// spreadsheet, a no-break space) is a separator, as a space is:
	// phonenumbers reads only spaces as such.
	main = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, main)
	if region == "" && strings.HasPrefix(main, "00") {
		// Most of the world dials "00" before a country code; with no
		// region to say otherwise, read it as "+".
		main = "+" + main[2:]
	}
	if region == "" && !strings.HasPrefix(main, "+") {
		return Phone{}, noCountryError(input)
	}

	n, err := phonenumbers.Parse(main, region)
	if err != nil {
		return Phone{}, libraryParseError(input, main, region, err)
	}
	if n.GetExtension() != "" {
		// splitExtension removed every marker phonenumbers knows; one left
		// over means the two disagree, so refuse rather than guess.
		return Phone{}, phoneErr(input, ErrPhoneCharacters, "it has an extension written in a way mfactl does not recognise", "write the extension as x123")
	}
	cc := int(n.GetCountryCode())
	nsn := phonenumbers.GetNationalSignificantNumber(n)

	switch phonenumbers.IsPossibleNumberWithReason(n) {
	case phonenumbers.IS_POSSIBLE:
	case phonenumbers.INVALID_COUNTRY_CODE:
		return Phone{}, phoneErr(input, ErrPhoneCountryCode, fmt.Sprintf("+%d is not a country calling code", cc), "check the digits after +")
	case phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return Phone{}, phoneErr(input, ErrPhoneLocal, fmt.Sprintf("it is a local number without its area code (+%d numbers have %s digits)", cc, lengthList(cc)), "add the area code")
	case phonenumbers.TOO_SHORT:
		return Phone{}, phoneErr(input, ErrPhoneTooShort, fmt.Sprintf("it is too short for +%d (%s digits expected after the country code, %d given)", cc, lengthList(cc), len(nsn)), "check for a missing digit")
	case phonenumbers.TOO_LONG:
		return Phone{}, phoneErr(input, ErrPhoneTooLong, fmt.Sprintf("it is too long for +%d (%s digits expected after the country code, %d given)", cc, lengthList(cc), len(nsn)), "check for an extra digit")
	default: // INVALID_LENGTH
		return Phone{}, phoneErr(input, ErrPhoneImpossible, fmt.Sprintf("+%d numbers have %s digits after the country code, not %d", cc, lengthList(cc), len(nsn)), "check the digits")
	}
	if !fitsNumberingPlan(cc, nsn) {
		return Phone{}, phoneErr(input, ErrPhoneImpossible, fmt.Sprintf("it is not a possible +%d number (the digits do not fit the country's numbering plan)", cc), "check for a missing, extra or mistyped digit")
	}
	if len(strconv.Itoa(cc))+len(nsn) > maxE164Digits {
		return Phone{}, phoneErr(input, ErrPhoneTooLong, fmt.Sprintf("it has %d digits, E.164 allows at most %d", len(strconv.Itoa(cc))+len(nsn), maxE164Digits), "check for extra digits")
	}
	if len(nsn) < minNationalDigits {
		return Phone{}, phoneErr(input, ErrPhoneTooShort, fmt.Sprintf("Entra needs at least %d digits after the country code", minNationalDigits), "check for missing digits")
	}
	return Phone{
		CountryCode: cc,
		Number:      nsn,
		Extension:   ext,
		Type:        t,
		Allocated:   phonenumbers.IsValidNumber(n) && !fictional(cc, nsn),
	}, nil
}

// fictional reports whether a number is in a range reserved for fiction
// and documentation, which the phonenumbers metadata counts as valid: the
// NANP's 555-0100 to 555-0199 in every area code (NANPA's "555 line
// numbers" reservation for fictitious use).
func fictional(cc int, nsn string) bool {
	return cc == 1 && len(nsn) == 10 && nsn[3:7] == "5550" && nsn[7] == '1'
}

// normaliseRegion accepts a two-letter ISO 3166 region code in any case
// ("us", "GB") and "UK", which people type for the United Kingdom.
func normaliseRegion(input, region string) (string, error) {
	r := strings.ToUpper(strings.TrimSpace(region))
	switch r {
	case "":
		return "", nil
	case "UK":
		return "GB", nil
	}
	if phonenumbers.GetCountryCodeForRegion(r) == 0 {
		return "", phoneErr(input, ErrPhoneRegion, fmt.Sprintf("unknown country %q", oneLine(region)), "use a two-letter ISO code such as US, GB, DE or IN")
	}
	return r, nil
}

// extensionPattern finds an extension at the end of a number. The markers
// are the ones people write ("x123", "ext. 123", "#123") and RFC 3966's
// ";ext=123". Anything else that is not a digit is left for
// checkPhoneCharacters to refuse.
var extensionPattern = regexp.MustCompile(`(?i)^(.*?)\s*(?:;\s*ext\s*=|,?\s*(?:extension|ext\.?|x|#))\s*:?\s*([0-9]+)\s*$`)

// splitExtension separates "main x123" into main and the extension digits.
func splitExtension(s string) (main, ext string, ok bool) {
	m := extensionPattern.FindStringSubmatch(s)
	if m == nil {
		return s, "", false
	}
	return m[1], m[2], true
}

// checkPhoneCharacters allows digits, a leading +, white space and the
// separators people put between digit groups. phonenumbers would turn
// letters into keypad digits (1-800-FLOWERS), which is never what an admin
// registering a user's phone means, so letters are refused here.
func checkPhoneCharacters(input, main string) error {
	for i, r := range main {
		switch {
		case r >= '0' && r <= '9', unicode.IsSpace(r), r == '-', r == '.', r == '(', r == ')', r == '/',
			unicode.Is(unicode.Pd, r), r == '\u2212':
		case r == '+' && i == 0:
		case r == '+':
			return phoneErr(input, ErrPhoneCharacters, "+ may only come first, before the country code", "write the number as +1 4255550100")
		case unicode.IsLetter(r):
			return phoneErr(input, ErrPhoneCharacters, "it contains letters", "write digits only; an office extension is written x123 or ext. 123")
		default:
			return phoneErr(input, ErrPhoneCharacters, fmt.Sprintf("it contains %q", r), "write digits only, with spaces or dashes between groups")
		}
	}
	if !strings.ContainsAny(main, "0123456789") {
		return phoneErr(input, ErrPhoneCharacters, "it contains no digits", "write the number as +1 4255550100")
	}
	return nil
}

func noCountryError(input string) error {
	return phoneErr(input, ErrPhoneNoCountry, "it has no country code",
		"add --country with the two-letter country (e.g. --country US) or write the number as +<country code> <number>, e.g. +1 4255550100")
}

// libraryParseError translates phonenumbers' parse errors into ours.
func libraryParseError(input, main, region string, err error) error {
	switch {
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		if strings.HasPrefix(main, "+") {
			return phoneErr(input, ErrPhoneCountryCode, fmt.Sprintf("+%s is not a country calling code", leadingDigits(main[1:], maxCountryCodeDigits)), "check the digits after +")
		}
		if region != "" {
			return phoneErr(input, ErrPhoneCountryCode, fmt.Sprintf("it starts with %s's international prefix but no known country code follows", region), "check the digits, or write the number as +<country code> <number>")
		}
		return noCountryError(input)
	case errors.Is(err, phonenumbers.ErrNumTooLong):
		return phoneErr(input, ErrPhoneTooLong, "it is too long to be a phone number", "check for extra digits")
	case errors.Is(err, phonenumbers.ErrNotANumber), errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
		return phoneErr(input, ErrPhoneTooShort, "it is too short to be a phone number", "check for missing digits")
	}
	return phoneErr(input, ErrPhoneImpossible, "it could not be read as a phone number", "write it as +1 4255550100")
}

func leadingDigits(s string, max int) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() == max {
			break
		}
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else if b.Len() > 0 {
			break
		}
	}
	return b.String()
}

// numberingPlan is what ParsePhone needs from phonenumbers' metadata for one
// country calling code: the general number patterns of every region that
// shares it, and the possible lengths used in messages.
type numberingPlan struct {
	patterns []*regexp.Regexp
	lengths  []int32
}

var (
	plansMu sync.Mutex
	plans   = map[int]*numberingPlan{}
)

// planFor builds (once per calling code) the plan from the metadata
// phonenumbers loaded at init.
func planFor(cc int) *numberingPlan {
	plansMu.Lock()
	defer plansMu.Unlock()
	if p, ok := plans[cc]; ok {
		return p
	}
	p := &numberingPlan{}
	coll, err := phonenumbers.MetadataCollection()
	if err == nil {
		main := phonenumbers.GetRegionCodeForCountryCode(cc)
		for _, md := range coll.GetMetadata() {
			if int(md.GetCountryCode()) != cc {
				continue
			}
			desc := md.GetGeneralDesc()
			if pat := desc.GetNationalNumberPattern(); pat != "" {
				if re, err := regexp.Compile("^(?:" + pat + ")$"); err == nil {
					p.patterns = append(p.patterns, re)
				}
			}
			if md.GetId() == main {
				p.lengths = desc.GetPossibleLength()
			}
		}
	}
	plans[cc] = p
	return p
}

// fitsNumberingPlan reports whether nsn matches the general pattern of a
// region using cc. A calling code without patterns (none today) passes, as
// the length check already ran.
func fitsNumberingPlan(cc int, nsn string) bool {
	p := planFor(cc)
	if len(p.patterns) == 0 {
		return true
	}
	for _, re := range p.patterns {
		if re.MatchString(nsn) {
			return true
		}
	}
	return false
}

// lengthList renders the possible national lengths of cc: "10", "9 or 10",
// "7, 9 or 10".
func lengthList(cc int) string {
	ls := planFor(cc).lengths
	if len(ls) == 0 {
		return "a different number of"
	}
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = strconv.Itoa(int(l))
	}
	if len(parts) == 1 {
		return parts[0]
	}
	if len(parts) > 4 && int(ls[len(ls)-1])-int(ls[0]) == len(ls)-1 {
		return parts[0] + " to " + parts[len(parts)-1]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

// ValidEntraFormat is the strict check Entra applies to phoneNumber on
// create and update, and the one the mock server enforces: "+", a country
// code of 1 to 3 digits not starting with 0, one space, 4 to 14 digits, at
// most 15 digits in all (E.164), then an optional "x" and 1 to 10
// extension digits on any phone type. It checks the shape, not whether the
// number exists; ParsePhone does that.
func ValidEntraFormat(s string, t PhoneType) error {
	bad := func(kind error, problem, fix string) error { return phoneErr(s, kind, problem, fix) }
	const example = "write it as +1 4255550100 (office: +1 4255550100x123)"
	if !slices.Contains(PhoneTypes, t) {
		return bad(ErrPhoneType, fmt.Sprintf("unknown phone type %q", t), "use mobile, alternateMobile or office")
	}
	if s == "" {
		return bad(ErrPhoneEmpty, "it is empty", example)
	}
	if s[0] != '+' {
		return bad(ErrPhoneFormat, "it must start with + and the country code", example)
	}
	cc, rest, ok := strings.Cut(s[1:], " ")
	if !ok {
		return bad(ErrPhoneFormat, "it needs one space between the country code and the number", example)
	}
	if cc == "" || len(cc) > maxCountryCodeDigits || cc[0] == '0' || !allDigits(cc) {
		return bad(ErrPhoneFormat, "the country code must be 1 to 3 digits, not starting with 0", example)
	}
	number, ext, hasExt := strings.Cut(rest, "x")
	if !allDigits(number) {
		return bad(ErrPhoneFormat, "only digits may follow the country code (one space after it, no other separators)", example)
	}
	if len(number) < minNationalDigits || len(number) > maxE164Digits-1 {
		return bad(ErrPhoneFormat, fmt.Sprintf("the number after the country code must have %d to %d digits, not %d", minNationalDigits, maxE164Digits-1, len(number)), "check the digits")
	}
	if len(cc)+len(number) > maxE164Digits {
		return bad(ErrPhoneFormat, fmt.Sprintf("it has %d digits, E.164 allows at most %d", len(cc)+len(number), maxE164Digits), "check the digits")
	}
	// The extension is not restricted by phone type: "Phone numbers use
	// the format +{country code} {number}x{extension}, with extension
	// optional" for every phoneType
	// (api-reference/v1.0/resources/phoneauthenticationmethod.md).
	// ParsePhone, mfactl's own advice, still refuses one on a mobile.
	if hasExt {
		if ext == "" || len(ext) > maxExtensionDigits || !allDigits(ext) {
			return bad(ErrPhoneFormat, fmt.Sprintf("the extension after x must be 1 to %d digits", maxExtensionDigits), example)
		}
	}
	return nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// MaskPhone hides a phone number from readers who may know that a user has
// a phone but not which: the country code and the last two digits stay,
// every other digit becomes X, and an extension is hidden whole, e.g.
// "+1 4255550100" -> "+1 XXXXXXXX00" and "+1 4255550100x123" ->
// "+1 XXXXXXXX00xXXX". Graph does not document its exact masking, so this
// follows the shape the Entra portal shows. Numbers with fewer than six
// digits after the country code are masked entirely, because two digits of
// a very short number say too much. Text that is not in Entra's form is
// masked digit by digit the same way, keeping its punctuation.
func MaskPhone(s string) string {
	prefix, rest := "", s
	if strings.HasPrefix(s, "+") {
		if cc, after, ok := strings.Cut(s[1:], " "); ok && allDigits(cc) {
			prefix, rest = "+"+cc+" ", after
		}
	}
	main, ext, hasExt := strings.Cut(rest, "x")
	if !hasExt {
		main, ext, hasExt = rest, "", false
	}
	// X counts as a digit so that masking a masked number changes nothing.
	isDigit := func(r rune) bool { return r >= '0' && r <= '9' || r == 'X' }
	digits := 0
	for _, r := range main {
		if isDigit(r) {
			digits++
		}
	}
	keep := 2
	if digits < 6 {
		keep = 0
	}
	var b strings.Builder
	b.WriteString(prefix)
	seen := 0
	for _, r := range main {
		if isDigit(r) {
			seen++
			if seen <= digits-keep {
				r = 'X'
			}
		}
		b.WriteRune(r)
	}
	if hasExt {
		b.WriteByte('x')
		for _, r := range ext {
			if r >= '0' && r <= '9' {
				r = 'X'
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}
