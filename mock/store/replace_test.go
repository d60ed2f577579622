package store

import (
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/mfactl/mfactl/internal/extsort"
)

type put struct{ bucket, key, value string }

// manyPuts is n pairs over three buckets in a scattered order, some keys
// put twice.
func manyPuts(n int) []put {
	var puts []put
	for i := 0; i < n; i++ {
		k := (i * 7919) % n
		puts = append(puts, put{fmt.Sprintf("b%d", k%3), fmt.Sprintf("k%05d", k), fmt.Sprintf("v%d", i)})
		if i%7 == 0 {
			puts = append(puts, put{fmt.Sprintf("b%d", (k/2)%3), fmt.Sprintf("k%05d", k/2), fmt.Sprintf("again%d", i)})
		}
	}
	return puts
}

func sorterOf(t *testing.T, puts []put, limit int) *extsort.Sorter {
	s := extsort.NewSorter(t.TempDir(), limit)
	t.Cleanup(func() { s.Close() })
	for _, p := range puts {
		if err := s.Put(SortKey(p.bucket, p.key), []byte(p.value)); err != nil {
			t.Fatal(err)
		}
	}
	return s
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
	for _, p := range puts {
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
			failed := sorterOf(t, manyPuts(300), 256)
			failed.Each(func(string, []byte) error { return nil }) // a sorter is read once
			if err := Replace(st, failed); err == nil {
				t.Fatal("a failed load reported success")
			}
			if got := snapshot(t, st); !reflect.DeepEqual(got, asSnapshot(old)) {
				t.Fatalf("after a failed load: %v", got)
			}
			puts := manyPuts(2000)
			if err := Replace(st, sorterOf(t, puts, 4096)); err != nil {
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
	src := sorterOf(t, puts, 2048)
	if err := b.Update(func(tx Tx) error { return ReplaceTx(tx, src) }); err != nil {
		t.Fatal(err)
	}
	if got := snapshot(t, b); !reflect.DeepEqual(got, asSnapshot(puts)) {
		t.Fatal("replaced content differs")
	}
}
