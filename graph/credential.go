package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Auth methods for real Microsoft Graph.
const (
	AuthDeviceCode        = "device-code"
	AuthBrowser           = "browser"
	AuthClientSecret      = "client-secret"
	AuthClientCertificate = "client-certificate"
	AuthAzureCLI          = "azure-cli"
	AuthManagedIdentity   = "managed-identity"
	AuthEnvironment       = "environment"
)

// AuthMethods lists the supported sign-in methods.
var AuthMethods = []string{AuthDeviceCode, AuthBrowser, AuthClientSecret, AuthClientCertificate, AuthAzureCLI, AuthManagedIdentity, AuthEnvironment}

// CredentialOptions select and configure an azidentity credential.
type CredentialOptions struct {
	// Method is one of AuthMethods; empty picks one from what is configured
	// (see ResolveMethod).
	Method            string
	TenantID          string
	ClientID          string
	ClientSecret      string
	CertificatePath   string
	CertPassword      string
	RedirectURL       string
	ManagedIdentityID string
	// RecordPath is where the authentication record of an interactive
	// sign-in is kept, so later runs do not prompt again.
	RecordPath string
	// Prompt receives device-code instructions (stderr).
	Prompt io.Writer
	// Interactive allows a device-code or browser prompt during a command.
	// When false and nobody has signed in, requests fail with a hint to run
	// `mfactl auth login`.
	Interactive bool
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

// IsInteractive reports whether a method signs a person in (and so keeps an
// authentication record).
func IsInteractive(method string) bool {
	return method == AuthDeviceCode || method == AuthBrowser
}

// NewCredential builds the azidentity credential for o. The second result
// is a warning for the user (for example when the persistent token cache is
// unavailable), or "".
func NewCredential(o CredentialOptions) (azcore.TokenCredential, string, error) {
	method, err := ResolveMethod(o)
	if err != nil {
		return nil, "", err
	}
	tenant := firstNonEmpty(o.TenantID, os.Getenv("AZURE_TENANT_ID"))
	client := firstNonEmpty(o.ClientID, os.Getenv("AZURE_CLIENT_ID"))
	switch method {
	case AuthDeviceCode, AuthBrowser:
		record, _, err := LoadRecord(o.RecordPath)
		if err != nil {
			return nil, "", err
		}
		var warning string
		c, cerr := persistentCache()
		if cerr != nil {
			warning = "the persistent token cache is unavailable here (" + cerr.Error() + "); you will be asked to sign in again in each new process"
		}
		disable := !o.Interactive
		if method == AuthDeviceCode {
			prompt := o.Prompt
			if prompt == nil {
				prompt = os.Stderr
			}
			cred, err := azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
				TenantID: tenant, ClientID: client, Cache: c, AuthenticationRecord: record,
				DisableAutomaticAuthentication: disable,
				UserPrompt: func(_ context.Context, m azidentity.DeviceCodeMessage) error {
					_, err := fmt.Fprintln(prompt, m.Message)
					return err
				},
			})
			return cred, warning, err
		}
		if client != "" && o.RedirectURL == "" {
			return nil, "", errors.New("browser sign-in with your own client-id needs redirect-url (e.g. http://localhost), the redirect URI registered on the app")
		}
		cred, err := azidentity.NewInteractiveBrowserCredential(&azidentity.InteractiveBrowserCredentialOptions{
			TenantID: tenant, ClientID: client, RedirectURL: o.RedirectURL, Cache: c,
			AuthenticationRecord: record, DisableAutomaticAuthentication: disable,
		})
		return cred, warning, err
	case AuthClientSecret:
		if tenant == "" || client == "" || o.ClientSecret == "" {
			return nil, "", errors.New("client-secret sign-in needs tenant-id, client-id and client-secret (flags, MFACTL_* or AZURE_* variables, or the config file)")
		}
		cred, err := azidentity.NewClientSecretCredential(tenant, client, o.ClientSecret, nil)
		return cred, "", err
	case AuthClientCertificate:
		if tenant == "" || client == "" || o.CertificatePath == "" {
			return nil, "", errors.New("client-certificate sign-in needs tenant-id, client-id and client-certificate (a PEM or PFX file)")
		}
		data, err := os.ReadFile(o.CertificatePath)
		if err != nil {
			return nil, "", fmt.Errorf("read client certificate: %w", err)
		}
		var pw []byte
		if o.CertPassword != "" {
			pw = []byte(o.CertPassword)
		}
		certs, key, err := azidentity.ParseCertificates(data, pw)
		if err != nil {
			return nil, "", fmt.Errorf("client certificate %s: %w", o.CertificatePath, err)
		}
		cred, err := azidentity.NewClientCertificateCredential(tenant, client, certs, key, nil)
		return cred, "", err
	case AuthAzureCLI:
		cred, err := azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: o.TenantID})
		return cred, "", err
	case AuthManagedIdentity:
		opts := &azidentity.ManagedIdentityCredentialOptions{}
		if o.ManagedIdentityID != "" {
			opts.ID = azidentity.ClientID(o.ManagedIdentityID)
		}
		cred, err := azidentity.NewManagedIdentityCredential(opts)
		return cred, "", err
	case AuthEnvironment:
		cred, err := azidentity.NewEnvironmentCredential(nil)
		if err != nil {
			return nil, "", fmt.Errorf("AZURE_* environment: %w (set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH)", err)
		}
		return cred, "", nil
	}
	return nil, "", fmt.Errorf("auth method %q is not handled", method)
}

// Account describes who mfactl signs in as.
type Account struct {
	Method    string `json:"method"`
	Username  string `json:"username,omitempty"`
	TenantID  string `json:"tenantId,omitempty"`
	ClientID  string `json:"clientId,omitempty"`
	Authority string `json:"authority,omitempty"`
}

// Login signs in interactively (device code or browser) and saves the
// authentication record, or, for app credentials, checks that a token can be
// obtained. It never prints or returns the token.
func Login(ctx context.Context, o CredentialOptions) (Account, string, error) {
	method, err := ResolveMethod(o)
	if err != nil {
		return Account{}, "", err
	}
	o.Method = method
	o.Interactive = true
	if IsInteractive(method) {
		// Start from a clean slate so the prompt really happens.
		if err := RemoveRecord(o.RecordPath); err != nil {
			return Account{}, "", err
		}
	}
	cred, warning, err := NewCredential(o)
	if err != nil {
		return Account{}, warning, err
	}
	scopes := &policy.TokenRequestOptions{Scopes: []string{DefaultScope}}
	type authenticator interface {
		Authenticate(context.Context, *policy.TokenRequestOptions) (azidentity.AuthenticationRecord, error)
	}
	if a, ok := cred.(authenticator); ok && IsInteractive(method) {
		rec, err := a.Authenticate(ctx, scopes)
		if err != nil {
			return Account{}, warning, err
		}
		if err := SaveRecord(o.RecordPath, rec); err != nil {
			return Account{}, warning, err
		}
		return Account{Method: method, Username: rec.Username, TenantID: rec.TenantID, ClientID: rec.ClientID, Authority: rec.Authority}, warning, nil
	}
	if _, err := cred.GetToken(ctx, *scopes); err != nil {
		return Account{}, warning, err
	}
	return Account{Method: method, TenantID: firstNonEmpty(o.TenantID, os.Getenv("AZURE_TENANT_ID")), ClientID: firstNonEmpty(o.ClientID, os.Getenv("AZURE_CLIENT_ID"))}, warning, nil
}

// LoadRecord reads a saved authentication record; a missing file is not an
// error (the zero record means nobody has signed in).
func LoadRecord(path string) (azidentity.AuthenticationRecord, bool, error) {
	var rec azidentity.AuthenticationRecord
	if path == "" {
		return rec, false, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, err
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return rec, false, fmt.Errorf("authentication record %s is damaged (%v); run `mfactl auth logout` and `mfactl auth login`", path, err)
	}
	return rec, true, nil
}

// SaveRecord writes the record with 0600 permissions. It holds no secret
// (authority, client id, account id, tenant, user name) but is private all
// the same.
func SaveRecord(path string, rec azidentity.AuthenticationRecord) error {
	if path == "" {
		return nil
	}
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// RemoveRecord deletes the record; a missing file is fine.
func RemoveRecord(path string) error {
	if path == "" {
		return nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// RecordAccount describes the saved record, if any.
func RecordAccount(path string) (Account, bool, error) {
	rec, ok, err := LoadRecord(path)
	if err != nil || !ok {
		return Account{}, ok, err
	}
	return Account{Username: rec.Username, TenantID: rec.TenantID, ClientID: rec.ClientID, Authority: rec.Authority}, true, nil
}

// StaticToken is a credential that always returns the same bearer token:
// for `mfactl mock serve`, the in-process mock or any Graph-compatible
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
