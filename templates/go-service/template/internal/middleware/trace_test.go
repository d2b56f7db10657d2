package middleware

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestTraceContinuesTheCallersTraceOrStartsOneAndPassesItOn(t *testing.T) {
	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	var outgoing http.Header
	downstream := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { outgoing = r.Header.Clone() }))
	defer downstream.Close()
	client := &http.Client{Transport: Transport(nil)}

	tests := []struct {
		name                 string
		traceparent          string
		tracestate           string
		wantContinued        bool
		wantFlags, wantState string
	}{
		{"a sampled caller", "00-" + traceID + "-" + parentID + "-01", "vendor=a,other=b", true, "01", "vendor=a,other=b"},
		{"an unsampled caller", "00-" + traceID + "-" + parentID + "-00", "", true, "00", ""},
		{"no caller trace", "", "vendor=a", false, "00", ""},
		{"a malformed traceparent", "00-xyz", "vendor=a", false, "00", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tc TraceContext
			h := Trace(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				tc, _ = TraceFrom(r.Context())
				req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, downstream.URL, nil)
				resp, err := client.Do(req)
				if err != nil {
					t.Fatalf("outgoing call: %v", err)
				}
				resp.Body.Close()
			}))
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.traceparent != "" {
				req.Header.Set("traceparent", tt.traceparent)
			}
			if tt.tracestate != "" {
				req.Header.Set("tracestate", tt.tracestate)
			}
			h.ServeHTTP(httptest.NewRecorder(), req)

			if continued := tc.TraceID == traceID && tc.ParentID == parentID; continued != tt.wantContinued {
				t.Errorf("trace context %+v, want the caller's trace continued: %v", tc, tt.wantContinued)
			}
			if len(tc.TraceID) != 32 || len(tc.SpanID) != 16 || tc.SpanID == parentID || !isHex(tc.TraceID+tc.SpanID) {
				t.Errorf("trace context %+v, want a trace ID and a new span ID in lowercase hex", tc)
			}
			want := "00-" + tc.TraceID + "-" + tc.SpanID + "-" + tt.wantFlags
			if got := outgoing.Get("traceparent"); got != want {
				t.Errorf("outgoing traceparent = %q, want %q: this request's span as the parent", got, want)
			}
			if got := outgoing.Get("tracestate"); got != tt.wantState {
				t.Errorf("outgoing tracestate = %q, want %q", got, tt.wantState)
			}
		})
	}
}
