package methods

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Microsoft Authenticator activation: what the security-info page shows
// when a user adds Microsoft Authenticator ("Set up your account", a QR
// code, and under "Can't scan image?" the Code and the URL), and what the
// app reads from the QR code.
//
// Microsoft documents neither the QR code's content nor the code's shape
// (api-reference/v1.0/resources/microsoftauthenticatorauthenticationmethod.md
// has List, Get and Delete but no create: the app registers itself). The
// reading here is of published third-party parsers of the portal's QR
// codes: a phonefactor: URI,
//
//	phonefactor://activate_account?code=518227904&url=https%3a%2f%2fmobileappcommunicator.auth.microsoft.com%2factivatev2%2f863602595%2fSASPUBKRCAZ1FD043
//
// with a 9-digit activation code and the activation URL percent-encoded
// in lowercase hexadecimal (.NET's UrlEncode). Format writes that shape;
// Parse accepts either case of the escapes, as a scanner would.

// AuthenticatorScheme and AuthenticatorHost start every activation URI.
const (
	AuthenticatorScheme = "phonefactor"
	AuthenticatorHost   = "activate_account"
)

// ActivationCodeDigits is the length of an activation code.
const ActivationCodeDigits = 9

// maxActivationPayload bounds a QR payload: a QR code holds under 3 KB,
// and a real one is under 200 characters.
const maxActivationPayload = 2048

// AuthenticatorActivation is what the QR code carries: the activation code
// and the URL the app activates against.
type AuthenticatorActivation struct {
	Code string
	URL  string
}

// NormalizeActivationCode removes the spaces a person copies from the
// page ("518 227 904") and checks the code is 9 digits.
func NormalizeActivationCode(code string) (string, error) {
	c := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.TrimSpace(code))
	if len(c) != ActivationCodeDigits || strings.Trim(c, "0123456789") != "" {
		return "", fmt.Errorf("an activation code has %d digits", ActivationCodeDigits)
	}
	return c, nil
}

// GroupActivationCode writes a code in groups of three, as the page shows
// it; NormalizeActivationCode reads it back.
func GroupActivationCode(code string) string {
	var b strings.Builder
	for i, r := range code {
		if i > 0 && i%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// checkActivationURL accepts an absolute https URL without user
// information or fragment.
func checkActivationURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return errors.New("the activation URL must be an absolute https:// URL")
	}
	return nil
}

// Payload is the QR code's text.
func (a AuthenticatorActivation) Payload() (string, error) {
	code, err := NormalizeActivationCode(a.Code)
	if err != nil {
		return "", err
	}
	if err := checkActivationURL(a.URL); err != nil {
		return "", err
	}
	return AuthenticatorScheme + "://" + AuthenticatorHost + "?code=" + code + "&url=" + lowerEscapes(url.QueryEscape(a.URL)), nil
}

// lowerEscapes lowercases the hexadecimal digits of %XX escapes.
func lowerEscapes(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			for j := i + 1; j <= i+2; j++ {
				if 'A' <= b[j] && b[j] <= 'F' {
					b[j] += 'a' - 'A'
				}
			}
			i += 2
		}
	}
	return string(b)
}

// ParseAuthenticatorActivation reads a QR code's text, as the app does
// after scanning it.
func ParseAuthenticatorActivation(payload string) (AuthenticatorActivation, error) {
	if len(payload) > maxActivationPayload {
		return AuthenticatorActivation{}, errors.New("not a Microsoft Authenticator activation code: too long")
	}
	u, err := url.Parse(strings.TrimSpace(payload))
	if err != nil || !strings.EqualFold(u.Scheme, AuthenticatorScheme) || !strings.EqualFold(u.Host, AuthenticatorHost) {
		return AuthenticatorActivation{}, errors.New("not a Microsoft Authenticator activation code: it must start with phonefactor://activate_account?")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return AuthenticatorActivation{}, fmt.Errorf("not a Microsoft Authenticator activation code: %w", err)
	}
	if len(q["code"]) != 1 || len(q["url"]) != 1 {
		return AuthenticatorActivation{}, errors.New("not a Microsoft Authenticator activation code: it needs one code and one url")
	}
	code, err := NormalizeActivationCode(q.Get("code"))
	if err != nil {
		return AuthenticatorActivation{}, err
	}
	if err := checkActivationURL(q.Get("url")); err != nil {
		return AuthenticatorActivation{}, err
	}
	return AuthenticatorActivation{Code: code, URL: q.Get("url")}, nil
}
