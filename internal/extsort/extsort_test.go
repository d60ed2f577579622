package extsort

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

type put struct{ key, value string }

// want is what a sorter must give back for puts: the last value of each
// key, in bucket and key order.
func want(puts []put) []put {
	last := map[string]string{}
	for _, p := range puts {
		last[p.key] = p.value
	}
	var out []put
	for k, v := range last {
		out = append(out, put{k, v})
	}
	slices.SortFunc(out, func(a, b put) int { return strings.Compare(a.key, b.key) })
	return out
}

func manyPuts(n int) []put {
	var puts []put
	for i := 0; i < n; i++ {
		// A scattered order, and every seventh key put again later.
		k := (i * 7919) % n
		puts = append(puts, put{fmt.Sprintf("b%d/k%05d", k%3, k), fmt.Sprintf("v%d", i)})
		if i%7 == 0 {
			puts = append(puts, put{fmt.Sprintf("b%d/k%05d", (k/2)%3, k/2), fmt.Sprintf("again%d", i)})
		}
	}
	return puts
}

func TestSorter(t *testing.T) {
	tests := []struct {
		name  string
		puts  []put
		limit int
		runs  bool
	}{
		{"empty", nil, 0, false},
		{"in memory", []put{{"b2", "x"}, {"a9", "y"}, {"b1", "z"}, {"b2", "last"}}, 0, false},
		{"one key many times", []put{{"k", "1"}, {"k", "2"}, {"k", "3"}}, 1, true},
		{"empty key and value", []put{{"", ""}, {"a", ""}, {"", "x"}}, 1, true},
		{"spilled runs", manyPuts(3000), 4096, true},
		{"spilled, duplicates across runs", manyPuts(500), 512, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := NewSorter(dir, tt.limit)
			for _, p := range tt.puts {
				if err := s.Put(p.key, []byte(p.value)); err != nil {
					t.Fatal(err)
				}
			}
			if got := len(s.runs) > 0; got != tt.runs {
				t.Errorf("spilled runs: %v, want %v", got, tt.runs)
			}
			var got []put
			if err := s.Each(func(k string, v []byte) error {
				got = append(got, put{k, string(v)})
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if w := want(tt.puts); !reflect.DeepEqual(got, w) && (len(got) > 0 || len(w) > 0) {
				t.Fatalf("got %d pairs, want %d\n got %v\nwant %v", len(got), len(w), head(got), head(w))
			}
			if err := s.Each(func(string, []byte) error { return nil }); err == nil {
				t.Error("a sorter was read twice")
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Errorf("Close left %d files", len(left))
			}
		})
	}
}

func head(p []put) []put { return p[:min(len(p), 8)] }

func TestSorterStopsOnError(t *testing.T) {
	s := NewSorter(t.TempDir(), 256)
	defer s.Close()
	for _, p := range manyPuts(200) {
		s.Put(p.key, []byte(p.value))
	}
	boom := errors.New("boom")
	n := 0
	err := s.Each(func(string, []byte) error {
		n++
		if n == 10 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || n != 10 {
		t.Fatalf("Each: %v after %d pairs, want boom after 10", err, n)
	}
}
