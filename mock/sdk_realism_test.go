package mock_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	msgraphauth "github.com/microsoftgraph/msgraph-sdk-go-core/authentication"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/mfactl/mfactl/mock"
)

// sdkAdapter builds the official SDK's adapter the way a third-party
// client would: default Graph middleware over the given parent transport.
func sdkAdapter(t *testing.T, root, host string, parent http.RoundTripper) abs.RequestAdapter {
	t.Helper()
	auth, err := msgraphauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(fakeCred(mock.DefaultAdminToken), []string{"https://graph.microsoft.com/.default"}, []string{host})
	if err != nil {
		t.Fatal(err)
	}
	opts := msgraphcore.GraphClientOptions{GraphServiceLibraryVersion: "1.89.0"}
	hc := msgraphcore.GetDefaultClient(&opts)
	hc.Transport = khttp.NewCustomTransportWithParentTransport(parent, msgraphcore.GetDefaultMiddlewaresWithOptions(&opts)...)
	a, err := msgraphcore.NewGraphRequestAdapterBaseWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, opts, nil, nil, hc)
	if err != nil {
		t.Fatal(err)
	}
	a.SetBaseUrl(root + "/v1.0")
	return a
}

func TestSDKOverTLSWithGeneratedCertificate(t *testing.T) {
	srv, err := mock.NewServer(mock.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cert, err := mock.SelfSignedCert("mock.test")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.ListenTLS("127.0.0.1:0", cert); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(srv.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL %s", srv.URL())
	}
	leaf, _ := x509.ParseCertificate(cert.Cert.Certificate[0])
	if got := strings.Join(leaf.DNSNames, ","); got != "localhost,mock.test" || len(leaf.IPAddresses) != 2 {
		t.Errorf("SANs: %s %v", got, leaf.IPAddresses)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(cert.CertPEM) {
		t.Fatal("certificate PEM does not parse")
	}
	for _, host := range []string{"127.0.0.1", "localhost"} {
		t.Run(host, func(t *testing.T) {
			root := strings.Replace(srv.URL(), "127.0.0.1", host, 1)
			parent := http.DefaultTransport.(*http.Transport).Clone()
			parent.TLSClientConfig = &tls.Config{RootCAs: pool}
			a := sdkAdapter(t, root, host, parent)
			ctx := context.Background()
			top := int32(4)
			resp, err := usersBuilder(a).Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{
				QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Top: &top},
			})
			if err != nil {
				t.Fatal(err)
			}
			if next := resp.GetOdataNextLink(); next == nil || !strings.HasPrefix(*next, "https://"+host+":") {
				t.Fatalf("nextLink %v must be https on the host the client used", next)
			}
			it, err := msgraphcore.NewPageIterator[models.Userable](resp, a, models.CreateUserCollectionResponseFromDiscriminatorValue)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			if err := it.Iterate(ctx, func(models.Userable) bool { n++; return true }); err != nil {
				t.Fatal(err)
			}
			if n != len(mock.DemoUsers()) {
				t.Errorf("iterated %d users over https pages", n)
			}
		})
	}
	t.Run("untrusted", func(t *testing.T) {
		a := sdkAdapter(t, srv.URL(), "127.0.0.1", http.DefaultTransport.(*http.Transport).Clone())
		_, err := usersBuilder(a).Get(context.Background(), nil)
		var uae x509.UnknownAuthorityError
		if !errors.As(err, &uae) {
			t.Errorf("a client that does not trust the certificate: %v", err)
		}
	})
}

func TestSDKSeesGraphThrottling(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	srv, err := mock.NewServer(mock.Options{Now: func() time.Time { return now }, Realism: mock.Realism{Throttle: mock.ThrottleGraph}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	a := sdkAdapter(t, mock.InProcessRoot, "localhost", srv.Transport())
	noRetry := []abs.RequestOption{&khttp.RetryHandlerOptions{ShouldRetry: func(time.Duration, int, *http.Request, *http.Response) bool { return false }}}
	ctx := context.Background()
	// GET /users costs 2 RU; the demo tenant's budget is 3,500 per 10 s.
	for i := 0; i < 1750; i++ {
		if _, err := usersBuilder(a).Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{Options: noRetry}); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	_, err = usersBuilder(a).Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{Options: noRetry})
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) || oe.ResponseStatusCode != 429 || *oe.GetErrorEscaped().GetCode() != "TooManyRequests" {
		t.Fatalf("over budget: %v", err)
	}
	if got := oe.ResponseHeaders.Get("Retry-After"); len(got) != 1 || got[0] != "10" {
		t.Errorf("Retry-After %v", got)
	}
	if ie := oe.GetErrorEscaped().GetInnerError(); ie == nil || ie.GetRequestId() == nil {
		t.Error("429 without innerError.request-id")
	}
}
