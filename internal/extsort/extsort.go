// Package extsort sorts more key/value pairs than fit in memory: a Sorter
// holds about a set number of bytes and spills sorted runs to temporary
// files beyond that, then merges them. The mock's seeding loads a million
// users into bbolt in key order with it, and report diff matches two
// million-user reports by user id.
package extsort

import (
	"bufio"
	"cmp"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// Sorter gathers key/value pairs and gives them back in key order (Each),
// holding about limit bytes in memory: beyond that it writes sorted runs to
// temporary files and merges them.
//
// When a key is put more than once, the last value wins. A Sorter is used
// once: Put, then Each, then Close (which removes its files).
type Sorter struct {
	dir   string
	limit int

	buf  []sortEntry
	size int
	seq  int

	tmp  string   // the directory of the runs, made on the first spill
	runs []string // run files, oldest first
	done bool
}

type sortEntry struct {
	key   string
	value []byte
	seq   int
}

// DefaultMemory is the memory a Sorter uses before it spills a run.
const DefaultMemory = 32 << 20

// NewSorter returns a sorter that spills runs to a new directory under dir
// ("" means the system's temporary directory) once it holds about limit
// bytes (0 means DefaultMemory).
func NewSorter(dir string, limit int) *Sorter {
	if limit <= 0 {
		limit = DefaultMemory
	}
	return &Sorter{dir: dir, limit: limit}
}

// entryOverhead approximates the memory of one buffered entry beyond its
// bytes (the entry itself and the headers of its strings and slice).
const entryOverhead = 80

// Put adds a pair; the sorter keeps value (the caller must not modify it).
func (s *Sorter) Put(key string, value []byte) error {
	if s.done {
		return errors.New("extsort: Put on a sorter that was read")
	}
	s.seq++
	s.buf = append(s.buf, sortEntry{key: key, value: value, seq: s.seq})
	s.size += len(key) + len(value) + entryOverhead
	if s.size >= s.limit {
		return s.spill()
	}
	return nil
}

func compareEntries(a, b *sortEntry) int {
	if c := cmp.Compare(a.key, b.key); c != 0 {
		return c
	}
	return cmp.Compare(a.seq, b.seq)
}

// sortBuffer sorts the buffer and keeps the last value of each key.
func (s *Sorter) sortBuffer() []sortEntry {
	slices.SortFunc(s.buf, func(a, b sortEntry) int { return compareEntries(&a, &b) })
	out := s.buf[:0]
	for i := range s.buf {
		if i+1 < len(s.buf) && s.buf[i+1].key == s.buf[i].key {
			continue
		}
		out = append(out, s.buf[i])
	}
	return out
}

// spill writes the buffer as a sorted run.
func (s *Sorter) spill() error {
	if s.tmp == "" {
		d, err := os.MkdirTemp(s.dir, "mfactl-sort-")
		if err != nil {
			return fmt.Errorf("extsort: sort directory: %w", err)
		}
		s.tmp = d
	}
	f, err := os.CreateTemp(s.tmp, "run-")
	if err != nil {
		return fmt.Errorf("extsort: sort run: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var hdr [binary.MaxVarintLen64]byte
	for _, e := range s.sortBuffer() {
		for _, part := range [][]byte{[]byte(e.key), e.value} {
			n := binary.PutUvarint(hdr[:], uint64(len(part)))
			w.Write(hdr[:n])
			w.Write(part)
		}
	}
	err = w.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("extsort: write sort run: %w", err)
	}
	s.runs = append(s.runs, f.Name())
	clear(s.buf)
	s.buf, s.size = s.buf[:0], 0
	return nil
}

// Each calls fn with every pair in key order (the last value put under
// each key), until fn returns an error. The value passed to fn is fn's to
// keep.
func (s *Sorter) Each(fn func(key string, value []byte) error) error {
	if s.done {
		return errors.New("extsort: a sorter is read once")
	}
	s.done = true
	if len(s.runs) == 0 {
		for _, e := range s.sortBuffer() {
			if err := fn(e.key, e.value); err != nil {
				return err
			}
		}
		return nil
	}
	if len(s.buf) > 0 {
		if err := s.spill(); err != nil {
			return err
		}
	}
	s.buf = nil
	h := make(runHeap, 0, len(s.runs))
	for i, name := range s.runs {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("extsort: read sort run: %w", err)
		}
		defer f.Close()
		r := &runReader{r: bufio.NewReaderSize(f, 256<<10), run: i}
		ok, err := r.next()
		if err != nil {
			return err
		}
		if ok {
			h = append(h, r)
		}
	}
	heap.Init(&h)
	for len(h) > 0 {
		// Of the runs holding the smallest key, the newest wins.
		top := h[0]
		e := top.cur
		newest := top.run
		for len(h) > 0 && h[0].cur.key == e.key {
			r := h[0]
			if r.run >= newest {
				e, newest = r.cur, r.run
			}
			ok, err := r.next()
			if err != nil {
				return err
			}
			if ok {
				heap.Fix(&h, 0)
			} else {
				heap.Pop(&h)
			}
		}
		if err := fn(e.key, e.value); err != nil {
			return err
		}
	}
	return nil
}

// Close removes the sorter's files.
func (s *Sorter) Close() error {
	s.buf = nil
	if s.tmp == "" {
		return nil
	}
	err := os.RemoveAll(s.tmp)
	s.tmp, s.runs = "", nil
	return err
}

type runReader struct {
	r   *bufio.Reader
	run int
	cur sortEntry
}

// next reads the run's next entry, reporting false at its end.
func (r *runReader) next() (bool, error) {
	var parts [2][]byte
	for i := range parts {
		n, err := binary.ReadUvarint(r.r)
		if err == io.EOF && i == 0 {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("extsort: read sort run: %w", err)
		}
		parts[i] = make([]byte, n)
		if _, err := io.ReadFull(r.r, parts[i]); err != nil {
			return false, fmt.Errorf("extsort: read sort run: %w", err)
		}
	}
	r.cur = sortEntry{key: string(parts[0]), value: parts[1]}
	return true, nil
}

// runHeap orders run readers by their current entry, older runs first
// among equal keys.
type runHeap []*runReader

func (h runHeap) Len() int { return len(h) }
func (h runHeap) Less(i, j int) bool {
	if c := compareEntries(&h[i].cur, &h[j].cur); c != 0 {
		return c < 0
	}
	return h[i].run < h[j].run
}
func (h runHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)   { *h = append(*h, x.(*runReader)) }
func (h *runHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	*h = old[:len(old)-1]
	return r
}
