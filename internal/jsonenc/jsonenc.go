// Package jsonenc is the one JSON encoding of what mfactl writes and what
// its mock serves: encoding/json without HTML escaping, so &, < and > stay
// as they are (Graph's nextLinks carry a literal &, and an otpauth:// URI
// or a question text printed by the CLI must not turn into \u0026).
package jsonenc

import (
	"bytes"
	"encoding/json"
)

// Marshal is json.Marshal without HTML escaping.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
