package store

import (
	"errors"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/mfactl/mfactl/internal/extsort"
)

// SortKey is the key of a bucket's key in a sorter Replace loads: bucket
// names hold no NUL, so the sorter's order is bucket, then key.
func SortKey(bucket, key string) string { return bucket + "\x00" + key }

// splitSortKey reverses SortKey.
func splitSortKey(k string) (bucket, key string, err error) {
	bucket, key, ok := strings.Cut(k, "\x00")
	if !ok {
		return "", "", fmt.Errorf("store: sorter key %q has no bucket", k)
	}
	return bucket, key, nil
}

// Replace makes the pairs of src (keyed by SortKey) the whole content of
// st: every bucket st had is gone, and src's buckets hold src's pairs. Readers see the old
// content or the new, never a mix, and a failure leaves the old content.
//
// A bbolt store is loaded in transactions of about ReplaceBatch bytes into
// a staging bucket, in key order with pages filled completely, and the
// staged buckets are swapped in by one last transaction: memory stays flat
// however large src is (one transaction holding a million users would keep
// every page of them in memory until it commits). Other stores are
// replaced in one transaction.
func Replace(st Store, src *extsort.Sorter) error {
	switch b := st.(type) {
	case *Bolt:
		return replaceBolt(b.db, src)
	case *Shared:
		db, err := b.acquire()
		if err != nil {
			return err
		}
		defer b.release()
		return replaceBolt(db, src)
	}
	return st.Update(func(tx Tx) error { return ReplaceTx(tx, src) })
}

// ReplaceTx is Replace inside one transaction.
func ReplaceTx(tx Tx, src *extsort.Sorter) error {
	for _, b := range tx.Buckets() {
		if err := tx.DropBucket(b); err != nil {
			return err
		}
	}
	bt, isBolt := tx.(boltTx)
	if isBolt && !bt.writable {
		return ErrReadOnly
	}
	var (
		name string
		bk   *bolt.Bucket
	)
	return src.Each(func(k string, value []byte) error {
		bucket, key, err := splitSortKey(k)
		if err != nil {
			return err
		}
		if !isBolt {
			return tx.Put(bucket, key, value)
		}
		if bk == nil || bucket != name {
			var err error
			if bk, err = bt.tx.CreateBucketIfNotExists([]byte(bucket)); err != nil {
				return err
			}
			bk.FillPercent, name = 1.0, bucket
		}
		return bk.Put([]byte(key), value)
	})
}

// ReplaceBatch is how many bytes of pairs one staging transaction of
// Replace writes into a bbolt store.
const ReplaceBatch = 8 << 20

// replaceBatch is ReplaceBatch; tests make it small.
var replaceBatch = ReplaceBatch

// stagingBucket holds the buckets Replace loads until they are swapped in;
// a load that failed leaves it behind, and the next Replace drops it.
const stagingBucket = "\x00replace-staging"

func replaceBolt(db *bolt.DB, src *extsort.Sorter) error {
	staging := []byte(stagingBucket)
	if err := db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(staging); err != nil && !errors.Is(err, bolt.ErrBucketNotFound) {
			return err
		}
		_, err := tx.CreateBucket(staging)
		return err
	}); err != nil {
		return err
	}
	var (
		tx      *bolt.Tx
		name    string
		bk      *bolt.Bucket
		pending int
	)
	fail := func(err error) error {
		if tx != nil {
			tx.Rollback()
		}
		_ = db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(staging) })
		return err
	}
	err := src.Each(func(k string, value []byte) error {
		bucket, key, err := splitSortKey(k)
		if err != nil {
			return err
		}
		if tx == nil {
			var err error
			if tx, err = db.Begin(true); err != nil {
				return err
			}
			bk = nil
		}
		if bk == nil || bucket != name {
			var err error
			if bk, err = tx.Bucket(staging).CreateBucketIfNotExists([]byte(bucket)); err != nil {
				return err
			}
			bk.FillPercent, name = 1.0, bucket
		}
		if err := bk.Put([]byte(key), value); err != nil {
			return err
		}
		if pending += len(key) + len(value); pending >= replaceBatch {
			err := tx.Commit()
			tx, pending = nil, 0
			return err
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	// The swap, in a transaction of its own: bbolt's MoveBucket moves a
	// bucket as last committed (changes made to it in the same transaction
	// would be lost). It drops the old buckets and moves the staged ones to
	// the root.
	if tx != nil {
		err := tx.Commit()
		if tx = nil; err != nil {
			return fail(err)
		}
	}
	if tx, err = db.Begin(true); err != nil {
		return fail(err)
	}
	var old, staged [][]byte
	if err := tx.ForEach(func(n []byte, _ *bolt.Bucket) error {
		if string(n) != stagingBucket {
			old = append(old, append([]byte(nil), n...))
		}
		return nil
	}); err != nil {
		return fail(err)
	}
	for _, n := range old {
		if err := tx.DeleteBucket(n); err != nil {
			return fail(err)
		}
	}
	sb := tx.Bucket(staging)
	if err := sb.ForEachBucket(func(n []byte) error {
		staged = append(staged, append([]byte(nil), n...))
		return nil
	}); err != nil {
		return fail(err)
	}
	for _, n := range staged {
		if err := tx.MoveBucket(n, sb, nil); err != nil {
			return fail(err)
		}
	}
	if err := tx.DeleteBucket(staging); err != nil {
		return fail(err)
	}
	if err := tx.Commit(); err != nil {
		tx = nil
		return fail(err)
	}
	return nil
}
