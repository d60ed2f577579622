package mock

import (
	"errors"
	"net/http"
	"net/http/httptest"
)

// InProcessRoot is the service root a client uses with Transport: requests
// never leave the process, and a loopback host name keeps the Azure auth
// provider willing to send the token over plain http.
const InProcessRoot = "http://localhost"

// Transport returns an http.RoundTripper that serves each request with the
// mock's handler in this process: no port, no listener.
func (s *Server) Transport() http.RoundTripper { return inProcess{h: s.Handler()} }

// HTTPClient returns a client whose requests go to this server: over TCP
// when it listens, in-process otherwise.
func (s *Server) HTTPClient() *http.Client {
	if s.listener != nil {
		return &http.Client{}
	}
	return &http.Client{Transport: s.Transport()}
}

type inProcess struct{ h http.Handler }

// ErrConnectionDropped is what the in-process transport returns where a
// TCP client would see its connection reset: the --fail-rate faults that
// drop the connection.
var ErrConnectionDropped = errors.New("mock: connection reset by the server (a fault injected by --fail-rate or MFACTL_MOCK_FAIL_RATE)")

func (t inProcess) RoundTrip(req *http.Request) (resp *http.Response, err error) {
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	defer func() {
		// A handler aborted with http.ErrAbortHandler: net/http would reset
		// the connection; a transport reports an error.
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler {
				panic(p)
			}
			resp, err = nil, ErrConnectionDropped
		}
	}()
	rec := httptest.NewRecorder()
	// The handler sees a server-side request, as net/http would build it.
	sreq := req.Clone(req.Context())
	sreq.RequestURI = req.URL.RequestURI()
	if sreq.Host == "" {
		sreq.Host = req.URL.Host
	}
	if sreq.Body == nil {
		sreq.Body = http.NoBody
	}
	t.h.ServeHTTP(rec, sreq)
	if req.Body != nil {
		req.Body.Close()
	}
	resp = rec.Result()
	resp.Request = req
	return resp, nil
}
