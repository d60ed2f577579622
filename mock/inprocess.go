package mock

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
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
	rec := &inProcessWriter{header: http.Header{}}
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
	resp = rec.result()
	resp.Request = req
	return resp, nil
}

// inProcessWriter records a handler's response for the in-process
// transport, as httptest.ResponseRecorder does (the status, the headers as
// they were when the status was written, the body, Content-Type sniffed
// when the handler set none) without copying the headers twice.
type inProcessWriter struct {
	header http.Header
	sent   http.Header
	status int
	body   bytes.Buffer
}

func (w *inProcessWriter) Header() http.Header { return w.header }

func (w *inProcessWriter) WriteHeader(code int) {
	if w.sent != nil {
		return
	}
	w.status = code
	// Headers changed after this have no effect, as on a connection.
	w.sent, w.header = w.header, http.Header{}
}

func (w *inProcessWriter) Write(p []byte) (int, error) {
	if w.sent == nil {
		if w.header.Get("Content-Type") == "" && w.header.Get("Transfer-Encoding") == "" && len(p) > 0 {
			w.header.Set("Content-Type", http.DetectContentType(p))
		}
		w.WriteHeader(http.StatusOK)
	}
	return w.body.Write(p)
}

// Flush sends the headers, as http.Flusher does on a connection.
func (w *inProcessWriter) Flush() {
	if w.sent == nil {
		w.WriteHeader(http.StatusOK)
	}
}

func (w *inProcessWriter) result() *http.Response {
	if w.sent == nil {
		w.WriteHeader(http.StatusOK)
	}
	resp := &http.Response{
		Status:        fmt.Sprintf("%03d %s", w.status, http.StatusText(w.status)),
		StatusCode:    w.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.sent,
		Body:          io.NopCloser(bytes.NewReader(w.body.Bytes())),
		ContentLength: -1,
	}
	if n, err := strconv.ParseInt(w.sent.Get("Content-Length"), 10, 64); err == nil && n >= 0 {
		resp.ContentLength = n
	}
	return resp
}
