package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// stores returns a fresh store of each kind; every contract test runs on both.
func stores(t *testing.T) map[string]Store {
	t.Helper()
	b, err := OpenBolt(filepath.Join(t.TempDir(), "state.db"), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return map[string]Store{"memory": NewMemory(), "bolt": b}
}

func TestPutGetDeleteAndCopies(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			val := []byte("one")
			if err := s.Update(func(tx Tx) error { return tx.Put("b", "k", val) }); err != nil {
				t.Fatal(err)
			}
			val[0] = 'X' // the store kept its own copy
			var got []byte
			s.View(func(tx Tx) error {
				got, _ = tx.Get("b", "k")
				return nil
			})
			if string(got) != "one" {
				t.Fatalf("got %q", got)
			}
			got[0] = 'Y' // and handed out a copy
			s.View(func(tx Tx) error {
				again, _ := tx.Get("b", "k")
				if string(again) != "one" {
					t.Errorf("store value changed through a returned slice: %q", again)
				}
				if _, ok := tx.Get("b", "missing"); ok {
					t.Error("missing key found")
				}
				if _, ok := tx.Get("nobucket", "k"); ok {
					t.Error("missing bucket found")
				}
				return nil
			})
			if err := s.Update(func(tx Tx) error { return tx.Delete("b", "k") }); err != nil {
				t.Fatal(err)
			}
			s.View(func(tx Tx) error {
				if _, ok := tx.Get("b", "k"); ok {
					t.Error("deleted key still there")
				}
				return nil
			})
		})
	}
}

func TestFailedUpdateKeepsNothing(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s.Update(func(tx Tx) error {
				tx.Put("b", "keep", []byte("1"))
				tx.Put("b", "gone", []byte("1"))
				return nil
			})
			boom := errors.New("boom")
			err := s.Update(func(tx Tx) error {
				tx.Put("b", "keep", []byte("2"))
				tx.Put("b", "new", []byte("2"))
				tx.Delete("b", "gone")
				tx.Put("other", "x", []byte("2"))
				tx.DropBucket("b")
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("err %v", err)
			}
			s.View(func(tx Tx) error {
				if v, _ := tx.Get("b", "keep"); string(v) != "1" {
					t.Errorf("keep = %q after rollback", v)
				}
				if _, ok := tx.Get("b", "gone"); !ok {
					t.Error("deleted key not restored")
				}
				if _, ok := tx.Get("b", "new"); ok {
					t.Error("new key survived rollback")
				}
				if tx.Count("other") != 0 {
					t.Error("other bucket survived rollback")
				}
				if tx.Count("b") != 2 {
					t.Errorf("count %d after rollback", tx.Count("b"))
				}
				return nil
			})
		})
	}
}

func TestScanOrderPrefixAndFrom(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s.Update(func(tx Tx) error {
				for _, k := range []string{"u2/b", "u1/z", "u1/a", "u10/a", "u1/m", "u3/a"} {
					tx.Put("m", k, []byte(k))
				}
				return nil
			})
			scan := func(prefix, from string, limit int) []string {
				var out []string
				s.View(func(tx Tx) error {
					return tx.Scan("m", prefix, from, func(k string, v []byte) bool {
						if k != string(v) {
							t.Errorf("value of %s is %s", k, v)
						}
						out = append(out, k)
						return len(out) < limit
					})
				})
				return out
			}
			tests := []struct {
				prefix, from string
				limit        int
				want         string
			}{
				{"u1/", "", 10, "[u1/a u1/m u1/z]"},
				{"u1/", "u1/b", 10, "[u1/m u1/z]"},
				{"", "", 10, "[u1/a u1/m u1/z u10/a u2/b u3/a]"},
				{"", "u10/a\x00", 10, "[u2/b u3/a]"},
				{"", "", 2, "[u1/a u1/m]"},
				{"u4/", "", 10, "[]"},
			}
			for _, tt := range tests {
				if got := fmt.Sprint(scan(tt.prefix, tt.from, tt.limit)); got != tt.want {
					t.Errorf("Scan(%q, %q) = %s, want %s", tt.prefix, tt.from, got, tt.want)
				}
			}
		})
	}
}

func TestScanReverseOrderPrefixAndBefore(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s.Update(func(tx Tx) error {
				for _, k := range []string{"u2/b", "u1/z", "u1/a", "u10/a", "u1/m", "u3/a", "v\xff\xff", "v\xff"} {
					tx.Put("m", k, []byte(k))
				}
				return nil
			})
			scan := func(prefix, before string, limit int) []string {
				var out []string
				s.View(func(tx Tx) error {
					return tx.ScanReverse("m", prefix, before, func(k string, v []byte) bool {
						if k != string(v) {
							t.Errorf("value of %s is %s", k, v)
						}
						out = append(out, k)
						return len(out) < limit
					})
				})
				return out
			}
			tests := []struct {
				prefix, before string
				limit          int
				want           string
			}{
				{"u1/", "", 10, "[u1/z u1/m u1/a]"},
				{"u1/", "u1/m", 10, "[u1/a]"},
				{"u1/", "u1/zz", 10, "[u1/z u1/m u1/a]"},
				{"u1/", "u2", 10, "[u1/z u1/m u1/a]"},
				{"u1/", "u1/a", 10, "[]"},
				{"u", "", 10, "[u3/a u2/b u10/a u1/z u1/m u1/a]"},
				{"u", "u10/a", 2, "[u1/z u1/m]"},
				{"", "u2/b", 10, "[u10/a u1/z u1/m u1/a]"},
				{"", "", 2, "[v\xff\xff v\xff]"},
				{"v\xff", "", 10, "[v\xff\xff v\xff]"},
				{"u4/", "", 10, "[]"},
				{"a", "", 10, "[]"},
			}
			for _, tt := range tests {
				if got := fmt.Sprintf("%q", scan(tt.prefix, tt.before, tt.limit)); got != fmt.Sprintf("%q", brackets(tt.want)) {
					t.Errorf("ScanReverse(%q, %q) = %s, want %s", tt.prefix, tt.before, got, tt.want)
				}
			}
		})
	}
}

// brackets parses the "[a b c]" notation of the scan tables.
func brackets(s string) []string {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if s == "" {
		return nil
	}
	return strings.Split(s, " ")
}

func TestWritesRefusedInView(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			err := s.View(func(tx Tx) error { return tx.Put("b", "k", nil) })
			if !errors.Is(err, ErrReadOnly) {
				t.Errorf("Put in View: %v", err)
			}
		})
	}
}

func TestConcurrentWritersLoseNoUpdate(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			const workers, each = 8, 25
			var wg sync.WaitGroup
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < each; i++ {
						err := s.Update(func(tx Tx) error {
							var n int
							if _, err := GetJSON(tx, "c", "n", &n); err != nil {
								return err
							}
							return PutJSON(tx, "c", "n", n+1)
						})
						if err != nil {
							t.Error(err)
						}
					}
				}()
			}
			wg.Wait()
			var n int
			s.View(func(tx Tx) error { _, err := GetJSON(tx, "c", "n", &n); return err })
			if n != workers*each {
				t.Errorf("counter %d, want %d", n, workers*each)
			}
		})
	}
}

func TestBoltSurvivesReopenAndLocksAgainstSecondOpener(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	b, err := OpenBolt(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(tx Tx) error { return PutJSON(tx, "users", "u1", map[string]string{"upn": "a@b"}) }); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenBolt(path, 50_000_000); !errors.Is(err, ErrLocked) {
		t.Errorf("second opener: %v, want ErrLocked", err)
	}
	b.Close()
	b2, err := OpenBolt(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	var got map[string]string
	ok, err := func() (bool, error) {
		var ok bool
		var err error
		b2.View(func(tx Tx) error { ok, err = GetJSON(tx, "users", "u1", &got); return nil })
		return ok, err
	}()
	if !ok || err != nil || got["upn"] != "a@b" {
		t.Errorf("after reopen: %v %v %v", ok, err, got)
	}
}

func TestBucketsListsWhatExists(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s.Update(func(tx Tx) error {
				tx.Put("zeta", "k", nil)
				tx.Put("alpha", "k", nil)
				tx.Put("mid", "k", nil)
				return tx.DropBucket("mid")
			})
			var got []string
			s.View(func(tx Tx) error { got = tx.Buckets(); return nil })
			if fmt.Sprint(got) != "[alpha zeta]" {
				t.Errorf("Buckets() = %v, want [alpha zeta]", got)
			}
		})
	}
}
