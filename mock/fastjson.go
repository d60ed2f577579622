package mock

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/mfactl/mfactl/internal/jsonenc"
)

// The mock's hot path (GET .../authentication/methods at tens of thousands
// of requests a second) spends most of its time in encoding/json: decoding
// the stored user and method records and encoding the response maps. This
// file has faster equivalents that give byte-for-byte the same results:
//
//   - appendGraphJSON encodes the values handlers build (maps, slices,
//     strings, bools, ints, nil) as encoding/json does with HTML escaping
//     off, and hands any other type to encoding/json.
//   - userRecord and methodRecord's UnmarshalStored (store.GetJSON and
//     store.ScanJSON use them) read the JSON json.Marshal
//     wrote for a record field by field; anything they do not recognise
//     exactly (an unknown or differently cased key, an escape in a key, a
//     malformed document) makes them decode the whole document with
//     encoding/json instead, so the result, and any error, is
//     encoding/json's.
//
// The fuzz and table tests in fastjson_test.go compare both with
// encoding/json.

// appendGraphJSON appends v's JSON to dst.
func appendGraphJSON(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return appendJSONString(dst, x), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case map[string]any:
		if x == nil {
			return append(dst, "null"...), nil
		}
		return appendJSONObject(dst, x)
	case []map[string]any:
		if x == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if e == nil {
				dst = append(dst, "null"...)
			} else if dst, err = appendJSONObject(dst, e); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case []any:
		if x == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendGraphJSON(dst, e); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case []string:
		if x == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, e)
		}
		return append(dst, ']'), nil
	}
	b, err := jsonenc.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(dst, b...), nil
}

// appendJSONObject writes a map with its keys in order, as encoding/json does.
func appendJSONObject(dst []byte, m map[string]any) ([]byte, error) {
	var keyBuf [24]string
	keys := keyBuf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, k)
		dst = append(dst, ':')
		var err error
		if dst, err = appendGraphJSON(dst, m[k]); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString is encoding/json's string encoding with HTML escaping
// off: quotes, backslashes and control characters escaped, invalid UTF-8
// replaced by \ufffd, U+2028 and U+2029 escaped.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// UnmarshalStored decodes a stored user as json.Unmarshal would
// (store.Unmarshaler).
func (u *userRecord) UnmarshalStored(b []byte) error {
	d := storedDoc{b: b, s: string(b)}
	if scanJSONObject(b, func(key, v []byte) bool { return u.field(&d, key, v) }) {
		return nil
	}
	*u = userRecord{}
	return json.Unmarshal(b, u)
}

func (u *userRecord) field(d *storedDoc, key, v []byte) bool {
	switch string(key) {
	case "id":
		return jsonStr(d, v, &u.ID)
	case "userPrincipalName":
		return jsonStr(d, v, &u.UPN)
	case "displayName":
		return jsonStr(d, v, &u.DisplayName)
	case "givenName":
		return jsonStr(d, v, &u.GivenName)
	case "surname":
		return jsonStr(d, v, &u.Surname)
	case "mail":
		return jsonStr(d, v, &u.Mail)
	case "jobTitle":
		return jsonStr(d, v, &u.JobTitle)
	case "mobilePhone":
		return jsonStr(d, v, &u.MobilePhone)
	case "officeLocation":
		return jsonStr(d, v, &u.OfficeLocation)
	case "userType":
		return jsonStr(d, v, &u.UserType)
	case "accountEnabled":
		return jsonBool(v, &u.AccountEnabled)
	case "createdDateTime":
		return jsonTime(v, &u.Created)
	case "roles":
		return jsonOther(v, &u.Roles)
	case "signInSessionsValidFromDateTime":
		return jsonTime(v, &u.SessionsValidFrom)
	case "preferredMethod":
		return jsonStr(d, v, &u.PreferredMethod)
	case "systemPreferredEnabled":
		return jsonBool(v, &u.SystemPreferredEnabled)
	case "perUserMfaState":
		return jsonStr(d, v, &u.PerUserMFAState)
	}
	return false
}

// UnmarshalStored decodes a stored method as json.Unmarshal would
// (store.Unmarshaler).
func (m *methodRecord) UnmarshalStored(b []byte) error {
	d := storedDoc{b: b, s: string(b)}
	if scanJSONObject(b, func(key, v []byte) bool { return m.field(&d, key, v) }) {
		return nil
	}
	*m = methodRecord{}
	return json.Unmarshal(b, m)
}

func (m *methodRecord) field(d *storedDoc, key, v []byte) bool {
	switch string(key) {
	case "id":
		return jsonStr(d, v, &m.ID)
	case "type":
		return jsonStr(d, v, &m.Kind)
	case "displayName":
		return jsonStr(d, v, &m.DisplayName)
	case "createdDateTime":
		return jsonTimePtr(v, &m.Created)
	case "phoneNumber":
		return jsonStr(d, v, &m.PhoneNumber)
	case "phoneType":
		return jsonStr(d, v, &m.PhoneType)
	case "smsSignInState":
		return jsonStr(d, v, &m.SMSSignInState)
	case "emailAddress":
		return jsonStr(d, v, &m.EmailAddress)
	case "deviceTag":
		return jsonStr(d, v, &m.DeviceTag)
	case "phoneAppVersion":
		return jsonStr(d, v, &m.PhoneAppVersion)
	case "aaGuid":
		return jsonStr(d, v, &m.AAGUID)
	case "model":
		return jsonStr(d, v, &m.Model)
	case "attestationLevel":
		return jsonStr(d, v, &m.AttestationLevel)
	case "keyStrength":
		return jsonStr(d, v, &m.KeyStrength)
	case "platform":
		return jsonStr(d, v, &m.Platform)
	case "temporaryAccessPass":
		return jsonStr(d, v, &m.Pass)
	case "startDateTime":
		return jsonTimePtr(v, &m.StartDateTime)
	case "lifetimeInMinutes":
		return jsonInt(v, &m.LifetimeInMinutes)
	case "isUsableOnce":
		return jsonOther(v, &m.IsUsableOnce)
	case "isUsable":
		return jsonOther(v, &m.IsUsable)
	case "methodUsabilityReason":
		return jsonStr(d, v, &m.MethodUsabilityReason)
	case "device":
		return jsonOther(v, &m.Token)
	case "userId":
		return jsonStr(d, v, &m.UserID)
	case "oathSecret":
		return jsonStr(d, v, &m.OathSecret)
	case "tokenId":
		return jsonStr(d, v, &m.TokenID)
	case "passHash":
		return jsonStr(d, v, &m.PassHash)
	case "oathState":
		return jsonOther(v, &m.OathState)
	}
	return false
}

// storedDoc is a document being decoded, as bytes and as one string: the
// plain string fields are substrings of it (one allocation a record, not
// one a field).
type storedDoc struct {
	b []byte
	s string
}

// jsonStr sets a string field from a JSON value v (a slice of d.b): a
// plain string directly, anything else (escapes, null, a wrong type)
// through encoding/json.
func jsonStr[T ~string](d *storedDoc, v []byte, p *T) bool {
	if len(v) >= 2 && v[0] == '"' && bytes.IndexByte(v, '\\') < 0 {
		// v shares d.b's array, so its offset is the difference of the
		// capacities.
		off := cap(d.b) - cap(v)
		*p = T(d.s[off+1 : off+len(v)-1])
		return true
	}
	return jsonOther(v, p)
}

func jsonBool(v []byte, p *bool) bool {
	switch string(v) {
	case "true":
		*p = true
		return true
	case "false":
		*p = false
		return true
	}
	return jsonOther(v, p)
}

// jsonInt reads a plain decimal integer; other numbers go to encoding/json.
func jsonInt(v []byte, p *int) bool {
	digits := v
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	plain := len(digits) > 0 && (digits[0] != '0' || len(digits) == 1)
	for _, c := range digits {
		plain = plain && c >= '0' && c <= '9'
	}
	if plain {
		if n, err := strconv.Atoi(string(v)); err == nil {
			*p = n
			return true
		}
	}
	return jsonOther(v, p)
}

// jsonTime is what encoding/json does for a time.Time: its UnmarshalJSON
// with the literal.
func jsonTime(v []byte, p *time.Time) bool {
	if len(v) == 0 || v[0] != '"' {
		return jsonOther(v, p)
	}
	return p.UnmarshalJSON(v) == nil
}

func jsonTimePtr(v []byte, p **time.Time) bool {
	if len(v) == 0 || v[0] != '"' {
		return jsonOther(v, p)
	}
	if *p == nil {
		*p = new(time.Time)
	}
	return (*p).UnmarshalJSON(v) == nil
}

func jsonOther(v []byte, p any) bool { return json.Unmarshal(v, p) == nil }

// scanJSONObject walks the members of the JSON object b, calling field with
// each key (which has no escapes) and its raw value, and reports whether b
// is one well-formed object whose every member field accepted. It checks
// the grammar of everything it does not pass on: field checks the values
// it is given (encoding/json checks those that are not plain strings).
func scanJSONObject(b []byte, field func(key, v []byte) bool) bool {
	if !utf8.Valid(b) {
		return false
	}
	i := skipJSONSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipJSONSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return skipJSONSpace(b, i+1) == len(b)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return false
		}
		end, escaped := scanJSONString(b, i)
		if end < 0 || escaped {
			return false
		}
		key := b[i+1 : end-1]
		i = skipJSONSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipJSONSpace(b, i+1)
		vend := scanJSONValue(b, i)
		if vend < 0 || !field(key, b[i:vend]) {
			return false
		}
		i = skipJSONSpace(b, vend)
		if i >= len(b) {
			return false
		}
		switch b[i] {
		case ',':
			i = skipJSONSpace(b, i+1)
		case '}':
			return skipJSONSpace(b, i+1) == len(b)
		default:
			return false
		}
	}
}

func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// scanJSONString returns the end of the string starting at b[i] ('"'),
// -1 if it does not end or holds a control character, and whether it has
// escapes (which it does not check).
func scanJSONString(b []byte, i int) (int, bool) {
	escaped := false
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j + 1, escaped
		case c == '\\':
			escaped = true
			j++
		case c < 0x20:
			return -1, false
		}
	}
	return -1, false
}

// scanJSONValue returns the end of the value starting at b[i], or -1. It
// finds where the value ends; whether it is valid is for the field's
// decoder to say.
func scanJSONValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		end, _ := scanJSONString(b, i)
		return end
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, _ := scanJSONString(b, j)
				if end < 0 {
					return -1
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) && (b[j] >= 'a' && b[j] <= 'z' || b[j] >= 'A' && b[j] <= 'Z' || b[j] >= '0' && b[j] <= '9' || b[j] == '-' || b[j] == '+' || b[j] == '.') {
		j++
	}
	if j == i {
		return -1
	}
	return j
}
