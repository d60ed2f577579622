package mock

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/mfactl/mfactl/methods"
)

// stdGraphJSON is the reference: encoding/json without HTML escaping.
func stdGraphJSON(t testing.TB, v any) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

func TestAppendGraphJSONMatchesEncodingJSON(t *testing.T) {
	when := time.Date(2025, 6, 1, 12, 0, 0, 5, time.UTC)
	tests := []struct {
		name string
		v    any
	}{
		{"nil", nil},
		{"string", "a&b<c>\"d\"\\e\n\t\r\b\f\x01\x1f é \u2028\u2029 \xff"},
		{"bools and ints", map[string]any{"t": true, "f": false, "i": -42, "j": int64(1 << 40)}},
		{"nested", map[string]any{"@odata.context": "http://x/$metadata#users", "value": []map[string]any{
			{"id": "1", "b": nil, "a": []string{"x", "y"}}, nil, {},
		}}},
		{"nil collections", map[string]any{"m": map[string]any(nil), "s": []string(nil), "a": []any(nil), "ms": []map[string]any(nil)}},
		{"empty collections", map[string]any{"m": map[string]any{}, "s": []string{}, "a": []any{}, "ms": []map[string]any{}}},
		{"any slice", []any{1, "two", true, nil, map[string]any{"k": 1.5}}},
		{"other types go to encoding/json", map[string]any{
			"float": 3.25, "time": when, "kind": methods.KindPhone, "raw": json.RawMessage(`{ "a" : 1 }`),
			"struct": struct {
				A string `json:"a"`
			}{"<&>"}, "map": map[string]int{"b": 2, "a": 1},
		}},
		{"many keys", func() map[string]any {
			m := map[string]any{}
			for _, k := range []string{"z", "y", "x", "w", "v", "u", "t", "s", "r", "q", "p", "o", "n", "m", "l", "k", "j", "i", "h", "g", "f", "e", "d", "c", "b", "a", "é", "@a", "A"} {
				m[k] = k
			}
			return m
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := appendGraphJSON(nil, tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if want := stdGraphJSON(t, tt.v); string(got) != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestAppendGraphJSONError(t *testing.T) {
	if _, err := appendGraphJSON(nil, map[string]any{"c": make(chan int)}); err == nil {
		t.Fatal("a channel encoded without an error")
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\"back\\slash", "\x00\x1f\x7f", "é\u2028\u2029", "\xff\xfe", "<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := string(appendJSONString(nil, s))
		if want := stdGraphJSON(t, s); got != want {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	})
}

// fillAll sets every field of v (a pointer to a struct) to a value that is
// not its zero value, so json.Marshal writes every key.
func fillAll(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fillAll(v.Elem())
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Date(2024, 2, 3, 4, 5, 6, 7, time.UTC)))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fillAll(v.Field(i))
			}
		}
	case reflect.String:
		v.SetString("s-" + v.Type().Name())
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(-17)
	case reflect.Uint, reflect.Uint64, reflect.Uint32:
		v.SetUint(17)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fillAll(v.Index(0))
	}
}

// TestUnmarshalStoredKnowsEveryField fails when a field is added to a
// record without teaching its fast decoder the key: the decoder would fall
// back to encoding/json for every record (correct, but slow).
func TestUnmarshalStoredKnowsEveryField(t *testing.T) {
	tests := []struct {
		name      string
		full      any
		field     func(any) func(key, v []byte) bool
		fresh     func() any
		unmarshal func(any, []byte) error
	}{
		{"userRecord", &userRecord{}, func(v any) func(k, b []byte) bool {
			return func(k, b []byte) bool { return v.(*userRecord).field(&storedDoc{b: b, s: string(b)}, k, b) }
		},
			func() any { return &userRecord{} }, func(v any, b []byte) error { return v.(*userRecord).UnmarshalStored(b) }},
		{"methodRecord", &methodRecord{}, func(v any) func(k, b []byte) bool {
			return func(k, b []byte) bool { return v.(*methodRecord).field(&storedDoc{b: b, s: string(b)}, k, b) }
		},
			func() any { return &methodRecord{} }, func(v any, b []byte) error { return v.(*methodRecord).UnmarshalStored(b) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fillAll(reflect.ValueOf(tt.full))
			b, err := json.Marshal(tt.full)
			if err != nil {
				t.Fatal(err)
			}
			if !scanJSONObject(b, tt.field(tt.fresh())) {
				t.Fatalf("the fast decoder does not know every key of %s; add the new field to its field method:\n%s", tt.name, b)
			}
			got := tt.fresh()
			if err := tt.unmarshal(got, b); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.full) {
				t.Fatalf("decoded %+v\nwant    %+v", got, tt.full)
			}
		})
	}
}

// sameAsEncodingJSON decodes b both ways and compares values and errors.
func sameAsEncodingJSON[T any](t *testing.T, b []byte, fast func(*T, []byte) error) {
	t.Helper()
	var want, got T
	werr := json.Unmarshal(b, &want)
	gerr := fast(&got, b)
	if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
		t.Fatalf("%q: error %v, encoding/json says %v", b, gerr, werr)
	}
	if werr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\ndecoded %+v\nwant    %+v", b, got, want)
	}
}

func FuzzUnmarshalStored(f *testing.F) {
	var u userRecord
	fillAll(reflect.ValueOf(&u))
	var m methodRecord
	fillAll(reflect.ValueOf(&m))
	for _, v := range []any{u, m, userRecord{ID: "x"}, methodRecord{UserID: "u"}} {
		b, _ := json.Marshal(v)
		f.Add(b)
	}
	for _, s := range []string{
		``, `{}`, ` { } `, `{"id":"a","id":"b"}`, `{"ID":"x"}`, `{"id":"a\u0062"}`, `{"i\u0064":"x"}`,
		`{"accountEnabled":1}`, `{"accountEnabled":null}`, `{"lifetimeInMinutes":01}`, `{"lifetimeInMinutes":1e2}`,
		`{"lifetimeInMinutes":-0}`, `{"lifetimeInMinutes":99999999999999999999}`, `{"createdDateTime":null}`,
		`{"createdDateTime":"2024-13-01T00:00:00Z"}`, `{"roles":["a",1]}`, `{"device":{"id":"t"}}`, `{"oathState":{"counter":-1}}`,
		`{"id":"a"} x`, `{"id":"a",}`, `{"id" "a"}`, `{"id":"a\x01"}`, "{\"id\":\"\xff\"}", `{"id":tru}`, `[]`, `{"type":"phone","isUsable":true}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sameAsEncodingJSON(t, b, (*userRecord).UnmarshalStored)
		sameAsEncodingJSON(t, b, (*methodRecord).UnmarshalStored)
	})
}
