package graph

import (
	"context"
	"net/http"
)

// ApprovedSignIn is what approving a device code did (POST
// /_mock/signin/approve of the mock's emulated Entra ID).
type ApprovedSignIn struct {
	UserCode string   `json:"userCode"`
	User     string   `json:"user"`
	App      string   `json:"appId"`
	Roles    []string `json:"roles"`
}

// ApproveSignIn signs user in for the pending device code userCode, as the
// user would at the device login page.
func (e *Emulator) ApproveSignIn(ctx context.Context, userCode, user string) (*ApprovedSignIn, error) {
	var out ApprovedSignIn
	return &out, e.do(ctx, "approve sign-in "+userCode+" as "+user, http.MethodPost, "signin/approve", map[string]string{"userCode": userCode, "user": user}, &out)
}
