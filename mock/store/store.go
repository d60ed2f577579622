// Package store is the mock Graph server's embedded, transactional key-value
// store. Values are opaque bytes (the mock stores JSON); keys are ordered
// strings inside named buckets. Two implementations share one contract:
// Bolt (bbolt on disk: durable when Update returns, safe against kill -9,
// one writer at a time across processes) and Memory (for tests).
//
// Values are copied in and out: a caller may keep or modify a slice it got
// from Get, and a slice passed to Put may be reused after Put returns.
package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Store runs transactions. Update transactions are serialised and atomic:
// when fn returns an error nothing it wrote is kept.
type Store interface {
	View(fn func(Tx) error) error
	Update(fn func(Tx) error) error
	Close() error
}

// Tx reads and writes inside one transaction. Writes fail inside View.
type Tx interface {
	// Get returns a copy of the value stored under key, if any.
	Get(bucket, key string) ([]byte, bool)
	// Put stores a copy of value under key, creating the bucket if needed.
	Put(bucket, key string, value []byte) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(bucket, key string) error
	// Scan calls fn for each key that starts with prefix and is >= from, in
	// ascending key order, until fn returns false. The value passed to fn is
	// only valid during the call.
	Scan(bucket, prefix, from string, fn func(key string, value []byte) bool) error
	// ScanReverse calls fn for each key that starts with prefix and is
	// < before ("" means no upper bound), in descending key order, until fn
	// returns false. It serves descending $orderby over index buckets
	// without sorting. The value passed to fn is only valid during the call.
	ScanReverse(bucket, prefix, before string, fn func(key string, value []byte) bool) error
	// Count returns the number of keys in bucket.
	Count(bucket string) int
	// DropBucket removes a bucket and everything in it.
	DropBucket(bucket string) error
	// Buckets lists the buckets that exist, in name order, so a reset can
	// clear state written by areas it does not know about.
	Buckets() []string
}

// KV is one key and its value, for BulkPut.
type KV struct {
	Key   string
	Value []byte
}

// bulkPutter is implemented by transactions with a faster path for loading
// many sorted keys into a bucket.
type bulkPutter interface {
	bulkPut(bucket string, kvs []KV) error
}

// BulkPut stores kvs in bucket, sorting them by key first (kvs is sorted in
// place). The store owns the values afterwards: callers must not modify
// them. Loading keys in order lets bbolt fill pages completely instead of
// splitting half-empty ones: a 100,000-user tenant loads many times faster
// and takes half the disk.
func BulkPut(tx Tx, bucket string, kvs []KV) error {
	slices.SortFunc(kvs, func(a, b KV) int { return strings.Compare(a.Key, b.Key) })
	if bp, ok := tx.(bulkPutter); ok {
		return bp.bulkPut(bucket, kvs)
	}
	for _, kv := range kvs {
		if err := tx.Put(bucket, kv.Key, kv.Value); err != nil {
			return err
		}
	}
	return nil
}

// prefixEnd is the smallest key greater than every key starting with
// prefix; ok is false when there is none (empty prefix, or all 0xff).
func prefixEnd(prefix string) (end string, ok bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// reverseUpper is the exclusive upper bound of a reverse scan: before, or
// the end of the prefix range when that is lower ("" means unbounded).
func reverseUpper(prefix, before string) string {
	if end, ok := prefixEnd(prefix); ok && (before == "" || end < before) {
		return end
	}
	return before
}

// ErrReadOnly is returned by writes inside View.
var ErrReadOnly = errors.New("store: write in a read-only transaction")

// Unmarshaler is a stored value with its own decoder: one that gives the
// same result as json.Unmarshal, faster. GetJSON and ScanJSON use it.
type Unmarshaler interface {
	UnmarshalStored(b []byte) error
}

// unmarshal decodes b into v with v's own decoder or encoding/json.
func unmarshal(b []byte, v any) error {
	if u, ok := v.(Unmarshaler); ok {
		return u.UnmarshalStored(b)
	}
	return json.Unmarshal(b, v)
}

// GetJSON decodes the value under key into v. It reports whether the key exists.
func GetJSON(tx Tx, bucket, key string, v any) (bool, error) {
	b, ok := tx.Get(bucket, key)
	if !ok {
		return false, nil
	}
	if err := unmarshal(b, v); err != nil {
		return true, fmt.Errorf("store: decode %s/%s: %w", bucket, key, err)
	}
	return true, nil
}

// PutJSON encodes v and stores it under key.
func PutJSON(tx Tx, bucket, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: encode %s/%s: %w", bucket, key, err)
	}
	return tx.Put(bucket, key, b)
}

// ScanJSON decodes each value with the given prefix into a fresh T and calls
// fn with it, in key order, until fn returns false or an error.
func ScanJSON[T any](tx Tx, bucket, prefix, from string, fn func(key string, v T) (bool, error)) error {
	var inner error
	err := tx.Scan(bucket, prefix, from, func(key string, value []byte) bool {
		var v T
		if err := unmarshal(value, &v); err != nil {
			inner = fmt.Errorf("store: decode %s/%s: %w", bucket, key, err)
			return false
		}
		more, err := fn(key, v)
		if err != nil {
			inner = err
			return false
		}
		return more
	})
	if inner != nil {
		return inner
	}
	return err
}
