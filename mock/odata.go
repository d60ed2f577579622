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
			parts = append(parts, k+"="+url.QueryEscape(v))
		}
	}
	return r.base + r.http.URL.EscapedPath() + "?" + strings.Join(parts, "&")
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
