package mock

import (
	"reflect"
	"testing"
)

// TestSetSignedInDropsEveryFlowInProgress: signing in (or out) drops every
// flow the previous user had started, so a second user in the same browser
// cannot complete the first one's pending email, phone, app or
// Authenticator registration. The check walks the session's pointer fields,
// so a flow added later is covered too.
func TestSetSignedInDropsEveryFlowInProgress(t *testing.T) {
	s := &portalSession{}
	v := reflect.ValueOf(s).Elem()
	flows := 0
	for i := range v.NumField() {
		f := v.Field(i)
		if f.Kind() == reflect.Pointer {
			reflect.NewAt(f.Type(), f.Addr().UnsafePointer()).Elem().Set(reflect.New(f.Type().Elem()))
			flows++
		}
	}
	if flows < 5 {
		t.Fatalf("only %d flows found in portalSession", flows)
	}
	s.setSignedIn("id-2", "second@contoso.example", "Second")
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.Pointer && !f.IsNil() {
			t.Errorf("%s of the previous user survives the sign-in", v.Type().Field(i).Name)
		}
	}
	if s.userID != "id-2" || s.upn != "second@contoso.example" {
		t.Errorf("signed in as %q %q", s.userID, s.upn)
	}
}
