package reports

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"testing"
)

func TestTokenReportGolden(t *testing.T) {
	for _, f := range []Format{FormatTable, FormatCSV, FormatJSON, FormatMarkdown} {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			if _, err := WriteTokenReport(t.Context(), &buf, seqOf(fixtureTokens()), TokenReportOptions{Format: f, SampleLimit: 1}); err != nil {
				t.Fatal(err)
			}
			golden(t, "tokens."+string(f)+".golden", buf.Bytes())
		})
	}
	if _, err := WriteTokenReport(t.Context(), &bytes.Buffer{}, seqOf(fixtureTokens()), TokenReportOptions{Format: FormatHTML}); err == nil {
		t.Error("html token report accepted")
	}
}

func TestTokenReportMachineFormats(t *testing.T) {
	var js, cs bytes.Buffer
	s, err := WriteTokenReport(t.Context(), &js, genTokens(9, 300), TokenReportOptions{Format: FormatJSON})
	if err != nil {
		t.Fatal(err)
	}
	var back TokenSummary
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || !reflect.DeepEqual(back, s) {
		t.Errorf("JSON round trip: %v", err)
	}
	if err := RenderTokens(&cs, FormatCSV, s, RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&cs).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != len(s.Models)+1 || !reflect.DeepEqual(records[0], TokenCSVHeader(s)) {
		t.Fatalf("%d records, header %q", len(records), records[0])
	}
	total := 0
	for _, rec := range records[1:] {
		var n int
		if err := json.Unmarshal([]byte(rec[len(rec)-1]), &n); err != nil {
			t.Fatal(err)
		}
		total += n
	}
	if total != 300 || s.Total != 300 {
		t.Errorf("csv totals %d, summary %d, want 300", total, s.Total)
	}
}
