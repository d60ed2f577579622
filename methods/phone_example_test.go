package methods_test

import (
	"errors"
	"fmt"

	"github.com/mfactl/mfactl/methods"
)

func ExampleParsePhone() {
	for _, in := range []struct {
		number, country string
		typ             methods.PhoneType
	}{
		{"(425) 555-0100", "US", methods.PhoneMobile},
		{"+14255550100", "", methods.PhoneMobile},
		{"+44 20 7183 8750 ext. 12", "", methods.PhoneOffice},
		{"+1 5555551234", "", methods.PhoneMobile},
		{"4255550100", "", methods.PhoneMobile},
		{"+1 4255550100 x123", "", methods.PhoneMobile},
	} {
		p, err := methods.ParsePhone(in.number, in.country, in.typ)
		switch {
		case errors.Is(err, methods.ErrPhoneNoCountry), errors.Is(err, methods.ErrPhoneExtension):
			fmt.Println("refused:", err)
		case err != nil:
			fmt.Println("unexpected:", err)
		case !p.Allocated:
			fmt.Println(p.Entra(), "(not an allocated number: warn)")
		default:
			fmt.Println(p.Entra())
		}
	}
	// Output:
	// +1 4255550100 (not an allocated number: warn)
	// +1 4255550100 (not an allocated number: warn)
	// +44 2071838750x12
	// +1 5555551234 (not an allocated number: warn)
	// refused: phone number "4255550100": it has no country code; add --country with the two-letter country (e.g. --country US) or write the number as +<country code> <number>, e.g. +1 4255550100
	// refused: phone number "+1 4255550100 x123": mfactl allows extensions only on office phones, not on mobile (Entra would store it, but a text or call to a mobile cannot dial an extension); drop the extension or use --type office
}

func ExampleSameNumber() {
	fmt.Println(methods.SameNumber("+1 4255550100", "+1 (425) 555-0100"))
	fmt.Println(methods.SameNumber("+1 4255550100x12", "+1 4255550100x34"))
	fmt.Println(methods.SameNumber("+1 4255550100", "+1 4255550101"))
	// Output:
	// true
	// true
	// false
}

func ExampleMaskPhone() {
	fmt.Println(methods.MaskPhone("+1 4255550100"))
	fmt.Println(methods.MaskPhone("+1 4255550100x123"))
	// Output:
	// +1 XXXXXXXX00
	// +1 XXXXXXXX00xXXX
}
