package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// sessionVersion is the format of the session file.
const sessionVersion = 1

// Session is what `auth login` keeps for a profile so that every later
// command builds the same credential: the method, cloud, tenant and client
// it signed in with, and for a person the azidentity authentication record
// (which account's refresh token to use). It holds no secret.
type Session struct {
	Format   int                              `json:"format"`
	Method   string                           `json:"method"`
	Cloud    string                           `json:"cloud,omitempty"`
	TenantID string                           `json:"tenantId,omitempty"`
	ClientID string                           `json:"clientId,omitempty"`
	Record   *azidentity.AuthenticationRecord `json:"record,omitempty"`
}

// LoadSession reads a profile's session; a missing file is not an error
// (nobody signed in). A file written before sessions existed holds a bare
// authentication record, which is read as a session of unknown method.
func LoadSession(path string) (Session, bool, error) {
	if path == "" {
		return Session{}, false, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Session{}, false, nil
	}
	if err != nil {
		return Session{}, false, err
	}
	var s Session
	if err := json.Unmarshal(b, &s); err != nil {
		return Session{}, false, &DamagedSessionError{Path: path, Err: err}
	}
	if s.Format == 0 {
		var rec azidentity.AuthenticationRecord
		if err := json.Unmarshal(b, &rec); err != nil || rec.HomeAccountID == "" {
			return Session{}, false, &DamagedSessionError{Path: path, Err: errors.New("neither a session nor an authentication record")}
		}
		return Session{TenantID: rec.TenantID, ClientID: rec.ClientID, Record: &rec}, true, nil
	}
	if s.Format > sessionVersion {
		return Session{}, false, &DamagedSessionError{Path: path, Err: fmt.Errorf("written by a newer mfactl (format %d)", s.Format)}
	}
	return s, true, nil
}

// DamagedSessionError is a session file that cannot be read.
type DamagedSessionError struct {
	Path string
	Err  error
}

func (e *DamagedSessionError) Error() string {
	return fmt.Sprintf("the saved sign-in %s is damaged (%v)", e.Path, e.Err)
}

func (e *DamagedSessionError) Unwrap() error { return e.Err }

// SaveSession writes the session with 0600 permissions.
func SaveSession(path string, s Session) error {
	if path == "" {
		return nil
	}
	s.Format = sessionVersion
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// RemoveSession deletes the session; a missing file is fine.
func RemoveSession(path string) error {
	if path == "" {
		return nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
