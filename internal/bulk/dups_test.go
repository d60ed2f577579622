package bulk

import (
	"fmt"
	"reflect"
	"testing"
)

func TestRepeats(t *testing.T) {
	type seen struct {
		line, first int
	}
	tests := []struct {
		name string
		keys []string
		want []seen // the repeats, with the line each was first seen on
	}{
		{"none", nil, nil},
		{"distinct", []string{"a", "b", "c"}, nil},
		{"one repeat", []string{"a", "b", "a"}, []seen{{3, 1}}},
		{"thrice", []string{"x", "x", "y", "x"}, []seen{{2, 1}, {4, 1}}},
		{"two keys", []string{"a", "b", "b", "a"}, []seen{{3, 2}, {4, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRepeats()
			for _, k := range tt.keys {
				r.Add(k)
			}
			r.Seal()
			var got []seen
			for i, k := range tt.keys {
				if first, dup := r.First(k, i+1); dup {
					got = append(got, seen{i + 1, first})
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("repeats %v, want %v", got, tt.want)
			}
		})
	}
}

// TestRepeatsKeepsOnlyRepeatedKeys: the second pass remembers only the keys
// whose hash was added more than once, not every key.
func TestRepeatsKeepsOnlyRepeatedKeys(t *testing.T) {
	r := NewRepeats()
	keys := make([]string, 10_000)
	for i := range keys {
		keys[i] = fmt.Sprintf("user%d@contoso.example", i%9_990)
		r.Add(keys[i])
	}
	r.Seal()
	dups := 0
	for i, k := range keys {
		if _, dup := r.First(k, i+1); dup {
			dups++
		}
	}
	if dups != 10 || len(r.first) != 10 {
		t.Errorf("%d repeats found, %d keys remembered; want 10 and 10", dups, len(r.first))
	}
}
