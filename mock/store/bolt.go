package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bolt is a Store in a bbolt file. bbolt fsyncs every committed Update, so a
// write is durable once Update returns, and its copy-on-write pages mean a
// kill -9 at any moment leaves the last committed state intact.
type Bolt struct {
	db *bolt.DB
}

// ErrLocked is returned when another process holds the state file.
var ErrLocked = errors.New("the mock state file is in use by another mfactl process")

// OpenBolt opens (or creates, 0600) the store file at path, creating its
// directory (0700). It waits up to wait for another process to release the
// file lock.
func OpenBolt(path string, wait time.Duration) (*Bolt, error) {
	if err := ensureDir(path); err != nil {
		return nil, err
	}
	return openBolt(path, wait, nil)
}

// ensureDir creates the directory of a state file (0700).
func ensureDir(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("store: create directory for %s: %w", path, err)
	}
	return nil
}

// View runs a read-only transaction.
func (b *Bolt) View(fn func(Tx) error) error {
	return b.db.View(func(tx *bolt.Tx) error { return fn(boltTx{tx: tx}) })
}

// Update runs a read-write transaction; it is committed and synced to disk
// when fn returns nil.
func (b *Bolt) Update(fn func(Tx) error) error {
	return b.db.Update(func(tx *bolt.Tx) error { return fn(boltTx{tx: tx, writable: true}) })
}

// Close releases the file.
func (b *Bolt) Close() error { return b.db.Close() }

// Path is the file behind the store.
func (b *Bolt) Path() string { return b.db.Path() }

// Size is the file's size in bytes.
func (b *Bolt) Size() int64 {
	var n int64
	_ = b.db.View(func(tx *bolt.Tx) error { n = tx.Size(); return nil })
	return n
}

// Check verifies the file's page structure (every page reachable exactly
// once, free pages not in use, keys ordered) and returns the first problem.
// The crash tests run it after each kill -9.
func (b *Bolt) Check() error {
	return b.db.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
}

type boltTx struct {
	tx       *bolt.Tx
	writable bool
}

func (t boltTx) Get(bucket, key string) ([]byte, bool) {
	bk := t.tx.Bucket([]byte(bucket))
	if bk == nil {
		return nil, false
	}
	v := bk.Get([]byte(key))
	if v == nil {
		return nil, false
	}
	return bytes.Clone(v), true
}

func (t boltTx) Put(bucket, key string, value []byte) error {
	if !t.writable {
		return ErrReadOnly
	}
	bk, err := t.tx.CreateBucketIfNotExists([]byte(bucket))
	if err != nil {
		return err
	}
	// bbolt keeps a reference to value until commit, so give it its own copy.
	return bk.Put([]byte(key), bytes.Clone(value))
}

// bulkPut appends sorted keys. A bucket that was empty is packed full (its
// pages are not split half-empty for later inserts that a bulk-loaded
// tenant rarely gets); the values are not copied, as BulkPut's caller hands
// them over.
func (t boltTx) bulkPut(bucket string, kvs []KV) error {
	if !t.writable {
		return ErrReadOnly
	}
	bk, err := t.tx.CreateBucketIfNotExists([]byte(bucket))
	if err != nil {
		return err
	}
	if k, _ := bk.Cursor().First(); k == nil {
		bk.FillPercent = 1.0
	}
	for _, kv := range kvs {
		if err := bk.Put([]byte(kv.Key), kv.Value); err != nil {
			return err
		}
	}
	return nil
}

func (t boltTx) Delete(bucket, key string) error {
	if !t.writable {
		return ErrReadOnly
	}
	bk := t.tx.Bucket([]byte(bucket))
	if bk == nil {
		return nil
	}
	return bk.Delete([]byte(key))
}

func (t boltTx) Scan(bucket, prefix, from string, fn func(string, []byte) bool) error {
	bk := t.tx.Bucket([]byte(bucket))
	if bk == nil {
		return nil
	}
	start := prefix
	if from > start {
		start = from
	}
	c := bk.Cursor()
	p := []byte(prefix)
	for k, v := c.Seek([]byte(start)); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		if !fn(string(k), v) {
			break
		}
	}
	return nil
}

func (t boltTx) ScanReverse(bucket, prefix, before string, fn func(string, []byte) bool) error {
	bk := t.tx.Bucket([]byte(bucket))
	if bk == nil {
		return nil
	}
	c := bk.Cursor()
	var k, v []byte
	if upper := reverseUpper(prefix, before); upper == "" {
		k, v = c.Last()
	} else if k, v = c.Seek([]byte(upper)); k == nil {
		// Every key is below the bound.
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	p := []byte(prefix)
	for ; k != nil && bytes.HasPrefix(k, p); k, v = c.Prev() {
		if !fn(string(k), v) {
			break
		}
	}
	return nil
}

func (t boltTx) Count(bucket string) int {
	bk := t.tx.Bucket([]byte(bucket))
	if bk == nil {
		return 0
	}
	return bk.Stats().KeyN
}

func (t boltTx) Buckets() []string {
	var names []string
	_ = t.tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		names = append(names, string(name))
		return nil
	})
	return names
}

func (t boltTx) DropBucket(bucket string) error {
	if !t.writable {
		return ErrReadOnly
	}
	err := t.tx.DeleteBucket([]byte(bucket))
	if errors.Is(err, bolt.ErrBucketNotFound) {
		return nil
	}
	return err
}
