package methods

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

func TestParsePhoneAccepts(t *testing.T) {
	tests := []struct {
		input, region string
		typ           PhoneType
		want          string // Entra form
		allocated     bool
	}{
		// United States: every way the issue and the docs write the same number.
		{"(425) 555-0100", "US", PhoneMobile, "+1 4255550100", false},
		{"+14255550100", "", PhoneMobile, "+1 4255550100", false},
		{"+1 4255550100", "", PhoneMobile, "+1 4255550100", false},
		{"+1 425 555 0100", "", PhoneMobile, "+1 4255550100", false},
		{"+1.425.555.0100", "", PhoneAlternateMobile, "+1 4255550100", false},
		{"+1 (425) 555-0100", "", PhoneMobile, "+1 4255550100", false},
		{"1 425 555 0100", "us", PhoneMobile, "+1 4255550100", false},
		{"425/555-0100", "US", PhoneMobile, "+1 4255550100", false},
		{"\u00a0+1\u00a0425\u2013555\u20130100 ", "", PhoneMobile, "+1 4255550100", false}, // copied from a web page
		{"tel:+1-425-555-0100", "", PhoneMobile, "+1 4255550100", false},
		// Extensions, office only, in each accepted spelling.
		{"+1 4255550100x123", "", PhoneOffice, "+1 4255550100x123", false},
		{"+1 (425) 555-0100 ext. 123", "", PhoneOffice, "+1 4255550100x123", false},
		{"425.555.0100 ext 123", "US", PhoneOffice, "+1 4255550100x123", false},
		{"425-555-0100 EXT123", "US", PhoneOffice, "+1 4255550100x123", false},
		{"425-555-0100 extension 4", "US", PhoneOffice, "+1 4255550100x4", false},
		{"425-555-0100#123", "US", PhoneOffice, "+1 4255550100x123", false},
		{"+1-425-555-0100;ext=123", "", PhoneOffice, "+1 4255550100x123", false},
		{"tel:+1-425-555-0100;ext=1234567890", "", PhoneOffice, "+1 4255550100x1234567890", false},
		{"+1 425 555 0100 X 77", "", PhoneOffice, "+1 4255550100x77", false},
		// Tabs between digit groups (pasted from a spreadsheet) separate as spaces do.
		{"+1 425\t555\t0100", "", PhoneMobile, "+1 4255550100", false},
		{"+1\t206\t555\t5555", "", PhoneMobile, "+1 2065555555", true},
		// Fictional ranges used by Graph's docs and Ofcom: possible, not
		// allocated. The NANP's 555-0100 to 555-0199 (every example above) is
		// reserved for fiction in every area code.
		{"+1 3125550199", "", PhoneMobile, "+1 3125550199", false},
		{"+1 3125550200", "", PhoneMobile, "+1 3125550200", true},
		{"+1 5555551234", "", PhoneMobile, "+1 5555551234", false},
		{"+1 5555551234x123", "", PhoneOffice, "+1 5555551234x123", false},
		{"+1 2065555555", "", PhoneMobile, "+1 2065555555", true},
		{"(206) 555-5555", "CA", PhoneMobile, "+1 2065555555", true},
		// United Kingdom.
		{"+44 20 7183 8750", "", PhoneOffice, "+44 2071838750", true},
		{"+44 2071838750", "", PhoneOffice, "+44 2071838750", true},
		{"020 7183 8750", "GB", PhoneOffice, "+44 2071838750", true},
		{"020 7183 8750", "uk", PhoneOffice, "+44 2071838750", true},
		{"0044 20 7183 8750", "", PhoneOffice, "+44 2071838750", true},
		{"07700 900123", "GB", PhoneMobile, "+44 7700900123", false},
		{"011 44 20 7183 8750", "US", PhoneOffice, "+44 2071838750", true},
		// Germany, France, India, Japan, Australia, Brazil, South Africa, ...
		{"+49 30 123456", "", PhoneOffice, "+49 30123456", true},
		{"030 123456", "DE", PhoneOffice, "+49 30123456", true},
		{"0151 23456789", "DE", PhoneMobile, "+49 15123456789", true},
		{"+33 1 23 45 67 89", "", PhoneOffice, "+33 123456789", true},
		{"06 12 34 56 78", "FR", PhoneMobile, "+33 612345678", true},
		{"+91 98765 43210", "", PhoneMobile, "+91 9876543210", true},
		{"098765 43210", "IN", PhoneMobile, "+91 9876543210", true},
		{"+81 3-1234-5678", "", PhoneOffice, "+81 312345678", true},
		{"090-1234-5678", "JP", PhoneMobile, "+81 9012345678", true},
		{"+61 2 9374 4000", "", PhoneOffice, "+61 293744000", true},
		{"0412 345 678", "AU", PhoneMobile, "+61 412345678", true},
		{"+55 11 91234-5678", "", PhoneMobile, "+55 11912345678", true},
		{"(11) 91234-5678", "BR", PhoneMobile, "+55 11912345678", true},
		{"+27 21 123 4567", "", PhoneOffice, "+27 211234567", true},
		{"082 123 4567", "ZA", PhoneMobile, "+27 821234567", true},
		{"+39 06 1234 5678", "", PhoneOffice, "+39 0612345678", true}, // Italy keeps its leading zero
		{"+86 138 0013 8000", "", PhoneMobile, "+86 13800138000", true},
		{"+353 1 234 5678", "", PhoneOffice, "+353 12345678", true},
		{"+44 20 7183 8750", "US", PhoneOffice, "+44 2071838750", true}, // + wins over --country
		{"+800 1234 5678", "", PhoneOffice, "+800 12345678", true},      // non-geographic
	}
	for _, tt := range tests {
		t.Run(tt.input+"/"+tt.region, func(t *testing.T) {
			p, err := ParsePhone(tt.input, tt.region, tt.typ)
			if err != nil {
				t.Fatalf("ParsePhone(%q, %q, %s): %v", tt.input, tt.region, tt.typ, err)
			}
			if got := p.Entra(); got != tt.want {
				t.Errorf("Entra() = %q, want %q", got, tt.want)
			}
			if p.Allocated != tt.allocated {
				t.Errorf("Allocated = %v, want %v", p.Allocated, tt.allocated)
			}
			if p.Type != tt.typ {
				t.Errorf("Type = %q, want %q", p.Type, tt.typ)
			}
			if err := ValidEntraFormat(p.Entra(), tt.typ); err != nil {
				t.Errorf("ValidEntraFormat(Entra()) = %v", err)
			}
			again, err := ParsePhone(p.Entra(), "", tt.typ)
			if err != nil || again != p {
				t.Errorf("re-parsing %q = %+v, %v; want %+v", p.Entra(), again, err, p)
			}
		})
	}
}

func TestParsePhoneRefuses(t *testing.T) {
	tests := []struct {
		input, region string
		typ           PhoneType
		kind          error
		message       string // a part of the one-line message naming the problem or the fix
	}{
		{"", "US", PhoneMobile, ErrPhoneEmpty, "it is empty"},
		{"   ", "", PhoneMobile, ErrPhoneEmpty, "it is empty"},
		{"tel:", "", PhoneMobile, ErrPhoneEmpty, "it is empty"},
		{"abc", "", PhoneMobile, ErrPhoneCharacters, "contains letters"},
		{"+1 800 FLOWERS", "", PhoneMobile, ErrPhoneCharacters, "contains letters"},
		{"+1 425 555 01O0", "", PhoneMobile, ErrPhoneCharacters, "contains letters"}, // letter O for zero
		{"+1 4255550100 ext", "", PhoneOffice, ErrPhoneCharacters, "x123 or ext. 123"},
		{"+1 425 555 0100!", "", PhoneMobile, ErrPhoneCharacters, `contains '!'`},
		{"++14255550100", "", PhoneMobile, ErrPhoneCharacters, "+ may only come first"},
		{"+", "", PhoneMobile, ErrPhoneCharacters, "no digits"},
		{"--", "US", PhoneMobile, ErrPhoneCharacters, "no digits"},
		{"4255550100", "", PhoneMobile, ErrPhoneNoCountry, "add --country"},
		{"(425) 555-0100", "", PhoneMobile, ErrPhoneNoCountry, "+1 4255550100"},
		{"4255550100", "XX", PhoneMobile, ErrPhoneRegion, `unknown country "XX"`},
		{"4255550100", "USA", PhoneMobile, ErrPhoneRegion, "two-letter ISO code"},
		{"+999 12345678", "", PhoneMobile, ErrPhoneCountryCode, "+999 is not a country calling code"},
		{"+0 4255550100", "", PhoneMobile, ErrPhoneCountryCode, "+0 is not a country calling code"},
		{"011 999 1234", "US", PhoneOffice, ErrPhoneCountryCode, "no known country code"},
		{"+1 425555010", "", PhoneMobile, ErrPhoneTooShort, "too short for +1 (10 digits expected after the country code, 9 given)"},
		{"+1 42555501001", "", PhoneMobile, ErrPhoneTooLong, "too long for +1 (10 digits expected after the country code, 11 given)"},
		{"+12345678901234567", "", PhoneMobile, ErrPhoneTooLong, "too long for +1"},
		{"+49 1", "", PhoneMobile, ErrPhoneTooShort, "too short"},
		{"+4", "", PhoneMobile, ErrPhoneTooShort, "too short"},
		{"+44 12", "", PhoneMobile, ErrPhoneTooShort, "too short"},
		{"555-0100", "US", PhoneMobile, ErrPhoneLocal, "add the area code"},
		{"+1 0255550100", "", PhoneMobile, ErrPhoneImpossible, "not a possible +1 number"},
		{"+1 1255550100", "", PhoneMobile, ErrPhoneImpossible, "not a possible +1 number"},
		{"+44 20 7183 875", "", PhoneOffice, ErrPhoneImpossible, "not a possible +44 number"},
		{"+33 0 23 45 67 89", "", PhoneOffice, ErrPhoneImpossible, "numbering plan"},
		{"+1 4255550100x123", "", PhoneMobile, ErrPhoneExtension, "mfactl allows extensions only on office phones"},
		{"+1 4255550100 ext. 123", "", PhoneAlternateMobile, ErrPhoneExtension, "mfactl allows extensions only on office phones"},
		{"+44 20 7183 8750 #12", "", PhoneMobile, ErrPhoneExtension, "use --type office"},
		{"+1 4255550100x12345678901", "", PhoneOffice, ErrPhoneExtension, "at most 10"},
		{"+1 4255550100", "", PhoneType("pager"), ErrPhoneType, `unknown phone type "pager"`},
		{"+1 4255550100", "", PhoneType(""), ErrPhoneType, "unknown phone type"},
	}
	for _, tt := range tests {
		t.Run(tt.input+"/"+tt.region+"/"+string(tt.typ), func(t *testing.T) {
			p, err := ParsePhone(tt.input, tt.region, tt.typ)
			if err == nil {
				t.Fatalf("ParsePhone(%q, %q, %s) = %s, want an error", tt.input, tt.region, tt.typ, p.Entra())
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("error %q is not %v", err, tt.kind)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.message) {
				t.Errorf("error %q does not mention %q", msg, tt.message)
			}
			if strings.ContainsAny(msg, "\r\n") {
				t.Errorf("error %q spans lines", msg)
			}
			if p != (Phone{}) {
				t.Errorf("failed parse returned %+v, want the zero Phone", p)
			}
		})
	}
}

func TestPhoneForms(t *testing.T) {
	p, err := ParsePhone("+1 (425) 555-0100 x123", "", PhoneOffice)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.E164(), "+14255550100"; got != want {
		t.Errorf("E164() = %q, want %q", got, want)
	}
	if got, want := p.String(), "+1 4255550100x123"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	want := Phone{CountryCode: 1, Number: "4255550100", Extension: "123", Type: PhoneOffice, Allocated: false}
	if p != want {
		t.Errorf("ParsePhone = %+v, want %+v", p, want)
	}
}

func TestPhoneErrorParts(t *testing.T) {
	_, err := ParsePhone("4255550100", "", PhoneMobile)
	var pe *PhoneError
	if !errors.As(err, &pe) {
		t.Fatalf("error %T is not a *PhoneError", err)
	}
	if pe.Input != "4255550100" || pe.Problem != "it has no country code" || !strings.Contains(pe.Fix, "--country") {
		t.Errorf("PhoneError = %+v", pe)
	}
	// Control characters typed or pasted by the user must not break the line.
	_, err = ParsePhone("+1 425\n555 0100\x00", "", PhoneMobile)
	if err == nil || strings.ContainsAny(err.Error(), "\n\x00") {
		t.Errorf("error %q keeps control characters", err)
	}
}

func TestSameNumber(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"+1 4255550100", "+14255550100", true},
		{"+1 4255550100", "+1 (425) 555-0100", true},
		{"+1 4255550100x123", "+1 4255550100", true}, // same line, other extension
		{"+1 4255550100x123", "+1 4255550100x456", true},
		{"+1 4255550100", "+1 4255550101", false},
		{"+1 4255550100", "+44 4255550100", false},
		{"+44 2071838750", "0044 20 7183 8750", true},
		{"+39 0612345678", "+39 612345678", false}, // Italy's leading zero is significant
		{"+999 1234", "+999 1234", true},           // unparsable legacy data: compare digits
		{"+999 1234", "+999 12345", false},
		{"", "", false},
		{"+1 4255550100", "", false},
		{"+1 4255550100", "1 4255550100", true},         // one does not parse: digits
		{"+44 2071838750", "+44 (0)20 7183 8750", true}, // both parse: lines
		{"+44 (0)20 7183 8750", "4402071838750", true},  // one does not parse: digits as written
		{"+44 2071838750", "4402071838750", false},      // digits as written differ
	}
	for _, tt := range tests {
		if got := SameNumber(tt.a, tt.b); got != tt.want {
			t.Errorf("SameNumber(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := SameNumber(tt.b, tt.a); got != tt.want {
			t.Errorf("SameNumber(%q, %q) = %v, want %v (not symmetric)", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestLineKeysOf(t *testing.T) {
	tests := []struct {
		in   string
		want LineKeys
	}{
		{"+1 4255550100", LineKeys{Line: "+1 4255550100", Digits: "14255550100"}},
		{"+1 (425) 555-0100", LineKeys{Line: "+1 4255550100", Digits: "14255550100"}},
		{"+1 4255550100x12", LineKeys{Line: "+1 4255550100", Digits: "14255550100"}},
		{"0044 2071838750", LineKeys{Line: "+44 2071838750", Digits: "00442071838750"}},
		{"+44 (0)20 7183 8750", LineKeys{Line: "+44 2071838750", Digits: "4402071838750"}},
		{"+999 1234", LineKeys{Digits: "9991234"}},
		{"1 4255550100", LineKeys{Digits: "14255550100"}},
		{"x12", LineKeys{}},
		{"", LineKeys{}},
	}
	for _, tt := range tests {
		if got := LineKeysOf(tt.in); got != tt.want {
			t.Errorf("LineKeysOf(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestValidEntraFormat(t *testing.T) {
	tests := []struct {
		s       string
		typ     PhoneType
		kind    error // nil when valid
		message string
	}{
		{"+1 4255550100", PhoneMobile, nil, ""},
		{"+1 5555551234", PhoneAlternateMobile, nil, ""},
		{"+44 2071838750", PhoneOffice, nil, ""},
		{"+1 4255550100x123", PhoneOffice, nil, ""},
		{"+1 4255550100x1234567890", PhoneOffice, nil, ""},
		{"+353 12345678", PhoneMobile, nil, ""},
		{"+1 1234", PhoneMobile, nil, ""},                    // shape only: 4 digits is the floor
		{"+999 12345678", PhoneMobile, nil, ""},              // shape only: unassigned codes pass
		{"+1 12345678901234", PhoneMobile, nil, ""},          // 15 digits in all
		{"+1 4255550100x123", PhoneMobile, nil, ""},          // any type may have an extension
		{"+1 4255550100x123", PhoneAlternateMobile, nil, ""}, // (phoneauthenticationmethod.md)
		{"", PhoneMobile, ErrPhoneEmpty, "empty"},
		{"+14255550100", PhoneMobile, ErrPhoneFormat, "one space"},
		{"1 4255550100", PhoneMobile, ErrPhoneFormat, "start with +"},
		{"+1  4255550100", PhoneMobile, ErrPhoneFormat, "only digits"},
		{"+1 425 555 0100", PhoneMobile, ErrPhoneFormat, "only digits"},
		{"+1 425-555-0100", PhoneMobile, ErrPhoneFormat, "only digits"},
		{"+1 4255550100 ", PhoneMobile, ErrPhoneFormat, "only digits"},
		{" +1 4255550100", PhoneMobile, ErrPhoneFormat, "start with +"},
		{"+0 4255550100", PhoneMobile, ErrPhoneFormat, "country code"},
		{"+1234 5678901", PhoneMobile, ErrPhoneFormat, "1 to 3 digits"},
		{"+ 4255550100", PhoneMobile, ErrPhoneFormat, "country code"},
		{"+1a 4255550100", PhoneMobile, ErrPhoneFormat, "country code"},
		{"+1 123", PhoneMobile, ErrPhoneFormat, "4 to 14 digits"},
		{"+1 123456789012345", PhoneMobile, ErrPhoneFormat, "4 to 14 digits"},
		{"+44 12345678901234", PhoneMobile, ErrPhoneFormat, "at most 15"},
		{"+44 1234567890123", PhoneMobile, nil, ""},
		{"+1 4255550100x", PhoneOffice, ErrPhoneFormat, "1 to 10 digits"},
		{"+1 4255550100x12345678901", PhoneOffice, ErrPhoneFormat, "1 to 10 digits"},
		{"+1 4255550100x12a", PhoneOffice, ErrPhoneFormat, "1 to 10 digits"},
		{"+1 4255550100X123", PhoneOffice, ErrPhoneFormat, "only digits"},
		{"+1 4255550100x1x2", PhoneOffice, ErrPhoneFormat, "1 to 10 digits"},
		{"+1 ４255550100", PhoneMobile, ErrPhoneFormat, "only digits"}, // full-width digit
		{"+1 4255550100", PhoneType("home"), ErrPhoneType, "unknown phone type"},
	}
	for _, tt := range tests {
		err := ValidEntraFormat(tt.s, tt.typ)
		if tt.kind == nil {
			if err != nil {
				t.Errorf("ValidEntraFormat(%q, %s) = %v, want nil", tt.s, tt.typ, err)
			}
			continue
		}
		if !errors.Is(err, tt.kind) {
			t.Errorf("ValidEntraFormat(%q, %s) = %v, want %v", tt.s, tt.typ, err, tt.kind)
			continue
		}
		if !strings.Contains(err.Error(), tt.message) {
			t.Errorf("ValidEntraFormat(%q, %s) = %q, want it to mention %q", tt.s, tt.typ, err, tt.message)
		}
	}
}

func TestMaskPhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+1 4255550100", "+1 XXXXXXXX00"},
		{"+1 4255550100x123", "+1 XXXXXXXX00xXXX"},
		{"+44 2071838750", "+44 XXXXXXXX50"},
		{"+353 12345678", "+353 XXXXXX78"},
		{"+49 30123456", "+49 XXXXXX56"},
		{"+683 4002", "+683 XXXX"}, // short numbers are hidden whole
		{"+14255550100", "+XXXXXXXXX00"},
		{"(425) 555-0100", "(XXX) XXX-XX00"},
		{"+1 XXXXXXXX00", "+1 XXXXXXXX00"}, // masking twice changes nothing
		{"", ""},
	}
	for _, tt := range tests {
		if got := MaskPhone(tt.in); got != tt.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzParsePhone checks the parser's promises on any input: no panic, one
// line errors, and every accepted number is valid Entra format and reads
// back to itself.
func FuzzParsePhone(f *testing.F) {
	for _, s := range []string{
		"+1 4255550100", "(425) 555-0100", "+1 4255550100x123", "425-555-0100#123", "+44 20 7183 8750",
		"0044 20 7183 8750", "+39 06 1234 5678", "tel:+1-425-555-0100;ext=123", "+7 8 800 555 35 35",
		"+49 0 30 123456", "abc", "", "+", "011 44 20 7183 8750", "1 425 555 0100",
	} {
		for i, region := range []string{"", "US", "GB", "DE", "IT", "RU"} {
			f.Add(s, region, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, input, region string, typeIndex uint8) {
		typ := PhoneTypes[int(typeIndex)%len(PhoneTypes)]
		p, err := ParsePhone(input, region, typ)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		entra := p.Entra()
		if err := ValidEntraFormat(entra, typ); err != nil {
			t.Fatalf("ParsePhone(%q, %q) = %q, which fails ValidEntraFormat: %v", input, region, entra, err)
		}
		again, err := ParsePhone(entra, "", typ)
		if err != nil || again != p {
			t.Fatalf("ParsePhone(%q, %q) = %+v, but re-parsing %q = %+v, %v", input, region, p, entra, again, err)
		}
		if p.Extension != "" && typ != PhoneOffice {
			t.Fatalf("extension accepted on %s", typ)
		}
		if !SameNumber(entra, p.E164()) {
			t.Fatalf("SameNumber(%q, %q) = false", entra, p.E164())
		}
		if m := MaskPhone(entra); len(p.Number) >= 6 && strings.Contains(m, p.Number) {
			t.Fatalf("MaskPhone(%q) = %q shows the number", entra, m)
		}
	})
}

// FuzzValidEntraFormat checks that the format check never panics, that
// what it accepts has Entra's shape, and that any accepted value that is
// also a possible number parses to a value that passes again.
func FuzzValidEntraFormat(f *testing.F) {
	for _, s := range []string{"+1 4255550100", "+1 4255550100x123", "+44 2071838750", "+14255550100", "+1 425 555 0100", "+999 1234", "+1 0255550100", ""} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(2))
	}
	f.Fuzz(func(t *testing.T, s string, typeIndex uint8) {
		typ := PhoneTypes[int(typeIndex)%len(PhoneTypes)]
		err := ValidEntraFormat(s, typ)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if !strings.HasPrefix(s, "+") || strings.Count(s, " ") != 1 {
			t.Fatalf("accepted %q without the +cc space shape", s)
		}
		if _, ext, ok := strings.Cut(s, "x"); ok && (ext == "" || strings.Trim(ext, "0123456789") != "") {
			t.Fatalf("accepted %q whose extension is not digits", s)
		}
		p, err := ParsePhone(s, "", typ)
		if err != nil {
			return // right shape, but not a number that can exist
		}
		if err := ValidEntraFormat(p.Entra(), typ); err != nil {
			t.Fatalf("%q parses to %q, which fails: %v", s, p.Entra(), err)
		}
	})
}

// TestParsePhoneEveryRegion runs the example fixed-line and mobile numbers
// phonenumbers ships for every region through ParsePhone, written both
// internationally and nationally, so no country is refused by the rules
// layered on top of the library.
func TestParsePhoneEveryRegion(t *testing.T) {
	checked := 0
	for _, region := range sortedRegions() {
		for _, kind := range []phonenumbers.PhoneNumberType{phonenumbers.FIXED_LINE, phonenumbers.MOBILE} {
			ex := phonenumbers.GetExampleNumberForType(region, kind)
			if ex == nil {
				continue
			}
			intl := phonenumbers.Format(ex, phonenumbers.INTERNATIONAL)
			p, err := ParsePhone(intl, "", PhoneOffice)
			if err != nil {
				t.Errorf("%s example %q: %v", region, intl, err)
				continue
			}
			if !p.Allocated && !fictional(p.CountryCode, p.Number) {
				t.Errorf("%s example %q: not allocated", region, intl)
			}
			national := phonenumbers.Format(ex, phonenumbers.NATIONAL)
			if back, err := phonenumbers.Parse(national, region); err != nil || phonenumbers.GetNationalSignificantNumber(back) != phonenumbers.GetNationalSignificantNumber(ex) {
				// The library's national form does not read back to the
				// same number (Argentina's mobile "15" token), so there is
				// nothing to hold ParsePhone to.
				continue
			}
			q, err := ParsePhone(national, region, PhoneOffice)
			if err != nil || q != p {
				t.Errorf("%s example %q read nationally = %+v, %v; want %+v", region, national, q, err, p)
			}
			checked++
		}
	}
	if checked < 400 {
		t.Errorf("only %d example numbers checked; the metadata looks incomplete", checked)
	}
}

func sortedRegions() []string {
	var regions []string
	for r := range phonenumbers.GetSupportedRegions() {
		regions = append(regions, r)
	}
	slices.Sort(regions)
	return regions
}
