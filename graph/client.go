// Package graph is the only part of mfactl that imports the Microsoft Graph
// SDK. It builds one client for real Graph (azidentity credentials), for any
// Graph-compatible endpoint such as mfactl's mock server (a static bearer
// token), and for the in-process mock (a transport that calls the mock's
// handler); the three differ only in root URL, credential and transport. It
// converts SDK models into mfactl's own types in package methods, so nothing
// else in mfactl sees an SDK type.
//
// Beta-only endpoints (hardware OATH, signInPreferences, per-user MFA state)
// go through the same request adapter with the beta base URL and small typed
// wrappers, instead of the beta SDK module, which would double a build that is
// already slow.
package graph

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoft/kiota-abstractions-go/serialization"
	kiotaauth "github.com/microsoft/kiota-authentication-azure-go"
	khttp "github.com/microsoft/kiota-http-go"
	jsonser "github.com/microsoft/kiota-serialization-json-go"
	textser "github.com/microsoft/kiota-serialization-text-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
)

// PublicCloudRoot is the root of the global Microsoft Graph service.
const PublicCloudRoot = "https://graph.microsoft.com"

// DefaultScope is the scope mfactl asks for: the app's configured permissions.
const DefaultScope = "https://graph.microsoft.com/.default"

// maxIdleConnsPerHost bounds the idle connections kept to Graph: above any
// concurrency mfactl uses (reports and imports go to 64).
const maxIdleConnsPerHost = 64

// sdkVersion is the msgraph-sdk-go version pinned in go.mod, reported in the
// SdkVersion header as the full SDK client would.
const sdkVersion = "1.89.0"

// Options configure a Client.
type Options struct {
	// Root is the service root without a version segment, e.g.
	// https://graph.microsoft.com or http://127.0.0.1:8080. A trailing /v1.0
	// or /beta is accepted and removed.
	Root string
	// Credential produces bearer tokens: an azidentity credential for real
	// Graph, StaticToken for a mock.
	Credential azcore.TokenCredential
	// Scopes requested from Credential; default DefaultScope.
	Scopes []string
	// Transport is the HTTP transport under Graph's middleware (redirect,
	// user agent, ...) and mfactl's retries. Nil means a clone of http.DefaultTransport.
	// The in-process mock passes a transport that calls its handler.
	Transport http.RoundTripper
	// RootCAs, when set, are the roots trusted for TLS (the system roots
	// plus --ca-cert, for a TLS-inspecting proxy or a mock served over
	// HTTPS with its own certificate); nil means the system roots.
	RootCAs *x509.CertPool
	// Debug, when set, receives a trace of every HTTP exchange with tokens
	// and secrets redacted.
	Debug io.Writer
	// MaxRetries is how often a failed attempt is retried (default 6, at
	// most 10); see retry.go for what is retried.
	MaxRetries int
	// AttemptTimeout bounds each attempt of a request (default 100 s);
	// waits for a budget or a Retry-After are not part of it.
	AttemptTimeout time.Duration
	// Backoff is the first pause before retrying a failed read (default
	// 250 ms, doubling per attempt, jittered).
	Backoff time.Duration
	// Version, when set, makes the User-Agent "mfactl/<Version>" so tenant
	// sign-in and audit logs show which tool made a request.
	Version string
}

// Client talks to one Graph service.
type Client struct {
	root       string
	v1         abs.RequestAdapter
	beta       abs.RequestAdapter
	httpClient *http.Client
	// plan, when set, receives every write instead of Graph (DryRun).
	plan *DryRunPlan
	// cred and scopes authenticate the raw requests of Emulator.
	cred   azcore.TokenCredential
	scopes []string
	// observers hear of every write sent (ObserveWrites).
	observers *observers
	// limiter paces every request to Graph's throttling budgets.
	limiter *Limiter
	// retry is the retry policy of the transport, which Batch follows for
	// the steps it retries.
	retry retryPolicy
}

var registerSerializers sync.Once

// New builds a client. The base URL is set on each adapter before any
// request builder exists, so batch step URLs come out relative (see the SDK
// notes: builders made before SetBaseUrl keep the public-cloud URL).
func New(opts Options) (*Client, error) {
	root, err := normaliseRoot(opts.Root)
	if err != nil {
		return nil, err
	}
	if opts.Credential == nil {
		return nil, fmt.Errorf("graph: no credential")
	}
	registerSerializers.Do(func() {
		abs.RegisterDefaultSerializer(func() serialization.SerializationWriterFactory { return jsonser.NewJsonSerializationWriterFactory() })
		abs.RegisterDefaultSerializer(func() serialization.SerializationWriterFactory { return textser.NewTextSerializationWriterFactory() })
		abs.RegisterDefaultDeserializer(func() serialization.ParseNodeFactory { return jsonser.NewJsonParseNodeFactory() })
		abs.RegisterDefaultDeserializer(func() serialization.ParseNodeFactory { return textser.NewTextParseNodeFactory() })
		// msgraph-sdk-go-core creates its error-mapping registry lazily
		// with an unsynchronised double-checked lock, so concurrent $batch
		// sends race on its first use. Creating it here, before any request,
		// leaves only concurrent reads.
		msgraphcore.GetErrorFactoryFromRegistry("")
	})

	u, _ := url.Parse(root)
	scopes := opts.Scopes
	if len(scopes) == 0 {
		scopes = []string{DefaultScope}
	}
	// The Azure provider silently sends no token to hosts outside its allow
	// list, so the list is exactly the host we talk to.
	// CAE as in every other token request (EnableCAE).
	auth, err := kiotaauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHostsAndObservabilityOptionsAndIsCaeEnabled(opts.Credential, scopes, []string{u.Hostname()}, kiotaauth.ObservabilityOptions{}, EnableCAE)
	if err != nil {
		return nil, fmt.Errorf("graph: auth provider: %w", err)
	}

	obs := &observers{}
	lim := NewLimiter()
	policy := newRetryPolicy(opts)
	hc := newHTTPClient(opts, obs, lim, policy)
	c := &Client{root: root, httpClient: hc, cred: opts.Credential, scopes: scopes, observers: obs, limiter: lim, retry: policy}
	for _, v := range []struct {
		version string
		dst     *abs.RequestAdapter
	}{{"v1.0", &c.v1}, {"beta", &c.beta}} {
		clientOpts := msgraphcore.GraphClientOptions{GraphServiceVersion: v.version, GraphServiceLibraryVersion: sdkVersion}
		a, err := msgraphcore.NewGraphRequestAdapterBaseWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, clientOpts, nil, nil, hc)
		if err != nil {
			return nil, fmt.Errorf("graph: request adapter: %w", err)
		}
		a.SetBaseUrl(root + "/" + v.version)
		*v.dst = a
	}
	return c, nil
}

// newHTTPClient assembles Graph's middleware in a fixed order (the SDK's own
// factory ranges over a map, so its order changes from run to run) on top of
// the parent transport.
func newHTTPClient(opts Options, obs *observers, lim *Limiter, policy retryPolicy) *http.Client {
	parent := opts.Transport
	if parent == nil {
		parent = baseTransport(opts.RootCAs)
	}
	if opts.Debug != nil {
		parent = &traceTransport{next: parent, w: opts.Debug}
	}
	parent = &recordTransport{next: parent, obs: obs}
	// mfactl's retries replace kiota's RetryHandler and CompressionHandler
	// (retry.go says why): each attempt waits for its budget, is timed on
	// its own and carries the body uncompressed.
	parent = &retryTransport{next: parent, limiter: lim, policy: policy}
	clientOpts := msgraphcore.GraphClientOptions{GraphServiceLibraryVersion: sdkVersion}
	ua := khttp.NewUserAgentHandlerOptions()
	if opts.Version != "" {
		ua.ProductName, ua.ProductVersion = "mfactl", opts.Version
	}
	middleware := []khttp.Middleware{
		msgraphcore.NewGraphTelemetryHandler(&clientOpts),
		khttp.NewUrlReplaceHandler(true, msgraphcore.ReplacementPairs),
		khttp.NewRedirectHandler(),
		khttp.NewParametersNameDecodingHandler(),
		khttp.NewUserAgentHandlerWithOptions(ua),
		khttp.NewHeadersInspectionHandler(),
	}
	return &http.Client{
		Transport: khttp.NewCustomTransportWithParentTransport(parent, middleware...),
		// The redirect middleware, not net/http, follows redirects.
		// No Timeout: it would run across retries and waits; retryTransport
		// times each attempt instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// baseTransport is the HTTP transport of Graph and of sign-in alike: the
// proxy from HTTPS_PROXY/NO_PROXY (http.ProxyFromEnvironment, as
// http.DefaultTransport), and rootCAs (nil: the system roots, which honour
// SSL_CERT_FILE on Linux) for TLS.
func baseTransport(rootCAs *x509.CertPool) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = http.ProxyFromEnvironment
	// Keep a connection per request in flight: net/http keeps only 2
	// idle ones per host by default, so concurrent $batch requests
	// would close and dial connections all the time.
	t.MaxIdleConnsPerHost = maxIdleConnsPerHost
	t.MaxIdleConns = maxIdleConnsPerHost
	if rootCAs != nil {
		t.TLSClientConfig = &tls.Config{RootCAs: rootCAs, MinVersion: tls.VersionTLS12}
	}
	return t
}

func normaliseRoot(root string) (string, error) {
	if root == "" {
		root = PublicCloudRoot
	}
	root = strings.TrimRight(root, "/")
	for _, suffix := range []string{"/v1.0", "/beta"} {
		root = strings.TrimSuffix(root, suffix)
	}
	u, err := url.Parse(root)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("graph endpoint %q is not an http(s) URL such as http://127.0.0.1:8080", root)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return "", fmt.Errorf("graph endpoint %q uses plain http on a non-loopback host; tokens are only sent over https (or http to localhost/127.0.0.1)", root)
	}
	return root, nil
}

// isLoopback mirrors the Azure auth provider's localhost exception for http.
func isLoopback(host string) bool {
	switch strings.ToLower(host) {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	return false
}

// Root returns the service root this client talks to.
func (c *Client) Root() string { return c.root }

// V1 returns the v1.0 request adapter (for tests and the batch helper).
func (c *Client) V1() abs.RequestAdapter { return c.v1 }

// Limiter is the client's pacer to Graph's throttling budgets (shared by
// copies of the client, such as DryRun's).
func (c *Client) Limiter() *Limiter { return c.limiter }
