package mock

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock/odata"
	"github.com/mfactl/mfactl/mock/store"
)

// Buckets of the mock tenant in the store.
const (
	bucketUsers   = "users"   // user id -> userRecord
	bucketUPN     = "upn"     // lower-case UPN -> user id
	bucketMethods = "methods" // user id + "/" + method id -> methodRecord
	bucketTokens  = "tokens"  // hardware token id -> tokenRecord
	bucketSerials = "serials" // upper-case serial number -> token id
	bucketMeta    = "meta"    // tenant-wide settings
	// bucketDisplayName (userscan.go) and bucketRoleMembers (directory.go)
	// index users by display name and by directory role.
)

// metaTenant is the key of the tenant record in bucketMeta.
const metaTenant = "tenant"

// tenantRecord holds tenant-wide facts.
type tenantRecord struct {
	ID          string    `json:"id"`
	Domain      string    `json:"domain"`
	DisplayName string    `json:"displayName"`
	SeededAt    time.Time `json:"seededAt"`
	Seed        string    `json:"seed"`
}

// userRecord is a directory user as the mock stores it.
type userRecord struct {
	ID             string    `json:"id"`
	UPN            string    `json:"userPrincipalName"`
	DisplayName    string    `json:"displayName"`
	GivenName      string    `json:"givenName,omitempty"`
	Surname        string    `json:"surname,omitempty"`
	Mail           string    `json:"mail,omitempty"`
	JobTitle       string    `json:"jobTitle,omitempty"`
	MobilePhone    string    `json:"mobilePhone,omitempty"`
	OfficeLocation string    `json:"officeLocation,omitempty"`
	UserType       string    `json:"userType"`
	AccountEnabled bool      `json:"accountEnabled"`
	Created        time.Time `json:"createdDateTime"`
	// Roles are the directory roles the user holds (admins).
	Roles []string `json:"roles,omitempty"`
	// SessionsValidFrom is signInSessionsValidFromDateTime.
	SessionsValidFrom time.Time `json:"signInSessionsValidFromDateTime"`
	// Sign-in preferences (beta signInPreferences) and per-user MFA state.
	PreferredMethod        string `json:"preferredMethod,omitempty"`
	SystemPreferredEnabled bool   `json:"systemPreferredEnabled"`
	PerUserMFAState        string `json:"perUserMfaState,omitempty"`
}

// isAdmin reports whether the user holds any directory role.
func (u *userRecord) isAdmin() bool { return len(u.Roles) > 0 }

// methodRecord is a registered method plus what only the server knows.
type methodRecord struct {
	methods.Method
	UserID string `json:"userId"`
	// OathSecret is the base32 seed of a software OATH method; Graph never
	// returns it (secretKey is always null), the verification engine uses it.
	OathSecret string `json:"oathSecret,omitempty"`
	// TokenID binds a hardware OATH method to its inventory token.
	TokenID string `json:"tokenId,omitempty"`
	// PassHash is the salted hash of a Temporary Access Pass.
	PassHash string `json:"passHash,omitempty"`
	// OathState is what the verification engine learned about a software
	// OATH method (last used step, drift): persisted after every accepted
	// code, so a code is never accepted twice.
	OathState *methods.OATHState `json:"oathState,omitempty"`
}

// tokenRecord is a hardware OATH token in the inventory.
type tokenRecord struct {
	methods.HardwareToken
	// Secret is write-only in Graph: stored, never rendered.
	Secret string `json:"secret"`
	// OATH is what the verifier learned about the token: the last step
	// accepted (replay rejection) and its clock drift. It belongs to the
	// physical token, so it survives unassignment.
	OATH methods.OATHState `json:"oath"`
}

func methodKey(userID, methodID string) string { return userID + "/" + methodID }

// getUser resolves an object id or a user principal name.
func getUser(tx store.Tx, ref string) (*userRecord, error) {
	id := ref
	if !odata.IsGUID(ref) {
		b, ok := tx.Get(bucketUPN, strings.ToLower(ref))
		if !ok {
			return nil, errNotFound("Resource '%s' does not exist or one of its queried reference-property objects are not present.", ref)
		}
		id = string(b)
	}
	var u userRecord
	ok, err := store.GetJSON(tx, bucketUsers, id, &u)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errNotFound("Resource '%s' does not exist or one of its queried reference-property objects are not present.", ref)
	}
	return &u, nil
}

// putUser stores a user and keeps the upn, display-name and role indexes (see
// userscan.go) in step; every write of a user must go through it.
func putUser(tx store.Tx, u *userRecord) error {
	var old userRecord
	found, err := store.GetJSON(tx, bucketUsers, u.ID, &old)
	if err != nil {
		return err
	}
	if err := store.PutJSON(tx, bucketUsers, u.ID, u); err != nil {
		return err
	}
	if !found {
		return updateUserIndexes(tx, nil, u)
	}
	return updateUserIndexes(tx, &old, u)
}

// userMethods returns a user's methods in key order.
func userMethods(tx store.Tx, userID string) ([]methodRecord, error) {
	var out []methodRecord
	err := store.ScanJSON(tx, bucketMethods, userID+"/", "", func(_ string, m methodRecord) (bool, error) {
		out = append(out, m)
		return true, nil
	})
	return out, err
}

func getMethod(tx store.Tx, userID, methodID string) (*methodRecord, bool, error) {
	var m methodRecord
	ok, err := store.GetJSON(tx, bucketMethods, methodKey(userID, methodID), &m)
	if err != nil || !ok {
		return nil, ok, err
	}
	return &m, true, nil
}

// putMethod stores a method and keeps a mobile phone's entries in the
// mobile-number index (mobileindex.go); every write of a method must go
// through it.
func putMethod(tx store.Tx, m *methodRecord) error {
	if m.UserID == "" || m.ID == "" {
		return fmt.Errorf("mock: method without user or id")
	}
	// Derived fields are recomputed on read, and a clear-text pass is never
	// stored: only its hash is.
	rec := *m
	rec.Token, rec.Pass = nil, ""
	if m.ID == methods.MobilePhoneID {
		if err := putMobileIndex(tx, &rec); err != nil {
			return err
		}
	}
	return store.PutJSON(tx, bucketMethods, methodKey(m.UserID, m.ID), &rec)
}

// deleteMethod removes a method (and a mobile phone's entries in the
// mobile-number index, mobileindex.go); every removal of a method must go
// through it.
func deleteMethod(tx store.Tx, userID, methodID string) error {
	if methodID == methods.MobilePhoneID {
		if err := deleteMobileIndex(tx, userID); err != nil {
			return err
		}
	}
	return tx.Delete(bucketMethods, methodKey(userID, methodID))
}

func getToken(tx store.Tx, id string) (*tokenRecord, bool, error) {
	var t tokenRecord
	ok, err := store.GetJSON(tx, bucketTokens, id, &t)
	if err != nil || !ok {
		return nil, ok, err
	}
	return &t, true, nil
}

func putToken(tx store.Tx, t *tokenRecord) error {
	if err := store.PutJSON(tx, bucketTokens, t.ID, t); err != nil {
		return err
	}
	return tx.Put(bucketSerials, strings.ToUpper(t.SerialNumber), []byte(t.ID))
}

// ErrNoTenant is a state file that holds no tenant (seed it, or delete
// it to start from the demo tenant).
var ErrNoTenant = errors.New("mock: the state has no tenant")

func getTenant(tx store.Tx) (*tenantRecord, error) {
	var t tenantRecord
	ok, err := store.GetJSON(tx, bucketMeta, metaTenant, &t)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrNoTenant
	}
	return &t, nil
}

// hydrate fills in what a stored method derives from elsewhere at read time:
// the current state of a hardware method's inventory token, and whether a
// Temporary Access Pass is usable now.
func hydrate(tx store.Tx, m *methodRecord, now time.Time) error {
	switch m.Kind {
	case methods.KindHardwareOath:
		if m.TokenID == "" {
			return nil
		}
		t, ok, err := getToken(tx, m.TokenID)
		if err != nil || !ok {
			return err
		}
		tok := t.HardwareToken
		m.Token = &tok
		// Graph names a hardware method after its token.
		if m.DisplayName == "" {
			m.DisplayName = tok.DisplayName
		}
	case methods.KindTemporaryAccess:
		usable, reason := tapUsability(m, now)
		m.IsUsable, m.MethodUsabilityReason = &usable, reason
	}
	return nil
}

// tapUsability evaluates a pass at a moment: not yet valid, expired, used
// (one-time passes), or usable.
func tapUsability(m *methodRecord, now time.Time) (bool, string) {
	if m.MethodUsabilityReason == "OneTimeUsed" {
		return false, "OneTimeUsed"
	}
	if m.StartDateTime != nil {
		if now.Before(*m.StartDateTime) {
			return false, "NotYetValid"
		}
		if !now.Before(m.StartDateTime.Add(time.Duration(m.LifetimeInMinutes) * time.Minute)) {
			return false, "Expired"
		}
	}
	return true, "EnabledByPolicy"
}
