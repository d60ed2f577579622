package mock

import (
	"encoding/json"
	"strings"

	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock/store"
)

// SMS sign-in needs a number no other user signs in with
// (phoneNumberNotUnique, api-reference/v1.0/resources/phoneauthenticationmethod.md),
// so adding a mobile phone, changing its number and enabling SMS sign-in
// look for another user whose mobile phone is the same line
// (methods.SameNumber). The mobile-number index answers that with a seek
// instead of reading every user's mobile phone, so the write costs the same
// in a tenant of 100 users as in one of 100,000. Each mobile phone record
// (key ending in the fixed mobile id) has up to two entries:
//
//	"line/" + its parsed line ("+1 4255550100") + "/" + user id -> ""
//	"digits/" + its digits as written + "/" + user id -> "line" when the
//	    number also has a line entry, "" when it does not parse
//
// which are the two ways SameNumber compares (methods.LineKeys). The
// first lookup builds it (buildMobileIndex), in its write transaction, and
// marks it complete; from then on putMethod and deleteMethod keep it.
// Until a lookup needs it there is none: seeding a tenant (which reads no
// number twice) and a tenant only read do not pay for parsing every
// mobile number.
const (
	bucketMobileNumbers = "mobileNumbers"
	mobileIndexSentinel = "\x00layout-v1"
	mobileLinePrefix    = "line/"
	mobileDigitsPrefix  = "digits/"
	mobileIndexKeySep   = "/"
	// mobileEntryParsed is the value of a digits entry whose number also
	// has a line entry.
	mobileEntryParsed = "line"
)

// mobileIndexKeys are the index entries of a user's mobile number, with
// their values.
func mobileIndexKeys(userID, number string) []store.KV {
	k := methods.LineKeysOf(number)
	var out []store.KV
	if k.Line != "" {
		out = append(out, store.KV{Key: mobileLinePrefix + k.Line + mobileIndexKeySep + userID, Value: []byte{}})
	}
	if k.Digits != "" {
		v := []byte{}
		if k.Line != "" {
			v = []byte(mobileEntryParsed)
		}
		out = append(out, store.KV{Key: mobileDigitsPrefix + k.Digits + mobileIndexKeySep + userID, Value: v})
	}
	return out
}

// mobileIndexBuilt reports whether the index exists (and so must be kept).
func mobileIndexBuilt(tx store.Tx) bool {
	_, ok := tx.Get(bucketMobileNumbers, mobileIndexSentinel)
	return ok
}

// putMobileIndex replaces the entries of a user's stored mobile phone (if
// any) with those of m, the mobile phone about to be stored, once the
// index is built.
func putMobileIndex(tx store.Tx, m *methodRecord) error {
	if !mobileIndexBuilt(tx) {
		return nil
	}
	old, ok, err := getMethod(tx, m.UserID, methods.MobilePhoneID)
	if err != nil {
		return err
	}
	if ok {
		if old.PhoneNumber == m.PhoneNumber {
			return nil
		}
		if err := deleteMobileEntries(tx, old); err != nil {
			return err
		}
	}
	for _, kv := range mobileIndexKeys(m.UserID, m.PhoneNumber) {
		if err := tx.Put(bucketMobileNumbers, kv.Key, kv.Value); err != nil {
			return err
		}
	}
	return nil
}

// deleteMobileIndex removes the entries of a user's stored mobile phone,
// if there is one, once the index is built.
func deleteMobileIndex(tx store.Tx, userID string) error {
	if !mobileIndexBuilt(tx) {
		return nil
	}
	old, ok, err := getMethod(tx, userID, methods.MobilePhoneID)
	if err != nil || !ok {
		return err
	}
	return deleteMobileEntries(tx, old)
}

func deleteMobileEntries(tx store.Tx, m *methodRecord) error {
	for _, kv := range mobileIndexKeys(m.UserID, m.PhoneNumber) {
		if err := tx.Delete(bucketMobileNumbers, kv.Key); err != nil {
			return err
		}
	}
	return nil
}

// smsNumberOwner returns the id of another user whose mobile phone is the
// same line as number (methods.SameNumber), or "": the first such user in
// id order, as a walk of the mobile phones would find. It seeks the
// number's entries in the mobile-number index, so it reads only the users
// who have that number. It runs in a write transaction: the first lookup
// of a tenant builds the index.
func smsNumberOwner(tx store.Tx, userID, number string) (string, error) {
	if err := buildMobileIndex(tx); err != nil {
		return "", err
	}
	k := methods.LineKeysOf(number)
	owner := ""
	// first finds the lowest user id other than userID under prefix whose
	// value passes keep.
	first := func(prefix string, keep func(v []byte) bool) error {
		return tx.Scan(bucketMobileNumbers, prefix, "", func(key string, v []byte) bool {
			id := key[len(prefix):]
			if id == userID || !keep(v) {
				return true
			}
			if owner == "" || id < owner {
				owner = id
			}
			return false
		})
	}
	all := func([]byte) bool { return true }
	if k.Line != "" {
		// A number that parses is the same as another that parses with
		// the same line, or as one that does not parse with its digits.
		if err := first(mobileLinePrefix+k.Line+mobileIndexKeySep, all); err != nil {
			return "", err
		}
		if k.Digits == "" {
			return owner, nil
		}
		return owner, first(mobileDigitsPrefix+k.Digits+mobileIndexKeySep, func(v []byte) bool { return string(v) != mobileEntryParsed })
	}
	if k.Digits == "" {
		return "", nil
	}
	// A number that does not parse is compared by its digits with all.
	return owner, first(mobileDigitsPrefix+k.Digits+mobileIndexKeySep, all)
}

// buildMobileIndex builds the mobile-number index from every user's
// mobile phone, unless it is built. It costs one Get when it is.
func buildMobileIndex(tx store.Tx) error {
	if mobileIndexBuilt(tx) {
		return nil
	}
	if err := tx.DropBucket(bucketMobileNumbers); err != nil {
		return err
	}
	suffix := mobileIndexKeySep + methods.MobilePhoneID
	var kvs []store.KV
	var decodeErr error
	if err := tx.Scan(bucketMethods, "", "", func(key string, value []byte) bool {
		if !strings.HasSuffix(key, suffix) {
			return true
		}
		var m methodRecord
		if decodeErr = json.Unmarshal(value, &m); decodeErr != nil {
			return false
		}
		kvs = append(kvs, mobileIndexKeys(m.UserID, m.PhoneNumber)...)
		return true
	}); err != nil {
		return err
	}
	if decodeErr != nil {
		return decodeErr
	}
	kvs = append(kvs, store.KV{Key: mobileIndexSentinel, Value: []byte(indexComplete)})
	return store.BulkPut(tx, bucketMobileNumbers, kvs)
}
