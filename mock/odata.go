package mock

import (
	"errors"
	"strings"

	"github.com/mfactl/mfactl/mock/odata"
)

// The OData query language (the $filter grammar and evaluator, $search,
// $select, $orderby, $top, $count, $skiptoken) lives in package
// mock/odata; this file applies it to a request and maps its refusals to
// Graph's errors. Which properties of which resource may be filtered,
// searched and sorted, and the rules of advanced queries, are the
// endpoints' (users.go, reports.go, directory.go).

// queryError maps a refusal of package odata to Graph's 400: what the
// resource does not support is Request_UnsupportedQuery, as is an operator
// that needs the advanced query parameters (with Graph's message naming
// them, concepts/aad-advanced-queries.md); a malformed option has
// invalidCode (BadRequest for $filter, Request_BadRequest for the others,
// as the directory answers).
func queryError(err error, invalidCode string) error {
	var oe *odata.Error
	if !errors.As(err, &oe) {
		return err
	}
	switch oe.Kind {
	case odata.Unsupported:
		return errBadRequest(codeUnsupportedQuery, "%s", oe.Message)
	case odata.NeedsAdvanced:
		return errBadRequest(codeUnsupportedQuery, "Operator '%s' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information", oe.Operator)
	}
	return errBadRequest(invalidCode, "%s", oe.Message)
}

// compileFilter compiles the request's $filter for a resource; advanced
// says the request carries the advanced query parameters.
func compileFilter(src string, schema *odata.Schema, advanced bool) (*odata.Filter, error) {
	f, err := odata.CompileFilter(src, schema, advanced)
	if err != nil {
		return nil, queryError(err, codeBadBody)
	}
	return f, nil
}

// pageSize reads $top with the endpoint's default and maximum.
func (r *request) pageSize(def, max int) (int, error) {
	n, err := odata.ParseTop(r.query.Get("$top"), def, max)
	return n, queryError(err, codeBadRequest)
}

// skipToken returns the key to continue after, from $skiptoken.
func (r *request) skipToken() (string, error) {
	k, err := odata.DecodeSkipToken(r.query.Get("$skiptoken"))
	return k, queryError(err, codeBadRequest)
}

// nextLink builds an absolute @odata.nextLink that repeats every query
// option of this request and continues after lastKey.
func (r *request) nextLink(lastKey string) string {
	return r.base + r.http.URL.EscapedPath() + "?" + odata.NextLinkQuery(r.query, lastKey)
}

// metadataNone reports whether the client asked for no control
// information (Accept: application/json;odata.metadata=none).
func (r *request) metadataNone() bool {
	return odata.MetadataNone(r.http.Header.Values("Accept"))
}

// contextURL is the @odata.context of a response.
func (r *request) contextURL(fragment string) string {
	return r.base + "/" + r.version + "/$metadata#" + fragment
}

// selectProps parses $select against the known properties (case-insensitive);
// an unknown property is a 400 as in Graph.
func (r *request) selectProps(lookup func(string) (string, bool), typeName string) ([]string, error) {
	sel, err := odata.ParseSelect(r.query.Get("$select"), lookup, typeName)
	return sel, queryError(err, codeBadRequest)
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
	c, err := odata.ParseCount(v[0])
	return c, queryError(err, codeBadRequest)
}

// orderByOption parses $orderby against the properties the endpoint can
// sort by. It returns the canonical property name, or "" when $orderby is
// absent.
func (r *request) orderByOption(resource string, sortable ...string) (string, bool, error) {
	p, desc, err := odata.ParseOrderBy(r.query.Get("$orderby"), resource, sortable...)
	return p, desc, queryError(err, codeBadRequest)
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
