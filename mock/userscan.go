package mock

import (
	"slices"
	"strings"

	"github.com/mfactl/mfactl/mock/odata"
	"github.com/mfactl/mfactl/mock/store"
)

// Listing users (GET /users, the registration report) walks one of three
// orders, each an ordered bucket, so a page costs O(page) however large the
// tenant is and never sorts it:
//
//   - by id: the users bucket itself (the default order);
//   - by user principal name: the upn bucket (lower-case UPN -> id), which
//     putUser already maintains;
//   - by display name: the displayName bucket (lower-case display name +
//     "\x00" + id -> id), maintained by putUser like the upn bucket.
//
// A filter on `accountEnabled eq false` (the disabled users a coverage
// report adds to the registration report) walks the disabled bucket (id ->
// id, the disabled users only), still in id order, so counting or listing
// a tenant's few thousand disabled users does not read all its users.
//
// Descending orders walk the same buckets backwards (Tx.ScanReverse). The
// $skiptoken is the last key of the walked bucket, so paging is keyset
// paging: stable under concurrent writes, and resuming is a seek. The price
// is one index entry per user and one extra read in putUser (to drop the
// old display-name key when the name changes); everything that writes users
// must go through putUser.

// bucketDisplayName indexes users by display name.
const bucketDisplayName = "displayName" // lower-case display name + "\x00" + id -> id

func displayNameKey(u *userRecord) string { return strings.ToLower(u.DisplayName) + "\x00" + u.ID }

// bucketDisabled indexes the users whose account is disabled; its sentinel
// (which sorts before every id) says the index is complete.
const (
	bucketDisabled        = "disabled" // user id -> user id
	disabledIndexSentinel = "\x00layout-v1"
)

// updateDisabledIndex keeps u's entry in the disabled index (old may be nil).
func updateDisabledIndex(tx store.Tx, old, u *userRecord) error {
	switch {
	case !u.AccountEnabled && (old == nil || old.AccountEnabled):
		if err := tx.Put(bucketDisabled, u.ID, []byte(u.ID)); err != nil {
			return err
		}
		return tx.Put(bucketDisabled, disabledIndexSentinel, []byte(indexComplete))
	case u.AccountEnabled && old != nil && !old.AccountEnabled:
		return tx.Delete(bucketDisabled, u.ID)
	}
	return nil
}

// ensureDisabledIndex builds the disabled index of a state written before
// it existed.
func ensureDisabledIndex(s store.Store) error {
	return ensureUserIndex(s, bucketDisabled, disabledIndexSentinel, func(tx store.Tx, u *userRecord) error {
		if u.AccountEnabled {
			return nil
		}
		return tx.Put(bucketDisabled, u.ID, []byte(u.ID))
	})
}

// indexComplete is the value of an index's sentinel key.
const indexComplete = "complete"

// ensureUserIndex rebuilds an index of the users whose sentinel key is
// missing, in one transaction: add writes one user's entries, then the
// sentinel marks the index complete. It costs one Get when the index is
// there; a state without users has nothing to index and is left unwritten.
func ensureUserIndex(s store.Store, bucket, sentinel string, add func(tx store.Tx, u *userRecord) error) error {
	current := false
	if err := s.View(func(tx store.Tx) error {
		_, current = tx.Get(bucket, sentinel)
		current = current || tx.Count(bucketUsers) == 0
		return nil
	}); err != nil || current {
		return err
	}
	return s.Update(func(tx store.Tx) error {
		if err := tx.DropBucket(bucket); err != nil {
			return err
		}
		if err := store.ScanJSON(tx, bucketUsers, "", "", func(_ string, u userRecord) (bool, error) {
			return true, add(tx, &u)
		}); err != nil {
			return err
		}
		return tx.Put(bucket, sentinel, []byte(indexComplete))
	})
}

// updateUserIndexes replaces old's index entries (old may be nil) with u's:
// the upn, display-name and disabled indexes, and the role members of
// directory.go.
func updateUserIndexes(tx store.Tx, old, u *userRecord) error {
	if err := updateRoleIndex(tx, old, u); err != nil {
		return err
	}
	if err := updateDisabledIndex(tx, old, u); err != nil {
		return err
	}
	if old != nil {
		if k := strings.ToLower(old.UPN); k != strings.ToLower(u.UPN) {
			if err := tx.Delete(bucketUPN, k); err != nil {
				return err
			}
		}
		if k := displayNameKey(old); k != displayNameKey(u) {
			if err := tx.Delete(bucketDisplayName, k); err != nil {
				return err
			}
		}
	}
	if err := tx.Put(bucketUPN, strings.ToLower(u.UPN), []byte(u.ID)); err != nil {
		return err
	}
	return tx.Put(bucketDisplayName, displayNameKey(u), []byte(u.ID))
}

// ensureUserIndexes rebuilds the indexes of a state written before they
// existed: the display-name and disabled indexes here, the role members in
// ensureRoleIndex (directory.go).
func ensureUserIndexes(s store.Store) error {
	if err := ensureDisplayNameIndex(s); err != nil {
		return err
	}
	if err := ensureDisabledIndex(s); err != nil {
		return err
	}
	return ensureRoleIndex(s)
}

// ensureDisplayNameIndex rebuilds the display-name index of a state written
// before the index existed (or by a writer that bypassed putUser): when the
// index and the users bucket differ in size, the index is rebuilt in one
// transaction. It costs two counts when nothing is to be done.
func ensureDisplayNameIndex(s store.Store) error {
	stale := false
	if err := s.View(func(tx store.Tx) error {
		stale = tx.Count(bucketDisplayName) != tx.Count(bucketUsers)
		return nil
	}); err != nil || !stale {
		return err
	}
	return s.Update(func(tx store.Tx) error {
		if err := tx.DropBucket(bucketDisplayName); err != nil {
			return err
		}
		return store.ScanJSON(tx, bucketUsers, "", "", func(_ string, u userRecord) (bool, error) {
			return true, tx.Put(bucketDisplayName, displayNameKey(&u), []byte(u.ID))
		})
	})
}

// filterHints are narrowings of the candidate set implied by a filter: a
// top-level conjunct `id eq`/`id in` gives the ids, a conjunct
// `startswith(userPrincipalName,'p')` or `userPrincipalName eq 'u'` a UPN
// prefix. The filter is still evaluated on every candidate.
type filterHints struct {
	ids       []string // lower-case, sorted, unique; nil when unknown
	upnPrefix string   // lower-case; "" when unknown
	disabled  bool     // the filter requires accountEnabled eq false
}

// hintsOf reads the hints from a filter's top-level conjuncts; the first
// conjunct of each kind wins.
func hintsOf(f *odata.Filter) filterHints {
	var h filterHints
	for _, c := range f.Conjuncts() {
		switch {
		case strings.EqualFold(c.Property, "accountEnabled"):
			if c.Op == "eq" && c.Values[0] == false {
				h.disabled = true
			}
		case strings.EqualFold(c.Property, "id") && h.ids == nil:
			switch c.Op {
			case "eq":
				if s, ok := c.Values[0].(string); ok {
					h.ids = []string{strings.ToLower(s)}
				}
			case "in":
				ids := make([]string, 0, len(c.Values))
				for _, v := range c.Values {
					if s, ok := v.(string); ok {
						ids = append(ids, strings.ToLower(s))
					}
				}
				h.ids = sortedUnique(ids)
			}
		case strings.EqualFold(c.Property, "userPrincipalName") && (c.Op == "eq" || c.Op == "startswith") && h.upnPrefix == "":
			if s, ok := c.Values[0].(string); ok {
				h.upnPrefix = strings.ToLower(s)
			}
		}
	}
	return h
}

func sortedUnique(s []string) []string {
	out := make([]string, 0, len(s))
	seen := map[string]bool{}
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out
}

// userOrder is an order in which users can be walked without sorting.
type userOrder int

const (
	orderByID userOrder = iota
	orderByUPN
	orderByDisplayName
)

// userScan is how a listing walks the users.
type userScan struct {
	order userOrder
	desc  bool
	// ids, when not nil, are the only candidates (lower-case, sorted): a
	// filter `id eq` / `id in (...)` needs no scan at all.
	ids []string
	// upnPrefix narrows a walk of the upn bucket to one prefix.
	upnPrefix string
	// disabled walks (in id order) only the users whose account is
	// disabled: the filter requires accountEnabled eq false.
	disabled bool
}

// planUserScan chooses the walk for a listing: the requested order's
// bucket, narrowed by what the filter implies where that keeps the order.
// Without $orderby the order is unspecified (as in Graph), so an id list or
// a UPN prefix may pick a cheaper walk; the nextLink repeats the query, so
// every page of one listing uses the same walk.
func planUserScan(orderBy string, desc bool, h filterHints) userScan {
	switch orderBy {
	case "userPrincipalName":
		return userScan{order: orderByUPN, desc: desc, upnPrefix: h.upnPrefix}
	case "displayName":
		return userScan{order: orderByDisplayName, desc: desc}
	}
	switch {
	case h.ids != nil:
		return userScan{order: orderByID, ids: h.ids}
	case h.upnPrefix != "":
		return userScan{order: orderByUPN, upnPrefix: h.upnPrefix}
	case h.disabled:
		return userScan{order: orderByID, disabled: true}
	}
	return userScan{order: orderByID}
}

// each calls fn for each candidate user after the key after ("" starts at
// the beginning), in the walk's order, until fn returns false or an error.
// key is what a $skiptoken must hold to resume after this user.
func (sc userScan) each(tx store.Tx, after string, fn func(key string, u *userRecord) (bool, error)) error {
	if sc.ids != nil {
		for _, id := range sc.ids {
			if after != "" && id <= after {
				continue
			}
			var u userRecord
			found, err := store.GetJSON(tx, bucketUsers, id, &u)
			if err != nil {
				return err
			}
			if !found {
				continue
			}
			if more, err := fn(id, &u); err != nil || !more {
				return err
			}
		}
		return nil
	}
	if sc.order == orderByID && !sc.desc && !sc.disabled {
		from := ""
		if after != "" {
			from = after + "\x00"
		}
		return store.ScanJSON(tx, bucketUsers, "", from, func(key string, u userRecord) (bool, error) {
			return fn(key, &u)
		})
	}
	bucket, prefix := bucketUsers, ""
	switch sc.order {
	case orderByUPN:
		bucket, prefix = bucketUPN, sc.upnPrefix
	case orderByDisplayName:
		bucket = bucketDisplayName
	}
	if sc.disabled {
		bucket = bucketDisabled
	}
	var inner error
	visit := func(key string, value []byte) bool {
		if strings.HasPrefix(key, "\x00") {
			return true // an index's sentinel
		}
		id := key
		if bucket != bucketUsers {
			id = string(value)
		}
		var u userRecord
		found, err := store.GetJSON(tx, bucketUsers, id, &u)
		if err != nil {
			inner = err
			return false
		}
		if !found {
			// An index entry whose user is gone: skip it.
			return true
		}
		more, err := fn(key, &u)
		if err != nil {
			inner = err
			return false
		}
		return more
	}
	var err error
	if sc.desc {
		err = tx.ScanReverse(bucket, prefix, after, visit)
	} else {
		from := ""
		if after != "" {
			from = after + "\x00"
		}
		err = tx.Scan(bucket, prefix, from, visit)
	}
	if inner != nil {
		return inner
	}
	return err
}

// usersPage collects one page: it walks sc after the key after, emits up to
// size users that keep accepts, and reports the key to resume after and
// whether another accepted user follows (so a nextLink never leads to an
// empty last page).
func usersPage(tx store.Tx, sc userScan, after string, size int, keep func(*userRecord) (bool, error), emit func(*userRecord) error) (last string, more bool, err error) {
	n := 0
	err = sc.each(tx, after, func(key string, u *userRecord) (bool, error) {
		ok, err := keep(u)
		if err != nil || !ok {
			return err == nil, err
		}
		if n == size {
			more = true
			return false, nil
		}
		if err := emit(u); err != nil {
			return false, err
		}
		n++
		last = key
		return true, nil
	})
	return last, more, err
}

// countUsers counts the users of sc that keep accepts.
func countUsers(tx store.Tx, sc userScan, keep func(*userRecord) (bool, error)) (int, error) {
	n := 0
	err := sc.each(tx, "", func(_ string, u *userRecord) (bool, error) {
		ok, err := keep(u)
		if ok {
			n++
		}
		return err == nil, err
	})
	return n, err
}
