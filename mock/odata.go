package mock

import (
	"encoding/base64"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// pageSize reads $top with the endpoint's default and maximum.
func (r *request) pageSize(def, max int) (int, error) {
	v := r.query.Get("$top")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, errBadRequest(codeUnsupportedQuery, "Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", v, max)
	}
	return n, nil
}

// skipToken returns the key to continue after, from $skiptoken.
func (r *request) skipToken() (string, error) {
	v := r.query.Get("$skiptoken")
	if v == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return "", errBadRequest(codeBadRequest, "The $skiptoken is not valid: use the whole @odata.nextLink the previous page returned.")
	}
	return string(b), nil
}

// nextLink builds an absolute @odata.nextLink that repeats every query
// option of this request and continues after lastKey.
func (r *request) nextLink(lastKey string) string {
	q := url.Values{}
	for k, v := range r.query {
		if k != "$skiptoken" {
			q[k] = v
		}
	}
	q.Set("$skiptoken", base64.RawURLEncoding.EncodeToString([]byte(lastKey)))
	// Keep the $-prefixed names readable, as Graph does.
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		for _, v := range q[k] {
			// %20 rather than "+" for spaces: some clients keep "+" literally.
			parts = append(parts, k+"="+strings.ReplaceAll(url.QueryEscape(v), "+", "%20"))
		}
	}
	return r.base + r.http.URL.EscapedPath() + "?" + strings.Join(parts, "&")
}

// selectFragment is the select list of an @odata.context: a response to
// $select names the selected properties, "#users(displayName,mail)" for a
// collection and "#users(displayName,mail)/$entity" for one entity, as
// Graph's examples show (api-reference/v1.0/api/user-get.md, "Use $select
// to retrieve specific properties of a user"; concepts/query-parameters.md).
func selectFragment(sel []string) string {
	if len(sel) == 0 {
		return ""
	}
	return "(" + strings.Join(sel, ",") + ")"
}

// metadataNone reports whether the client asked for no control
// information: Accept: application/json;odata.metadata=none (OData JSON
// Format 4.01, section 3.1.3; Graph serves odata.metadata=minimal by
// default, Content-Type of every answer).
func (r *request) metadataNone() bool {
	for _, v := range r.http.Header.Values("Accept") {
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

// stripControl removes the control information odata.metadata=none leaves
// out: every "@odata." annotation except the nextLink, deltaLink and
// count, which the format keeps ("the service SHOULD omit control
// information other than odata.nextLink and odata.count").
func stripControl(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			if strings.HasPrefix(k, "@odata.") && k != "@odata.nextLink" && k != "@odata.count" && k != "@odata.deltaLink" {
				continue
			}
			out[k] = stripControl(val)
		}
		return out
	case []map[string]any:
		out := make([]map[string]any, len(x))
		for i, m := range x {
			out[i] = stripControl(m).(map[string]any)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = stripControl(e)
		}
		return out
	}
	return v
}

// contextURL is the @odata.context of a response.
func (r *request) contextURL(fragment string) string {
	return r.base + "/" + r.version + "/$metadata#" + fragment
}

// selectProps parses $select against the known properties (case-insensitive);
// an unknown property is a 400 as in Graph.
func (r *request) selectProps(lookup func(string) (string, bool), typeName string) ([]string, error) {
	v := r.query.Get("$select")
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
			return nil, errBadRequest(codeBadRequest, "Could not find a property named '%s' on type '%s'.", p, typeName)
		}
		out = append(out, name)
	}
	return out, nil
}

// consistencyEventual reports whether the request carries the
// ConsistencyLevel: eventual header of Graph's advanced directory queries.
func (r *request) consistencyEventual() bool {
	return strings.EqualFold(strings.TrimSpace(r.http.Header.Get("ConsistencyLevel")), "eventual")
}

// countOption reads $count=true|false.
func (r *request) countOption() (bool, error) {
	v, ok := r.query["$count"]
	if !ok {
		return false, nil
	}
	switch strings.ToLower(strings.TrimSpace(v[0])) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errBadRequest(codeBadRequest, "Invalid value '%s' for $count: use true or false.", v[0])
}

// orderByOption parses $orderby as "<property> [asc|desc]" against the
// properties the endpoint can sort by (case-insensitive). It returns the
// canonical property name, or "" when $orderby is absent.
func (r *request) orderByOption(resource string, sortable ...string) (string, bool, error) {
	v := strings.TrimSpace(r.query.Get("$orderby"))
	if v == "" {
		return "", false, nil
	}
	if strings.Contains(v, ",") {
		return "", false, errBadRequest(codeUnsupportedQuery, "Sorting by more than one property is not supported: '%s'.", v)
	}
	fields := strings.Fields(v)
	desc := false
	if len(fields) == 2 {
		switch strings.ToLower(fields[1]) {
		case "asc":
		case "desc":
			desc = true
		default:
			return "", false, errBadRequest(codeBadRequest, "Invalid $orderby '%s': the direction must be asc or desc.", v)
		}
	} else if len(fields) != 1 {
		return "", false, errBadRequest(codeBadRequest, "Invalid $orderby '%s': use a property name, optionally followed by asc or desc.", v)
	}
	for _, p := range sortable {
		if strings.EqualFold(p, fields[0]) {
			return p, desc, nil
		}
	}
	return "", false, errBadRequest(codeUnsupportedQuery, "Unsupported sort property '%s' for '%s'; sortable properties are %s.", fields[0], resource, strings.Join(sortable, " and "))
}

// refuseOptions answers Graph's errors for query options an endpoint does
// not support ($skip on directory collections, for example), rather than
// silently ignoring them.
func (r *request) refuseOptions(options ...string) error {
	for _, o := range options {
		if _, ok := r.query[o]; ok {
			return errBadRequest(codeBadRequest, "'%s' is not supported by the service.", o)
		}
	}
	return nil
}
