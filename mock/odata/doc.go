// Package odata is the OData query language as Microsoft Graph speaks it,
// for the mock Graph server: the $filter grammar (a tokenizer, a
// recursive-descent parser, a printer whose output parses back to the same
// tree, a validator against a resource's Schema and an evaluator over any
// record a func(name string) any can read), $search, $select, $orderby,
// $top, $count and $skiptoken, and the odata.metadata=none rule of the JSON
// format.
//
// It knows the grammar and the per-property operator table a Schema
// declares; it does not know Graph's resources, its headers or its HTTP
// errors. The server (package mock) declares which properties of which
// resource may be filtered, searched and sorted, decides when a request is
// an advanced query (ConsistencyLevel: eventual and $count=true), and maps
// an *Error to Graph's status and error code. The package imports nothing
// of mfactl.
//
// Why not a library: the one maintained Go OData parser,
// github.com/CiscoM31/godata, was weighed and not used. It is not served by
// the Go module proxy this project builds from (its version list answers
// 403); it parses to a generic token tree without an evaluator or a
// per-property table of operators allowed by default or only in advanced
// queries, which is most of what the mock needs; it reads `not` with the
// strict OData precedence, where Graph's directory (and every client
// written against it) reads `not userType eq 'Guest'` as
// `not (userType eq 'Guest')`; and its error messages are its own, where
// the mock must answer with Graph's ("Invalid filter clause: ...",
// "Unsupported or invalid query filter clause specified for property ...").
package odata
