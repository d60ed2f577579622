package mock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mfactl/mfactl/entra"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock/store"
)

// Hardware OATH tokens (beta). The directory's inventory
// (/directory/authenticationMethodDevices/hardwareOathDevices) holds every
// token with its write-only secret; a token assigned to a user is also one
// of the user's methods (/users/{id}/authentication/hardwareOathMethods),
// whose id is the token's id, as in Graph's examples. A token moves
// available -> assigned -> activated | failedActivation; unassigning it
// returns it to available. Activation checks the code with the same OATH
// arithmetic (methods.OATHKey) the verification engine uses, and keeps the
// token's OATHState so a code is never accepted twice.

const (
	inventoryPath = "/directory/authenticationMethodDevices/hardwareOathDevices"
	hwMethodsPath = "/users/{user}/authentication/hardwareOathMethods"

	// Page sizes of the inventory list (UNCONFIRMED in Graph's docs; the
	// directory's usual 100 and 999).
	tokensDefaultPage = 100
	tokensMaxPage     = 999

	// Entra's activation rate limit (entra.ActivationLimit per
	// entra.ActivationWindow).
	activationLimit  = entra.ActivationLimit
	activationWindow = entra.ActivationWindow

	// metaActivations is the key of the recent activation times in
	// bucketMeta: in the store, so `--mock` runs (one process per command)
	// share the budget as a tenant does.
	metaActivations = "hardwareOathActivations"

	maxTokenText = 256
)

func (s *Server) hardwareRoutes(rt *router) {
	rt.addBeta("POST", hwMethodsPath, s.assignTokenToUser)
	rt.addBeta("POST", hwMethodsPath+"/assignAndActivate", s.assignAndActivate)
	rt.addBeta("POST", hwMethodsPath+"/assignAndActivateBySerialNumber", s.assignAndActivateBySerial)
	rt.addBeta("DELETE", hwMethodsPath+"/{id}", s.unassignToken)
	rt.addBeta("POST", hwMethodsPath+"/{id}/activate", s.activateToken)
	rt.addBeta("POST", hwMethodsPath+"/{id}/deactivate", s.deactivateToken)

	rt.addBeta("GET", inventoryPath, s.listTokens)
	rt.addBeta("POST", inventoryPath, s.createToken)
	rt.addBeta("GET", inventoryPath+"/{id}", s.getTokenHandler)
	rt.addBeta("PATCH", inventoryPath+"/{id}", s.updateToken)
	rt.addBeta("DELETE", inventoryPath+"/{id}", s.deleteTokenHandler)
	// Graph documents "Add user" as PUT .../assignTo/$ref with an
	// @odata.id, and calls it posting; both verbs are accepted.
	rt.addBeta("PUT", inventoryPath+"/{id}/assignTo/$ref", s.assignTokenRef)
	rt.addBeta("POST", inventoryPath+"/{id}/assignTo/$ref", s.assignTokenRef)
}

// canReadInventory: the inventory belongs to the Authentication Policy
// Administrator; global readers may look.
func canReadInventory(caller *Principal) error {
	if caller.has(RoleAuthPolicyAdmin, RoleGlobalAdmin, RoleGlobalReader) {
		return nil
	}
	return errDenied()
}

// canWriteInventory: only the Authentication Policy Administrator (and
// Global Administrator) adds, changes or removes tokens.
func canWriteInventory(caller *Principal) error {
	if caller.has(RoleAuthPolicyAdmin, RoleGlobalAdmin) {
		return nil
	}
	return errDenied()
}

func tokenNotFound(ref string) *graphError {
	return errNotFound("The hardware OATH token '%s' was not found in the directory.", ref)
}

// tokenKeyBySerial is the token with a serial number and its OATH key,
// or a 404 naming the serial when the directory has no such token.
func tokenKeyBySerial(tx store.Tx, serial string) (*tokenRecord, methods.OATHKey, error) {
	t, found, err := getTokenBySerial(tx, serial)
	if err != nil {
		return nil, methods.OATHKey{}, err
	}
	if !found {
		return nil, methods.OATHKey{}, errNotFound("No hardware OATH token with serial number '%s' is in the directory.", serial)
	}
	key, err := t.oathKey()
	if err != nil {
		return nil, methods.OATHKey{}, err
	}
	return t, key, nil
}

// getTokenBySerial finds a token by serial number, case-insensitively.
func getTokenBySerial(tx store.Tx, serial string) (*tokenRecord, bool, error) {
	id, ok := tx.Get(bucketSerials, strings.ToUpper(serial))
	if !ok {
		return nil, false, nil
	}
	return getToken(tx, string(id))
}

func deleteToken(tx store.Tx, t *tokenRecord) error {
	if err := tx.Delete(bucketTokens, t.ID); err != nil {
		return err
	}
	return tx.Delete(bucketSerials, strings.ToUpper(t.SerialNumber))
}

// oathKey is the token as the OATH arithmetic sees it.
func (t *tokenRecord) oathKey() (methods.OATHKey, error) {
	alg, err := methods.ParseOATHAlgorithm(nonEmpty(t.HashFunction, "hmacsha1"))
	if err != nil {
		return methods.OATHKey{}, err
	}
	return methods.OATHKey{Type: methods.OATHTOTP, Secret: methods.OATHSecret(t.Secret), Algorithm: alg, Digits: 6, Period: t.TimeIntervalInSeconds}, nil
}

// findHardwareMethod finds a user's hardware method by its id or by its
// token's id (they are the same for tokens assigned through Graph; seeded
// tenants may have other method ids).
func findHardwareMethod(ms []methodRecord, id string) *methodRecord {
	for i := range ms {
		m := &ms[i]
		if m.Kind == methods.KindHardwareOath && (strings.EqualFold(m.ID, id) || strings.EqualFold(m.TokenID, id)) {
			return m
		}
	}
	return nil
}

// renderTokenEntity is one token with its @odata.context.
func renderTokenEntity(r *request, t *tokenRecord) map[string]any {
	body := renderToken(t)
	body["@odata.context"] = r.contextURL("directory/authenticationMethodDevices/hardwareOathDevices/$entity")
	return body
}

// listTokens pages through the inventory in id order. $filter supports
// Graph's documented status and serialNumber equality.
func (s *Server) listTokens(r *request) (*response, error) {
	if err := canReadInventory(r.caller); err != nil {
		return nil, err
	}
	match, err := parseTokenFilter(r.query.Get("$filter"))
	if err != nil {
		return nil, err
	}
	size, err := r.pageSize(tokensDefaultPage, tokensMaxPage)
	if err != nil {
		return nil, err
	}
	after, err := r.skipToken()
	if err != nil {
		return nil, err
	}
	page := make([]map[string]any, 0, min(size, 64))
	var last string
	more := false
	err = s.store.View(func(tx store.Tx) error {
		if match.serial != "" {
			// The serial index answers an equality filter without a scan.
			t, found, err := getTokenBySerial(tx, match.serial)
			if err != nil || !found || after != "" {
				return err
			}
			if match.ok(t) {
				page = append(page, renderToken(t))
			}
			return nil
		}
		from := ""
		if after != "" {
			from = after + "\x00"
		}
		return store.ScanJSON(tx, bucketTokens, "", from, func(key string, t tokenRecord) (bool, error) {
			if !match.ok(&t) {
				return true, nil
			}
			if len(page) == size {
				more = true
				return false, nil
			}
			page = append(page, renderToken(&t))
			last = key
			return true, nil
		})
	})
	if err != nil {
		return nil, err
	}
	body := map[string]any{"@odata.context": r.contextURL("directory/authenticationMethodDevices/hardwareOathDevices"), "value": page}
	if more {
		body["@odata.nextLink"] = r.nextLink(last)
	}
	return ok(body)
}

// tokenFilter is a parsed inventory $filter: equality on status and/or
// serialNumber, joined by "and".
type tokenFilter struct {
	status methods.HardwareTokenStatus
	serial string
}

func (f tokenFilter) ok(t *tokenRecord) bool {
	return (f.status == "" || t.Status == f.status) && (f.serial == "" || strings.EqualFold(t.SerialNumber, f.serial))
}

// parseTokenFilter reads the $filter forms Graph documents for the
// inventory: status eq '...' and serialNumber eq '...', alone or joined
// with and. Anything else is Graph's unsupported-query error.
func parseTokenFilter(src string) (tokenFilter, error) {
	var f tokenFilter
	src = strings.TrimSpace(src)
	if src == "" {
		return f, nil
	}
	unsupported := func() (tokenFilter, error) {
		return tokenFilter{}, errBadRequest(codeUnsupportedQuery, "Unsupported or invalid query filter clause specified for property of resource 'hardwareOathTokenAuthenticationMethodDevice': %s", src)
	}
	for _, clause := range splitAnd(src) {
		prop, value, ok := parseEquality(clause)
		if !ok {
			return unsupported()
		}
		switch strings.ToLower(prop) {
		case "status":
			st, err := methods.ParseTokenStatus(value)
			if err != nil || f.status != "" {
				return unsupported()
			}
			f.status = st
		case "serialnumber":
			if f.serial != "" || value == "" {
				return unsupported()
			}
			f.serial = value
		default:
			return unsupported()
		}
	}
	return f, nil
}

// splitAnd splits a filter at " and " outside string literals.
func splitAnd(src string) []string {
	var parts []string
	inString := false
	start := 0
	for i := 0; i < len(src); i++ {
		switch {
		case src[i] == '\'':
			inString = !inString
		case !inString && i+5 <= len(src) && strings.EqualFold(src[i:i+5], " and "):
			parts = append(parts, src[start:i])
			start = i + 5
			i += 4
		}
	}
	return append(parts, src[start:])
}

// parseEquality reads "prop eq 'value'", where OData writes a quote in
// the value as two quotes.
func parseEquality(clause string) (prop, value string, ok bool) {
	fields := strings.SplitN(strings.TrimSpace(clause), " ", 3)
	if len(fields) != 3 || !strings.EqualFold(fields[1], "eq") {
		return "", "", false
	}
	lit := strings.TrimSpace(fields[2])
	if len(lit) < 2 || lit[0] != '\'' || lit[len(lit)-1] != '\'' {
		return "", "", false
	}
	inner := lit[1 : len(lit)-1]
	if strings.Contains(strings.ReplaceAll(inner, "''", ""), "'") {
		return "", "", false
	}
	return fields[0], strings.ReplaceAll(inner, "''", "'"), true
}

func (s *Server) getTokenHandler(r *request) (*response, error) {
	if err := canReadInventory(r.caller); err != nil {
		return nil, err
	}
	var body map[string]any
	err := s.store.View(func(tx store.Tx) error {
		t, found, err := getToken(tx, r.params["id"])
		if err != nil {
			return err
		}
		if !found {
			return tokenNotFound(r.params["id"])
		}
		body = renderTokenEntity(r, t)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ok(body)
}

// tokenBody is a hardwareOathTokenAuthenticationMethodDevice as a client
// sends it. Read-only properties are decoded only to be refused by name.
type tokenBody struct {
	ODataType             *string         `json:"@odata.type"`
	ID                    *string         `json:"id"`
	DisplayName           *string         `json:"displayName"`
	SerialNumber          *string         `json:"serialNumber"`
	Manufacturer          *string         `json:"manufacturer"`
	Model                 *string         `json:"model"`
	SecretKey             *string         `json:"secretKey"`
	TimeIntervalInSeconds *int            `json:"timeIntervalInSeconds"`
	HashFunction          *string         `json:"hashFunction"`
	AssignTo              *identityBody   `json:"assignTo"`
	Status                json.RawMessage `json:"status"`
	AssignedTo            json.RawMessage `json:"assignedTo"`
	LastUsedDateTime      json.RawMessage `json:"lastUsedDateTime"`
}

type identityBody struct {
	ID string `json:"id"`
}

const tokenODataType = "#microsoft.graph.hardwareOathTokenAuthenticationMethodDevice"

func (b *tokenBody) checkCommon() error {
	if b.ODataType != nil && *b.ODataType != tokenODataType {
		return errBadRequest(codeBadBody, "A type named '%s' is not expected here; expected '%s'.", *b.ODataType, tokenODataType)
	}
	for name, v := range map[string]bool{"id": b.ID != nil, "status": b.Status != nil, "assignedTo": b.AssignedTo != nil, "lastUsedDateTime": b.LastUsedDateTime != nil} {
		if v {
			return errBadRequest(codeBadBody, "The property '%s' is read-only and cannot be set.", name)
		}
	}
	if b.TimeIntervalInSeconds != nil && *b.TimeIntervalInSeconds != 30 && *b.TimeIntervalInSeconds != 60 {
		return invalidEnum("timeIntervalInSeconds", fmt.Sprint(*b.TimeIntervalInSeconds), []string{"30", "60"})
	}
	if b.HashFunction != nil && *b.HashFunction != "hmacsha1" && *b.HashFunction != "hmacsha256" {
		return invalidEnum("hashFunction", *b.HashFunction, []string{"hmacsha1", "hmacsha256"})
	}
	for name, v := range map[string]*string{"displayName": b.DisplayName, "serialNumber": b.SerialNumber, "manufacturer": b.Manufacturer, "model": b.Model} {
		if v != nil {
			if err := checkTokenText(name, *v); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkTokenText refuses text no directory property holds: control
// characters, invalid UTF-8, or more than maxTokenText characters.
func checkTokenText(name, v string) error {
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > maxTokenText || strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return errBadRequest(codeInvalidValue, "Invalid value for property '%s': at most %d printable characters.", name, maxTokenText)
	}
	return nil
}

// checkSecret validates a secretKey the way Entra does (methods' rules, the
// ones the verification engine applies) and returns it normalised. The
// error never repeats the secret.
func checkSecret(secret string, interval int, hash string) (string, error) {
	norm, err := methods.ParseOATHSecret(secret)
	if err != nil {
		return "", ruleError(entra.CodeInvalidSecretKey, "The secretKey is not valid: %s.", strings.TrimPrefix(err.Error(), methods.ErrInvalidOATHSecret.Error()+": "))
	}
	t := tokenRecord{HardwareToken: methods.HardwareToken{TimeIntervalInSeconds: interval, HashFunction: hash}, Secret: string(norm)}
	key, err := t.oathKey()
	if err == nil {
		err = key.CheckEntra()
	}
	if err != nil {
		return "", ruleError(entra.CodeInvalidSecretKey, "The token is not one Entra accepts: %v.", err)
	}
	return string(norm), nil
}

// createToken adds a token to the inventory, and assigns it when assignTo
// names a user (Graph answers "assigned" then).
func (s *Server) createToken(r *request) (*response, error) {
	if err := canWriteInventory(r.caller); err != nil {
		return nil, err
	}
	var b tokenBody
	if err := r.decode(&b); err != nil {
		return nil, err
	}
	if err := b.checkCommon(); err != nil {
		return nil, err
	}
	var missing []string
	for name, v := range map[string]bool{"serialNumber": b.SerialNumber == nil || strings.TrimSpace(*b.SerialNumber) == "", "manufacturer": b.Manufacturer == nil || *b.Manufacturer == "", "model": b.Model == nil || *b.Model == "", "secretKey": b.SecretKey == nil, "timeIntervalInSeconds": b.TimeIntervalInSeconds == nil} {
		if v {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, errBadRequest(codeBadBody, "Required properties are missing: %s.", strings.Join(missing, ", "))
	}
	hash := "hmacsha1"
	if b.HashFunction != nil {
		hash = *b.HashFunction
	}
	secret, err := checkSecret(*b.SecretKey, *b.TimeIntervalInSeconds, hash)
	if err != nil {
		return nil, err
	}
	id, err := newGUID()
	if err != nil {
		return nil, err
	}
	t := &tokenRecord{HardwareToken: methods.HardwareToken{
		ID: id, SerialNumber: *b.SerialNumber, Manufacturer: *b.Manufacturer, Model: *b.Model,
		TimeIntervalInSeconds: *b.TimeIntervalInSeconds, HashFunction: hash, Status: methods.TokenAvailable,
	}, Secret: secret}
	if b.DisplayName != nil {
		t.DisplayName = *b.DisplayName
	}
	var body map[string]any
	err = s.store.Update(func(tx store.Tx) error {
		if _, exists := tx.Get(bucketSerials, strings.ToUpper(t.SerialNumber)); exists {
			return ruleError(entra.CodeSerialNumberExists, "A hardware OATH token with serial number '%s' already exists.", t.SerialNumber)
		}
		if b.AssignTo != nil {
			u, err := getUser(tx, b.AssignTo.ID)
			if err != nil {
				return err
			}
			ms, err := userMethods(tx, u.ID)
			if err != nil {
				return err
			}
			if err := s.bindToken(tx, t, u, ms); err != nil {
				return err
			}
		}
		if err := putToken(tx, t); err != nil {
			return err
		}
		body = renderTokenEntity(r, t)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return created(body)
}

// bindToken assigns an available token to a user: the rules (no guests,
// five OATH and app methods at most), the token's new status and the
// user's hardware method, whose id is the token's. The caller stores t.
func (s *Server) bindToken(tx store.Tx, t *tokenRecord, u *userRecord, ms []methodRecord) error {
	if code := entra.CheckTokenHolder(strings.EqualFold(u.UserType, "Guest")); code != "" {
		return ruleError(code, "Hardware OATH tokens cannot be assigned to guest users; '%s' is a guest.", u.UPN)
	}
	if code := entra.CheckTokenAvailable(entra.Token{Status: t.Status, Assigned: t.AssignedTo != nil}); code != "" {
		who := "another user"
		if t.AssignedTo != nil {
			who = nonEmpty(t.AssignedTo.DisplayName, t.AssignedTo.ID)
		}
		return ruleError(code, "The hardware OATH token '%s' is already assigned to %s (status %s); unassign it first.", t.SerialNumber, who, t.Status)
	}
	if err := checkOathAndAppLimit(ms); err != nil {
		return err
	}
	now := s.now().UTC().Truncate(time.Second)
	t.Status = methods.TokenAssigned
	t.AssignedTo = &methods.Identity{ID: u.ID, DisplayName: u.DisplayName}
	return putMethod(tx, &methodRecord{UserID: u.ID, TokenID: t.ID, Method: methods.Method{
		ID: t.ID, Kind: methods.KindHardwareOath, DisplayName: t.DisplayName, Created: &now,
	}})
}

// updateToken changes an unassigned token's properties; the secret and the
// serial number never change.
func (s *Server) updateToken(r *request) (*response, error) {
	if err := canWriteInventory(r.caller); err != nil {
		return nil, err
	}
	var b tokenBody
	if err := r.decode(&b); err != nil {
		return nil, err
	}
	if err := b.checkCommon(); err != nil {
		return nil, err
	}
	switch {
	case b.SecretKey != nil:
		return nil, ruleError(entra.CodeSecretKeyImmutable, "The secretKey of a hardware OATH token cannot be changed; delete the token and create it again.")
	case b.SerialNumber != nil:
		return nil, errBadRequest(codeBadBody, "The property 'serialNumber' cannot be changed.")
	case b.AssignTo != nil:
		return nil, errBadRequest(codeBadBody, "The property 'assignTo' cannot be set on update; use assignTo/$ref.")
	}
	err := s.store.Update(func(tx store.Tx) error {
		t, found, err := getToken(tx, r.params["id"])
		if err != nil {
			return err
		}
		if !found {
			return tokenNotFound(r.params["id"])
		}
		if code := entra.CheckTokenChange(t.Status); code != "" {
			return ruleError(code, "The hardware OATH token '%s' is %s; unassign it before changing it.", t.SerialNumber, t.Status)
		}
		if b.DisplayName != nil {
			t.DisplayName = *b.DisplayName
		}
		if b.Manufacturer != nil {
			t.Manufacturer = *b.Manufacturer
		}
		if b.Model != nil {
			t.Model = *b.Model
		}
		if b.TimeIntervalInSeconds != nil {
			t.TimeIntervalInSeconds = *b.TimeIntervalInSeconds
		}
		if b.HashFunction != nil {
			t.HashFunction = *b.HashFunction
		}
		if t.Manufacturer == "" || t.Model == "" {
			return errBadRequest(codeInvalidValue, "manufacturer and model cannot be empty.")
		}
		return putToken(tx, t)
	})
	if err != nil {
		return nil, err
	}
	return noContent()
}

// deleteTokenHandler removes an unassigned token from the inventory.
func (s *Server) deleteTokenHandler(r *request) (*response, error) {
	if err := canWriteInventory(r.caller); err != nil {
		return nil, err
	}
	err := s.store.Update(func(tx store.Tx) error {
		t, found, err := getToken(tx, r.params["id"])
		if err != nil {
			return err
		}
		if !found {
			return tokenNotFound(r.params["id"])
		}
		if code := entra.CheckTokenChange(t.Status); code != "" {
			return ruleError(code, "The hardware OATH token '%s' is %s; unassign it before deleting it.", t.SerialNumber, t.Status)
		}
		return deleteToken(tx, t)
	})
	if err != nil {
		return nil, err
	}
	return noContent()
}

// assignTokenRef is the inventory's "Add user": {"@odata.id": ".../users/{id}"}.
func (s *Server) assignTokenRef(r *request) (*response, error) {
	if err := canWriteInventory(r.caller); err != nil {
		return nil, err
	}
	var b struct {
		ODataID *string `json:"@odata.id"`
	}
	if err := r.decode(&b); err != nil {
		return nil, err
	}
	if b.ODataID == nil {
		return nil, errBadRequest(codeBadBody, "@odata.id is required: the URL of the user, e.g. https://graph.microsoft.com/beta/users/{id}.")
	}
	ref := *b.ODataID
	i := strings.LastIndex(strings.ToLower(ref), "/users/")
	if i < 0 || strings.Trim(ref[i+len("/users/"):], "/") == "" {
		return nil, errBadRequest(codeBadBody, "@odata.id '%s' does not name a user.", ref)
	}
	userRef := strings.Trim(ref[i+len("/users/"):], "/")
	err := s.store.Update(func(tx store.Tx) error {
		t, found, err := getToken(tx, r.params["id"])
		if err != nil {
			return err
		}
		if !found {
			return tokenNotFound(r.params["id"])
		}
		u, err := getUser(tx, userRef)
		if err != nil {
			return err
		}
		ms, err := userMethods(tx, u.ID)
		if err != nil {
			return err
		}
		if err := s.bindToken(tx, t, u, ms); err != nil {
			return err
		}
		return putToken(tx, t)
	})
	if err != nil {
		return nil, err
	}
	return noContent()
}

// assignTokenToUser is POST hardwareOathMethods: assign without activation.
// Graph's table names the property id; its example nests it in device.
func (s *Server) assignTokenToUser(r *request) (*response, error) {
	var b struct {
		ODataType *string       `json:"@odata.type"`
		ID        *string       `json:"id"`
		Device    *identityBody `json:"device"`
	}
	if err := r.decode(&b); err != nil {
		return nil, err
	}
	if b.ODataType != nil && *b.ODataType != methods.KindHardwareOath.ODataType() {
		return nil, errBadRequest(codeBadBody, "A type named '%s' is not expected here; expected '%s'.", *b.ODataType, methods.KindHardwareOath.ODataType())
	}
	tokenID := ""
	switch {
	case b.Device != nil && b.ID != nil && !strings.EqualFold(b.Device.ID, *b.ID):
		return nil, errBadRequest(codeBadBody, "id and device.id name different tokens.")
	case b.Device != nil:
		tokenID = b.Device.ID
	case b.ID != nil:
		tokenID = *b.ID
	}
	if tokenID == "" {
		return nil, errBadRequest(codeBadBody, "The token to assign is required: {\"device\":{\"id\":\"<token id>\"}}.")
	}
	var body map[string]any
	err := s.methodWrite(r, func(tx store.Tx, u *userRecord, ms []methodRecord) error {
		t, found, err := getToken(tx, tokenID)
		if err != nil {
			return err
		}
		if !found {
			return tokenNotFound(tokenID)
		}
		if err := s.bindToken(tx, t, u, ms); err != nil {
			return err
		}
		if err := putToken(tx, t); err != nil {
			return err
		}
		m, _, err := getMethod(tx, u.ID, t.ID)
		if err != nil {
			return err
		}
		if err := hydrate(tx, m, s.now()); err != nil {
			return err
		}
		body = renderMethod(m, false)
		body["@odata.context"] = r.contextURL("users('" + u.ID + "')/authentication/hardwareOathMethods/$entity")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return created(body)
}

// unassignToken is DELETE hardwareOathMethods/{id}: the method goes, the
// token stays in the inventory as available.
func (s *Server) unassignToken(r *request) (*response, error) {
	err := s.methodWrite(r, func(tx store.Tx, u *userRecord, ms []methodRecord) error {
		m := findHardwareMethod(ms, r.params["id"])
		if m == nil {
			return methodNotFound(r.params["id"], u)
		}
		clearPreferred, err := checkDefaultDeletion(u, ms, m)
		if err != nil {
			return err
		}
		if clearPreferred {
			u.PreferredMethod = ""
			if err := putUser(tx, u); err != nil {
				return err
			}
		}
		if err := deleteMethod(tx, u.ID, m.ID); err != nil {
			return err
		}
		t, found, err := getToken(tx, m.TokenID)
		if err != nil || !found {
			return err
		}
		t.Status, t.AssignedTo = methods.TokenAvailable, nil
		return putToken(tx, t)
	})
	if err != nil {
		return nil, err
	}
	return noContent()
}

// activationBody is the body of activate and the assign-and-activate
// actions.
type activationBody struct {
	VerificationCode *string       `json:"verificationCode"`
	DisplayName      *string       `json:"displayName"`
	SerialNumber     *string       `json:"serialNumber"`
	Device           *identityBody `json:"device"`
}

func (s *Server) decodeActivation(r *request, need string) (*activationBody, error) {
	var b activationBody
	if err := r.decode(&b); err != nil {
		return nil, err
	}
	if b.VerificationCode == nil || *b.VerificationCode == "" {
		return nil, errBadRequest(codeBadBody, "verificationCode is required: the 6-digit code the token shows now.")
	}
	if _, err := methods.NormalizeOTP(*b.VerificationCode, 6); err != nil {
		return nil, errBadRequest(codeInvalidValue, "verificationCode must be the 6 digits the token shows.")
	}
	if b.DisplayName != nil {
		if err := checkTokenText("displayName", *b.DisplayName); err != nil {
			return nil, err
		}
	}
	switch need {
	case "serialNumber":
		if b.SerialNumber == nil || strings.TrimSpace(*b.SerialNumber) == "" || b.Device != nil {
			return nil, errBadRequest(codeBadBody, "serialNumber is required (and device is not expected).")
		}
	case "device":
		if b.Device == nil || b.Device.ID == "" || b.SerialNumber != nil {
			return nil, errBadRequest(codeBadBody, "device.id is required (and serialNumber is not expected).")
		}
	default:
		if b.Device != nil || b.SerialNumber != nil {
			return nil, errBadRequest(codeBadBody, "activate takes verificationCode and displayName only.")
		}
	}
	return &b, nil
}

func (s *Server) activateToken(r *request) (*response, error) {
	b, err := s.decodeActivation(r, "")
	if err != nil {
		return nil, err
	}
	return s.activation(r, b, func(tx store.Tx, u *userRecord, ms []methodRecord) (*tokenRecord, error) {
		m := findHardwareMethod(ms, r.params["id"])
		if m == nil {
			return nil, methodNotFound(r.params["id"], u)
		}
		t, found, err := getToken(tx, m.TokenID)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, tokenNotFound(m.TokenID)
		}
		return t, nil
	})
}

func (s *Server) assignAndActivate(r *request) (*response, error) {
	b, err := s.decodeActivation(r, "device")
	if err != nil {
		return nil, err
	}
	return s.activation(r, b, func(tx store.Tx, u *userRecord, ms []methodRecord) (*tokenRecord, error) {
		t, found, err := getToken(tx, b.Device.ID)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, tokenNotFound(b.Device.ID)
		}
		return t, s.assignForActivation(tx, t, u, ms)
	})
}

func (s *Server) assignAndActivateBySerial(r *request) (*response, error) {
	b, err := s.decodeActivation(r, "serialNumber")
	if err != nil {
		return nil, err
	}
	return s.activation(r, b, func(tx store.Tx, u *userRecord, ms []methodRecord) (*tokenRecord, error) {
		t, found, err := getTokenBySerial(tx, *b.SerialNumber)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, errNotFound("No hardware OATH token with serial number '%s' is in the directory.", *b.SerialNumber)
		}
		return t, s.assignForActivation(tx, t, u, ms)
	})
}

// assignForActivation assigns the token unless it already belongs to the
// user: retrying an assign-and-activate after a wrong code must work.
func (s *Server) assignForActivation(tx store.Tx, t *tokenRecord, u *userRecord, ms []methodRecord) error {
	if t.AssignedTo != nil && t.AssignedTo.ID == u.ID && findHardwareMethod(ms, t.ID) != nil {
		return nil
	}
	return s.bindToken(tx, t, u, ms)
}

// activation runs one activation attempt in one transaction: pick (and
// maybe assign) the token, count the attempt against the tenant's budget,
// check the code. A wrong code is committed (the token is failedActivation
// and the attempt counted) and then answered with the rule error.
func (s *Server) activation(r *request, b *activationBody, pick func(store.Tx, *userRecord, []methodRecord) (*tokenRecord, error)) (*response, error) {
	now := s.now()
	var wrong error
	err := s.methodWrite(r, func(tx store.Tx, u *userRecord, ms []methodRecord) error {
		t, err := pick(tx, u, ms)
		if err != nil {
			return err
		}
		switch code := entra.CheckTokenActivate(entra.Token{Status: t.Status, Assigned: t.AssignedTo != nil, ToUser: t.AssignedTo != nil && t.AssignedTo.ID == u.ID}); {
		case code == "":
		case code == entra.CodeTokenStatus && t.Status == methods.TokenActivated:
			return ruleError(code, "The hardware OATH token '%s' is already activated.", t.SerialNumber)
		case code == entra.CodeTokenStatus:
			return ruleError(code, "The hardware OATH token '%s' is %s; assign it to a user before activating it.", t.SerialNumber, t.Status)
		default:
			return ruleError(code, "The hardware OATH token '%s' is assigned to another user.", t.SerialNumber)
		}
		if err := countActivation(tx, now); err != nil {
			return err
		}
		key, err := t.oathKey()
		if err != nil {
			return err
		}
		res, err := key.Validate(*b.VerificationCode, now, t.OATH, methods.DefaultTOTPWindow)
		if err != nil {
			return err
		}
		if b.DisplayName != nil {
			t.DisplayName = *b.DisplayName
			if m := findHardwareMethod(ms, t.ID); m != nil {
				m.DisplayName = *b.DisplayName
				if err := putMethod(tx, m); err != nil {
					return err
				}
			}
		}
		if res.OK() {
			t.Status, t.OATH = methods.TokenActivated, res.State
			used := now.UTC().Truncate(time.Second)
			t.LastUsed = &used
		} else {
			t.Status = methods.TokenFailedActivation
			why := "is not the code the token shows now"
			if res.Verdict == methods.OATHReplayed {
				why = "was already used"
			}
			wrong = ruleError(entra.CodeInvalidVerification, "The verification code %s; the hardware OATH token '%s' is now failedActivation. Enter the code the token currently shows.", why, t.SerialNumber)
		}
		return putToken(tx, t)
	})
	if err != nil {
		return nil, err
	}
	if wrong != nil {
		return nil, wrong
	}
	return noContent()
}

// activationLog is the tenant's recent activation attempts, oldest first.
type activationLog struct {
	Times []time.Time `json:"times"`
}

// countActivation enforces Entra's 200 activations per 5 minutes per
// tenant on a sliding window and records this attempt. Over the limit it
// answers 429 with the seconds until the oldest attempt leaves the window.
func countActivation(tx store.Tx, now time.Time) error {
	var log activationLog
	if _, err := store.GetJSON(tx, bucketMeta, metaActivations, &log); err != nil {
		return err
	}
	cutoff := now.Add(-activationWindow)
	kept := log.Times[:0]
	for _, t := range log.Times {
		// Attempts "after now" are from before the emulated clock was set
		// back; they no longer count.
		if t.After(cutoff) && !t.After(now) {
			kept = append(kept, t)
		}
	}
	if entra.CheckActivationRate(len(kept)) != "" {
		wait := kept[len(kept)-activationLimit].Add(activationWindow).Sub(now)
		secs := int(math.Ceil(wait.Seconds()))
		if secs < 1 {
			secs = 1
		}
		ge := ruleError(entra.CodeActivationRateLimited, "The tenant activated %d hardware OATH tokens in the last %s, Entra's limit; retry after %d seconds.", len(kept), activationWindow, secs)
		ge.headers = map[string]string{"Retry-After": fmt.Sprint(secs)}
		return ge
	}
	log.Times = append(kept, now.UTC())
	return store.PutJSON(tx, bucketMeta, metaActivations, &log)
}

// deactivateToken takes an activated token out of use; it stays assigned.
func (s *Server) deactivateToken(r *request) (*response, error) {
	if len(bytes.TrimSpace(r.body)) > 0 && !bytes.Equal(bytes.TrimSpace(r.body), []byte("{}")) {
		return nil, errBadRequest(codeBadBody, "deactivate takes no body.")
	}
	err := s.methodWrite(r, func(tx store.Tx, u *userRecord, ms []methodRecord) error {
		m := findHardwareMethod(ms, r.params["id"])
		if m == nil {
			return methodNotFound(r.params["id"], u)
		}
		t, found, err := getToken(tx, m.TokenID)
		if err != nil {
			return err
		}
		if !found {
			return tokenNotFound(m.TokenID)
		}
		if code := entra.CheckTokenDeactivate(t.Status); code != "" {
			return ruleError(code, "The hardware OATH token '%s' is %s and cannot be deactivated.", t.SerialNumber, t.Status)
		}
		if t.Status == methods.TokenAssigned {
			return nil // already inactive
		}
		t.Status = methods.TokenAssigned
		return putToken(tx, t)
	})
	if err != nil {
		return nil, err
	}
	return noContent()
}

// TokenResync is the answer of the emulator's resync endpoint.
type TokenResync struct {
	SerialNumber string                      `json:"serialNumber"`
	Status       methods.HardwareTokenStatus `json:"status"`
	// DriftSteps is how many time steps the token's clock runs ahead
	// (negative: behind); DriftSeconds the same in seconds.
	DriftSteps   int64 `json:"driftSteps"`
	DriftSeconds int64 `json:"driftSeconds"`
}

// Error codes of the emulator's resync endpoint (not Graph rules).
const (
	CodeResyncFailed   = "tokenResyncFailed"
	CodeResyncReplayed = "tokenResyncReplayed"
)

// tokenCode is the emulator's GET /_mock/tokens/{serial}/code: the code
// the key fob shows at the mock's clock, whatever its status (a fob shows
// codes before it is assigned or activated, which is how an admin
// activates it), and ?steps=N the code N time steps later (or earlier), as
// a fob whose clock is N steps off shows now. Emulator only.
func (s *Server) tokenCode(r *request) (*response, error) {
	steps := 0
	if v := r.query.Get("steps"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < -100 || n > 100 {
			return nil, errBadRequest(codeInvalidValue, "steps must be a whole number of time steps from -100 to 100, not '%s'.", v)
		}
		steps = n
	}
	var out CurrentCode
	err := s.store.View(func(tx store.Tx) error {
		t, key, err := tokenKeyBySerial(tx, r.params["serial"])
		if err != nil {
			return err
		}
		at := s.now().Add(time.Duration(steps) * time.Duration(key.Period) * time.Second)
		code, err := key.Code(at)
		if err != nil {
			return err
		}
		step, err := key.Step(at)
		if err != nil {
			return err
		}
		out = CurrentCode{Code: code, MethodID: t.ID, Kind: string(methods.KindHardwareOath), SerialNumber: t.SerialNumber, Step: step,
			ValidUntil: time.Unix(int64(step+1)*int64(key.Period), 0).UTC().Add(-time.Duration(steps) * time.Duration(key.Period) * time.Second)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ok(out)
}

// resyncToken is the emulator's POST /_mock/tokens/{serial}/resync with
// {"codes":["123456","234567"]}: two consecutive codes the token shows fix
// its position, so a token whose clock drifted is accepted again (Entra has
// no such API; the verification engine and the CLI's token check use it).
func (s *Server) resyncToken(r *request) (*response, error) {
	var b struct {
		Codes []string `json:"codes"`
	}
	if err := r.decode(&b); err != nil {
		return nil, err
	}
	if len(b.Codes) != 2 {
		return nil, errBadRequest(codeBadBody, "codes must hold exactly two consecutive codes of the token, oldest first.")
	}
	for _, c := range b.Codes {
		if _, err := methods.NormalizeOTP(c, 6); err != nil {
			return nil, errBadRequest(codeInvalidValue, "Each code must be the 6 digits the token shows.")
		}
	}
	now := s.now()
	var out TokenResync
	var failed error
	err := s.store.Update(func(tx store.Tx) error {
		t, key, err := tokenKeyBySerial(tx, r.params["serial"])
		if err != nil {
			return err
		}
		res, err := key.Resync(b.Codes[0], b.Codes[1], now, t.OATH, methods.DefaultResyncWindow)
		switch {
		case res.Verdict == methods.OATHReplayed:
			failed = errBadRequest(CodeResyncReplayed, "The two codes were already used; press the token's button for fresh codes.")
			return nil
		case err != nil || !res.OK():
			failed = errBadRequest(CodeResyncFailed, "The two codes are not consecutive codes of token '%s' within %d steps of now; enter two codes the token shows one after the other.", t.SerialNumber, methods.DefaultResyncWindow)
			return nil
		}
		t.OATH = res.State
		out = TokenResync{SerialNumber: t.SerialNumber, Status: t.Status, DriftSteps: res.State.Drift, DriftSeconds: res.State.Drift * int64(t.TimeIntervalInSeconds)}
		return putToken(tx, t)
	})
	if err != nil {
		return nil, err
	}
	if failed != nil {
		return nil, failed
	}
	return ok(out)
}
