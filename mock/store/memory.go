package store

import (
	"bytes"
	"slices"
	"strings"
	"sync"
)

// Memory is an in-memory Store for tests. Writers are serialised by a mutex;
// an Update that fails is rolled back from an undo log.
type Memory struct {
	mu      sync.RWMutex
	buckets map[string]*memBucket
	closed  bool
}

type memBucket struct {
	data   map[string][]byte
	sorted []string // keys in order; rebuilt lazily after inserts or deletes
	dirty  bool
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{buckets: map[string]*memBucket{}} }

// View runs fn under a read lock.
func (m *Memory) View(fn func(Tx) error) error {
	m.mu.Lock() // Scan may rebuild sorted keys, so readers also serialise.
	defer m.mu.Unlock()
	return fn(&memTx{m: m})
}

// Update runs fn under the write lock and undoes its writes if it fails.
func (m *Memory) Update(fn func(Tx) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	tx := &memTx{m: m, writable: true}
	if err := fn(tx); err != nil {
		tx.rollback()
		return err
	}
	return nil
}

// Close marks the store closed; it holds no resources.
func (m *Memory) Close() error { m.closed = true; return nil }

type undo struct {
	bucket, key string
	old         []byte
	existed     bool
	dropped     *memBucket
}

type memTx struct {
	m        *Memory
	writable bool
	log      []undo
}

func (t *memTx) rollback() {
	for i := len(t.log) - 1; i >= 0; i-- {
		u := t.log[i]
		if u.dropped != nil {
			t.m.buckets[u.bucket] = u.dropped
			continue
		}
		b := t.bucket(u.bucket, true)
		if u.existed {
			if _, ok := b.data[u.key]; !ok {
				b.dirty = true
			}
			b.data[u.key] = u.old
		} else if _, ok := b.data[u.key]; ok {
			delete(b.data, u.key)
			b.dirty = true
		}
	}
}

func (t *memTx) bucket(name string, create bool) *memBucket {
	b := t.m.buckets[name]
	if b == nil && create {
		b = &memBucket{data: map[string][]byte{}}
		t.m.buckets[name] = b
	}
	return b
}

func (t *memTx) Get(bucket, key string) ([]byte, bool) {
	b := t.bucket(bucket, false)
	if b == nil {
		return nil, false
	}
	v, ok := b.data[key]
	if !ok {
		return nil, false
	}
	return bytes.Clone(v), true
}

func (t *memTx) Put(bucket, key string, value []byte) error {
	if !t.writable {
		return ErrReadOnly
	}
	b := t.bucket(bucket, true)
	old, existed := b.data[key]
	t.log = append(t.log, undo{bucket: bucket, key: key, old: old, existed: existed})
	if !existed {
		b.dirty = true
	}
	b.data[key] = bytes.Clone(value)
	return nil
}

func (t *memTx) Delete(bucket, key string) error {
	if !t.writable {
		return ErrReadOnly
	}
	b := t.bucket(bucket, false)
	if b == nil {
		return nil
	}
	old, existed := b.data[key]
	if !existed {
		return nil
	}
	t.log = append(t.log, undo{bucket: bucket, key: key, old: old, existed: true})
	delete(b.data, key)
	b.dirty = true
	return nil
}

// keys returns the bucket's keys in order, rebuilding the sorted list after
// inserts or deletes.
func (b *memBucket) keys() []string {
	if b.dirty || b.sorted == nil {
		// A fresh slice, so a scan still iterating an older list (fn may
		// write to the bucket) keeps its own snapshot.
		sorted := make([]string, 0, len(b.data))
		for k := range b.data {
			sorted = append(sorted, k)
		}
		slices.Sort(sorted)
		b.sorted, b.dirty = sorted, false
	}
	return b.sorted
}

func (t *memTx) Scan(bucket, prefix, from string, fn func(string, []byte) bool) error {
	b := t.bucket(bucket, false)
	if b == nil {
		return nil
	}
	sorted := b.keys()
	start := prefix
	if from > start {
		start = from
	}
	i, _ := slices.BinarySearch(sorted, start)
	for _, k := range sorted[i:] {
		if !strings.HasPrefix(k, prefix) {
			break
		}
		v, ok := b.data[k]
		if !ok {
			continue
		}
		if !fn(k, v) {
			break
		}
	}
	return nil
}

func (t *memTx) ScanReverse(bucket, prefix, before string, fn func(string, []byte) bool) error {
	b := t.bucket(bucket, false)
	if b == nil {
		return nil
	}
	sorted := b.keys()
	i := len(sorted)
	if upper := reverseUpper(prefix, before); upper != "" {
		i, _ = slices.BinarySearch(sorted, upper)
	}
	for j := i - 1; j >= 0; j-- {
		k := sorted[j]
		if !strings.HasPrefix(k, prefix) {
			break
		}
		v, ok := b.data[k]
		if !ok {
			continue
		}
		if !fn(k, v) {
			break
		}
	}
	return nil
}

func (t *memTx) Count(bucket string) int {
	b := t.bucket(bucket, false)
	if b == nil {
		return 0
	}
	return len(b.data)
}

func (t *memTx) Buckets() []string {
	names := make([]string, 0, len(t.m.buckets))
	for n := range t.m.buckets {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func (t *memTx) DropBucket(bucket string) error {
	if !t.writable {
		return ErrReadOnly
	}
	b := t.bucket(bucket, false)
	if b == nil {
		return nil
	}
	t.log = append(t.log, undo{bucket: bucket, dropped: b})
	delete(t.m.buckets, bucket)
	return nil
}

// Snapshot returns a copy of every bucket, for tests that check a command
// changed nothing (a dry run, a refused request).
func (m *Memory) Snapshot() map[string]map[string][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]map[string][]byte, len(m.buckets))
	for name, b := range m.buckets {
		cp := make(map[string][]byte, len(b.data))
		for k, v := range b.data {
			cp[k] = bytes.Clone(v)
		}
		out[name] = cp
	}
	return out
}
