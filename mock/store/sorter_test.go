package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"
)

type put struct{ bucket, key, value string }

// want is what a sorter must give back for puts: the last value of each
// key, in bucket and key order.
func want(puts []put) []put {
	last := map[[2]string]string{}
	for _, p := range puts {
		last[[2]string{p.bucket, p.key}] = p.value
	}
	var out []put
	for k, v := range last {
		out = append(out, put{k[0], k[1], v})
	}
	slices.SortFunc(out, func(a, b put) int {
		if a.bucket != b.bucket {
			return cmpStr(a.bucket, b.bucket)
		}
		return cmpStr(a.key, b.key)
	})
	return out
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func manyPuts(n int) []put {
	var puts []put
	for i := 0; i < n; i++ {
		// A scattered order, and every seventh key put again later.
		k := (i * 7919) % n
		puts = append(puts, put{fmt.Sprintf("b%d", k%3), fmt.Sprintf("k%05d", k), fmt.Sprintf("v%d", i)})
		if i%7 == 0 {
			puts = append(puts, put{fmt.Sprintf("b%d", (k/2)%3), fmt.Sprintf("k%05d", k/2), fmt.Sprintf("again%d", i)})
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
		{"in memory", []put{{"b", "2", "x"}, {"a", "9", "y"}, {"b", "1", "z"}, {"b", "2", "last"}}, 0, false},
		{"one key many times", []put{{"b", "k", "1"}, {"b", "k", "2"}, {"b", "k", "3"}}, 1, true},
		{"spilled runs", manyPuts(3000), 4096, true},
		{"spilled, duplicates across runs", manyPuts(500), 512, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := NewSorter(dir, tt.limit)
			for _, p := range tt.puts {
				if err := s.Put(p.bucket, p.key, []byte(p.value)); err != nil {
					t.Fatal(err)
				}
			}
			if got := len(s.runs) > 0; got != tt.runs {
				t.Errorf("spilled runs: %v, want %v", got, tt.runs)
			}
			var got []put
			if err := s.Each(func(b, k string, v []byte) error {
				got = append(got, put{b, k, string(v)})
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if w := want(tt.puts); !reflect.DeepEqual(got, w) && (len(got) > 0 || len(w) > 0) {
				t.Fatalf("got %d pairs, want %d\n got %v\nwant %v", len(got), len(w), head(got), head(w))
			}
			if err := s.Each(func(string, string, []byte) error { return nil }); err == nil {
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
		s.Put(p.bucket, p.key, []byte(p.value))
	}
	boom := errors.New("boom")
	n := 0
	err := s.Each(func(string, string, []byte) error {
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

// snapshot reads every bucket of a store.
func snapshot(t *testing.T, st Store) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	st.View(func(tx Tx) error {
		for _, b := range tx.Buckets() {
			out[b] = map[string]string{}
			tx.Scan(b, "", "", func(k string, v []byte) bool {
				out[b][k] = string(v)
				return true
			})
		}
		return nil
	})
	return out
}

func asSnapshot(puts []put) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, p := range want(puts) {
		if out[p.bucket] == nil {
			out[p.bucket] = map[string]string{}
		}
		out[p.bucket][p.key] = p.value
	}
	return out
}

func TestReplace(t *testing.T) {
	defer func(b int) { replaceBatch = b }(replaceBatch)
	replaceBatch = 1024 // many staging transactions
	old := []put{{"old", "k", "v"}, {"b0", "k00001", "old value"}, {"b0", "zzz", "gone"}}
	stores := map[string]func(t *testing.T) Store{
		"memory": func(*testing.T) Store { return NewMemory() },
		"bolt": func(t *testing.T) Store {
			b, err := OpenBolt(filepath.Join(t.TempDir(), "s.db"), time.Second)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			return b
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			st.Update(func(tx Tx) error {
				for _, p := range old {
					tx.Put(p.bucket, p.key, []byte(p.value))
				}
				return nil
			})
			// A load that fails leaves the old content.
			failed := NewSorter(t.TempDir(), 256)
			for _, p := range manyPuts(300) {
				failed.Put(p.bucket, p.key, []byte(p.value))
			}
			failed.done = true
			if err := Replace(st, failed); err == nil {
				t.Fatal("a failed load reported success")
			}
			if got := snapshot(t, st); !reflect.DeepEqual(got, asSnapshot(old)) {
				t.Fatalf("after a failed load: %v", got)
			}
			puts := manyPuts(2000)
			src := NewSorter(t.TempDir(), 4096)
			defer src.Close()
			for _, p := range puts {
				src.Put(p.bucket, p.key, []byte(p.value))
			}
			if err := Replace(st, src); err != nil {
				t.Fatal(err)
			}
			if got, w := snapshot(t, st), asSnapshot(puts); !reflect.DeepEqual(got, w) {
				for b := range w {
					t.Errorf("bucket %s: %d keys, want %d", b, len(got[b]), len(w[b]))
				}
				t.Fatalf("replaced content differs (%d buckets)", len(got))
			}
			if b, ok := st.(*Bolt); ok {
				if err := b.Check(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestReplaceTx(t *testing.T) {
	b, err := OpenBolt(filepath.Join(t.TempDir(), "s.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.Update(func(tx Tx) error { return tx.Put("old", "k", []byte("v")) })
	puts := manyPuts(1000)
	src := NewSorter(t.TempDir(), 2048)
	defer src.Close()
	for _, p := range puts {
		src.Put(p.bucket, p.key, []byte(p.value))
	}
	if err := b.Update(func(tx Tx) error { return ReplaceTx(tx, src) }); err != nil {
		t.Fatal(err)
	}
	if got := snapshot(t, b); !reflect.DeepEqual(got, asSnapshot(puts)) {
		t.Fatal("replaced content differs")
	}
}
