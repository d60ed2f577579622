package mock

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/mfactl/mfactl/mock/store"
)

// The emulated Microsoft Entra ID: the part of login.microsoftonline.com
// that MSAL-based clients (azidentity, Graph PowerShell, the CLI for
// Microsoft 365, msal-python, msal-node) use to get a Graph token, served
// behind the mock's HTTPS proxy (proxy.go). It issues JWTs signed with a
// key kept in the mock's state, and the Graph side authorises requests
// from them as from its static tokens.
//
// Endpoints (Microsoft identity platform v2.0, as MSAL calls them):
//
//	GET  /common/discovery/instance                  MSAL instance discovery
//	GET  /{tenant}/v2.0/.well-known/openid-configuration
//	GET  /{tenant}/discovery/v2.0/keys               JWKS
//	POST /{tenant}/oauth2/v2.0/devicecode            device authorisation (RFC 8628)
//	POST /{tenant}/oauth2/v2.0/token                 client_credentials (secret or
//	                                                 certificate assertion), device_code,
//	                                                 refresh_token
//
// {tenant} is the tenant id, its domain, "organizations" or "common".

// EntraHost is the sign-in host the proxy intercepts.
const EntraHost = "login.microsoftonline.com"

// GraphHost is the Graph host the proxy intercepts.
const GraphHost = "graph.microsoft.com"

// Sign-in error codes the emulated Entra answers (Microsoft's "Microsoft
// Entra authentication and authorization error codes").
const (
	aadstsTenantNotFound       = 90002
	aadstsAppNotFound          = 700016
	aadstsInvalidSecret        = 7000215
	aadstsPublicClientDisabled = 7000218
	aadstsConsentRequired      = 65001
	aadstsPending              = 70016
	aadstsExpiredDeviceCode    = 70020
	aadstsBadRefreshToken      = 70000
	aadstsBadAssertion         = 700027
	aadstsUnsupportedGrant     = 70003
)

// Demo apps that fail the way misconfigured registrations do, so clients'
// error handling can be tried.
const (
	// NoConsentAppID has no admin consent: every token request is 65001.
	NoConsentAppID = "00000000-0000-0000-0000-000000065001"
	// ConfidentialOnlyAppID has "Allow public client flows" off: device
	// code sign-in is 7000218 (it has no secret either).
	ConfidentialOnlyAppID = "00000000-0000-0000-0000-000007000218"
)

// graphAppID is Microsoft Graph's application id, the aud of v1 tokens.
const graphAppID = "00000003-0000-0000-c000-000000000000"

// EntraApp is an app registration of the emulated tenant.
type EntraApp struct {
	ID     string `json:"appId"`
	Name   string `json:"displayName"`
	Secret string `json:"-"`
	// Certificate, when set, authenticates certificate assertions.
	Certificate *x509.Certificate `json:"-"`
	// Roles are the application permissions granted (app-only tokens).
	Roles []string `json:"roles"`
	// Scopes are the delegated permissions consented (user tokens).
	Scopes []string `json:"scopes"`
	// PublicClient is "Allow public client flows" (device code).
	PublicClient bool `json:"publicClient"`
	// Consented is whether an admin consented to its permissions.
	Consented bool `json:"consented"`
}

// DefaultAppRoles are the application permissions of the --app-id app:
// what mfactl needs (README "Using mfactl with a real tenant").
var DefaultAppRoles = []string{"UserAuthenticationMethod.ReadWrite.All", "User.Read.All", "AuditLog.Read.All", "RoleManagement.Read.Directory", "Policy.ReadWrite.AuthenticationMethod", "User.RevokeSessions.All"}

// entraBucket keeps the signing key and the proxy's CA in the state, so
// cached tokens and trusted CAs survive restarts.
const entraBucket = "entra"

// Entra is the emulated sign-in service of a Server.
type Entra struct {
	srv  *Server
	key  *rsa.PrivateKey
	kid  string
	apps map[string]*EntraApp

	mu      sync.Mutex
	devices map[string]*deviceCode // by device_code
	byUser  map[string]string      // user_code -> device_code

	// verified caches the principals of verified access tokens (by the
	// token's SHA-256), so Graph calls do not verify RSA each time.
	verified sync.Map
}

type deviceCode struct {
	appID, userCode string
	scopes          []string
	expires         time.Time
	userID          string // set when approved
	cae             bool
}

type cachedPrincipal struct {
	p   *Principal
	exp time.Time
}

// EnableEntra starts the emulated Entra ID with the given app (id and
// secret; both generated when empty) and returns it. Tokens it issues are
// accepted by the Graph side from then on.
func (s *Server) EnableEntra(app EntraApp) (*Entra, error) {
	key, err := s.entraKey()
	if err != nil {
		return nil, err
	}
	if app.ID == "" {
		app.ID = newUUID()
	}
	if app.Secret == "" && app.Certificate == nil {
		app.Secret = randomSecret()
	}
	if app.Name == "" {
		app.Name = "mfactl"
	}
	if app.Roles == nil {
		app.Roles = DefaultAppRoles
	}
	if app.Scopes == nil {
		app.Scopes = app.Roles
	}
	app.PublicClient, app.Consented = true, true
	sum := sha256.Sum256(x509.MarshalPKCS1PublicKey(&key.PublicKey))
	e := &Entra{srv: s, key: key, kid: hex.EncodeToString(sum[:8]), apps: map[string]*EntraApp{
		app.ID:                &app,
		NoConsentAppID:        {ID: NoConsentAppID, Name: "mfactl demo: no admin consent", Secret: app.Secret, PublicClient: true},
		ConfidentialOnlyAppID: {ID: ConfidentialOnlyAppID, Name: "mfactl demo: public client flows off", Secret: app.Secret, Roles: DefaultAppRoles, Scopes: DefaultAppRoles, Consented: true},
	}, devices: map[string]*deviceCode{}, byUser: map[string]string{}}
	s.mu.Lock()
	s.entra = e
	s.mu.Unlock()
	s.tokens.verifier = e.principal
	return e, nil
}

// App returns the main app registration.
func (e *Entra) App() EntraApp {
	for _, a := range e.apps {
		if a.ID != NoConsentAppID && a.ID != ConfidentialOnlyAppID {
			return *a
		}
	}
	return EntraApp{}
}

// entraKey loads the token signing key from the state, making it once.
func (s *Server) entraKey() (*rsa.PrivateKey, error) {
	var key *rsa.PrivateKey
	err := s.store.Update(func(tx store.Tx) error {
		if b, ok := tx.Get(entraBucket, "signing-key"); ok {
			block, _ := pem.Decode(b)
			if block == nil {
				return errors.New("mock: the state's token signing key is damaged")
			}
			k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
			key = k
			return err
		}
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return err
		}
		key = k
		return tx.Put(entraBucket, "signing-key", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
	})
	return key, err
}

func (e *Entra) tenant() tenantRecord {
	var t tenantRecord
	_ = e.srv.store.View(func(tx store.Tx) error {
		r, err := getTenant(tx)
		if err == nil {
			t = *r
		}
		return nil
	})
	return t
}

// ServeHTTP answers requests to login.microsoftonline.com.
func (e *Entra) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	t := e.tenant()
	if len(segs) == 3 && segs[1] == "discovery" && segs[2] == "instance" && r.Method == http.MethodGet {
		e.instanceDiscovery(w, r)
		return
	}
	if len(segs) < 2 {
		entraError(w, http.StatusNotFound, "invalid_request", 900561, "The endpoint only accepts the Microsoft identity platform paths.")
		return
	}
	tenant := segs[0]
	if !strings.EqualFold(tenant, t.ID) && !strings.EqualFold(tenant, t.Domain) && tenant != "organizations" && tenant != "common" {
		entraError(w, http.StatusBadRequest, "invalid_tenant", aadstsTenantNotFound, fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant))
		return
	}
	switch rest := strings.Join(segs[1:], "/"); {
	case rest == "v2.0/.well-known/openid-configuration" && r.Method == http.MethodGet:
		e.openIDConfiguration(w, tenant, t)
	case rest == "discovery/v2.0/keys" && r.Method == http.MethodGet:
		e.keys(w)
	case rest == "oauth2/v2.0/devicecode" && r.Method == http.MethodPost:
		e.deviceAuthorization(w, r)
	case rest == "oauth2/v2.0/token" && r.Method == http.MethodPost:
		e.token(w, r, t)
	default:
		entraError(w, http.StatusNotFound, "invalid_request", 900561, "The endpoint only accepts the Microsoft identity platform paths.")
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// entraError writes the token endpoint's error body (RFC 6749 §5.2 with
// Entra's error_codes, trace and correlation ids).
func entraError(w http.ResponseWriter, status int, oauthErr string, code int, msg string) {
	trace, corr := newUUID(), newUUID()
	writeJSON(w, status, map[string]any{
		"error":             oauthErr,
		"error_description": fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s", code, msg, trace, corr, time.Now().UTC().Format("2006-01-02 15:04:05Z")),
		"error_codes":       []int{code},
		"timestamp":         time.Now().UTC().Format("2006-01-02 15:04:05Z"),
		"trace_id":          trace,
		"correlation_id":    corr,
	})
}

func (e *Entra) instanceDiscovery(w http.ResponseWriter, r *http.Request) {
	// The tenant is the one of the authorisation endpoint MSAL asks about.
	tenant := "common"
	if u, err := url.Parse(r.URL.Query().Get("authorization_endpoint")); err == nil {
		if seg, _, _ := strings.Cut(strings.Trim(u.Path, "/"), "/"); seg != "" {
			tenant = seg
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"tenant_discovery_endpoint": "https://" + EntraHost + "/" + url.PathEscape(tenant) + "/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata": []map[string]any{{
			"preferred_network": EntraHost, "preferred_cache": "login.windows.net",
			"aliases": []string{EntraHost, "login.windows.net", "login.microsoft.com", "sts.windows.net"},
		}},
	})
}

func (e *Entra) openIDConfiguration(w http.ResponseWriter, tenant string, t tenantRecord) {
	base := "https://" + EntraHost + "/" + tenant
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                "https://" + EntraHost + "/" + t.ID + "/v2.0",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"tenant_region_scope":                   "NA",
		"cloud_instance_name":                   "microsoftonline.com",
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
	})
}

func (e *Entra) keys(w http.ResponseWriter) {
	pub := e.key.PublicKey
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]any{{
		"kty": "RSA", "use": "sig", "kid": e.kid, "alg": "RS256",
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

// deviceCodeLifetime is how long a device code can be approved.
const deviceCodeLifetime = 15 * time.Minute

func (e *Entra) deviceAuthorization(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		entraError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
		return
	}
	app, ok := e.apps[r.PostForm.Get("client_id")]
	if !ok {
		entraError(w, http.StatusBadRequest, "unauthorized_client", aadstsAppNotFound, fmt.Sprintf("Application with identifier '%s' was not found in the directory.", r.PostForm.Get("client_id")))
		return
	}
	dc := &deviceCode{appID: app.ID, userCode: userCode(), scopes: strings.Fields(r.PostForm.Get("scope")), expires: time.Now().Add(deviceCodeLifetime)}
	device := randomSecret()
	e.mu.Lock()
	e.devices[device], e.byUser[dc.userCode] = dc, device
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"user_code": dc.userCode, "device_code": device,
		"verification_uri": "https://microsoft.com/devicelogin",
		"expires_in":       int(deviceCodeLifetime.Seconds()), "interval": 1,
		"message": fmt.Sprintf("To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code %s to authenticate. (mfactl mock: approve code %s as a tenant user with the mock's signin approve.)", dc.userCode, dc.userCode),
	})
}

// ApprovedSignIn is what approving a device code did.
type ApprovedSignIn struct {
	UserCode string   `json:"userCode"`
	User     string   `json:"user"`
	App      string   `json:"appId"`
	Roles    []string `json:"roles"`
}

// Approve signs the user in for a pending device code, as the user would
// at https://microsoft.com/devicelogin.
func (e *Entra) Approve(code, userRef string) (ApprovedSignIn, error) {
	var u *userRecord
	err := e.srv.store.View(func(tx store.Tx) error {
		var err error
		u, err = getUser(tx, userRef)
		return err
	})
	if err != nil {
		return ApprovedSignIn{}, errBadRequest("Request_ResourceNotFound", "No user '%s' in the tenant.", userRef)
	}
	if !u.AccountEnabled {
		return ApprovedSignIn{}, errBadRequest("accountDisabled", "The account of %s is disabled; it cannot sign in.", u.UPN)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	dc, ok := e.devices[e.byUser[strings.ToUpper(strings.TrimSpace(code))]]
	if !ok || time.Now().After(dc.expires) {
		return ApprovedSignIn{}, errBadRequest("invalidUserCode", "No pending sign-in has the code '%s' (codes expire after %s).", code, deviceCodeLifetime)
	}
	dc.userID = u.ID
	return ApprovedSignIn{UserCode: dc.userCode, User: u.UPN, App: dc.appID, Roles: u.Roles}, nil
}

func (e *Entra) token(w http.ResponseWriter, r *http.Request, t tenantRecord) {
	if err := r.ParseForm(); err != nil {
		entraError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must be application/x-www-form-urlencoded.")
		return
	}
	f := r.PostForm
	clientID := f.Get("client_id")
	app, ok := e.apps[clientID]
	if !ok {
		entraError(w, http.StatusBadRequest, "unauthorized_client", aadstsAppNotFound, fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'.", clientID, t.Domain))
		return
	}
	// MSAL asks for CAE-capable tokens with the client capability cp1.
	cae := strings.Contains(f.Get("claims"), "cp1")
	switch grant := f.Get("grant_type"); grant {
	case "client_credentials":
		if !e.clientAuthenticated(w, app, f.Get("client_secret"), f.Get("client_assertion"), t) {
			return
		}
		if !app.Consented {
			entraError(w, http.StatusBadRequest, "invalid_grant", aadstsConsentRequired, fmt.Sprintf("The user or administrator has not consented to use the application with ID '%s' named '%s'. Send an interactive authorization request for this user and resource.", app.ID, app.Name))
			return
		}
		e.issue(w, t, app, nil, nil, cae)
	case "urn:ietf:params:oauth:grant-type:device_code", "device_code":
		if !app.PublicClient {
			entraError(w, http.StatusUnauthorized, "invalid_client", aadstsPublicClientDisabled, "The provided request must include a 'client_assertion' or 'client_secret' input parameter.")
			return
		}
		e.mu.Lock()
		dc, ok := e.devices[f.Get("device_code")]
		if ok && dc.userID != "" {
			delete(e.devices, f.Get("device_code"))
			delete(e.byUser, dc.userCode)
		}
		e.mu.Unlock()
		switch {
		case !ok || dc.appID != app.ID:
			entraError(w, http.StatusBadRequest, "invalid_grant", aadstsExpiredDeviceCode, "The provided device code is not valid.")
		case time.Now().After(dc.expires):
			entraError(w, http.StatusBadRequest, "expired_token", aadstsExpiredDeviceCode, "The device code has expired.")
		case dc.userID == "":
			entraError(w, http.StatusBadRequest, "authorization_pending", aadstsPending, "The user has not yet completed sign-in.")
		case !app.Consented:
			entraError(w, http.StatusBadRequest, "invalid_grant", aadstsConsentRequired, fmt.Sprintf("The user or administrator has not consented to use the application with ID '%s' named '%s'. Send an interactive authorization request for this user and resource.", app.ID, app.Name))
		default:
			e.issueForUser(w, t, app, dc.userID, dc.scopes, cae)
		}
	case "refresh_token":
		claims, err := e.parse(f.Get("refresh_token"), "refresh")
		if err != nil || claims["appid"] != app.ID {
			entraError(w, http.StatusBadRequest, "invalid_grant", aadstsBadRefreshToken, "The provided value for the 'refresh_token' is not valid.")
			return
		}
		uid, _ := claims["oid"].(string)
		e.issueForUser(w, t, app, uid, strings.Fields(f.Get("scope")), cae)
	default:
		entraError(w, http.StatusBadRequest, "unsupported_grant_type", aadstsUnsupportedGrant, fmt.Sprintf("The app requested an unsupported grant type '%s'.", grant))
	}
}

// clientAuthenticated checks a confidential client's secret or certificate
// assertion, answering the error itself when it fails.
func (e *Entra) clientAuthenticated(w http.ResponseWriter, app *EntraApp, secret, assertion string, t tenantRecord) bool {
	switch {
	case assertion != "":
		if app.Certificate == nil {
			entraError(w, http.StatusUnauthorized, "invalid_client", aadstsBadAssertion, fmt.Sprintf("The certificate with identifier used to sign the client assertion is not registered on application '%s'.", app.ID))
			return false
		}
		_, err := jwt.Parse(assertion, func(*jwt.Token) (any, error) { return app.Certificate.PublicKey, nil },
			jwt.WithValidMethods([]string{"RS256", "PS256"}), jwt.WithExpirationRequired(), jwt.WithSubject(app.ID), jwt.WithIssuer(app.ID))
		if err != nil {
			entraError(w, http.StatusUnauthorized, "invalid_client", aadstsBadAssertion, "Client assertion failed signature validation: "+err.Error())
			return false
		}
		return true
	case secret != "" && app.Secret != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(app.Secret)) == 1:
		return true
	}
	entraError(w, http.StatusUnauthorized, "invalid_client", aadstsInvalidSecret, fmt.Sprintf("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", app.ID))
	return false
}

// tokenLifetime is the access token's lifetime (Entra's default is 60-90
// minutes).
const tokenLifetime = time.Hour

// issueForUser answers with a delegated token; requested are the scopes
// the client asked for, granted in full (the consented ones are in scp).
func (e *Entra) issueForUser(w http.ResponseWriter, t tenantRecord, app *EntraApp, userID string, requested []string, cae bool) {
	var u *userRecord
	err := e.srv.store.View(func(tx store.Tx) error {
		var err error
		u, err = getUser(tx, userID)
		return err
	})
	if err != nil || !u.AccountEnabled {
		entraError(w, http.StatusBadRequest, "invalid_grant", 50057, "The user account is disabled or no longer exists.")
		return
	}
	e.issue(w, t, app, u, requested, cae)
}

// issue answers a token request: an app-only token (u nil) with the app's
// roles, or a delegated one with the consented scopes and the user's
// directory roles as wids.
func (e *Entra) issue(w http.ResponseWriter, t tenantRecord, app *EntraApp, u *userRecord, requested []string, cae bool) {
	now := time.Now()
	claims := jwt.MapClaims{
		"aud": "https://" + GraphHost, "iss": "https://sts.windows.net/" + t.ID + "/",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(tokenLifetime).Unix(),
		"tid": t.ID, "appid": app.ID, "azp": app.ID, "app_displayname": app.Name, "ver": "1.0",
		"uti": randomSecret()[:22], "use": "access",
	}
	if cae {
		claims["xms_cc"] = []string{"cp1"}
	}
	resp := map[string]any{"token_type": "Bearer", "expires_in": int(tokenLifetime.Seconds()), "ext_expires_in": int(tokenLifetime.Seconds())}
	if u == nil {
		claims["oid"], claims["sub"], claims["idtyp"] = stableID("service-principal", app.ID), stableID("service-principal", app.ID), "app"
		claims["roles"] = app.Roles
	} else {
		wids := []string{}
		for _, r := range u.Roles {
			wids = append(wids, roleTemplateID(r))
		}
		claims["oid"], claims["sub"], claims["upn"], claims["unique_name"], claims["name"] = u.ID, u.ID, u.UPN, u.UPN, u.DisplayName
		claims["scp"], claims["wids"], claims["idtyp"] = strings.Join(app.Scopes, " "), wids, "user"
		granted := slices.DeleteFunc(slices.Clone(requested), func(s string) bool { return s == "openid" || s == "profile" || s == "offline_access" })
		resp["scope"] = strings.Join(append(granted, "openid", "profile", "offline_access"), " ")
		rt, err := e.sign(jwt.MapClaims{"use": "refresh", "oid": u.ID, "appid": app.ID, "tid": t.ID, "iat": now.Unix(), "exp": now.Add(90 * 24 * time.Hour).Unix()})
		if err != nil {
			entraError(w, http.StatusInternalServerError, "server_error", 50000, err.Error())
			return
		}
		idt, err := e.sign(jwt.MapClaims{"aud": app.ID, "iss": "https://" + EntraHost + "/" + t.ID + "/v2.0", "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(tokenLifetime).Unix(),
			"oid": u.ID, "sub": u.ID, "tid": t.ID, "preferred_username": u.UPN, "name": u.DisplayName, "ver": "2.0", "use": "id"})
		if err != nil {
			entraError(w, http.StatusInternalServerError, "server_error", 50000, err.Error())
			return
		}
		info, _ := json.Marshal(map[string]string{"uid": u.ID, "utid": t.ID})
		resp["refresh_token"], resp["id_token"], resp["client_info"] = rt, idt, base64.RawURLEncoding.EncodeToString(info)
	}
	if _, ok := resp["scope"]; !ok {
		resp["scope"] = "https://" + GraphHost + "/.default"
	}
	at, err := e.sign(claims)
	if err != nil {
		entraError(w, http.StatusInternalServerError, "server_error", 50000, err.Error())
		return
	}
	resp["access_token"] = at
	writeJSON(w, http.StatusOK, resp)
}

func (e *Entra) sign(claims jwt.MapClaims) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = e.kid
	return tok.SignedString(e.key)
}

// parse verifies a token the mock signed and checks its use.
func (e *Entra) parse(token, use string) (jwt.MapClaims, error) {
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return &e.key.PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired())
	if err != nil {
		return nil, err
	}
	if claims["use"] != use {
		return nil, errors.New("a token for another use")
	}
	return claims, nil
}

// principal authorises a Graph request from a token the emulated Entra
// issued: a delegated token acts as its user with the roles it carries
// (wids), an app-only token with the roles its application permissions
// amount to.
func (e *Entra) principal(token string) (*Principal, bool) {
	sum := sha256.Sum256([]byte(token))
	if c, ok := e.verified.Load(sum); ok {
		cp := c.(cachedPrincipal)
		if time.Now().Before(cp.exp) {
			return cp.p, true
		}
		e.verified.Delete(sum)
	}
	claims, err := e.parse(token, "access")
	if err != nil || claims["aud"] != "https://"+GraphHost && claims["aud"] != graphAppID {
		return nil, false
	}
	p := &Principal{}
	if upn, ok := claims["upn"].(string); ok {
		p.UPN, _ = claims["upn"].(string)
		p.Name, _ = claims["name"].(string)
		p.UPN = upn
		wids, _ := claims["wids"].([]any)
		for _, w := range wids {
			if t, ok := templateByID[fmt.Sprint(w)]; ok {
				p.Roles = append(p.Roles, t.name)
			}
		}
	} else {
		p.Name, _ = claims["app_displayname"].(string)
		roles, _ := claims["roles"].([]any)
		for _, r := range roles {
			p.Roles = append(p.Roles, appPermissionRoles[fmt.Sprint(r)]...)
		}
	}
	exp, _ := claims.GetExpirationTime()
	e.verified.Store(sum, cachedPrincipal{p: p, exp: exp.Time})
	return p, true
}

// appPermissionRoles are the directory roles whose rights an application
// permission gives an app-only caller in the mock's role checks.
var appPermissionRoles = map[string][]string{
	"UserAuthenticationMethod.ReadWrite.All": {RolePrivilegedAuthAdmin},
	"UserAuthenticationMethod.Read.All":      {RoleGlobalReader},
	"Policy.ReadWrite.AuthenticationMethod":  {RoleAuthPolicyAdmin},
	"AuditLog.Read.All":                      {RoleReportsReader},
	"User.RevokeSessions.All":                {RoleUserAdmin},
	"User.ReadWrite.All":                     {RoleUserAdmin},
}

// userCode is a device code's short code for people: 9 letters and digits
// without look-alikes.
func userCode() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func randomSecret() string {
	b := make([]byte, 30)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// approveSignIn is POST /_mock/signin/approve {"userCode": ..., "user": UPN}:
// the user approves a pending device code sign-in.
func (s *Server) approveSignIn(r *request) (*response, error) {
	s.mu.Lock()
	e := s.entra
	s.mu.Unlock()
	if e == nil {
		return nil, newError(http.StatusNotFound, "entraNotEmulated", "This mock does not emulate Entra sign-in (it was started without its HTTPS proxy).")
	}
	var in struct {
		UserCode string `json:"userCode"`
		User     string `json:"user"`
	}
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	out, err := e.Approve(in.UserCode, in.User)
	if err != nil {
		return nil, err
	}
	return ok(out)
}
