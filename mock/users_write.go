package mock

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/mfactl/mfactl/entra"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock/store"
)

// bucketOperations holds long-running operations (password resets): user
// id + "/" + operation id -> operationRecord.
const bucketOperations = "operations"

// operationRecord is a longRunningOperation under /authentication/operations.
type operationRecord struct {
	ID         string    `json:"id"`
	UserID     string    `json:"userId"`
	Created    time.Time `json:"createdDateTime"`
	LastAction time.Time `json:"lastActionDateTime"`
	Status     string    `json:"status"`
	Resource   string    `json:"resourceLocation"`
}

func (s *Server) userWriteRoutes(rt *router) {
	rt.add("POST", "/users/{user}/revokeSignInSessions", s.revokeSignInSessions)
	rt.add("POST", "/users/{user}/authentication/methods/{id}/resetPassword", s.resetPassword)
	// The beta password method has its own resetPassword action
	// (api-reference/beta/api/passwordauthenticationmethod-resetpassword.md,
	// "POST /users/{id | userPrincipalName}/authentication/passwordMethods/{id}/resetPassword").
	rt.addBeta("POST", "/users/{user}/authentication/passwordMethods/{id}/resetPassword", s.resetPassword)
	// operations is a collection-valued navigation property of the
	// authentication resource (api-reference/v1.0/resources/authentication.md);
	// its items are read with api-reference/v1.0/api/longrunningoperation-get.md.
	rt.add("GET", "/users/{user}/authentication/operations", s.listOperations)
	rt.add("GET", "/users/{user}/authentication/operations/{id}", s.getOperation)
}

func (s *Server) revokeSignInSessions(r *request) (*response, error) {
	err := s.store.Update(func(tx store.Tx) error {
		u, err := getUser(tx, r.params["user"])
		if err != nil {
			return err
		}
		if err := canRevokeSessions(r.caller, u); err != nil {
			return err
		}
		u.SessionsValidFrom = s.now().UTC().Truncate(time.Second)
		if err := putUser(tx, u); err != nil {
			return err
		}
		// "This API doesn't revoke sign-in sessions for external users,
		// because external users sign in through their home tenant"
		// (api-reference/v1.0/api/user-revokesigninsessions.md). The page
		// does not say what the call answers for a guest; the mock keeps
		// the documented answer (200, value true) and the property reset
		// of this tenant, but a guest's MFA sessions live at the home
		// tenant, so the emulated remembered devices stay. mfactl warns
		// about guests itself (cmd/sessions.go).
		if strings.EqualFold(u.UserType, "Guest") {
			return nil
		}
		// Revoking sessions also revokes the MFA sessions: every
		// remembered device of the user must do MFA again (MS-SETTINGS).
		_, err = s.verify.WithStore(verifyStore{tx}).RevokeSessions(u.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ok(map[string]any{"@odata.context": r.contextURL("Edm.Boolean"), "value": true})
}

// resetPasswordBody is the action's parameter; an empty body (or {}) asks
// the service to generate a password, which cloud-only accounts allow.
type resetPasswordBody struct {
	NewPassword *string `json:"newPassword"`
}

// Entra's password rules for cloud accounts: 8 to 256 characters, three of
// the four character classes.
const (
	minPasswordLength = 8
	maxPasswordLength = 256
)

func checkPasswordPolicy(pw string) error {
	n := len([]rune(pw))
	classes := 0
	var upper, lower, digit, symbol bool
	for _, c := range pw {
		switch {
		case unicode.IsUpper(c):
			upper = true
		case unicode.IsLower(c):
			lower = true
		case unicode.IsDigit(c):
			digit = true
		default:
			symbol = true
		}
	}
	for _, b := range []bool{upper, lower, digit, symbol} {
		if b {
			classes++
		}
	}
	if n < minPasswordLength || n > maxPasswordLength || classes < 3 {
		return ruleError(entra.CodePasswordPolicy, "The password does not comply with the password complexity requirements.")
	}
	return nil
}

// generatePassword makes a password like the service's ("Cuyo5459"): two
// pronounceable syllable pairs and four digits, which meets the policy.
func generatePassword() (string, error) {
	const consonants, vowels, digits = "bcdfghjkmnprstvz", "aeiou", "0123456789"
	pattern := []string{strings.ToUpper(consonants), vowels, consonants, vowels, consonants, vowels, digits, digits, digits, digits}
	var b strings.Builder
	for _, set := range pattern {
		c, err := generateSecret(set, 1)
		if err != nil {
			return "", err
		}
		b.WriteString(c)
	}
	return b.String(), nil
}

// resetPassword is delegated only in Graph (the mock's static tokens are
// delegated sign-ins), needs an admin who may manage the user, and never
// works on the caller's own account.
func (s *Server) resetPassword(r *request) (*response, error) {
	var b resetPasswordBody
	if len(strings.TrimSpace(string(r.body))) > 0 {
		if err := r.decode(&b); err != nil {
			return nil, err
		}
	}
	if b.NewPassword != nil {
		if err := checkPasswordPolicy(*b.NewPassword); err != nil {
			return nil, err
		}
	}
	generated := ""
	var op operationRecord
	err := s.store.Update(func(tx store.Tx) error {
		u, err := getUser(tx, r.params["user"])
		if err != nil {
			return err
		}
		if isSelf(r.caller, u) {
			return ruleError(entra.CodeOwnPasswordReset, "The password of the signed-in user cannot be reset with this API.")
		}
		if !r.caller.has(RolePrivilegedAuthAdmin, RoleGlobalAdmin, RoleAuthAdmin) {
			return errDenied()
		}
		if err := canWriteMethods(r.caller, u); err != nil {
			return err
		}
		pw, found, err := getMethod(tx, u.ID, r.params["id"])
		if err != nil {
			return err
		}
		if !found || pw.Kind != methods.KindPassword {
			return errNotFound("The requested password method '%s' was not found for user '%s'.", r.params["id"], u.UPN)
		}
		secret := ""
		if b.NewPassword != nil {
			secret = *b.NewPassword
		} else {
			if generated, err = generatePassword(); err != nil {
				return err
			}
			secret = generated
		}
		pw.PassHash = hashPass(newSalt(), secret)
		if err := putMethod(tx, pw); err != nil {
			return err
		}
		id, err := newGUID()
		if err != nil {
			return err
		}
		now := s.now().UTC()
		op = operationRecord{ID: id, UserID: u.ID, Created: now, LastAction: now, Status: "succeeded",
			Resource: r.base + "/" + r.version + "/users/" + u.ID + "/authentication/passwordMethods/" + pw.ID}
		return store.PutJSON(tx, bucketOperations, u.ID+"/"+id, &op)
	})
	if err != nil {
		return nil, err
	}
	resp := &response{status: http.StatusAccepted, body: map[string]any{}, headers: map[string]string{
		"Location":    r.base + "/" + r.version + "/users/" + op.UserID + "/authentication/operations/" + op.ID,
		"Retry-After": "1",
	}}
	if generated != "" {
		resp.body = map[string]any{
			"@odata.context": r.contextURL("microsoft.graph.passwordResetResponse"),
			"newPassword":    generated,
		}
	}
	return resp, nil
}

// renderOperation is a longRunningOperation
// (api-reference/v1.0/resources/longrunningoperation.md).
func renderOperation(op *operationRecord) map[string]any {
	return map[string]any{
		"id":                 op.ID,
		"status":             op.Status,
		"createdDateTime":    op.Created.Format(time.RFC3339),
		"lastActionDateTime": op.LastAction.Format(time.RFC3339),
		"resourceLocation":   op.Resource,
		"statusDetail":       nil,
	}
}

// listOperations lists a user's operations (password resets), oldest first.
func (s *Server) listOperations(r *request) (*response, error) {
	var userID string
	values := []map[string]any{}
	err := s.store.View(func(tx store.Tx) error {
		u, err := getUser(tx, r.params["user"])
		if err != nil {
			return err
		}
		if !canReadMethods(r.caller, u) {
			return errDenied()
		}
		userID = u.ID
		var ops []operationRecord
		var decodeErr error
		prefix := u.ID + "/"
		if err := tx.Scan(bucketOperations, prefix, "", func(_ string, value []byte) bool {
			var op operationRecord
			if decodeErr = json.Unmarshal(value, &op); decodeErr != nil {
				return false
			}
			ops = append(ops, op)
			return true
		}); err != nil {
			return err
		}
		if decodeErr != nil {
			return decodeErr
		}
		sort.Slice(ops, func(i, j int) bool { return ops[i].Created.Before(ops[j].Created) })
		for i := range ops {
			values = append(values, renderOperation(&ops[i]))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ok(map[string]any{
		"@odata.context": r.contextURL("users('" + userID + "')/authentication/operations"),
		"value":          values,
	})
}

func (s *Server) getOperation(r *request) (*response, error) {
	var op operationRecord
	err := s.store.View(func(tx store.Tx) error {
		u, err := getUser(tx, r.params["user"])
		if err != nil {
			return err
		}
		if !canReadMethods(r.caller, u) {
			return errDenied()
		}
		found, err := store.GetJSON(tx, bucketOperations, u.ID+"/"+r.params["id"], &op)
		if err != nil {
			return err
		}
		if !found {
			return errNotFound("The operation '%s' was not found for user '%s'.", r.params["id"], u.UPN)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	body := renderOperation(&op)
	body["@odata.context"] = r.contextURL("users('" + op.UserID + "')/authentication/operations/$entity")
	return ok(body)
}
