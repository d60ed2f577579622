package seedfile_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/methods/seedfile"
)

func ExampleParseCSV() {
	file := `upn,serial number,secret key,time interval,manufacturer,model
Helga@contoso.com,1234567,2234567abcdef2234567abcdef,60,Contoso,HardwareKey
,TOTP0002,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,45,Contoso,HardwareKey
`
	res, err := seedfile.ParseCSV(strings.NewReader(file))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range res.Tokens {
		fmt.Println("import", t.SerialNumber, "for", t.UPN, "secret", t.Secret) // Secret prints masked
	}
	for _, e := range res.Errors {
		fmt.Println("rejected", e)
	}
	_ = seedfile.WriteErrorsCSV(os.Stdout, res.Errors)
	// Output:
	// import 1234567 for Helga@contoso.com secret 22…EF
	// rejected line 3 (serial TOTP0002): time interval must be 30 or 60 seconds
	// line,upn,serial number,secret key,time interval,manufacturer,model,hash function,reason
	// 3,,TOTP0002,GE…JQ,45,Contoso,HardwareKey,,time interval must be 30 or 60 seconds
}

// directory is a stand-in for the Graph-backed Tenant mfactl provides.
type directory struct{}

func (directory) SerialInInventory(_ context.Context, serial string) (bool, error) {
	return serial == "1234567", nil
}

func (directory) UserByUPN(_ context.Context, upn string) (methods.User, bool, error) {
	return methods.User{ID: "u1", UserPrincipalName: upn}, strings.HasSuffix(upn, "@contoso.com"), nil
}

func (directory) OathMethodCount(context.Context, methods.User) (int, error) { return 1, nil }

func ExampleResult_CheckTenant() {
	file := `upn,serial number,secret key,time interval,manufacturer,model
Helga@contoso.com,1234567,2234567abcdef2234567abcdef,60,Contoso,HardwareKey
amy@fabrikam.com,TOTP0002,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,30,Contoso,HardwareKey
amy@contoso.com,TOTP0003,MZXW6YTBOIZDEMRSMZXW6YTBOIZDEMRS,30,Contoso,HardwareKey
`
	res, _ := seedfile.ParseCSV(strings.NewReader(file))
	if err := res.CheckTenant(context.Background(), directory{}); err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range res.Tokens {
		fmt.Println("import", t.SerialNumber)
	}
	for _, e := range res.Errors {
		fmt.Println("rejected", e)
	}
	// Output:
	// import TOTP0003
	// rejected line 2 (serial 1234567): serial number 1234567 is already in the tenant's inventory
	// rejected line 3 (serial TOTP0002): no user amy@fabrikam.com in the tenant
}
