package odata

import (
	"encoding/base64"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// ParseTop reads a $top value v ("" when absent) with the resource's
// default and maximum page size.
func ParseTop(v string, def, max int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, errorf(Unsupported, "Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", v, max)
	}
	return n, nil
}

// DecodeSkipToken returns the key to continue after, from a $skiptoken
// value v ("" when absent). The token is opaque to clients: the server
// writes it into the @odata.nextLink with EncodeSkipToken.
func DecodeSkipToken(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return "", errorf(Invalid, "The $skiptoken is not valid: use the whole @odata.nextLink the previous page returned.")
	}
	return string(b), nil
}

// EncodeSkipToken is the $skiptoken that continues after key.
func EncodeSkipToken(key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(key))
}

// NextLinkQuery is the query string of an @odata.nextLink: every option of
// q except $skiptoken, then a $skiptoken continuing after lastKey, sorted
// by name, with spaces as %20 rather than "+" (some clients keep "+"
// literally) and the $-prefixed names readable, as Graph writes them.
func NextLinkQuery(q url.Values, lastKey string) string {
	out := url.Values{}
	for k, v := range q {
		if k != "$skiptoken" {
			out[k] = v
		}
	}
	out.Set("$skiptoken", EncodeSkipToken(lastKey))
	keys := make([]string, 0, len(out))
	for k := range out {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		for _, v := range out[k] {
			parts = append(parts, k+"="+strings.ReplaceAll(url.QueryEscape(v), "+", "%20"))
		}
	}
	return strings.Join(parts, "&")
}

// ParseSelect parses a $select value v ("" when absent) against the
// resource's properties: lookup returns a property's canonical name for a
// case-insensitive match. An unknown property is refused, naming typeName.
func ParseSelect(v string, lookup func(string) (string, bool), typeName string) ([]string, error) {
	if v == "" {
		return nil, nil
	}
	var out []string
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		name, ok := lookup(p)
		if !ok {
			return nil, errorf(Invalid, "Could not find a property named '%s' on type '%s'.", p, typeName)
		}
		out = append(out, name)
	}
	return out, nil
}

// SelectFragment is the select list of an @odata.context: a response to
// $select names the selected properties, "#users(displayName,mail)" for a
// collection and "#users(displayName,mail)/$entity" for one entity, as
// Graph's examples show (api-reference/v1.0/api/user-get.md, "Use $select
// to retrieve specific properties of a user"; concepts/query-parameters.md).
func SelectFragment(sel []string) string {
	if len(sel) == 0 {
		return ""
	}
	return "(" + strings.Join(sel, ",") + ")"
}

// ParseCount reads a $count value: true or false, in any case.
func ParseCount(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errorf(Invalid, "Invalid value '%s' for $count: use true or false.", v)
}

// ParseOrderBy parses a $orderby value v as "<property> [asc|desc]"
// against the properties the resource can sort by (case-insensitive). It
// returns the canonical property name, or "" when v is empty; sorting by
// more than one property is Unsupported, as in Graph's directory.
func ParseOrderBy(v, resource string, sortable ...string) (string, bool, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", false, nil
	}
	if strings.Contains(v, ",") {
		return "", false, errorf(Unsupported, "Sorting by more than one property is not supported: '%s'.", v)
	}
	fields := strings.Fields(v)
	desc := false
	if len(fields) == 2 {
		switch strings.ToLower(fields[1]) {
		case "asc":
		case "desc":
			desc = true
		default:
			return "", false, errorf(Invalid, "Invalid $orderby '%s': the direction must be asc or desc.", v)
		}
	} else if len(fields) != 1 {
		return "", false, errorf(Invalid, "Invalid $orderby '%s': use a property name, optionally followed by asc or desc.", v)
	}
	for _, p := range sortable {
		if strings.EqualFold(p, fields[0]) {
			return p, desc, nil
		}
	}
	return "", false, errorf(Unsupported, "Unsupported sort property '%s' for '%s'; sortable properties are %s.", fields[0], resource, strings.Join(sortable, " and "))
}

// MetadataNone reports whether Accept header values ask for no control
// information: application/json;odata.metadata=none (OData JSON Format
// 4.01, section 3.1.3; Graph serves odata.metadata=minimal by default).
func MetadataNone(accept []string) bool {
	for _, v := range accept {
		for _, mt := range strings.Split(v, ",") {
			for _, param := range strings.Split(mt, ";")[1:] {
				k, val, _ := strings.Cut(strings.TrimSpace(param), "=")
				if strings.EqualFold(strings.TrimSpace(k), "odata.metadata") && strings.EqualFold(strings.TrimSpace(val), "none") {
					return true
				}
			}
		}
	}
	return false
}

// StripControl removes the control information odata.metadata=none leaves
// out: every "@odata." annotation except the nextLink, deltaLink and
// count, which the format keeps ("the service SHOULD omit control
// information other than odata.nextLink and odata.count").
func StripControl(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			if strings.HasPrefix(k, "@odata.") && k != "@odata.nextLink" && k != "@odata.count" && k != "@odata.deltaLink" {
				continue
			}
			out[k] = StripControl(val)
		}
		return out
	case []map[string]any:
		out := make([]map[string]any, len(x))
		for i, m := range x {
			out[i] = StripControl(m).(map[string]any)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = StripControl(e)
		}
		return out
	}
	return v
}
