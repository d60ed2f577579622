package graph

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/mfactl/mfactl/internal/certfile"
	"github.com/mfactl/mfactl/internal/tokencache"
)

// Auth methods for real Microsoft Graph.
const (
	AuthDeviceCode        = "device-code"
	AuthBrowser           = "browser"
	AuthClientSecret      = "client-secret"
	AuthClientCertificate = "client-certificate"
	AuthWorkloadIdentity  = "workload-identity"
	AuthAzureCLI          = "azure-cli"
	AuthManagedIdentity   = "managed-identity"
	AuthEnvironment       = "environment"
)

// AuthMethods lists the supported sign-in methods.
var AuthMethods = []string{AuthDeviceCode, AuthBrowser, AuthClientSecret, AuthClientCertificate, AuthWorkloadIdentity, AuthAzureCLI, AuthManagedIdentity, AuthEnvironment}

// EnableCAE is whether mfactl asks for tokens capable of Continuous Access
// Evaluation, in every token request: sign-in, Graph calls and Claims.
// azidentity keeps CAE and non-CAE tokens in separate caches
// (azidentity@v1.15.0 public_client.go client(); the persistent caches NAME
// and NAME.cae), so a sign-in of one kind leaves nothing the other can
// reuse. Kiota's Azure auth provider asks for CAE by default and answers
// Graph's claims challenges, so CAE it is everywhere.
const EnableCAE = true

// TokenRequest is the token request mfactl makes for the given scopes.
func TokenRequest(scopes []string) policy.TokenRequestOptions {
	return policy.TokenRequestOptions{Scopes: scopes, EnableCAE: EnableCAE}
}

// CredentialOptions select and configure an azidentity credential.
type CredentialOptions struct {
	// Method is one of AuthMethods; empty takes the saved session's, else
	// picks one from what is configured (see ResolveMethod).
	Method            string
	TenantID          string
	ClientID          string
	ClientSecret      string
	CertificatePath   string
	CertPassword      string
	RedirectURL       string
	ManagedIdentityID string
	// Cloud names the Graph deployment (LookupCloud); empty takes the
	// saved session's, else the global service.
	Cloud string
	// Profile names the persistent token cache (one per profile).
	Profile string
	// RecordPath is where `auth login` keeps the profile's session (method,
	// cloud, tenant, client and the authentication record), so later runs
	// build the same credential and do not prompt again.
	RecordPath string
	// Prompt receives device-code instructions (stderr).
	Prompt io.Writer
	// Interactive allows a device-code or browser prompt during a command.
	// When false and nobody has signed in, requests fail as not signed in.
	Interactive bool
	// RootCAs, when set, are trusted for sign-in (the system roots plus
	// --ca-cert): a TLS-inspecting proxy sits before Entra too.
	RootCAs *x509.CertPool
	// Debug, when set, receives a trace of token requests, secrets and
	// tokens redacted.
	Debug io.Writer
	// Transport, when set, carries the token requests instead of a
	// transport to the network (tests, the in-process emulated Entra).
	Transport http.RoundTripper
}

// Resolved is what a sign-in uses once settings, the AZURE_* environment
// and the saved session are combined.
type Resolved struct {
	Method   string
	Cloud    Cloud
	TenantID string
	ClientID string
	// Record is the saved account of an interactive sign-in, when it
	// belongs to this method, cloud and client.
	Record azidentity.AuthenticationRecord
	// Saved reports whether a session was found for the profile.
	Saved bool
}

// ResolveMethod picks the sign-in method: the configured one, else an app
// credential when a secret or certificate is configured (in mfactl's own
// settings or the AZURE_* environment), else device code.
func ResolveMethod(o CredentialOptions) (string, error) {
	if o.Method != "" {
		for _, m := range AuthMethods {
			if strings.EqualFold(m, o.Method) {
				return m, nil
			}
		}
		return "", fmt.Errorf("unknown auth method %q (want one of %s)", o.Method, strings.Join(AuthMethods, ", "))
	}
	switch {
	case o.ClientSecret != "":
		return AuthClientSecret, nil
	case o.CertificatePath != "":
		return AuthClientCertificate, nil
	case os.Getenv("AZURE_CLIENT_SECRET") != "" || os.Getenv("AZURE_CLIENT_CERTIFICATE_PATH") != "" || os.Getenv("AZURE_FEDERATED_TOKEN_FILE") != "":
		return AuthEnvironment, nil
	}
	return AuthDeviceCode, nil
}

// Resolve combines the options with the AZURE_* environment and, unless
// fresh (a new sign-in), the profile's saved session. Explicit settings
// win, then AZURE_TENANT_ID and AZURE_CLIENT_ID, then the session.
func Resolve(o CredentialOptions, fresh bool) (Resolved, error) {
	var r Resolved
	var sess Session
	if !fresh {
		s, ok, err := LoadSession(o.RecordPath)
		if err != nil {
			return r, err
		}
		sess, r.Saved = s, ok
	}
	if o.Method == "" && sess.Method != "" {
		o.Method = sess.Method
	}
	method, err := ResolveMethod(o)
	if err != nil {
		return r, err
	}
	r.Method = method
	if sess.Method != "" && sess.Method != method {
		sess = Session{} // signed in some other way: nothing of it applies
	}
	c, err := LookupCloud(firstNonEmpty(o.Cloud, sess.Cloud))
	if err != nil {
		return r, err
	}
	r.Cloud = c
	if sess.Cloud != "" && sess.Cloud != c.Name {
		sess = Session{}
	}
	r.TenantID = firstNonEmpty(o.TenantID, os.Getenv("AZURE_TENANT_ID"), sess.TenantID)
	r.ClientID = firstNonEmpty(o.ClientID, os.Getenv("AZURE_CLIENT_ID"), sess.ClientID)
	if sess.Record != nil && IsInteractive(method) && (r.ClientID == "" || r.ClientID == sess.Record.ClientID) {
		r.Record = *sess.Record
	}
	return r, nil
}

// IsInteractive reports whether a method signs a person in (and so keeps an
// authentication record).
func IsInteractive(method string) bool {
	return method == AuthDeviceCode || method == AuthBrowser
}

// Credential is an azidentity credential as mfactl uses it: every token
// request asks for CAE (EnableCAE), and a refusal comes back as a
// *SignInFailure with Entra's AADSTS code and description.
type Credential struct {
	inner    azcore.TokenCredential
	name     string
	recorder *failureRecorder
	// Resolved is what the credential was built from.
	Resolved Resolved
}

// GetToken asks for a token (silently when it can).
func (c *Credential) GetToken(ctx context.Context, tro policy.TokenRequestOptions) (azcore.AccessToken, error) {
	tro.EnableCAE = EnableCAE
	tok, err := c.inner.GetToken(ctx, tro)
	if err != nil {
		return tok, newSignInFailure(c.name, err, c.recorder)
	}
	return tok, nil
}

type authenticator interface {
	Authenticate(context.Context, *policy.TokenRequestOptions) (azidentity.AuthenticationRecord, error)
}

// authenticate signs a person in interactively and returns their record.
func (c *Credential) authenticate(ctx context.Context, scopes []string) (azidentity.AuthenticationRecord, error) {
	a, ok := c.inner.(authenticator)
	if !ok {
		return azidentity.AuthenticationRecord{}, fmt.Errorf("%s cannot sign a person in", c.name)
	}
	tro := TokenRequest(scopes)
	rec, err := a.Authenticate(ctx, &tro)
	if err != nil {
		return rec, newSignInFailure(c.name, err, c.recorder)
	}
	return rec, nil
}

// NewCredential builds the credential for o, using the profile's saved
// session. The second result is a warning for the user (for example when
// the persistent token cache is unavailable), or "".
func NewCredential(o CredentialOptions) (*Credential, string, error) {
	r, err := Resolve(o, false)
	if err != nil {
		return nil, "", err
	}
	return newCredential(o, r)
}

// credentialTransport is the HTTP client of every credential: the proxy
// from the environment, the system roots plus --ca-cert, the --debug trace,
// and the recorder of Entra's error answers.
func credentialTransport(o CredentialOptions) (*http.Client, *failureRecorder) {
	rt := o.Transport
	if rt == nil {
		rt = baseTransport(o.RootCAs)
	}
	if o.Debug != nil {
		rt = &traceTransport{next: rt, w: o.Debug}
	}
	rec := &failureRecorder{next: rt}
	return &http.Client{Transport: rec, Timeout: 2 * time.Minute}, rec
}

func newCredential(o CredentialOptions, r Resolved) (*Credential, string, error) {
	hc, rec := credentialTransport(o)
	copts := azcore.ClientOptions{Transport: hc, Cloud: r.Cloud.configuration()}
	tenant, client := r.TenantID, r.ClientID
	wrap := func(cred azcore.TokenCredential, name string, err error) (*Credential, string, error) {
		if err != nil {
			return nil, "", err
		}
		return &Credential{inner: cred, name: name, recorder: rec, Resolved: r}, "", nil
	}
	switch r.Method {
	case AuthDeviceCode, AuthBrowser:
		var warning string
		c, cerr := persistentCache(o.Profile)
		if cerr != nil {
			warning = "the persistent token cache is unavailable here (" + cerr.Error() + "); you will be asked to sign in again in each new process"
		}
		disable := !o.Interactive
		var cred azcore.TokenCredential
		var err error
		name := "DeviceCodeCredential"
		if r.Method == AuthDeviceCode {
			prompt := o.Prompt
			if prompt == nil {
				prompt = os.Stderr
			}
			cred, err = azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
				ClientOptions: copts, TenantID: tenant, ClientID: client, Cache: c, AuthenticationRecord: r.Record,
				DisableAutomaticAuthentication: disable,
				UserPrompt: func(_ context.Context, m azidentity.DeviceCodeMessage) error {
					_, err := fmt.Fprintln(prompt, m.Message)
					return err
				},
			})
		} else {
			// An app that registered http://localhost needs no redirect URL
			// (InteractiveBrowserCredentialOptions.RedirectURL).
			name = "InteractiveBrowserCredential"
			cred, err = azidentity.NewInteractiveBrowserCredential(&azidentity.InteractiveBrowserCredentialOptions{
				ClientOptions: copts, TenantID: tenant, ClientID: client, RedirectURL: o.RedirectURL, Cache: c,
				AuthenticationRecord: r.Record, DisableAutomaticAuthentication: disable,
			})
		}
		cr, _, err := wrap(cred, name, err)
		return cr, warning, err
	case AuthClientSecret:
		if tenant == "" || client == "" || o.ClientSecret == "" {
			return nil, "", errors.New("client-secret sign-in needs tenant-id, client-id and client-secret (flags, MFACTL_* or AZURE_* variables, or the config file)")
		}
		cred, err := azidentity.NewClientSecretCredential(tenant, client, o.ClientSecret, &azidentity.ClientSecretCredentialOptions{ClientOptions: copts})
		return wrap(cred, "ClientSecretCredential", err)
	case AuthClientCertificate:
		if tenant == "" || client == "" || o.CertificatePath == "" {
			return nil, "", errors.New("client-certificate sign-in needs tenant-id, client-id and client-certificate (a PEM or PFX file)")
		}
		return certificateCredential(copts, tenant, client, o.CertificatePath, o.CertPassword, os.Getenv("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN") == "true", wrap)
	case AuthWorkloadIdentity:
		return workloadCredential(copts, tenant, client, wrap)
	case AuthAzureCLI:
		cred, err := azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: o.TenantID})
		return wrap(cred, "AzureCLICredential", err)
	case AuthManagedIdentity:
		// Managed identity talks to a local endpoint, not to Entra: no
		// cloud, and a plain transport (Service Fabric requires one).
		opts := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: azcore.ClientOptions{Transport: &http.Client{Transport: baseTransport(o.RootCAs)}}}
		if o.ManagedIdentityID != "" {
			opts.ID = azidentity.ClientID(o.ManagedIdentityID)
		}
		cred, err := azidentity.NewManagedIdentityCredential(opts)
		return wrap(cred, "ManagedIdentityCredential", err)
	case AuthEnvironment:
		// As azidentity's EnvironmentCredential (secret, then certificate)
		// and then workload identity (AKS, GitHub Actions OIDC), but with
		// mfactl's cloud, transport and certificate reader.
		switch {
		case os.Getenv("AZURE_CLIENT_SECRET") != "":
			if tenant == "" || client == "" {
				return nil, "", errors.New("AZURE_CLIENT_SECRET is set: also set AZURE_TENANT_ID and AZURE_CLIENT_ID")
			}
			cred, err := azidentity.NewClientSecretCredential(tenant, client, os.Getenv("AZURE_CLIENT_SECRET"), &azidentity.ClientSecretCredentialOptions{ClientOptions: copts})
			return wrap(cred, "ClientSecretCredential", err)
		case os.Getenv("AZURE_CLIENT_CERTIFICATE_PATH") != "":
			if tenant == "" || client == "" {
				return nil, "", errors.New("AZURE_CLIENT_CERTIFICATE_PATH is set: also set AZURE_TENANT_ID and AZURE_CLIENT_ID")
			}
			return certificateCredential(copts, tenant, client, os.Getenv("AZURE_CLIENT_CERTIFICATE_PATH"), os.Getenv("AZURE_CLIENT_CERTIFICATE_PASSWORD"), os.Getenv("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN") == "true", wrap)
		case os.Getenv("AZURE_FEDERATED_TOKEN_FILE") != "":
			return workloadCredential(copts, tenant, client, wrap)
		}
		return nil, "", errors.New("the AZURE_* environment holds no credential: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE")
	}
	return nil, "", fmt.Errorf("auth method %q is not handled", r.Method)
}

type wrapFunc func(azcore.TokenCredential, string, error) (*Credential, string, error)

// CertificateError is a certificate file that cannot be used; Err is one
// of certfile's errors.
type CertificateError struct {
	Path string
	Err  error
}

func (e *CertificateError) Error() string {
	return "client certificate " + e.Path + ": " + e.Err.Error()
}
func (e *CertificateError) Unwrap() error { return e.Err }

func certificateCredential(copts azcore.ClientOptions, tenant, client, path, password string, sendChain bool, wrap wrapFunc) (*Credential, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", &CertificateError{Path: path, Err: err}
	}
	certs, key, err := certfile.Parse(data, password)
	if err != nil {
		return nil, "", &CertificateError{Path: path, Err: err}
	}
	cred, err := azidentity.NewClientCertificateCredential(tenant, client, certs, key, &azidentity.ClientCertificateCredentialOptions{ClientOptions: copts, SendCertificateChain: sendChain})
	if err != nil {
		return nil, "", &CertificateError{Path: path, Err: err}
	}
	return wrap(cred, "ClientCertificateCredential", nil)
}

// workloadCredential exchanges the federated token in
// AZURE_FEDERATED_TOKEN_FILE (AKS workload identity, GitHub Actions OIDC
// written to a file) for an Entra token.
func workloadCredential(copts azcore.ClientOptions, tenant, client string, wrap wrapFunc) (*Credential, string, error) {
	file := os.Getenv("AZURE_FEDERATED_TOKEN_FILE")
	if tenant == "" || client == "" || file == "" {
		return nil, "", errors.New("workload identity needs AZURE_FEDERATED_TOKEN_FILE, and tenant-id and client-id (or AZURE_TENANT_ID and AZURE_CLIENT_ID)")
	}
	cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
		ClientOptions: copts, TenantID: tenant, ClientID: client, TokenFilePath: file,
	})
	return wrap(cred, "WorkloadIdentityCredential", err)
}

// Account describes who mfactl signs in as.
type Account struct {
	Method    string `json:"method"`
	Cloud     string `json:"cloud,omitempty"`
	Username  string `json:"username,omitempty"`
	TenantID  string `json:"tenantId,omitempty"`
	ClientID  string `json:"clientId,omitempty"`
	Authority string `json:"authority,omitempty"`
	// TokenExpires is when the token obtained expires (Login, Probe).
	TokenExpires *time.Time `json:"tokenExpires,omitempty"`
}

// Login signs in (device code or browser prompting; app credentials
// requesting a token) and saves the profile's session, so every later
// command builds the same credential and reuses the cached token. It never
// prints or returns the token.
func Login(ctx context.Context, o CredentialOptions) (Account, string, error) {
	o.Interactive = true
	r, err := Resolve(o, true)
	if err != nil {
		return Account{}, "", err
	}
	// Start from a clean slate: the old session must not be reused if this
	// sign-in fails.
	if err := RemoveSession(o.RecordPath); err != nil {
		return Account{}, "", err
	}
	cred, warning, err := newCredential(o, r)
	if err != nil {
		return Account{}, warning, err
	}
	scopes := []string{r.Cloud.Scope()}
	sess := Session{Method: r.Method, Cloud: r.Cloud.Name, TenantID: r.TenantID, ClientID: r.ClientID}
	acct := Account{Method: r.Method, Cloud: r.Cloud.Name, TenantID: r.TenantID, ClientID: r.ClientID}
	if IsInteractive(r.Method) {
		rec, err := cred.authenticate(ctx, scopes)
		if err != nil {
			return Account{}, warning, err
		}
		sess.Record = &rec
		acct.Username, acct.TenantID, acct.ClientID, acct.Authority = rec.Username, rec.TenantID, rec.ClientID, rec.Authority
	}
	// Interactive or not, the token a Graph call will ask for must come
	// silently now: the same request (scope, CAE) from the same cache.
	tok, err := cred.GetToken(ctx, TokenRequest(scopes))
	if err != nil {
		return Account{}, warning, err
	}
	fillFromToken(&acct, tok)
	if err := SaveSession(o.RecordPath, sess); err != nil {
		return Account{}, warning, err
	}
	return acct, warning, nil
}

// Probe reports whether a token can be obtained for the profile without
// prompting anyone, and as whom: what `auth status` calls signed in.
func Probe(ctx context.Context, o CredentialOptions) (Account, error) {
	o.Interactive = false
	cred, _, err := NewCredential(o)
	if err != nil {
		return Account{}, err
	}
	r := cred.Resolved
	acct := Account{Method: r.Method, Cloud: r.Cloud.Name, TenantID: r.TenantID, ClientID: r.ClientID}
	if r.Record.HomeAccountID != "" {
		acct.Username, acct.TenantID, acct.ClientID, acct.Authority = r.Record.Username, r.Record.TenantID, r.Record.ClientID, r.Record.Authority
	}
	tok, err := cred.GetToken(ctx, TokenRequest([]string{r.Cloud.Scope()}))
	if err != nil {
		return acct, err
	}
	fillFromToken(&acct, tok)
	return acct, nil
}

// fillFromToken completes the account from the token's claims (read, not
// verified: they describe the caller to the caller).
func fillFromToken(acct *Account, tok azcore.AccessToken) {
	exp := tok.ExpiresOn.UTC()
	acct.TokenExpires = &exp
	cl, err := ParseClaims(tok.Token)
	if err != nil {
		return
	}
	if cl.TenantID != "" {
		acct.TenantID = cl.TenantID
	}
	if cl.UPN != "" {
		acct.Username = cl.UPN
	}
	if acct.ClientID == "" {
		acct.ClientID = cl.AppID
	}
}

// IsNotSignedIn reports whether err means a person must sign in (nobody
// has, or the saved sign-in no longer yields a token without prompting).
func IsNotSignedIn(err error) bool {
	var required *azidentity.AuthenticationRequiredError
	return errors.As(err, &required)
}

// Logout forgets the profile's sign-in: its session and its token cache.
// It reports whether there was a session.
func Logout(o CredentialOptions) (bool, error) {
	_, had, _ := LoadSession(o.RecordPath)
	err := errors.Join(RemoveSession(o.RecordPath), tokencache.Remove(tokencache.Name(o.Profile)))
	return had, err
}

// StaticToken is a credential that always returns the same bearer token:
// for mfactl's mock server, the in-process mock or any Graph-compatible
// endpoint. It keeps the production code path (the Azure auth provider).
func StaticToken(token string) azcore.TokenCredential { return staticToken(token) }

type staticToken string

func (s staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if s == "" {
		return azcore.AccessToken{}, errors.New("no token configured: set MFACTL_TOKEN")
	}
	return azcore.AccessToken{Token: string(s), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
